/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maglev lookup tables (Eisenbud et al., "Maglev: A Fast and Reliable
 * Software Network Load Balancer", NSDI'16, section 3.4): the daemon fills
 * one table of prime size per VIP and the data path picks
 * table[flow_hash % m].
 *
 * The fill is weighted and deterministic: every edge host that reads the
 * same backends (in any order) and the same seed builds a byte-identical
 * table, so a flow that an ECMP or route change moves to another host
 * still reaches the same backend.
 */
#ifndef EDGE_MAGLEV_H
#define EDGE_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#define EDGE_MAGLEV_ID_MAX	 32 /* bytes of backend identity */
#define EDGE_MAGLEV_MAX_BACKENDS 65535
#define EDGE_MAGLEV_M_DEFAULT	 65537	     /* prime; > 100 * N keeps imbalance < 1% */
#define EDGE_MAGLEV_M_MAX	 2147483647u /* 2^31 - 1, a prime */

struct edge_maglev_backend {
	/*
	 * Stable identity, the only thing hashed: e.g. the backend address
	 * (16 bytes, IPv4 as ::ffff:a.b.c.d) followed by the port. Two
	 * backends may not share an identity.
	 */
	__u8 id[EDGE_MAGLEV_ID_MAX];
	__u32 id_len; /* 1..EDGE_MAGLEV_ID_MAX */
	__u32 weight; /* share of the slots; 0 = drained, no slots */
};

/*
 * Fill table[0..m-1] with indexes into b[] (the caller's order, not any
 * sorted order). m must be a prime from n to EDGE_MAGLEV_M_MAX.
 *
 * Returns 0, -EINVAL (NULL pointers, n == 0, n > EDGE_MAGLEV_MAX_BACKENDS,
 * m not prime or out of range, an id_len out of range, two backends with the same
 * identity, no backend with a weight above 0) or -ENOMEM. table is only
 * written on success.
 */
int edge_maglev_fill(const struct edge_maglev_backend *b, size_t n, __u64 seed, __u32 *table,
		     __u32 m);

bool edge_maglev_is_prime(__u32 m);

/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of len bytes under a 128-bit
 * key given as its two little-endian halves. Byte-order independent.
 * Exposed for the unit tests, which check it against the reference vectors.
 */
__u64 edge_siphash24(__u64 k0, __u64 k1, const void *data, size_t len);

#endif /* EDGE_MAGLEV_H */
