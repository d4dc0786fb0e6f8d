/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Authoritative DNS over UDP answered in place.
 *
 *   dns_parse_query   validate header, walk the name (lowercase copy, label
 *                     hashes, checksum of the bytes as sent), OPT and ECS
 *   dns_plan          name -> policy -> answer blob; or NODATA / NXDOMAIN
 *                     (with the zone's SOA), REFUSED, FORMERR, BADVERS
 *   dns_build         size the frame, write header, records and OPT, turn
 *                     the headers around, finish the checksums
 *
 * Anything the fast path does not answer returns a reason and is left to
 * the kernel stack (a local fallback server) untouched.
 */
#ifndef EDGE_DNS_H
#define EDGE_DNS_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "dns_wire.h"
#include "geo4.h"
#include "csum.h"
#include "maps.h"
#include "parsing.h"
#include "rrl.h"
#include "tables.h"

#define DNS_PORT 53

#define DNS_F_QR 0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_CD 0x0010

#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED 5

#define DNS_CLASS_IN 1
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41
#define DNS_OPT_ECS 8

#define DNS_HDR_LEN 12
#define DNS_OPT_LEN 11		/* OPT RR without options */
#define DNS_EDNS_DO 0x8000
#define DNS_MAX_OPTIONS 8	/* more EDNS options than this: left to the fallback */
#define DNS_MAX_AR 2		/* additional records we look at (two OPTs: FORMERR) */

/* Set by the daemon before load (skeleton .rodata). */
const volatile __u16 cfg_dns_udp_size = EDGE_DNS_UDP_SIZE;
const volatile __u8 cfg_dns_out_of_zone = EDGE_OOZ_REFUSE;

/*
 * Bench only (build/dns_bench -a, -A): the program built with
 * -DEDGE_BENCH_STAGES (build/edge_stages.bpf.o, never loaded by the daemon)
 * stops at the stage in edge_bench_stage (bpf/maps.h) and passes the
 * packet (as EDGE_R_dns_unsupported), so each stage's cost is read by
 * difference. In the real program DNS_STAGE() is empty: no load, no
 * compare.
 */
static __always_inline bool dns_bench_stop(__u32 stage)
{
#ifdef EDGE_BENCH_STAGES
	__u32 zero = 0, *stop = bpf_map_lookup_elem(&edge_bench_stage, &zero);

	return stop && *stop == stage;
#else
	return false;
#endif
}

#define DNS_STAGE(n)                                   \
	do {                                           \
		if (dns_bench_stop(n))                 \
			return EDGE_R_dns_unsupported; \
	} while (0)

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
	__u64 qsum;		/* raw checksum of the question section */
	__u64 name_key;		/* the name's key in edge_dns_name_index (dns_wire.h) */
	__u32 name_len;		/* wire length of the question name */
	__u32 msg_len;		/* DNS message length of the query */
	__u16 qtype;
	__u16 flags;		/* query header flags, host order */
	__u16 client_size;	/* largest reply the client accepts */
	__u8 has_opt;
	__u8 opt_do;
	__u8 opt_version;
	__u8 formerr;		/* malformed OPT/ECS: answer FORMERR */
	__u8 has_ecs;
	__u8 ecs_source;	/* source prefix length */
	__u8 ecs_addr_len;	/* address bytes present */
	__u8 ecs_family;	/* 1 = IPv4, 2 = IPv6 */
	__u32 dns_off;		/* from data: DNS header */
	__u32 ar_pos;		/* msg offset of the additional section */
	__u32 arcount;
};

/* What to answer. Blob indexes are +1 (0 = none). */
struct edge_dns_plan {
	__u32 reason;
	__u32 ans_blob;
	__u32 soa_blob;
	__u32 apex_len;
	__u16 rcode;
	__u8 ext_rcode;		/* upper 8 bits, in the OPT (BADVERS = 1) */
	__u8 scope;		/* ECS scope prefix length */
	__u8 slip;		/* rate-limited: TC=1 and no records */
	__u8 pad[3];
};

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the name walk loads little-endian words (include/dns_wire.h)"
#endif

/*
 * One 8-byte store at any byte offset (x86 and arm64 allow it, and so
 * does the verifier for map values without strict alignment): clang
 * would split a store through a cast pointer of unknown alignment into
 * eight byte stores.
 */
static __always_inline void dns_store8(__u8 *dst, __u64 w)
{
	asm volatile("*(u64 *)(%[dst] + 0) = %[w]" : : [dst] "r"(dst), [w] "r"(w) : "memory");
}

/* An 8-byte load from any byte offset (see dns_store8()). */
static __always_inline __u64 dns_load8(const __u8 *src)
{
	__u64 w;

	asm volatile("%[w] = *(u64 *)(%[src] + 0)" : [w] "=r"(w) : [src] "r"(src) : "memory");
	return w;
}

/* Chunks of a name at most: 127 one-letter labels (2 bytes each) and the root. */
#define DNS_NAME_CHUNKS 128
/* 8-byte words of a name at most (EDGE_DNS_NAME_MAX). */
#define DNS_NAME_WORDS 32

/*
 * First pass over the question name: hop from length byte to length
 * byte, check each (at most 63: no compression pointers), note where
 * each label starts in scr->lab_off[] and the label count in
 * scr->n_labels, and stop at the root label. Byte loads and adds only:
 * the hashing and copying is done by whole words afterwards
 * (edge_dns_name_words()), off this serial chain.
 * One label per iteration, so the label index is the loop counter and
 * the cursor can stay in a register: every iteration's branches leave
 * the function, so the verifier walks each iteration once whatever the
 * cursor's range (no state to prune, none to multiply).
 * Returns the wire length (including the root label; the whole name is
 * inside the message) or -1. The message starts at query->dns_off and is
 * query->msg_len long. A global function: verified once.
 */
__noinline int edge_dns_name_labels(struct xdp_md *ctx, struct edge_scratch *scr,
				    const struct edge_dns_query *query)
{
	__u32 pos = 0, i, dpos, len, msg_len;
	const __u8 *dns, *ptr;
	void *data_end;

	if (!ctx || !scr || !query)
		return -1;
	data_end = (void *)(long)ctx->data_end;
	dns = (void *)(long)ctx->data + (query->dns_off & EDGE_OFF_MASK);
	msg_len = query->msg_len;
	for (i = 0; i < EDGE_DNS_MAX_LABELS; i++) {
		dpos = DNS_HDR_LEN + pos;
		if (dpos >= msg_len)
			return -1;
		/* The barrier keeps the mask: the compiler knows dpos < 0x10b. */
		barrier_var(dpos);
		ptr = dns + (dpos & 0x1ff);
		if ((void *)(ptr + 1) > data_end)
			return -1;
		len = *ptr;
		if (!len) {
			scr->n_labels = i;
			return pos + 1;
		}
		if (len > 63) /* a compression pointer or reserved type */
			return -1;
		scr->lab_off[i] = pos;
		/* The root label must fit too: pos + 1 <= EDGE_DNS_NAME_MAX. */
		pos += len + 1;
		if (pos >= EDGE_DNS_NAME_MAX)
			return -1;
	}
	return -1;
}

