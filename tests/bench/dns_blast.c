// SPDX-License-Identifier: GPL-2.0
/*
 * dns_blast: the traffic generator of the benchmarks over veth: DNS
 * queries (scripts/bench-dns.sh), TCP and UDP flows (scripts/bench-lb.sh).
 *
 *   dns_blast -w DIR -I IFNAME [-p PIN] [-g N] [-R RATE]
 *                        write DIR/bench.yaml (+ geo.csv with N extra
 *                        prefixes; dns.rrl at RATE per /32 when given)
 *   dns_blast -i IFNAME -k KIND [-x [-V BASE] [-n COUNT [-P]]] [-t SEC] [-Q QPS]
 *             [-d DSTMAC]
 *
 * KIND is a, aaaa, nxdomain or geo (A with an ECS option): the same 1000
 * distinct queries per kind as dns_bench (tests/bench/dns_frames.h); or
 * syn, ack, udp: 1000 distinct flows 198.51.100.1:1024+i -> 192.0.2.80:80
 * (TCP SYN or ACK, 20 bytes of payload; UDP to port 9, as long), the ACKs
 * the established flows of the SYNs. Sent for at most SEC seconds (default
 * 3, at most 60), paced to QPS when given, else as fast as they go. Prints
 * `sent N in S s`. Every frame is fresh: nothing on the path sees its own
 * output. -x -V BASE: every packet a new flow, numbered from BASE (see
 * blast.bpf.c). -x -n COUNT: exactly COUNT frames, whatever -t says; with
 * -P a batch every 200 us (none lost on a full veth ring). -x -n COUNT -T:
 * run in the server's namespace on the server's interface: each fresh
 * frame is handed (tail call) to the XDP program attached there, timed by
 * the test run; also prints the mean ns per frame.
 *
 * Default: an AF_PACKET socket, sendmmsg() in batches, bypassing the qdisc;
 * a veth peer with XDP then converts each skb into an XDP frame (a copy a
 * NIC would not make). -x: blast.bpf.c run as a live-frames test run
 * redirects the queries into IFNAME as native XDP frames, NIC-like.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dns_frames.h"
#include "blast.skel.h"

#define BATCH	  64
#define XDP_CHUNK 100000 /* frames in the first -x call */

enum { LK_SYN = FK__COUNT, LK_ACK, LK_UDP, LK__END };

static const char *const kind_names[LK__END] = {"a",	"aaaa", "nxdomain", "geo",
						"syn", "ack",	"udp"};

#define LB_PORTS 64512 /* as blast.bpf.c numbers flows */

static __u16 csum_fold32(__u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static __u32 csum_sum(const unsigned char *b, size_t len, __u32 s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += b[i] << 8 | b[i + 1];
	if (len & 1)
		s += b[len - 1] << 8;
	return s;
}

/*
 * Flow i of the TCP/UDP kinds: 198.51.100.(1 + i / 64512 % 254), port
 * 1024 + i % 64512 -> 192.0.2.80 port 80 (TCP) or 9 (UDP), 74 bytes
 * (Ethernet, IPv4, TCP + 20 bytes or UDP + 32). tmpl: the source host
 * byte and port left 0, checksums to match (the -V template).
 */
static void build_flow(struct frame *f, int kind, __u32 i, int tmpl)
{
	unsigned char *b = f->b, *ip = b + 14, *l4 = ip + 20;
	__u32 host = tmpl ? 0 : 1 + i / LB_PORTS % 254, port = tmpl ? 0 : 1024 + i % LB_PORTS;
	int tcp = kind != LK_UDP;
	size_t l4len = 40, c; /* TCP: 20 + 20 bytes; UDP: 8 + 32 */

	memset(b, 0, 14 + 20 + l4len);
	b[12] = 0x08; /* IPv4 */
	ip[0] = 0x45;
	ip[2] = (20 + l4len) >> 8;
	ip[3] = (20 + l4len) & 0xff;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	memcpy(ip + 12, "\xc6\x33\x64", 3); /* 198.51.100.x */
	ip[15] = host;
	memcpy(ip + 16, "\xc0\x00\x02\x50", 4); /* 192.0.2.80 */
	c = ~csum_fold32(csum_sum(ip, 20, 0)) & 0xffff;
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	l4[0] = port >> 8;
	l4[1] = port & 0xff;
	l4[3] = tcp ? 80 : 9;
	if (tcp) {
		l4[4] = i >> 24; /* seq */
		l4[5] = i >> 16;
		l4[6] = i >> 8;
		l4[7] = i;
		l4[12] = 5 << 4; /* doff */
		l4[13] = kind == LK_SYN ? 0x02 : 0x10;
		l4[14] = 0xff; /* window */
		l4[15] = 0xff;
	} else {
		l4[5] = l4len;
	}
	/* pseudo header: addresses, protocol, length */
	c = csum_sum(ip + 12, 8, ip[9] + l4len);
	c = ~csum_fold32(csum_sum(l4, l4len, c)) & 0xffff;
	if (!tcp && !c && !tmpl)
		c = 0xffff;
	l4[tcp ? 16 : 6] = c >> 8;
	l4[tcp ? 17 : 7] = c & 0xff;
	f->len = 14 + 20 + l4len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (m[i] > 0xff)
			return -1;
		mac[i] = m[i];
	}
	return 0;
}

