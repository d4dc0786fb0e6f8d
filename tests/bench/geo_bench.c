// SPDX-License-Identifier: GPL-2.0
/*
 * geo_bench: the IPv4 geo lookup alone, LPM trie against the direct tables
 * (DIR-16-8-8 as the data path has it, and DIR-24-8), on the IPv4 prefixes
 * a config compiles to (e.g. one with a real GeoIP database), and the
 * memory and build time of each.
 *
 *   geo_bench -c CONFIG [-r ROUNDS] [-n ADDRS]
 *
 * Address sets: "hot" (48 addresses in turn, as the DNS bench's geo
 * queries: every line cached) and "random" (ADDRS random public addresses,
 * default 65536: the table's lines mostly not). Per lookup: the median
 * over ROUNDS test runs of tests/bench/geo_lookup.bpf.c (a bpf_loop over
 * the addresses) minus the same loop without the lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "dns_compile.h"
#include "geo_dir.h"
#include "geo_lookup.skel.h"
#include "testrun.h"

#define GEO_ADDRS	65536
#define DIR24_L1_CHUNKS 65536

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void *map_mmap(struct bpf_map *m)
{
	size_t size = (size_t)bpf_map__max_entries(m) * bpf_map__value_size(m);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);

	return p == MAP_FAILED ? NULL : p;
}

/* DIR-24-8 from DIR-16-8-8: every /16's 256 /24 slots, third level as is. */
static void fill_dir24(struct edge_geo4_chunk *out, const struct edge_geo4_dir *d)
{
	const struct edge_geo4_chunk *in = (const void *)d->slots;
	size_t b, i;

	for (b = 0; b < DIR24_L1_CHUNKS; b++) {
		struct edge_geo4_slot s = d->slots[b];

		for (i = 0; i < EDGE_GEO4_CHUNK_SLOTS; i++) {
			struct edge_geo4_slot t = s;

			if (s.kind == EDGE_GEO4_CHUNK)
				t = in[s.ref].slot[i];
			if (t.kind == EDGE_GEO4_CHUNK) /* a third-level chunk */
				t.ref -= EDGE_GEO4_L1_CHUNKS;
			out[b].slot[i] = t;
		}
	}
	memcpy(out + DIR24_L1_CHUNKS, in + EDGE_GEO4_L1_CHUNKS,
	       d->n_chunks * sizeof(struct edge_geo4_chunk));
}

/* ns per lookup in mode over n addresses: median of rounds, minus mode 0. */
static int time_mode(struct geo_lookup_bpf **sk, int mode, __u32 n, int rounds, double *ns)
{
	static __u64 t[2][64];
	unsigned char frame[64] = {0};
	int m, r, fd, ret;

	for (m = 0; m < 2; m++) {
		fd = bpf_program__fd(sk[m ? mode : 0]->progs.geo_lookup);
		for (r = 0; r < rounds; r++) {
			ret = bench_run_once(fd, frame, sizeof(frame), 0, NULL, 0, &t[m][r]);
			if (ret)
				return ret;
		}
	}
	*ns = ((double)bench_percentile(t[1], rounds, 50) -
	       (double)bench_percentile(t[0], rounds, 50)) /
	      n;
	return 0;
}

