/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's health, PoP and route side (DESIGN.md §3), on the event
 * loop of struct edged:
 *
 *   health engine (user/health.h) -> monitor (user/monitor.h): pool health
 *     -> edge_dns_pools map (answers move within one check interval)
 *     -> PoP state per anycast prefix (user/pop.h): hold-down, backoff,
 *        manual override (d->overrides), all-failed guard
 *       -> route signalling (user/route.h): BIRD lease/static, ExaBGP, hook
 *
 * Startup order (main): edged_pop_prepare(cfg) so checked pools start down,
 * sync maps, attach, then edged_pop_start(): checks run, and a prefix is
 * announced only once its pools reached rise. Shutdown: edged_pop_shutdown()
 * drains (GRACEFUL_SHUTDOWN first, if configured, until the VIP packet rate
 * falls or the drain timeout), withdraws, waits for traffic to fall; then
 * main detaches.
 */
#ifndef EDGE_POPD_H
#define EDGE_POPD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "config.h"

struct edged;
struct edged_pop;

/* Write checked pools' starting health into cfg (before a map sync). */
void edged_pop_prepare(struct edged *d, struct edge_config *cfg);
/* Create the engine, checks, lease and route signalling. 0 or -errno (logged). */
int edged_pop_start(struct edged *d);
/* After a reload replaced d->cfg: diff checks, prefixes and route. */
void edged_pop_reloaded(struct edged *d);
/* d->overrides changed (anyedgectl announce/withdraw/auto): apply now. */
void edged_pop_overrides_changed(struct edged *d);
/* Drain, withdraw, wait for traffic to fall. Runs d->loop itself. */
void edged_pop_shutdown(struct edged *d);
void edged_pop_free(struct edged *d);

/*
 * Planned restart (anyedged --takeover), before anything else touches the
 * maps: fetch the running daemon's announced prefixes, UP checks and tun
 * lease over <control.socket>.handover, and wait until it has exited
 * without withdrawing. Marks those checks initial_up in d->cfg. 0 or
 * -errno with the cause in err.
 */
int edged_pop_takeover(struct edged *d, char *err, size_t errlen);
/*
 * Version 2 (both sides this version): the predecessor serves on until
 * edged_pop_takeover_commit(), called once the maps are synced, the
 * program attached and edged_pop_start() ran: "ready" -> "go", then waits
 * until it is gone (its control socket free). 0, or -ECANCELED when it
 * did not let go (it serves on: exit without withdrawing or detaching).
 * Nothing to do (0) after a version 1 takeover or none.
 */
int edged_pop_takeover_commit(struct edged *d, char *err, size_t errlen);
/* A version 2 takeover that has not been committed yet. */
bool edged_pop_takeover_pending(const struct edged *d);
/* The old side: the state went to a successor; exit without withdrawing or detaching. */
bool edged_pop_handed_over(const struct edged *d);

/* Read-only views for `anyedgectl status` and metrics. Pointers stay valid until the next loop round. */

struct edged_prefix_status {
	const char *prefix;	/* "192.0.2.54/32" */
	const char *state;	/* withdrawn, announced, degraded (announced, some deps down), draining */
	const char *why;	/* the PoP state machine's reason */
	const char *signal;	/* what the route backend confirmed: announced, unknown, ... */
	const char *signal_detail;
	const char *override;	/* auto, announce, withdraw */
	size_t deps_up;		/* pools and services up */
	size_t deps;
	unsigned int min_healthy;
	unsigned int flaps;
	__u64 hold_ms;		/* hold-down in force */
	__u64 since_ms;		/* in this state for */
	__u64 transitions;
	bool guarded;
};

/* A DNS pool or a load-balanced service with health checks. */
struct edged_pool_status {
	const char *name;
	bool service;
	bool up;
	size_t checks_up;
	size_t checks;
	unsigned int min_up; /* 0: no checks */
	__u64 transitions;
};

struct edged_check_status {
	const char *name;
	const char *pool;
	const char *type;	 /* tcp, http, dns */
	char target[64];	 /* "198.51.100.1:80" */
	bool up;
	const char *last_result; /* none, ok, fail */
	const char *last_error;
	__u32 last_latency_us;
	__u64 since_ms;		 /* in this state for */
	__u64 transitions;
	__u64 runs;
	__u64 failures;
};

size_t edged_prefix_count(const struct edged *d);
int edged_prefix_get(const struct edged *d, size_t i, struct edged_prefix_status *st);
size_t edged_pool_count(const struct edged *d);
int edged_pool_get(const struct edged *d, size_t i, struct edged_pool_status *st);
size_t edged_check_count(const struct edged *d);
int edged_check_get(const struct edged *d, size_t i, struct edged_check_status *st);
/* The check of backend be of the config's service svc: 0, or -ENOENT when it has none. */
int edged_backend_check_get(const struct edged *d, size_t svc, size_t be,
			    struct edged_check_status *st);
/* Every check failed at once and the guard holds (logged loudly when it trips). */
bool edged_guard_active(const struct edged *d);

#endif /* EDGE_POPD_H */
