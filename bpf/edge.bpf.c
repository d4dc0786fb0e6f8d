// SPDX-License-Identifier: GPL-2.0
/*
 * anyedge XDP entry point: dispatch only. Read top to bottom to see where a
 * packet goes; each step lives in its own header.
 *
 *   parse L2 (VLANs) -> parse L3 -> destination a VIP?
 *     no  -> XDP_PASS (not_vip)
 *     service VIP (TCP, UDP, ICMP errors) -> bpf/lb.h: Maglev + conntrack,
 *         encapsulated to a backend (XDP_TX / redirect), counted per service
 *     (every other packet to a VIP is counted per VIP: edge_vip_stats)
 *     UDP/53 to a DNS VIP -> answer in place, XDP_TX (or pass to fallback)
 *     anything else to a VIP -> XDP_PASS, counted by reason
 *
 * Every packet leaves through edge_verdict(), which counts the verdict
 * and its reason.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "maps.h"
#include "parsing.h"
#include "stats.h"
#include "tables.h"
#include "dns.h"
#include "lb.h"

/* Verdict policy per reason: what happens to a packet we did not answer. */
static __always_inline int edge_action(int reason)
{
	if (edge_dns_replied(reason))
		return XDP_TX;
	switch (reason) {
	case EDGE_R_dns_xdp_error:
		return XDP_DROP; /* the frame may be half-rewritten */
	case EDGE_R_dns_rrl_drop:
		return XDP_DROP; /* rate-limited, not slipped */
	case EDGE_R_lb_tx:
		return XDP_TX;
	case EDGE_R_lb_redirect:
		return XDP_REDIRECT; /* bpf_redirect() named the interface */
	case EDGE_R_lb_fragment_drop:
	case EDGE_R_lb_options_drop:
		return XDP_DROP;
	default:
		return XDP_PASS; /* the kernel stack (or a fallback) decides */
	}
}

/*
 * Per-VIP packets, per CPU (no atomics): every packet to a VIP that the load
 * balancer did not forward (those are in edge_lb_svc_stats), so a VIP's
 * traffic is this plus its services' packets, each packet counted once.
 * A global function called at the one exit (verifier: inlined, or called
 * before the DNS stage, it pushed edge_xdp past the 1M-instruction limit:
 * every path through the DNS stage was explored once more; this way 429k).
 */
__noinline int edge_vip_count(__u32 id, __u64 bytes)
{
	struct edge_vip_counters *c = bpf_map_lookup_elem(&edge_vip_stats, &id);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
	return 0;
}

static __always_inline int edge_vip_path(struct xdp_md *ctx, struct edge_pkt *p,
					 const struct edge_vip *vip)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp;

	if (p->ip_flags & EDGE_IPF_FRAGMENT)
		return EDGE_R_ip_fragment;
	if (p->ip_flags & EDGE_IPF_OPTIONS)
		return EDGE_R_ip_options;
	if (p->ip_flags & EDGE_IPF_EXTHDR)
		return EDGE_R_ip6_ext_header;

	if (p->l4_proto == IPPROTO_UDP && (vip->flags & EDGE_VIP_F_DNS)) {
		udp = edge_pkt_ptr(ctx, p->l4_off);
		if ((void *)(udp + 1) > data_end)
			return EDGE_R_l4_truncated;
		if (udp->dest == bpf_htons(DNS_PORT))
			return edge_dns_answer(ctx, p);
	}
	if (p->l4_proto == IPPROTO_TCP)
		return EDGE_R_vip_tcp;
	return EDGE_R_vip_other_proto;
}

SEC("xdp")
int edge_xdp(struct xdp_md *ctx)
{
	__u64 bytes = ctx->data_end - ctx->data;
	struct edge_pkt p = {};
	struct edge_vip *vip;
	__u32 vip_id = EDGE_MAX_VIPS; /* none: not a VIP */
	int r;

	r = parse_eth(ctx, &p);
	if (r != EDGE_CONTINUE)
		goto out;
	r = parse_ip(ctx, &p);
	if (r != EDGE_CONTINUE)
		goto out;
	if (dns_bench_stop(1)) { /* bench only: compiled out of the real program */
		r = EDGE_R_dns_unsupported;
		goto out;
	}
	vip = edge_vip_find(&p.dst);
	if (!vip) {
		r = EDGE_R_not_vip;
		goto out;
	}
	vip_id = vip->vip_id;
	if (vip->flags & EDGE_VIP_F_LB) {
		r = edge_lb_path(ctx, &p);
		if (r != EDGE_CONTINUE)
			goto out;
	}
	r = edge_vip_path(ctx, &p, vip);
out:
	if (dns_bench_stop(14)) /* bench only: the whole path without the counters */
		return edge_action(r);
	if (vip_id < EDGE_MAX_VIPS && r != EDGE_R_lb_tx && r != EDGE_R_lb_redirect)
		edge_vip_count(vip_id, bytes); /* forwarded ones: per service */
	return edge_verdict(edge_action(r), r, bytes, p.events);
}

char LICENSE[] SEC("license") = "GPL";
