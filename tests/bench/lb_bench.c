// SPDX-License-Identifier: GPL-2.0
/*
 * lb_bench: per-packet cost of the load balancer's two paths, a new flow
 * (TCP SYN: flow hash, Maglev table, conntrack insert, encap, FIB lookup)
 * and an established flow (TCP ACK: conntrack hit, encap, FIB lookup),
 * side by side with the bare XDP reflector and an XDP_PASS baseline.
 *
 * Method as in dns_bench: BPF_PROG_TEST_RUN with repeat = 1 on a fresh
 * copy of each input (repeat > 1 would re-run the program on its own
 * encapsulated output), NFRAMES distinct 5-tuples per path, median of the
 * kernel-measured duration minus the XDP_PASS median. The counters prove
 * which path ran: every SYN call must add one new flow, every ACK call a
 * forward with no new flow, no miss and no insert.
 *
 * It runs in a private network namespace (unshare) whose routing table
 * bpf_fib_lookup() reads: backends via a veth and a permanent neighbour.
 * Also printed: the conntrack maps' memory per entry (the kernel's
 * memlock figure divided by the entries).
 *
 * Second table, live frames (BPF_F_TEST_XDP_LIVE_FRAMES, ingress lbA, whose
 * routes lead back out of lbA): the XDP_TX of the reflector and of the load
 * balancer really transmit (to lbB, which runs xdp_pass), so both pay for
 * the transmit, as on a NIC; the baseline is then xdp_drop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "edge.skel.h"
#include "edge_lb.h"
#include "loader.h"
#include "log.h"
#include "stats.h"
#include "testrun.h"

#define NFRAMES	  1000
#define FRAME_LEN 74 /* Ethernet + IPv4 + TCP with 20 bytes of payload */

struct frame {
	unsigned char b[128];
	size_t len;
};

enum check { CHECK_NONE, CHECK_SYN, CHECK_ACK };

struct path {
	const char *name;
	int prog_fd;
	struct frame *frames;
	enum check check;
	__u32 stop; /* edge_lb_bench_stop while it runs (ablation) */
	__u64 *samples;
	size_t n;
};

static struct edge_dp dp;
static int live_ifindex; /* live-frames mode when set */
static int no_checks;	 /* -x: for experiments with a modified program */
/*
 * -p: the percentile reported (50: the median). On a shared machine other
 * work only adds time to a call, so a low percentile (-p 10) is steadier.
 */
static int pct = 50;

static const char *const netns_setup[] = {
	"ip link set lo up",
	"ip link add name lbA address 02:00:00:00:00:01 type veth peer name lbB",
	"ip link set lbA up",
	"ip link set lbB up",
	"ip link set dev lbB xdpdrv obj build/xdp_pass.bpf.o sec xdp",
	"sysctl -qw net.ipv4.conf.all.forwarding=1",
	"ip addr add 203.0.113.1/24 dev lbA",
	"ip neigh add 203.0.113.2 lladdr 02:00:00:00:00:aa dev lbA nud permanent",
	"ip route add 198.51.100.0/24 via 203.0.113.2",
	NULL,
};

static const char config[] = "interfaces: [{name: lo}]\n"
			     "lb:\n"
			     "  seed: 00112233445566778899aabbccddeeff\n"
			     "  source4: 203.0.113.0/24\n"
			     "services:\n"
			     "  - vip: 192.0.2.80\n"
			     "    proto: tcp\n"
			     "    port: 80\n"
			     "    backends: [{address: 198.51.100.1}, {address: 198.51.100.2},\n"
			     "               {address: 198.51.100.3}]\n";

static __u16 csum16(const void *p, size_t len)
{
	const __u8 *b = p;
	__u32 s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s);
}

