// SPDX-License-Identifier: GPL-2.0
/*
 * GeoDNS compiler: config -> DNS map entries.
 *
 *   zones     one SOA blob each; a zone entry keyed by the apex hash
 *   records   one policy each (static values, or pool candidates), whose
 *             answers are prebuilt blobs: C0 0C | type | class | ttl |
 *             rdlength | rdata per record, deduplicated by content
 *   names     one entry per owner name (policy per type), per zone apex,
 *             and per empty non-terminal between an owner and its apex
 *             (RFC 8020: those exist, so they answer NODATA)
 *   geo       the CSV prefixes as LPM keys
 *
 * The output is plain arrays; the loader writes them (user/loader.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_compile.h"
#include "dns_wire.h"
#include "table.h"

_Static_assert(EDGE_CFG_MAX_REGIONS == EDGE_MAX_REGIONS, "config regions = data path regions");
_Static_assert(EDGE_CFG_MAX_CAND == EDGE_POL_MAX_CAND, "config candidates = policy slots");
_Static_assert(EDGE_CFG_MAX_POOLS <= EDGE_MAX_DNS_POOLS, "pools fit the pool map");
_Static_assert(EDGE_CFG_MAX_ZONES <= EDGE_MAX_DNS_ZONES, "zones fit the zone map");
_Static_assert(EDGE_CFG_MAX_GEO_PREFIXES <= EDGE_MAX_GEO_PREFIXES, "prefixes fit the LPM maps");
_Static_assert(EDGE_MAX_REGIONS <= EDGE_REGION_NONE, "region ids below the none marker");
_Static_assert((int)EDGE_CFG_OOZ_REFUSE == (int)EDGE_OOZ_REFUSE &&
		       (int)EDGE_CFG_OOZ_PASS == (int)EDGE_OOZ_PASS,
	       "the loader copies dns_out_of_zone as is");

#define DNS_TYPE_SOA  6
#define DNS_CLASS_IN  1
#define RR_HDR_LEN    12 /* owner pointer, type, class, ttl, rdlength */
#define SOA_FIXED_LEN 10 /* type, class, ttl, rdlength */
#define SOA_NUMS_LEN  20 /* serial refresh retry expire minimum */

/* Open-addressing index: slot = entry index + 1, 0 = empty. */
struct table {
	__u32 *slots;
	size_t mask; /* slots - 1; a power of two minus one */
};

struct compiler {
	const struct edge_config *cfg;
	struct edge_dns_compiled *out;
	char *err;
	size_t errlen;
	size_t blobs_cap, names_cap;
	struct table blob_idx; /* by content */
	struct table name_idx; /* by key, verified by name */
	__u32 *zone_soa;       /* SOA blob of each config zone */
};

