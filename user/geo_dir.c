// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4 geo prefixes -> a direct table (DIR-16-8-8; the layout is in
 * include/anyedge.h at struct edge_geo4_slot).
 *
 * The prefixes are sorted so that each level is painted shortest prefix
 * first: a longer prefix then overwrites the slots of the shorter one that
 * covers it, which is what a longest-prefix match gives. Prefixes of /16
 * and shorter paint the first level; those of a /16 block that are longer
 * come together, /17-/24 ones first, and paint that block's chunk (started
 * as a copy of the block's first-level slot); prefixes longer than /24 come
 * grouped by /24 and paint a third-level chunk started as a copy of their
 * /24's slot. A chunk whose 256 slots came out equal is not kept: its slot
 * one level up takes that value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "geo_dir.h"

struct pfx {
	__u64 key;  /* the sort key, see sort_key() */
	__u32 addr; /* host order, host bits clear */
	__u8 len;
	struct edge_geo4_slot val;
};

/*
 * Sort key: len <= 16 first by (len, addr); then per /16 (see the top):
 * 17 bits of /16 block (0: a prefix of /16 or shorter), 9 bits of /24
 * (0: a prefix of /24 or shorter), 6 of length, 32 of address.
 */
static __u64 sort_key(__u32 addr, __u32 len)
{
	__u64 b16 = len <= 16 ? 0 : 1 + (addr >> 16);
	__u64 b24 = len <= 24 ? 0 : 1 + ((addr >> 8) & 0xff);

	return b16 << 47 | b24 << 38 | (__u64)len << 32 | addr;
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* Slots [start, start + count) of a level get v. */
static void paint(struct edge_geo4_slot *level, __u32 start, __u32 count, struct edge_geo4_slot v)
{
	__u32 i;

	for (i = 0; i < count; i++)
		level[start + i] = v;
}

static bool all_equal(const struct edge_geo4_slot *s)
{
	size_t i;

	for (i = 1; i < EDGE_GEO4_CHUNK_SLOTS; i++)
		if (memcmp(&s[i], &s[0], sizeof(*s)))
			return false;
	return true;
}

static struct edge_geo4_slot *chunk(const struct edge_geo4_dir *d, size_t c)
{
	return d->slots + EDGE_GEO4_L1 + c * EDGE_GEO4_CHUNK_SLOTS;
}

/*
 * A new chunk holding 256 copies of *up, or NULL (and *up = TRIE) when
 * max_chunks are in use.
 */
static struct edge_geo4_slot *new_chunk(struct edge_geo4_dir *d, size_t max_chunks,
					struct edge_geo4_slot *up)
{
	struct edge_geo4_slot *c;

	if (d->n_chunks >= max_chunks) {
		*up = (struct edge_geo4_slot){.kind = EDGE_GEO4_TRIE};
		d->n_trie++;
		return NULL;
	}
	if (d->n_chunks == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;

		c = realloc(d->slots, (EDGE_GEO4_L1 + cap * EDGE_GEO4_CHUNK_SLOTS) * sizeof(*c));
		if (!c) {
			d->ret = -ENOMEM;
			return NULL;
		}
		d->slots = c;
		d->cap = cap;
	}
	c = chunk(d, d->n_chunks);
	paint(c, 0, EDGE_GEO4_CHUNK_SLOTS, *up);
	*up = (struct edge_geo4_slot){
		.kind = EDGE_GEO4_CHUNK,
		.ref = EDGE_GEO4_L1_CHUNKS + d->n_chunks++,
	};
	return c;
}

/* The chunk last allocated (under *up) is uniform: fold it back into *up. */
static void fold(struct edge_geo4_dir *d, struct edge_geo4_slot *c, struct edge_geo4_slot *up)
{
	if (!all_equal(c))
		return;
	*up = c[0];
	memset(c, 0, EDGE_GEO4_CHUNK_SLOTS * sizeof(*c));
	d->n_chunks--;
}

/*
 * Paint the /25-/32 prefixes p[i..j) (one /24, by length) into a chunk
 * under slot up (an index into d->slots: a new chunk may move them).
 */
static void build_l3(struct edge_geo4_dir *d, size_t max_chunks, const struct pfx *p, size_t i,
		     size_t j, size_t up)
{
	struct edge_geo4_slot *c, v = d->slots[up];

	c = new_chunk(d, max_chunks, &v);
	d->slots[up] = v;
	if (!c)
		return;
	for (; i < j; i++)
		paint(c, p[i].addr & 0xff, 1u << (32 - p[i].len), p[i].val);
	fold(d, c, &d->slots[up]);
}

/* The prefixes p[i..j) longer than /16 inside one /16 block. */
static void build_l2(struct edge_geo4_dir *d, size_t max_chunks, const struct pfx *p, size_t i,
		     size_t j)
{
	size_t up = p[i].addr >> 16, k, first;
	struct edge_geo4_slot *c, v = d->slots[up];

	c = new_chunk(d, max_chunks, &v);
	d->slots[up] = v;
	if (!c)
		return;
	first = c - d->slots;
	for (; i < j && p[i].len <= 24; i++)
		paint(c, (p[i].addr >> 8) & 0xff, 1u << (24 - p[i].len), p[i].val);
	for (; i < j; i = k) {
		for (k = i + 1; k < j && (p[k].addr >> 8) == (p[i].addr >> 8); k++)
			;
		build_l3(d, max_chunks, p, i, k, first + ((p[i].addr >> 8) & 0xff));
	}
	/* Only uniform chunks fold, and a CHUNK slot is unique: c is the last one. */
	fold(d, d->slots + first, &d->slots[up]);
}

int edge_geo4_dir_build(const struct edge_geo4_entry *e, size_t n, size_t max_chunks,
			struct edge_geo4_dir *out)
{
	struct pfx *p;
	size_t i, j, m = 0;

	memset(out, 0, sizeof(*out));
	out->slots = calloc(EDGE_GEO4_L1, sizeof(*out->slots));
	p = calloc(n + 1, sizeof(*p));
	if (!out->slots || !p) {
		free(p);
		edge_geo4_dir_free(out);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		__u32 len = e[i].key.prefixlen, a;

		if (len > 32)
			continue; /* not a valid key: the trie holds no such entry either */
		memcpy(&a, e[i].key.addr, 4);
		a = ntohl(a);
		p[m].addr = len ? a & ~(__u32)((1ull << (32 - len)) - 1) : 0;
		p[m].len = len;
		p[m].key = sort_key(p[m].addr, len);
		/* The data path treats a region out of range as no match. */
		if (e[i].val.region < EDGE_MAX_REGIONS)
			p[m].val = (struct edge_geo4_slot){
				.kind = EDGE_GEO4_LEAF,
				.prefix_len = e[i].val.prefix_len,
				.ref = e[i].val.region,
			};
		m++;
	}
	qsort(p, m, sizeof(*p), cmp_pfx);
	/* One allocation: at most a chunk per /16 and per /24 with longer prefixes. */
	for (i = 0, j = 0; i < m; i++) {
		bool new16 = !i || p[i].key >> 47 != p[i - 1].key >> 47;

		if (p[i].key >> 47 && new16)
			j++;
		if ((p[i].key >> 38 & 0x1ff) && (new16 || p[i].key >> 38 != p[i - 1].key >> 38))
			j++;
	}
	out->cap = j < max_chunks ? j : max_chunks;
	if (out->cap) {
		struct edge_geo4_slot *s = realloc(
			out->slots, (EDGE_GEO4_L1 + out->cap * EDGE_GEO4_CHUNK_SLOTS) * sizeof(*s));

		if (!s) {
			free(p);
			edge_geo4_dir_free(out);
			return -ENOMEM;
		}
		out->slots = s;
	}
	for (i = 0; i < m && p[i].len <= 16; i++)
		paint(out->slots, p[i].addr >> 16, 1u << (16 - p[i].len), p[i].val);
	for (; i < m; i = j) {
		for (j = i + 1; j < m && (p[j].addr >> 16) == (p[i].addr >> 16); j++)
			;
		build_l2(out, max_chunks, p, i, j);
	}
	free(p);
	if (out->ret) {
		edge_geo4_dir_free(out);
		return -ENOMEM;
	}
	return 0;
}

void edge_geo4_dir_free(struct edge_geo4_dir *d)
{
	free(d->slots);
	memset(d, 0, sizeof(*d));
}

struct edge_geo4_slot edge_geo4_dir_lookup(const struct edge_geo4_dir *d, __u32 addr)
{
	struct edge_geo4_slot s = d->slots[addr >> 16];

	if (s.kind == EDGE_GEO4_CHUNK)
		s = d->slots[s.ref * EDGE_GEO4_CHUNK_SLOTS + ((addr >> 8) & 0xff)];
	if (s.kind == EDGE_GEO4_CHUNK)
		s = d->slots[s.ref * EDGE_GEO4_CHUNK_SLOTS + (addr & 0xff)];
	return s;
}
