/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The load balancer: TCP and non-DNS UDP to a service VIP go to one of
 * the service's backends, in an IPIP / IP6IP6 / IPv4-in-IPv6 tunnel; the
 * backend answers the client directly (DSR).
 *
 *   service = (VIP, proto, dport), else (VIP, proto, any port)
 *   conntrack hit, backend up, same generation -> that backend
 *   else: SipHash-2-4(seed, 5-tuple) -> Maglev table -> backend,
 *         remembered unless RST (or the new-flow guard says no)
 *   TCP SYN always takes the table; a non-SYN miss is counted
 *   encap -> bpf_fib_lookup (next hop MAC, MTU) -> XDP_TX / redirect
 *
 * ICMP errors to a VIP (frag needed, packet too big, unreachable) that
 * quote a service flow go to that flow's backend, so PMTU discovery
 * works for the backend that sent the too-big packet.
 */
#ifndef EDGE_LB_H
#define EDGE_LB_H

#include <linux/bpf.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "edge_lb.h"
#include "csum.h"
#include "lb_maps.h"
#include "parsing.h"

#define LB_AF_INET6 10 /* AF_INET6 for bpf_fib_lookup */
#define LB_AF_INET  2
#define LB_TTL	    64
#define LB_SEC_NS   1000000000ull

/*
 * Tests only: when not zero, the clock of the conntrack (UDP ageing, the
 * new-flow guard) instead of bpf_ktime_get_ns(). The daemon never sets it.
 */
volatile __u64 edge_lb_test_now_ns;

/*
 * Bench only (build/lb_bench -a): when not zero, edge_lb_flow() stops at
 * that stage (LB_STAGE) and drops the packet (a drop costs the same in
 * both of the bench's modes; a pass would build an skb in live-frames
 * mode), so the cost of each stage can be read by difference. The daemon
 * never sets it; it costs a load and a compare per stage.
 */
volatile __u32 edge_lb_bench_stop;

#define LB_STAGE(n)                                    \
	do {                                           \
		if (edge_lb_bench_stop == (n))         \
			return EDGE_R_lb_fragment_drop; \
	} while (0)

/* What the lookup decided, handed to the encap stage. */
struct lb_choice {
	struct edge_lb_backend be;
	__u32 be_id;
	__u32 svc_id;
	__u32 hash; /* outer source bits / IPv6 flow label */
	__u32 ev;   /* counters to bump: LB_EV(), LB_EV_SVC() */
	__u64 now;
};

/* The conntrack key of either family (edge_lb_ct4 / edge_lb_ct6). */
union lb_key {
	struct edge_lb_flow_key4 k4;
	struct edge_lb_flow_key k6;
};

/* Coarse (jiffy-grained) is plenty for ageing and costs a memory read. */
static __always_inline __u64 lb_now(void)
{
	__u64 t = edge_lb_test_now_ns;

	return t ? t : bpf_ktime_get_coarse_ns();
}

