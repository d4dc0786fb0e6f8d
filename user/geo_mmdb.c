// SPDX-License-Identifier: GPL-2.0
/*
 * MaxMind DB (MMDB) GeoIP databases -> geo prefixes.
 *
 * An MMDB file is a binary trie over the address bits: node_count nodes,
 * each with a 0 (left) and a 1 (right) record that points at another node,
 * at nothing, or at a data record (a map such as {"country": {"iso_code":
 * "DE"}, "continent": {"code": "EU"}} in MaxMind's databases, or
 * {"country_code": "DE"} in ip-location-db's). libmaxminddb has no
 * iterator, so the trie is walked depth first with MMDB_read_node and each
 * data record is read with MMDB_aget_value. A network's depth in the trie
 * is its prefix length, which the data path returns as the ECS scope.
 *
 * An IPv6 database holds IPv4 under ::/96 (and usually aliases of that
 * subtree at ::ffff:0:0/96 and 2002::/16): the ::/96 subtree becomes the
 * IPv4 prefixes, the aliases are skipped.
 */
#include <errno.h>
#include <maxminddb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "geo_mmdb.h"

#define R_NONE	(-1) /* no region anywhere below */
#define R_MIXED (-2) /* several regions below: already emitted */

/* Data record offset -> region: a country database has a few hundred records. */
struct cache_slot {
	uint32_t offset_plus1; /* 0 = empty */
	int region;
};

struct walker {
	MMDB_s db;
	struct edge_cfg_geo *geo;
	size_t *cap;
	struct edge_geo_mmdb_info *info;
	const struct edge_cfg_prefix *csv; /* the CSV's prefixes, sorted */
	size_t n_csv;
	size_t count[2];   /* prefixes added: IPv4, IPv6 */
	uint32_t v4_start; /* node of ::/96 in an IPv6 trie, else UINT32_MAX */
	int bits;	   /* address bits of the trie: 32 or 128 */
	__u8 addr[16];	   /* the path walked so far */
	struct cache_slot *cache;
	size_t cache_mask, cache_n;
	const char *path;
	char *err;
	size_t errlen;
	int ret; /* first error */
};

__attribute__((format(printf, 3, 4))) static int werr(struct walker *w, int ret,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->ret)
		return w->ret;
	w->ret = ret;
	n = snprintf(w->err, w->errlen, "%s: ", w->path);
	if (n >= 0 && (size_t)n < w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errlen - n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct edge_cfg_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* A two-letter code at path in the record, upper-cased; false if absent. */
static bool get_code(MMDB_entry_s *entry, const char *const *path, char code[3])
{
	MMDB_entry_data_s d;

	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return false;
	code[0] = d.utf8_string[0] & ~0x20;
	code[1] = d.utf8_string[1] & ~0x20;
	code[2] = '\0';
	return true;
}

static int find_code(const struct edge_cfg_country *list, size_t n, const char *code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i].code, code))
			return list[i].region;
	return R_NONE;
}

static int record_region(struct walker *w, MMDB_entry_s *entry)
{
	static const char *const country[][3] = {
		{"country", "iso_code", NULL},
		{"country_code", NULL, NULL},
		{"registered_country", "iso_code", NULL},
	};
	static const char *const continent[] = {"continent", "code", NULL};
	char code[3];
	size_t i;

	for (i = 0; i < sizeof(country) / sizeof(country[0]); i++) {
		if (!get_code(entry, country[i], code))
			continue;
		if (find_code(w->geo->countries, w->geo->n_countries, code) >= 0)
			return find_code(w->geo->countries, w->geo->n_countries, code);
		break; /* the record's country, just not one we map */
	}
	if (w->geo->n_continents && get_code(entry, continent, code))
		return find_code(w->geo->continents, w->geo->n_continents, code);
	return R_NONE;
}

static int cache_grow(struct walker *w)
{
	size_t size = w->cache ? w->cache_mask + 1 : 0, nsize = size ? 2 * size : 1024, i, s;
	struct cache_slot *slots;

	slots = calloc(nsize, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < size; i++) {
		if (!w->cache[i].offset_plus1)
			continue;
		for (s = w->cache[i].offset_plus1 * 2654435761u & (nsize - 1); slots[s].offset_plus1;
		     s = (s + 1) & (nsize - 1))
			;
		slots[s] = w->cache[i];
	}
	free(w->cache);
	w->cache = slots;
	w->cache_mask = nsize - 1;
	return 0;
}

