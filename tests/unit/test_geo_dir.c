// SPDX-License-Identifier: GPL-2.0
/*
 * The IPv4 direct table (user/geo_dir.c) against a longest-prefix match
 * over the same prefixes: random nested prefix sets from /0 to /32, looked
 * up at random addresses and on both sides of every prefix boundary.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo_dir.h"
#include "unit.h"

#define N_PFX 1500

static __u64 rng_state;

static __u32 rnd(void)
{
	rng_state ^= rng_state << 13; /* xorshift64 */
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 16;
}

static __u32 mask(__u32 len)
{
	return len ? ~(__u32)((1ull << (32 - len)) - 1) : 0;
}

static __u32 entry_addr(const struct edge_geo4_entry *e)
{
	__u32 a;

	memcpy(&a, e->key.addr, 4);
	return ntohl(a);
}

/*
 * n prefixes in a few /12s (so /16 and /24 blocks hold several), many of
 * them inside an earlier one (nesting), lengths /0../32, regions 0..31
 * and now and then one out of range (the data path ignores those).
 */
static size_t gen_prefixes(struct edge_geo4_entry *e, size_t n)
{
	static const __u32 bases[] = {0xc0000000, 0xc6300000, 0x0a000000, 0xcb000000};
	size_t i, j, m = 0;

	for (i = 0; i < n; i++) {
		__u32 len, a;

		if (m && rnd() % 2) { /* inside an earlier one, longer */
			const struct edge_geo4_entry *up = &e[rnd() % m];

			len = up->key.prefixlen + 1 + rnd() % (33 - up->key.prefixlen);
			if (len > 32)
				len = 32;
			a = entry_addr(up) | (rnd() & ~mask(up->key.prefixlen));
		} else {
			len = i < 3 ? i * 8 : 12 + rnd() % 21; /* a /0, /8, /16 too */
			a = bases[rnd() % 4] | (rnd() & 0xfffff);
		}
		a &= mask(len);
		for (j = 0; j < m; j++)
			if (e[j].key.prefixlen == len && entry_addr(&e[j]) == a)
				break;
		if (j < m)
			continue; /* no duplicate keys, as in the config */
		e[m].key.prefixlen = len;
		a = htonl(a);
		memcpy(e[m].key.addr, &a, 4);
		e[m].val.region = rnd() % 50 == 0 ? 40 : rnd() % 32;
		e[m].val.prefix_len = len;
		m++;
	}
	return m;
}

/* What the LPM trie gives for addr, as a slot: LEAF, or NONE. */
static struct edge_geo4_slot lpm(const struct edge_geo4_entry *e, size_t n, __u32 addr)
{
	struct edge_geo4_slot s = {.kind = EDGE_GEO4_NONE};
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		int len = e[i].key.prefixlen;

		if (len > best && (addr & mask(len)) == entry_addr(&e[i])) {
			best = len;
			s = e[i].val.region < EDGE_MAX_REGIONS
				    ? (struct edge_geo4_slot){.kind = EDGE_GEO4_LEAF,
							      .prefix_len = e[i].val.prefix_len,
							      .ref = e[i].val.region}
				    : (struct edge_geo4_slot){.kind = EDGE_GEO4_NONE};
		}
	}
	return s;
}

/*
 * Every probe address gets lpm()'s answer (or TRIE when allowed).
 * Returns the number of mismatches, with the first one in why.
 */