/* Flow i: client 192.0.2.x:port, a distinct 5-tuple; proto TCP or UDP. */
static void build_frame(struct frame *f, int i, int proto, __u8 flags)
{
	struct ethhdr *eth = (void *)f->b;
	struct iphdr *ip = (void *)(eth + 1);
	void *l4 = ip + 1;
	size_t l4len = proto == IPPROTO_TCP ? 20 + 20 : 8 + 32;

	memset(f->b, 0, sizeof(f->b));
	memcpy(eth->h_dest, "\x02\0\0\0\0\x02", 6);
	memcpy(eth->h_source, "\x02\0\0\0\0\x01", 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = proto;
	ip->tot_len = htons(20 + l4len);
	ip->saddr = htonl(0xc0000200 | (1 + i % 250)); /* 192.0.2.x, port 10000 + i */
	ip->daddr = htonl(0xc0000250);		       /* 192.0.2.80 */
	ip->check = csum16(ip, 20);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		th->source = htons(10000 + i);
		th->dest = htons(80);
		th->doff = 5;
		th->window = htons(65535);
		((__u8 *)th)[13] = flags;
	} else {
		struct udphdr *uh = l4;

		uh->source = htons(10000 + i);
		uh->dest = htons(53);
		uh->len = htons(l4len);
	}
	f->len = sizeof(*eth) + 20 + l4len;
}

static int field(const char *name)
{
	size_t i;

	for (i = 0; i < edge_stat_nfields; i++)
		if (!strcmp(edge_stat_fields[i].name, name))
			return i;
	return -1;
}

static int svc_read(struct edge_lb_counters *c)
{
	return edge_lb_counters_read(bpf_map__fd(dp.skel->maps.edge_lb_svc_stats), 0, c);
}

static int run_path(struct path *pt)
{
	struct edge_lb_counters c0, c1;
	struct edge_stats s0, s1;
	unsigned char out[512];
	int i, fwd = field("reason_lb_redirect"), tx = field("reason_lb_tx");
	__u64 d;

	dp.skel->bss->edge_lb_bench_stop = pt->stop;
	if (pt->check && (svc_read(&c0) || edge_stats_read(edge_dp_stats_fd(&dp), &s0)))
		return -EIO;
	for (i = 0; i < NFRAMES; i++) {
		int ret = bench_run_once(pt->prog_fd, pt->frames[i].b, pt->frames[i].len,
					 live_ifindex, out, sizeof(out), &pt->samples[pt->n]);

		if (ret)
			return ret;
		pt->n++;
	}
	dp.skel->bss->edge_lb_bench_stop = 0;
	if (!pt->check || no_checks)
		return 0;
	if (svc_read(&c1) || edge_stats_read(edge_dp_stats_fd(&dp), &s1))
		return -EIO;
	d = edge_stat_get(&s1, fwd) - edge_stat_get(&s0, fwd) + edge_stat_get(&s1, tx) -
	    edge_stat_get(&s0, tx);
	if (d != NFRAMES) {
		fprintf(stderr, "%s: %llu of %d calls forwarded: wrong path timed\n", pt->name,
			(unsigned long long)d, NFRAMES);
		return -EINVAL;
	}
	if (pt->check == CHECK_SYN && c1.new_flows - c0.new_flows != NFRAMES) {
		fprintf(stderr, "%s: new_flows grew by %llu, not %d\n", pt->name,
			(unsigned long long)(c1.new_flows - c0.new_flows), NFRAMES);
		return -EINVAL;
	}
	if (pt->check == CHECK_ACK &&
	    (c1.new_flows != c0.new_flows || c1.nonsyn_misses != c0.nonsyn_misses ||
	     c1.lru_inserts != c0.lru_inserts)) {
		fprintf(stderr, "%s: not a conntrack hit (new %llu, misses %llu, inserts %llu)\n",
			pt->name, (unsigned long long)(c1.new_flows - c0.new_flows),
			(unsigned long long)(c1.nonsyn_misses - c0.nonsyn_misses),
			(unsigned long long)(c1.lru_inserts - c0.lru_inserts));
		return -EINVAL;
	}
	return 0;
}

/* memlock of a map as the kernel reports it (fdinfo). */
static long long map_memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
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

static struct frame fsyn[NFRAMES], fack[NFRAMES];

