// SPDX-License-Identifier: GPL-2.0
/*
 * Trivial XDP_DROP program: the baseline of live-frames benchmarks (an
 * XDP_PASS there would build an skb and run the stack inside the timing).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
