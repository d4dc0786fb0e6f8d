/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GeoIP databases in the MaxMind DB format (MMDB), read with libmaxminddb
 * and turned into the prefix -> region list the geo maps are built from.
 */
#ifndef EDGE_GEO_MMDB_H
#define EDGE_GEO_MMDB_H

#include <stddef.h>

#include "config.h"

/* What a load found, for the log. */
struct edge_geo_mmdb_info {
	unsigned int nodes;	 /* search tree nodes walked */
	size_t networks;	 /* data records met (networks with data) */
	size_t n4, n6;		 /* prefixes added (after merging siblings) */
	size_t unmapped;	 /* networks whose country/continent maps to no region */
	char database_type[64];	 /* from the metadata */
};

/*
 * Walk every network of the database at path and append a prefix for
 * each one whose country (country.iso_code, country_code or
 * registered_country.iso_code) is in geo->countries, else whose continent
 * (continent.code) is in geo->continents. Two sibling prefixes with the
 * same region become their parent (the prefix length is kept as the
 * answer's ECS scope, so a merged prefix says "valid for all of this").
 * Prefixes already in geo (from the CSV) are kept and the database's
 * identical ones skipped. *cap is the allocated length of geo->prefixes.
 * Returns 0 or -errno with one line in err.
 */
int edge_geo_mmdb_load(const char *path, struct edge_cfg_geo *geo, size_t *cap,
		       struct edge_geo_mmdb_info *info, char *err, size_t errlen);

#endif /* EDGE_GEO_MMDB_H */