/*
 * Second pass: the name (name_len bytes from edge_dns_name_labels(), in
 * scr->name_len) in fixed 8-byte words, each one load (near the end of
 * the message the last 8 bytes, shifted down), the bytes past the name
 * masked off: add the bytes as sent (the reply echoes them) to
 * query->qsum, copy them lowercased into scr->name, and hash them into
 * the name's index key (query->name_key, see include/dns_wire.h). The
 * words do not depend on each other but through the key's multiply: no
 * loads wait on earlier ones. The question starts at an even offset, so
 * every word sits at an even stream offset for the checksum. 0 or -1.
 */
__noinline int edge_dns_name_words(struct xdp_md *ctx, struct edge_scratch *scr,
				   struct edge_dns_query *query)
{
	__u64 key = EDGE_DNS_KEY_INIT, s = 0, w;
	__u32 i, pos, dpos, off, last, name_len, msg_len;
	const __u8 *dns, *ptr;
	void *data_end;
	__s32 d;

	if (!ctx || !scr || !query)
		return -1;
	data_end = (void *)(long)ctx->data_end;
	dns = (void *)(long)ctx->data + (query->dns_off & EDGE_OFF_MASK);
	name_len = scr->name_len;
	msg_len = query->msg_len;
	/* The name (ending inside the message) and qtype/qclass at least. */
	if (name_len == 0 || name_len > EDGE_DNS_NAME_MAX || msg_len < DNS_HDR_LEN + 5)
		return -1;
	last = msg_len - 8;
	for (i = 0; i < DNS_NAME_WORDS; i++) {
		pos = 8 * i;
		if (pos >= name_len)
			break;
		/*
		 * off = min(dpos, last), branch-free; dpos - off <= 7 as the
		 * name ends inside the message.
		 */
		dpos = DNS_HDR_LEN + pos;
		d = (__s32)(dpos - last);
		off = last + (d & (d >> 31));
		/*
		 * The message is all in the frame (UDP and IP lengths checked).
		 * The barrier keeps the mask: the compiler knows off < 0x1ff, the
		 * verifier does not.
		 */
		barrier_var(off);
		ptr = dns + (off & 0x1ff);
		if ((void *)(ptr + 8) > data_end)
			return -1;
		w = *(const __u64 *)ptr >> (((dpos - off) & 7) * 8);
		/* Keep the name's bytes only (little endian: the low ones). */
		if (name_len - pos < 8)
			w &= ~0ULL >> ((64 - 8 * (name_len - pos)) & 63);
		s += (w & 0xffffffff) + (w >> 32);
		w = edge_dns_lower8(w);
		key = edge_dns_key_step(key, w);
		/* Whole words: scr->name has 8 spare bytes. */
		dns_store8(&scr->name[pos & 0xff], w);
	}
	query->qsum += s;
	query->name_key = edge_dns_key_finish(key, name_len);
	return 0;
}

/*
 * Each label's hash (include/dns_wire.h: its length byte and bytes by
 * 8-byte chunks, the last zero-padded) into scr->hash[], from the
 * lowercased copy in scr->name: needed only when the name is not found
 * (the zones are keyed by suffix hashes of the labels' hashes). One flat
 * loop over the chunks, the cursor through map memory as in
 * edge_dns_name_labels(). 0 or -1.
 */
__noinline int edge_dns_label_hashes(struct edge_scratch *scr)
{
	__u64 h = EDGE_DNS_LABEL_HASH_INIT, w;
	__u32 pos, rem, k, n, i, at;
	__s32 d;

	if (!scr)
		return -1;
	scr->walk_pos = 0;
	scr->walk_rem = 0;
	scr->walk_lab = 0;
	for (i = 0; i < DNS_NAME_CHUNKS + 1; i++) {
		pos = *(volatile __u32 *)&scr->walk_pos & 0xff;
		rem = *(volatile __u32 *)&scr->walk_rem & 0x7f;
		k = *(volatile __u32 *)&scr->walk_lab & (EDGE_DNS_MAX_LABELS - 1);
		if (!rem) {
			rem = scr->name[pos];
			if (!rem)
				return 0; /* the root */
			rem = (rem & 0x3f) + 1;
			h = EDGE_DNS_LABEL_HASH_INIT;
		}
		d = (__s32)(rem - 8); /* n = min(rem, 8), 1..8 */
		n = 8 + (d & (d >> 31));
		at = pos;
		barrier_var(at); /* the mask stays for the verifier */
		w = dns_load8(&scr->name[at & 0xff]) & ~0ULL >> ((64 - 8 * n) & 63);
		h = edge_dns_chunk_step(h, w);
		/* The last chunk's value stays: the label's hash. */
		scr->hash[k] = h;
		if (rem == n)
			scr->walk_lab = k + 1;
		scr->walk_pos = pos + n;
		scr->walk_rem = rem - n;
	}
	return -1;
}

/*
 * Fold the labels' hashes (from the walk) into suffix hashes, from the
 * root: hash[i] = H(name from label i).
 */
static __always_inline void dns_suffix_hashes(struct edge_scratch *scr)
{
	__u64 h = EDGE_DNS_ROOT_HASH;
	__u32 n = scr->n_labels, k, i;

	for (k = 0; k < EDGE_DNS_MAX_LABELS; k++) {
		if (k >= n)
			break;
		i = (n - 1 - k) & (EDGE_DNS_MAX_LABELS - 1);
		h = edge_dns_mix(scr->hash[i], h);
		scr->hash[i] = h;
	}
}

/* A wire name as a global function argument (the verifier sizes it by type). */
struct edge_dns_wire {
	__u8 b[256];
};

/*
 * Does the name in scr starting at off equal want (len bytes, zero-padded)?
 * A global function: verified once, not at every call site. Whole 8-byte
 * words: want is 8-byte aligned in its map value and so is scr->name;
 * scr->name + off may not be, and the verifier allows that (no strict
 * alignment for map values on x86 and arm64; the loads stay single ldxdw
 * instead of the eight byte loads memcpy would make).
 */
__noinline int edge_dns_name_eq(const struct edge_scratch *scr, __u32 off,
				const struct edge_dns_wire *want, __u32 len)
{
	__u32 k, words = (len + 7) / 8;
	__u64 a, b, mask;

	if (!scr || !want)
		return 0;
	for (k = 0; k < 32; k++) {
		if (k >= words)
			break;
		/* Bounded offsets for the verifier; scr->name has 8 spare bytes. */
		a = dns_load8(&scr->name[(off + 8 * k) & 0xff]);
		b = dns_load8(&want->b[(8 * k) & 0xf8]);
		if (k == words - 1 && (len & 7)) {
			mask = (1ULL << (8 * (len & 7))) - 1; /* little endian */
			a &= mask;
			b &= mask;
		}
		if (a != b)
			return 0;
	}
	return 1;
}

