/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load balancing: types shared by bpf/lb.h and user/lb.c.
 *
 *   edge_lb_services  (VIP, proto, port) -> service id; port 0 = all ports
 *   edge_lb_tables    service id -> Maglev table (an inner array map:
 *                     slot 0 holds M, slots 1..M backend ids); the daemon
 *                     fills a new inner map aside and swaps it in with one
 *                     update of the outer map, so a packet sees the old
 *                     table or the new one, never a mix
 *   edge_lb_backends  backend id -> address, health, generation
 *   edge_lb_ct4 / edge_lb_ct6  the connection tables: flow 5-tuple ->
 *                     backend id + generation; per CPU, set-associative
 *                     (EDGE_LB_CT_WAYS ways a set, LRU within the set), CPU
 *                     c's sets at c * sets .. (c + 1) * sets - 1
 *   edge_lb_config    the flow-hash key and the knobs of lb:
 *   edge_lb_svc_stats / edge_lb_be_stats  per-CPU counters by id
 *   edge_lb_nexthop   backend id -> bpf_fib_lookup() result, per CPU,
 *                     trusted for EDGE_LB_NEXTHOP_TTL_NS
 */
#ifndef EDGE_LB_H_SHARED
#define EDGE_LB_H_SHARED

#include <linux/types.h>

#define EDGE_MAP_LB_SERVICES  "edge_lb_services"
#define EDGE_MAP_LB_TABLES    "edge_lb_tables"
#define EDGE_MAP_LB_BACKENDS  "edge_lb_backends"
#define EDGE_MAP_LB_CT4	      "edge_lb_ct4"
#define EDGE_MAP_LB_CT6	      "edge_lb_ct6"
#define EDGE_MAP_LB_CONFIG    "edge_lb_config"
#define EDGE_MAP_LB_SVC_STATS "edge_lb_svc_stats"
#define EDGE_MAP_LB_BE_STATS  "edge_lb_be_stats"
#define EDGE_MAP_LB_NEXTHOP   "edge_lb_nexthop"

#define EDGE_LB_MAX_SERVICES 256
#define EDGE_LB_MAX_BACKENDS 4096	 /* ids 0..4095; 16 bits in a conntrack entry */
#define EDGE_LB_CT_WAYS	     4		 /* conntrack entries in a set */
/*
 * Conntrack entries per CPU when lb.conntrack_size / conntrack6_size are
 * not set: a total shared out over the possible CPUs (each CPU has its own
 * part of the table), and no fewer than a floor per CPU. So the default
 * costs 16 + 8 MiB on a small host, not 12 MiB times the CPUs of a big
 * one (with the floor: 1.5 MiB per CPU).
 */
#define EDGE_LB_CT4_TOTAL 524288
#define EDGE_LB_CT6_TOTAL 131072
#define EDGE_LB_CT4_MIN	  16384
#define EDGE_LB_CT6_MIN	  4096

static inline __u32 edge_lb_ct_auto(__u32 total, __u32 floor, __u32 cpus)
{
	__u32 n = cpus ? total / cpus : total;

	n -= n % EDGE_LB_CT_WAYS;
	return n < floor ? floor : n;
}
#define EDGE_LB_CT_MAX	     16777216	 /* entries per CPU at most, either family */
#define EDGE_LB_CT_MAX_CPUS  1024	 /* CPUs searched for a flow that moved CPU */
#define EDGE_LB_NO_BACKEND   0xffffffffu /* a table slot with nobody (all drained/down) */

struct edge_lb_svc_key {
	__be32 addr[4]; /* IPv4 as ::ffff:a.b.c.d */
	__be16 port;	/* 0: every port */
	__u8 proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
_Static_assert(sizeof(struct edge_lb_svc_key) == 20, "edge_lb_svc_key size");

struct edge_lb_svc {
	__u32 id; /* index into edge_lb_tables and edge_lb_svc_stats */
	__u32 pad;
};
_Static_assert(sizeof(struct edge_lb_svc) == 8, "edge_lb_svc size");

enum edge_lb_backend_state {
	EDGE_LB_BE_FREE = 0, /* no backend has this id */
	EDGE_LB_BE_UP,	     /* healthy: keeps its flows (even when drained) */
	EDGE_LB_BE_DOWN,     /* failed health checks: its flows re-hash */
};

struct edge_lb_backend {
	__be32 addr[4]; /* IPv4 as ::ffff:a.b.c.d */
	__u16 gen;	/* bumped whenever the id is given to another backend */
	__u8 state;	/* enum edge_lb_backend_state */
	__u8 v6;	/* 1: IPv6 address (IP6IP6 / IPv4-in-IPv6) */
	__u32 svc;	/* the service it serves */
};
_Static_assert(sizeof(struct edge_lb_backend) == 24, "edge_lb_backend size");

/* An IPv6 flow, as the client sent it. */
struct edge_lb_flow_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};
_Static_assert(sizeof(struct edge_lb_flow_key) == 40, "edge_lb_flow_key size");

/*
 * An IPv4 flow. A key of its own: hashing and comparing 16 bytes, not 40,
 * and 24 bytes less per entry (the conntrack lookup is the largest part of
 * the established path). Its two little-endian 64-bit words are what the
 * flow hash of an IPv4 flow reads.
 */
struct edge_lb_flow_key4 {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};
_Static_assert(sizeof(struct edge_lb_flow_key4) == 16, "edge_lb_flow_key4 size");

