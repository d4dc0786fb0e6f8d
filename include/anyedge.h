/* SPDX-License-Identifier: GPL-2.0 */
/*
 * anyedge: types shared by the XDP program (bpf/) and userspace (user/).
 *
 * Everything here is fixed-width and byte-order typed, with explicit
 * padding and a size assertion, because both sides read the same bytes.
 */
#ifndef ANYEDGE_H
#define ANYEDGE_H

#include <linux/types.h>

#define EDGE_PIN_DEFAULT "/sys/fs/bpf/anyedge"

/* Map names (also the pin file names under the pin directory). */
#define EDGE_MAP_STATS "edge_stats"
#define EDGE_MAP_VIPS "edge_vips"

#define EDGE_MAX_VIPS 1024
#define EDGE_MAX_DNS_NAMES 65536

/* DNS limits. */
#define EDGE_DNS_NAME_MAX 255	/* wire form, including the root label */
#define EDGE_DNS_MAX_RR 8	/* records per answered set */
#define EDGE_DNS_UDP_SIZE 1232	/* our EDNS UDP payload size */

/*
 * Counters: one struct of named __u64 fields, generated from the lists
 * below so that the BPF side, the CLI and `bpftool map dump` all show the
 * same names. The reason fields form a contiguous array indexed by
 * enum edge_reason; the verdict fields likewise by XDP action.
 */
#define EDGE_VERDICTS(X) \
	X(aborted)       \
	X(drop)          \
	X(pass)          \
	X(tx)            \
	X(redirect)

/* Why a packet got its verdict. Every non-answered packet has one. */
#define EDGE_REASONS(X)                                                     \
	X(dns_answered)		/* NOERROR with data (XDP_TX) */            \
	X(dns_nodata)		/* NOERROR, no data of that type + SOA (TX) */ \
	X(dns_nxdomain)		/* NXDOMAIN + SOA (TX) */                   \
	X(dns_refused)		/* REFUSED: not in a served zone (TX) */    \
	X(dns_formerr)		/* FORMERR: bad ECS, two OPTs (TX) */       \
	X(dns_badvers)		/* BADVERS: EDNS version > 0 (TX) */        \
	X(dns_truncated)	/* TC=1: answer exceeds client size (TX) */ \
	X(dns_rrl_slip)		/* rate-limited: TC=1, no records, to retry over TCP (TX) */ \
	X(dns_rrl_drop)		/* rate-limited: no reply (drop) */          \
	X(dns_out_of_zone)	/* not ours, fallback configured (pass) */  \
	X(not_ip)		/* not IPv4/IPv6 (ARP, LLDP, ...) */        \
	X(l2_truncated)		/* Ethernet/VLAN header cut short */        \
	X(vlan_too_deep)	/* more than two VLAN tags */               \
	X(ip_truncated)		/* IP header cut short or bad length */     \
	X(ip_options)		/* IPv4 with options */                     \
	X(ip_fragment)		/* IPv4 fragment or IPv6 frag header */     \
	X(ip6_ext_header)	/* IPv6 extension header */                 \
	X(not_vip)		/* destination is not one of our VIPs */    \
	X(vip_other_proto)	/* VIP traffic we do not handle here */     \
	X(l4_truncated)		/* UDP/TCP header cut short */              \
	X(dns_not_query)	/* QR=1, opcode != QUERY */                 \
	X(dns_malformed)	/* counts, name, OPT or length wrong */     \
	X(dns_unsupported)	/* class/type/EDNS the fast path leaves */  \
	X(dns_name_unknown)	/* name or type not in the map */           \
	X(dns_too_big)		/* answer would not fit; left to fallback */ \
	X(dns_no_room)		/* no tailroom to grow the frame */         \
	X(dns_xdp_error)	/* a helper failed while building */        \
	X(vip_tcp)		/* TCP to a VIP without a service (pass) */ \
	X(lb_tx)		/* encapsulated to a backend, same NIC (TX) */ \
	X(lb_redirect)		/* encapsulated to a backend, other NIC (redirect) */ \
	X(lb_no_service)	/* service VIP, no service for proto/port */ \
	X(lb_no_backend)	/* every backend drained or down (pass) */  \
	X(lb_fib_failed)	/* no route or neighbour to the backend (pass) */ \
	X(lb_too_big)		/* over the MTU once encapsulated (pass) */ \
	X(lb_no_room)		/* no headroom for the tunnel header (pass) */ \
	X(lb_fragment_drop)	/* fragment to a service VIP, policy drop */ \
	X(lb_options_drop)	/* IPv4 options to a service VIP, policy drop */ \
	X(lb_icmp_unmatched)	/* ICMP error to a VIP quoting no service flow */

