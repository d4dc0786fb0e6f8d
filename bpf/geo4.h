/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The walk down an IPv4 direct table (DIR-16-8-8, layout in
 * include/anyedge.h, struct edge_geo4_slot): shared by the data path
 * (bpf/dns.h, edge_geo4_dir) and the lookup bench
 * (tests/bench/geo_lookup.bpf.c), so the bench times the code that runs.
 */
#ifndef EDGE_GEO4_H
#define EDGE_GEO4_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"

/*
 * The slot an IPv4 address (host order) ends on in the generation that
 * starts at chunk base of map dir: its /16's first-level slot, then down
 * the chunks (at most two) it points to. NULL past the map.
 */
static __always_inline struct edge_geo4_slot *geo4_dir_walk(void *dir, __u32 base, __u32 a)
{
	struct edge_geo4_chunk *c;
	struct edge_geo4_slot *s;
	__u32 idx = base + (a >> 24);

	c = bpf_map_lookup_elem(dir, &idx);
	if (!c)
		return NULL;
	s = &c->slot[(a >> 16) & 0xff];
	if (s->kind == EDGE_GEO4_CHUNK) {
		idx = base + s->ref;
		c = bpf_map_lookup_elem(dir, &idx);
		if (!c)
			return NULL;
		s = &c->slot[(a >> 8) & 0xff];
	}
	if (s->kind == EDGE_GEO4_CHUNK) {
		idx = base + s->ref;
		c = bpf_map_lookup_elem(dir, &idx);
		if (!c)
			return NULL;
		s = &c->slot[a & 0xff];
	}
	return s;
}

#endif /* EDGE_GEO4_H */
