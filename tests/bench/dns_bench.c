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
 *
 * With -i IFNAME a second table is measured the same way but with
 * BPF_F_TEST_XDP_LIVE_FRAMES: the frame really leaves through IFNAME's
 * XDP_TX path (the timing includes the transmit, as a NIC's would), so the
 * bare reflector costs what sending a frame back costs and the ratio to it
 * means something. Baseline there: an XDP_DROP program, timed alike. IFNAME
 * must be a veth whose peer has an XDP program (scripts/bench-dns.sh sets
 * that up).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "edge.skel.h"
#include "loader.h"
#include "log.h"
#include "stats.h"
#include "dns_frames.h"

struct path {
	const char *name;
	int prog_fd;
	struct frame *frames;
	const char *counter; /* must grow by one per run */
	int rrl;	     /* RRL on (never limiting) while this path runs */
	__u64 *samples;
	size_t n;
};

/* edge_dns_rrl_cfg's fd: paths with .rrl switch RRL on around their run. */
static int rrl_cfg_fd = -1;

/*
 * RRL on at 1M replies/s per /32 with a burst far beyond the run: every
 * query pays the lookup and the compare-and-swap, none is limited (the
 * path's counter checks that).
 */
static int rrl_set(int on)
{
	struct edge_dns_rrl_config c = {0};
	__u32 zero = 0;

	if (on) {
		c.interval_ns = 1000;
		c.burst_ns = 1000000000000ull;
		c.slip = 2;
		c.prefix4 = 32;
		c.prefix6 = 128;
	}
	return bpf_map_update_elem(rrl_cfg_fd, &zero, &c, 0);
}

/* Live-frames mode: the ifindex frames are "received" on (0: off). */
static int live_ifindex;

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
	if (pt->rrl && rrl_set(1))
		return -EIO;
	for (i = 0; i < NFRAMES; i++) {
		struct xdp_md md = {.data_end = pt->frames[i].len, .ingress_ifindex = live_ifindex};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pt->frames[i].b,
			    .data_size_in = pt->frames[i].len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		if (live_ifindex) {
			/* Live frames: no output copy; the frame is sent. */
			o.data_out = NULL;
			o.data_size_out = 0;
			o.ctx_in = &md;
			o.ctx_size_in = sizeof(md);
			o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
		}
		if (bpf_prog_test_run_opts(pt->prog_fd, &o))
			return -errno;
		pt->samples[pt->n++] = o.duration;
	}
	if (pt->rrl && rrl_set(0))
		return -EIO;
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

/* Time every path, interleaved round by round; print the table. 0 or -1. */
static int measure(struct path *paths, size_t np, int rounds, int stats_fd, const char *what,
		   const char *base_name)
{
	__u64 med[16], base, refl;
	size_t k;
	int r;

	for (k = 0; k < np; k++) {
		paths[k].n = 0;
		paths[k].samples = calloc((size_t)rounds * NFRAMES, sizeof(__u64));
		if (!paths[k].samples)
			return -1;
	}
	/* Interleave the paths round by round so drift hits them alike. */
	for (r = 0; r < rounds; r++)
		for (k = 0; k < np; k++)
			if (run_path(&paths[k], stats_fd)) {
				fprintf(stderr, "%s: %s failed: %s\n", what, paths[k].name,
					strerror(errno));
				return -1;
			}
	for (k = 0; k < np; k++)
		med[k] = median(paths[k].samples, paths[k].n);
	base = med[0];
	/* A few ns over the baseline is the timer's resolution, not a cost. */
	refl = med[1] > base + 5 ? med[1] - base : 0;
	printf("%s, %d rounds x %d distinct frames each;\n"
	       "median kernel-measured ns per call; net = minus the %s baseline\n\n",
	       what, rounds, NFRAMES, base_name);
	printf("%-24s %10s %10s %14s %14s\n", "path", "ns/call", "net ns", "x reflector",
	       "x refl (gross)");
	for (k = 0; k < np; k++) {
		__u64 net = med[k] > base ? med[k] - base : 0;

		if (k == 0)
			printf("%-24s %10llu %10s %14s %14s\n", paths[k].name,
			       (unsigned long long)med[k], "-", "-", "-");
		else if (refl)
			printf("%-24s %10llu %10llu %14.2f %14.2f\n", paths[k].name,
			       (unsigned long long)med[k], (unsigned long long)net,
			       (double)net / (double)refl, (double)med[k] / (double)med[1]);
		else
			printf("%-24s %10llu %10llu %14s %14.2f\n", paths[k].name,
			       (unsigned long long)med[k], (unsigned long long)net, "n/a",
			       (double)med[k] / (double)med[1]);
		free(paths[k].samples);
	}
	printf("\ncounters checked: every edge call grew its path's counter by one.\n\n");
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
	char dir[] = "/tmp/anyedge-bench-XXXXXX", cfgpath[600], err[8192];
	struct bpf_object *pass_obj, *drop_obj, *refl_obj;
	const char *ifname = NULL;
	struct edge_config cfg;
	struct edge_dp dp;
	int rounds = 5, i, pass_fd, drop_fd, refl_fd, opt, edge_fd, rc = 0;

	while ((opt = getopt(argc, argv, "r:i:g:")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'i')
			ifname = optarg;
		else if (opt == 'g')
			bench_geo_extra = atoi(optarg);
		else {
			fprintf(stderr,
				"usage: %s [-r ROUNDS] [-i VETH (live frames)] [-g "
				"EXTRA_GEO_PREFIXES]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > 100)
		rounds = 5;
	if (ifname) {
		live_ifindex = if_nametoindex(ifname);
		if (!live_ifindex) {
			fprintf(stderr, "interface %s: %s\n", ifname, strerror(errno));
			return 1;
		}
		live_ifindex = 0; /* method (a) first */
	}
	edge_log_set_level(EDGE_LOG_WARN);
	edge_log_hook_libs();
	if (!mkdtemp(dir) || write_config(dir, NULL, NULL, cfgpath, sizeof(cfgpath))) {
		perror("bench config");
		return 1;
	}
	if (edge_config_load(cfgpath, &cfg, err, sizeof(err)) ||
	    edge_dp_load(&dp, &cfg, NULL, err, sizeof(err)) ||
	    edge_dp_sync(&dp, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	pass_fd = load_simple("build/xdp_pass.bpf.o", &pass_obj);
	drop_fd = load_simple("build/xdp_drop.bpf.o", &drop_obj);
	refl_fd = load_simple("build/reflector.bpf.o", &refl_obj);
	if (pass_fd < 0 || drop_fd < 0 || refl_fd < 0) {
		fprintf(stderr, "loading build/{xdp_pass,xdp_drop,reflector}.bpf.o failed\n");
		return 1;
	}
	edge_fd = edge_dp_prog_fd(&dp);
	rrl_cfg_fd = bpf_map__fd(dp.skel->maps.edge_dns_rrl_cfg);

	for (i = 0; i < NFRAMES; i++) {
		build_frame(&fa[i], FK_A, i);
		build_frame(&f6[i], FK_AAAA, i);
		build_frame(&fnx[i], FK_NXDOMAIN, i);
		build_frame(&fgeo[i], FK_GEO_ECS, i);
	}

	struct path paths[] = {
		{.name = "xdp_pass (baseline)", .prog_fd = pass_fd, .frames = fa},
		{.name = "bare reflector", .prog_fd = refl_fd, .frames = fa},
		{.name = "static A answer",
		 .prog_fd = edge_fd,
		 .frames = fa,
		 .counter = "reason_dns_answered"},
		{.name = "static A, RRL on",
		 .prog_fd = edge_fd,
		 .frames = fa,
		 .counter = "reason_dns_answered",
		 .rrl = 1},
		{.name = "AAAA answer (IPv6)",
		 .prog_fd = edge_fd,
		 .frames = f6,
		 .counter = "reason_dns_answered"},
		{.name = "NXDOMAIN + SOA",
		 .prog_fd = edge_fd,
		 .frames = fnx,
		 .counter = "reason_dns_nxdomain"},
		{.name = "geo answer with ECS",
		 .prog_fd = edge_fd,
		 .frames = fgeo,
		 .counter = "event_dns_ecs"},
	};
	size_t np = sizeof(paths) / sizeof(paths[0]);

	if (measure(paths, np, rounds, edge_dp_stats_fd(&dp),
		    "(a) BPF_PROG_TEST_RUN, repeat=1 on fresh input", "XDP_PASS"))
		rc = 1;
	if (!rc && ifname) {
		live_ifindex = if_nametoindex(ifname);
		paths[0].name = "xdp_drop (baseline)";
		paths[0].prog_fd = drop_fd;
		if (measure(paths, np, rounds, edge_dp_stats_fd(&dp),
			    "(c) BPF_PROG_TEST_RUN live frames (XDP_TX sent), repeat=1 on fresh "
			    "input",
			    "XDP_DROP"))
			rc = 1;
	}
	edge_dp_close(&dp);
	edge_config_free(&cfg);
	bpf_object__close(pass_obj);
	bpf_object__close(drop_obj);
	bpf_object__close(refl_obj);
	snprintf(cfgpath, sizeof(cfgpath), "rm -rf %s", dir);
	if (system(cfgpath))
		rc = 1;
	return rc;
}
