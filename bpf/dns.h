/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS over UDP answered in place: parse and validate the query, look the
 * (name, type) up, rewrite the frame into the reply and send it back out of
 * the same interface. Anything the fast path does not answer returns a
 * reason and is left to the kernel stack (a fallback server) untouched.
 */
#ifndef EDGE_DNS_H
#define EDGE_DNS_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "csum.h"
#include "maps.h"
#include "parsing.h"

#define DNS_PORT 53

#define DNS_F_QR 0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_CD 0x0010

#define DNS_CLASS_IN 1
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41

#define DNS_HDR_LEN 12
#define DNS_RR_HDR_LEN 12	/* compressed owner (2) type class ttl rdlength */
#define DNS_OPT_LEN 11		/* OPT RR without options */
#define DNS_EDNS_DO 0x8000

/* Our answers go below this offset from data (see dns_write_answers). */
#define DNS_ANSWER_OFF_MASK 0x3ff

/* Set by the daemon before load (skeleton .rodata). */
const volatile __u16 cfg_dns_udp_size = EDGE_DNS_UDP_SIZE;

struct edge_dnshdr {
	__be16 id;
	__be16 flags;
	__be16 qdcount;
	__be16 ancount;
	__be16 nscount;
	__be16 arcount;
};

/* What the reply needs to know about the query. */
struct edge_dns_query {
	__u32 name_len;		/* wire length of the question name */
	__u32 msg_len;		/* DNS message length of the query */
	__u16 flags;		/* query header flags, host order */
	__u16 client_size;	/* largest reply the client accepts */
	__u8 has_opt;
	__u8 opt_do;
	__u64 qsum;		/* raw checksum of the question section */
};

/*
 * Copy the question name into key->name, lowercased, validating label
 * lengths, and add the bytes as sent (the reply echoes them) to *sum.
 * Returns the wire length (including the root label) or -1.
 */
static __always_inline int dns_read_name(const __u8 *q, void *data_end, struct edge_dns_key *key,
					 __u64 *sum)
{
	__u32 next = 0; /* index of the next length byte */
	__u32 j;
	__u8 c;

	/* Constant bound: a wire name is at most 255 bytes. */
	for (j = 0; j < EDGE_DNS_NAME_MAX; j++) {
		if ((void *)(q + j + 1) > data_end)
			return -1;
		c = q[j];
		*sum += csum_byte(c, j);
		if (j == next) {
			if (c == 0)
				return j + 1;
			if (c > 63) /* a compression pointer or reserved type */
				return -1;
			next = j + c + 1;
		} else if (c >= 'A' && c <= 'Z') {
			c += 'a' - 'A';
		}
		key->name[j] = c;
	}
	return -1;
}