static __always_inline __u64 lb_rotl(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define LB_SIPROUND                   \
	do {                          \
		v0 += v1;             \
		v1 = lb_rotl(v1, 13); \
		v1 ^= v0;             \
		v0 = lb_rotl(v0, 32); \
		v2 += v3;             \
		v3 = lb_rotl(v3, 16); \
		v3 ^= v2;             \
		v0 += v3;             \
		v3 = lb_rotl(v3, 21); \
		v3 ^= v0;             \
		v2 += v1;             \
		v1 = lb_rotl(v1, 17); \
		v1 ^= v2;             \
		v2 = lb_rotl(v2, 32); \
	} while (0)

/*
 * SipHash-2-4 of n 64-bit words (n * 8 bytes, little-endian loads: the
 * same value as edge_siphash24() over the same bytes in userspace).
 */
static __always_inline __u64 lb_siphash(const struct edge_lb_config *c, const __u64 *w, int n)
{
	__u64 v0 = c->k0 ^ 0x736f6d6570736575ull;
	__u64 v1 = c->k1 ^ 0x646f72616e646f6dull;
	__u64 v2 = c->k0 ^ 0x6c7967656e657261ull;
	__u64 v3 = c->k1 ^ 0x7465646279746573ull;
	__u64 b = (__u64)(n * 8) << 56;
	int i;

#pragma unroll
	for (i = 0; i < 5; i++) {
		if (i >= n)
			break;
		v3 ^= w[i];
		LB_SIPROUND;
		LB_SIPROUND;
		v0 ^= w[i];
	}
	v3 ^= b;
	LB_SIPROUND;
	LB_SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	LB_SIPROUND;
	LB_SIPROUND;
	LB_SIPROUND;
	LB_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The flow hash. IPv4 hashes the 16 bytes of struct edge_lb_flow_key4
 * (saddr daddr sport dport proto 0 0 0), IPv6 the 40 of edge_lb_flow_key.
 */
static __always_inline __u64 lb_flow_hash(const struct edge_lb_config *c, const union lb_key *k,
					  int v6)
{
	if (v6)
		return lb_siphash(c, (const __u64 *)&k->k6, 5);
	return lb_siphash(c, (const __u64 *)&k->k4, 2);
}

enum {
#define EDGE_X_ENUM(n) LB_C_##n,
	EDGE_LB_COUNTERS(EDGE_X_ENUM)
#undef EDGE_X_ENUM
};

/* An event for the service and the backend (when chosen), or the service only. */
#define LB_EV(n)     (1u << LB_C_##n)
#define LB_EV_SVC(n) (1u << (16 + LB_C_##n))

static __always_inline void lb_add(void *map, __u32 id, __u32 ev, __u64 bytes)
{
	struct edge_lb_counters *s = bpf_map_lookup_elem(map, &id);
	__u64 *f = (__u64 *)s; /* a dense __u64 array (asserted in edge_lb.h) */
	int i;

	if (!s)
		return;
	if (bytes) {
		s->packets++;
		s->bytes += bytes;
	}
	if (!ev)
		return;
#pragma unroll
	for (i = LB_C_new_flows; i < EDGE_LB_NCOUNTERS; i++)
		if (ev & (1u << i))
			f[i]++;
}

/*
 * Count a packet's events (ch->ev) and, when forwarded (bytes), the packet
 * itself: one lookup per counter map, whatever the number of events.
 */
static __always_inline void lb_tally(const struct lb_choice *ch, __u64 bytes)
{
	__u32 ev = ch->ev;

	if (!ev && !bytes)
		return;
	lb_add(&edge_lb_svc_stats, ch->svc_id, (ev | ev >> 16) & 0xffff, bytes);
	if (ch->be_id < EDGE_LB_MAX_BACKENDS)
		lb_add(&edge_lb_be_stats, ch->be_id, ev & 0xffff, bytes);
}

/* The new-flow guard (GCRA, one second of burst): may this CPU insert? */
static __always_inline int lb_guard_allows(const struct edge_lb_config *c, __u64 now)
{
	__u32 zero = 0;
	__u64 *tat;

	if (!c->new_flow_ns)
		return 1;
	tat = bpf_map_lookup_elem(&edge_lb_guard, &zero);
	if (!tat)
		return 1;
	if (*tat > now + LB_SEC_NS)
		return 0;
	*tat = (*tat > now ? *tat : now) + c->new_flow_ns;
	return 1;
}

/*
 * The kernel's struct bpf_map, for max_entries only (CO-RE: the offset is
 * the running kernel's; fields of a map are readable since 5.10).
 */
struct bpf_map___lb {
	__u32 max_entries;
} __attribute__((preserve_access_index));

/*
 * Table lookup: the backend for hash h, into ch. 0 or an EDGE_R_lb_* reason.
 * M is the inner map's size minus slot 0, read from the map itself rather
 * than from slot 0: one lookup (an indirect call: the inner map is not
 * known to the verifier) instead of two, and still one table, never a mix.
 * A table with nobody up holds EDGE_LB_NO_BACKEND in every slot.
 */
static __always_inline int lb_pick(struct lb_choice *ch, __u64 h)
{
	__u32 slot, id, m, *v;
	struct edge_lb_backend *be;
	void *table;

	table = bpf_map_lookup_elem(&edge_lb_tables, &ch->svc_id);
	if (!table)
		return EDGE_R_lb_no_backend;
	m = ((struct bpf_map___lb *)table)->max_entries - 1;
	if (!m)
		return EDGE_R_lb_no_backend;
	slot = 1 + (__u32)(h >> 32) % m;
	v = bpf_map_lookup_elem(table, &slot);
	if (!v)
		return EDGE_R_lb_no_backend;
	id = *v;
	be = bpf_map_lookup_elem(&edge_lb_backends, &id);
	if (!be || be->state != EDGE_LB_BE_UP)
		return EDGE_R_lb_no_backend;
	ch->be = *be;
	ch->be_id = id;
	ch->hash = (__u32)h;
	return 0;
}

/*
 * A remembered backend, if still usable: 1 yes, 0 no (down, removed).
 * With svc_known 0 the backend names the service: a removed or changed
 * service frees its backends, so a live backend's service is current.
 */
static __always_inline int lb_conn_backend(struct lb_choice *ch, const struct edge_lb_conn *ct,
					   int svc_known)
{
	__u32 id = ct->backend;
	struct edge_lb_backend *be;

	be = bpf_map_lookup_elem(&edge_lb_backends, &id);
	if (!be || be->gen != ct->gen || be->state != EDGE_LB_BE_UP)
		return 0;
	if (svc_known && be->svc != ch->svc_id)
		return 0;
	ch->svc_id = be->svc;
	ch->be = *be;
	ch->be_id = id;
	ch->hash = ct->hash;
	return 1;
}

/*
 * Set by the loader: sets per CPU of each family's conntrack
 * (lb.conntrack_size / conntrack6_size over EDGE_LB_CT_WAYS) and the
 * number of possible CPUs (the tables hold sets * cpus).
 */
const volatile __u32 edge_lb_ct4_sets = EDGE_LB_CT4_MIN / EDGE_LB_CT_WAYS;
const volatile __u32 edge_lb_ct6_sets = EDGE_LB_CT6_MIN / EDGE_LB_CT_WAYS;
const volatile __u32 edge_lb_ct_cpus = 1;

/*
 * A set of either family. Two pointers, the other one NULL, rather than a
 * void * that each use casts by family: the verifier does not always tie
 * a later test of v6 to the one that chose the map, and then walks a
 * 128-byte IPv4 set as a 256-byte IPv6 one. With two pointers the
 * mismatched path sees NULL.
 */
struct lb_ct_set {
	struct edge_lb_ct4_set *s4;
	struct edge_lb_ct6_set *s6;
};

/* A flow's place in the conntrack. */
struct lb_ct {
	struct lb_ct_set set; /* its set in this CPU's part (NULL if none) */
	__u32 slot;	      /* the set's number within a CPU's part */
	__u32 cpu;
};

/* Set number slot of CPU cpu's part. */
static __always_inline void lb_ct_get(struct lb_ct_set *s, __u32 cpu, __u32 slot, int v6)
{
	__u32 idx;

	s->s4 = NULL;
	s->s6 = NULL;
	if (v6) {
		idx = cpu * edge_lb_ct6_sets + slot;
		s->s6 = bpf_map_lookup_elem(&edge_lb_ct6, &idx);
	} else {
		idx = cpu * edge_lb_ct4_sets + slot;
		s->s4 = bpf_map_lookup_elem(&edge_lb_ct4, &idx);
	}
}

static __always_inline void lb_ct_open(struct lb_ct *t, const struct edge_lb_config *c,
				       const union lb_key *k, int v6)
{
	if (v6)
		t->slot = edge_lb_ct_set(edge_lb_ct_hash((const __u64 *)&k->k6, 5, c->ct_k0, c->ct_k1),
					 edge_lb_ct6_sets);
	else
		t->slot = edge_lb_ct_set(edge_lb_ct_hash((const __u64 *)&k->k4, 2, c->ct_k0, c->ct_k1),
					 edge_lb_ct4_sets);
	t->cpu = bpf_get_smp_processor_id();
	lb_ct_get(&t->set, t->cpu, t->slot, v6);
}

static __always_inline int lb_key6_eq(const __u64 *w, const __u64 *kw)
{
	return !((w[0] ^ kw[0]) | (w[1] ^ kw[1]) | (w[2] ^ kw[2]) | (w[3] ^ kw[3]) |
		 (w[4] ^ kw[4]));
}

/*
 * The entry of flow k in set s, or NULL: the whole key compared, as
 * 64-bit words (the key's padding is zero in both), so a lookup never
 * returns another flow's backend. An empty way (proto 0) matches nothing.
 */
static __always_inline struct edge_lb_conn *lb_ct_find(const struct lb_ct_set *s,
							const union lb_key *k, int v6)
{
	const __u64 *kw = (const __u64 *)k, *w;
	int i;

	if (v6) {
		if (!s->s6)
			return NULL;
#pragma unroll
		for (i = 0; i < EDGE_LB_CT_WAYS; i++) {
			w = (const __u64 *)&s->s6->way[i].key;
			if (lb_key6_eq(w, kw))
				return &s->s6->way[i].conn;
		}
		return NULL;
	}
	if (!s->s4)
		return NULL;
#pragma unroll
	for (i = 0; i < EDGE_LB_CT_WAYS; i++) {
		w = (const __u64 *)&s->s4->way[i].key;
		if (w[0] == kw[0] && w[1] == kw[1])
			return &s->s4->way[i].conn;
	}
	return NULL;
}

/*
 * The way of set s that flow k gets: its own entry, else an empty way,
 * else a UDP entry past its timeout, else the least recently used one
 * (*live then says a live entry is evicted). -1: no set.
 */
static __always_inline int lb_ct_victim(const struct lb_ct_set *s, const union lb_key *k, int v6,
					const struct edge_lb_config *c, __u64 now, int *live)
{
	const __u64 *kw = (const __u64 *)k, *w;
	const struct edge_lb_conn *ct;
	int i, best = 0, rank, best_rank = 4; /* 1 empty, 2 aged out, 3 live */
	__u64 oldest = ~0ull;
	__u8 proto;

	*live = 0;
	if (v6 ? !s->s6 : !s->s4)
		return -1;
#pragma unroll
	for (i = 0; i < EDGE_LB_CT_WAYS; i++) {
		if (v6) {
			if (!s->s6)
				return -1;
			w = (const __u64 *)&s->s6->way[i].key;
			if (lb_key6_eq(w, kw))
				return i;
			proto = s->s6->way[i].key.proto;
			ct = &s->s6->way[i].conn;
		} else {
			if (!s->s4)
				return -1;
			w = (const __u64 *)&s->s4->way[i].key;
			if (w[0] == kw[0] && w[1] == kw[1])
				return i;
			proto = s->s4->way[i].key.proto;
			ct = &s->s4->way[i].conn;
		}
		if (!proto)
			rank = 1;
		else if (proto == IPPROTO_UDP && now - ct->seen_ns > c->udp_timeout_ns)
			rank = 2;
		else
			rank = 3;
		if (rank < best_rank || (rank == 3 && ct->seen_ns < oldest)) {
			best = i;
			best_rank = rank;
			oldest = ct->seen_ns;
		}
	}
	*live = best_rank == 3;
	return best;
}

/*
 * Write flow k's entry into way `way` of set s. The key first, then the
 * conn: another CPU reading this way (lb_ct_moved()) checks the key again
 * after the conn, so it never takes a conn under a key it does not belong
 * to (stores and loads are not reordered on x86; elsewhere the backend's
 * generation check bounds what a torn read can do).
 */
static __always_inline void lb_ct_write(const struct lb_ct_set *s, int way, const union lb_key *k,
					int v6, const struct edge_lb_conn *ct)
{
	way &= EDGE_LB_CT_WAYS - 1;
	if (v6) {
		struct edge_lb_ct6 *e;

		if (!s->s6)
			return;
		e = &s->s6->way[way];
		e->key = k->k6;
		asm volatile("" ::: "memory"); /* the compiler keeps the order too */
		e->conn = *ct;
	} else {
		struct edge_lb_ct4 *e;

		if (!s->s4)
			return;
		e = &s->s4->way[way];
		e->key = k->k4;
		asm volatile("" ::: "memory");
		e->conn = *ct;
	}
}

/*
 * A flow this CPU has no entry for may have one on another CPU: RSS moved
 * it (a changed indirection table, an IRQ moved), veth ran its XDP on the
 * sending CPU, an ICMP error hashed to another queue. lb_ct_moved()
 * searches the same set of every other CPU's part: 1 + the CPU that has
 * it, or 0. Only for TCP non-SYN misses and ICMP errors (rare), never per
 * packet. bpf_loop() (5.17): the verifier checks the callback once, not
 * once per CPU as it would a loop (with 1024 CPUs that passed its 1M
 * instruction limit). The callback's frame adds to edge_xdp()'s and
 * edge_lb_flow()'s (512 bytes in all): it keeps few locals.
 */
struct lb_ct_search {
	const union lb_key *k;
	__u32 slot;
	__u32 self;
	__u32 v6;
	__u32 found; /* 1 + the CPU */
};

static long lb_ct_moved_cb(__u64 i, void *arg)
{
	struct lb_ct_search *q = arg;
	struct lb_ct_set s;

	if (i == q->self)
		return 0;
	lb_ct_get(&s, i, q->slot, q->v6);
	if (!lb_ct_find(&s, q->k, q->v6))
		return 0;
	q->found = 1 + i;
	return 1;
}

static __always_inline int lb_ct_moved(const union lb_key *k, __u32 slot, __u32 self, int v6)
{
	struct lb_ct_search q = {.k = k, .slot = slot, .self = self, .v6 = v6};
	__u32 cpus = edge_lb_ct_cpus;

	bpf_loop(cpus < EDGE_LB_CT_MAX_CPUS ? cpus : EDGE_LB_CT_MAX_CPUS, lb_ct_moved_cb, &q, 0);
	return q.found;
}

/*
 * The entry of flow k in CPU cpu's part (lb_ct_moved() found it there),
 * or NULL; t->set stays this CPU's. That CPU may rewrite it while we read
 * (it evicts the flow): what we read is checked like any entry (backend
 * generation) and copied into this CPU's part.
 */
static __always_inline struct edge_lb_conn *lb_ct_other(struct lb_ct *t, const union lb_key *k,
							int v6, __u32 cpu)
{
	struct edge_lb_conn *ct;

	lb_ct_get(&t->set, cpu, t->slot, v6);
	ct = lb_ct_find(&t->set, k, v6);
	lb_ct_get(&t->set, t->cpu, t->slot, v6);
	return ct;
}

/* Remember flow k's choice in this CPU's set (t from lb_ct_open()). */
static __always_inline void lb_ct_save(struct lb_choice *ch, const struct lb_ct *t,
				       const union lb_key *k, int v6,
				       const struct edge_lb_config *c, __u64 now)
{
	struct edge_lb_conn ct = {
		.backend = ch->be_id,
		.gen = ch->be.gen,
		.hash = ch->hash,
		.seen_ns = now,
	};
	int way, live;

	way = lb_ct_victim(&t->set, k, v6, c, now, &live);
	if (way < 0)
		return;
	if (live)
		ch->ev |= LB_EV_SVC(ct_evictions);
	lb_ct_write(&t->set, way, k, v6, &ct);
}

static __always_inline int lb_find_service(struct lb_choice *ch, const struct edge_vip_key *vip,
					   __u8 proto, __be16 port)
{
	struct edge_lb_svc_key sk = {};
	struct edge_lb_svc *svc;

	__builtin_memcpy(sk.addr, vip->addr, sizeof(sk.addr));
	sk.proto = proto;
	sk.port = port;
	svc = bpf_map_lookup_elem(&edge_lb_services, &sk);
	if (!svc) {
		sk.port = 0;
		svc = bpf_map_lookup_elem(&edge_lb_services, &sk);
		if (!svc)
			return EDGE_R_lb_no_service;
	}
	ch->svc_id = svc->id;
	return 0;
}

/*
 * Encapsulate the IP packet at p->l3_off (inner_len bytes) towards
 * ch->be and send it. The route is looked up first, so a failure leaves
 * the frame untouched for XDP_PASS.
 */
static __always_inline int edge_lb_encap(struct xdp_md *ctx, struct edge_pkt *p,
					 struct lb_choice *ch, const struct edge_lb_config *c,
					 __u32 inner_len)
{
	struct bpf_fib_lookup fib;
	struct edge_lb_nexthop *nh;
	void *data, *data_end;
	__be32 src[4];
	__u32 outer_len, l3_off, tot_len, w0, w1, w2;
	struct ethhdr *eth;
	int rc, inner_v6, be_v6;

	if (!p || !ch || !c)
		return EDGE_R_lb_no_backend;
	inner_v6 = p->l3_proto == ETH_P_IPV6;
	/*
	 * Read once: the verifier does not tie two loads of a byte field to
	 * each other and would walk an IPv4 source into the IPv6 FIB lookup.
	 */
	be_v6 = ch->be.v6;
	outer_len = be_v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	inner_len &= 0xffff;
	l3_off = p->l3_off & EDGE_OFF_MASK;
	tot_len = outer_len + inner_len;

	/* The outer source: the prefix, host bits from the flow hash. */
	if (be_v6) {
		__builtin_memcpy(src, c->src6, 16);
		src[3] = (c->src6[3] & ~c->src6_mask) | (bpf_htonl(ch->hash) & c->src6_mask);
	} else {
		src[0] = (c->src4 & ~c->src4_mask) | (bpf_htonl(ch->hash) & c->src4_mask);
	}
	nh = bpf_map_lookup_elem(&edge_lb_nexthop, &ch->be_id);
	if (!nh)
		return EDGE_R_lb_fib_failed;
	if (nh->gen != ch->be.gen || nh->expires_ns < ch->now || tot_len > nh->ok_len ||
	    nh->in_ifindex != ctx->ingress_ifindex) {
		/* Built only on a miss: the established path skips these stores. */
		__builtin_memset(&fib, 0, sizeof(fib));
		fib.ifindex = ctx->ingress_ifindex;
		fib.tot_len = tot_len;
		if (be_v6) {
			fib.family = LB_AF_INET6;
			__builtin_memcpy(fib.ipv6_src, src, 16);
			__builtin_memcpy(fib.ipv6_dst, ch->be.addr, 16);
		} else {
			fib.family = LB_AF_INET;
			fib.ipv4_src = src[0];
			fib.ipv4_dst = ch->be.addr[3];
		}
		rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
		if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
			ch->ev |= LB_EV(encap_failures);
			return EDGE_R_lb_too_big;
		}
		if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
			ch->ev |= LB_EV(encap_failures);
			nh->expires_ns = 0;
			return EDGE_R_lb_fib_failed;
		}
		if (nh->gen != ch->be.gen || nh->expires_ns < ch->now ||
		    nh->in_ifindex != ctx->ingress_ifindex) {
			nh->ok_len = 0;
			nh->expires_ns = ch->now + EDGE_LB_NEXTHOP_TTL_NS;
		}
		__builtin_memcpy(nh->dmac, fib.dmac, ETH_ALEN);
		__builtin_memcpy(nh->smac, fib.smac, ETH_ALEN);
		nh->ifindex = fib.ifindex;
		nh->in_ifindex = ctx->ingress_ifindex;
		nh->gen = ch->be.gen;
		if (tot_len > nh->ok_len)
			nh->ok_len = tot_len;
	}
	LB_STAGE(5);

	/* New frame: Ethernet + outer IP + the inner IP packet (VLAN tags go). */
	if (bpf_xdp_adjust_head(ctx, (int)l3_off - (int)(sizeof(*eth) + outer_len))) {
		ch->ev |= LB_EV(encap_failures);
		return EDGE_R_lb_no_room;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return EDGE_R_lb_no_room;
	__builtin_memcpy(eth->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->smac, ETH_ALEN);
	if (be_v6) {
		struct ipv6hdr *o = (void *)(eth + 1);

		if ((void *)(o + 1) > data_end)
			return EDGE_R_lb_no_room;
		eth->h_proto = bpf_htons(ETH_P_IPV6);
		/* version 6, traffic class 0, flow label from the flow hash */
		*(__be32 *)o = bpf_htonl(0x60000000 | (ch->hash & 0xfffff));
		o->payload_len = bpf_htons(inner_len);
		o->nexthdr = inner_v6 ? IPPROTO_IPV6 : IPPROTO_IPIP;
		o->hop_limit = LB_TTL;
		__builtin_memcpy(&o->saddr, src, 16);
		__builtin_memcpy(&o->daddr, ch->be.addr, 16);
	} else {
		struct iphdr *o = (void *)(eth + 1);

		if ((void *)(o + 1) > data_end)
			return EDGE_R_lb_no_room;
		eth->h_proto = bpf_htons(ETH_P_IP);
		/*
		 * The header as three 32-bit words as they lie in memory
		 * (version 4, 5 words, no TOS; no id, DF: no fragments for
		 * the backend to reassemble; TTL, IPIP, checksum 0) and the
		 * addresses; the checksum sums those values, not the packet.
		 */
		w0 = bpf_htonl(0x45000000 | tot_len);
		w1 = bpf_htonl(0x00004000);
		w2 = bpf_htonl(LB_TTL << 24 | IPPROTO_IPIP << 16);
		((__u32 *)o)[0] = w0;
		((__u32 *)o)[1] = w1;
		o->saddr = src[0];
		o->daddr = ch->be.addr[3];
		((__u32 *)o)[2] = w2 | csum_fold((__u64)w0 + w1 + w2 + src[0] + ch->be.addr[3])
				       << (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 16 : 0);
	}
	if (nh->ifindex == ctx->ingress_ifindex)
		return EDGE_R_lb_tx;
	bpf_redirect(nh->ifindex, 0);
	return EDGE_R_lb_redirect;
}

/* IP length of the packet at l3 (header included). */
static __always_inline __u32 lb_inner_len(const struct edge_pkt *p)
{
	if (p->l3_proto == ETH_P_IPV6)
		return sizeof(struct ipv6hdr) + p->l4_len;
	return (p->l4_off - p->l3_off) + p->l4_len;
}

/*
 * TCP or UDP to a service VIP: choose the backend and forward. Returns a
 * reason, or EDGE_CONTINUE when no service matches.
 */
__noinline int edge_lb_flow(struct xdp_md *ctx, struct edge_pkt *p)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct lb_choice ch = {.be_id = EDGE_LB_NO_BACKEND};
	struct edge_lb_config *c;
	struct edge_lb_conn *ct;
	union lb_key k = {};
	struct lb_ct t;
	__u32 zero = 0, bytes, fwd = 0;
	int r, v6, syn = 0, rst = 0, fresh = 0, svc_known = 0, moved = 0;
	__be16 sport, dport;
	__u8 proto;
	__u64 now, h;

	if (!p)
		return EDGE_R_lb_no_service;
	LB_STAGE(1);
	c = bpf_map_lookup_elem(&edge_lb_config, &zero);
	if (!c || !c->enabled)
		return EDGE_R_lb_no_service;
	v6 = p->l3_proto == ETH_P_IPV6;
	proto = p->l4_proto;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = edge_pkt_ptr(ctx, p->l4_off);

		if ((void *)(th + 1) > data_end)
			return EDGE_R_l4_truncated;
		sport = th->source;
		dport = th->dest;
		syn = th->syn && !th->ack;
		rst = th->rst;
	} else {
		struct udphdr *uh = edge_pkt_ptr(ctx, p->l4_off);

		if ((void *)(uh + 1) > data_end)
			return EDGE_R_l4_truncated;
		sport = uh->source;
		dport = uh->dest;
	}
	/*
	 * UDP: the service first, so that DNS queries to a VIP that also has
	 * services cost no conntrack lookup. TCP: the conntrack first; an
	 * established flow needs no service lookup.
	 */
	if (proto == IPPROTO_UDP) {
		r = lb_find_service(&ch, &p->dst, proto, dport);
		if (r)
			return r;
		svc_known = 1;
	}
	if (v6) {
		struct ipv6hdr *ip6 = edge_pkt_ptr(ctx, p->l3_off);

		if ((void *)(ip6 + 1) > data_end)
			return EDGE_R_ip_truncated;
		__builtin_memcpy(k.k6.src, &ip6->saddr, 16);
		__builtin_memcpy(k.k6.dst, &ip6->daddr, 16);
		k.k6.sport = sport;
		k.k6.dport = dport;
		k.k6.proto = proto;
	} else {
		struct iphdr *ip = edge_pkt_ptr(ctx, p->l3_off);

		if ((void *)(ip + 1) > data_end)
			return EDGE_R_ip_truncated;
		k.k4.src = ip->saddr;
		k.k4.dst = ip->daddr;
		k.k4.sport = sport;
		k.k4.dport = dport;
		k.k4.proto = proto;
	}
	bytes = ctx->data_end - ctx->data;
	LB_STAGE(2);
	now = lb_now();
	ch.now = now;

	lb_ct_open(&t, c, &k, v6);
	ct = syn ? NULL : lb_ct_find(&t.set, &k, v6);
	if (!ct && !syn && proto == IPPROTO_TCP) {
		r = lb_ct_moved(&k, t.slot, t.cpu, v6);
		if (r) {
			ct = lb_ct_other(&t, &k, v6, r - 1);
			moved = 1;
		}
	}
	if (ct) {
		LB_STAGE(3);
		if (proto == IPPROTO_UDP && now - ct->seen_ns > c->udp_timeout_ns) {
			fresh = 1; /* aged out: a new flow */
		} else if (lb_conn_backend(&ch, ct, svc_known)) {
			if (moved) {
				/* Its packets come to this CPU now: an entry here. */
				lb_ct_save(&ch, &t, &k, v6, c, now);
				ch.ev |= LB_EV(lru_inserts);
			} else if (ct->seen_ns != now) {
				/*
				 * Last seen: UDP ageing and the LRU. The line is in
				 * cache and this CPU's alone; the clock is coarse
				 * (a jiffy), so most packets of a busy flow skip
				 * the store and leave the line clean.
				 */
				ct->seen_ns = now;
			}
			goto forward;
		} else {
			ch.ev |= LB_EV_SVC(rehashed);
		}
	} else if (proto == IPPROTO_TCP && !syn) {
		ch.ev |= LB_EV_SVC(nonsyn_misses);
	} else {
		fresh = 1;
	}
	if (!svc_known) {
		r = lb_find_service(&ch, &p->dst, proto, dport);
		if (r)
			return r;
	}
	LB_STAGE(7);

	h = lb_flow_hash(c, &k, v6);
	if (edge_lb_bench_stop == 8 && h != 1) /* keep h */
		return EDGE_R_lb_fragment_drop;
	r = lb_pick(&ch, h);
	if (r)
		goto out;
	LB_STAGE(9);
	if (fresh)
		ch.ev |= LB_EV(new_flows);
	if (!rst) {
		if (lb_guard_allows(c, now)) {
			lb_ct_save(&ch, &t, &k, v6, c, now);
			ch.ev |= LB_EV(lru_inserts);
		} else {
			ch.ev |= LB_EV(guard_limited);
		}
	}
	LB_STAGE(10);
