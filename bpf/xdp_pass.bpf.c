// SPDX-License-Identifier: GPL-2.0
/*
 * Trivial XDP_PASS program. Tests attach it to the peer of a veth that
 * sends XDP_TX frames (a veth only receives such frames when its peer has
 * an XDP program), and benchmarks use it as the baseline cost.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
