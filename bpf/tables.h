/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lookups in the bucketed tables (include/edge_table.h): the VIP of a
 * destination address, the entry of a DNS name hash. Only array lookups,
 * which the verifier inlines (a bounds check and an address: no call, no
 * hashing of the key by the kernel); at most two buckets, one cache line
 * each, and one when the key is absent and its primary bucket has room.
 */
#ifndef EDGE_TABLES_H
#define EDGE_TABLES_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "edge_table.h"
#include "maps.h"

/* The VIP with address k in the live half of edge_vips, or NULL. */
static __always_inline struct edge_vip *edge_vip_find(const struct edge_vip_key *k)
{
	const __u64 *key = (const __u64 *)k->addr, *have;
	struct edge_vip_bucket *bk;
	struct edge_tables *t;
	__u32 zero = 0, gen, mask, b, idx;
	__u64 h;
	int c, s;

	t = bpf_map_lookup_elem(&edge_tables, &zero);
	if (!t)
		return NULL;
	gen = t->vip_gen & 1;
	mask = t->vip_mask[gen] & (EDGE_VIP_BUCKETS - 1);
	h = edge_vip_hash(k);
	b = edge_table_bucket(h, mask);
#pragma unroll
	for (c = 0; c < 2; c++) {
		idx = gen * EDGE_VIP_BUCKETS + b;
		bk = bpf_map_lookup_elem(&edge_vips, &idx);
		if (!bk)
			return NULL;
#pragma unroll
		for (s = 0; s < EDGE_VIP_SLOTS; s++) {
			have = (const __u64 *)bk->slot[s].key.addr;
			if (s < bk->n && have[0] == key[0] && have[1] == key[1])
				return &bk->slot[s].vip;
		}
		/* A key is in its alternate bucket only if its primary is full. */
		if (bk->n < EDGE_VIP_SLOTS)
			return NULL;
		b = edge_table_alt(h, b, mask);
	}
	return NULL;
}

/*
 * The entry of the name with hash h in the live half of edge_dns_names,
 * or NULL. The caller compares the name itself.
 */
static __always_inline struct edge_dns_name *edge_dns_name_find(__u64 h)
{
	struct edge_dns_name_bucket *bk;
	struct edge_tables *t;
	__u32 zero = 0, gen, mask, b, idx;
	int c, s;

	t = bpf_map_lookup_elem(&edge_tables, &zero);
	if (!t)
		return NULL;
	gen = t->dns_gen & 1;
	mask = t->name_mask[gen] & (EDGE_DNS_NAME_BUCKETS - 1);
	b = edge_table_bucket(h, mask);
#pragma unroll
	for (c = 0; c < 2; c++) {
		idx = gen * EDGE_DNS_NAME_BUCKETS + b;
		bk = bpf_map_lookup_elem(&edge_dns_name_index, &idx);
		if (!bk)
			return NULL;
#pragma unroll
		for (s = 0; s < EDGE_DNS_NAME_SLOTS; s++) {
			if (bk->hash[s] == h && bk->idx[s]) {
				idx = bk->idx[s] - 1;
				return bpf_map_lookup_elem(&edge_dns_names, &idx);
			}
		}
		/* Slots fill from the first; see edge_vip_find(). */
		if (!bk->idx[EDGE_DNS_NAME_SLOTS - 1])
			return NULL;
		b = edge_table_alt(h, b, mask);
	}
	return NULL;
}

#endif /* EDGE_TABLES_H */
