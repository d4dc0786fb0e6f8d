// SPDX-License-Identifier: GPL-2.0
/*
 * edge-testrun: load the XDP program with private (unpinned) maps filled
 * from a config through the same code as the daemon, then run frames
 * through BPF_PROG_TEST_RUN for the packet tests (tests/prog/test_*.py).
 *
 * stdin, one command per line:
 *   run HEX     -> {"verdict":N,"out":"HEX","delta":{"counter":n,...}}
 *   stats       -> {"packets":n,...}
 *   pool N UP   -> set the health of DNS pool N (0 or 1): {"ok":true}
 *   now NS      -> the load balancer's and the DNS RRL's clock (0: the real one)
 *   backend ADDR up|down -> edge_lb_set_backend_up()
 *   reload CFG  -> edge_dp_sync() with another config (CFG is a file)
 *   race CFG    -> a thread syncs CFG and the first config alternately
 *                  until `race stop` (ending on the first config):
 *                  {"ok":true,"swaps":N}; `race count` tells N so far
 *   tables      -> the live halves of the bucketed tables (include/edge_table.h):
 *                  {"vip_buckets":N,"vips":[[BUCKET,"ADDR"],...],
 *                   "name_buckets":N,"names":[[BUCKET,"HASH",ENTRY],...]}
 *                  (ENTRY: the index in the half of edge_dns_names)
 *   geo4 ADDR   -> what the LPM trie edge_geo4 alone gives for ADDR, and
 *                  the kind of slot the direct table edge_geo4_dir ends on:
 *                  {"region":R,"len":L,"dir":"leaf"|"none"|"trie"}
 *                  (region -1: no match)
 * EDGE_TESTRUN_GEO4_CHUNKS=N in the environment: the direct table gets at
 * most N chunks (the rest is left to the trie).
 *   ctset HEX   -> the conntrack set of a flow key (struct edge_lb_flow_key4,
 *                  16 bytes, or edge_lb_flow_key, 40): {"set":N,"sets":S}
 *   cpu N       -> run the next frames on CPU N: {"ok":true}
 * Each run is one execution (repeat = 1) on the given frame; its delta
 * also has the load balancer's counters that moved, as "svcID.field"
 * and "beID.field", and the per-VIP ones (edge_vip_stats) as
 * "vipID.packets" / "vipID.bytes" (ID: the VIP's index in the config).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "config.h"
#include "edge.skel.h"
#include "edge_lb.h"
#include "loader.h"
#include "log.h"
#include "stats.h"

#define MAX_FRAME 4096
#define MAX_IDS	  64

struct lb_snap {
	size_t n_svc, n_be;
	__u32 svc[MAX_IDS], be[MAX_IDS];
	struct edge_lb_counters svc_c[MAX_IDS], be_c[MAX_IDS];
};

static void lb_snap(struct edge_dp *dp, struct lb_snap *s)
{
	size_t i;

	s->n_svc = edge_lb_ids(dp, false, s->svc, MAX_IDS);
	s->n_be = edge_lb_ids(dp, true, s->be, MAX_IDS);
	for (i = 0; i < s->n_svc; i++)
		edge_lb_counters_read(bpf_map__fd(dp->skel->maps.edge_lb_svc_stats), s->svc[i],
				      &s->svc_c[i]);
	for (i = 0; i < s->n_be; i++)
		edge_lb_counters_read(bpf_map__fd(dp->skel->maps.edge_lb_be_stats), s->be[i],
				      &s->be_c[i]);
}

/* Print the counters that moved between a and b (same ids). */
static void lb_delta(const struct lb_snap *a, const struct lb_snap *b, int *first)
{
	size_t i, f;

	for (i = 0; i < a->n_svc && i < b->n_svc; i++)
		for (f = 0; f < EDGE_LB_NCOUNTERS; f++) {
			__u64 d = ((__u64 *)&b->svc_c[i])[f] - ((__u64 *)&a->svc_c[i])[f];

			if (d)
				printf("%s\"svc%u.%s\":%llu", *first ? "" : ",", a->svc[i],
				       edge_lb_counter_names[f], (unsigned long long)d),
					*first = 0;
		}
	for (i = 0; i < a->n_be && i < b->n_be; i++)
		for (f = 0; f < EDGE_LB_NCOUNTERS; f++) {
			__u64 d = ((__u64 *)&b->be_c[i])[f] - ((__u64 *)&a->be_c[i])[f];

			if (d)
				printf("%s\"be%u.%s\":%llu", *first ? "" : ",", a->be[i],
				       edge_lb_counter_names[f], (unsigned long long)d),
					*first = 0;
		}
}

/* Per-VIP counters: ids 0..n-1 (the config's VIPs). */
struct vip_snap {
	size_t n;
	struct edge_vip_counters c[EDGE_MAX_VIPS];
};