/*
 * Time the paths in interleaved rounds and print the table. Every round
 * has its own flows (first flow number base + r * NFRAMES): its SYNs are
 * new to the conntrack, and its ACKs then hit the entries they made.
 */
static int measure(struct path *paths, size_t np, int rounds, int base_flow, const char *what,
		   const char *base_name)
{
	__u64 med[8], base, refl;
	size_t k;
	int r;

	for (k = 0; k < np; k++) {
		paths[k].n = 0;
		paths[k].samples = calloc((size_t)rounds * NFRAMES, sizeof(__u64));
		if (!paths[k].samples)
			return -1;
	}
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < NFRAMES; k++) {
			build_frame(&fsyn[k], base_flow + r * NFRAMES + k, IPPROTO_TCP, 0x02);
			build_frame(&fack[k], base_flow + r * NFRAMES + k, IPPROTO_TCP, 0x10);
		}
		for (k = 0; k < np; k++)
			if (run_path(&paths[k])) {
				fprintf(stderr, "%s failed\n", paths[k].name);
				return -1;
			}
	}
	for (k = 0; k < np; k++) {
		med[k] = bench_percentile(paths[k].samples, paths[k].n, pct);
		free(paths[k].samples);
	}
	base = med[0];
	refl = med[1] > base ? med[1] - base : 1;
	printf("%s, %d rounds x %d distinct flows;\npercentile %d of kernel-measured ns per call; "
	       "net = minus the %s baseline\n\n",
	       what, rounds, NFRAMES, pct, base_name);
	printf("%-24s %10s %10s %14s %14s\n", "path", "ns/call", "net ns", "x reflector",
	       "x refl (gross)");
	for (k = 0; k < np; k++) {
		__u64 net = med[k] > base ? med[k] - base : 0;

		if (!k)
			printf("%-24s %10llu %10s %14s %14s\n", paths[k].name,
			       (unsigned long long)med[k], "-", "-", "-");
		else if (med[1] > base)
			printf("%-24s %10llu %10llu %14.2f %14.2f\n", paths[k].name,
			       (unsigned long long)med[k], (unsigned long long)net,
			       (double)net / (double)refl, (double)med[k] / (double)med[1]);
		else /* the reflector is below the clock's resolution: no net ratio */
			printf("%-24s %10llu %10llu %14s %14.2f\n", paths[k].name,
			       (unsigned long long)med[k], (unsigned long long)net, "n/a",
			       (double)med[k] / (double)med[1]);
	}
	printf("\n");
	return 0;
}

/*
 * Ablation (-a), plain test runs: the same flows run with the program
 * stopped at each stage (edge_lb_bench_stop, see bpf/lb.h), next to the
 * full paths, so each stage's cost is the difference between rows. Per
 * round: the SYN stages (none inserts), the full SYN (inserts), the ACK
 * stages, the full ACK.
 */
static const struct {
	__u32 stop;
	int syn;
	const char *what;
} stages[] = {
	{1, 0, "ACK: parse, VIP lookup, call edge_lb_flow"},
	{2, 0, "ACK: + lb config, 5-tuple key"},
	{3, 0, "ACK: + conntrack lookup"},
	{4, 0, "ACK: + backend check (conntrack hit)"},
	{5, 0, "ACK: + next hop (cached)"},
	{6, 0, "ACK: + adjust_head, headers, csum"},
	{0, 0, "ACK: + counters (full path)"},
	{7, 1, "SYN: + service lookup"},
	{8, 1, "SYN: + SipHash"},
	{9, 1, "SYN: + Maglev table, backend"},
	{10, 1, "SYN: + guard, conntrack insert"},
	{0, 1, "SYN: + next hop, encap, counters (full)"},
};
#define NSTAGES (sizeof(stages) / sizeof(stages[0]))