/*
 * The name in scr equal to want (both from offset 0, 8-byte aligned) for
 * a length of 1 to 24 bytes: three word compares inline, the bytes past
 * len masked off, instead of a call to edge_dns_name_eq().
 */
static __always_inline bool dns_name_eq_short(const struct edge_scratch *scr, const __u8 *want,
					      __u32 len)
{
	__u64 d = 0, m;
	__s32 v;
	int k;

#pragma unroll
	for (k = 0; k < 3; k++) {
		v = (__s32)len - 8 * k; /* bytes of the name in word k */
		m = v >= 8 ? ~0ULL : v <= 0 ? 0 : (1ULL << (8 * v)) - 1; /* little endian */
		d |= (dns_load8(&scr->name[8 * k]) ^ dns_load8(&want[8 * k])) & m;
	}
	return !d;
}

/* Two bytes into the frame: straight when linear, else the helper. */
static __always_inline int dns_pkt_write2(struct xdp_md *ctx, __u32 off, const __u8 *b)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *ptr;

	if (off < 0x800) {
		ptr = data + (off & 0x7ff); /* bounded for the verifier */
		if ((void *)(ptr + 2) <= data_end) {
			ptr[0] = b[0];
			ptr[1] = b[1];
			return 0;
		}
	}
	return bpf_xdp_store_bytes(ctx, off, (void *)b, 2);
}

/* Map memory a global function may copy from (sized for the verifier by its type). */
struct edge_dns_bytes {
	__u8 b[EDGE_DNS_BLOB_MAX];
};

/*
 * Copy len (8 to max) bytes of src into the frame at offset off as whole
 * words straight into the packet (the last word overlapping the one
 * before it instead of a byte tail). 0, or -1 when the frame is not
 * linear there (the caller then uses bpf_xdp_store_bytes()). Inline: a
 * small max (an answer of one or two A records, one AAAA) costs no call;
 * edge_dns_copy() uses it with the largest.
 */
static __always_inline int dns_copy_words(struct xdp_md *ctx, __u32 off, const __u8 *src,
					  __u32 len, const __u32 max)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 tail;
	__u32 k;
	__u8 *dst;

	if (len < 8 || len > max || off >= 0x800)
		return -1;
	/* The barriers keep checks the compiler knows are no-ops; the verifier does not. */
	tail = len - 8;
	barrier_var(tail);
	if (tail > max - 8)
		return -1;
	barrier_var(off);
	dst = data + (off & 0x7ff);
	for (k = 0; k < max / 8; k++) {
		if (8 * k >= tail)
			break;
		if ((void *)(dst + 8 * k + 8) > data_end)
			return -1;
		dns_store8(dst + 8 * k, dns_load8(src + 8 * k));
	}
	if ((void *)(dst + tail + 8) > data_end)
		return -1;
	dns_store8(dst + tail, dns_load8(src + tail));
	return 0;
}

/*
 * Copy len (1 to EDGE_DNS_BLOB_MAX) bytes of src into the frame at offset
 * off: dns_copy_words() when it can, else bpf_xdp_store_bytes(). A global
 * function: its loop is verified once, not at every call site. 0 or -errno.
 */
__noinline int edge_dns_copy(struct xdp_md *ctx, __u32 off, const struct edge_dns_bytes *src,
			     __u32 len)
{
	__u64 n;

	if (!ctx || !src)
		return -1;
	if (!dns_copy_words(ctx, off, src->b, len, EDGE_DNS_BLOB_MAX))
		return 0;
	n = len; /* 64-bit: the checked register is the one passed */
	barrier_var(n);
	if (n == 0 || n > EDGE_DNS_BLOB_MAX)
		return -1;
	return bpf_xdp_store_bytes(ctx, off, (void *)src, n);
}

/*
 * Our OPT record without options, as it lies in memory: the 8 bytes from
 * its start (root owner, TYPE, CLASS = our UDP size, the extended RCODE,
 * version 0, the DO flag); the 3 after them (the rest of the TTL and
 * RDLENGTH) are zero. Same bytes as dns_opt_bytes() without ECS.
 */
static __always_inline __u64 dns_opt_word(const struct edge_dns_query *query,
					  const struct edge_dns_plan *plan)
{
	__u64 b3 = cfg_dns_udp_size >> 8, b4 = cfg_dns_udp_size & 0xff;

	return (__u64)DNS_TYPE_OPT << 16 | b3 << 24 | b4 << 32 | (__u64)plan->ext_rcode << 40 |
	       (__u64)(query->opt_do ? (DNS_EDNS_DO >> 8) : 0) << 56;
}

/*
 * The 11-byte OPT at frame offset off from its first word w: two
 * overlapping stores. 0, or -1 when the frame is not linear there.
 */
static __always_inline int dns_put_opt(struct xdp_md *ctx, __u32 off, __u64 w)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *dst;

	if (off >= 0x800)
		return -1;
	barrier_var(off);
	dst = data + (off & 0x7ff);
	if ((void *)(dst + DNS_OPT_LEN) > data_end)
		return -1;
	dns_store8(dst, w);
	dns_store8(dst + DNS_OPT_LEN - 8, w >> 8 * (DNS_OPT_LEN - 8));
	return 0;
}

/*
 * The n (1 to 8) bytes at frame offset off, in the low bytes of *w (zeros
 * above): one load of the 8 bytes that end where they end (the DNS header
 * is before them), shifted down. 0, or -1 when not in the linear part.
 */
static __always_inline int dns_pkt_bytes8(struct xdp_md *ctx, __u32 off, __u32 n, __u64 *w)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 start = off + n - 8;
	const __u8 *ptr;

	if (start >= 0x800 || n - 1 > 7)
		return -1;
	barrier_var(start); /* keeps the mask for the verifier */
	ptr = data + (start & 0x7ff);
	if ((void *)(ptr + 8) > data_end)
		return -1;
	*w = dns_load8(ptr) >> (((8 - n) * 8) & 63);
	return 0;
}

/* The big-endian 16-bit value in the low two bytes (memory order) of w. */
static __always_inline __u32 dns_be16(__u64 w)
{
	return (w & 0xff) << 8 | (w >> 8 & 0xff);
}

/*
 * The 11 bytes of an OPT RR's fixed part at frame offset off as two
 * overlapping words: *w bytes 0-7, *v bytes 3-10 (two loads instead of
 * eleven byte copies). 0, or -errno from the helper when not linear.
 */
static __always_inline int dns_opt_read(struct xdp_md *ctx, __u32 off, __u64 *w, __u64 *v)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 b[2];
	const __u8 *ptr;
	int r;

	if (off < 0x800) {
		ptr = data + (off & 0x7ff); /* bounded for the verifier */
		if ((void *)(ptr + DNS_OPT_LEN) <= data_end) {
			*w = dns_load8(ptr);
			*v = dns_load8(ptr + 3);
			return 0;
		}
	}
	b[1] = 0;
	r = bpf_xdp_load_bytes(ctx, off, b, DNS_OPT_LEN);
	*w = b[0];
	*v = b[0] >> 24 | b[1] << 40; /* little endian */
	return r;
}

