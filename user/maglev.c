// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev lookup-table fill (NSDI'16, section 3.4, Pseudocode 1), weighted.
 *
 * Each backend has a permutation of the table slots,
 *
 *	offset = h_offset(id) mod m, skip = h_skip(id) mod (m - 1) + 1,
 *	permutation[j] = (offset + j * skip) mod m,
 *
 * a full cycle because m is prime. Backends take turns; on its turn a
 * backend claims the first slot of its permutation that is still empty,
 * until every slot is taken.
 *
 * Determinism: the backends are first ordered by a keyed hash of their
 * identity (then by the identity bytes), so the table depends only on the
 * set of backends and the seed, never on the order of the config file.
 * All hashing reads bytes explicitly, so hosts of either byte order agree.
 *
 * Weights: the turns are dealt like seats in Sainte-Lague (Webster)
 * apportionment. A backend of weight w takes its j-th turn (j from 1) at
 * time (2j - 1) / 2w; turns at the same time go in identity order. With
 * equal weights every backend's j-th turn comes at the same time, so this
 * is Pseudocode 1 exactly, and scaling all weights changes nothing. Each
 * backend ends with m * w / sum(w) slots rounded to nearest, give or take
 * (measured: within 0.65 of a slot for 1000 backends of weight 1..1000).
 * Katran's Maglev V2 uses a credit per round instead (j-th turn in round
 * ceil(j * W / w), W the largest weight): that is rounding down, which
 * hands the heavy backends the fractions the light ones lose (up to 1.4
 * slots off, measured the same way). The turns come from a min-heap, so
 * the fill costs O(m log n) plus the slot search, whatever the weights.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"

#define EMPTY UINT32_MAX /* a table slot not yet claimed */

/* Domain bytes: the three hashes of an identity are independent. */
enum maglev_hash_use {
	MAGLEV_H_RANK = 'r', /* fill order */
	MAGLEV_H_OFFSET = 'o',
	MAGLEV_H_SKIP = 's',
};

/* One backend during a fill, in identity order. */
struct maglev_entry {
	const struct edge_maglev_backend *be;
	__u64 rank; /* h_rank(id): the sort key */
	__u32 weight;
	__u32 index; /* into the caller's array */
	__u32 next;  /* next slot of the permutation to try */
	__u32 skip;
};

/* A backend's next turn, j, due at time half_turns / 2w. */
struct maglev_turn {
	__u64 half_turns; /* 2j - 1 */
	__u32 weight;
	__u32 pos; /* into the sorted entries */
};

bool edge_maglev_is_prime(__u32 m)
{
	__u32 d;

	if (m < 4)
		return m >= 2;
	if (!(m % 2) || !(m % 3))
		return false;
	/* d * d cannot overflow: d stays below 2^16 + 6 for any __u32 m. */
	for (d = 5; (__u64)d * d <= m; d += 6)
		if (!(m % d) || !(m % (d + 2)))
			return false;
	return true;
}

static __u64 rotl64(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static __u64 load_le64(const __u8 *p, size_t len)
{
	__u64 v = 0;
	size_t i;

	for (i = 0; i < len; i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}

/* One SipRound: the add-rotate-xor network of the SipHash paper. */
static void sipround(__u64 v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13) ^ v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17) ^ v[2];
	v[2] = rotl64(v[2], 32);
}

