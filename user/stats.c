// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stats.h"

#define F(n) { #n, offsetof(struct edge_stats, n) },
const struct edge_stat_field edge_stat_fields[] = {
	F(packets)
	F(bytes)
#define EDGE_X(n) F(event_##n)
	EDGE_EVENTS(EDGE_X)
#undef EDGE_X
#define EDGE_X(n) F(verdict_##n)
	EDGE_VERDICTS(EDGE_X)
#undef EDGE_X
#define EDGE_X(n) F(reason_##n)
	EDGE_REASONS(EDGE_X)
#undef EDGE_X
};
#undef F
const size_t edge_stat_nfields = sizeof(edge_stat_fields) / sizeof(edge_stat_fields[0]);

_Static_assert(sizeof(edge_stat_fields) / sizeof(edge_stat_fields[0]) ==
		       sizeof(struct edge_stats) / sizeof(__u64),
	       "every counter has a name");

int edge_stats_read(int map_fd, struct edge_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct edge_stats *percpu;
	__u32 key = 0;
	size_t i;
	int c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, percpu)) {
		int err = -errno;

		free(percpu);
		return err;
	}
	memset(out, 0, sizeof(*out));
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < edge_stat_nfields; i++)
			*(__u64 *)((char *)out + edge_stat_fields[i].off) +=
				edge_stat_get(&percpu[c], i);
	free(percpu);
	return 0;
}

int edge_stats_open_pinned(const char *pin_dir)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, EDGE_MAP_STATS) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

void edge_stats_print(FILE *f, const struct edge_stats *st, bool json)
{
	size_t i;

	if (json) {
		fputc('{', f);
		for (i = 0; i < edge_stat_nfields; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", edge_stat_fields[i].name,
				(unsigned long long)edge_stat_get(st, i));
		fputs("}\n", f);
		return;
	}
	for (i = 0; i < edge_stat_nfields; i++) {
		const char *name = edge_stat_fields[i].name;

		if (!strncmp(name, "event_", 6) && strncmp(edge_stat_fields[i - 1].name, "event_", 6))
			fputs("events:\n", f);
		else if (!strncmp(name, "verdict_", 8) &&
			 strncmp(edge_stat_fields[i - 1].name, "verdict_", 8))
			fputs("verdicts:\n", f);
		else if (!strncmp(name, "reason_", 7) && strncmp(edge_stat_fields[i - 1].name, "reason_", 7))
			fputs("reasons:\n", f);
		fprintf(f, "  %-28s %20llu\n", name, (unsigned long long)edge_stat_get(st, i));
	}
}