static void vip_snap(struct edge_dp *dp, size_t n, struct vip_snap *s)
{
	size_t i;

	s->n = n;
	for (i = 0; i < n; i++)
		if (edge_vip_counters_read(bpf_map__fd(dp->skel->maps.edge_vip_stats), i, &s->c[i]))
			memset(&s->c[i], 0, sizeof(s->c[i]));
}

static void vip_delta(const struct vip_snap *a, const struct vip_snap *b, int *first)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		if (b->c[i].packets != a->c[i].packets)
			printf("%s\"vip%zu.packets\":%llu", *first ? "" : ",", i,
			       (unsigned long long)(b->c[i].packets - a->c[i].packets)),
				*first = 0;
		if (b->c[i].bytes != a->c[i].bytes)
			printf("%s\"vip%zu.bytes\":%llu", *first ? "" : ",", i,
			       (unsigned long long)(b->c[i].bytes - a->c[i].bytes)),
				*first = 0;
	}
}

/* The race: another thread re-syncs two configs in turn. */
struct race {
	struct edge_dp *dp;
	struct edge_config *cfg[2];
	pthread_t th;
	atomic_int stop;
	atomic_ulong swaps;
	int err;
};

static void *race_main(void *arg)
{
	struct race *r = arg;
	char err[1024];

	while (!atomic_load(&r->stop)) {
		if (edge_dp_sync(r->dp, r->cfg[r->swaps & 1 ? 0 : 1], err, sizeof(err))) {
			fprintf(stderr, "race: %s\n", err);
			r->err = 1;
			break;
		}
		r->swaps++;
	}
	/* End on the first config, whatever the count. */
	if (!r->err && (r->swaps & 1) && edge_dp_sync(r->dp, r->cfg[0], err, sizeof(err)))
		r->err = 1;
	return NULL;
}

/* The "tables" command: what each live bucket holds. */
static void print_tables(struct edge_dp *dp)
{
	int vfd = bpf_map__fd(dp->skel->maps.edge_vips);
	int nfd = bpf_map__fd(dp->skel->maps.edge_dns_name_index);
	struct edge_dns_name_bucket nb;
	struct edge_vip_bucket vb;
	struct edge_tables t;
	__u32 zero = 0, gen, b, s, idx;
	const char *sep = "";
	char addr[64];

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.edge_tables), &zero, &t)) {
		printf("{\"error\":\"edge_tables: %s\"}\n", strerror(errno));
		return;
	}
	gen = t.vip_gen & 1;
	printf("{\"vip_buckets\":%u,\"vips\":[", t.vip_mask[gen] + 1);
	for (b = 0; b <= t.vip_mask[gen] && b < EDGE_VIP_BUCKETS; b++) {
		idx = gen * EDGE_VIP_BUCKETS + b;
		if (bpf_map_lookup_elem(vfd, &idx, &vb))
			break;
		for (s = 0; s < vb.n && s < EDGE_VIP_SLOTS; s++) {
			edge_vip_str(&vb.slot[s].key, addr, sizeof(addr));
			printf("%s[%u,\"%s\"]", sep, b, addr);
			sep = ",";
		}
	}
	gen = t.dns_gen & 1;
	printf("],\"name_buckets\":%u,\"names\":[", t.name_mask[gen] + 1);
	sep = "";
	for (b = 0; b <= t.name_mask[gen] && b < EDGE_DNS_NAME_BUCKETS; b++) {
		idx = gen * EDGE_DNS_NAME_BUCKETS + b;
		if (bpf_map_lookup_elem(nfd, &idx, &nb))
			break;
		for (s = 0; s < EDGE_DNS_NAME_SLOTS && nb.idx[s]; s++) {
			printf("%s[%u,\"%016llx\",%u]", sep, b, (unsigned long long)nb.hash[s],
			       nb.idx[s] - 1 - gen * EDGE_MAX_DNS_NAMES);
			sep = ",";
		}
	}
	printf("]}\n");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* During a race the ids may change under us: no counter deltas then. */
static int quiet_lb;
/* VIPs in the config synced last. */
static size_t n_vips;

