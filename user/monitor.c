// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor: the config's health checks on the engine, and the pool
 * health they add up to. See monitor.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
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

/*
 * The identity of a check: every field of its validated config but
 * initial_up (how a check starts says nothing about what it checks).
 */
static bool same_check(const struct edge_check_cfg *a, const struct edge_check_cfg *b)
{
	return !strcmp(a->name, b->name) && a->type == b->type &&
	       same_sockaddr(&a->addr, &b->addr) && same_sockaddr(&a->src, &b->src) &&
	       a->interval_ms == b->interval_ms && a->fast_interval_ms == b->fast_interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise && a->fall == b->fall &&
	       !strcmp(a->http.path, b->http.path) &&
	       !strcmp(a->http.host, b->http.host) && a->http.status == b->http.status &&
	       !strcmp(a->http.expect, b->http.expect) && !strcmp(a->dns.name, b->dns.name) &&
	       a->dns.qtype == b->dns.qtype && a->dns.rcode == b->dns.rcode &&
	       a->dns.recursion == b->dns.recursion;
}

const struct edge_mon_pool *edge_mon_pool_find(const struct edge_mon *mon, const char *name)
{
	size_t i;

	for (i = 0; i < mon->n_cfg_pools && i < mon->n_pools; i++)
		if (!strcmp(mon->pools[i].name, name))
			return &mon->pools[i];
	return NULL;
}

const struct edge_mon_pool *edge_mon_group(const struct edge_mon *mon, bool service, size_t i)
{
	size_t g = service ? mon->n_cfg_pools + i : i;

	if (g >= mon->n_pools || (!service && i >= mon->n_cfg_pools))
		return NULL;
	return &mon->pools[g];
}

static const struct edge_mon_pool *group_find(const struct edge_mon *mon, bool service,
					      const char *name)
{
	size_t i;

	for (i = 0; i < mon->n_pools; i++)
		if (mon->pools[i].service == service && !strcmp(mon->pools[i].name, name))
			return &mon->pools[i];
	return NULL;
}

bool edge_mon_initial_up(const struct edge_mon *mon, const struct edge_cfg_pool *pool)
{
	const struct edge_mon_pool *mp;
	size_t i, n = 0;

	if (!pool->n_checks)
		return pool->up;
	mp = edge_mon_pool_find(mon, pool->name);
	if (mp && mp->min_up)
		return mp->up;
	/* New to the monitor: its checks start DOWN, or initial_up. */
	for (i = 0; i < pool->n_checks; i++)
		n += pool->checks[i].check.initial_up;
	return n >= pool->min_up;
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
	pr_info("%s %s: %s (%zu of %zu checks up, min_up %u)\n", pl->service ? "service" : "pool",
		pl->name, up ? "UP" : "DOWN", n, pl->n_checks, pl->min_up);
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
	struct edge_mon *mon = mc->mon;

	if (mc->has_backend && mon->on_backend)
		mon->on_backend(mon->arg, mc);
	pool_update(mon, mc->pool, c->st.last_change_ms);
}

static struct edge_mon_check *find_kept(struct edge_mon *mon, bool service, const char *group,
					const struct edge_check_cfg *cfg)
{
	size_t i;

	for (i = 0; i < mon->n_checks; i++) {
		struct edge_mon_check *mc = mon->checks[i];

		if (mc->keep || mon->pools[mc->pool].service != service ||
		    strcmp(mon->pools[mc->pool].name, group))
			continue;
		if (same_check(&mc->c->cfg, cfg))
			return mc;
	}
	return NULL;
}

/* A pool or service of the config, as a group of checks. */
struct group_src {
	char name[EDGE_CFG_NAME_LEN + 16];
	bool service;
	size_t index;
	const struct edge_cfg_check *checks;
	size_t n_checks;
	unsigned int min_up;
	bool up; /* what the map was written with (pools), or true */
};

static void group_srcs(const struct edge_mon *mon, const struct edge_config *cfg,
		       struct group_src *g)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->n_pools; i++, n++) {
		snprintf(g[n].name, sizeof(g[n].name), "%s", cfg->pools[i].name);
		g[n].service = false;
		g[n].index = i;
		g[n].checks = cfg->pools[i].checks;
		g[n].n_checks = cfg->pools[i].n_checks;
		g[n].min_up = cfg->pools[i].n_checks ? cfg->pools[i].min_up : 0;
		g[n].up = edge_mon_initial_up(mon, &cfg->pools[i]);
	}
	for (i = 0; i < cfg->n_services; i++, n++) {
		const struct edge_cfg_service *svc = &cfg->services[i];
		const struct edge_mon_pool *old;

		if (svc->name[0])
			snprintf(g[n].name, sizeof(g[n].name), "%s", svc->name);
		else
			snprintf(g[n].name, sizeof(g[n].name), "services[%zu]", i);
		g[n].service = true;
		g[n].index = i;
		g[n].checks = svc->checks;
		g[n].n_checks = svc->n_checks;
		g[n].min_up = svc->n_checks ? svc->min_up : 0;
		old = group_find(mon, true, g[n].name);
		if (old && old->min_up) {
			g[n].up = old->up;
		} else {
			size_t k, u = 0;

			for (k = 0; k < svc->n_checks; k++)
				u += svc->checks[k].check.initial_up;
			g[n].up = !svc->n_checks || u >= svc->min_up;
		}
	}
}