enum edge_reason {
#define EDGE_X_ENUM(n) EDGE_R_##n,
	EDGE_REASONS(EDGE_X_ENUM)
#undef EDGE_X_ENUM
	EDGE_R__COUNT
};

/* Events counted beside the verdict (a packet may count several). */
#define EDGE_EVENTS(X)                                                      \
	X(dns_fail_open)	/* every candidate pool down: answered all */ \
	X(dns_ecs)		/* client located by EDNS Client Subnet */   \
	X(dns_ecs_ignored)	/* ECS present but private or /0: source used */ \
	X(dns_geo_matched)	/* client address found in the geo tables */

enum edge_event {
#define EDGE_X_ENUM(n) EDGE_EV_##n,
	EDGE_EVENTS(EDGE_X_ENUM)
#undef EDGE_X_ENUM
	EDGE_EV__COUNT
};

struct edge_stats {
	__u64 packets;
	__u64 bytes;
#define EDGE_X_FIELD(n) __u64 event_##n;
	EDGE_EVENTS(EDGE_X_FIELD)
#undef EDGE_X_FIELD
#define EDGE_X_FIELD(n) __u64 verdict_##n;
	EDGE_VERDICTS(EDGE_X_FIELD)
#undef EDGE_X_FIELD
#define EDGE_X_FIELD(n) __u64 reason_##n;
	EDGE_REASONS(EDGE_X_FIELD)
#undef EDGE_X_FIELD
};

#define EDGE_STATS_NVERDICTS 5
#define EDGE_STATS_NEVENTS 4
_Static_assert(sizeof(struct edge_stats) ==
		       (2 + EDGE_STATS_NEVENTS + EDGE_STATS_NVERDICTS + EDGE_R__COUNT) *
			       sizeof(__u64),
	       "edge_stats must be a dense array of __u64");

/*
 * VIP map key: the address in IPv6 form (IPv4 as ::ffff:a.b.c.d), so one
 * hash map serves both families.
 */
struct edge_vip_key {
	__be32 addr[4];
};
_Static_assert(sizeof(struct edge_vip_key) == 16, "edge_vip_key size");

enum edge_vip_flags {
	EDGE_VIP_F_DNS = 1 << 0,	/* answer UDP/53 here */
	EDGE_VIP_F_LB = 1 << 1,		/* service VIP (load balanced) */
};

struct edge_vip {
	__u32 flags;	/* enum edge_vip_flags */
	__u32 vip_id;	/* index for per-VIP tables */
};
_Static_assert(sizeof(struct edge_vip) == 8, "edge_vip size");

/*
 * edge_vips: an array of buckets (include/edge_table.h), two halves of
 * EDGE_VIP_BUCKETS; a VIP is in its primary or alternate bucket of the
 * live half (edge_tables). At most EDGE_MAX_VIPS fill half the slots.
 */
#define EDGE_VIP_BUCKETS 1024	/* per half */
#define EDGE_VIP_SLOTS 2	/* per bucket */

struct edge_vip_slot {
	struct edge_vip_key key;
	struct edge_vip vip;
};

struct edge_vip_bucket {
	struct edge_vip_slot slot[EDGE_VIP_SLOTS];
	__u32 n;		/* slots in use, from slot 0 */
	__u32 pad[3];
};
_Static_assert(sizeof(struct edge_vip_bucket) == 64, "edge_vip_bucket: one cache line");

/*
 * edge_tables[0]: the live half (generation) of each bucketed table and
 * its size, per half (include/edge_table.h). The daemon writes a table's
 * other half, its mask, then flips the generation.
 */
#define EDGE_MAP_TABLES "edge_tables"
struct edge_tables {
	__u32 vip_gen;		/* 0 or 1: the half of edge_vips packets read */
	__u32 vip_mask[2];	/* per half: buckets - 1 */
	__u32 dns_gen;		/* the half of edge_dns_name_index, edge_dns_names,
				 * edge_dns_policies and edge_dns_blobs */
	__u32 name_mask[2];	/* edge_dns_name_index, per half: buckets - 1 */
	__u32 format;		/* EDGE_TABLES_FORMAT of the daemon that wrote the tables */
	__u32 pad;
};
_Static_assert(sizeof(struct edge_tables) == 32, "edge_tables size");

