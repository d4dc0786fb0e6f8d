// SPDX-License-Identifier: GPL-2.0
/*
 * anyedgectl: inspect a running (or stopped) anyedge. Statistics come
 * straight from the pinned maps, so they work while the daemon is down.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <limits.h>

#include "anyedge.h"
#include "config.h"
#include "dns_compile.h"
#include "log.h"
#include "stats.h"

struct ctl {
	const char *pin_path;
	const char *config;	/* -c: to resolve pool names */
	bool json;
};

struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *help;
};

static int cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct edge_stats st;
	int fd, ret;

	(void)argv;
	if (argc > 1) {
		pr_warn("stats takes no arguments\n");
		return -EINVAL;
	}
	fd = edge_stats_open_pinned(c->pin_path);
	if (fd < 0) {
		pr_warn("cannot open %s/%s: %s (is anyedged running with pin_path %s?)\n",
			c->pin_path, EDGE_MAP_STATS, strerror(-fd), c->pin_path);
		return fd;
	}
	ret = edge_stats_read(fd, &st);
	close(fd);
	if (ret) {
		pr_warn("reading %s/%s: %s\n", c->pin_path, EDGE_MAP_STATS, strerror(-ret));
		return ret;
	}
	edge_stats_print(stdout, &st, c->json);
	return 0;
}

/*
 * pool NAME|INDEX up|down: set a DNS pool's health in the pinned map. The
 * data path moves answers at once; the daemon's health checks (when
 * configured) and a reload set it again.
 */
static int cmd_pool(struct ctl *c, int argc, char **argv)
{
	struct edge_config cfg;
	struct edge_dns_pool pool;
	char path[PATH_MAX], err[1024], *end;
	long idx;
	int fd, ret;

	if (argc != 3 || (strcmp(argv[2], "up") && strcmp(argv[2], "down"))) {
		pr_warn("usage: anyedgectl [-c CONFIG] pool NAME|INDEX up|down\n");
		return -EINVAL;
	}
	idx = strtol(argv[1], &end, 10);
	if (*end || end == argv[1]) {
		if (!c->config) {
			pr_warn("pool %s: give the config (-c CONFIG) to resolve pool names\n",
				argv[1]);
			return -EINVAL;
		}
		ret = edge_config_load(c->config, &cfg, err, sizeof(err));
		if (ret) {
			pr_warn("%s\n", err);
			return ret;
		}
		idx = edge_dns_pool_index(&cfg, argv[1]);
		edge_config_free(&cfg);
		if (idx < 0) {
			pr_warn("pool %s: not in %s\n", argv[1], c->config);
			return -ENOENT;
		}
	}
	if (idx < 0 || idx >= EDGE_MAX_DNS_POOLS) {
		pr_warn("pool index %ld out of range 0..%d\n", idx, EDGE_MAX_DNS_POOLS - 1);
		return -ERANGE;
	}
	snprintf(path, sizeof(path), "%s/%s", c->pin_path, EDGE_MAP_DNS_POOLS);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		pr_warn("cannot open %s: %s (is anyedged running with pin_path %s?)\n", path,
			strerror(errno), c->pin_path);
		return -errno;
	}
	pool.up = !strcmp(argv[2], "up");
	__u32 key = idx;
	ret = bpf_map_update_elem(fd, &key, &pool, BPF_ANY) ? -errno : 0;
	close(fd);
	if (ret) {
		pr_warn("writing %s: %s\n", path, strerror(-ret));
		return ret;
	}
	if (c->json)
		printf("{\"pool\":%ld,\"up\":%s}\n", idx, pool.up ? "true" : "false");
	else
		printf("pool %s (index %ld) is now %s\n", argv[1], idx, argv[2]);
	return 0;
}

static const struct ctl_cmd cmds[] = {
	{ "stats", cmd_stats, "counters by verdict and reason, summed over CPUs" },
	{ "pool", cmd_pool, "NAME|INDEX up|down: set a DNS pool's health" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: anyedgectl [-j] [--pin-path DIR] COMMAND\n"
		   "  -j, --json          JSON output\n"
		   "  -p, --pin-path DIR  pinned maps (default %s)\n"
		   "  -c, --config FILE   the daemon's config (to resolve pool names)\n"
		   "Commands:\n",
		EDGE_PIN_DEFAULT);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pin-path", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct ctl c = { .pin_path = EDGE_PIN_DEFAULT };
	size_t i;
	int opt;

	edge_log_set_prefix("anyedgectl");
	while ((opt = getopt_long(argc, argv, "+jp:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'p':
			c.pin_path = optarg;
			break;
		case 'c':
			c.config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			return cmds[i].fn(&c, argc - optind, argv + optind) ? 1 : 0;
	pr_warn("unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
