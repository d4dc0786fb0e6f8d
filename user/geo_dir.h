/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPv4 geo prefixes as a direct table (DIR-16-8-8, include/anyedge.h
 * struct edge_geo4_slot): what edge_geo4_dir holds for one generation.
 */
#ifndef EDGE_GEO_DIR_H
#define EDGE_GEO_DIR_H

#include <stddef.h>

#include "dns_compile.h"

struct edge_geo4_dir {
	struct edge_geo4_slot *slots; /* EDGE_GEO4_L1 first-level slots, then the chunks */
	size_t n_chunks;	      /* chunks used (EDGE_GEO4_CHUNK slots each) */
	size_t n_trie;		      /* blocks left to the LPM trie: chunks ran out */
	size_t cap;		      /* chunks allocated */
	int ret;		      /* -ENOMEM while building */
};

/*
 * Build the table of the n prefixes e (any order, as written to edge_geo4)
 * with at most max_chunks chunks. Every address gets the region and prefix
 * length a longest-prefix match in the trie gives, or a TRIE slot.
 * Returns 0 or -ENOMEM.
 */
int edge_geo4_dir_build(const struct edge_geo4_entry *e, size_t n, size_t max_chunks,
			struct edge_geo4_dir *out);
void edge_geo4_dir_free(struct edge_geo4_dir *d);

/* The slot a lookup of addr (host order) ends on, as the data path walks it. */
struct edge_geo4_slot edge_geo4_dir_lookup(const struct edge_geo4_dir *d, __u32 addr);

#endif /* EDGE_GEO_DIR_H */
