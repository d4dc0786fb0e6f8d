// SPDX-License-Identifier: GPL-2.0
/*
 * dns_bench: per-packet cost of the DNS answering paths, measured with
 * BPF_PROG_TEST_RUN side by side with a bare XDP reflector and an XDP_PASS
 * baseline, in one run.
 *
 * Why repeat = 1: with repeat > 1 the kernel runs the program again on its
 * own output (a reply is then a response and takes the pass path), and
 * live-frames mode does not restore the frame either. So every timed call
 * runs one fresh copy of the input; the kernel's per-call duration is
 * collected and the median reported, minus the XDP_PASS median (the test
 * harness's own cost). Each path cycles through many distinct names and
 * client subnets, and the counters prove which path ran.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "loader.h"
#include "log.h"
#include "stats.h"

#define NFRAMES 1000
#define NGEO 100
#define FRAME_MAX 512

struct frame {
	unsigned char b[FRAME_MAX];
	size_t len;
};

struct path {
	const char *name;
	int prog_fd;
	struct frame *frames;
	const char *counter;	/* must grow by one per run */
	__u64 *samples;
	size_t n;
};

static size_t put_name(unsigned char *p, const char *name)
{
	size_t n = 0;
	const char *dot;

	while (*name) {
		dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* DNS query: header, question, optional OPT with an ECS option. */
static size_t dns_query(unsigned char *p, const char *name, int qtype, const char *ecs4, int src)
{
	size_t n = 12;

	memset(p, 0, 12);
	p[0] = 0x12;
	p[1] = 0x34;
	p[2] = 0x01; /* RD */
	p[5] = 1;    /* QDCOUNT */
	n += put_name(p + n, name);
	p[n++] = 0;
	p[n++] = qtype;
	p[n++] = 0;
	p[n++] = 1;
	if (ecs4) {
		int alen = (src + 7) / 8;

		p[11] = 1; /* ARCOUNT */
		memcpy(p + n, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00", 9);
		n += 9;
		p[n++] = 0;
		p[n++] = 8 + alen;
		p[n++] = 0;
		p[n++] = 8;
		p[n++] = 0;
		p[n++] = 4 + alen;
		p[n++] = 0;
		p[n++] = 1;
		p[n++] = src;
		p[n++] = 0;
		inet_pton(AF_INET, ecs4, p + n);
		n += alen;
	}
	return n;
}

static void frame_v4(struct frame *f, const unsigned char *dns, size_t dlen, __u32 client)
{
	unsigned char *p = f->b;
	size_t udp_len = 8 + dlen;

	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	p += 14;
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (20 + udp_len) >> 8;
	p[3] = (20 + udp_len) & 0xff;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, &client, 4);
	inet_pton(AF_INET, "192.0.2.53", p + 16);
	p += 20;
	p[0] = 0x9c;
	p[1] = 0x40;
	p[2] = 0;
	p[3] = 53;
	p[4] = udp_len >> 8;
	p[5] = udp_len & 0xff;
	p[6] = p[7] = 0; /* IPv4 UDP checksum optional */
	memcpy(p + 8, dns, dlen);
	f->len = 14 + 20 + udp_len;
}

static void frame_v6(struct frame *f, const unsigned char *dns, size_t dlen, int client)
{
	unsigned char *p = f->b;
	size_t udp_len = 8 + dlen;

	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd", 14);
	p += 14;
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = udp_len >> 8;
	p[5] = udp_len & 0xff;
	p[6] = 17;
	p[7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", p + 8);
	p[8 + 14] = client >> 8;
	p[8 + 15] = client & 0xff;
	inet_pton(AF_INET6, "2001:db8::53", p + 24);
	p += 40;
	p[0] = 0x9c;
	p[1] = 0x40;
	p[3] = 53;
	p[4] = udp_len >> 8;
	p[5] = udp_len & 0xff;
	memcpy(p + 8, dns, dlen);
	f->len = 14 + 40 + udp_len;
}

static int write_config(const char *dir, char *path, size_t len)
{
	char csv[512];
	FILE *f;
	int i;

	snprintf(csv, sizeof(csv), "%s/geo.csv", dir);
	f = fopen(csv, "w");
	if (!f)
		return -errno;
	/* 48 /28s of the three documentation /24s, round-robin over 3 regions. */
	for (i = 0; i < 48; i++)
		fprintf(f, "%s.%d/28,%s\n",
			i < 16 ? "192.0.2" : i < 32 ? "198.51.100" : "203.0.113", (i % 16) * 16,
			(const char *[]){ "eu", "as", "na" }[i % 3]);
	fclose(f);

	snprintf(path, len, "%s/bench.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "interfaces:\n  - name: lo\nvips:\n  - address: 192.0.2.53\n    dns: true\n"
		   "  - address: 2001:db8::53\n    dns: true\n"
		   "dns:\n  pools:\n"
		   "    - {name: fra, a: [198.51.100.1], aaaa: ['2001:db8:f::1']}\n"
		   "    - {name: iad, a: [198.51.100.2], aaaa: ['2001:db8:f::2']}\n"
		   "    - {name: sin, a: [198.51.100.3], aaaa: ['2001:db8:f::3']}\n"
		   "  zones:\n    - name: example.com\n"
		   "      soa: {mname: ns1.example.com, rname: hostmaster.example.com}\n"
		   "      ns: [ns1.example.com]\n      records:\n");
	for (i = 0; i < NFRAMES; i++)
		fprintf(f,
			"        - {name: n%d, type: A, values: [198.51.100.10, 198.51.100.11]}\n"
			"        - {name: n%d, type: AAAA, values: ['2001:db8:100::10']}\n",
			i, i);
	for (i = 0; i < NGEO; i++)
		fprintf(f,
			"        - {name: g%d, type: A, policy: geo, geo: {eu: [fra, iad], "
			"as: [sin, fra], na: [iad]}, default: [iad]}\n",
			i);
	fprintf(f, "geo:\n  regions: [eu, as, na]\n  csv: geo.csv\n");
	fclose(f);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static __u64 median(__u64 *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static int stat_field(const char *name)
{
	size_t i;

	for (i = 0; i < edge_stat_nfields; i++)
		if (!strcmp(edge_stat_fields[i].name, name))
			return i;
	return -1;
}

/* One pass over the path's frames; durations appended to samples. */
static int run_path(struct path *pt, int stats_fd)
{
	struct edge_stats before, after;
	unsigned char out[FRAME_MAX + 1024];
	int i, fld = pt->counter ? stat_field(pt->counter) : -1;

	if (pt->counter && edge_stats_read(stats_fd, &before))
		return -EIO;
	for (i = 0; i < NFRAMES; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pt->frames[i].b,
			    .data_size_in = pt->frames[i].len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(pt->prog_fd, &o))
			return -errno;
		pt->samples[pt->n++] = o.duration;
	}
	if (pt->counter) {
		if (edge_stats_read(stats_fd, &after))
			return -EIO;
		if (edge_stat_get(&after, fld) - edge_stat_get(&before, fld) != NFRAMES) {
			fprintf(stderr, "%s: counter %s grew by %llu, not %d: wrong path timed\n",
				pt->name, pt->counter,
				(unsigned long long)(edge_stat_get(&after, fld) -
						     edge_stat_get(&before, fld)),
				NFRAMES);
			return -EINVAL;
		}
	}
	return 0;
}

static int load_simple(const char *file, struct bpf_object **obj)
{
	struct bpf_program *prog;

	*obj = bpf_object__open_file(file, NULL);
	if (!*obj || bpf_object__load(*obj))
		return -1;
	prog = bpf_object__next_program(*obj, NULL);
	return prog ? bpf_program__fd(prog) : -1;
}

int main(int argc, char **argv)
{
	static struct frame fa[NFRAMES], f6[NFRAMES], fnx[NFRAMES], fgeo[NFRAMES];
	char dir[] = "/tmp/anyedge-bench-XXXXXX", cfgpath[600], err[8192], name[64], ecs[32];
	struct bpf_object *pass_obj, *refl_obj;
	unsigned char q[512];
	struct edge_config cfg;
	struct edge_dp dp;
	int rounds = 5, r, i, pass_fd, refl_fd, opt;
	size_t n;

	while ((opt = getopt(argc, argv, "r:")) != -1)
		rounds = opt == 'r' ? atoi(optarg) : rounds;
	if (rounds < 1 || rounds > 100)
		rounds = 5;
	edge_log_set_level(EDGE_LOG_WARN);
	edge_log_hook_libs();
	if (!mkdtemp(dir) || write_config(dir, cfgpath, sizeof(cfgpath))) {
		perror("bench config");
		return 1;
	}
	if (edge_config_load(cfgpath, &cfg, err, sizeof(err)) ||
	    edge_dp_load(&dp, &cfg, NULL, err, sizeof(err)) || edge_dp_sync(&dp, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	pass_fd = load_simple("build/xdp_pass.bpf.o", &pass_obj);
	refl_fd = load_simple("build/reflector.bpf.o", &refl_obj);
	if (pass_fd < 0 || refl_fd < 0) {
		fprintf(stderr, "loading build/xdp_pass.bpf.o or build/reflector.bpf.o failed\n");
		return 1;
	}

	for (i = 0; i < NFRAMES; i++) {
		__u32 client = htonl(0xc0000200 | (1 + i % 250)); /* 192.0.2.x */

		snprintf(name, sizeof(name), "n%d.example.com", i);
		n = dns_query(q, name, 1, NULL, 0);
		frame_v4(&fa[i], q, n, client);
		n = dns_query(q, name, 28, NULL, 0);
		frame_v6(&f6[i], q, n, i);
		snprintf(name, sizeof(name), "missing%d.example.com", i);
		n = dns_query(q, name, 1, NULL, 0);
		frame_v4(&fnx[i], q, n, client);
		snprintf(name, sizeof(name), "g%d.example.com", i % NGEO);
		snprintf(ecs, sizeof(ecs), "%s.%d",
			 (i % 3) == 0 ? "192.0.2" : (i % 3) == 1 ? "198.51.100" : "203.0.113",
			 (i * 7) % 256 & ~15);
		n = dns_query(q, name, 1, ecs, 28);
		frame_v4(&fgeo[i], q, n, client);
	}

	struct path paths[] = {
		{ .name = "xdp_pass (baseline)", .prog_fd = pass_fd, .frames = fa },
		{ .name = "bare reflector", .prog_fd = refl_fd, .frames = fa },
		{ .name = "static A answer", .prog_fd = edge_dp_prog_fd(&dp), .frames = fa,
		  .counter = "reason_dns_answered" },
		{ .name = "AAAA answer (IPv6)", .prog_fd = edge_dp_prog_fd(&dp), .frames = f6,
		  .counter = "reason_dns_answered" },
		{ .name = "NXDOMAIN + SOA", .prog_fd = edge_dp_prog_fd(&dp), .frames = fnx,
		  .counter = "reason_dns_nxdomain" },
		{ .name = "geo answer with ECS", .prog_fd = edge_dp_prog_fd(&dp), .frames = fgeo,
		  .counter = "event_dns_ecs" },
	};
	size_t np = sizeof(paths) / sizeof(paths[0]), k;
	__u64 med[8], base, refl;

	for (k = 0; k < np; k++)
		paths[k].samples = calloc((size_t)rounds * NFRAMES, sizeof(__u64));
	/* Interleave the paths round by round so drift hits them alike. */
	for (r = 0; r < rounds; r++)
		for (k = 0; k < np; k++)
			if (run_path(&paths[k], edge_dp_stats_fd(&dp)))
				return 1;
	for (k = 0; k < np; k++)
		med[k] = median(paths[k].samples, paths[k].n);
	base = med[0];
	refl = med[1] > base ? med[1] - base : 1;
	printf("BPF_PROG_TEST_RUN, repeat=1 on fresh input, %d rounds x %d distinct frames each;\n"
	       "median kernel-measured ns per call; net = minus the XDP_PASS baseline\n\n",
	       rounds, NFRAMES);
	printf("%-24s %10s %10s %14s\n", "path", "ns/call", "net ns", "x reflector");
	for (k = 0; k < np; k++) {
		__u64 net = med[k] > base ? med[k] - base : 0;

		if (k == 0)
			printf("%-24s %10llu %10s %14s\n", paths[k].name, (unsigned long long)med[k],
			       "-", "-");
		else
			printf("%-24s %10llu %10llu %14.2f\n", paths[k].name,
			       (unsigned long long)med[k], (unsigned long long)net,
			       (double)net / (double)refl);
	}
	printf("\ncounters checked: every edge call grew its path's counter by one.\n");
	edge_dp_close(&dp);
	edge_config_free(&cfg);
	bpf_object__close(pass_obj);
	bpf_object__close(refl_obj);
	snprintf(cfgpath, sizeof(cfgpath), "rm -rf %s", dir);
	return system(cfgpath) ? 1 : 0;
}