/*
 * -x: native XDP frames from blast.bpf.c, nframes of them in turn, or every
 * one a new flow from frames[0] (vary, first flow base); exactly count
 * frames when count is not 0 (paced: a batch every 200 us). Returns frames
 * sent or -1.
 */
static long long blast_xdp(const char *ifname, struct frame *frames, __u32 nframes, double secs,
			   int vary, __u32 base, __u32 count, int paced, int tail, double *ns_per_frame)
{
	struct blast_bpf *skel;
	unsigned long long sent = 0;
	__u32 i, ifindex = if_nametoindex(ifname);
	double t0, t, ns = 0;
	int fd, map_fd;

	skel = blast_bpf__open();
	if (!skel || !ifindex) {
		fprintf(stderr, "blast: open or interface %s failed\n", ifname);
		return -1;
	}
	skel->rodata->blast_nframes = nframes;
	skel->rodata->blast_ifindex = ifindex;
	skel->rodata->blast_vary = vary;
	skel->rodata->blast_base = base;
	skel->rodata->blast_tail = tail;
	if (blast_bpf__load(skel)) {
		fprintf(stderr, "blast: load failed\n");
		blast_bpf__destroy(skel);
		return -1;
	}
	map_fd = bpf_map__fd(skel->maps.blast_frames);
	for (i = 0; i < nframes; i++) {
		struct {
			__u32 len;
			__u8 data[256];
		} v = {.len = frames[i].len};

		if (frames[i].len > sizeof(v.data)) {
			fprintf(stderr, "blast: frame %u too long\n", i);
			return -1;
		}
		memcpy(v.data, frames[i].b, frames[i].len);
		if (bpf_map_update_elem(map_fd, &i, &v, 0)) {
			perror("blast: map update");
			return -1;
		}
	}
	if (tail) {
		__u32 id = 0, zero = 0;
		int pfd;

		if (bpf_xdp_query_id(ifindex, 0, &id) || !id) {
			fprintf(stderr, "blast: no XDP program on %s\n", ifname);
			goto fail;
		}
		pfd = bpf_prog_get_fd_by_id(id);
		if (pfd < 0 || bpf_map_update_elem(bpf_map__fd(skel->maps.blast_jump), &zero, &pfd, 0)) {
			fprintf(stderr, "blast: cannot tail-call program %u: %s\n", id, strerror(errno));
			goto fail;
		}
		close(pfd);
	}
	fd = bpf_program__fd(skel->progs.blast_gen);
	/*
	 * Every test run call sets up and tears down a page pool, which costs
	 * milliseconds: so a few long calls, as fast as they go (QPS is not
	 * applied), sized from the rate the first one reached.
	 */
	t0 = now();
	while ((t = now() - t0) < secs || (count && sent < count)) {
		double rate = sent / (t > 0 ? t : 1);
		__u32 chunk = sent ? (__u32)(rate * (secs - t)) + 1 : XDP_CHUNK;
		struct xdp_md md = {.data_end = frames[0].len, .ingress_ifindex = ifindex};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frames[0].b,
			    .data_size_in = frames[0].len, .ctx_in = &md, .ctx_size_in = sizeof(md),
			    .batch_size = BATCH, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		o.repeat = chunk > 50000000 ? 50000000 : chunk;
		if (count) /* the rest in one call; paced: one batch at a time */
			o.repeat = paced && count - sent > BATCH ? BATCH : count - sent;
		if (bpf_prog_test_run_opts(fd, &o)) {
			perror("blast: test run");
			goto fail;
		}
		ns += (double)o.duration * o.repeat;
		sent += o.repeat;
		if (count && sent >= count)
			break;
		if (paced)
			usleep(200);
	}
	blast_bpf__destroy(skel);
	*ns_per_frame = sent ? ns / sent : 0;
	return sent;
fail:
	blast_bpf__destroy(skel);
	return -1;
}

