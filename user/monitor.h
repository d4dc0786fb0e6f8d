/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Health of what the config checks: the checks of the DNS pools and of
 * the load-balanced services' backends run on the health engine
 * (user/health.h). Each pool or service (a "group") is up while at least
 * min_up of its checks are UP; a pool without checks keeps the `up` of
 * the config, a service without checks is up. A service check's result
 * also goes to its backend (on_backend: no new flows while DOWN). The PoP
 * state machine (user/pop.h) reads the groups' health as the
 * dependencies of the anycast prefixes.
 *
 * Reload (edge_mon_apply with the new config) keeps every check whose
 * identity is unchanged -- same pool name and the same validated check
 * config -- with its state and counters; other checks start anew (DOWN,
 * needing rise successes). Pools are matched by name, so reordering them
 * keeps their state.
 */
#ifndef EDGE_MONITOR_H
#define EDGE_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "anyedge.h"
#include "config.h"
#include "health.h"

struct edge_mon;

/* One check as the monitor tracks it. */
struct edge_mon_check {
	struct edge_mon *mon;
	struct edge_check *c; /* in the engine: cfg, st, label */
	size_t pool;	      /* index into mon->pools (its group) */
	bool keep;	      /* reload: still in the new config */
	bool has_backend;     /* a service check: */
	struct edge_vip_key backend; /* the backend it checks */
};

/* A group: a DNS pool, or a service (after all the pools in mon->pools). */
struct edge_mon_pool {
	char name[EDGE_CFG_NAME_LEN + 16]; /* a service without a name: "services[N]" */
	bool service;
	size_t index;	     /* in the config's pools (the edge_dns_pools map key) or services */
	size_t n_checks;
	size_t n_up;	     /* checks UP */
	unsigned int min_up; /* 0: no checks, `up` is the config's */
	bool up;
	__u64 transitions;
	__u64 last_change_ms;
};

/*
 * on_pool: a pool went up or down (index: its config index). Called from
 * the health engine's run_once and from edge_mon_apply.
 */
typedef void (*edge_mon_pool_cb)(void *arg, const struct edge_mon_pool *pool);
/* A service check went UP or DOWN (also: once for each after edge_mon_apply). */
typedef void (*edge_mon_backend_cb)(void *arg, const struct edge_mon_check *mc);

struct edge_mon {
	struct edge_health *h; /* not owned */
	struct edge_mon_check **checks;
	size_t n_checks;
	struct edge_mon_pool *pools; /* the config's pools, then its services */
	size_t n_pools;		     /* groups */
	size_t n_cfg_pools;	     /* of them pools */
	edge_mon_pool_cb on_pool;
	edge_mon_backend_cb on_backend;
	void *arg;
};

void edge_mon_init(struct edge_mon *mon, struct edge_health *h, edge_mon_pool_cb on_pool,
		   void *arg);
/* Removes every check from the engine. */
void edge_mon_free(struct edge_mon *mon);

/*
 * Make the checks and pools those of cfg (diff: see above). on_pool is
 * called for every pool whose health differs from the one it had before
 * (a new pool counts as changed from the config's `up`). Returns 0 or
 * -errno (a check the engine refused: cause logged); on error the monitor
 * keeps a consistent subset of the new checks.
 */
int edge_mon_apply(struct edge_mon *mon, const struct edge_config *cfg, __u64 now_ms);

/* The pool (not service) called name, or NULL. */
const struct edge_mon_pool *edge_mon_pool_find(const struct edge_mon *mon, const char *name);
/* The group of the config's pool or service i, or NULL. */
const struct edge_mon_pool *edge_mon_group(const struct edge_mon *mon, bool service, size_t i);

/*
 * The health a pool of cfg should be written with before edge_mon_apply:
 * the monitor's verdict for a checked pool it knows, else false for a
 * checked pool (its checks start DOWN), else the config's `up`.
 */
bool edge_mon_initial_up(const struct edge_mon *mon, const struct edge_cfg_pool *pool);

/*
 * The guard (DESIGN.md §3): true when there are at least two checks, every
 * one of them is DOWN after having been UP, and they all went DOWN within
 * window_ms of each other -- the checker more likely lost its own network
 * than every backend died at once.
 */
bool edge_mon_all_failed_at_once(const struct edge_mon *mon, __u64 window_ms);

/* Recount pool n_up/up from the checks' states (after a state was changed). */
void edge_mon_recount(struct edge_mon *mon, __u64 now_ms);

#endif /* EDGE_MONITOR_H */