/* Validate the query and fill key and query. Returns EDGE_CONTINUE or a reason. */
static __always_inline int dns_parse_query(struct xdp_md *ctx, struct edge_pkt *p,
					   struct edge_scratch *scr, struct edge_dns_query *query)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = edge_pkt_ptr(ctx, p->l4_off);
	struct edge_dns_key *key = &scr->key;
	struct edge_dnshdr *dns;
	__u32 udp_len, pos, name_len;
	__u16 qclass, rdlen;
	__u8 *q, *opt;
	int n;

	if ((void *)(udp + 1) > data_end)
		return EDGE_R_l4_truncated;
	udp_len = bpf_ntohs(udp->len);
	if (udp_len != p->l4_len || udp_len < sizeof(*udp))
		return EDGE_R_l4_truncated;
	dns = (void *)(udp + 1);
	if ((void *)(dns + 1) > data_end || udp_len < sizeof(*udp) + sizeof(*dns))
		return EDGE_R_dns_malformed;
	query->msg_len = udp_len - sizeof(*udp);
	query->flags = bpf_ntohs(dns->flags);
	if (query->flags & (DNS_F_QR | DNS_F_OPCODE))
		return EDGE_R_dns_not_query;
	if (query->flags & DNS_F_TC || dns->qdcount != bpf_htons(1) || dns->ancount ||
	    dns->nscount || bpf_ntohs(dns->arcount) > 1)
		return EDGE_R_dns_malformed;

	q = (void *)(dns + 1);
	n = dns_read_name(q, data_end, key, &query->qsum);
	if (n < 0)
		return EDGE_R_dns_malformed;
	/*
	 * Through map memory, volatile so the compiler cannot forward the
	 * store: see struct edge_scratch.
	 */
	scr->name_len = n;
	name_len = *(volatile __u32 *)&scr->name_len & 0xff;
	if (name_len == 0)
		return EDGE_R_dns_malformed;
	key->name_len = name_len;
	q += name_len;
	if ((void *)(q + 4) > data_end)
		return EDGE_R_dns_malformed;
	key->qtype = (q[0] << 8) | q[1];
	qclass = (q[2] << 8) | q[3];
	/* The question starts at an even UDP offset (20). */
	query->qsum += csum_byte(q[0], name_len) + csum_byte(q[1], name_len + 1) +
		       csum_byte(q[2], name_len + 2) + csum_byte(q[3], name_len + 3);
	pos = DNS_HDR_LEN + name_len + 4;
	query->name_len = name_len;
	query->client_size = 512;

	if (dns->arcount) {
		opt = q + 4;
		if ((void *)(opt + DNS_OPT_LEN) > data_end)
			return EDGE_R_dns_malformed;
		if (opt[0] != 0 || opt[1] != 0 || opt[2] != DNS_TYPE_OPT)
			return EDGE_R_dns_unsupported; /* TSIG, SIG(0), ... */
		rdlen = (opt[9] << 8) | opt[10];
		pos += DNS_OPT_LEN + rdlen;
		if (pos != query->msg_len)
			return EDGE_R_dns_malformed;
		if (opt[6] != 0) /* EDNS version */
			return EDGE_R_dns_unsupported;
		query->has_opt = 1;
		query->opt_do = !!(opt[7] & (DNS_EDNS_DO >> 8));
		query->client_size = (opt[3] << 8) | opt[4];
		if (query->client_size < 512)
			query->client_size = 512;
	} else if (pos != query->msg_len) {
		return EDGE_R_dns_malformed;
	}
	if (qclass != DNS_CLASS_IN ||
	    (key->qtype != DNS_TYPE_A && key->qtype != DNS_TYPE_AAAA))
		return EDGE_R_dns_unsupported;
	return EDGE_CONTINUE;
}

/*
 * Turn the L2/L3/L4 headers around, fix lengths, and finish the UDP
 * checksum: sum holds everything after the UDP header.
 */
static __always_inline int dns_reply_headers(struct xdp_md *ctx, struct edge_pkt *p,
					     __u32 udp_len, __u64 sum)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u8 mac[ETH_ALEN];
	__be16 port;

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	if (p->l3_proto == ETH_P_IP) {
		struct iphdr *ip = edge_pkt_ptr(ctx, p->l3_off);
		__be32 a4;

		if ((void *)(ip + 1) > data_end)
			return -1;
		a4 = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a4;
		ip->tot_len = bpf_htons(sizeof(*ip) + udp_len);
		ip->ttl = 64;
		ip->frag_off = bpf_htons(0x4000); /* DF: answers are never fragmented */
		ip->check = 0;
		ip->check = csum_ipv4_hdr((__u32 *)ip);
		sum += (__u64)ip->saddr + ip->daddr;
		sum += bpf_htons(IPPROTO_UDP) + bpf_htons(udp_len);
	} else {
		struct ipv6hdr *ip6 = edge_pkt_ptr(ctx, p->l3_off);
		struct in6_addr a6;
		int i;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		a6 = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a6;
		ip6->payload_len = bpf_htons(udp_len);
		ip6->hop_limit = 64;
		sum += bpf_htonl(udp_len) + bpf_htonl(IPPROTO_UDP);
#pragma unroll
		for (i = 0; i < 4; i++)
			sum += (__u64)ip6->saddr.in6_u.u6_addr32[i] + ip6->daddr.in6_u.u6_addr32[i];
	}

	udp = edge_pkt_ptr(ctx, p->l4_off);
	if ((void *)(udp + 1) > data_end)
		return -1;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->len = bpf_htons(udp_len);
	sum += udp->source + udp->dest + udp->len;
	udp->check = csum_fold(sum);
	if (!udp->check)
		udp->check = 0xffff; /* zero means "no checksum" in UDP */
	return 0;
}