int main(int argc, char **argv)
{
	struct geo_lookup_bpf *sk[4] = {0};
	struct edge_dns_compiled c = {0};
	struct edge_geo4_dir d = {0};
	const char *conf = NULL, *sets[2] = {"hot (48)", "random"};
	__u32 n_rand = GEO_ADDRS, *addrs[2];
	int rounds = 21, opt, mode, set, ret = 1;
	struct edge_config cfg;
	char err[1024];
	double t0, t1;
	size_t i;

	while ((opt = getopt(argc, argv, "c:r:n:")) != -1) {
		if (opt == 'c')
			conf = optarg;
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'n')
			n_rand = atoi(optarg);
		else
			conf = NULL, optind = argc + 1;
	}
	if (!conf || rounds < 1 || rounds > 64 || !n_rand || n_rand > GEO_ADDRS) {
		fprintf(stderr, "usage: %s -c CONFIG [-r ROUNDS 1-64] [-n ADDRS 1-%d]\n", argv[0],
			GEO_ADDRS);
		return 2;
	}
	if (edge_config_load(conf, &cfg, err, sizeof(err)) ||
	    edge_dns_compile(&cfg, &c, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = now_ms();
	if (edge_geo4_dir_build(c.geo4, c.n_geo4, EDGE_GEO4_CHUNKS, &d)) {
		fprintf(stderr, "out of memory\n");
		goto out;
	}
	t1 = now_ms();
	printf("%zu IPv4 prefixes; DIR-16-8-8 built in %.0f ms: %zu chunks (%zu left to the "
	       "trie)\n",
	       c.n_geo4, t1 - t0, d.n_chunks, d.n_trie);
	printf("memory per generation: DIR-16-8-8 %.1f MiB used, %.1f MiB map; DIR-24-8 %.1f MiB "
	       "used, %.1f MiB map\n",
	       (EDGE_GEO4_L1_CHUNKS + d.n_chunks) / 1024.0, EDGE_GEO4_GEN_CHUNKS / 1024.0,
	       (DIR24_L1_CHUNKS + d.n_chunks) / 1024.0,
	       (DIR24_L1_CHUNKS + EDGE_GEO4_CHUNKS) / 1024.0);

	/* Addresses: the bench's 48 /28s, and random public ones (host order). */
	addrs[0] = calloc(GEO_ADDRS, sizeof(__u32));
	addrs[1] = calloc(GEO_ADDRS, sizeof(__u32));
	if (!addrs[0] || !addrs[1])
		goto out;
	srandom(1);
	for (i = 0; i < GEO_ADDRS; i++) {
		static const __u32 nets[] = {0xc0000200, 0xc6336400, 0xcb007100};

		addrs[0][i] = nets[i % 48 / 16] | (i % 16) * 16;
		do
			addrs[1][i] = (__u32)random() << 1 ^ (__u32)random();
		while ((addrs[1][i] >> 24) == 10 || (addrs[1][i] >> 24) >= 224 ||
		       (addrs[1][i] >> 24) == 127 || (addrs[1][i] >> 24) == 0);
	}

	for (mode = 0; mode < 4; mode++) {
		sk[mode] = geo_lookup_bpf__open();
		if (!sk[mode])
			goto out;
		sk[mode]->rodata->geo_mode = mode;
		sk[mode]->rodata->geo_n = n_rand;
		/* One set of maps, shared by the four programs. */
		if (mode) {
			struct bpf_map *m[] = {sk[mode]->maps.geo_addrs, sk[mode]->maps.geo_trie,
					       sk[mode]->maps.geo_dir16, sk[mode]->maps.geo_dir24};
			struct bpf_map *m0[] = {sk[0]->maps.geo_addrs, sk[0]->maps.geo_trie,
						sk[0]->maps.geo_dir16, sk[0]->maps.geo_dir24};

			for (i = 0; i < 4; i++)
				bpf_map__reuse_fd(m[i], bpf_map__fd(m0[i]));
		}
		if (geo_lookup_bpf__load(sk[mode])) {
			fprintf(stderr, "loading geo_lookup.bpf.o failed\n");
			goto out;
		}
		if (!mode) {
			struct edge_geo4_chunk *p16 = map_mmap(sk[0]->maps.geo_dir16);
			struct edge_geo4_chunk *p24 = map_mmap(sk[0]->maps.geo_dir24);
			LIBBPF_OPTS(bpf_map_batch_opts, bo);
			struct edge_geo4_key *keys = calloc(c.n_geo4 + 1, sizeof(*keys));
			struct edge_geo *vals = calloc(c.n_geo4 + 1, sizeof(*vals));
			__u32 cnt = c.n_geo4;

			if (!p16 || !p24 || !keys || !vals) {
				fprintf(stderr, "mmap of the tables failed\n");
				goto out;
			}
			for (i = 0; i < c.n_geo4; i++) {
				keys[i] = c.geo4[i].key;
				vals[i] = c.geo4[i].val;
			}
			if (cnt && bpf_map_update_batch(bpf_map__fd(sk[0]->maps.geo_trie), keys,
							vals, &cnt, &bo)) {
				fprintf(stderr, "writing the trie failed: %s\n", strerror(errno));
				goto out;
			}
			t0 = now_ms();
			memcpy(p16, d.slots,
			       (EDGE_GEO4_L1_CHUNKS + d.n_chunks) * sizeof(struct edge_geo4_chunk));
			t1 = now_ms();
			fill_dir24(p24, &d);
			printf("DIR-16-8-8 written through mmap in %.1f ms, DIR-24-8 built and "
			       "written in %.1f ms\n",
			       t1 - t0, now_ms() - t1);
			free(keys);
			free(vals);
		}
	}

	printf("ns per lookup (median of %d runs of %u lookups, minus the bare loop):\n", rounds,
	       n_rand);
	printf("%-10s %8s %11s %9s\n", "addresses", "LPM trie", "DIR-16-8-8", "DIR-24-8");
	for (set = 0; set < 2; set++) {
		double ns[4] = {0};

		for (i = 0; i < n_rand; i++) {
			__u32 k = i;

			bpf_map_update_elem(bpf_map__fd(sk[0]->maps.geo_addrs), &k, &addrs[set][i],
					    BPF_ANY);
		}
		for (mode = 1; mode < 4; mode++)
			if (time_mode(sk, mode, n_rand, rounds, &ns[mode])) {
				fprintf(stderr, "test run failed: %s\n", strerror(errno));
				goto out;
			}
		printf("%-10s %8.1f %11.1f %9.1f\n", sets[set], ns[1], ns[2], ns[3]);
	}
	ret = 0;
out:
	for (mode = 0; mode < 4; mode++)
		geo_lookup_bpf__destroy(sk[mode]);
	edge_geo4_dir_free(&d);
	edge_dns_compiled_free(&c);
	return ret;
}