static int run_frame(struct edge_dp *dp, const char *hex)
{
	static struct lb_snap lb_before, lb_after;
	static struct vip_snap vip_before, vip_after;
	static unsigned char in[MAX_FRAME], out[MAX_FRAME + 512];
	struct edge_stats before, after;
	size_t n = 0, i;
	int stats_fd = edge_dp_stats_fd(dp);
	int ret, first = 1;

	while (hex[0] && hex[1] && hex[0] != '\n') {
		int hi = hexval(hex[0]), lo = hexval(hex[1]);

		if (hi < 0 || lo < 0 || n >= sizeof(in)) {
			printf("{\"error\":\"bad hex frame\"}\n");
			return 0;
		}
		in[n++] = hi << 4 | lo;
		hex += 2;
	}
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = n, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (edge_stats_read(stats_fd, &before))
		return -EIO;
	if (!quiet_lb) {
		lb_snap(dp, &lb_before);
		vip_snap(dp, n_vips, &vip_before);
	}
	ret = bpf_prog_test_run_opts(edge_dp_prog_fd(dp), &opts);
	if (ret) {
		printf("{\"error\":\"test run: %s\"}\n", strerror(errno));
		return 0;
	}
	if (edge_stats_read(stats_fd, &after))
		return -EIO;
	printf("{\"verdict\":%u,\"out\":\"", opts.retval);
	for (i = 0; i < opts.data_size_out; i++)
		printf("%02x", out[i]);
	printf("\",\"delta\":{");
	for (i = 0; i < edge_stat_nfields; i++) {
		__u64 d = edge_stat_get(&after, i) - edge_stat_get(&before, i);

		if (!d)
			continue;
		printf("%s\"%s\":%llu", first ? "" : ",", edge_stat_fields[i].name,
		       (unsigned long long)d);
		first = 0;
	}
	if (!quiet_lb) {
		lb_snap(dp, &lb_after);
		lb_delta(&lb_before, &lb_after, &first);
		vip_snap(dp, n_vips, &vip_after);
		vip_delta(&vip_before, &vip_after, &first);
	}
	printf("}}\n");
	return 0;
}

/* geo4 ADDR: the trie's answer, and the direct table's slot kind. */
static void geo4_cmd(struct edge_dp *dp, const char *arg)
{
	static const char *const kinds[] = {"none", "leaf", "chunk", "trie"};
	struct edge_geo4_key k = {.prefixlen = 32};
	struct edge_geo4_slot s = {.kind = 4};
	struct edge_geo4_live live = {};
	struct edge_geo4_chunk c;
	struct edge_geo g;
	char addr[64];
	__u32 a, idx, base, zero = 0;
	int region = -1, len = 0, level;

	if (sscanf(arg, "%63s", addr) != 1 || inet_pton(AF_INET, addr, k.addr) != 1) {
		printf("{\"error\":\"usage: geo4 IPV4ADDR\"}\n");
		return;
	}
	if (!bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.edge_geo4), &k, &g) &&
	    g.region < EDGE_MAX_REGIONS) {
		region = g.region;
		len = g.prefix_len;
	}
	memcpy(&a, k.addr, 4);
	a = ntohl(a);
	bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.edge_geo4_live), &zero, &live);
	base = live.gen & 1 ? EDGE_GEO4_GEN_CHUNKS : 0;
	idx = base + (a >> 24);
	for (level = 0; level < 3; level++) {
		if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.edge_geo4_dir), &idx, &c))
			break;
		s = c.slot[(a >> (16 - 8 * level)) & 0xff];
		if (s.kind != EDGE_GEO4_CHUNK)
			break;
		idx = base + s.ref;
	}
	printf("{\"region\":%d,\"len\":%d,\"dir\":\"%s\"}\n", region, len,
	       s.kind < 4 ? kinds[s.kind] : "?");
}

/* ctset: edge_lb_ct_hash() with the keys the daemon's sync wrote. */
static void ct_set(struct edge_dp *dp, const char *hex)
{
	struct edge_lb_config c;
	__u64 w[5] = {};
	unsigned char *b = (unsigned char *)w;
	__u32 zero = 0, sets;
	size_t n = 0;

	while (hex[0] && hex[1] && hex[0] != '\n' && n < sizeof(w)) {
		if (hexval(hex[0]) < 0 || hexval(hex[1]) < 0)
			break;
		b[n++] = hexval(hex[0]) << 4 | hexval(hex[1]);
		hex += 2;
	}
	if ((n != 16 && n != 40) ||
	    bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.edge_lb_config), &zero, &c)) {
		printf("{\"error\":\"usage: ctset HEX (a 16- or 40-byte flow key)\"}\n");
		return;
	}
	sets = n == 16 ? dp->skel->rodata->edge_lb_ct4_sets : dp->skel->rodata->edge_lb_ct6_sets;
	printf("{\"set\":%u,\"sets\":%u}\n",
	       edge_lb_ct_set(edge_lb_ct_hash(w, n / 8, c.ct_k0, c.ct_k1), sets), sets);
}