/*
 * Write the answer records (owner = pointer to the question) and our OPT
 * at off. Returns their raw checksum as if they started at an even offset,
 * or -1.
 */
static __always_inline __s64 dns_write_answers(struct xdp_md *ctx, __u32 off,
					       const struct edge_dns_rrset *rrs, __u16 qtype,
					       const struct edge_dns_query *query)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__be32 ttl = bpf_htonl(rrs->ttl);
	__u32 rdlen = rrs->rdlen;
	__u64 sum = 0, rrhdr;
	const __u32 *rd;
	__u8 *rr;
	__u32 i;

	/* Every record shares owner, type, class, TTL and rdlength. */
	rrhdr = bpf_htons(0xc000 | DNS_HDR_LEN) + bpf_htons(qtype) + bpf_htons(DNS_CLASS_IN) +
		(__u64)ttl + bpf_htons(rdlen);
	for (i = 0; i < EDGE_DNS_MAX_RR; i++) {
		if (i >= rrs->count)
			break;
		/* Masked so the verifier sees a bounded packet offset. */
		rr = data + (off & DNS_ANSWER_OFF_MASK);
		if ((void *)(rr + DNS_RR_HDR_LEN) > data_end)
			return -1;
		rr[0] = 0xc0; /* owner: pointer to the question name at 12 */
		rr[1] = DNS_HDR_LEN;
		rr[2] = qtype >> 8;
		rr[3] = qtype & 0xff;
		rr[4] = 0;
		rr[5] = DNS_CLASS_IN;
		__builtin_memcpy(rr + 6, &ttl, 4);
		rr[10] = 0;
		rr[11] = rdlen;
		rd = (const __u32 *)rrs->rdata[i];
		sum += rrhdr + rd[0];
		if (rdlen == 4) {
			if ((void *)(rr + DNS_RR_HDR_LEN + 4) > data_end)
				return -1;
			__builtin_memcpy(rr + DNS_RR_HDR_LEN, rd, 4);
		} else {
			if ((void *)(rr + DNS_RR_HDR_LEN + 16) > data_end)
				return -1;
			__builtin_memcpy(rr + DNS_RR_HDR_LEN, rd, 16);
			sum += (__u64)rd[1] + rd[2] + rd[3];
		}
		off += DNS_RR_HDR_LEN + rdlen;
	}
	if (query->has_opt) {
		rr = data + (off & DNS_ANSWER_OFF_MASK);
		if ((void *)(rr + DNS_OPT_LEN) > data_end)
			return -1;
		rr[0] = 0; /* root owner */
		rr[1] = 0;
		rr[2] = DNS_TYPE_OPT;
		rr[3] = cfg_dns_udp_size >> 8;
		rr[4] = cfg_dns_udp_size & 0xff;
		rr[5] = 0; /* extended rcode */
		rr[6] = 0; /* version */
		rr[7] = query->opt_do ? (DNS_EDNS_DO >> 8) : 0;
		rr[8] = 0;
		rr[9] = 0; /* no options */
		rr[10] = 0;
		/* The 1-byte root owner shifts every later field by one. */
		sum += csum_byte(DNS_TYPE_OPT, 2) + csum_byte(cfg_dns_udp_size >> 8, 3) +
		       csum_byte(cfg_dns_udp_size & 0xff, 4) +
		       csum_byte(query->opt_do ? (DNS_EDNS_DO >> 8) : 0, 7);
	}
	return (__s64)sum;
}

/*
 * Make the frame delta bytes longer (or shorter). Growing at the tail is
 * cheapest, but a driver may leave no tailroom: native XDP on veth often
 * has only a few bytes after small frames, while it always reserves
 * XDP_PACKET_HEADROOM in front. Then grow at the head and move the first
 * keep bytes (headers and question) to the new start; whatever follows
 * them is overwritten by the answer anyway.
 */