static void set_backend(struct edge_mon_check *mc, const struct edge_config *cfg, size_t svc,
			const struct edge_cfg_check *cc)
{
	mc->has_backend = cc->backend >= 0 && (size_t)cc->backend < cfg->services[svc].n_backends;
	if (mc->has_backend)
		mc->backend = cfg->services[svc].backends[cc->backend].addr;
}

int edge_mon_apply(struct edge_mon *mon, const struct edge_config *cfg, __u64 now)
{
	struct edge_mon_check **checks = NULL, *mc;
	struct edge_mon_pool *pools = NULL;
	struct group_src *src = NULL;
	size_t i, j, n = 0, kept = 0, total = 0, ng = cfg->n_pools + cfg->n_services;
	int ret = 0;

	for (i = 0; i < cfg->n_pools; i++)
		total += cfg->pools[i].n_checks;
	for (i = 0; i < cfg->n_services; i++)
		total += cfg->services[i].n_checks;
	pools = calloc(ng ? ng : 1, sizeof(*pools));
	checks = calloc(total + mon->n_checks + 1, sizeof(*checks));
	src = calloc(ng ? ng : 1, sizeof(*src));
	if (!pools || !checks || !src) {
		ret = -ENOMEM;
		goto err;
	}
	group_srcs(mon, cfg, src);
	for (i = 0; i < mon->n_checks; i++)
		mon->checks[i]->keep = false;

	for (i = 0; i < ng; i++) {
		const struct edge_mon_pool *old = group_find(mon, src[i].service, src[i].name);

		memcpy(pools[i].name, src[i].name, sizeof(pools[i].name));
		pools[i].service = src[i].service;
		pools[i].index = src[i].index;
		pools[i].n_checks = src[i].n_checks;
		pools[i].min_up = src[i].min_up;
		pools[i].up = src[i].up;
		pools[i].last_change_ms = now;
		if (old) {
			pools[i].transitions = old->transitions;
			pools[i].last_change_ms = old->last_change_ms;
		}
		for (j = 0; j < src[i].n_checks; j++) {
			const struct edge_check_cfg *cc = &src[i].checks[j].check;

			mc = find_kept(mon, src[i].service, src[i].name, cc);
			if (mc) {
				mc->keep = true;
				mc->pool = i;
				if (src[i].service)
					set_backend(mc, cfg, src[i].index, &src[i].checks[j]);
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
			if (src[i].service)
				set_backend(mc, cfg, src[i].index, &src[i].checks[j]);
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
	mon->n_pools = ng;
	mon->n_cfg_pools = cfg->n_pools;
	if (ret) {
		/* A consistent subset: a group whose checks are missing reports nothing. */
		for (i = 0; i < ng; i++)
			pools[i].min_up = 0;
		free(src);
		return ret;
	}
	pr_debug("health: %zu checks (%zu kept), %zu pools, %zu services\n", n, kept,
		 cfg->n_pools, cfg->n_services);
	/* Backends follow their checks (the load balancer starts them up). */
	for (i = 0; i < n && mon->on_backend; i++)
		if (checks[i]->has_backend)
			mon->on_backend(mon->arg, checks[i]);
	/*
	 * Recount every group first, then report against what the map was
	 * written with: a callback must see all groups as they now are.
	 */
	for (i = 0; i < ng; i++) {
		struct edge_mon_pool *pl = &pools[i];
		size_t up = 0;

		if (!pl->min_up) {
			pl->up = pl->service ? true : pl->up;
			continue;
		}
		for (j = 0; j < n; j++)
			if (checks[j]->pool == i && checks[j]->c->st.up)
				up++;
		pl->n_up = up;
		pl->up = up >= pl->min_up;
		if (pl->up != src[i].up) {
			pl->transitions++;
			pl->last_change_ms = now;
		}
	}
	for (i = 0; i < ng && mon->on_pool; i++)
		if (pools[i].up != src[i].up)
			mon->on_pool(mon->arg, &pools[i]);
	free(src);
	return 0;

err:
	free(pools);
	free(checks);
	free(src);
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
