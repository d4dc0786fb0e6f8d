// SPDX-License-Identifier: GPL-2.0
/*
 * ct_mem_bench: does a conntrack in many small (kmalloc'd) arrays cost
 * less per lookup than one big (vmalloc'd, 4 KiB pages) array? The idea:
 * a small map lives in the kernel's linear map, which x86 maps with 2 MiB
 * or 1 GiB pages, so random sets over megabytes would cost no TLB misses.
 * Whether that holds depends on the machine (a VM's guest pages are only
 * as large as the host backs them), so this measures it:
 *
 *   ct_mem_bench [-s SETS] [-p PAGES] [-r ROUNDS]
 *
 * SETS 128-byte sets (default 65536: 8 MiB, the default IPv4 conntrack of
 * one CPU on a 2-CPU host) laid out flat or in chunks
 * (tests/bench/ct_mem.bpf.c); visited 1000 in turn (an ACK bench's flows)
 * or at random (new flows); without and with TLB pressure (a line of a
 * random page among PAGES, default 8192 = 32 MiB, before each access).
 * Per access: the median over ROUNDS test runs (repeat 20000) minus the
 * same chain without the access.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct_mem.skel.h"
#include "testrun.h"

#define CHUNK_SETS 128 /* as CT_MEM_CHUNK_SETS */
#define SET_SIZE   128
#define STEPS	   64 /* as CT_MEM_STEPS */
#define REPEAT	   20000
#define MAX_ROUNDS 99

enum { NONE, FLAT, CHUNKS, NLAYOUTS };

/* ns per step of the chain with layout l (one test run of REPEAT). */
static int run(struct ct_mem_bpf *skel, int layout, __u64 *ns)
{
	unsigned char frame[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame),
		    .repeat = REPEAT);

	struct bpf_program *prog = layout == FLAT     ? skel->progs.ct_mem_flat_walk
				   : layout == CHUNKS ? skel->progs.ct_mem_chunks_walk
						      : skel->progs.ct_mem_none;

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -errno;
	if (o.retval != XDP_DROP)
		return -EINVAL;
	*ns = o.duration * 1000 / STEPS; /* picoseconds per step */
	return 0;
}

static int fill_chunks(struct ct_mem_bpf *skel, __u32 chunks)
{
	int outer = bpf_map__fd(skel->maps.ct_mem_chunks), fd;
	__u32 i;

	for (i = 0; i < chunks; i++) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ct_mem_chunk", 4, SET_SIZE, CHUNK_SETS,
				    NULL);
		if (fd < 0)
			return -errno;
		if (bpf_map_update_elem(outer, &i, &fd, 0)) {
			close(fd);
			return -errno;
		}
		close(fd); /* the outer map holds it */
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const names[NLAYOUTS] = {"none", "flat", "chunks"};
	__u32 sets = 65536, pages = 8192, chunks;
	__u64 samples[NLAYOUTS][MAX_ROUNDS], ns, med[NLAYOUTS];
	int rounds = 5, opt, r, l, f, p, err;
	struct ct_mem_bpf *skel;

	while ((opt = getopt(argc, argv, "s:p:r:")) != -1) {
		switch (opt) {
		case 's':
			sets = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			pages = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (sets < CHUNK_SETS || sets > (1u << 22) || !pages || pages > (1u << 18) || rounds < 1 ||
	    rounds > MAX_ROUNDS)
		goto usage;
	sets -= sets % CHUNK_SETS;
	chunks = sets / CHUNK_SETS;

	skel = ct_mem_bpf__open();
	if (!skel) {
		fprintf(stderr, "ct_mem_bench: opening the BPF object failed: %s\n",
			strerror(errno));
		return 1;
	}
	err = bpf_map__set_max_entries(skel->maps.ct_mem_flat, sets);
	err = err ?: bpf_map__set_max_entries(skel->maps.ct_mem_chunks, chunks);
	err = err ?: bpf_map__set_max_entries(skel->maps.ct_mem_pressure, pages);
	err = err ?: ct_mem_bpf__load(skel);
	err = err ?: fill_chunks(skel, chunks);
	if (err) {
		fprintf(stderr, "ct_mem_bench: loading the maps and program failed: %s\n",
			strerror(-err));
		goto out;
	}
	skel->bss->ct_mem_sets = sets;
	printf("# %u sets of %d bytes (%u KiB), flat vs %u chunks of %d; pressure: %u pages;"
	       " ns per access, median of %d runs (each minus the chain alone)\n",
	       sets, SET_SIZE, sets * SET_SIZE / 1024, chunks, CHUNK_SETS, pages, rounds);
	printf("%-8s %-8s %9s %9s %9s\n", "flows", "pressure", "chain", "flat", "chunks");
	for (f = 0; f < 2; f++) {
		for (p = 0; p < 2; p++) {
			skel->bss->ct_mem_flows = f ? 0 : 1000;
			skel->bss->ct_mem_pages = p ? pages : 0;
			for (l = 0; l < NLAYOUTS; l++) /* warm up: tables, TLB, caches */
				if ((err = run(skel, l, &ns)))
					goto fail;
			/* Layouts alternate within a round: both see the same machine. */
			for (r = 0; r < rounds; r++)
				for (l = 0; l < NLAYOUTS; l++)
					if ((err = run(skel, l, &samples[l][r])))
						goto fail;
			for (l = 0; l < NLAYOUTS; l++)
				med[l] = bench_percentile(samples[l], rounds, 50);
			printf("%-8s %-8s %9.1f %9.1f %9.1f\n", f ? "random" : "1000",
			       p ? "yes" : "no", med[NONE] / 1000.0,
			       ((double)med[FLAT] - med[NONE]) / 1000.0,
			       ((double)med[CHUNKS] - med[NONE]) / 1000.0);
		}
	}
	ct_mem_bpf__destroy(skel);
	return 0;
fail:
	fprintf(stderr, "ct_mem_bench: test run (%s) failed: %s\n", names[l], strerror(-err));
out:
	ct_mem_bpf__destroy(skel);
	return 1;
usage:
	fprintf(stderr, "usage: %s [-s SETS 128-4194304] [-p PAGES 1-262144] [-r ROUNDS 1-%d]\n",
		argv[0], MAX_ROUNDS);
	return 2;
}
