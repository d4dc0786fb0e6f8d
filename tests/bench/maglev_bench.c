// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev fill benchmark: fill time (median of several runs), balance
 * (largest slot count over the mean) and disruption (share of slots that
 * change owner when one backend is removed or added), for a few backend
 * counts at one table size.
 *
 *	gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser \
 *		user/maglev.c tests/bench/maglev_bench.c -o build/maglev_bench
 *	build/maglev_bench [-m M] [-r RUNS] [-s SEED]
 *
 * "weighted" gives backend i a weight from 1 to 1000 (a fixed
 * pseudo-random sequence); "weighted err" is the largest distance, in
 * slots, between a backend's slot count and m * w / sum(w). Disruption is
 * averaged over REMOVALS choices of the removed backend, and its worst
 * case is shown too; 1/N is the least any scheme can move on a removal
 * (1/(N+1) on an addition), and avg*N is the average over that least.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maglev.h"

#define MAX_RUNS 101
#define REMOVALS 10

struct bench_opts {
	__u32 m;
	int runs;
	__u64 seed;
};

static void make_backend(struct edge_maglev_backend *be, __u32 i, __u32 weight)
{
	memset(be, 0, sizeof(*be));
	be->id[10] = 0xff;
	be->id[11] = 0xff;
	be->id[12] = 10;
	be->id[13] = i >> 16;
	be->id[14] = i >> 8;
	be->id[15] = i;
	be->id[17] = 80;
	be->id_len = 18;
	be->weight = weight;
}

static __u32 backend_no(const struct edge_maglev_backend *be)
{
	return (__u32)be->id[13] << 16 | (__u32)be->id[14] << 8 | be->id[15];
}

/* n backends numbered 0..n-1, weight 1, or 1..1000 if weighted. */
static struct edge_maglev_backend *make_backends(size_t n, int weighted)
{
	struct edge_maglev_backend *b = calloc(n + 1, sizeof(*b));
	__u32 state = 2463534242u;
	size_t i;

	if (!b)
		return NULL;
	for (i = 0; i < n; i++) {
		state ^= state << 13;
		state ^= state >> 17;
		state ^= state << 5;
		make_backend(&b[i], i, weighted ? 1 + state % 1000 : 1);
	}
	return b;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int fill_ms(const struct edge_maglev_backend *b, size_t n, const struct bench_opts *o,
		   __u32 *table, double *median)
{
	double t[MAX_RUNS], t0;
	int i, err;

	for (i = 0; i < o->runs; i++) {
		t0 = now_ms();
		err = edge_maglev_fill(b, n, o->seed, table, o->m);
		t[i] = now_ms() - t0;
		if (err)
			return err;
	}
	qsort(t, o->runs, sizeof(t[0]), cmp_double);
	*median = t[o->runs / 2];
	return 0;
}

/* Fill, then rewrite the table as backend numbers. */
static int fill_ids(const struct edge_maglev_backend *b, size_t n, const struct bench_opts *o,
		    __u32 *table)
{
	__u32 i;
	int err;

	err = edge_maglev_fill(b, n, o->seed, table, o->m);
	if (err)
		return err;
	for (i = 0; i < o->m; i++)
		table[i] = backend_no(&b[table[i]]);
	return 0;
}

static double max_over_mean(const __u32 *table, __u32 m, size_t n)
{
	__u32 *count = calloc(n, sizeof(*count)), max = 0;
	size_t i;

	if (!count)
		return -1;
	for (i = 0; i < m; i++)
		count[table[i]]++;
	for (i = 0; i < n; i++)
		if (count[i] > max)
			max = count[i];
	free(count);
	return max / ((double)m / n);
}

static double moved(const __u32 *a, const __u32 *b, __u32 m)
{
	__u32 i, d = 0;

	for (i = 0; i < m; i++)
		d += a[i] != b[i];
	return (double)d / m;
}

struct disruption {
	double remove_mean, remove_max, add_mean;
};

/*
 * Remove backend r (REMOVALS choices spread over the array) from the full
 * set; add one backend numbered n to it.
 */
static int measure_disruption(size_t n, const struct bench_opts *o, struct disruption *d)
{
	struct edge_maglev_backend *b = make_backends(n, 0), *less = NULL;
	__u32 *base = malloc(o->m * sizeof(*base));
	__u32 *t = malloc(o->m * sizeof(*t));
	int k, err = -ENOMEM;
	double x;
	size_t r;

	memset(d, 0, sizeof(*d));
	if (!b || !base || !t)
		goto out;
	less = calloc(n, sizeof(*less));
	if (!less)
		goto out;
	err = fill_ids(b, n, o, base);
	if (err)
		goto out;
	for (k = 0; k < REMOVALS; k++) {
		r = (size_t)k * n / REMOVALS;
		memcpy(less, b, r * sizeof(*b));
		memcpy(less + r, b + r + 1, (n - r - 1) * sizeof(*b));
		err = fill_ids(less, n - 1, o, t);
		if (err)
			goto out;
		x = moved(base, t, o->m);
		d->remove_mean += x / REMOVALS;
		if (x > d->remove_max)
			d->remove_max = x;
	}
	make_backend(&b[n], n, 1);
	err = fill_ids(b, n + 1, o, t);
	if (err)
		goto out;
	d->add_mean = moved(base, t, o->m);
out:
	free(less);
	free(t);
	free(base);
	free(b);
	return err;
}

/* The largest |slots - m * w / sum(w)| over the backends, in slots. */
static double max_quota_error(const struct edge_maglev_backend *b, size_t n, const __u32 *table,
			      __u32 m)
{
	__u32 *count = calloc(n, sizeof(*count));
	double sum = 0, err = 0, d;
	size_t i;

	if (!count)
		return -1;
	for (i = 0; i < m; i++)
		count[table[i]]++;
	for (i = 0; i < n; i++)
		sum += b[i].weight;
	for (i = 0; i < n; i++) {
		d = count[i] - m * (b[i].weight / sum);
		if (d < 0)
			d = -d;
		if (d > err)
			err = d;
	}
	free(count);
	return err;
}

static int bench_times(const struct bench_opts *o, __u32 *table)
{
	static const size_t ns[] = {10, 100, 1000};
	struct edge_maglev_backend *b;
	double eq, wt, qerr;
	size_t k;
	int err;

	printf("fill time, M=%u, median of %d\n", o->m, o->runs);
	printf("%6s %12s %12s %16s\n", "N", "equal ms", "weighted ms", "weighted err");
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		if (ns[k] > o->m)
			continue;
		b = make_backends(ns[k], 0);
		if (!b)
			return -ENOMEM;
		err = fill_ms(b, ns[k], o, table, &eq);
		free(b);
		if (err)
			return err;
		b = make_backends(ns[k], 1);
		if (!b)
			return -ENOMEM;
		err = fill_ms(b, ns[k], o, table, &wt);
		qerr = err ? 0 : max_quota_error(b, ns[k], table, o->m);
		free(b);
		if (err)
			return err;
		printf("%6zu %12.3f %12.3f %16.3f\n", ns[k], eq, wt, qerr);
	}
	return 0;
}