static __always_inline int dns_resize(struct xdp_md *ctx, struct edge_scratch *scr, int delta,
				      __u32 keep)
{
	if (!bpf_xdp_adjust_tail(ctx, delta))
		return EDGE_CONTINUE;
	if (delta <= 0)
		return EDGE_R_dns_no_room;
	/* Bounded and non-zero for the verifier; keep is at most ~350. */
	keep &= EDGE_SCRATCH_FRAME - 1;
	if (keep == 0)
		return EDGE_R_dns_xdp_error;
	if (bpf_xdp_load_bytes(ctx, 0, scr->frame, keep))
		return EDGE_R_dns_xdp_error;
	if (bpf_xdp_adjust_head(ctx, -delta))
		return EDGE_R_dns_no_room;
	if (bpf_xdp_store_bytes(ctx, 0, scr->frame, keep))
		return EDGE_R_dns_xdp_error;
	return EDGE_CONTINUE;
}

/* Answer a UDP query to a DNS VIP. Returns EDGE_R_dns_answered or why not. */
static __always_inline int edge_dns_answer(struct xdp_md *ctx, struct edge_pkt *p)
{
	struct edge_dns_query query = {};
	struct edge_scratch *scr;
	struct edge_dns_rrset *rrs;
	__u32 zero = 0;
	struct edge_dnshdr *dns;
	__u32 msg_len, count, rdlen, frame_len;
	void *data, *data_end;
	__u64 sum;
	__s64 asum;
	int r;

	scr = bpf_map_lookup_elem(&edge_scratch, &zero);
	if (!scr)
		return EDGE_R_dns_xdp_error;
	__builtin_memset(&scr->key, 0, sizeof(scr->key));
	r = dns_parse_query(ctx, p, scr, &query);
	if (r != EDGE_CONTINUE)
		return r;
	rrs = bpf_map_lookup_elem(&edge_dns, &scr->key);
	if (!rrs)
		return EDGE_R_dns_name_unknown;
	count = rrs->count;
	rdlen = rrs->rdlen;
	if (count == 0 || count > EDGE_DNS_MAX_RR || (rdlen != 4 && rdlen != 16))
		return EDGE_R_dns_xdp_error; /* the daemon never writes this */

	msg_len = DNS_HDR_LEN + query.name_len + 4 + count * (DNS_RR_HDR_LEN + rdlen);
	if (query.has_opt)
		msg_len += DNS_OPT_LEN;
	if (msg_len > query.client_size)
		return EDGE_R_dns_too_big;

	/* Size the frame exactly (this also drops any Ethernet padding). */
	frame_len = p->l4_off + sizeof(struct udphdr) + msg_len;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	r = dns_resize(ctx, scr, (int)frame_len - (int)(data_end - data),
		       p->l4_off + sizeof(struct udphdr) + DNS_HDR_LEN + query.name_len + 4);
	if (r != EDGE_CONTINUE)
		return r;

	/* Pointers are invalid after adjust_tail: re-derive from offsets. */
	data_end = (void *)(long)ctx->data_end;
	dns = edge_pkt_ptr(ctx, p->l4_off + sizeof(struct udphdr));
	if ((void *)(dns + 1) > data_end)
		return EDGE_R_dns_xdp_error;
	dns->flags = bpf_htons(DNS_F_QR | DNS_F_AA | (query.flags & (DNS_F_RD | DNS_F_CD)));
	dns->ancount = bpf_htons(count);
	dns->nscount = 0;
	dns->arcount = bpf_htons(query.has_opt);
	sum = query.qsum + dns->id + dns->flags + dns->qdcount + dns->ancount + dns->arcount;

	asum = dns_write_answers(ctx, p->l4_off + sizeof(struct udphdr) + DNS_HDR_LEN +
					      query.name_len + 4,
				 rrs, scr->key.qtype, &query);
	if (asum < 0)
		return EDGE_R_dns_xdp_error;
	/* Answers start at UDP offset 24 + name_len: odd when name_len is. */
	sum += (query.name_len & 1) ? csum_shift_odd(asum) : csum_fold16(asum);

	if (dns_reply_headers(ctx, p, sizeof(struct udphdr) + msg_len, sum))
		return EDGE_R_dns_xdp_error;
	return EDGE_R_dns_answered;
}

#endif /* EDGE_DNS_H */
