/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF_PROG_TEST_RUN benches (dns_bench, lb_bench) share: one
 * timed run of a frame, and percentiles of the kernel-measured times.
 */
#ifndef ANYEDGE_BENCH_TESTRUN_H
#define ANYEDGE_BENCH_TESTRUN_H

#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/types.h>

/*
 * Run prog_fd once (repeat = 1) on the frame; *ns = the kernel's duration.
 * ifindex != 0: live frames on that ingress device (XDP_TX really sends, no
 * output copy); else a plain run whose output lands in out. 0 or -errno.
 */
static inline int bench_run_once(int prog_fd, const void *frame, __u32 len, int ifindex,
				 void *out, __u32 out_len, __u64 *ns)
{
	struct xdp_md md = {.data_end = len, .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .data_out = out, .data_size_out = out_len, .repeat = 1);

	if (ifindex) {
		o.data_out = NULL;
		o.data_size_out = 0;
		o.ctx_in = &md;
		o.ctx_size_in = sizeof(md);
		o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	}
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	*ns = o.duration;
	return 0;
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Percentile pct (1..99; 50: the median) of v[0..n-1], n > 0; sorts v. */
static inline __u64 bench_percentile(__u64 *v, size_t n, int pct)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	return v[(n - 1) * pct / 100];
}

#endif