forward:
	LB_STAGE(4);
	r = edge_lb_encap(ctx, p, &ch, c, lb_inner_len(p));
	LB_STAGE(6);
	if (r == EDGE_R_lb_tx || r == EDGE_R_lb_redirect)
		fwd = bytes;
out:
	lb_tally(&ch, fwd);
	return r;
}

/*
 * An ICMP error to a service VIP: the packet it quotes is a reply our
 * backend sent (source VIP:port, destination client). Forward the error,
 * unchanged, to the backend of the flow client -> VIP. Never inserts.
 */
__noinline int edge_lb_icmp(struct xdp_md *ctx, struct edge_pkt *p)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct lb_choice ch = {.be_id = EDGE_LB_NO_BACKEND};
	struct edge_vip_key vip = {};
	struct edge_lb_config *c;
	struct edge_lb_conn *ct;
	union lb_key k = {};
	struct lb_ct t;
	__u32 zero = 0, bytes, qoff;
	__be16 *ports;
	__u8 proto;
	int r, v6;

	if (!p)
		return EDGE_R_lb_icmp_unmatched;
	c = bpf_map_lookup_elem(&edge_lb_config, &zero);
	if (!c || !c->enabled)
		return EDGE_R_lb_icmp_unmatched;
	v6 = p->l3_proto == ETH_P_IPV6;
	qoff = (p->l4_off & EDGE_OFF_MASK) + 8; /* the quoted IP header */
	/* quoted: VIP -> client; the flow is client -> VIP */
	if (v6) {
		struct icmp6hdr *ic = edge_pkt_ptr(ctx, p->l4_off);
		struct ipv6hdr *q = (void *)(long)ctx->data + qoff;

		if ((void *)(ic + 1) > data_end || (void *)(q + 1) + 4 > data_end)
			return EDGE_R_lb_icmp_unmatched;
		if (ic->icmp6_type != ICMPV6_PKT_TOOBIG && ic->icmp6_type != ICMPV6_DEST_UNREACH)
			return EDGE_R_lb_icmp_unmatched;
		__builtin_memcpy(k.k6.src, &q->daddr, 16);
		__builtin_memcpy(k.k6.dst, &q->saddr, 16);
		__builtin_memcpy(vip.addr, &q->saddr, 16);
		proto = q->nexthdr;
		ports = (void *)(q + 1);
	} else {
		struct icmphdr *ic = edge_pkt_ptr(ctx, p->l4_off);
		struct iphdr *q = (void *)(long)ctx->data + qoff;

		if ((void *)(ic + 1) > data_end || (void *)(q + 1) + 4 > data_end)
			return EDGE_R_lb_icmp_unmatched;
		if (ic->type != ICMP_DEST_UNREACH || q->ihl != 5)
			return EDGE_R_lb_icmp_unmatched;
		k.k4.src = q->daddr;
		k.k4.dst = q->saddr;
		vip.addr[2] = bpf_htonl(0xffff);
		vip.addr[3] = q->saddr;
		proto = q->protocol;
		ports = (void *)(q + 1);
	}
	if ((void *)(ports + 2) > data_end)
		return EDGE_R_lb_icmp_unmatched;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return EDGE_R_lb_icmp_unmatched;
	if (v6) {
		k.k6.sport = ports[1];
		k.k6.dport = ports[0];
		k.k6.proto = proto;
	} else {
		k.k4.sport = ports[1];
		k.k4.dport = ports[0];
		k.k4.proto = proto;
	}
	/* The quoted source must be the VIP the error came to. */
	if ((vip.addr[0] ^ p->dst.addr[0]) | (vip.addr[1] ^ p->dst.addr[1]) |
	    (vip.addr[2] ^ p->dst.addr[2]) | (vip.addr[3] ^ p->dst.addr[3]))
		return EDGE_R_lb_icmp_unmatched;
	if (lb_find_service(&ch, &vip, proto, ports[0]))
		return EDGE_R_lb_icmp_unmatched;

	ch.now = lb_now();
	/* The flow's packets may come to another CPU than its errors. */
	lb_ct_open(&t, c, &k, v6);
	ct = lb_ct_find(&t.set, &k, v6);
	if (!ct) {
		r = lb_ct_moved(&k, t.slot, t.cpu, v6);
		if (r)
			ct = lb_ct_other(&t, &k, v6, r - 1);
	}
	if (!ct || !lb_conn_backend(&ch, ct, 1)) {
		r = lb_pick(&ch, lb_flow_hash(c, &k, v6));
		if (r)
			return r;
	}
	bytes = ctx->data_end - ctx->data;
	r = edge_lb_encap(ctx, p, &ch, c, lb_inner_len(p));
	if (r == EDGE_R_lb_tx || r == EDGE_R_lb_redirect) {
		ch.ev |= LB_EV(icmp_steered);
		lb_tally(&ch, bytes);
	} else {
		lb_tally(&ch, 0);
	}
	return r;
}

