/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GeoDNS compiler: the DNS part of struct edge_config turned into the
 * entries of the DNS maps (include/anyedge.h), ready for the loader to
 * write. Nothing here touches a map: the output is plain arrays, so the
 * unit tests check exactly the bytes the XDP program will read.
 */
#ifndef EDGE_DNS_COMPILE_H
#define EDGE_DNS_COMPILE_H

#include <stddef.h>
#include <linux/types.h>

#include "anyedge.h"
#include "config.h"

/* edge_dns_names: key = edge_dns_name_key(val.name) (edge_dns_name_index). */
struct edge_dns_name_entry {
	__u64 key;
	struct edge_dns_name val;
};

/* edge_dns_zones: key = edge_dns_name_hash(val.apex). */
struct edge_dns_zone_entry {
	__u64 key;
	struct edge_dns_zone val;
};

struct edge_geo4_entry {
	struct edge_geo4_key key;
	struct edge_geo val;
};

struct edge_geo6_entry {
	struct edge_geo6_key key;
	struct edge_geo val;
};

struct edge_dns_compiled {
	struct edge_dns_name_entry *names;
	size_t n_names;
	/* edge_dns_name_index: idx = names[] index + 1 (the loader adds its half's base) */
	struct edge_dns_name_bucket *name_index;
	size_t n_name_buckets; /* a power of two */
	struct edge_dns_zone_entry *zones;
	size_t n_zones;
	struct edge_dns_policy *policies; /* map index i = array index i */
	size_t n_policies;
	struct edge_dns_blob *blobs; /* map index i = array index i */
	size_t n_blobs;
	struct edge_dns_pool *pools; /* index = config order */
	size_t n_pools;
	struct edge_geo4_entry *geo4;
	size_t n_geo4;
	struct edge_geo6_entry *geo6;
	size_t n_geo6;
};

/*
 * Compile cfg's zones, pools, records and geo prefixes. Blob and policy
 * indexes are 0-based into out's arrays (the loader may move them as a
 * whole). Returns 0, or -errno with one line in err ("FILE:LINE: ..."
 * when a config line is to blame); out is then empty.
 */
int edge_dns_compile(const struct edge_config *cfg, struct edge_dns_compiled *out, char *err,
		     size_t errlen);
void edge_dns_compiled_free(struct edge_dns_compiled *c);

/*
 * The buckets of edge_dns_name_index for names[n] (include/edge_table.h):
 * at most max_buckets (EDGE_DNS_NAME_BUCKETS for the map), at least half
 * as many as names, more while they do not fit. Returns 0 with *index and
 * *n_buckets set (free(*index)), -ENOSPC with a message in err when too
 * many hashes share their two buckets even in max_buckets, or -ENOMEM.
 * No names: no buckets.
 */
int edge_dns_name_index(const struct edge_dns_name_entry *names, size_t n, __u32 max_buckets,
			struct edge_dns_name_bucket **index, size_t *n_buckets, char *err,
			size_t errlen);

/*
 * The map key of a name (include/dns_wire.h): per-label FNV-1a, folded
 * from the root. wire is a valid wire name of len bytes with its root
 * label; A-Z are lowercased on the way, so any case gives the same key.
 */
__u64 edge_dns_name_hash(const __u8 *wire, size_t len);

/*
 * The name index key of a name (include/dns_wire.h): its wire form through
 * the root label, lowercased, hashed in 8-byte words as the data path
 * loads them.
 */
__u64 edge_dns_name_key(const __u8 *wire, size_t len);

/*
 * RFC 1071 one's complement sum of data (not complemented), folded to 16
 * bits, as the sum of host-order 16-bit loads starting at an even offset;
 * an odd final byte counts as if followed by a zero byte. This is the
 * edge_dns_blob csum the data path adds (or byte-swaps, at an odd offset).
 */
__u16 edge_csum_raw(const __u8 *data, size_t len);

/* The index of the pool named name, or -ENOENT. */
int edge_dns_pool_index(const struct edge_config *cfg, const char *name);

#endif /* EDGE_DNS_COMPILE_H */
