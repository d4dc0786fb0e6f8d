// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor: the config's health checks on the engine, and the pool
 * health they add up to. See monitor.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "monitor.h"

void edge_mon_init(struct edge_mon *mon, struct edge_health *h, edge_mon_pool_cb on_pool,
		   void *arg)
{
	memset(mon, 0, sizeof(*mon));
	mon->h = h;
	mon->on_pool = on_pool;
	mon->arg = arg;
}

void edge_mon_free(struct edge_mon *mon)
{
	size_t i;

	for (i = 0; i < mon->n_checks; i++) {
		if (mon->h)
			edge_health_remove(mon->h, mon->checks[i]->c);
		free(mon->checks[i]);
	}
	free(mon->checks);
	free(mon->pools);
	mon->checks = NULL;
	mon->pools = NULL;
	mon->n_checks = mon->n_pools = 0;
}

static bool same_sockaddr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
	return true;
}

/* The identity of a check: every field of its validated config. */
static bool same_check(const struct edge_check_cfg *a, const struct edge_check_cfg *b)
{
	return !strcmp(a->name, b->name) && a->type == b->type &&
	       same_sockaddr(&a->addr, &b->addr) && same_sockaddr(&a->src, &b->src) &&
	       a->interval_ms == b->interval_ms && a->fast_interval_ms == b->fast_interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise && a->fall == b->fall &&
	       a->initial_up == b->initial_up && !strcmp(a->http.path, b->http.path) &&
	       !strcmp(a->http.host, b->http.host) && a->http.status == b->http.status &&
	       !strcmp(a->http.expect, b->http.expect) && !strcmp(a->dns.name, b->dns.name) &&
	       a->dns.qtype == b->dns.qtype && a->dns.rcode == b->dns.rcode &&
	       a->dns.recursion == b->dns.recursion;
}

const struct edge_mon_pool *edge_mon_pool_find(const struct edge_mon *mon, const char *name)
{
	size_t i;

	for (i = 0; i < mon->n_pools; i++)
		if (!strcmp(mon->pools[i].name, name))
			return &mon->pools[i];
	return NULL;
}

bool edge_mon_initial_up(const struct edge_mon *mon, const struct edge_cfg_pool *pool)
{
	const struct edge_mon_pool *mp;

	if (!pool->n_checks)
		return pool->up;
	mp = edge_mon_pool_find(mon, pool->name);
	return mp && mp->min_up ? mp->up : false;
}

/* Recount one pool; report a change. */
static void pool_update(struct edge_mon *mon, size_t idx, __u64 now)
{
	struct edge_mon_pool *pl = &mon->pools[idx];
	size_t i, n = 0;
	bool up;

	if (!pl->min_up)
		return;
	for (i = 0; i < mon->n_checks; i++)
		if (mon->checks[i]->pool == idx && mon->checks[i]->c->st.up)
			n++;
	pl->n_up = n;
	up = n >= pl->min_up;
	if (up == pl->up)
		return;
	pl->up = up;
	pl->transitions++;
	pl->last_change_ms = now;
	pr_info("pool %s: %s (%zu of %zu checks up, min_up %u)\n", pl->name, up ? "UP" : "DOWN",
		n, pl->n_checks, pl->min_up);
	if (mon->on_pool)
		mon->on_pool(mon->arg, pl);
}

void edge_mon_recount(struct edge_mon *mon, __u64 now_ms)
{
	size_t i;

	for (i = 0; i < mon->n_pools; i++)
		pool_update(mon, i, now_ms);
}

static void on_check_change(void *arg, struct edge_check *c)
{
	struct edge_mon_check *mc = arg;

	pool_update(mc->mon, mc->pool, c->st.last_change_ms);
}

static struct edge_mon_check *find_kept(struct edge_mon *mon, const char *pool,
					const struct edge_check_cfg *cfg)
{
	size_t i;

	for (i = 0; i < mon->n_checks; i++) {
		struct edge_mon_check *mc = mon->checks[i];

		if (mc->keep || strcmp(mon->pools[mc->pool].name, pool))
			continue;
		if (same_check(&mc->c->cfg, cfg))
			return mc;
	}
	return NULL;
}