/* An EDNS option's code and length (4 bytes at off), in the low bytes of *x. */
static __always_inline int dns_opt_head(struct xdp_md *ctx, __u32 off, __u64 *x)
{
	__u32 b = 0;
	int r;

	if (!dns_pkt_bytes8(ctx, off, 4, x))
		return 0;
	r = bpf_xdp_load_bytes(ctx, off, &b, 4);
	*x = b;
	return r;
}

/*
 * The ECS option's len (4 to 20) bytes at frame offset off into scr->ecs,
 * zero-padded to its 20: up to three word loads, else the helper. 0 or
 * -errno.
 */
static __always_inline int dns_read_ecs(struct xdp_md *ctx, __u32 off, __u32 len,
					struct edge_scratch *scr)
{
	__u64 w0 = 0, w1 = 0, w2 = 0;

	if (len < 4 || len > sizeof(scr->ecs))
		return -1;
	if (dns_pkt_bytes8(ctx, off, len < 8 ? len : 8, &w0) ||
	    (len > 8 && dns_pkt_bytes8(ctx, off + 8, len < 16 ? len - 8 : 8, &w1)) ||
	    (len > 16 && dns_pkt_bytes8(ctx, off + 16, len - 16, &w2))) {
		__builtin_memset(scr->ecs, 0, sizeof(scr->ecs));
		return bpf_xdp_load_bytes(ctx, off, scr->ecs, len);
	}
	/* scr->ecs is 8-byte aligned (bpf/maps.h). */
	*(__u64 *)&scr->ecs[0] = w0;
	*(__u64 *)&scr->ecs[8] = w1;
	*(__u32 *)&scr->ecs[16] = (__u32)w2;
	return 0;
}

/*
 * EDNS OPT record(s) at query->ar_pos (query->arcount of them). Fills
 * query; sets query->formerr for malformed options or two OPTs. Returns
 * EDGE_CONTINUE or a pass reason.
 */
__noinline int edge_dns_parse_opt(struct xdp_md *ctx, struct edge_scratch *scr,
				  struct edge_dns_query *query)
{
	__u32 i, k, o, end, len, code, dns_off, pos, arcount;
	__u64 w, v, x;
	__u8 last, src;

	if (!scr || !query)
		return EDGE_R_dns_xdp_error;
	dns_off = query->dns_off;
	pos = query->ar_pos;
	arcount = query->arcount;
	for (i = 0; i < DNS_MAX_AR; i++) {
		if (i >= arcount)
			break;
		if (pos + DNS_OPT_LEN > query->msg_len ||
		    dns_opt_read(ctx, dns_off + pos, &w, &v))
			return EDGE_R_dns_malformed;
		/* w: bytes 0-7 of the RR (owner, TYPE, CLASS, TTL); v: 3-10. */
		if ((w & 0xffffff) != DNS_TYPE_OPT << 16) /* root owner, TYPE OPT */
			return EDGE_R_dns_unsupported; /* TSIG, SIG(0), ... */
		o = pos + DNS_OPT_LEN;
		end = o + dns_be16(v >> 48); /* RDLENGTH: bytes 9-10 */
		if (end > query->msg_len)
			return EDGE_R_dns_malformed;
		pos = end;
		if (query->has_opt) {
			query->formerr = 1; /* RFC 6891 6.1.1: more than one OPT */
			continue;
		}
		query->has_opt = 1;
		query->client_size = dns_be16(w >> 24); /* CLASS: bytes 3-4 */
		if (query->client_size < 512)
			query->client_size = 512;
		query->opt_version = (w >> 48) & 0xff;
		query->opt_do = !!((w >> 56) & (DNS_EDNS_DO >> 8));
		for (k = 0; k < DNS_MAX_OPTIONS; k++) {
			if (o >= end)
				break;
			if (o + 4 > end || dns_opt_head(ctx, dns_off + o, &x)) {
				query->formerr = 1;
				break;
			}
			code = dns_be16(x);
			len = dns_be16(x >> 16);
			if (o + 4 + len > end) {
				query->formerr = 1;
				break;
			}
			if (code == DNS_OPT_ECS) {
				/* RFC 7871 6: family(2) source(1) scope(1) address */
				if (query->has_ecs || len < 4 || len > sizeof(scr->ecs)) {
					query->formerr = 1;
					break;
				}
				if (dns_read_ecs(ctx, dns_off + o + 4, len, scr))
					return EDGE_R_dns_malformed;
				src = scr->ecs[2];
				query->ecs_family = scr->ecs[1];
				query->ecs_source = src;
				query->ecs_addr_len = len - 4;
				if (scr->ecs[0] != 0 || (scr->ecs[1] != 1 && scr->ecs[1] != 2) ||
				    (scr->ecs[1] == 1 && src > 32) || src > 128 ||
				    len - 4 != (src + 7u) / 8) {
					query->formerr = 1;
					break;
				}
				/* Bits beyond the source prefix must be zero. */
				if (src & 7) {
					last = scr->ecs[(4 + src / 8) & 0x1f];
					if (last & (0xff >> (src & 7))) {
						query->formerr = 1;
						break;
					}
				}
				query->has_ecs = 1;
			}
			o += 4 + len;
		}
		if (!query->formerr && o < end)
			return EDGE_R_dns_unsupported; /* more options than we walk */
	}
	if (pos != query->msg_len)
		return EDGE_R_dns_malformed;
	return EDGE_CONTINUE;
}

/* Validate the query and fill scr and query. Returns EDGE_CONTINUE or a reason. */
static __always_inline int dns_parse_query(struct xdp_md *ctx, struct edge_pkt *p,
					   struct edge_scratch *scr, struct edge_dns_query *query)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = edge_pkt_ptr(ctx, p->l4_off);
	struct edge_dnshdr *dns;
	__u32 udp_len, pos, name_len, arcount;
	__u16 qclass;
	__u8 *q;
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
	arcount = bpf_ntohs(dns->arcount);
	if (query->flags & DNS_F_TC || dns->qdcount != bpf_htons(1) || dns->ancount ||
	    dns->nscount || arcount > DNS_MAX_AR)
		return EDGE_R_dns_malformed;

	DNS_STAGE(4);
	query->dns_off = p->l4_off + sizeof(*udp);
	n = edge_dns_name_labels(ctx, scr, query);
	if (n < 0)
		return EDGE_R_dns_malformed;
	/*
	 * Through map memory, volatile so the compiler cannot forward the
	 * store: see struct edge_scratch.
	 */
	scr->name_len = n;
	if (edge_dns_name_words(ctx, scr, query))
		return EDGE_R_dns_malformed;
	DNS_STAGE(5);
	name_len = *(volatile __u32 *)&scr->name_len & 0xff;
	if (name_len == 0)
		return EDGE_R_dns_malformed;
	q = (__u8 *)(dns + 1) + name_len;
	if ((void *)(q + 4) > data_end)
		return EDGE_R_dns_malformed;
	query->qtype = (q[0] << 8) | q[1];
	qclass = (q[2] << 8) | q[3];
	/* The question starts at an even UDP offset (20). */
	query->qsum += csum_byte(q[0], name_len) + csum_byte(q[1], name_len + 1) +
		       csum_byte(q[2], name_len + 2) + csum_byte(q[3], name_len + 3);
	pos = DNS_HDR_LEN + name_len + 4;
	query->name_len = name_len;
	query->client_size = 512;

	query->ar_pos = pos;
	query->arcount = arcount;
	if (arcount) {
		n = edge_dns_parse_opt(ctx, scr, query);
		if (n != EDGE_CONTINUE)
			return n;
	} else if (pos != query->msg_len) {
		return EDGE_R_dns_malformed; /* bytes after the question */
	}
	if (qclass != DNS_CLASS_IN ||
	    (query->qtype != DNS_TYPE_A && query->qtype != DNS_TYPE_AAAA))
		return EDGE_R_dns_unsupported;
	return EDGE_CONTINUE;
}