static void sip_absorb(__u64 v[4], __u64 m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

/* SipHash-2-4: two rounds per 8-byte word, four to finalize. */
__u64 edge_siphash24(__u64 k0, __u64 k1, const void *data, size_t len)
{
	const __u8 *p = data;
	__u64 v[4] = {
		k0 ^ 0x736f6d6570736575ULL, /* "somepseudorandomlygeneratedbytes" */
		k1 ^ 0x646f72616e646f6dULL,
		k0 ^ 0x6c7967656e657261ULL,
		k1 ^ 0x7465646279746573ULL,
	};
	size_t tail = len % 8;
	const __u8 *end = p + (len - tail);

	for (; p < end; p += 8)
		sip_absorb(v, load_le64(p, 8));
	/* The last word carries the remaining bytes and len mod 256 on top. */
	sip_absorb(v, load_le64(p, tail) | (__u64)(len & 0xff) << 56);

	v[2] ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* SplitMix64 (Steele, Lea, Flood 2014): expands the seed into the key. */
static __u64 splitmix64(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct maglev_key {
	__u64 k0, k1;
};

static struct maglev_key maglev_key(__u64 seed)
{
	struct maglev_key key;

	key.k0 = splitmix64(&seed);
	key.k1 = splitmix64(&seed);
	return key;
}

/* SipHash-2-4 of (use byte || identity bytes). */
static __u64 maglev_hash(const struct maglev_key *key, enum maglev_hash_use use,
			 const struct edge_maglev_backend *be)
{
	__u8 buf[1 + EDGE_MAGLEV_ID_MAX];

	buf[0] = use;
	memcpy(buf + 1, be->id, be->id_len);
	return edge_siphash24(key->k0, key->k1, buf, 1 + be->id_len);
}

static int cmp_identity(const struct edge_maglev_backend *a, const struct edge_maglev_backend *b)
{
	int c = memcmp(a->id, b->id, a->id_len < b->id_len ? a->id_len : b->id_len);

	if (c)
		return c;
	return (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

/* A total order on identities: equal only for equal identities. */
static int cmp_entries(const void *pa, const void *pb)
{
	const struct maglev_entry *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return cmp_identity(a->be, b->be);
}

/* (c + skip) mod m for c < m, skip < m, without a division. */
static __u64 step(__u64 c, __u32 skip, __u32 m)
{
	c += skip;
	return c >= m ? c - m : c;
}

/*
 * Earlier time, else earlier in identity order. The products stay below
 * 2^64: half_turns <= 2m + 1 < 2^32 (m < 2^31) and weight < 2^32.
 */
static bool turn_before(const struct maglev_turn *a, const struct maglev_turn *b)
{
	__u64 x = a->half_turns * b->weight, y = b->half_turns * a->weight;

	return x < y || (x == y && a->pos < b->pos);
}

static void heap_sift_down(struct maglev_turn *heap, size_t len, size_t i)
{
	struct maglev_turn t = heap[i];
	size_t c;

	while ((c = 2 * i + 1) < len) {
		if (c + 1 < len && turn_before(&heap[c + 1], &heap[c]))
			c++;
		if (!turn_before(&heap[c], &t))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = t;
}

static int validate(const struct edge_maglev_backend *b, size_t n, const __u32 *table, __u32 m)
{
	size_t i;

	if (!b || !table || !n || n > EDGE_MAGLEV_MAX_BACKENDS)
		return -EINVAL;
	if (m < n || m > EDGE_MAGLEV_M_MAX || !edge_maglev_is_prime(m))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!b[i].id_len || b[i].id_len > EDGE_MAGLEV_ID_MAX)
			return -EINVAL;
	return 0;
}

int edge_maglev_fill(const struct edge_maglev_backend *b, size_t n, __u64 seed, __u32 *table,
		     __u32 m)
{
	struct maglev_key key = maglev_key(seed);
	struct maglev_entry *ent, *e;
	struct maglev_turn *heap;
	__u64 c;
	size_t i, nw = 0;
	__u32 filled;
	int err;

	err = validate(b, n, table, m);
	if (err)
		return err;

	ent = calloc(n, sizeof(*ent));
	if (!ent)
		return -ENOMEM;
	heap = calloc(n, sizeof(*heap));
	if (!heap) {
		err = -ENOMEM;
		goto out_free_ent;
	}

	for (i = 0; i < n; i++) {
		ent[i].be = &b[i];
		ent[i].index = i;
		ent[i].weight = b[i].weight;
		ent[i].rank = maglev_hash(&key, MAGLEV_H_RANK, &b[i]);
	}
	qsort(ent, n, sizeof(*ent), cmp_entries);

	/*
	 * Equal identities sort next to each other. Then keep only the
	 * backends with a weight, in order: drained ones take no turns.
	 */
	for (i = 0; i < n; i++) {
		if (i && !cmp_entries(&ent[i - 1], &ent[i])) {
			err = -EINVAL;
			goto out_free_heap;
		}
		if (ent[i].weight)
			ent[nw++] = ent[i];
	}
	if (!nw) {
		err = -EINVAL;
		goto out_free_heap;
	}

	for (i = 0; i < nw; i++) {
		e = &ent[i];
		e->next = maglev_hash(&key, MAGLEV_H_OFFSET, e->be) % m;
		/* m == 2 leaves a single permutation: skip 1. */
		e->skip = maglev_hash(&key, MAGLEV_H_SKIP, e->be) % (m - 1) + 1;
		heap[i].half_turns = 1;
		heap[i].weight = e->weight;
		heap[i].pos = i;
	}
	for (i = nw / 2; i-- > 0;)
		heap_sift_down(heap, nw, i);

	for (c = 0; c < m; c++)
		table[c] = EMPTY;
	for (filled = 0; filled < m; filled++) {
		e = &ent[heap[0].pos];
		/* A full cycle of the slots, and one is still empty: ends. */
		for (c = e->next; table[c] != EMPTY; c = step(c, e->skip, m))
			;
		table[c] = e->index;
		e->next = step(c, e->skip, m);
		heap[0].half_turns += 2;
		heap_sift_down(heap, nw, 0);
	}
	err = 0;

out_free_heap:
	free(heap);
out_free_ent:
	free(ent);
	return err;
}
