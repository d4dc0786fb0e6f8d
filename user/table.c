// SPDX-License-Identifier: GPL-2.0
/*
 * Two-choice bucket placement (cuckoo hashing with buckets) for the
 * tables in include/edge_table.h. The daemon has every key at once, so it
 * places them all, growing the table until they fit; the data path only
 * ever reads two buckets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edge_table.h"
#include "table.h"

/* Moves per key before a bigger table is tried. */
#define MAX_KICKS 500

static int room(const __u32 *bucket, __u32 slots)
{
	__u32 s;

	for (s = 0; s < slots; s++)
		if (!bucket[s])
			return s;
	return -1;
}

/* Key i into l (the buckets it may use), moving others; false if it does not fit. */
static int insert(struct edge_table_layout *l, const __u64 *hash, __u32 i, __u64 *rng)
{
	__u32 mask = l->nbuckets - 1, key = i + 1, b, victim, s;
	int k, r;

	b = edge_table_bucket(hash[i], mask);
	for (k = 0; k < MAX_KICKS; k++) {
		/* The key's primary first, then its alternate: the lookup's order. */
		r = room(&l->slot[b * l->slots], l->slots);
		if (r < 0 && k == 0) {
			b = edge_table_alt(hash[key - 1], b, mask);
			r = room(&l->slot[b * l->slots], l->slots);
		}
		if (r >= 0) {
			l->slot[b * l->slots + r] = key;
			return 1;
		}
		/*
		 * Both full: evict a slot picked by a fixed-seed xorshift (so the
		 * layout is reproducible); the bucket stays full, and the evicted
		 * key goes to its other bucket.
		 */
		*rng ^= *rng << 13;
		*rng ^= *rng >> 7;
		*rng ^= *rng << 17;
		s = *rng % l->slots;
		victim = l->slot[b * l->slots + s];
		l->slot[b * l->slots + s] = key;
		key = victim;
		b = edge_table_alt(hash[key - 1], b, mask);
	}
	/* The key left over is lost from this layout: the caller grows it. */
	return 0;
}

int edge_table_place(const __u64 *hash, size_t n, __u32 slots, __u32 min_buckets, __u32 max_buckets,
		     struct edge_table_layout *out)
{
	__u32 nb = 1;
	__u64 rng;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!slots || !max_buckets || n > (size_t)max_buckets * slots)
		return -ENOSPC;
	/* No smaller table can hold them all. */
	while ((nb < min_buckets || (size_t)nb * slots < n) && nb < max_buckets)
		nb *= 2;
	for (; nb <= max_buckets; nb *= 2) {
		free(out->slot);
		out->slot = calloc((size_t)nb * slots, sizeof(*out->slot));
		if (!out->slot)
			return -ENOMEM;
		out->nbuckets = nb;
		out->slots = slots;
		rng = 0x9e3779b97f4a7c15ULL;
		for (i = 0; i < n; i++)
			if (!insert(out, hash, i, &rng))
				break;
		if (i == n)
			return 0;
		if (nb > max_buckets / 2)
			break;
	}
	edge_table_layout_free(out);
	return -ENOSPC;
}

void edge_table_layout_free(struct edge_table_layout *l)
{
	free(l->slot);
	memset(l, 0, sizeof(*l));
}

long edge_table_find(const struct edge_table_layout *l, const __u64 *hash, __u64 h,
		     int (*eq)(const void *arg, size_t i), const void *arg)
{
	__u32 mask = l->nbuckets - 1, b, s, key;
	int c;

	if (!l->nbuckets)
		return -1;
	b = edge_table_bucket(h, mask);
	for (c = 0; c < 2; c++) {
		for (s = 0; s < l->slots; s++) {
			key = l->slot[b * l->slots + s];
			if (key && hash[key - 1] == h && eq(arg, key - 1))
				return key - 1;
		}
		if (!l->slot[b * l->slots + l->slots - 1])
			return -1;
		b = edge_table_alt(h, b, mask);
	}
	return -1;
}
