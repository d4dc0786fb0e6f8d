// SPDX-License-Identifier: GPL-2.0
/*
 * poll_stats: time the NAPI poll of one veth (tests/bench/pollstat.bpf.c).
 *
 *   poll_stats -i IFNAME -p PINDIR
 *
 * Loads and attaches the two programs, pins their links and the counters
 * (PINDIR/link_in, PINDIR/link_out, PINDIR/stats) and exits: the timing
 * lasts until PINDIR is removed. Read with
 * `bpftool -j map dump pinned PINDIR/stats` (per CPU: ns, pkts, polls).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "pollstat.skel.h"

int main(int argc, char **argv)
{
	const char *ifname = NULL, *dir = NULL;
	struct pollstat_bpf *skel;
	char path[256];
	int opt, err = 1;

	while ((opt = getopt(argc, argv, "i:p:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'p':
			dir = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (!ifname || !dir || strlen(ifname) >= 16 || strlen(dir) > 200)
		goto usage;
	skel = pollstat_bpf__open();
	if (!skel) {
		fprintf(stderr, "poll_stats: open failed\n");
		return 1;
	}
	memcpy((char *)skel->rodata->pollstat_dev, ifname, strlen(ifname) + 1);
	if (pollstat_bpf__load(skel) || pollstat_bpf__attach(skel)) {
		fprintf(stderr, "poll_stats: load or attach failed (fentry on veth_poll needs kernel BTF)\n");
		goto out;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "poll_stats: mkdir %s: %s\n", dir, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/link_in", dir);
	if (bpf_link__pin(skel->links.poll_in, path))
		goto pin_fail;
	snprintf(path, sizeof(path), "%s/link_out", dir);
	if (bpf_link__pin(skel->links.poll_out, path))
		goto pin_fail;
	snprintf(path, sizeof(path), "%s/stats", dir);
	if (bpf_map__pin(skel->maps.poll_stats, path))
		goto pin_fail;
	err = 0;
	goto out;
pin_fail:
	fprintf(stderr, "poll_stats: pin %s: %s\n", path, strerror(errno));
out:
	pollstat_bpf__destroy(skel);
	return err;
usage:
	fprintf(stderr, "usage: %s -i IFNAME -p PINDIR\n", argv[0]);
	return 2;
}