int main(int argc, char **argv)
{
	static char line[2 * MAX_FRAME + 64];
	struct edge_config cfg, cfg2;
	struct race race = {};
	struct edge_dp dp;
	struct edge_stats st;
	char err[8192];
	int ret;

	edge_log_set_prefix("edge-testrun");
	edge_log_set_level(EDGE_LOG_WARN);
	edge_log_hook_libs();
	if (argc != 2) {
		fprintf(stderr, "usage: edge-testrun CONFIG < commands\n");
		return 2;
	}
	if (edge_config_load(argv[1], &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (edge_dp_load(&dp, &cfg, NULL, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (getenv("EDGE_TESTRUN_GEO4_CHUNKS"))
		dp.geo4_max_chunks = strtoul(getenv("EDGE_TESTRUN_GEO4_CHUNKS"), NULL, 10);
	if (edge_dp_sync(&dp, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	n_vips = cfg.n_vips;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("{\"ready\":true}\n");
	ret = 0;
	while (!ret && fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "run ", 4)) {
			ret = run_frame(&dp, line + 4);
		} else if (!strncmp(line, "pool ", 5)) {
			struct edge_dns_pool pool;
			__u32 idx;

			if (sscanf(line + 5, "%u %u", &idx, &pool.up) != 2 ||
			    bpf_map_update_elem(bpf_map__fd(dp.skel->maps.edge_dns_pools), &idx,
						&pool, BPF_ANY))
				printf("{\"error\":\"pool update failed\"}\n");
			else
				printf("{\"ok\":true}\n");
		} else if (!strncmp(line, "now ", 4)) {
			dp.skel->bss->edge_lb_test_now_ns = strtoull(line + 4, NULL, 10);
			dp.skel->bss->edge_dns_test_now_ns = dp.skel->bss->edge_lb_test_now_ns;
			printf("{\"ok\":true}\n");
		} else if (!strncmp(line, "backend ", 8)) {
			struct edge_vip_key k = {};
			char addr[64], st[8];

			if (sscanf(line + 8, "%63s %7s", addr, st) != 2) {
				printf("{\"error\":\"usage: backend ADDR up|down\"}\n");
				continue;
			}
			if (inet_pton(AF_INET, addr, &k.addr[3]) == 1)
				k.addr[2] = htonl(0xffff);
			else
				inet_pton(AF_INET6, addr, k.addr);
			if (edge_lb_set_backend_up(&dp, &k, !strcmp(st, "up"), err, sizeof(err)))
				printf("{\"error\":\"%s\"}\n", err);
			else
				printf("{\"ok\":true}\n");
		} else if (!strncmp(line, "reload ", 7) || !strncmp(line, "race ", 5)) {
			int is_race = line[1] == 'a';
			char *path = line + (is_race ? 5 : 7);

			path[strcspn(path, "\n")] = '\0';
			if (is_race && !strcmp(path, "count")) {
				printf("{\"ok\":true,\"swaps\":%lu}\n", atomic_load(&race.swaps));
				continue;
			}
			if (is_race && !strcmp(path, "stop")) {
				atomic_store(&race.stop, 1);
				pthread_join(race.th, NULL);
				quiet_lb = 0;
				printf("{\"ok\":%s,\"swaps\":%lu}\n", race.err ? "false" : "true",
				       race.swaps);
				edge_config_free(&cfg2);
				continue;
			}
			if (edge_config_load(path, &cfg2, err, sizeof(err))) {
				printf("{\"error\":\"config: %s\"}\n", err);
				continue;
			}
			if (!is_race) {
				if (edge_dp_sync(&dp, &cfg2, err, sizeof(err)))
					printf("{\"error\":\"sync: %s\"}\n", err);
				else
					printf("{\"ok\":true}\n");
				edge_config_free(&cfg);
				cfg = cfg2;
				n_vips = cfg.n_vips;
				continue;
			}
			race = (struct race){.dp = &dp, .cfg = {&cfg, &cfg2}};
			quiet_lb = 1;
			if (pthread_create(&race.th, NULL, race_main, &race))
				printf("{\"error\":\"thread\"}\n");
			else
				printf("{\"ok\":true}\n");
		} else if (!strncmp(line, "tables", 6)) {
			print_tables(&dp);
		} else if (!strncmp(line, "geo4 ", 5)) {
			geo4_cmd(&dp, line + 5);
		} else if (!strncmp(line, "ctset ", 6)) {
			ct_set(&dp, line + 6);
		} else if (!strncmp(line, "cpu ", 4)) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(atoi(line + 4), &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				printf("{\"error\":\"cpu: %s\"}\n", strerror(errno));
			else
				printf("{\"ok\":true}\n");
		} else if (!strncmp(line, "stats", 5)) {
			ret = edge_stats_read(edge_dp_stats_fd(&dp), &st);
			if (!ret)
				edge_stats_print(stdout, &st, NULL, 0, true);
		} else {
			printf("{\"error\":\"unknown command\"}\n");
		}
	}
	edge_dp_close(&dp);
	edge_config_free(&cfg);
	return ret ? 1 : 0;
}