/*
 * What the keys of the tables mean: the name key (include/dns_wire.h), the
 * VIP hash and bucket placement (include/edge_table.h). Bump it when one
 * changes: a daemon never reuses pinned tables of another format (a
 * binary upgrade is then refused and the old daemon serves on), because a
 * running older program would read a new-format index and miss every name
 * between the new daemon's sync and its attach (answering NXDOMAIN, which
 * resolvers cache). 2: names keyed by their lowercased wire words.
 */
#define EDGE_TABLES_FORMAT 2

/*
 * Per VIP (edge_vip.vip_id), per CPU: the packets to it that the load
 * balancer did not forward (DNS answered or passed, ICMP, no service on
 * that port, no backend...); what it forwarded is counted per service
 * (edge_lb_svc_stats .packets/.bytes). A VIP's traffic is the sum of both;
 * the daemon watches it per anycast prefix while it drains, and zeroes an
 * entry when another VIP gets its id. Bytes as received.
 */
#define EDGE_MAP_VIP_STATS "edge_vip_stats"
struct edge_vip_counters {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct edge_vip_counters) == 16, "edge_vip_counters size");

/*
 * GeoDNS data, compiled by the daemon from the config:
 *
 *   edge_dns_name_index  name hash -> index in edge_dns_names: buckets
 *                   of (hash, index) (include/edge_table.h)
 *   edge_dns_names  index -> struct edge_dns_name (policies per type)
 *   edge_dns_zones  apex hash -> struct edge_dns_zone (for NXDOMAIN)
 *   edge_dns_policies  index -> struct edge_dns_policy (static/geo/...)
 *   edge_dns_blobs  index -> struct edge_dns_blob (prebuilt RRs)
 *   edge_dns_pools  index -> struct edge_dns_pool (health)
 *   edge_geo4/6     LPM prefix -> struct edge_geo (region)
 *   edge_geo4_dir   the same IPv4 data as a direct table (DIR-16-8-8),
 *                   two generations; edge_geo4_live says which is read
 */
#define EDGE_MAP_DNS_NAMES "edge_dns_names"
#define EDGE_MAP_DNS_NAME_INDEX "edge_dns_name_index"
#define EDGE_MAP_DNS_ZONES "edge_dns_zones"
#define EDGE_MAP_DNS_POLICIES "edge_dns_policies"
#define EDGE_MAP_DNS_BLOBS "edge_dns_blobs"
#define EDGE_MAP_DNS_POOLS "edge_dns_pools"
#define EDGE_MAP_GEO4 "edge_geo4"
#define EDGE_MAP_GEO6 "edge_geo6"
#define EDGE_MAP_GEO4_DIR "edge_geo4_dir"
#define EDGE_MAP_GEO4_LIVE "edge_geo4_live"

#define EDGE_MAX_DNS_ZONES 1024
#define EDGE_MAX_DNS_POLICIES 65536
#define EDGE_MAX_DNS_BLOBS 65536
#define EDGE_MAX_DNS_POOLS 256
#define EDGE_MAX_GEO_PREFIXES (1 << 20)
#define EDGE_MAX_REGIONS 32	/* region ids 0..31 */
#define EDGE_REGION_NONE 0xffff	/* no region matched: the default list */
#define EDGE_POL_MAX_CAND 4	/* pools per candidate list */
#define EDGE_DNS_BLOB_MAX 512	/* bytes of prebuilt records */

/*
 * edge_dns_name_index: two halves of EDGE_DNS_NAME_BUCKETS buckets; a name
 * is in the primary or alternate bucket of its hash (include/dns_wire.h)
 * in the live half (edge_tables.dns_gen), whose idx points at its entry
 * in the same half of edge_dns_names (EDGE_MAX_DNS_NAMES entries per half).
 * The data path still compares the whole name: a 64-bit hash collision
 * never answers for another name.
 */
#define EDGE_DNS_NAME_BUCKETS 32768	/* per half: EDGE_MAX_DNS_NAMES fill half the slots */
#define EDGE_DNS_NAME_SLOTS 4		/* per bucket */

struct edge_dns_name_bucket {
	__u64 hash[EDGE_DNS_NAME_SLOTS];
	__u32 idx[EDGE_DNS_NAME_SLOTS];	/* entry in edge_dns_names + 1; 0: empty */
	__u32 pad[EDGE_DNS_NAME_SLOTS];
};
_Static_assert(sizeof(struct edge_dns_name_bucket) == 64, "edge_dns_name_bucket: one cache line");

/* A name in the served zones (an owner name, an apex, or an empty non-terminal). */
/*
 * The small fields come first: with the key, they and the start of the
 * name share the entry's first cache line, which is all a lookup of a
 * short name touches.
 */
