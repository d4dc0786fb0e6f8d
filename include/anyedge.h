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
#define EDGE_MAP_DNS "edge_dns"

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
	X(dns_answered)		/* answered from the maps (XDP_TX) */       \
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
	X(vip_tcp)		/* TCP to a VIP (load balancer: pass) */

enum edge_reason {
#define EDGE_X_ENUM(n) EDGE_R_##n,
	EDGE_REASONS(EDGE_X_ENUM)
#undef EDGE_X_ENUM
	EDGE_R__COUNT
};

struct edge_stats {
	__u64 packets;
	__u64 bytes;
#define EDGE_X_FIELD(n) __u64 verdict_##n;
	EDGE_VERDICTS(EDGE_X_FIELD)
#undef EDGE_X_FIELD
#define EDGE_X_FIELD(n) __u64 reason_##n;
	EDGE_REASONS(EDGE_X_FIELD)
#undef EDGE_X_FIELD
};

#define EDGE_STATS_NVERDICTS 5
_Static_assert(sizeof(struct edge_stats) ==
		       (2 + EDGE_STATS_NVERDICTS + EDGE_R__COUNT) * sizeof(__u64),
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
 * DNS map key: the question name in wire form, lowercased (A-Z only),
 * zero-padded, and the query type. The length byte keeps "a\0" and "a"
 * apart without relying on the padding.
 */
struct edge_dns_key {
	__u16 qtype;	/* host order */
	__u8 name_len;	/* wire length including the root label */
	__u8 pad;
	__u8 name[256];
};
_Static_assert(sizeof(struct edge_dns_key) == 260, "edge_dns_key size");

/* One record set: all A (rdlen 4) or all AAAA (rdlen 16) records. */
struct edge_dns_rrset {
	__u32 ttl;	/* host order */
	__u16 count;	/* 1..EDGE_DNS_MAX_RR */
	__u16 rdlen;	/* 4 or 16 */
	__u8 rdata[EDGE_DNS_MAX_RR][16];
};
_Static_assert(sizeof(struct edge_dns_rrset) == 8 + 16 * EDGE_DNS_MAX_RR,
	       "edge_dns_rrset size");

/*
 * Load-time constants of the XDP program (the skeleton's .rodata). The
 * daemon sets them before load; they never change while attached.
 */
struct edge_settings {
	__u16 dns_udp_size;	/* advertised EDNS UDP payload size */
	__u8 pad[6];
};

#endif /* ANYEDGE_H */
