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
 *
 * With -a (ablation), plain test runs of build/edge_stages.bpf.o (the same
 * program with DNS_STAGE() stops compiled in, sharing the real program's
 * maps): each path stopped after each stage, so a stage's cost is the
 * difference between two rows. The counters prove every stopped run
 * reached its stage (reason_dns_unsupported, the stop's reason) and every
 * full run took its path. These runs go through a syscall each (cold
 * branch predictors): for the NAPI-warm figure, -A IFNAME -P PINFILE
 * attaches the stages program to IFNAME (native XDP, serving the bench
 * zone), pins its edge_bench_stage map at PINFILE and waits for SIGTERM;
 * `STAGES="1 2 ..." scripts/bench-dns.sh` drives it with real traffic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "edge.skel.h"
#include "edge_stages.skel.h"
#include "loader.h"
#include "log.h"
#include "stats.h"
#include "dns_frames.h"
#include "testrun.h"

struct path {
	const char *name;
	int prog_fd;
	struct frame *frames;
	const char *counter; /* must grow by one per run */
	int rrl;	     /* RRL on (never limiting) while this path runs */
	__u32 stop;	     /* -a: edge_dns_bench_stop while it runs */
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

/* -a, -A: the program with bench stages, sharing the real program's maps. */
static struct edge_stages *stages_skel;

static int stage_set(__u32 stop)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(stages_skel->maps.edge_bench_stage), &zero, &stop,
				   0);
}

static __u64 median(__u64 *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	return v[n / 2];
}