int edge_mon_apply(struct edge_mon *mon, const struct edge_config *cfg, __u64 now)
{
	struct edge_mon_check **checks = NULL, *mc;
	struct edge_mon_pool *pools = NULL;
	size_t i, j, n = 0, kept = 0, total = 0;
	bool *prev = NULL;
	int ret = 0;

	for (i = 0; i < cfg->n_pools; i++)
		total += cfg->pools[i].n_checks;
	pools = calloc(cfg->n_pools ? cfg->n_pools : 1, sizeof(*pools));
	checks = calloc(total + mon->n_checks + 1, sizeof(*checks));
	prev = calloc(cfg->n_pools ? cfg->n_pools : 1, sizeof(*prev));
	if (!pools || !checks || !prev) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < mon->n_checks; i++)
		mon->checks[i]->keep = false;

	for (i = 0; i < cfg->n_pools; i++) {
		const struct edge_cfg_pool *cp = &cfg->pools[i];
		const struct edge_mon_pool *old = edge_mon_pool_find(mon, cp->name);

		prev[i] = edge_mon_initial_up(mon, cp);
		memcpy(pools[i].name, cp->name, sizeof(pools[i].name));
		pools[i].index = i;
		pools[i].n_checks = cp->n_checks;
		pools[i].min_up = cp->n_checks ? cp->min_up : 0;
		pools[i].up = prev[i];
		pools[i].last_change_ms = now;
		if (old) {
			pools[i].transitions = old->transitions;
			pools[i].last_change_ms = old->last_change_ms;
		}
		for (j = 0; j < cp->n_checks; j++) {
			const struct edge_check_cfg *cc = &cp->checks[j].check;

			mc = find_kept(mon, cp->name, cc);
			if (mc) {
				mc->keep = true;
				mc->pool = i;
				checks[n++] = mc;
				kept++;
				continue;
			}
			mc = calloc(1, sizeof(*mc));
			if (!mc) {
				ret = -ENOMEM;
				break;
			}
			mc->mon = mon;
			mc->pool = i;
			mc->keep = true;
			mc->c = edge_health_add(mon->h, cc, on_check_change, mc);
			if (!mc->c) {
				ret = -errno;
				free(mc);
				break;
			}
			checks[n++] = mc;
		}
		if (ret)
			break;
	}
	/* What the new config no longer has. */
	for (i = 0; i < mon->n_checks; i++) {
		mc = mon->checks[i];
		if (mc->keep)
			continue;
		edge_health_remove(mon->h, mc->c);
		free(mc);
	}
	free(mon->checks);
	free(mon->pools);
	mon->checks = checks;
	mon->n_checks = n;
	mon->pools = pools;
	mon->n_pools = cfg->n_pools;
	if (ret) {
		/* A consistent subset: the pools after the failure have no checks. */
		for (i = 0; i < cfg->n_pools; i++)
			if (pools[i].min_up > pools[i].n_checks)
				pools[i].min_up = 0;
		free(prev);
		return ret;
	}
	pr_debug("health: %zu checks (%zu kept), %zu pools\n", n, kept, cfg->n_pools);
	/* Recount, reporting against what the map was written with. */
	for (i = 0; i < mon->n_pools; i++) {
		struct edge_mon_pool *pl = &pools[i];
		size_t up = 0;

		if (!pl->min_up) {
			if (pl->up != prev[i] && mon->on_pool)
				mon->on_pool(mon->arg, pl);
			continue;
		}
		for (j = 0; j < n; j++)
			if (checks[j]->pool == i && checks[j]->c->st.up)
				up++;
		pl->n_up = up;
		pl->up = up >= pl->min_up;
		if (pl->up != prev[i]) {
			pl->transitions++;
			pl->last_change_ms = now;
			if (mon->on_pool)
				mon->on_pool(mon->arg, pl);
		}
	}
	free(prev);
	return 0;

err:
	free(pools);
	free(checks);
	free(prev);
	return ret;
}

bool edge_mon_all_failed_at_once(const struct edge_mon *mon, __u64 window_ms)
{
	__u64 lo = UINT64_MAX, hi = 0;
	size_t i;

	if (mon->n_checks < 2)
		return false;
	for (i = 0; i < mon->n_checks; i++) {
		const struct edge_check_state *st = &mon->checks[i]->c->st;

		if (st->up || !st->transitions)
			return false;
		if (st->last_change_ms < lo)
			lo = st->last_change_ms;
		if (st->last_change_ms > hi)
			hi = st->last_change_ms;
	}
	return hi - lo <= window_ms;
}