/*
 * Note an event for the exit: edge_verdict() counts it with the verdict,
 * one stats lookup per packet instead of one more per event.
 */
static __always_inline void dns_event(struct edge_pkt *p, enum edge_event ev)
{
	p->events |= 1u << ev;
}

/* RFC 7871 §10 / RFC 6890: addresses that say nothing about a location. */
static __always_inline bool dns_addr_private(const __u8 *a, __u8 family)
{
	if (family == 1)
		return a[0] == 10 || a[0] == 127 || a[0] == 0 ||
		       (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 169 && a[1] == 254) || (a[0] == 100 && (a[1] & 0xc0) == 64);
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       (a[0] == 0 && a[1] == 0); /* ::/16 covers ::1, :: and v4-mapped */
}

/*
 * Where is the client? The ECS address when the query has a usable one,
 * else the source address. Fills family (1 = IPv4, 2 = IPv6), addr and the
 * prefix length that is known about it (the ECS source or the full length).
 */
static __always_inline bool dns_client(struct xdp_md *ctx, struct edge_pkt *p,
				       struct edge_scratch *scr, struct edge_dns_query *query,
				       __u8 *family, __u8 addr[16], __u8 *known)
{
	void *data_end = (void *)(long)ctx->data_end;

	if (query->has_ecs && query->ecs_source &&
	    !dns_addr_private(scr->ecs + 4, query->ecs_family)) {
		*family = query->ecs_family;
		/* Word moves: memcpy at these alignments is 16 byte loads and stores. */
		dns_store8(addr, dns_load8(scr->ecs + 4));
		dns_store8(addr + 8, dns_load8(scr->ecs + 12));
		*known = query->ecs_source;
		dns_event(p, EDGE_EV_dns_ecs);
		return true;
	}
	if (query->has_ecs)
		dns_event(p, EDGE_EV_dns_ecs_ignored);
	__builtin_memset(addr, 0, 16);
	if (p->l3_proto == ETH_P_IP) {
		struct iphdr *ip = edge_pkt_ptr(ctx, p->l3_off);

		*family = 1;
		*known = 32;
		if ((void *)(ip + 1) <= data_end)
			__builtin_memcpy(addr, &ip->saddr, 4);
	} else {
		struct ipv6hdr *ip6 = edge_pkt_ptr(ctx, p->l3_off);

		*family = 2;
		*known = 128;
		if ((void *)(ip6 + 1) <= data_end) {
			dns_store8(addr, dns_load8((const __u8 *)&ip6->saddr));
			dns_store8(addr + 8, dns_load8((const __u8 *)&ip6->saddr + 8));
		}
	}
	return false;
}

/*
 * The slot of edge_geo4_dir an IPv4 address (host order) ends on: its /16's
 * first-level slot, then down the chunks (at most two) it points to.
 */
static __always_inline struct edge_geo4_slot *dns_geo4_slot(__u32 a)
{
	struct edge_geo4_live *live;

	live = bpf_map_lookup_elem(&edge_geo4_live, &(__u32){0});
	return geo4_dir_walk(&edge_geo4_dir, live && (live->gen & 1) ? EDGE_GEO4_GEN_CHUNKS : 0, a);
}

/* Region of the client, and the prefix length that decided it. */
static __always_inline __u16 dns_region(struct edge_pkt *p, __u8 family, const __u8 addr[16],
					__u8 known,
					__u8 *scope)
{
	struct edge_geo4_slot *s;
	struct edge_geo *g;
	__u32 a;

	/*
	 * Look the address up at full length (bits past the ECS source are
	 * zero): the entry that matches gives the scope, which may be longer
	 * than the source (RFC 7871 7.2.1 allows it; gdnsd does the same).
	 * IPv4 goes through the direct table; the trie only for a block it
	 * leaves to it.
	 */
	if (family == 1) {
		__builtin_memcpy(&a, addr, 4);
		s = dns_geo4_slot(bpf_ntohl(a));
		if (s && s->kind == EDGE_GEO4_LEAF && s->ref < EDGE_MAX_REGIONS) {
			dns_event(p, EDGE_EV_dns_geo_matched);
			*scope = s->prefix_len;
			return s->ref;
		}
		if (!s || s->kind != EDGE_GEO4_TRIE) {
			*scope = known;
			return EDGE_REGION_NONE;
		}
	}
	if (family == 1) {
		struct edge_geo4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, addr, 4);
		g = bpf_map_lookup_elem(&edge_geo4, &k);
	} else {
		struct edge_geo6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, addr, 16);
		g = bpf_map_lookup_elem(&edge_geo6, &k);
	}
	if (!g || g->region >= EDGE_MAX_REGIONS) {
		/* No entry covers the client: valid for what we know of it. */
		*scope = known;
		return EDGE_REGION_NONE;
	}
	dns_event(p, EDGE_EV_dns_geo_matched);
	*scope = g->prefix_len;
	return g->region;
}

static __always_inline bool dns_pool_up(__u32 pool)
{
	struct edge_dns_pool *p = bpf_map_lookup_elem(&edge_dns_pools, &pool);

	return p && p->up;
}

/*
 * First healthy candidate of an ordered list, from index start (< n,
 * wrapping). The wrap is a compare, not a modulo: a division costs tens
 * of cycles, once per candidate looked at.
 */
static __always_inline __u32 dns_first_up(const struct edge_dns_cand *c, __u32 n, __u32 start)
{
	__u32 i, k;

	for (i = 0; i < EDGE_POL_MAX_CAND; i++) {
		if (i >= n)
			break;
		k = start + i;
		if (k >= n)
			k -= n;
		if (k < EDGE_POL_MAX_CAND && dns_pool_up(c[k].pool))
			return c[k].blob + 1;
	}
	return 0;
}

