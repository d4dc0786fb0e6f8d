/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header parsing: Ethernet, up to two VLAN tags, IPv4, IPv6, then UDP/TCP.
 * Every bounds check has the `if (hdr + 1 > data_end)` form; offsets are
 * kept in struct edge_pkt so that callers can re-derive pointers after
 * bpf_xdp_adjust_tail().
 */
#ifndef EDGE_PARSING_H
#define EDGE_PARSING_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"

#define EDGE_MAX_VLANS 2

/* Returned by parsers when the packet continues down the path. */
#define EDGE_CONTINUE (-1)

/* Offsets are masked with this when re-derived (see edge_pkt_ptr()). */
#define EDGE_OFF_MASK 0xff

struct edge_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct edge_pkt {
	__u32 l3_off;		/* from data: IP header */
	__u32 l4_off;		/* from data: UDP/TCP header */
	__u32 l4_len;		/* IP payload length (from the IP header) */
	__u16 l3_proto;		/* ETH_P_IP or ETH_P_IPV6, host order */
	__u8 l4_proto;		/* IPPROTO_* */
	__u8 ip_flags;		/* EDGE_IPF_* */
	struct edge_vip_key dst __attribute__((aligned(8))); /* read as 64-bit words */
	__u32 events;		/* 1 << enum edge_event: counted at the exit */
};

enum {
	EDGE_IPF_OPTIONS = 1 << 0,	/* IPv4 header longer than 20 bytes */
	EDGE_IPF_FRAGMENT = 1 << 1,	/* IPv4 MF/offset or IPv6 fragment header */
	EDGE_IPF_EXTHDR = 1 << 2,	/* IPv6 extension header before L4 */
};

/* Two 32-bit words (in memory order) into *dst with one 64-bit store. */
static __always_inline void edge_store64(__be32 *dst, __be32 first, __be32 second)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	*(__u64 *)dst = (__u64)second << 32 | first;
#else
	*(__u64 *)dst = (__u64)first << 32 | second;
#endif
}

/* Eight bytes of a packet (any alignment: the verifier allows it) with one load and one store. */
static __always_inline void edge_copy64(__be32 *dst, const __be32 *src)
{
	*(__u64 *)dst = *(const __u64 *)src;
}

/*
 * Re-derive a pointer from a saved offset. The mask bounds the offset for
 * the verifier (all our header offsets are below 256); callers still check
 * the end against data_end.
 */
static __always_inline void *edge_pkt_ptr(struct xdp_md *ctx, __u32 off)
{
	return (void *)(long)ctx->data + (off & EDGE_OFF_MASK);
}

static __always_inline int parse_eth(struct xdp_md *ctx, struct edge_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct edge_vlan_hdr *vh;
	__u16 proto;
	__u32 off;
	int i;

	if ((void *)(eth + 1) > data_end)
		return EDGE_R_l2_truncated;
	proto = bpf_ntohs(eth->h_proto);
	off = sizeof(*eth);
#pragma unroll
	for (i = 0; i < EDGE_MAX_VLANS; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return EDGE_R_l2_truncated;
		proto = bpf_ntohs(vh->encap_proto);
		off += sizeof(*vh);
	}
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		return EDGE_R_vlan_too_deep;
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return EDGE_R_not_ip;
	p->l3_proto = proto;
	p->l3_off = off;
	return EDGE_CONTINUE;
}

/* IP header: addresses and protocol; options/fragments only flagged here. */
static __always_inline int parse_ip(struct xdp_md *ctx, struct edge_pkt *p)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *l3 = edge_pkt_ptr(ctx, p->l3_off);

	if (p->l3_proto == ETH_P_IP) {
		struct iphdr *ip = l3;
		__u32 ihl, tot;

		if ((void *)(ip + 1) > data_end)
			return EDGE_R_ip_truncated;
		ihl = ip->ihl * 4;
		tot = bpf_ntohs(ip->tot_len);
		if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl ||
		    l3 + tot > data_end)
			return EDGE_R_ip_truncated;
		if (ihl != sizeof(*ip))
			p->ip_flags |= EDGE_IPF_OPTIONS;
		if (ip->frag_off & bpf_htons(0x3fff)) /* MF or offset */
			p->ip_flags |= EDGE_IPF_FRAGMENT;
		/*
		 * ::ffff:a.b.c.d as two 64-bit stores: edge_vip_hash() reads
		 * the key back as 64-bit words right away, and a load that
		 * spans two narrower stores cannot be forwarded from them (a
		 * stall of ~15 cycles per packet, measured).
		 */
		edge_store64(&p->dst.addr[0], 0, 0);
		edge_store64(&p->dst.addr[2], bpf_htonl(0xffff), ip->daddr);
		p->l4_proto = ip->protocol;
		p->l4_off = p->l3_off + ihl;
		p->l4_len = tot - ihl;
		return EDGE_CONTINUE;
	} else {
		struct ipv6hdr *ip6 = l3;
		__u32 plen;

		if ((void *)(ip6 + 1) > data_end)
			return EDGE_R_ip_truncated;
		plen = bpf_ntohs(ip6->payload_len);
		if (ip6->version != 6 || (void *)(ip6 + 1) + plen > data_end)
			return EDGE_R_ip_truncated;
		edge_copy64(&p->dst.addr[0], &ip6->daddr.in6_u.u6_addr32[0]);
		edge_copy64(&p->dst.addr[2], &ip6->daddr.in6_u.u6_addr32[2]);
		p->l4_proto = ip6->nexthdr;
		if (ip6->nexthdr == IPPROTO_FRAGMENT)
			p->ip_flags |= EDGE_IPF_FRAGMENT;
		else if (ip6->nexthdr == IPPROTO_HOPOPTS || ip6->nexthdr == IPPROTO_ROUTING ||
			 ip6->nexthdr == IPPROTO_DSTOPTS || ip6->nexthdr == IPPROTO_AH ||
			 ip6->nexthdr == IPPROTO_MH)
			p->ip_flags |= EDGE_IPF_EXTHDR;
		p->l4_off = p->l3_off + sizeof(*ip6);
		p->l4_len = plen;
		return EDGE_CONTINUE;
	}
}

#endif /* EDGE_PARSING_H */
