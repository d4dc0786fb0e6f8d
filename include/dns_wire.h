/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS name hashing and checksum helpers shared by the XDP program and the
 * daemon: one implementation, so the keys the daemon writes are the keys
 * the data path computes.
 *
 * Name hash: each label (its length byte and its bytes, lowercased) gets
 * an FNV-1a 64 hash; the hash of a name is the labels' hashes folded from
 * the right, starting from the root:
 *
 *   H(root) = EDGE_DNS_ROOT_HASH
 *   H(label . rest) = edge_dns_mix(hash(label), H(rest))
 *
 * so the data path gets the hash of every suffix of the question (each
 * candidate zone apex) from one walk over the name. Map values keep the
 * full name and the data path compares it, so a collision never answers.
 */
#ifndef EDGE_DNS_WIRE_H
#define EDGE_DNS_WIRE_H

#include <linux/types.h>

#define EDGE_DNS_LABEL_HASH_INIT 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */
#define EDGE_DNS_LABEL_HASH_MUL 0x100000001b3ULL       /* FNV-1a 64 prime */
#define EDGE_DNS_ROOT_HASH 0x6a09e667f3bcc909ULL

static inline __u64 edge_dns_label_step(__u64 h, __u8 c)
{
	return (h ^ c) * EDGE_DNS_LABEL_HASH_MUL;
}

static inline __u64 edge_dns_mix(__u64 label, __u64 rest)
{
	__u64 x = label ^ ((rest << 23) | (rest >> 41));

	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 32);
}

/* Lowercase A-Z only (DNS case-insensitivity is ASCII-only). */
static inline __u8 edge_dns_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

#endif /* EDGE_DNS_WIRE_H */