static size_t check(const struct edge_geo4_dir *d, const struct edge_geo4_entry *e, size_t n,
		    bool trie_ok, size_t *n_probes, size_t *n_trie, char *why, size_t whylen)
{
	size_t i, k, bad = 0;

	*n_probes = *n_trie = 0;
	for (i = 0; i < n + 4000; i++) {
		__u32 first, last, probe[4];
		size_t np;

		if (i < n) {
			first = entry_addr(&e[i]);
			last = first | ~mask(e[i].key.prefixlen);
			probe[0] = first - 1;
			probe[1] = first;
			probe[2] = last;
			probe[3] = last + 1;
			np = 4;
		} else {
			probe[0] = rnd() % 8 ? (entry_addr(&e[rnd() % n]) ^ (rnd() >> (rnd() % 32)))
					     : rnd() << 1 ^ rnd();
			np = 1;
		}
		for (k = 0; k < np; k++) {
			struct edge_geo4_slot want = lpm(e, n, probe[k]);
			struct edge_geo4_slot got = edge_geo4_dir_lookup(d, probe[k]);

			(*n_probes)++;
			if (got.kind == EDGE_GEO4_TRIE && trie_ok) {
				(*n_trie)++;
				continue;
			}
			if (!memcmp(&got, &want, sizeof(got)))
				continue;
			if (!bad++)
				snprintf(why, whylen,
					 "%u.%u.%u.%u: table kind %u len %u ref %u, LPM kind %u "
					 "len %u ref %u",
					 probe[k] >> 24, (probe[k] >> 16) & 255,
					 (probe[k] >> 8) & 255, probe[k] & 255, got.kind,
					 got.prefix_len, got.ref, want.kind, want.prefix_len,
					 want.ref);
		}
	}
	return bad;
}

TEST(geo4_dir_matches_longest_prefix_match)
{
	struct edge_geo4_entry *e = calloc(N_PFX, sizeof(*e));
	size_t round, n, bad = 0, probes, trie;
	struct edge_geo4_dir d;
	char why[256] = "";

	ASSERT_TRUE(e != NULL);
	for (round = 0; round < 4 && !bad; round++) {
		rng_state = 0x9e3779b97f4a7c15ull + round;
		n = gen_prefixes(e, N_PFX);
		ASSERT_OK(edge_geo4_dir_build(e, n, EDGE_GEO4_CHUNKS, &d));
		bad = check(&d, e, n, false, &probes, &trie, why, sizeof(why));
		/*
		 * The data must reach the second and third levels to mean
		 * anything, with more chunks than the first allocation (64).
		 */
		if (!bad && d.n_chunks < 100)
			snprintf(why, sizeof(why), "only %zu chunks", d.n_chunks), bad = 1;
		edge_geo4_dir_free(&d);
	}
	free(e);
	if (bad)
		FAIL("%zu of %zu probes differ; first: %s", bad, probes, why);
}

TEST(geo4_dir_out_of_chunks_leaves_blocks_to_the_trie)
{
	struct edge_geo4_entry *e = calloc(N_PFX, sizeof(*e));
	size_t n, bad, probes, trie;
	struct edge_geo4_dir d;
	char why[256] = "";

	ASSERT_TRUE(e != NULL);
	rng_state = 0x243f6a8885a308d3ull;
	n = gen_prefixes(e, N_PFX);
	ASSERT_OK(edge_geo4_dir_build(e, n, 8, &d));
	ASSERT_TRUE(d.n_chunks <= 8);
	ASSERT_TRUE(d.n_trie > 0);
	bad = check(&d, e, n, true, &probes, &trie, why, sizeof(why));
	edge_geo4_dir_free(&d);
	free(e);
	if (bad)
		FAIL("%zu of %zu probes differ; first: %s", bad, probes, why);
	ASSERT_TRUE(trie > 0 && trie < probes);
}

TEST(geo4_dir_empty_and_default_route)
{
	struct edge_geo4_entry e = {.key = {.prefixlen = 0}, .val = {.region = 3}};
	struct edge_geo4_dir d;

	ASSERT_OK(edge_geo4_dir_build(&e, 0, EDGE_GEO4_CHUNKS, &d));
	ASSERT_EQ(edge_geo4_dir_lookup(&d, 0xc0000201).kind, EDGE_GEO4_NONE);
	edge_geo4_dir_free(&d);
	ASSERT_OK(edge_geo4_dir_build(&e, 1, EDGE_GEO4_CHUNKS, &d));
	ASSERT_EQ(edge_geo4_dir_lookup(&d, 0xffffffff).kind, EDGE_GEO4_LEAF);
	ASSERT_EQ(edge_geo4_dir_lookup(&d, 0).ref, 3);
	ASSERT_EQ(edge_geo4_dir_lookup(&d, 0x7f000001).prefix_len, 0);
	ASSERT_EQ(d.n_chunks, 0);
	edge_geo4_dir_free(&d);
}