/* Weighted choice, sticky per client /24 (IPv4) or /56 (IPv6). */
static __always_inline __u32 dns_weighted_start(const struct edge_dns_policy *pol, __u8 family,
						const __u8 addr[16])
{
	__u64 h = EDGE_DNS_LABEL_HASH_INIT;
	__u32 i, r, acc = 0, n = pol->n_def;

	for (i = 0; i < 7; i++) {
		if (family == 1 && i >= 3)
			break;
		h = edge_dns_label_step(h, addr[i]);
	}
	h = edge_dns_mix(h, family);
	if (!pol->weight_sum)
		return 0;
	r = (__u32)(h % pol->weight_sum);
	for (i = 0; i < EDGE_POL_MAX_CAND; i++) {
		if (i >= n)
			break;
		acc += pol->def[i].weight;
		if (r < acc)
			return i;
	}
	return 0;
}

/* Policy -> answer blob (+1), and the ECS scope that decided it. */
static __always_inline __u32 dns_pick(struct xdp_md *ctx, struct edge_pkt *p,
				      struct edge_scratch *scr, struct edge_dns_query *query,
				      const struct edge_dns_policy *pol, __u8 *scope)
{
	__u8 family, known, addr[16] __attribute__((aligned(8))); /* moved as words */
	__u32 blob = 0, n;
	__u16 region;
	bool by_ecs;

	*scope = 0;
	switch (pol->kind) {
	case EDGE_POL_STATIC:
		return pol->all_blob + 1;
	case EDGE_POL_FAILOVER:
		blob = dns_first_up(pol->def, pol->n_def, 0);
		break;
	case EDGE_POL_WEIGHTED:
		by_ecs = dns_client(ctx, p, scr, query, &family, addr, &known);
		n = family == 1 ? 24 : 56;
		/* Scope 0 unless the client subnet decided (RFC 7871 7.2.1). */
		*scope = !by_ecs ? 0 : known < n ? known : n;
		blob = dns_first_up(pol->def, pol->n_def, dns_weighted_start(pol, family, addr));
		break;
	case EDGE_POL_GEO:
		by_ecs = dns_client(ctx, p, scr, query, &family, addr, &known);
		region = dns_region(p, family, addr, known, scope);
		if (!by_ecs)
			*scope = 0;
		if (region < EDGE_MAX_REGIONS && pol->geo_n[region]) {
			blob = dns_first_up(pol->geo[region], pol->geo_n[region], 0);
			if (blob)
				break;
		}
		blob = dns_first_up(pol->def, pol->n_def, 0);
		break;
	default:
		return 0;
	}
	if (!blob) {
		/* Every candidate is down: answer with all of them (fail open). */
		dns_event(p, EDGE_EV_dns_fail_open);
		blob = pol->all_blob + 1;
	}
	return blob;
}

/* Decide the reply. Returns EDGE_CONTINUE (plan filled) or a pass reason. */
__noinline int edge_dns_plan(struct xdp_md *ctx, struct edge_pkt *p, struct edge_scratch *scr,
			     struct edge_dns_query *query, struct edge_dns_plan *plan)
{
	struct edge_dns_policy *pol;
	struct edge_dns_name *nm;
	struct edge_dns_zone *z;
	__u32 i, off, pidx;
	__u64 key;

	if (!p || !scr || !query || !plan)
		return EDGE_R_dns_xdp_error;
	if (query->opt_version) {
		plan->reason = EDGE_R_dns_badvers;
		plan->ext_rcode = 1; /* BADVERS = 16: upper bits 1, header 0 */
		return EDGE_CONTINUE;
	}
	if (query->formerr) {
		plan->reason = EDGE_R_dns_formerr;
		plan->rcode = DNS_RCODE_FORMERR;
		return EDGE_CONTINUE;
	}

	DNS_STAGE(7);
	nm = edge_dns_name_find(query->name_key);
	if (nm && nm->name_len == query->name_len &&
	    (query->name_len <= 24
		     ? dns_name_eq_short(scr, nm->name, query->name_len)
		     : edge_dns_name_eq(scr, 0, (const struct edge_dns_wire *)nm->name,
					query->name_len))) {
		DNS_STAGE(8);
		pidx = nm->static_blob[query->qtype == DNS_TYPE_AAAA];
		if (pidx) {
			/* A static set: the answer is known without the policy. */
			plan->ans_blob = pidx;
			plan->reason = EDGE_R_dns_answered;
			return EDGE_CONTINUE;
		}
		pidx = nm->policy[query->qtype == DNS_TYPE_AAAA];
		if (pidx) {
			pidx--;
			pol = bpf_map_lookup_elem(&edge_dns_policies, &pidx);
			if (pol) {
				plan->ans_blob = dns_pick(ctx, p, scr, query, pol, &plan->scope);
				if (plan->ans_blob) {
					plan->reason = EDGE_R_dns_answered;
					return EDGE_CONTINUE;
				}
			}
			return EDGE_R_dns_xdp_error; /* the daemon never writes this */
		}
		plan->reason = EDGE_R_dns_nodata;
		plan->soa_blob = nm->soa_blob + 1;
		plan->apex_len = nm->apex_len;
		return EDGE_CONTINUE;
	}

	DNS_STAGE(8);
	/*
	 * Not a name we have: is it inside one of our zones? The longest
	 * suffix whose hash is a zone apex, verified once after the loop (a
	 * hash collision there makes it out of zone, never a wrong zone).
	 */
	if (edge_dns_label_hashes(scr))
		return EDGE_R_dns_xdp_error; /* the name was checked by the walk */
	dns_suffix_hashes(scr);
	z = NULL;
	off = 0;
	for (i = 1; i < EDGE_DNS_MAX_LABELS; i++) {
		if (i >= scr->n_labels)
			break;
		key = scr->hash[i];
		z = bpf_map_lookup_elem(&edge_dns_zones, &key);
		if (z) {
			off = scr->lab_off[i];
			break;
		}
	}
	if (z && z->apex_len + off == query->name_len &&
	    edge_dns_name_eq(scr, off, (const struct edge_dns_wire *)z->apex, z->apex_len)) {
		plan->reason = EDGE_R_dns_nxdomain;
		plan->rcode = DNS_RCODE_NXDOMAIN;
		plan->soa_blob = z->soa_blob + 1;
		plan->apex_len = z->apex_len;
		return EDGE_CONTINUE;
	}
	if (cfg_dns_out_of_zone == EDGE_OOZ_PASS)
		return EDGE_R_dns_out_of_zone;
	plan->reason = EDGE_R_dns_refused;
	plan->rcode = DNS_RCODE_REFUSED;
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
	__u64 a;
	__u32 b;
	__be16 port;

	if ((void *)(eth + 1) > data_end)
		return -1;
	/*
	 * Swap the MACs with two loads and two stores (memcpy of 6 bytes at
	 * an unknown alignment is 24 byte moves): a = bytes 0-7, b = 8-11;
	 * bytes 0-7 become source MAC + destination bytes 0-1, 8-11 the
	 * destination's bytes 2-5 (little endian, as bpf/dns.h requires).
	 */
	a = dns_load8(data);
	b = *(__u32 *)(data + 8);
	dns_store8(data, (a >> 48 | (__u64)b << 16) | a << 48);
	*(__u32 *)(data + 8) = (__u32)(a >> 16);

