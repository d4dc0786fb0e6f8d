/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS name hashing and checksum helpers shared by the XDP program and the
 * daemon: one implementation, so the keys the daemon writes are the keys
 * the data path computes.
 *
 * Name hash: each label (its length byte and its bytes, lowercased) gets
 * a hash of its 8-byte little-endian chunks (the last one zero-padded),
 * so the data path hashes a label in one step per 8 bytes instead of one
 * per byte; the hash of a name is the labels' hashes folded from the
 * right, starting from the root:
 *
 *   H(root) = EDGE_DNS_ROOT_HASH
 *   H(label . rest) = edge_dns_mix(hash(label), H(rest))
 *
 * so the data path gets the hash of every suffix of the question (each
 * candidate zone apex) from one walk over the name: the key of
 * edge_dns_zones. Names (edge_dns_name_index) are keyed by a hash of the
 * whole wire name instead (its first length byte through the root label,
 * lowercased), in fixed 8-byte little-endian words, the last one
 * zero-padded, and its length:
 *
 *   K = edge_dns_key_finish(edge_dns_key_step(... edge_dns_key_step(
 *           EDGE_DNS_KEY_INIT, word 0) ..., word n - 1), wire length)
 *
 * which the data path computes from one load per 8 bytes, none waiting
 * on the label lengths (length bytes are <= 63 < 'A': lowercasing whole
 * words leaves them alone); the labels' hashes (and the suffix hashes)
 * are computed only when the name is not found. Map values keep the full
 * name and the data path compares it, so a collision never answers.
 */
#ifndef EDGE_DNS_WIRE_H
#define EDGE_DNS_WIRE_H

#include <linux/types.h>

#define EDGE_DNS_LABEL_HASH_INIT 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */
#define EDGE_DNS_LABEL_HASH_MUL 0x100000001b3ULL       /* FNV-1a 64 prime */
#define EDGE_DNS_ROOT_HASH 0x6a09e667f3bcc909ULL
#define EDGE_DNS_KEY_INIT 0xbb67ae8584caa73bULL

/* FNV-1a step: one byte (the weighted policy's client prefix hash). */
static inline __u64 edge_dns_label_step(__u64 h, __u8 c)
{
	return (h ^ c) * EDGE_DNS_LABEL_HASH_MUL;
}

/* One 8-byte chunk of a label into its hash. */
static inline __u64 edge_dns_chunk_step(__u64 h, __u64 w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/*
 * Lowercase A-Z in eight bytes at once: per byte, bit 7 of the 7-bit
 * value plus 0x3f is set from 'A' up, plus 0x25 from 'Z' + 1 up (no carry
 * crosses a byte); bytes with bit 7 set are no letters. A label's length
 * byte (<= 63) is never changed.
 */
static inline __u64 edge_dns_lower8(__u64 w)
{
	__u64 low7 = w & 0x7f7f7f7f7f7f7f7fULL;
	__u64 ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL;
	__u64 gt_z = low7 + 0x2525252525252525ULL;

	return w | ((ge_a & ~gt_z & ~w & 0x8080808080808080ULL) >> 2);
}

/*
 * The hash of one label: label[0] is its length, the bytes follow. Chunks
 * are little-endian words as the data path loads them from the frame.
 */
static inline __u64 edge_dns_label_hash(const __u8 *label)
{
	__u64 h = EDGE_DNS_LABEL_HASH_INIT, w;
	unsigned int n = label[0] + 1u, i, k;

	for (i = 0; i < n; i += 8) {
		w = 0;
		for (k = 0; k < 8 && i + k < n; k++)
			w |= (__u64)label[i + k] << (8 * k);
		h = edge_dns_chunk_step(h, edge_dns_lower8(w));
	}
	return h;
}

static inline __u64 edge_dns_mix(__u64 label, __u64 rest)
{
	__u64 x = label ^ ((rest << 23) | (rest >> 41));

	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 32);
}

/* One 8-byte word of the lowercased wire name into its index key. */
static inline __u64 edge_dns_key_step(__u64 h, __u64 w)
{
	return edge_dns_chunk_step(h, w);
}

/*
 * The index key from the words' hash and the wire length: one more
 * multiply, whose high half folded down makes the low bits (the bucket)
 * depend on every byte.
 */
static inline __u64 edge_dns_key_finish(__u64 h, __u32 name_len)
{
	return edge_dns_mix(h, name_len);
}

/*
 * The index key of a wire name of len bytes (through the root label):
 * the words as the data path loads them, lowercased, the last one
 * zero-padded.
 */
static inline __u64 edge_dns_wire_key(const __u8 *wire, unsigned int len)
{
	__u64 h = EDGE_DNS_KEY_INIT, w;
	unsigned int i, k;

	for (i = 0; i < len; i += 8) {
		w = 0;
		for (k = 0; k < 8 && i + k < len; k++)
			w |= (__u64)wire[i + k] << (8 * k);
		h = edge_dns_key_step(h, edge_dns_lower8(w));
	}
	return edge_dns_key_finish(h, len);
}

/* Lowercase A-Z only (DNS case-insensitivity is ASCII-only). */
static inline __u8 edge_dns_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

#endif /* EDGE_DNS_WIRE_H */