/* Mean of the middle 80% (sorts v): finer than the ~10 ns steps of a median. */
static __u64 trimmed_mean(__u64 *v, size_t n)
{
	size_t i, lo = n / 10, hi = n - n / 10;
	__u64 sum = 0;

	qsort(v, n, sizeof(*v), bench_cmp_u64);
	for (i = lo; i < hi; i++)
		sum += v[i];
	return hi > lo ? sum / (hi - lo) : 0;
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
	if (stages_skel && stage_set(pt->stop))
		return -EIO;
	for (i = 0; i < NFRAMES; i++) {
		int ret = bench_run_once(pt->prog_fd, pt->frames[i].b, pt->frames[i].len,
					 live_ifindex, out, sizeof(out), &pt->samples[pt->n]);

		if (ret)
			return ret;
		pt->n++;
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

/*
 * -a: open build/edge_stages.bpf.o's skeleton with every map of the real
 * program reused (so it serves the same zone), load it. Its fd or -1.
 */
static int stages_load(struct edge_dp *dp)
{
	struct bpf_map *map, *real;

	stages_skel = edge_stages__open();
	if (!stages_skel)
		return -1;
	bpf_object__for_each_map(map, stages_skel->obj) {
		if (strchr(bpf_map__name(map), '.') || map == stages_skel->maps.edge_bench_stage)
			continue; /* .bss, .rodata, the stage: its own */
		real = bpf_object__find_map_by_name(dp->skel->obj, bpf_map__name(map));
		if (!real || bpf_map__reuse_fd(map, bpf_map__fd(real)))
			return -1;
	}
	stages_skel->rodata->cfg_dns_udp_size = dp->skel->rodata->cfg_dns_udp_size;
	stages_skel->rodata->cfg_dns_out_of_zone = dp->skel->rodata->cfg_dns_out_of_zone;
	if (edge_stages__load(stages_skel))
		return -1;
	return bpf_program__fd(stages_skel->progs.edge_xdp);
}

static const struct {
	__u32 stop;
	const char *what;
} stage_rows[] = {
	{1, "parse eth + IP"},
	{2, "+ VIP lookup, UDP/53 check"},
	{3, "+ scratch lookup"},
	{4, "+ UDP/DNS header checks"},
	{5, "+ name walk (lowercase, hash, csum)"},
	{6, "+ qtype/class, OPT/ECS parse"},
	{7, "(nothing: suffix hashes on a miss only)"},
	{8, "+ name lookup, compare (NX: miss)"},
	{9, "+ static/policy/geo (NX: zone walk)"},
	{10, "+ RRL check (off)"},
	{11, "+ answer blob lookup"},
	{12, "+ SOA blob, resize frame"},
	{13, "+ DNS header, records, OPT, sums"},
	{14, "+ L2/L3/L4 turn-around, UDP csum"},
	{0, "+ counters (full path)"},
};
#define NSTAGES (sizeof(stage_rows) / sizeof(stage_rows[0]))

/*
 * Ablation table: for each kind of query, the net ns (median minus the
 * XDP_PASS median) of the program stopped after each stage, and the step
 * from the row above.
 */
static int ablate(int pass_fd, int prog_fd, int stats_fd, int rounds, struct frame *fr[4])
{
	static const char *const kinds[4] = {"static A", "AAAA (v6)", "NXDOMAIN", "geo+ECS"};
	static const char *const full_ctr[4] = {"reason_dns_answered", "reason_dns_answered",
						"reason_dns_nxdomain", "event_dns_ecs"};
	struct path base = {.name = "xdp_pass", .prog_fd = pass_fd, .frames = fr[0]};
	struct path pt[4][NSTAGES];
	__u64 bmed, med[4][NSTAGES];
	size_t k, j, q;
	int r, rc = -1;

	base.samples = calloc((size_t)rounds * NFRAMES, sizeof(__u64));
	if (!base.samples)
		return -1;
	for (q = 0; q < 4; q++)
		for (k = 0; k < NSTAGES; k++) {
			pt[q][k] = (struct path){
				.name = stage_rows[k].what,
				.prog_fd = prog_fd,
				.frames = fr[q],
				.counter = stage_rows[k].stop == 14 ? NULL
					   : stage_rows[k].stop	   ? "reason_dns_unsupported"
								   : full_ctr[q],
				.stop = stage_rows[k].stop,
			};
			pt[q][k].samples = calloc((size_t)rounds * NFRAMES, sizeof(__u64));
			if (!pt[q][k].samples)
				return -1;
		}
	for (r = 0; r < rounds; r++) {
		if (run_path(&base, stats_fd))
			goto out;
		/* Rotate the order so no row is always the first to run. */
		for (j = 0; j < 4 * NSTAGES; j++) {
			k = (j + r * 5) % (4 * NSTAGES);
			if (run_path(&pt[k % 4][k / 4], stats_fd)) {
				fprintf(stderr, "%s, %s failed\n", kinds[k % 4], pt[k % 4][k / 4].name);
				goto out;
			}
		}
	}
	bmed = trimmed_mean(base.samples, base.n);
	for (q = 0; q < 4; q++)
		for (k = 0; k < NSTAGES; k++) {
			med[q][k] = trimmed_mean(pt[q][k].samples, pt[q][k].n);
			med[q][k] = med[q][k] > bmed ? med[q][k] - bmed : 0;
		}
	printf("(a) ablation, build/edge_stages.bpf.o, plain test runs, %d rounds x %d distinct "
	       "frames;\nnet ns = mean of the middle 80%% minus XDP_PASS's (%llu ns), (+step from the row above)\n\n",
	       rounds, NFRAMES, (unsigned long long)bmed);
	printf("%-38s", "stopped after");
	for (q = 0; q < 4; q++)
		printf(" %14s", kinds[q]);
	printf("\n");
	for (k = 0; k < NSTAGES; k++) {
		printf("%-38s", stage_rows[k].what);
		for (q = 0; q < 4; q++) {
			long long step = (long long)med[q][k] - (k ? (long long)med[q][k - 1] : 0);

			printf(" %6llu (%+4lld)", (unsigned long long)med[q][k], step);
		}
		printf("\n");
	}
	printf("\ncounters checked: every stopped run reached its stage, every full run took "
	       "its path.\n\n");
	rc = 0;
out:
	for (q = 0; q < 4; q++)
		for (k = 0; k < NSTAGES; k++)
			free(pt[q][k].samples);
	free(base.samples);
	return rc;
}

static volatile sig_atomic_t stop_attached;

static void on_signal(int sig)
{
	(void)sig;
	stop_attached = 1;
}

/* -A: the stages program on ifname until SIGTERM/SIGINT; 0 or -1. */
static int stages_attach(int prog_fd, const char *ifname, const char *pinfile)
{
	int ifindex = if_nametoindex(ifname), rc = -1;
	struct sigaction sa = {.sa_handler = on_signal};
	char progpin[512];

	if (!ifindex) {
		fprintf(stderr, "interface %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* The program too (PINFILE_prog; bpffs names have no dots): the script re-attaches it after the reflector. */
	snprintf(progpin, sizeof(progpin), "%s_prog", pinfile);
	rc = bpf_map__pin(stages_skel->maps.edge_bench_stage, pinfile);
	if (!rc)
		rc = bpf_program__pin(stages_skel->progs.edge_xdp, progpin);
	if (rc) {
		fprintf(stderr, "pin %s: %s\n", pinfile, strerror(-rc));
		rc = -1;
		goto out;
	}
	rc = -1;
	if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "attach to %s: %s\n", ifname, strerror(errno));
		goto out;
	}
	printf("attached\n");
	fflush(stdout);
	while (!stop_attached)
		pause();
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	rc = 0;
out:
	bpf_map__unpin(stages_skel->maps.edge_bench_stage, pinfile);
	bpf_program__unpin(stages_skel->progs.edge_xdp, progpin);
	return rc;
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
	const char *ifname = NULL, *attach_if = NULL, *pinfile = NULL;
	struct edge_config cfg;
	struct edge_dp dp;
	int rounds = 5, i, pass_fd, drop_fd, refl_fd, opt, edge_fd, rc = 0, ablation = 0;

	while ((opt = getopt(argc, argv, "r:i:g:aA:P:")) != -1) {
		if (opt == 'a')
			ablation = 1;
		else if (opt == 'A')
			attach_if = optarg;
		else if (opt == 'P')
			pinfile = optarg;
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'i')
			ifname = optarg;
		else if (opt == 'g')
			bench_geo_extra = atoi(optarg);
		else {
			fprintf(stderr,
				"usage: %s [-r ROUNDS] [-i VETH (live frames)] [-g "
				"EXTRA_GEO_PREFIXES] [-a (ablation)] [-A IFNAME -P PINFILE]\n",
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

	if (ablation || attach_if) {
		struct frame *fr[4] = {fa, f6, fnx, fgeo};
		int sfd = stages_load(&dp);

		if (sfd < 0) {
			fprintf(stderr, "loading build/edge_stages.bpf.o failed\n");
			rc = 1;
		} else if (attach_if) {
			rc = !pinfile || stages_attach(sfd, attach_if, pinfile) ? 1 : 0;
		} else if (ablate(pass_fd, sfd, edge_dp_stats_fd(&dp), rounds, fr)) {
			rc = 1;
		}
		edge_stages__destroy(stages_skel);
		goto out;
	}
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
out:
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