	if (p->l3_proto == ETH_P_IP) {
		struct iphdr *ip = edge_pkt_ptr(ctx, p->l3_off);
		__u32 w[5];

		if ((void *)(ip + 1) > data_end)
			return -1;
		/*
		 * The new header in registers, then stored whole: reading the
		 * header back right after narrow stores to it (to checksum it)
		 * stalls on store forwarding.
		 */
		w[0] = *(__u32 *)ip; /* version, ihl, tos */
		((__be16 *)&w[0])[1] = bpf_htons(sizeof(*ip) + udp_len);
		w[1] = *((__u32 *)ip + 1);
		((__be16 *)&w[1])[1] = bpf_htons(0x4000); /* DF: answers are never fragmented */
		w[2] = bpf_htonl(64 << 24 | IPPROTO_UDP << 16); /* ttl, protocol, check 0 */
		w[3] = ip->daddr;
		w[4] = ip->saddr;
		((__u16 *)&w[2])[1] = csum_ipv4_hdr(w);
		__builtin_memcpy(ip, w, sizeof(w));
		sum += (__u64)w[3] + w[4];
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
		/* 64-bit add: the two 32-bit words can carry (udp_len 0x1f7 does). */
		sum += (__u64)bpf_htonl(udp_len) + bpf_htonl(IPPROTO_UDP);
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
 * Make the frame delta bytes longer (or shorter). Growing at the tail is
 * cheapest, but a driver may leave no tailroom: native XDP on veth often
 * has only a few bytes after small frames, while it always reserves
 * XDP_PACKET_HEADROOM in front (of which bpf_xdp_adjust_head keeps room
 * for a struct xdp_frame: 216 bytes usable on 6.x). Then grow at the
 * head, or, for a bigger answer (eight AAAA records add 224 bytes), as
 * much as the head has and the rest at the tail; move the first keep
 * bytes (headers and question) to the new start; whatever follows them is
 * overwritten by the answer anyway.
 */
#define DNS_HEAD_GROW_MAX 216	/* XDP_PACKET_HEADROOM - sizeof(struct xdp_frame) */
#define DNS_HEAD_GROW_MIN 192	/* if struct xdp_frame ever grows */

/* Grow head bytes at the front and delta - head at the tail, or nothing. */
static __always_inline int dns_grow_split(struct xdp_md *ctx, int delta, int head)
{
	if (delta <= head || bpf_xdp_adjust_tail(ctx, delta - head))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -head)) {
		bpf_xdp_adjust_tail(ctx, head - delta); /* undo */
		return -1;
	}
	return 0;
}

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
	if (bpf_xdp_adjust_head(ctx, -delta) &&
	    dns_grow_split(ctx, delta, DNS_HEAD_GROW_MAX) &&
	    dns_grow_split(ctx, delta, DNS_HEAD_GROW_MIN))
		return EDGE_R_dns_no_room;
	if (bpf_xdp_store_bytes(ctx, 0, scr->frame, keep))
		return EDGE_R_dns_xdp_error;
	return EDGE_CONTINUE;
}

/* A blob's checksum placed at msg offset pos (the UDP offset has the same parity). */
static __always_inline __u64 csum_at(__u16 csum, __u32 pos)
{
	return (pos & 1) ? csum_shift_odd(csum) : csum;
}

/* Our OPT record (+ the ECS echo) into buf; returns its length. */
static __always_inline __u32 dns_opt_bytes(__u8 *buf, const struct edge_dns_query *query,
					   const struct edge_dns_plan *plan,
					   const struct edge_scratch *scr, bool ecs)
{
	__u32 alen = query->ecs_addr_len & 0x1f, rdlen = ecs ? 8 + alen : 0, i;

	buf[0] = 0; /* root owner */
	buf[1] = 0;
	buf[2] = DNS_TYPE_OPT;
	buf[3] = cfg_dns_udp_size >> 8;
	buf[4] = cfg_dns_udp_size & 0xff;
	buf[5] = plan->ext_rcode;
	buf[6] = 0; /* version */
	buf[7] = query->opt_do ? (DNS_EDNS_DO >> 8) : 0;
	buf[8] = 0;
	buf[9] = 0;
	buf[10] = rdlen;
	if (!ecs)
		return DNS_OPT_LEN;
	/* RFC 7871 7.2.1: echo family, source and address; our scope. */
	buf[11] = 0;
	buf[12] = DNS_OPT_ECS;
	buf[13] = 0;
	buf[14] = 4 + alen;
	buf[15] = 0;
	buf[16] = query->ecs_family;
	buf[17] = query->ecs_source;
	buf[18] = plan->scope;
	for (i = 0; i < 16; i++) {
		if (i >= alen)
			break;
		buf[19 + i] = scr->ecs[4 + i];
	}
	return DNS_OPT_LEN + rdlen;
}

/* Write the reply the plan describes. Returns the plan's reason or an error. */
__noinline int edge_dns_build(struct xdp_md *ctx, struct edge_pkt *p, struct edge_scratch *scr,
			      struct edge_dns_query *query, struct edge_dns_plan *plan)
{
	struct edge_dns_blob *ans = NULL, *soa = NULL;
	__u32 dns_off;
	__u32 ans_len = 0, auth_len = 0, opt_len = 0, msg_len, pos, idx, k;
	void *data, *data_end;
	struct edge_dnshdr *dns;
	__u8 owner[2], tc = 0;
	__u64 w;
	bool ecs, aa;
	__u64 sum;
	int r;

	if (!p || !scr || !query || !plan)
		return EDGE_R_dns_xdp_error;
	dns_off = p->l4_off + sizeof(struct udphdr);
	if (plan->ans_blob) {
		idx = plan->ans_blob - 1;
		ans = bpf_map_lookup_elem(&edge_dns_blobs, &idx);
		if (!ans || !ans->len || ans->len > EDGE_DNS_BLOB_MAX)
			return EDGE_R_dns_xdp_error;
		ans_len = ans->len;
	}
	DNS_STAGE(11);
	if (plan->soa_blob) {
		idx = plan->soa_blob - 1;
		soa = bpf_map_lookup_elem(&edge_dns_blobs, &idx);
		if (!soa || !soa->len || soa->len > EDGE_DNS_BLOB_MAX ||
		    plan->apex_len > query->name_len)
			return EDGE_R_dns_xdp_error;
		auth_len = 2 + soa->len;
	}
	ecs = query->has_ecs && plan->reason != EDGE_R_dns_formerr;
	aa = plan->reason == EDGE_R_dns_answered || plan->reason == EDGE_R_dns_nodata ||
	     plan->reason == EDGE_R_dns_nxdomain;
	/* The OPT's length (dns_opt_bytes() writes it after the resize). */
	if (query->has_opt)
		opt_len = DNS_OPT_LEN + (ecs ? 8 + (query->ecs_addr_len & 0x1f) : 0);

