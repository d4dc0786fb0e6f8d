// SPDX-License-Identifier: GPL-2.0
/*
 * edge-testrun: load the XDP program with private (unpinned) maps filled
 * from a config through the same code as the daemon, then run frames
 * through BPF_PROG_TEST_RUN for the packet tests (tests/prog/test_*.py).
 *
 * stdin, one command per line:
 *   run HEX     -> {"verdict":N,"out":"HEX","delta":{"counter":n,...}}
 *   stats       -> {"packets":n,...}
 *   pool N UP   -> set the health of DNS pool N (0 or 1): {"ok":true}
 * Each run is one execution (repeat = 1) on the given frame.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "config.h"
#include "edge.skel.h"
#include "loader.h"
#include "log.h"
#include "stats.h"

#define MAX_FRAME 4096

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int run_frame(struct edge_dp *dp, const char *hex)
{
	static unsigned char in[MAX_FRAME], out[MAX_FRAME + 512];
	struct edge_stats before, after;
	size_t n = 0, i;
	int stats_fd = edge_dp_stats_fd(dp);
	int ret, first = 1;

	while (hex[0] && hex[1] && hex[0] != '\n') {
		int hi = hexval(hex[0]), lo = hexval(hex[1]);

		if (hi < 0 || lo < 0 || n >= sizeof(in)) {
			printf("{\"error\":\"bad hex frame\"}\n");
			return 0;
		}
		in[n++] = hi << 4 | lo;
		hex += 2;
	}
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = n, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (edge_stats_read(stats_fd, &before))
		return -EIO;
	ret = bpf_prog_test_run_opts(edge_dp_prog_fd(dp), &opts);
	if (ret) {
		printf("{\"error\":\"test run: %s\"}\n", strerror(errno));
		return 0;
	}
	if (edge_stats_read(stats_fd, &after))
		return -EIO;
	printf("{\"verdict\":%u,\"out\":\"", opts.retval);
	for (i = 0; i < opts.data_size_out; i++)
		printf("%02x", out[i]);
	printf("\",\"delta\":{");
	for (i = 0; i < edge_stat_nfields; i++) {
		__u64 d = edge_stat_get(&after, i) - edge_stat_get(&before, i);

		if (!d)
			continue;
		printf("%s\"%s\":%llu", first ? "" : ",", edge_stat_fields[i].name,
		       (unsigned long long)d);
		first = 0;
	}
	printf("}}\n");
	return 0;
}

int main(int argc, char **argv)
{
	static char line[2 * MAX_FRAME + 64];
	struct edge_config cfg;
	struct edge_dp dp;
	struct edge_stats st;
	char err[8192];
	int ret;

	edge_log_set_prefix("edge-testrun");
	edge_log_set_level(EDGE_LOG_WARN);
	edge_log_hook_libs();
	if (argc != 2) {
		fprintf(stderr, "usage: edge-testrun CONFIG < commands\n");
		return 2;
	}
	if (edge_config_load(argv[1], &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (edge_dp_load(&dp, &cfg, NULL, err, sizeof(err)) ||
	    edge_dp_sync(&dp, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("{\"ready\":true}\n");
	ret = 0;
	while (!ret && fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "run ", 4)) {
			ret = run_frame(&dp, line + 4);
		} else if (!strncmp(line, "pool ", 5)) {
			struct edge_dns_pool pool;
			__u32 idx;

			if (sscanf(line + 5, "%u %u", &idx, &pool.up) != 2 ||
			    bpf_map_update_elem(bpf_map__fd(dp.skel->maps.edge_dns_pools), &idx, &pool,
						BPF_ANY))
				printf("{\"error\":\"pool update failed\"}\n");
			else
				printf("{\"ok\":true}\n");
		} else if (!strncmp(line, "stats", 5)) {
			ret = edge_stats_read(edge_dp_stats_fd(&dp), &st);
			if (!ret)
				edge_stats_print(stdout, &st, true);
		} else {
			printf("{\"error\":\"unknown command\"}\n");
		}
	}
	edge_dp_close(&dp);
	edge_config_free(&cfg);
	return ret ? 1 : 0;
}