/*
 * Entry from edge.bpf.c for a VIP with EDGE_VIP_F_LB. Returns a reason,
 * or EDGE_CONTINUE to let the rest of the VIP path (DNS, pass) decide.
 */
static __always_inline int edge_lb_path(struct xdp_md *ctx, struct edge_pkt *p)
{
	struct edge_lb_config *c;
	__u32 zero = 0;

	if (p->ip_flags & (EDGE_IPF_FRAGMENT | EDGE_IPF_OPTIONS)) {
		c = bpf_map_lookup_elem(&edge_lb_config, &zero);
		if (!c)
			return EDGE_CONTINUE;
		if ((p->ip_flags & EDGE_IPF_FRAGMENT) && c->frag_drop)
			return EDGE_R_lb_fragment_drop;
		if ((p->ip_flags & EDGE_IPF_OPTIONS) && c->opt_drop)
			return EDGE_R_lb_options_drop;
		return EDGE_CONTINUE; /* counted as ip_fragment / ip_options, passed */
	}
	if (p->ip_flags & EDGE_IPF_EXTHDR)
		return EDGE_CONTINUE;
	if (p->l4_proto == IPPROTO_TCP)
		return edge_lb_flow(ctx, p);
	if (p->l4_proto == IPPROTO_UDP) {
		int r = edge_lb_flow(ctx, p);

		/* No UDP service on this port (DNS, say): the VIP path goes on. */
		return r == EDGE_R_lb_no_service ? EDGE_CONTINUE : r;
	}
	if (p->l4_proto == IPPROTO_ICMP || p->l4_proto == IPPROTO_ICMPV6)
		return edge_lb_icmp(ctx, p);
	return EDGE_CONTINUE;
}

#endif /* EDGE_LB_H */