static int ablate(int pass_fd, int rounds, int flow0, const char *what)
{
	struct path base = {.name = "baseline", .prog_fd = pass_fd, .frames = fsyn};
	struct path pt[NSTAGES];
	__u64 bmed, med, prev = 0;
	size_t k, order[NSTAGES], no = 0;
	int r;

	for (k = 0; k < NSTAGES; k++) /* SYN rows first: they must see new flows */
		if (stages[k].syn)
			order[no++] = k;
	for (k = 0; k < NSTAGES; k++)
		if (!stages[k].syn)
			order[no++] = k;
	base.samples = calloc((size_t)rounds * NFRAMES, sizeof(__u64));
	for (k = 0; k < NSTAGES; k++) {
		pt[k] = (struct path){.name = stages[k].what,
				      .prog_fd = edge_dp_prog_fd(&dp),
				      .frames = stages[k].syn ? fsyn : fack,
				      .check = stages[k].stop ? CHECK_NONE
							      : (stages[k].syn ? CHECK_SYN : CHECK_ACK),
				      .stop = stages[k].stop};
		pt[k].samples = calloc((size_t)rounds * NFRAMES, sizeof(__u64));
		if (!pt[k].samples || !base.samples)
			return -1;
	}
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < NFRAMES; k++) {
			build_frame(&fsyn[k], flow0 + r * NFRAMES + k, IPPROTO_TCP, 0x02);
			build_frame(&fack[k], flow0 + r * NFRAMES + k, IPPROTO_TCP, 0x10);
		}
		if (run_path(&base))
			return -1;
		for (k = 0; k < NSTAGES; k++) {
			/*
			 * Rotate the order within the SYN rows that insert
			 * nothing (the first 4) and within the ACK rows, so
			 * that no row is always the first to touch the flows.
			 */
			size_t j = k < 4 ? (k + r) % 4 : k < 5 ? k : 5 + (k - 5 + r) % 7;

			if (run_path(&pt[order[j]])) {
				fprintf(stderr, "%s failed\n", pt[order[j]].name);
				return -1;
			}
		}
	}
	bmed = bench_percentile(base.samples, base.n, pct);
	printf("%s ablation, %d rounds x %d flows; net ns = percentile %d minus the "
	       "baseline (%llu)\n\n%-44s %8s %8s\n",
	       what, rounds, NFRAMES, pct, (unsigned long long)bmed, "stopped after", "net ns", "stage");
	for (k = 0; k < NSTAGES; k++) {
		med = bench_percentile(pt[k].samples, pt[k].n, pct);
		med = med > bmed ? med - bmed : 0;
		if (k == 7) /* the SYN rows start again from the ACK path's stage 2 */
			prev = 0;
		printf("%-44s %8llu %+8lld\n", pt[k].name, (unsigned long long)med,
		       (long long)med - (long long)prev);
		prev = med;
		free(pt[k].samples);
	}
	free(base.samples);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct frame fudp[NFRAMES];
	struct bpf_object *pass_obj, *refl_obj, *drop_obj;
	int drop_fd;
	int rounds = 5, opt, r, i, rc = 1, ablation = 0;
	struct edge_config cfg;
	char err[8192];
	size_t k, np;
	long long mem;

	while ((opt = getopt(argc, argv, "r:xap:")) != -1) {
		if (opt == 'a') {
			ablation = 1;
			continue;
		}
		if (opt == 'p') {
			pct = atoi(optarg);
			if (pct < 1 || pct > 99)
				pct = 50;
			continue;
		}
		if (opt == 'x') {
			no_checks = 1;
			continue;
		}
		if (opt != 'r') {
			fprintf(stderr, "usage: %s [-r ROUNDS] [-x (no path checks)] [-p PERCENTILE] [-a (ablation)]\n", argv[0]);
			return 2;
		}
		rounds = atoi(optarg);
	}
	if (rounds < 1 || rounds > 100)
		rounds = 5;
	edge_log_set_level(EDGE_LOG_WARN);
	edge_log_hook_libs();
	/*
	 * One CPU, as a NIC queue's flows: the conntrack is per CPU, and an
	 * ACK run on another CPU than its SYN would copy the entry over.
	 */
	{
		cpu_set_t one;
		int cpu = sched_getcpu();

		CPU_ZERO(&one);
		CPU_SET(cpu < 0 ? 0 : cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			perror("sched_setaffinity");
	}
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return 1;
	}
	for (i = 0; netns_setup[i]; i++) {
		if (system(netns_setup[i])) {
			fprintf(stderr, "netns setup failed: %s\n", netns_setup[i]);
			return 1;
		}
	}
	if (edge_config_parse(config, strlen(config), "lb_bench", &cfg, err, sizeof(err)) ||
	    edge_dp_load(&dp, &cfg, NULL, err, sizeof(err)) ||
	    edge_dp_sync(&dp, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((i = load_simple("build/xdp_pass.bpf.o", &pass_obj)) < 0 ||
	    (r = load_simple("build/reflector.bpf.o", &refl_obj)) < 0 ||
	    (drop_fd = load_simple("build/xdp_drop.bpf.o", &drop_obj)) < 0) {
		fprintf(stderr, "loading build/{xdp_pass,reflector,xdp_drop}.bpf.o failed\n");
		return 1;
	}
	for (k = 0; k < NFRAMES; k++)
		build_frame(&fudp[k], k, IPPROTO_UDP, 0);
	struct path paths[] = {
		{.name = "xdp_pass (baseline)", .prog_fd = i, .frames = fsyn},
		{.name = "bare reflector (UDP)", .prog_fd = r, .frames = fudp},
		{.name = "lb SYN (new flow)",
		 .prog_fd = edge_dp_prog_fd(&dp),
		 .frames = fsyn,
		 .check = CHECK_SYN},
		{.name = "lb ACK (established)",
		 .prog_fd = edge_dp_prog_fd(&dp),
		 .frames = fack,
		 .check = CHECK_ACK},
	};
	np = sizeof(paths) / sizeof(paths[0]);
	if (ablation) {
		rc = 1;
		if (ablate(i, rounds, 40000, "(a) plain test runs (baseline XDP_PASS)"))
			goto out;
		live_ifindex = if_nametoindex("lbA");
		if (!live_ifindex || ablate(drop_fd, rounds, 60000,
					    "(c) live frames (baseline XDP_DROP; stops drop)"))
			goto out;
		rc = 0;
		goto out;
	}
	if (measure(paths, np, rounds, 0, "(a) BPF_PROG_TEST_RUN, repeat=1 on fresh input",
		    "XDP_PASS"))
		goto out;
	live_ifindex = if_nametoindex("lbA");
	paths[0].name = "xdp_drop (baseline)";
	paths[0].prog_fd = drop_fd;
	if (!live_ifindex ||
	    measure(paths, np, rounds, 20000,
		    "(c) live frames (XDP_TX really sent), repeat=1 on fresh input", "XDP_DROP"))
		goto out;
	printf("\ncounters checked: every SYN call added a new flow and an encap; every ACK "
	       "call an encap\nwith no new flow, no miss and no insert (a conntrack hit).\n");
	for (k = 0; k < 2; k++) {
		struct bpf_map *m = k ? dp.skel->maps.edge_lb_ct6 : dp.skel->maps.edge_lb_ct4;
		long long n = (long long)bpf_map__max_entries(m) * EDGE_LB_CT_WAYS;
		int cpus = libbpf_num_possible_cpus();

		mem = map_memlock(bpf_map__fd(m));
		if (mem > 0 && cpus > 0)
			printf("conntrack (IPv%d): %lld bytes for %lld entries (%lld per CPU, %d "
			       "CPUs) = %.0f bytes per entry (%zu-byte ways, %d a set)\n",
			       k ? 6 : 4, mem, n, n / cpus, cpus, (double)mem / n,
			       k ? sizeof(struct edge_lb_ct6) : sizeof(struct edge_lb_ct4),
			       EDGE_LB_CT_WAYS);
	}
	printf("\n");
	rc = 0;
out:
	edge_dp_close(&dp);
	edge_config_free(&cfg);
	bpf_object__close(pass_obj);
	bpf_object__close(refl_obj);
	bpf_object__close(drop_obj);
	return rc;
}