/* The region of a data record, through the cache. */
static int data_region(struct walker *w, MMDB_entry_s *entry)
{
	uint32_t key = entry->offset + 1;
	size_t s;
	int r;

	if (2 * (w->cache_n + 1) > (w->cache ? w->cache_mask + 1 : 0) && cache_grow(w))
		return werr(w, -ENOMEM, "out of memory");
	for (s = key * 2654435761u & w->cache_mask; w->cache[s].offset_plus1;
	     s = (s + 1) & w->cache_mask) {
		if (w->cache[s].offset_plus1 == key)
			return w->cache[s].region;
	}
	r = record_region(w, entry);
	w->cache[s].offset_plus1 = key;
	w->cache[s].region = r;
	w->cache_n++;
	return r;
}

/* Is the path so far inside ::/96 (an IPv6 trie's IPv4 subtree)? */
static bool in_v4_subtree(const struct walker *w, int len)
{
	static const __u8 zero[12];

	return w->bits == 128 && len >= 96 && !memcmp(w->addr, zero, 12);
}

/* Append the prefix addr/len with its region (unless the CSV has it). */
static void emit(struct walker *w, int len, int region)
{
	struct edge_cfg_prefix p = {.region = region}, *tmp;
	bool v4 = w->bits == 32 || in_v4_subtree(w, len);

	if (w->ret)
		return;
	p.family = v4 ? AF_INET : AF_INET6;
	if (w->bits == 32) {
		memcpy(p.addr, w->addr, 4);
		p.len = len;
	} else if (v4) {
		memcpy(p.addr, w->addr + 12, 4);
		p.len = len - 96;
	} else {
		memcpy(p.addr, w->addr, 16);
		p.len = len;
	}
	if (w->n_csv && bsearch(&p, w->csv, w->n_csv, sizeof(p), cmp_prefix))
		return;
	if (++w->count[!v4] > EDGE_CFG_MAX_GEO_PREFIXES) {
		werr(w, -E2BIG, "more than %d %s prefixes map to a region",
		     EDGE_CFG_MAX_GEO_PREFIXES, v4 ? "IPv4" : "IPv6");
		return;
	}
	if (w->geo->n_prefixes == *w->cap) {
		size_t ncap = *w->cap ? 2 * *w->cap : 4096;

		tmp = realloc(w->geo->prefixes, ncap * sizeof(*tmp));
		if (!tmp) {
			werr(w, -ENOMEM, "out of memory");
			return;
		}
		w->geo->prefixes = tmp;
		*w->cap = ncap;
	}
	w->geo->prefixes[w->geo->n_prefixes++] = p;
}

static void set_bit(struct walker *w, int bit, int value)
{
	__u8 mask = 0x80 >> (bit & 7);

	if (value)
		w->addr[bit / 8] |= mask;
	else
		w->addr[bit / 8] &= ~mask;
}

static int walk_node(struct walker *w, uint32_t node, int depth);

/*
 * One record at depth (the prefix length of the network it stands for):
 * its region if the whole network has one (R_NONE if none), or R_MIXED
 * after emitting the parts.
 */
static int walk_record(struct walker *w, uint8_t type, uint64_t rec, MMDB_entry_s *entry,
		       int depth)
{
	bool v4_root = in_v4_subtree(w, depth) && depth == 96;
	int r;

	switch (type) {
	case MMDB_RECORD_TYPE_SEARCH_NODE:
		if (rec == w->v4_start && !v4_root)
			return R_NONE; /* an alias of the IPv4 subtree */
		r = walk_node(w, rec, depth);
		break;
	case MMDB_RECORD_TYPE_EMPTY:
		return R_NONE;
	case MMDB_RECORD_TYPE_DATA:
		w->info->networks++;
		r = data_region(w, entry);
		if (r == R_NONE)
			w->info->unmapped++;
		break;
	default:
		return werr(w, -EINVAL, "invalid search tree record at depth %d", depth);
	}
	/* Never merge IPv4 with IPv6 space: ::/96 is 0.0.0.0/0. */
	if (v4_root && r >= 0) {
		emit(w, depth, r);
		return R_MIXED;
	}
	return r;
}