static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -w DIR -I IFNAME [-p PIN] [-g EXTRA_GEO_PREFIXES] [-R RRL_RATE]\n"
		"       %s -i IFNAME -k a|aaaa|nxdomain|geo|syn|ack|udp [-x [-V BASE] [-n COUNT [-P|-T]]]\n"
		"          [-t SEC] [-Q QPS] [-d DSTMAC]\n",
		prog, prog);
	return 2;
}

int main(int argc, char **argv)
{
	static struct frame frames[NFRAMES];
	const char *ifname = NULL, *dir = NULL, *cfg_if = NULL, *pin = NULL;
	unsigned char dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	struct ifreq ifr = {0};
	double secs = 3, qps = 0, t0, t;
	unsigned long long sent = 0;
	int kind = -1, opt, fd, i, one = 1, n, next = 0, xdp = 0, vary = 0;
	__u32 base = 0, count = 0;
	int paced = 0, tail = 0;
	long long xsent;
	double ns_frame = 0;
	char path[600];

	while ((opt = getopt(argc, argv, "w:I:p:i:k:t:Q:d:xg:R:V:n:PT")) != -1) {
		switch (opt) {
		case 'w':
			dir = optarg;
			break;
		case 'I':
			cfg_if = optarg;
			break;
		case 'p':
			pin = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'k':
			for (i = 0; i < LK__END; i++)
				if (!strcmp(optarg, kind_names[i]))
					kind = i;
			if (kind < 0)
				return usage(argv[0]);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'Q':
			qps = atof(optarg);
			break;
		case 'x':
			xdp = 1;
			break;
		case 'P':
			paced = 1;
			break;
		case 'T':
			tail = 1;
			break;
		case 'V':
			vary = 1;
			base = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			if (!count || count > 50000000)
				return usage(argv[0]);
			break;
		case 'g':
			bench_geo_extra = atoi(optarg);
			break;
		case 'R':
			bench_rrl_rate = atoi(optarg);
			break;
		case 'd':
			if (parse_mac(optarg, dst))
				return usage(argv[0]);
			break;
		default:
			return usage(argv[0]);
		}
	}
	if (dir) {
		if (!cfg_if)
			return usage(argv[0]);
		if (write_config(dir, cfg_if, pin, path, sizeof(path))) {
			fprintf(stderr, "writing the config in %s: %s\n", dir, strerror(errno));
			return 1;
		}
		printf("%s\n", path);
		return 0;
	}
	if (!ifname || kind < 0 || !(secs > 0 && secs <= 60) || qps < 0 ||
	    ((vary || count) && !xdp) || (paced && !count) || (tail && (!count || paced)) || (vary && kind != LK_SYN && kind != LK_UDP))
		return usage(argv[0]);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "interface %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	memcpy(src, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = if_nametoindex(ifname);
	sll.sll_protocol = 0; /* send only */
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("bind");
		return 1;
	}
	/* Straight to the driver: the default noqueue would drop on a full ring. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));

	for (i = 0; i < NFRAMES; i++) {
		if (kind < FK__COUNT)
			build_frame(&frames[i], kind, i);
		else
			build_flow(&frames[i], kind, i, vary);
		memcpy(frames[i].b, dst, 6);
		memcpy(frames[i].b + 6, src, 6);
	}
	if (xdp) {
		t0 = now();
		xsent = blast_xdp(ifname, frames, vary ? 1 : NFRAMES, secs, vary, base, count, paced,
				  tail, &ns_frame);
		if (xsent < 0)
			return 1;
		printf("sent %lld in %.2f s", xsent, now() - t0);
		if (tail)
			printf(", %.1f ns per frame", ns_frame);
		printf("\n");
		return 0;
	}
	memset(msgs, 0, sizeof(msgs));
	t0 = now();
	for (;;) {
		t = now() - t0;
		if (t >= secs)
			break;
		if (qps > 0 && sent > qps * t) {
			usleep(50);
			continue;
		}
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = frames[next].b;
			iov[i].iov_len = frames[next].len;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			next = (next + 1) % NFRAMES;
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				next = (next + NFRAMES - BATCH) % NFRAMES;
				continue;
			}
			perror("sendmmsg");
			return 1;
		}
		/* Frames not taken are sent next time. */
		next = (next + NFRAMES - (BATCH - n)) % NFRAMES;
		sent += n;
	}
	printf("sent %llu in %.2f s\n", sent, now() - t0);
	close(fd);
	return 0;
}
