/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS response rate limiting (RRL): an anycast DNS address is a reflection
 * target, so replies to one client prefix are limited to a rate with a
 * burst; past it, every slip-th reply goes out truncated (TC=1, no
 * records: a real resolver retries over TCP, a spoofed victim gets
 * nothing bigger than the query) and the others are dropped.
 *
 * GCRA: one timestamp per prefix, the theoretical arrival time (TAT). A
 * reply is allowed while TAT - now <= burst_ns, and then moves TAT on by
 * the interval (1 s / rate). The prefix is the packet's source address
 * (the reflection victim), never the EDNS Client Subnet.
 */
#ifndef EDGE_RRL_H
#define EDGE_RRL_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "maps.h"
#include "parsing.h"

/*
 * Tests only: when not zero, the RRL clock instead of bpf_ktime_get_ns().
 * The daemon never sets it.
 */
volatile __u64 edge_dns_test_now_ns;

enum { DNS_RRL_OK, DNS_RRL_SLIP, DNS_RRL_DROP };

/* Mask len bytes of a to plen bits. */
static __always_inline void rrl_mask(__u8 *a, __u32 len, __u32 plen)
{
	__u32 i;

#pragma unroll
	for (i = 0; i < 16; i++) {
		if (i >= len)
			break;
		if (plen >= 8 * (i + 1))
			continue;
		a[i] &= plen > 8 * i ? (__u8)(0xff00 >> (plen - 8 * i)) : 0;
	}
}

/*
 * May this reply go out? DNS_RRL_OK, DNS_RRL_SLIP or DNS_RRL_DROP. A
 * global function: its key and state stay off the caller's stack (the
 * combined stack of the DNS path is near the 512-byte limit).
 */
__noinline int edge_dns_rrl_check(struct xdp_md *ctx, const struct edge_pkt *p)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct edge_dns_rrl_key k = {};
	struct edge_dns_rrl_config *c;
	struct edge_dns_rrl_state *st, fresh = {};
	__u64 now, tat, old, n;
	__u32 zero = 0;
	int i;

	if (!p)
		return DNS_RRL_OK;
	c = bpf_map_lookup_elem(&edge_dns_rrl_cfg, &zero);
	if (!c || !c->interval_ns)
		return DNS_RRL_OK;
	if (p->l3_proto == ETH_P_IP) {
		struct iphdr *ip = edge_pkt_ptr(ctx, p->l3_off);

		if ((void *)(ip + 1) > data_end)
			return DNS_RRL_OK;
		k.family = 4;
		__builtin_memcpy(k.addr, &ip->saddr, 4);
		rrl_mask(k.addr, 4, c->prefix4);
	} else {
		struct ipv6hdr *ip6 = edge_pkt_ptr(ctx, p->l3_off);

		if ((void *)(ip6 + 1) > data_end)
			return DNS_RRL_OK;
		k.family = 6;
		__builtin_memcpy(k.addr, &ip6->saddr, 16);
		rrl_mask(k.addr, 16, c->prefix6);
	}
	/*
	 * The coarse clock (jiffies resolution, a few ms) is cheaper to read
	 * than bpf_ktime_get_ns() and enough for rates up to ~1000/s; above,
	 * the limit still holds on average (bursts within one tick).
	 */
	now = edge_dns_test_now_ns;
	if (!now)
		now = bpf_ktime_get_coarse_ns();

	st = bpf_map_lookup_elem(&edge_dns_rrl, &k);
	if (!st) {
		/* First reply to this prefix (or it aged out of the LRU). */
		fresh.tat = now + c->interval_ns;
		bpf_map_update_elem(&edge_dns_rrl, &k, &fresh, BPF_ANY);
		return DNS_RRL_OK;
	}
	/*
	 * Other CPUs update the same entry: compare-and-swap the TAT, and
	 * take a second look if another CPU moved it meanwhile.
	 */
	for (i = 0; i < 2; i++) {
		old = st->tat;
		tat = old > now ? old : now;
		if (tat - now > c->burst_ns)
			break;
		if (__sync_val_compare_and_swap(&st->tat, old, tat + c->interval_ns) == old) {
			if (st->limited)
				st->limited = 0; /* the slip counts limited replies in a row */
			return DNS_RRL_OK;
		}
	}
	if (i == 2)
		return DNS_RRL_OK; /* lost twice to other CPUs: let this one go */
	n = __sync_fetch_and_add(&st->limited, 1) + 1;
	if (c->slip && n % c->slip == 0)
		return DNS_RRL_SLIP;
	return DNS_RRL_DROP;
}

#endif /* EDGE_RRL_H */