static int walk_node(struct walker *w, uint32_t node, int depth)
{
	MMDB_search_node_s n;
	int r[2], side;

	if (w->ret)
		return R_MIXED;
	if (depth >= w->bits)
		return werr(w, -EINVAL, "the search tree is deeper than %d bits", w->bits);
	/*
	 * A well-formed trie is a tree (the IPv4 aliases are skipped): each
	 * node is met once. More visits mean shared nodes or cycles, which a
	 * depth-first walk would follow up to 2^128 times.
	 */
	if (++w->info->nodes > w->db.metadata.node_count)
		return werr(w, -EINVAL, "the search tree has shared nodes or cycles");
	if (MMDB_read_node(&w->db, node, &n) != MMDB_SUCCESS)
		return werr(w, -EINVAL, "cannot read search tree node %u", node);
	r[0] = walk_record(w, n.left_record_type, n.left_record, &n.left_record_entry, depth + 1);
	set_bit(w, depth, 1);
	r[1] = walk_record(w, n.right_record_type, n.right_record, &n.right_record_entry,
			   depth + 1);
	set_bit(w, depth, 0);
	if (w->ret)
		return R_MIXED;
	if (r[0] == r[1])
		return r[0]; /* one region (or none) for the whole node: merge */
	for (side = 0; side < 2; side++) {
		if (r[side] < 0)
			continue;
		set_bit(w, depth, side);
		emit(w, depth + 1, r[side]);
		set_bit(w, depth, 0);
	}
	return R_MIXED;
}

/* The node ::/96 leads to in an IPv6 trie, or UINT32_MAX. */
static uint32_t find_v4_start(MMDB_s *db)
{
	MMDB_search_node_s n;
	uint32_t node = 0;
	int i;

	for (i = 0; i < 96; i++) {
		if (MMDB_read_node(db, node, &n) != MMDB_SUCCESS ||
		    n.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
			return UINT32_MAX;
		node = n.left_record;
	}
	return node;
}

int edge_geo_mmdb_load(const char *path, struct edge_cfg_geo *geo, size_t *cap,
		       struct edge_geo_mmdb_info *info, char *err, size_t errlen)
{
	struct walker w = {
		.geo = geo, .cap = cap, .info = info, .path = path, .err = err, .errlen = errlen,
	};
	struct edge_cfg_prefix *csv = NULL;
	int ret, r;

	memset(info, 0, sizeof(*info));
	ret = MMDB_open(path, MMDB_MODE_MMAP, &w.db);
	if (ret != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: %s%s%s", path, MMDB_strerror(ret),
			 ret == MMDB_IO_ERROR ? ": " : "", ret == MMDB_IO_ERROR ? strerror(errno) : "");
		return ret == MMDB_IO_ERROR ? -EIO : -EINVAL;
	}
	snprintf(info->database_type, sizeof(info->database_type), "%s",
		 w.db.metadata.database_type ? w.db.metadata.database_type : "?");
	if (w.db.metadata.ip_version != 4 && w.db.metadata.ip_version != 6) {
		ret = werr(&w, -EINVAL, "ip_version %u in the metadata (want 4 or 6)",
			   w.db.metadata.ip_version);
		goto out;
	}
	w.bits = w.db.metadata.ip_version == 4 ? 32 : 128;
	w.v4_start = w.bits == 128 ? find_v4_start(&w.db) : UINT32_MAX;

	if (geo->n_prefixes) {
		csv = malloc(geo->n_prefixes * sizeof(*csv));
		if (!csv) {
			ret = werr(&w, -ENOMEM, "out of memory");
			goto out;
		}
		memcpy(csv, geo->prefixes, geo->n_prefixes * sizeof(*csv));
		qsort(csv, geo->n_prefixes, sizeof(*csv), cmp_prefix);
		w.csv = csv;
		w.n_csv = geo->n_prefixes;
	}
	if (w.db.metadata.node_count) {
		r = walk_node(&w, 0, 0);
		if (r >= 0)
			emit(&w, 0, r); /* one region for everything */
	}
	ret = w.ret;
	info->n4 = w.count[0];
	info->n6 = w.count[1];
out:
	free(csv);
	free(w.cache);
	MMDB_close(&w.db);
	return ret;
}
