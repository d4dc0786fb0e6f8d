/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Placement of keys into the two-choice bucket tables the data path
 * reads (include/edge_table.h): edge_vips and edge_dns_name_index.
 */
#ifndef EDGE_USER_TABLE_H
#define EDGE_USER_TABLE_H

#include <stddef.h>
#include <linux/types.h>

struct edge_table_layout {
	__u32 nbuckets; /* a power of two */
	__u32 slots;	/* per bucket */
	__u32 *slot;	/* nbuckets * slots: key index + 1, 0 = empty; a bucket's
			 * used slots come first */
};

/*
 * Place the n keys with hashes hash[] into buckets of `slots` slots, each
 * key in its primary bucket (edge_table_bucket()) or, when that is full,
 * its alternate one (edge_table_alt()), moving keys between their two
 * buckets to make room (cuckoo hashing). Tries the smallest power-of-two
 * bucket count >= min_buckets, and doubles it up to max_buckets while the
 * keys do not fit. Either way a key is in its alternate bucket only if its
 * primary one is full, so a lookup of an absent key may stop at a primary
 * bucket with room. Deterministic: the same hashes give the same layout.
 * Returns 0 with *out filled (free with edge_table_layout_free()),
 * -ENOSPC when they do not fit in max_buckets, or -ENOMEM.
 */
int edge_table_place(const __u64 *hash, size_t n, __u32 slots, __u32 min_buckets, __u32 max_buckets,
		     struct edge_table_layout *out);
void edge_table_layout_free(struct edge_table_layout *l);

/*
 * Where a lookup finds the key with hash h (as the data path looks it
 * up): its key index, or -1. eq(arg, i) says whether key i is the one
 * looked for (hash equality is checked first).
 */
long edge_table_find(const struct edge_table_layout *l, const __u64 *hash, __u64 h,
		     int (*eq)(const void *arg, size_t i), const void *arg);

#endif /* EDGE_USER_TABLE_H */