__attribute__((format(printf, 2, 3))) static int cerr(struct compiler *c, const char *fmt, ...)
{
	va_list ap;

	if (c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int oom(struct compiler *c)
{
	if (c->errlen)
		snprintf(c->err, c->errlen, "compiling the DNS maps: out of memory");
	return -ENOMEM;
}

__u64 edge_dns_name_hash(const __u8 *wire, size_t len)
{
	__u64 labels[EDGE_DNS_NAME_MAX / 2 + 1], h;
	size_t pos = 0, n = 0, l;

	while (pos < len && wire[pos] && n < sizeof(labels) / sizeof(labels[0])) {
		l = wire[pos];
		if (pos + 1 + l > len)
			break;
		labels[n++] = edge_dns_label_hash(wire + pos);
		pos += l + 1;
	}
	h = EDGE_DNS_ROOT_HASH;
	while (n--)
		h = edge_dns_mix(labels[n], h);
	return h;
}

__u64 edge_dns_name_key(const __u8 *wire, size_t len)
{
	size_t pos = 0;

	/* Through the root label (or the whole buffer if it has none). */
	while (pos < len && wire[pos] && pos + 1 + wire[pos] <= len)
		pos += wire[pos] + 1;
	pos = pos < len && !wire[pos] ? pos + 1 : len;
	return edge_dns_wire_key(wire, pos);
}

__u16 edge_csum_raw(const __u8 *data, size_t len)
{
	__u64 sum = 0;
	__u16 w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, data + i, 2);
		sum += w;
	}
	if (len & 1) {
		w = 0;
		memcpy(&w, data + len - 1, 1);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

int edge_dns_pool_index(const struct edge_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_pools; i++)
		if (!strcmp(cfg->pools[i].name, name))
			return i;
	return -ENOENT;
}

/* Grow *arr (elements of size) so that it holds n + 1. */
static int reserve(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *tmp;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	tmp = realloc(*arr, ncap * size);
	if (!tmp)
		return -ENOMEM;
	memset((char *)tmp + *cap * size, 0, (ncap - *cap) * size);
	*arr = tmp;
	*cap = ncap;
	return 0;
}

/*
 * Make room in an index for n + 1 entries (at most half full); on growth,
 * rehash the n entries present with hash(arg, i).
 */
static int table_reserve(struct table *t, size_t n, __u64 (*hash)(const void *, size_t),
			 const void *arg)
{
	size_t size = t->slots ? t->mask + 1 : 0, nsize, i, s;
	__u32 *slots;

	if (2 * (n + 1) <= size)
		return 0;
	nsize = size ? size * 2 : 1024;
	slots = calloc(nsize, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		for (s = hash(arg, i) & (nsize - 1); slots[s]; s = (s + 1) & (nsize - 1))
			;
		slots[s] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = nsize - 1;
	return 0;
}

static __u64 fnv1a(const void *data, size_t len, __u64 h)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * EDGE_DNS_LABEL_HASH_MUL;
	return h;
}

static __u64 blob_hash(const struct edge_dns_blob *b)
{
	return fnv1a(b->data, b->len, fnv1a(&b->count, sizeof(b->count), EDGE_DNS_LABEL_HASH_INIT));
}

static __u64 blob_hash_at(const void *arg, size_t i)
{
	const struct compiler *c = arg;

	return blob_hash(&c->out->blobs[i]);
}

/* The blob's index: an existing one with the same bytes, or a new one. */
static int blob_intern(struct compiler *c, struct edge_dns_blob *b, __u32 *idx)
{
	struct edge_dns_compiled *out = c->out;
	const struct edge_dns_blob *o;
	size_t s;

	b->csum = edge_csum_raw(b->data, b->len);
	if (table_reserve(&c->blob_idx, out->n_blobs, blob_hash_at, c))
		return oom(c);
	for (s = blob_hash(b) & c->blob_idx.mask; c->blob_idx.slots[s];
	     s = (s + 1) & c->blob_idx.mask) {
		o = &out->blobs[c->blob_idx.slots[s] - 1];
		if (o->len == b->len && o->count == b->count && !memcmp(o->data, b->data, b->len)) {
			*idx = c->blob_idx.slots[s] - 1;
			return 0;
		}
	}
	if (out->n_blobs == EDGE_MAX_DNS_BLOBS)
		return cerr(c, "%s: more than %d distinct DNS record sets", c->cfg->file,
			    EDGE_MAX_DNS_BLOBS);
	if (reserve((void **)&out->blobs, &c->blobs_cap, out->n_blobs, sizeof(*out->blobs)))
		return oom(c);
	*idx = out->n_blobs;
	out->blobs[out->n_blobs++] = *b;
	c->blob_idx.slots[s] = *idx + 1;
	return 0;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Append one answer record (owner: a pointer to the question); false if it does not fit. */
static bool blob_add_rr(struct edge_dns_blob *b, __u16 qtype, __u32 ttl, const __u8 *rdata)
{
	__u16 rdlen = qtype == EDGE_CFG_DNS_TYPE_A ? 4 : 16;
	__u8 *p = b->data + b->len;

	if (b->len + RR_HDR_LEN + rdlen > EDGE_DNS_BLOB_MAX)
		return false;
	p[0] = 0xc0;
	p[1] = 0x0c; /* the question name, at offset 12 */
	put16(p + 2, qtype);
	put16(p + 4, DNS_CLASS_IN);
	put32(p + 6, ttl);
	put16(p + 10, rdlen);
	memcpy(p + RR_HDR_LEN, rdata, rdlen);
	b->len += RR_HDR_LEN + rdlen;
	b->count++;
	return true;
}

/* Does b already hold a record with this rdata? */
static bool blob_has_rdata(const struct edge_dns_blob *b, const __u8 *rdata, __u16 rdlen)
{
	size_t pos;

	for (pos = 0; pos + RR_HDR_LEN + rdlen <= b->len; pos += RR_HDR_LEN + rdlen)
		if (!memcmp(b->data + pos + RR_HDR_LEN, rdata, rdlen))
			return true;
	return false;
}

/* A pool's addresses of rr's type, one record each. */
static void blob_add_pool(struct edge_dns_blob *b, const struct edge_cfg_pool *pool,
			  const struct edge_cfg_rrset *rr, bool dedup)
{
	bool a = rr->qtype == EDGE_CFG_DNS_TYPE_A;
	size_t i, n = a ? pool->n_a : pool->n_aaaa;

	for (i = 0; i < n; i++) {
		const __u8 *rdata = a ? pool->a[i] : pool->aaaa[i];

		if (dedup && blob_has_rdata(b, rdata, a ? 4 : 16))
			continue;
		if (!blob_add_rr(b, rr->qtype, rr->ttl, rdata))
			return;
	}
}

static int pool_blob(struct compiler *c, const struct edge_cfg_rrset *rr, __u16 pool, __u32 *idx)
{
	struct edge_dns_blob b = {0};

	blob_add_pool(&b, &c->cfg->pools[pool], rr, false);
	return blob_intern(c, &b, idx);
}

/*
 * RFC 2308 §3: the SOA in a negative answer carries TTL min(SOA TTL,
 * minimum). One record body without its owner: the data path writes the
 * owner as a pointer to the apex suffix of the question.
 */
static int soa_blob(struct compiler *c, const struct edge_cfg_zone *z, __u32 *idx)
{
	const struct edge_cfg_soa *soa = &z->soa;
	__u8 mname[EDGE_DNS_NAME_MAX + 1], rname[EDGE_DNS_NAME_MAX + 1];
	struct edge_dns_blob b = {0};
	int mlen, rlen;
	size_t len;
	__u8 *p;

	mlen = edge_dns_name_to_wire(soa->mname, mname, sizeof(mname));
	rlen = edge_dns_name_to_wire(soa->rname, rname, sizeof(rname));
	if (mlen < 0 || rlen < 0)
		return cerr(c, "%s:%d: zone %s: bad SOA mname or rname", c->cfg->file, z->line,
			    z->name);
	len = SOA_FIXED_LEN + mlen + rlen + SOA_NUMS_LEN;
	if (len > EDGE_DNS_BLOB_MAX)
		return cerr(c, "%s:%d: zone %s: the SOA record is %zu bytes, more than %d",
			    c->cfg->file, z->line, z->name, len, EDGE_DNS_BLOB_MAX);
	p = b.data;
	put16(p, DNS_TYPE_SOA);
	put16(p + 2, DNS_CLASS_IN);
	put32(p + 4, soa->ttl < soa->minimum ? soa->ttl : soa->minimum);
	put16(p + 8, mlen + rlen + SOA_NUMS_LEN);
	p += SOA_FIXED_LEN;
	memcpy(p, mname, mlen);
	p += mlen;
	memcpy(p, rname, rlen);
	p += rlen;
	put32(p, soa->serial);
	put32(p + 4, soa->refresh);
	put32(p + 8, soa->retry);
	put32(p + 12, soa->expire);
	put32(p + 16, soa->minimum);
	b.len = len;
	b.count = 1;
	return blob_intern(c, &b, idx);
}

static int fill_cands(struct compiler *c, const struct edge_cfg_rrset *rr,
		      const struct edge_cfg_cand *from, size_t n, struct edge_dns_cand *to)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		to[i].pool = from[i].pool;
		to[i].weight = from[i].weight;
		ret = pool_blob(c, rr, from[i].pool, &to[i].blob);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Fail open: every distinct candidate pool's records in one blob (the
 * default list first, then the regions in file order), each address once,
 * as many whole records as fit.
 */
static int union_blob(struct compiler *c, const struct edge_cfg_rrset *rr, __u32 *idx)
{
	bool seen[EDGE_CFG_MAX_POOLS] = {false};
	struct edge_dns_blob b = {0};
	const struct edge_cfg_cand *cand;
	size_t r, i, n;

	for (r = 0; r <= rr->n_geo; r++) {
		cand = r ? rr->geo[r - 1].cand : rr->cand;
		n = r ? rr->geo[r - 1].n : rr->n_cand;
		for (i = 0; i < n; i++) {
			if (seen[cand[i].pool])
				continue;
			seen[cand[i].pool] = true;
			blob_add_pool(&b, &c->cfg->pools[cand[i].pool], rr, true);
		}
	}
	return blob_intern(c, &b, idx);
}

static int compile_policy(struct compiler *c, const struct edge_cfg_rrset *rr,
			  struct edge_dns_policy *pol)
{
	struct edge_dns_blob b = {0};
	size_t i;
	int ret;

	switch (rr->policy) {
	case EDGE_CFG_POL_STATIC:
		pol->kind = EDGE_POL_STATIC;
		for (i = 0; i < rr->n_values; i++)
			blob_add_rr(&b, rr->qtype, rr->ttl, rr->values[i]);
		return blob_intern(c, &b, &pol->all_blob);
	case EDGE_CFG_POL_FAILOVER:
		pol->kind = EDGE_POL_FAILOVER;
		break;
	case EDGE_CFG_POL_WEIGHTED:
		pol->kind = EDGE_POL_WEIGHTED;
		for (i = 0; i < rr->n_cand; i++)
			pol->weight_sum += rr->cand[i].weight;
		break;
	case EDGE_CFG_POL_GEO:
		pol->kind = EDGE_POL_GEO;
		for (i = 0; i < rr->n_geo; i++) {
			const struct edge_cfg_geo_route *route = &rr->geo[i];

			pol->geo_n[route->region] = route->n;
			ret = fill_cands(c, rr, route->cand, route->n, pol->geo[route->region]);
			if (ret)
				return ret;
		}
		break;
	default:
		return cerr(c, "%s:%d: %s: unknown policy %d", c->cfg->file, rr->line, rr->name,
			    rr->policy);
	}
	pol->n_def = rr->n_cand;
	ret = fill_cands(c, rr, rr->cand, rr->n_cand, pol->def);
	if (ret)
		return ret;
	return union_blob(c, rr, &pol->all_blob);
}

/* A wire name (labels of letters, digits, '-', '_') as text, for messages. */
static const char *wire_text(const __u8 *wire, char *text)
{
	size_t pos, o = 0;

	for (pos = 0; wire[pos]; pos += wire[pos] + 1) {
		if (o)
			text[o++] = '.';
		memcpy(text + o, wire + pos + 1, wire[pos]);
		o += wire[pos];
	}
	text[o] = '\0';
	return text;
}

static __u64 name_hash_at(const void *arg, size_t i)
{
	const struct compiler *c = arg;

	return c->out->names[i].key;
}

/*
 * The name entry of wire (in zone z): the existing one, or a new one with
 * no policies. Two names with one hash would shadow each other in the
 * map: refuse that config rather than lose a name.
 */
static int name_entry(struct compiler *c, const __u8 *wire, size_t len, size_t z, __u32 *idx)
{
	struct edge_dns_compiled *out = c->out;
	const struct edge_cfg_zone *zone = &c->cfg->zones[z];
	struct edge_dns_name_entry *e;
	__u64 key = edge_dns_name_key(wire, len);
	char a[EDGE_DNS_NAME_MAX + 1], b[EDGE_DNS_NAME_MAX + 1];
	size_t s;

	if (table_reserve(&c->name_idx, out->n_names, name_hash_at, c))
		return oom(c);
	for (s = key & c->name_idx.mask; c->name_idx.slots[s]; s = (s + 1) & c->name_idx.mask) {
		e = &out->names[c->name_idx.slots[s] - 1];
		if (e->key != key)
			continue;
		if (e->val.name_len != len || memcmp(e->val.name, wire, len))
			return cerr(c, "%s: DNS names %s and %s have the same hash; rename one",
				    c->cfg->file, wire_text(e->val.name, a), wire_text(wire, b));
		*idx = c->name_idx.slots[s] - 1;
		return 0;
	}
	if (out->n_names == EDGE_MAX_DNS_NAMES)
		return cerr(c,
			    "%s: more than %d DNS names (owners, apexes and empty "
			    "non-terminals)",
			    c->cfg->file, EDGE_MAX_DNS_NAMES);
	if (reserve((void **)&out->names, &c->names_cap, out->n_names, sizeof(*out->names)))
		return oom(c);
	*idx = out->n_names++;
	e = &out->names[*idx];
	memset(e, 0, sizeof(*e));
	e->key = key;
	memcpy(e->val.name, wire, len);
	e->val.name_len = len;
	e->val.apex_len = zone->apex_len;
	e->val.soa_blob = c->zone_soa[z];
	c->name_idx.slots[s] = *idx + 1;
	return 0;
}

static int compile_zones(struct compiler *c)
{
	const struct edge_config *cfg = c->cfg;
	struct edge_dns_compiled *out = c->out;
	size_t i;
	int ret;

	if (!cfg->n_zones)
		return 0;
	c->zone_soa = calloc(cfg->n_zones, sizeof(*c->zone_soa));
	out->zones = calloc(cfg->n_zones, sizeof(*out->zones));
	if (!c->zone_soa || !out->zones)
		return oom(c);
	for (i = 0; i < cfg->n_zones; i++) {
		const struct edge_cfg_zone *z = &cfg->zones[i];
		struct edge_dns_zone_entry *e = &out->zones[i];

		ret = soa_blob(c, z, &c->zone_soa[i]);
		if (ret)
			return ret;
		e->key = edge_dns_name_hash(z->apex, z->apex_len);
		memcpy(e->val.apex, z->apex, z->apex_len);
		e->val.apex_len = z->apex_len;
		e->val.soa_blob = c->zone_soa[i];
		out->n_zones++;
	}
	return 0;
}

static int compile_records(struct compiler *c)
{
	const struct edge_config *cfg = c->cfg;
	struct edge_dns_compiled *out = c->out;
	const struct edge_cfg_rrset *rr;
	size_t i, pos, apex_len;
	__u32 idx;
	int ret;

	if (cfg->n_rrsets) {
		out->policies = calloc(cfg->n_rrsets, sizeof(*out->policies));
		if (!out->policies)
			return oom(c);
	}
	for (i = 0; i < cfg->n_rrsets; i++) {
		rr = &cfg->rrsets[i];
		ret = compile_policy(c, rr, &out->policies[i]);
		if (ret)
			return ret;
		out->n_policies++;
		ret = name_entry(c, rr->wire, rr->wire_len, rr->zone, &idx);
		if (ret)
			return ret;
		out->names[idx].val.policy[rr->qtype == EDGE_CFG_DNS_TYPE_AAAA] = i + 1;
		if (out->policies[i].kind == EDGE_POL_STATIC)
			out->names[idx].val.static_blob[rr->qtype == EDGE_CFG_DNS_TYPE_AAAA] =
				out->policies[i].all_blob + 1;
	}

	/* Empty non-terminals: every name strictly between an owner and its apex. */
	for (i = 0; i < cfg->n_rrsets; i++) {
		rr = &cfg->rrsets[i];
		apex_len = cfg->zones[rr->zone].apex_len;
		for (pos = rr->wire[0] + 1; rr->wire_len - pos > apex_len;
		     pos += rr->wire[pos] + 1) {
			ret = name_entry(c, rr->wire + pos, rr->wire_len - pos, rr->zone, &idx);
			if (ret)
				return ret;
		}
	}

	/* The apex of every zone exists (it has the SOA), records or not. */
	for (i = 0; i < cfg->n_zones; i++) {
		ret = name_entry(c, cfg->zones[i].apex, cfg->zones[i].apex_len, i, &idx);
		if (ret)
			return ret;
	}
	return 0;
}

static int compile_geo(struct compiler *c)
{
	const struct edge_cfg_geo *geo = &c->cfg->geo;
	struct edge_dns_compiled *out = c->out;
	size_t i, n4 = 0, n6 = 0;

	for (i = 0; i < geo->n_prefixes; i++)
		geo->prefixes[i].family == AF_INET ? n4++ : n6++;
	if (n4 > EDGE_MAX_GEO_PREFIXES || n6 > EDGE_MAX_GEO_PREFIXES)
		return cerr(c, "%s: more than %d prefixes of one family", geo->csv,
			    EDGE_MAX_GEO_PREFIXES);
	if (n4) {
		out->geo4 = calloc(n4, sizeof(*out->geo4));
		if (!out->geo4)
			return oom(c);
	}
	if (n6) {
		out->geo6 = calloc(n6, sizeof(*out->geo6));
		if (!out->geo6)
			return oom(c);
	}
	for (i = 0; i < geo->n_prefixes; i++) {
		const struct edge_cfg_prefix *pf = &geo->prefixes[i];
		struct edge_geo val = {.region = pf->region, .prefix_len = pf->len};

		if (pf->family == AF_INET) {
			struct edge_geo4_entry *e = &out->geo4[out->n_geo4++];

			e->key.prefixlen = pf->len;
			memcpy(e->key.addr, pf->addr, sizeof(e->key.addr));
			e->val = val;
		} else {
			struct edge_geo6_entry *e = &out->geo6[out->n_geo6++];

			e->key.prefixlen = pf->len;
			memcpy(e->key.addr, pf->addr, sizeof(e->key.addr));
			e->val = val;
		}
	}
	return 0;
}

static int compile_pools(struct compiler *c)
{
	struct edge_dns_compiled *out = c->out;
	size_t i;

	if (!c->cfg->n_pools)
		return 0;
	out->pools = calloc(c->cfg->n_pools, sizeof(*out->pools));
	if (!out->pools)
		return oom(c);
	for (i = 0; i < c->cfg->n_pools; i++)
		out->pools[i].up = c->cfg->pools[i].up;
	out->n_pools = c->cfg->n_pools;
	return 0;
}

int edge_dns_name_index(const struct edge_dns_name_entry *names, size_t n, __u32 max_buckets,
			struct edge_dns_name_bucket **index, size_t *n_buckets, char *err,
			size_t errlen)
{
	struct edge_table_layout l;
	__u64 *hash;
	size_t i, b;
	__u32 s, key;
	int ret;

	*index = NULL;
	*n_buckets = 0;
	if (!n)
		return 0; /* no buckets (the loader writes one empty bucket) */
	hash = calloc(n + 1, sizeof(*hash));
	if (!hash)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		hash[i] = names[i].key;
	/* At least one bucket per two names: four slots each, at most half full. */
	ret = edge_table_place(hash, n, EDGE_DNS_NAME_SLOTS, (n + 1) / 2, max_buckets, &l);
	free(hash);
	if (ret == -ENOSPC) {
		if (errlen)
			snprintf(err, errlen,
				 "%zu DNS names do not fit the name index (%u buckets of %d "
				 "names): too many name hashes share their two buckets",
				 n, max_buckets, EDGE_DNS_NAME_SLOTS);
		return ret;
	}
	if (ret)
		return ret;
	*index = calloc(l.nbuckets, sizeof(**index));
	if (!*index) {
		edge_table_layout_free(&l);
		return -ENOMEM;
	}
	for (b = 0; b < l.nbuckets; b++) {
		for (s = 0; s < EDGE_DNS_NAME_SLOTS; s++) {
			key = l.slot[b * EDGE_DNS_NAME_SLOTS + s];
			if (!key)
				continue;
			(*index)[b].hash[s] = names[key - 1].key;
			(*index)[b].idx[s] = key;
		}
	}
	*n_buckets = l.nbuckets;
	edge_table_layout_free(&l);
	return 0;
}

static int compile_name_index(struct compiler *c)
{
	struct edge_dns_compiled *out = c->out;
	char msg[256];
	int ret;

	ret = edge_dns_name_index(out->names, out->n_names, EDGE_DNS_NAME_BUCKETS, &out->name_index,
				  &out->n_name_buckets, msg, sizeof(msg));
	if (ret == -ENOSPC)
		return cerr(c, "%s: %s", c->cfg->file, msg);
	return ret == -ENOMEM ? oom(c) : ret;
}

int edge_dns_compile(const struct edge_config *cfg, struct edge_dns_compiled *out, char *err,
		     size_t errlen)
{
	struct compiler c = {
		.cfg = cfg,
		.out = out,
		.err = err,
		.errlen = err ? errlen : 0,
	};
	int ret;

	memset(out, 0, sizeof(*out));
	if (c.errlen)
		err[0] = '\0';
	ret = compile_pools(&c);
	if (!ret)
		ret = compile_zones(&c);
	if (!ret)
		ret = compile_records(&c);
	if (!ret)
		ret = compile_name_index(&c);
	if (!ret)
		ret = compile_geo(&c);
	free(c.blob_idx.slots);
	free(c.name_idx.slots);
	free(c.zone_soa);
	if (ret)
		edge_dns_compiled_free(out);
	return ret;
}

void edge_dns_compiled_free(struct edge_dns_compiled *c)
{
	free(c->names);
	free(c->name_index);
	free(c->zones);
	free(c->policies);
	free(c->blobs);
	free(c->pools);
	free(c->geo4);
	free(c->geo6);
	memset(c, 0, sizeof(*c));
}
