// SPDX-License-Identifier: GPL-2.0
/*
 * dns_blast: a small DNS query generator for benchmarks over veth.
 *
 *   dns_blast -w DIR -I IFNAME [-p PIN] [-g N] [-R RATE]
 *                        write DIR/bench.yaml (+ geo.csv with N extra
 *                        prefixes; dns.rrl at RATE per /32 when given)
 *   dns_blast -i IFNAME -k KIND [-x] [-t SEC] [-Q QPS] [-d DSTMAC]
 *
 * KIND is a, aaaa, nxdomain or geo (A with an ECS option): the same 1000
 * distinct queries per kind as dns_bench (tests/bench/dns_frames.h), sent
 * for at most SEC seconds (default 3, at most 60), paced to QPS when given,
 * else as fast as they go. Prints `sent N in S s`. Every frame is a fresh
 * query: nothing on the path sees its own output.
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

static const char *const kind_names[FK__COUNT] = {"a", "aaaa", "nxdomain", "geo"};

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

/* -x: native XDP frames from blast.bpf.c. Returns frames sent or -1. */
static long long blast_xdp(const char *ifname, struct frame *frames, double secs, double qps)
{
	struct blast_bpf *skel;
	unsigned long long sent = 0;
	__u32 i, ifindex = if_nametoindex(ifname);
	double t0, t;
	int fd, map_fd;

	skel = blast_bpf__open();
	if (!skel || !ifindex) {
		fprintf(stderr, "blast: open or interface %s failed\n", ifname);
		return -1;
	}
	skel->rodata->blast_nframes = NFRAMES;
	skel->rodata->blast_ifindex = ifindex;
	if (blast_bpf__load(skel)) {
		fprintf(stderr, "blast: load failed\n");
		blast_bpf__destroy(skel);
		return -1;
	}
	map_fd = bpf_map__fd(skel->maps.blast_frames);
	for (i = 0; i < NFRAMES; i++) {
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
	fd = bpf_program__fd(skel->progs.blast_gen);
	/*
	 * Every test run call sets up and tears down a page pool, which costs
	 * milliseconds: so a few long calls, as fast as they go (QPS is not
	 * applied), sized from the rate the first one reached.
	 */
	t0 = now();
	while ((t = now() - t0) < secs) {
		double rate = sent / (t > 0 ? t : 1);
		__u32 chunk = sent ? (__u32)(rate * (secs - t)) + 1 : XDP_CHUNK;
		struct xdp_md md = {.data_end = frames[0].len, .ingress_ifindex = ifindex};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frames[0].b,
			    .data_size_in = frames[0].len, .ctx_in = &md, .ctx_size_in = sizeof(md),
			    .batch_size = BATCH, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		(void)qps;
		o.repeat = chunk > 50000000 ? 50000000 : chunk;
		if (bpf_prog_test_run_opts(fd, &o)) {
			perror("blast: test run");
			blast_bpf__destroy(skel);
			return -1;
		}
		sent += o.repeat;
	}
	blast_bpf__destroy(skel);
	return sent;
}

static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -w DIR -I IFNAME [-p PIN] [-g EXTRA_GEO_PREFIXES] [-R RRL_RATE]\n"
		"       %s -i IFNAME -k a|aaaa|nxdomain|geo [-x] [-t SEC] [-Q QPS] [-d DSTMAC]\n",
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
	int kind = -1, opt, fd, i, one = 1, n, next = 0, xdp = 0;
	long long xsent;
	char path[600];

	while ((opt = getopt(argc, argv, "w:I:p:i:k:t:Q:d:xg:R:")) != -1) {
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
			for (i = 0; i < FK__COUNT; i++)
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
	if (!ifname || kind < 0 || !(secs > 0 && secs <= 60) || qps < 0)
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
		build_frame(&frames[i], kind, i);
		memcpy(frames[i].b, dst, 6);
		memcpy(frames[i].b + 6, src, 6);
	}
	if (xdp) {
		t0 = now();
		xsent = blast_xdp(ifname, frames, secs, qps);
		if (xsent < 0)
			return 1;
		printf("sent %lld in %.2f s\n", xsent, now() - t0);
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