struct edge_dns_name {
	__u16 name_len;		/* wire length with the root label */
	__u16 apex_len;		/* wire length of its zone's apex (a suffix of name) */
	__u32 soa_blob;		/* the zone's SOA record body, for NODATA */
	__u32 policy[2];	/* A, AAAA: policy index + 1; 0 = no data of that type */
	__u32 static_blob[2];	/* A, AAAA: answer blob + 1 when that policy is static
				 * (the data path then skips the policy lookup) */
	__u8 name[256];		/* lowercased wire form, zero-padded: verified on lookup */
};
_Static_assert(sizeof(struct edge_dns_name) == 280, "edge_dns_name size");

/* A zone apex, found by suffix when the name is not in edge_dns_names. */
struct edge_dns_zone {
	__u8 apex[256];		/* lowercased wire form, zero-padded */
	__u16 apex_len;
	__u16 pad;
	__u32 soa_blob;		/* SOA record body for NXDOMAIN */
};
_Static_assert(sizeof(struct edge_dns_zone) == 264, "edge_dns_zone size");

/*
 * Prebuilt resource records, ready to copy into a reply:
 * - answer blobs: `count` records, each with owner 0xC00C (the question);
 * - SOA blobs: one record body without its 2-byte owner (type class ttl
 *   rdlength rdata); the data path writes the owner as a pointer to the
 *   apex suffix of the question. Its TTL is min(SOA TTL, minimum) (RFC 2308).
 * csum is the records' 16-bit one's complement sum of host-order loads,
 * as if they started at an even offset (see bpf/csum.h).
 */
struct edge_dns_blob {
	__u16 len;
	__u16 count;
	__u16 csum;
	__u16 pad;
	__u8 data[EDGE_DNS_BLOB_MAX];
};
_Static_assert(sizeof(struct edge_dns_blob) == 8 + EDGE_DNS_BLOB_MAX, "edge_dns_blob size");

enum edge_dns_policy_kind {
	EDGE_POL_STATIC = 0,	/* answer all_blob */
	EDGE_POL_GEO,		/* client region -> ordered pools; first up wins */
	EDGE_POL_WEIGHTED,	/* def[] by weight, sticky per client prefix */
	EDGE_POL_FAILOVER,	/* def[] in order; first up wins */
};

struct edge_dns_cand {
	__u16 pool;		/* index into edge_dns_pools */
	__u16 weight;		/* EDGE_POL_WEIGHTED only */
	__u32 blob;		/* this pool's records of the policy's type */
};

struct edge_dns_policy {
	__u8 kind;		/* enum edge_dns_policy_kind */
	__u8 n_def;		/* entries used in def[] */
	__u16 weight_sum;	/* EDGE_POL_WEIGHTED */
	__u32 all_blob;		/* static answer; for the others: every candidate's
				 * records, answered when all are down (fail open) */
	struct edge_dns_cand def[EDGE_POL_MAX_CAND];	/* failover/weighted/geo default */
	__u8 geo_n[EDGE_MAX_REGIONS];			/* 0: region uses def[] */
	struct edge_dns_cand geo[EDGE_MAX_REGIONS][EDGE_POL_MAX_CAND];
};
_Static_assert(sizeof(struct edge_dns_policy) ==
		       8 + 8 * EDGE_POL_MAX_CAND + EDGE_MAX_REGIONS * (1 + 8 * EDGE_POL_MAX_CAND),
	       "edge_dns_policy size");

struct edge_dns_pool {
	__u32 up;		/* 1 = healthy; written by the daemon / anyedgectl */
};

struct edge_geo4_key {
	__u32 prefixlen;	/* LPM trie: bits that matter */
	__u8 addr[4];
};

struct edge_geo6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct edge_geo {
	__u16 region;		/* 0..EDGE_MAX_REGIONS-1 */
	__u8 prefix_len;	/* of the matched entry: the ECS scope */
	__u8 pad;
};

/*
 * The IPv4 geo data as a direct table in front of the LPM trie, giving the
 * same region and prefix length as a longest-prefix match in edge_geo4
 * (user/geo_dir.c builds it). Three levels of 16, 8 and 8 address bits:
 * a first-level slot per /16; a /16 that holds longer prefixes points to a
 * chunk of 256 slots, one per /24; a /24 that holds longer prefixes points
 * to a chunk of 256 slots, one per address. A lookup reads one to three
 * slots. When the chunks run out, a block's slot says "ask the trie".
 *
 * edge_geo4_dir holds two generations (layout below). A reload writes the generation
 * not in use (through mmap) and then flips edge_geo4_live[0].gen, so a
 * lookup sees the old table or the new one, never a mix.
 */
