/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus metrics over HTTP (libmicrohttpd, its own thread).
 *
 * The data path counters are read straight from the stats map on every
 * scrape (map reads are safe from any thread). Everything else is daemon
 * state, owned by the event-loop thread: providers registered here write
 * their lines from the loop thread (edge_metrics_update, on a timer and
 * after changes) into a text snapshot that the HTTP thread copies under a
 * mutex. So a scrape sees daemon state at most one update period old and
 * never touches it directly.
 */
#ifndef EDGE_METRICS_H
#define EDGE_METRICS_H

#include <stdio.h>
#include <sys/socket.h>

#define EDGE_METRICS_PERIOD_MS	   1000 /* snapshot refresh */
#define EDGE_METRICS_MAX_PROVIDERS 32

struct edge_metrics;

/*
 * Write Prometheus text (# HELP, # TYPE and samples) to f. Runs on the
 * loop thread. Metric names start with "anyedge_".
 */
typedef void (*edge_metrics_fn)(void *arg, FILE *f);

struct edge_metrics *edge_metrics_new(void);
/* Stops the HTTP thread first. */
void edge_metrics_free(struct edge_metrics *m);

/* 0, -EINVAL, -ENOSPC. */
int edge_metrics_register(struct edge_metrics *m, const char *name, edge_metrics_fn fn, void *arg);

/*
 * Serve GET /metrics on addr. stats_fd: the stats map (per-CPU, summed
 * on every scrape); -1 for none. 0 or -errno with the reason in err.
 */
int edge_metrics_start(struct edge_metrics *m, const struct sockaddr *addr, socklen_t len,
		       int stats_fd, char *err, size_t errlen);
/* Is the HTTP server running? */
int edge_metrics_running(const struct edge_metrics *m);

/* Loop thread: re-run every provider into a fresh snapshot. */
void edge_metrics_update(struct edge_metrics *m);

/*
 * The whole page as a scrape would see it (malloc'd, NUL-terminated;
 * NULL when out of memory). For tests and the HTTP thread.
 */
char *edge_metrics_render(struct edge_metrics *m, size_t *len);

/* Escape a label value (\, ", newline) into buf; returns buf. */
const char *edge_metrics_label(const char *s, char *buf, size_t size);

#endif /* EDGE_METRICS_H */
