// SPDX-License-Identifier: GPL-2.0
/*
 * Two-choice bucket placement (user/table.c) for the tables the data path
 * reads (include/edge_table.h): everything placed is found, the absent is
 * not, a key sits in its alternate bucket only when its primary is full
 * (so a miss may stop there), and the layout is reproducible.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edge_table.h"
#include "table.h"
#include "unit.h"

static __u64 xorshift(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Hash equality is enough for these tests: the hashes are distinct. */
static int always(const void *arg, size_t i)
{
	(void)arg;
	(void)i;
	return 1;
}

/* Every key found where a lookup looks, alternates only behind full primaries. */
static int check_layout(const struct edge_table_layout *l, const __u64 *hash, size_t n)
{
	__u32 mask = l->nbuckets - 1, b, s, key;

	for (b = 0; b < l->nbuckets; b++) {
		for (s = 0; s < l->slots; s++) {
			key = l->slot[b * l->slots + s];
			if (!key)
				continue;
			if (key > n)
				return -1;
			if (b != edge_table_bucket(hash[key - 1], mask) &&
			    !l->slot[(edge_table_bucket(hash[key - 1], mask) + 1) * l->slots - 1])
				return -2; /* in its alternate while its primary has room */
		}
	}
	for (key = 0; key < n; key++)
		if (edge_table_find(l, hash, hash[key], always, NULL) != key)
			return -3;
	return 0;
}

TEST(table_place_random_keys_at_high_load_all_found)
{
	struct edge_table_layout l, again;
	size_t n = 3000, i, missed = 0;
	__u64 *hash = calloc(n, sizeof(*hash)), seed = 42, h;

	if (!hash)
		FAIL("out of memory");
	for (i = 0; i < n; i++)
		hash[i] = xorshift(&seed);
	/* 3000 keys, 4 slots: 512 buckets cannot hold them, 1024 can (73% full). */
	ASSERT_OK(edge_table_place(hash, n, 4, 1, 1024, &l));
	ASSERT_EQ(l.nbuckets, 1024);
	ASSERT_EQ(check_layout(&l, hash, n), 0);
	for (i = 0; i < 10000; i++) {
		h = xorshift(&seed);
		missed += edge_table_find(&l, hash, h, always, NULL) == -1;
	}
	ASSERT_EQ(missed, 10000);
	/* The same hashes, the same layout. */
	ASSERT_OK(edge_table_place(hash, n, 4, 1, 1024, &again));
	ASSERT_TRUE(!memcmp(l.slot, again.slot, sizeof(*l.slot) * 1024 * 4));
	edge_table_layout_free(&again);
	edge_table_layout_free(&l);
	/* Too many for the largest table: an error, nothing half-placed. */
	ASSERT_EQ(edge_table_place(hash, n, 4, 1, 512, &l), -ENOSPC);
	ASSERT_TRUE(l.slot == NULL && l.nbuckets == 0);
	free(hash);
}

TEST(table_place_vips_v4_and_v6_all_found)
{
	size_t n = EDGE_MAX_VIPS, i;
	struct edge_vip_key k;
	struct edge_table_layout l;
	__u64 *hash = calloc(n, sizeof(*hash));

	if (!hash)
		FAIL("out of memory");
	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		if (i & 1) {
			k.addr[0] = htonl(0x20010db8);
			k.addr[3] = htonl(i);
		} else {
			k.addr[2] = htonl(0xffff);
			k.addr[3] = htonl(0xc6336400 + i); /* 198.51.100.0 + i */
		}
		hash[i] = edge_vip_hash(&k);
	}
	/* As the loader places them: a bucket per VIP, two slots each. */
	ASSERT_OK(edge_table_place(hash, n, EDGE_VIP_SLOTS, n, EDGE_VIP_BUCKETS, &l));
	ASSERT_EQ(l.nbuckets, EDGE_VIP_BUCKETS);
	ASSERT_EQ(check_layout(&l, hash, n), 0);
	edge_table_layout_free(&l);
	free(hash);
}

TEST(table_place_no_keys_one_empty_bucket)
{
	struct edge_table_layout l;

	ASSERT_OK(edge_table_place(NULL, 0, 2, 0, 8, &l));
	ASSERT_EQ(l.nbuckets, 1);
	ASSERT_EQ(l.slot[0] | l.slot[1], 0);
	edge_table_layout_free(&l);
}
