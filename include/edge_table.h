/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bucketed lookup tables shared by the XDP program and the daemon: the
 * VIPs (edge_vips) and the DNS name index (edge_dns_name_index) are BPF
 * arrays of cache-line buckets instead of hash maps, because a hash map
 * lookup costs a call, a jhash over the key, a bucket walk and a memcmp
 * per packet, while an array lookup is inlined by the verifier into a
 * bounds check and an address computation.
 *
 * Every key has a 64-bit hash (the name hash of include/dns_wire.h, or
 * edge_vip_hash() of the address) and two candidate buckets, primary and
 * alternate (two-choice "cuckoo" buckets): the daemon places all keys at
 * once, each in one of its two buckets (the primary when it has room), and
 * grows the table when they do not fit. A lookup reads at most those two
 * buckets and compares the full key, so it is bounded and never needs to
 * walk anything.
 *
 * Each table has two halves (generations) of the same size: the daemon
 * writes the half no packet reads, then flips the live generation in
 * edge_tables in one aligned 4-byte store, so a packet sees the old table
 * or the new one, never a mixture.
 */
#ifndef EDGE_TABLE_H
#define EDGE_TABLE_H

#include <linux/types.h>

#include "anyedge.h"

/* The primary bucket of a hash in a table of mask + 1 buckets (a power of two). */
static inline __u32 edge_table_bucket(__u64 hash, __u32 mask)
{
	return (__u32)hash & mask;
}

/*
 * The other candidate bucket of a hash, from either one (it is its own
 * inverse): XOR with an odd number, so it differs from b whenever the
 * table has more than one bucket.
 */
static inline __u32 edge_table_alt(__u64 hash, __u32 b, __u32 mask)
{
	return (b ^ ((__u32)(hash >> 32) | 1)) & mask;
}

/*
 * The hash of a VIP address (IPv6 form, IPv4 as ::ffff:a.b.c.d): the
 * four words folded into the low 32 bits, then multiplied (low bits reach
 * the high ones) and folded back (high bits reach the low ones, which pick
 * the primary bucket). Host-order loads: both sides run on one host.
 */
static inline __u64 edge_vip_hash(const struct edge_vip_key *k)
{
	__u64 x = ((__u64)k->addr[1] << 32 | k->addr[0]) ^ ((__u64)k->addr[3] << 32 | k->addr[2]);

	x ^= x >> 32;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

#endif /* EDGE_TABLE_H */
