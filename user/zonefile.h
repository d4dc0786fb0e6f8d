/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Zone files: each configured zone written as a standard RFC 1035 master
 * file (anyedged --emit-zone DIR), for a fallback or secondary name server
 * that answers what the XDP path leaves to the kernel (NS, SOA, other
 * types, TCP).
 */
#ifndef EDGE_ZONEFILE_H
#define EDGE_ZONEFILE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/*
 * Write zone cfg->zones[zone] to f: a comment header, $ORIGIN, $TTL (the
 * zone's default TTL), the SOA with its TTL, the NS records, then every
 * record of the zone in config order, each line with its own TTL. Names
 * are lowercase and absolute (final dot).
 *
 * A record with a policy is written as the answer a client with no
 * location information gets while every pool is up:
 *   geo       the addresses of the first pool of the default list
 *   failover  the addresses of the first pool
 *   weighted  the addresses of every pool, each once (every pool answers
 *             some share of the clients; a resolver rotating through the
 *             set spreads load the same way)
 * The header comment of the file says the same.
 *
 * Returns 0, or -errno if writing to f failed.
 */
int edge_zonefile_write(FILE *f, const struct edge_config *cfg, size_t zone);

/*
 * The file name of a zone inside dir: DIR/<zone>.zone, with the zone name
 * lowercase without its final dot.
 * Returns 0 or -ENAMETOOLONG.
 */
int edge_zonefile_path(const struct edge_config *cfg, size_t zone, const char *dir, char *path,
		       size_t size);

/*
 * Write every zone of cfg into dir (which must exist). Each file is
 * written to PATH.tmp and renamed over PATH, so a server reloading it
 * never sees half a file. Returns 0, or -errno with one line in err that
 * names the file and the cause ("cannot write /srv/z/example.com.zone:
 * No space left on device").
 */
int edge_zonefile_emit(const struct edge_config *cfg, const char *dir, char *err, size_t errlen);

#endif /* EDGE_ZONEFILE_H */