static int bench_quality(const struct bench_opts *o, __u32 *table)
{
	static const size_t ns[] = {3, 10, 50, 100, 1000};
	struct edge_maglev_backend *b;
	struct disruption d;
	double balance;
	size_t k;
	int err;

	printf("\nbalance and disruption, M=%u, equal weights\n", o->m);
	printf("%6s %9s %9s %11s %11s %11s %9s\n", "N", "max/mean", "1/N", "remove avg",
	       "remove max", "add", "avg*N");
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		if (ns[k] + 1 > o->m)
			continue;
		b = make_backends(ns[k], 0);
		if (!b)
			return -ENOMEM;
		err = edge_maglev_fill(b, ns[k], o->seed, table, o->m);
		free(b);
		if (err)
			return err;
		balance = max_over_mean(table, o->m, ns[k]);
		err = measure_disruption(ns[k], o, &d);
		if (err)
			return err;
		printf("%6zu %9.4f %9.4f %11.4f %11.4f %11.4f %9.3f\n", ns[k], balance, 1.0 / ns[k],
		       d.remove_mean, d.remove_max, d.add_mean, d.remove_mean * ns[k]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {.m = EDGE_MAGLEV_M_DEFAULT, .runs = 5, .seed = 1};
	__u32 *table;
	int opt, err;

	while ((opt = getopt(argc, argv, "m:r:s:")) != -1) {
		switch (opt) {
		case 'm':
			o.m = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o.runs = atoi(optarg);
			break;
		case 's':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-m M] [-r RUNS] [-s SEED]\n", argv[0]);
			return 2;
		}
	}
	if (!edge_maglev_is_prime(o.m) || o.m < 11) {
		fprintf(stderr, "maglev_bench: -m %u: want a prime of at least 11\n", o.m);
		return 2;
	}
	if (o.runs < 1 || o.runs > MAX_RUNS) {
		fprintf(stderr, "maglev_bench: -r %d: want 1 to %d runs\n", o.runs, MAX_RUNS);
		return 2;
	}

	table = malloc(o.m * sizeof(*table));
	if (!table) {
		fprintf(stderr, "maglev_bench: table of %u slots: %s\n", o.m, strerror(ENOMEM));
		return 1;
	}
	err = bench_times(&o, table);
	if (!err)
		err = bench_quality(&o, table);
	free(table);
	if (err) {
		fprintf(stderr, "maglev_bench: fill failed: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
