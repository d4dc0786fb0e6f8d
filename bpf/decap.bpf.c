// SPDX-License-Identifier: GPL-2.0
/*
 * Backend-side tunnel decapsulation in XDP, for hosts whose kernel has no
 * ipip / ip6tnl devices (scripts/backend-setup.sh uses those when it can):
 * an IPIP, IPv6-in-IPv4, IP6IP6 or IPv4-in-IPv6 packet loses its outer
 * header and goes up the stack as the client's own packet, to the VIP on
 * lo. Everything else passes untouched. Options and extension headers on
 * the outer header are not ours (anyedge never sends them): passed.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, copy;
	__u8 inner;
	int outer;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl != 5)
			return XDP_PASS;
		inner = ip->protocol;
		outer = sizeof(*ip);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		inner = ip6->nexthdr;
		outer = sizeof(*ip6);
	} else {
		return XDP_PASS;
	}
	if (inner != IPPROTO_IPIP && inner != IPPROTO_IPV6)
		return XDP_PASS;
	copy = *eth;
	copy.h_proto = bpf_htons(inner == IPPROTO_IPIP ? ETH_P_IP : ETH_P_IPV6);
	if (bpf_xdp_adjust_head(ctx, outer))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	*eth = copy;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
