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

#include "anyedge.h"
#include "log.h"
#include "stats.h"

struct ctl {
	const char *pin_path;
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

static const struct ctl_cmd cmds[] = {
	{ "stats", cmd_stats, "counters by verdict and reason, summed over CPUs" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: anyedgectl [-j] [--pin-path DIR] COMMAND\n"
		   "  -j, --json          JSON output\n"
		   "  -p, --pin-path DIR  pinned maps (default %s)\n"
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
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct ctl c = { .pin_path = EDGE_PIN_DEFAULT };
	size_t i;
	int opt;

	edge_log_set_prefix("anyedgectl");
	while ((opt = getopt_long(argc, argv, "+jp:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'p':
			c.pin_path = optarg;
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