enum edge_geo4_slot_kind {
	EDGE_GEO4_NONE = 0,	/* no prefix covers the block: no region */
	EDGE_GEO4_LEAF,		/* region ref, from a prefix of length prefix_len */
	EDGE_GEO4_CHUNK,	/* the next level's chunk number ref */
	EDGE_GEO4_TRIE,		/* not resolved here: look the address up in edge_geo4 */
};

struct edge_geo4_slot {
	__u8 kind;		/* enum edge_geo4_slot_kind */
	__u8 prefix_len;	/* LEAF: the ECS scope */
	__u16 ref;		/* LEAF: region; CHUNK: chunk number (element of the generation) */
};
_Static_assert(sizeof(struct edge_geo4_slot) == 4, "edge_geo4_slot size");

#define EDGE_GEO4_L1 65536	/* first-level slots: one per /16 */
#define EDGE_GEO4_CHUNK_SLOTS 256	/* slots per chunk */
#define EDGE_GEO4_L1_CHUNKS (EDGE_GEO4_L1 / EDGE_GEO4_CHUNK_SLOTS)
#define EDGE_GEO4_CHUNKS 32768	/* second- and third-level chunks per generation */
#define EDGE_GEO4_GEN_CHUNKS (EDGE_GEO4_L1_CHUNKS + EDGE_GEO4_CHUNKS)
_Static_assert(EDGE_GEO4_GEN_CHUNKS <= 65536, "chunk numbers fit ref");

/*
 * The map's element: a chunk, not a slot (an array element takes at least
 * 8 bytes, and whole chunks keep the mmap layout dense). Generation g is
 * elements [g * EDGE_GEO4_GEN_CHUNKS, (g + 1) * EDGE_GEO4_GEN_CHUNKS): the
 * first level in its first EDGE_GEO4_L1_CHUNKS elements (the slot of a /16
 * is slot[addr >> 16 & 255] of element addr >> 24), then the chunks that
 * CHUNK slots point to by their element number within the generation.
 */
struct edge_geo4_chunk {
	struct edge_geo4_slot slot[EDGE_GEO4_CHUNK_SLOTS];
};

struct edge_geo4_live {
	__u32 gen;		/* generation of edge_geo4_dir that lookups read: 0 or 1 */
	__u32 chunks;		/* chunks it uses */
	__u32 trie_blocks;	/* blocks left to edge_geo4 (chunks ran out) */
	__u32 pad;
};

/*
 * Load-time constants of the XDP program (the skeleton's .rodata). The
 * daemon sets them before load; they never change while attached.
 */
/*
 * Response rate limiting (RRL): replies per client prefix (the source
 * address masked to prefix4/prefix6), GCRA over a shared LRU hash. Config
 * in edge_dns_rrl_cfg[0], written by the daemon; interval_ns 0 = off.
 */
#define EDGE_MAP_DNS_RRL_CFG "edge_dns_rrl_cfg"
#define EDGE_MAP_DNS_RRL "edge_dns_rrl"
#define EDGE_DNS_RRL_ENTRIES 65536	/* client prefixes tracked (LRU) */

struct edge_dns_rrl_config {
	__u64 interval_ns;	/* 1e9 / rate; 0: RRL off */
	__u64 burst_ns;		/* (burst - 1) * interval_ns: how far the TAT may lead */
	__u32 slip;		/* every slip-th limited reply goes out with TC=1; 0: none */
	__u8 prefix4;		/* 0..32 */
	__u8 prefix6;		/* 0..128 */
	__u16 pad;
};
_Static_assert(sizeof(struct edge_dns_rrl_config) == 24, "edge_dns_rrl_config size");

struct edge_dns_rrl_key {
	__u8 family;		/* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16];		/* the source address masked to the prefix */
};
_Static_assert(sizeof(struct edge_dns_rrl_key) == 20, "edge_dns_rrl_key size");

struct edge_dns_rrl_state {
	__u64 tat;		/* GCRA theoretical arrival time, ns */
	__u64 limited;		/* replies limited in a row (drives the slip) */
};

enum edge_dns_out_of_zone {
	EDGE_OOZ_REFUSE = 0,	/* answer REFUSED */
	EDGE_OOZ_PASS,		/* XDP_PASS to a local fallback server */
};

#endif /* ANYEDGE_H */
