/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the per-CPU counters (pinned or by fd) and printing them. */
#ifndef EDGE_STATS_USER_H
#define EDGE_STATS_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "anyedge.h"

struct edge_stat_field {
	const char *name;	/* as in BTF: "reason_dns_answered" */
	size_t off;		/* offset in struct edge_stats */
};

extern const struct edge_stat_field edge_stat_fields[];
extern const size_t edge_stat_nfields;

static inline __u64 edge_stat_get(const struct edge_stats *st, size_t i)
{
	return *(const __u64 *)((const char *)st + edge_stat_fields[i].off);
}

/* Sum the per-CPU values of the stats map. 0 or -errno. */
int edge_stats_read(int map_fd, struct edge_stats *out);
/* Open PIN_DIR/edge_stats. fd or -errno. */
int edge_stats_open_pinned(const char *pin_dir);
/* Human table, or one JSON object. */
void edge_stats_print(FILE *f, const struct edge_stats *st, bool json);

#endif /* EDGE_STATS_USER_H */