struct edge_lb_conn {
	__u16 backend; /* id */
	__u16 gen;     /* the backend's gen when chosen: stale if it differs */
	__u32 hash;    /* flow hash: varies the tunnel's outer source */
	__u64 seen_ns; /* last packet: UDP ageing, and the LRU within a set */
};
_Static_assert(sizeof(struct edge_lb_conn) == 16, "edge_lb_conn size");

/*
 * Connection table entries: the full key (so a lookup never returns
 * another flow's backend) and the conn. proto 0: an empty way. An IPv4
 * entry is 32 bytes, an IPv6 one a cache line; a set is EDGE_LB_CT_WAYS
 * of them (128 and 256 bytes, cache-line aligned: the maps are mmapable
 * arrays, whose values start on a page).
 */
struct edge_lb_ct4 {
	struct edge_lb_flow_key4 key;
	struct edge_lb_conn conn;
};
_Static_assert(sizeof(struct edge_lb_ct4) == 32, "edge_lb_ct4 size");

struct edge_lb_ct6 {
	struct edge_lb_flow_key key;
	struct edge_lb_conn conn;
	__u64 pad;
};
_Static_assert(sizeof(struct edge_lb_ct6) == 64, "edge_lb_ct6 size");

struct edge_lb_ct4_set {
	struct edge_lb_ct4 way[EDGE_LB_CT_WAYS];
};

struct edge_lb_ct6_set {
	struct edge_lb_ct6 way[EDGE_LB_CT_WAYS];
};

/*
 * The set of a flow within a CPU's part of the table: a keyed
 * multiply-rotate hash of the key's little-endian 64-bit words (2 for
 * IPv4, 5 for IPv6), n + 1 multiplies, then multiply-shift onto
 * 0..sets-1 (any number of sets). Not SipHash: the established path
 * computes no SipHash. Keyed (edge_lb_config.ct_k0/ct_k1, derived from
 * the seed) so that nobody outside can aim flows at one set. Shared with
 * userspace so tests can pick flows of one set (edge-testrun ctset).
 */
static inline __u32 edge_lb_ct_hash(const __u64 *w, int n, __u64 k0, __u64 k1)
{
	__u64 h = k0;
	int i;

	for (i = 0; i < 5 && i < n; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
		h = h << 32 | h >> 32; /* the mixed high half feeds the next multiply */
	}
	return ((h ^ k1) * 0xff51afd7ed558ccdull) >> 32;
}

static inline __u32 edge_lb_ct_set(__u32 hash, __u32 sets)
{
	return (__u64)hash * sets >> 32;
}

/*
 * A cached route to a backend: a FIB lookup costs more than the rest of
 * the established path together (measured: ~400 ns in a VM), so each CPU
 * keeps the answer for a second. ok_len is the largest outer packet the
 * route has accepted: a bigger one is looked up again (MTU check).
 */
#define EDGE_LB_NEXTHOP_TTL_NS 1000000000ull

struct edge_lb_nexthop {
	__u8 dmac[6];
	__u8 smac[6];
	__u32 ifindex;	  /* egress */
	__u32 in_ifindex; /* the ingress it was looked up from */
	__u16 ok_len;
	__u16 gen; /* the backend's generation */
	__u64 expires_ns;
};
_Static_assert(sizeof(struct edge_lb_nexthop) == 32, "edge_lb_nexthop size");

struct edge_lb_config {
	__u64 k0, k1; /* SipHash-2-4 key of the flow hash (secret) */
	__u64 udp_timeout_ns;
	__u64 new_flow_ns; /* 1e9 / new_flow_rate: credit per conntrack insert
			    * (per CPU); 0 = no limit */
	__u8 frag_drop;	   /* fragments to a service VIP: 1 drop, 0 pass */
	__u8 opt_drop;	   /* IPv4 options to a service VIP: 1 drop, 0 pass */
	__u8 enabled;	   /* the daemon wrote this entry */
	__u8 pad[5];
	__be32 src4;	  /* outer source prefix, IPv4 */
	__be32 src4_mask; /* host bits, network order */
	__be32 src6[4];	  /* outer source prefix, IPv6 */
	__be32 src6_mask; /* host bits of src6[3], network order */
	__u32 pad2;
	__u64 ct_k0, ct_k1; /* key of the conntrack set hash (from k0, k1) */
};
_Static_assert(sizeof(struct edge_lb_config) == 88, "edge_lb_config size");

/*
 * Counters per service (VIP, proto, port) and per backend; the same
 * fields for both, named for bpftool and anyedgectl.
 */
#define EDGE_LB_COUNTERS(X)                                                       \
	X(packets)	  /* forwarded to a backend */                            \
	X(bytes)	  /* of those packets, as received */                     \
	X(new_flows)	  /* SYN, or UDP without a live entry: chosen by table */ \
	X(nonsyn_misses)  /* TCP non-SYN without an entry: table fallback */      \
	X(lru_inserts)	  /* conntrack entries written */                         \
	X(encap_failures) /* no route/neighbour, too big, no headroom: passed */  \
	X(guard_limited)  /* new flows not remembered: new-flow rate exceeded */  \
	X(rehashed)	  /* entry pointed at a down or removed backend */        \
	X(icmp_steered)	  /* ICMP errors sent to the quoted flow's backend */      \
	X(ct_evictions)	  /* inserts that evicted a live entry: table too small */

struct edge_lb_counters {
#define EDGE_X_FIELD(n) __u64 n;
	EDGE_LB_COUNTERS(EDGE_X_FIELD)
#undef EDGE_X_FIELD
};
#define EDGE_LB_NCOUNTERS 10
_Static_assert(sizeof(struct edge_lb_counters) == EDGE_LB_NCOUNTERS * 8, "edge_lb_counters size");

#endif /* EDGE_LB_H_SHARED */