	msg_len = DNS_HDR_LEN + query->name_len + 4 + ans_len + auth_len + opt_len;
	if (plan->slip) {
		/* RRL slip: the question only, TC=1 (a resolver retries over TCP). */
		msg_len -= ans_len + auth_len;
		ans_len = 0;
		auth_len = 0;
		tc = 1;
		plan->reason = EDGE_R_dns_rrl_slip;
	} else if (msg_len > query->client_size) {
		/* RFC 2181 9: set TC rather than send a partial RRset. */
		msg_len -= ans_len + auth_len;
		ans_len = 0;
		auth_len = 0;
		tc = 1;
		plan->reason = EDGE_R_dns_truncated;
	}

	/* Size the frame exactly (this also drops any Ethernet padding). */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	r = dns_resize(ctx, scr, (int)(dns_off + msg_len) - (int)(data_end - data),
		       dns_off + DNS_HDR_LEN + query->name_len + 4);
	if (r != EDGE_CONTINUE)
		return r;
	DNS_STAGE(12);
	/* After dns_resize: it may use scr->frame to move the headers. */
	if (query->has_opt && ecs)
		opt_len = dns_opt_bytes(scr->frame, query, plan, scr, ecs);

	/* Pointers are invalid after resizing: re-derive from offsets. */
	data_end = (void *)(long)ctx->data_end;
	dns = edge_pkt_ptr(ctx, dns_off);
	if ((void *)(dns + 1) > data_end)
		return EDGE_R_dns_xdp_error;
	/*
	 * AA only when the reply speaks for zone data: not on REFUSED,
	 * FORMERR or BADVERS (RFC 1035 4.1.1; Knot, NSD and BIND agree).
	 */
	dns->flags = bpf_htons(DNS_F_QR | (aa ? DNS_F_AA : 0) | (tc ? DNS_F_TC : 0) |
			       (query->flags & (DNS_F_RD | DNS_F_CD)) | plan->rcode);
	dns->ancount = bpf_htons(ans_len ? ans->count : 0);
	dns->nscount = bpf_htons(auth_len ? 1 : 0);
	dns->arcount = bpf_htons(query->has_opt);
	sum = query->qsum + dns->id + dns->flags + dns->qdcount + dns->ancount + dns->nscount +
	      dns->arcount;

	pos = DNS_HDR_LEN + query->name_len + 4;
	if (ans_len) {
		if (dns_copy_words(ctx, dns_off + pos, ans->data, ans_len, 32) &&
		    edge_dns_copy(ctx, dns_off + pos, (const struct edge_dns_bytes *)ans->data,
				  ans_len))
			return EDGE_R_dns_xdp_error;
		sum += csum_at(ans->csum, pos);
		pos += ans_len;
	}
	if (auth_len) {
		/* Owner: a pointer to the apex suffix of the question. */
		k = DNS_HDR_LEN + query->name_len - plan->apex_len;
		owner[0] = 0xc0 | (k >> 8);
		owner[1] = k & 0xff;
		if (dns_pkt_write2(ctx, dns_off + pos, owner) ||
		    edge_dns_copy(ctx, dns_off + pos + 2, (const struct edge_dns_bytes *)soa->data,
				  auth_len - 2))
			return EDGE_R_dns_xdp_error;
		sum += csum_byte(owner[0], pos) + csum_byte(owner[1], pos + 1) +
		       csum_at(soa->csum, pos + 2);
		pos += auth_len;
	}
	if (opt_len == DNS_OPT_LEN && !ecs) {
		/* The common OPT: built and summed in a register. */
		w = dns_opt_word(query, plan);
		if (dns_put_opt(ctx, dns_off + pos, w)) {
			dns_opt_bytes(scr->frame, query, plan, scr, false);
			if (edge_dns_copy(ctx, dns_off + pos, (const struct edge_dns_bytes *)scr->frame,
					  DNS_OPT_LEN))
				return EDGE_R_dns_xdp_error;
		}
		sum += csum_at(csum_fold16(w), pos);
	} else if (opt_len) {
		opt_len &= 0x3f; /* at most 11 + 8 + 16 */
		if (!opt_len ||
		    edge_dns_copy(ctx, dns_off + pos, (const struct edge_dns_bytes *)scr->frame,
				  opt_len))
			return EDGE_R_dns_xdp_error;
		/*
		 * Summed as 16-bit words from an even start (a zero byte pads
		 * an odd length), eight bytes at a time, the bytes past the end
		 * masked off; then placed at pos.
		 */
		w = 0;
		for (k = 0; k < (DNS_OPT_LEN + 8 + 16 + 7) / 8; k++) {
			__u64 x, n = opt_len - 8 * k;

			if (8 * k >= opt_len)
				break;
			x = dns_load8(&scr->frame[(8 * k) & 0x38]);
			if (n < 8)
				x &= (1ULL << (8 * n)) - 1; /* little endian */
			w += (x & 0xffffffff) + (x >> 32);
		}
		sum += csum_at(csum_fold16(w), pos);
	}
	DNS_STAGE(13);
	if (dns_reply_headers(ctx, p, sizeof(struct udphdr) + msg_len, sum))
		return EDGE_R_dns_xdp_error;
	return plan->reason;
}

/* Answer a UDP query to a DNS VIP. Returns the reason: answered kinds are XDP_TX. */
static __always_inline int edge_dns_answer(struct xdp_md *ctx, struct edge_pkt *p)
{
	struct edge_dns_query query = {};
	struct edge_dns_plan plan = {};
	struct edge_dns_rrl_config *rrl;
	struct edge_scratch *scr;
	__u32 zero = 0;
	int r;

	DNS_STAGE(2);
	scr = bpf_map_lookup_elem(&edge_scratch, &zero);
	if (!scr)
		return EDGE_R_dns_xdp_error;
	DNS_STAGE(3);
	r = dns_parse_query(ctx, p, scr, &query);
	if (r != EDGE_CONTINUE)
		return r;
	DNS_STAGE(6);
	r = edge_dns_plan(ctx, p, scr, &query, &plan);
	if (r != EDGE_CONTINUE)
		return r;
	DNS_STAGE(9);
	/* RRL off: not even the call (its config is read again inside). */
	rrl = bpf_map_lookup_elem(&edge_dns_rrl_cfg, &zero);
	if (rrl && rrl->interval_ns) {
		switch (edge_dns_rrl_check(ctx, p)) {
		case DNS_RRL_DROP:
			return EDGE_R_dns_rrl_drop;
		case DNS_RRL_SLIP:
			plan.slip = 1;
			break;
		}
	}
	DNS_STAGE(10);
	return edge_dns_build(ctx, p, scr, &query, &plan);
}

/* Reasons that mean "a reply was built": the frame goes back out. */
static __always_inline bool edge_dns_replied(int reason)
{
	return reason >= EDGE_R_dns_answered && reason <= EDGE_R_dns_rrl_slip;
}

#endif /* EDGE_DNS_H */
