// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's health -> pools -> PoP -> route chain on the event loop.
 * See popd.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "daemon.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "pop.h"
#include "popd.h"
#include "route.h"
#include "stats.h"

#define SETTLE_MS   2000 /* longest wait for the backend to confirm a change at shutdown */
#define RATE_STEP_MS 200  /* VIP packet-rate sampling while draining */

static void register_views(struct edged *d);
static void handover_listen(struct edged_pop *pp);
static void handover_abort(struct edged_pop *pp, const char *why);

struct edged_prefix {
	struct edge_cfg_anycast ac;
	struct edge_pop pop;
	size_t deps_up;
	bool healthy;
};

struct edged_pop {
	struct edged *d;
	struct edge_health *h;
	struct edge_mon mon;
	struct edge_route *route;
	struct edged_prefix *pfx;
	size_t n_pfx;
	struct edge_timer *tick;
	struct edge_timer *hold_timer; /* one-shot: the next hold-down expiry */
	bool guard;
	bool started;
	/* planned restart: the old side */
	int handover_listen;	/* unix socket at <control.socket>.handover, or -1 */
	char handover_path[108];
	int handover_conn;	/* v2: the successor's connection while it starts, or -1 */
	pid_t successor;	/* its pid (SO_PEERCRED) */
	struct edge_timer *handover_timer; /* v2: its deadline to say "ready" */
	bool handed_over;	/* state and lease sent: exit without withdrawing */
	/* planned restart: the new side (edged_pop_takeover) */
	char (*adopt_prefixes)[EDGE_CFG_PROTO_LEN];
	size_t n_adopt_prefixes;
	int adopt_lease_fd;
	int takeover_fd;	/* v2: to the predecessor until edged_pop_takeover_commit() */
};

static struct edge_pop_cfg pop_cfg(const struct edge_config *cfg,
				   const struct edge_cfg_anycast *ac)
{
	struct edge_pop_cfg pc = {
		.hold_down_ms = ac->hold_down_ms,
		.backoff_max_ms = ac->backoff_max_ms,
		.guard_stay = cfg->route.guard == EDGE_GUARD_STAY,
		.guard_window_ms = cfg->route.guard_window_ms,
	};

	return pc;
}

static enum edge_pop_override lookup_override(const struct edged *d, const char *prefix)
{
	size_t i;

	for (i = 0; i < d->n_overrides; i++) {
		if (strcmp(d->overrides[i].prefix, prefix))
			continue;
		switch (d->overrides[i].mode) {
		case EDGED_OVR_ANNOUNCE:
			return EDGE_POP_FORCE_ANNOUNCE;
		case EDGED_OVR_WITHDRAW:
			return EDGE_POP_FORCE_WITHDRAW;
		default:
			return EDGE_POP_AUTO;
		}
	}
	return EDGE_POP_AUTO;
}

static enum edge_route_want route_want(enum edge_pop_state st)
{
	switch (st) {
	case EDGE_POP_ANNOUNCED:
		return EDGE_ROUTE_ANNOUNCE;
	case EDGE_POP_DRAINING:
		return EDGE_ROUTE_DRAIN;
	default:
		return EDGE_ROUTE_WITHDRAW;
	}
}

static void evaluate(struct edged_pop *pp);

static void on_hold_timer(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct edged_pop *pp = arg;

	(void)loop;
	(void)t;
	pp->hold_timer = NULL; /* one-shot: freed after this unless re-armed */
	evaluate(pp);
}

/* Re-evaluate exactly when the earliest hold-down ends, not a tick later. */
static void arm_hold_timer(struct edged_pop *pp)
{
	__u64 next = 0, now = edge_now_ms(), t;
	size_t i;

	for (i = 0; i < pp->n_pfx; i++) {
		t = edge_pop_next_event_ms(&pp->pfx[i].pop);
		if (t && (!next || t < next))
			next = t;
	}
	if (!next)
		return;
	t = next > now ? next - now : 0;
	if (pp->hold_timer)
		edge_loop_timer_arm(pp->d->loop, pp->hold_timer, t);
	else
		pp->hold_timer = edge_loop_timer_add(pp->d->loop, t, 0, on_hold_timer, pp);
}

/* Feed every prefix its dependencies' health; signal the changes. */
static void evaluate(struct edged_pop *pp)
{
	const struct edge_config *cfg = &pp->d->cfg;
	__u64 now = edge_now_ms();
	bool guard;
	size_t i, j;

	/* Handing over: the prefixes stay as the successor was told. */
	if (pp->handover_conn >= 0)
		return;
	guard = edge_mon_all_failed_at_once(&pp->mon, cfg->route.guard_window_ms);
	if (guard != pp->guard) {
		if (guard)
			pr_warn("GUARD: all %zu health checks failed within %u ms of each other: "
				"the checker may have lost its own network; policy '%s'%s\n",
				pp->mon.n_checks, cfg->route.guard_window_ms,
				edge_guard_policy_str(cfg->route.guard),
				cfg->route.guard == EDGE_GUARD_STAY
					? ": announced prefixes STAY announced"
					: ": withdrawing as the checks say");
		else
			pr_warn("GUARD: lifted, a health check is up again\n");
		pp->guard = guard;
	}
	for (i = 0; i < pp->n_pfx; i++) {
		struct edged_prefix *x = &pp->pfx[i];
		enum edge_pop_override ovr = lookup_override(pp->d, x->ac.prefix);
		enum edge_pop_state old = x->pop.state;

		x->deps_up = 0;
		for (j = 0; j < x->ac.n_pools; j++) {
			const struct edge_mon_pool *g = edge_mon_group(&pp->mon, false,
								       x->ac.pools[j]);

			x->deps_up += g && g->up;
		}
		for (j = 0; j < x->ac.n_services; j++) {
			const struct edge_mon_pool *g = edge_mon_group(&pp->mon, true,
								       x->ac.services[j]);

			x->deps_up += g && g->up;
		}
		x->healthy = x->deps_up >= x->ac.min_healthy;
		if (ovr != x->pop.override)
			edge_pop_set_override(&x->pop, ovr, now);
		edge_pop_update(&x->pop, x->healthy, guard, now);
		if (x->pop.state != old)
			pr_info("prefix %s: %s (%s)\n", x->ac.prefix,
				edge_pop_state_str(x->pop.state), x->pop.why);
		edge_route_want(pp->route, x->ac.prefix, route_want(x->pop.state));
	}
	arm_hold_timer(pp);
}

static void on_pool(void *arg, const struct edge_mon_pool *pool)
{
	struct edged_pop *pp = arg;
	int ret;

	if (!pool->service) {
		ret = edge_dp_set_pool(&pp->d->dp, pool->index, pool->up);
		if (ret)
			pr_warn("pool %s: writing its health to the map failed: %s\n",
				pool->name, strerror(-ret));
	}
	evaluate(pp);
}

/* A service check changed: its backend gets new flows only while UP. */
static void on_backend(void *arg, const struct edge_mon_check *mc)
{
	struct edged_pop *pp = arg;
	char err[256];
	int ret;

	ret = edge_lb_set_backend_up(&pp->d->dp, &mc->backend, mc->c->st.up, err, sizeof(err));
	if (ret && ret != -ENOENT)
		pr_warn("health check %s: marking the backend %s failed: %s\n", mc->c->label,
			mc->c->st.up ? "up" : "down", err[0] ? err : strerror(-ret));
}

static void on_health(struct edge_loop *loop, int fd, uint32_t events, void *arg)
{
	struct edged_pop *pp = arg;
	int ret;

	(void)loop;
	(void)fd;
	(void)events;
	ret = edge_health_run_once(pp->h, 0);
	if (ret)
		pr_warn("health engine: %s\n", strerror(-ret));
}

static void on_tick(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	/* Hold-downs expire, overrides may have changed, the guard may lift. */
	evaluate(arg);
}

void edged_pop_prepare(struct edged *d, struct edge_config *cfg)
{
	size_t i, j, n;

	for (i = 0; i < cfg->n_pools; i++) {
		struct edge_cfg_pool *pl = &cfg->pools[i];

		if (!pl->n_checks)
			continue;
		if (d->pop && d->pop->started) {
			pl->up = edge_mon_initial_up(&d->pop->mon, pl);
			continue;
		}
		/* Starting: checks start DOWN, or UP as the predecessor had them. */
		for (j = n = 0; j < pl->n_checks; j++)
			n += pl->checks[j].check.initial_up;
		pl->up = n >= pl->min_up;
	}
}

/* Make the prefixes those of d->cfg, keeping each one's state by prefix. */
static int set_prefixes(struct edged_pop *pp)
{
	const struct edge_config *cfg = &pp->d->cfg;
	struct edged_prefix *np;
	__u64 now = edge_now_ms();
	size_t i, j;

	np = calloc(cfg->n_anycast ? cfg->n_anycast : 1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	for (i = 0; i < cfg->n_anycast; i++) {
		struct edge_pop_cfg pc = pop_cfg(cfg, &cfg->anycast[i]);

		np[i].ac = cfg->anycast[i];
		for (j = 0; j < pp->n_pfx; j++)
			if (!strcmp(pp->pfx[j].ac.prefix, np[i].ac.prefix))
				break;
		if (j < pp->n_pfx) {
			np[i].pop = pp->pfx[j].pop;
			edge_pop_set_cfg(&np[i].pop, &pc);
			continue;
		}
		edge_pop_init(&np[i].pop, &pc, now);
		for (j = 0; j < pp->n_adopt_prefixes; j++) {
			if (strcmp(pp->adopt_prefixes[j], np[i].ac.prefix))
				continue;
			/* Announced by the predecessor: go on from there. */
			edge_pop_adopt_announced(&np[i].pop, now);
			break;
		}
	}
	free(pp->pfx);
	pp->pfx = np;
	pp->n_pfx = cfg->n_anycast;
	return 0;
}

int edged_pop_start(struct edged *d)
{
	struct edged_pop *pp;
	size_t i;
	int ret;

	pp = d->pop; /* edged_pop_takeover() made it */
	if (!pp) {
		pp = calloc(1, sizeof(*pp));
		if (!pp)
			return -ENOMEM;
		pp->adopt_lease_fd = -1;
		pp->takeover_fd = -1;
	}
	pp->handover_listen = -1;
	pp->handover_conn = -1;
	pp->d = d;
	pp->h = edge_health_new();
	if (!pp->h) {
		ret = -errno;
		goto err_free;
	}
	edge_mon_init(&pp->mon, pp->h, on_pool, pp);
	pp->mon.on_backend = on_backend;
	ret = edge_loop_add_fd(d->loop, edge_health_fd(pp->h), EPOLLIN, on_health, pp);
	if (ret)
		goto err_health;
	pp->route = edge_route_new(d->loop, &d->cfg.route);
	if (!pp->route) {
		ret = -errno;
		pr_warn("route signalling: %s\n", strerror(errno));
		goto err_fd;
	}
	d->pop = pp;
	if (pp->adopt_lease_fd >= 0) {
		ret = edge_route_adopt_lease(pp->route, pp->adopt_lease_fd);
		if (ret)
			goto err_route;
		pp->adopt_lease_fd = -1;
	}
	ret = set_prefixes(pp);
	if (!ret)
		ret = edge_route_set_prefixes_adopted(pp->route, &d->cfg, pp->adopt_prefixes,
						      pp->n_adopt_prefixes);
	if (!ret)
		ret = edge_mon_apply(&pp->mon, &d->cfg, edge_now_ms());
	if (ret)
		goto err_route;
	/* The map got edged_pop_prepare's values; write the monitor's verdicts anyway. */
	for (i = 0; i < pp->mon.n_cfg_pools; i++)
		if (pp->mon.pools[i].min_up)
			edge_dp_set_pool(&d->dp, pp->mon.pools[i].index, pp->mon.pools[i].up);
	pp->tick = edge_loop_timer_add(d->loop, d->cfg.route.tick_ms, d->cfg.route.tick_ms,
				       on_tick, pp);
	if (!pp->tick) {
		ret = -errno;
		goto err_route;
	}
	pr_info("health: %zu checks on %zu pools; %zu anycast prefixes, route backend %s\n",
		pp->mon.n_checks, pp->mon.n_pools, pp->n_pfx,
		edge_route_backend_str(d->cfg.route.backend));
	register_views(d);
	pp->started = true;
	free(pp->adopt_prefixes);
	pp->adopt_prefixes = NULL;
	pp->n_adopt_prefixes = 0;
	/* A successor still talking to its predecessor listens once that one is gone. */
	if (pp->takeover_fd < 0)
		handover_listen(pp);
	evaluate(pp);
	return 0;

err_route:
	d->pop = NULL;
	edge_mon_free(&pp->mon);
	edge_route_free(pp->route);
	free(pp->pfx);
err_fd:
	edge_loop_del_fd(d->loop, edge_health_fd(pp->h));
err_health:
	edge_health_free(pp->h);
err_free:
	if (pp->adopt_lease_fd >= 0)
		close(pp->adopt_lease_fd);
	if (pp->takeover_fd >= 0)
		close(pp->takeover_fd); /* the predecessor goes on serving */
	free(pp->adopt_prefixes);
	free(pp);
	d->pop = NULL;
	pr_warn("health/route start failed: %s\n", strerror(-ret));
	return ret;
}

void edged_pop_reloaded(struct edged *d)
{
	struct edged_pop *pp = d->pop;
	int ret;

	if (!pp)
		return;
	if (pp->route->cfg.backend != d->cfg.route.backend ||
	    strcmp(pp->route->cfg.bird_socket, d->cfg.route.bird_socket) ||
	    strcmp(pp->route->cfg.lease_ifname, d->cfg.route.lease_ifname))
		pr_warn("reload: route backend, bird_socket and lease_interface changes take "
			"effect on restart only\n");
	/* The rest of the route section applies now. */
	memcpy(pp->route->cfg.hook, d->cfg.route.hook, sizeof(pp->route->cfg.hook));
	pp->route->cfg.hook_timeout_ms = d->cfg.route.hook_timeout_ms;
	pp->route->cfg.drain_community = d->cfg.route.drain_community;
	ret = set_prefixes(pp);
	if (!ret)
		ret = edge_route_set_prefixes(pp->route, &d->cfg);
	if (!ret)
		ret = edge_mon_apply(&pp->mon, &d->cfg, edge_now_ms());
	if (ret)
		pr_warn("reload: health/route: %s\n", strerror(-ret));
	edge_loop_timer_del(d->loop, pp->tick);
	pp->tick = edge_loop_timer_add(d->loop, d->cfg.route.tick_ms, d->cfg.route.tick_ms,
				       on_tick, pp);
	evaluate(pp);
}

void edged_pop_overrides_changed(struct edged *d)
{
	if (d->pop)
		evaluate(d->pop);
}

/*
 * Packets so far to the VIPs inside the prefixes marked in sel (indexes of
 * pp->pfx): their own counters plus what their services forwarded. Traffic
 * to a VIP of another prefix, or of none, is not counted.
 */
static int prefix_packets(struct edged_pop *pp, const bool *sel, __u64 *out)
{
	struct edge_vip_traffic *v;
	size_t i, j, n;
	int ret;

	ret = edged_vip_traffic(pp->d, &v, &n);
	if (ret)
		return ret;
	*out = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < pp->n_pfx; j++)
			if (sel[j] && edge_cfg_prefix_contains(&pp->pfx[j].ac, &v[i].vip)) {
				*out += v[i].packets;
				break;
			}
	free(v);
	return 0;
}

/* Run the loop until the route backend confirmed every wish, at most ms. */
static void settle(struct edged_pop *pp, __u64 ms)
{
	__u64 end = edge_now_ms() + ms;

	edge_route_kick(pp->route);
	while (!edge_route_settled(pp->route) && edge_now_ms() < end)
		edge_loop_run_once(pp->d->loop, 20);
}

/*
 * Run the loop until the packet rate to the VIPs of the prefixes in sel is
 * at most rate_pps, at most ms. *rate gets the last rate measured; true
 * when it fell that low (false: timeout, or the counters were unreadable).
 */
static bool wait_rate(struct edged_pop *pp, const bool *sel, unsigned long long rate_pps,
		      __u64 ms, __u64 *rate)
{
	__u64 end = edge_now_ms() + ms, t0, t1, p0, p1;
	int ret;

	*rate = 0;
	ret = prefix_packets(pp, sel, &p0);
	if (ret) {
		pr_warn("drain: cannot read the VIP counters: %s; not waiting\n", strerror(-ret));
		return false;
	}
	t0 = edge_now_ms();
	while (edge_now_ms() < end) {
		while (edge_now_ms() < t0 + RATE_STEP_MS)
			edge_loop_run_once(pp->d->loop, RATE_STEP_MS);
		if (prefix_packets(pp, sel, &p1))
			return false;
		t1 = edge_now_ms();
		/* A counter zeroed under us (a VIP's id reused) is no traffic. */
		*rate = p1 >= p0 ? (p1 - p0) * 1000 / (t1 - t0 ? t1 - t0 : 1) : 0;
		if (*rate <= rate_pps)
			return true;
		p0 = p1;
		t0 = t1;
	}
	return false;
}

/* "192.0.2.54/32 192.0.2.80/32": the prefixes in sel, for the log. */
static const char *sel_str(const struct edged_pop *pp, const bool *sel, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < pp->n_pfx && len < size; i++)
		if (sel[i])
			len += snprintf(buf + len, size - len, "%s%s", len ? " " : "",
					pp->pfx[i].ac.prefix);
	return buf;
}

void edged_pop_shutdown(struct edged *d)
{
	struct edged_pop *pp = d->pop;
	const struct edge_cfg_route *rc = &d->cfg.route;
	__u64 now, t0, rate;
	char names[512];
	bool any = false, low, *sel;
	size_t i;

	if (!pp || !pp->n_pfx)
		return;
	if (pp->handed_over) {
		pr_info("handed over: leaving every prefix as it is to the successor\n");
		return;
	}
	handover_abort(pp, "shutting down");
	sel = calloc(pp->n_pfx, sizeof(*sel));
	if (!sel)
		pr_warn("shutdown: out of memory; withdrawing without draining or waiting\n");
	edge_loop_resume(d->loop);
	edge_loop_timer_del(d->loop, pp->tick); /* no more health decisions */
	pp->tick = NULL;
	edge_loop_timer_del(d->loop, pp->hold_timer);
	pp->hold_timer = NULL;
	t0 = edge_now_ms();
	if (rc->drain_community && sel) {
		now = edge_now_ms();
		for (i = 0; i < pp->n_pfx; i++) {
			if (!edge_pop_drain(&pp->pfx[i].pop, now))
				continue;
			any = sel[i] = true;
			edge_route_want(pp->route, pp->pfx[i].ac.prefix, EDGE_ROUTE_DRAIN);
		}
		if (any) {
			settle(pp, SETTLE_MS);
			/* Only the draining prefixes' VIPs: others' traffic must not hold it. */
			low = wait_rate(pp, sel, rc->drain_rate_pps, rc->drain_timeout_ms, &rate);
			pr_info("drain: %s: VIP packet rate %llu/s after %llu ms (GRACEFUL_SHUTDOWN): "
				"%s\n",
				sel_str(pp, sel, names, sizeof(names)), (unsigned long long)rate,
				(unsigned long long)(edge_now_ms() - t0),
				low ? "at most drain.rate_pps" : "drain timeout");
		}
	}
	now = edge_now_ms();
	any = false;
	for (i = 0; i < pp->n_pfx; i++) {
		if (sel)
			sel[i] = false;
		if (!edge_pop_withdraw_final(&pp->pfx[i].pop, "shut down", now))
			continue;
		any = true;
		if (sel)
			sel[i] = true;
		edge_route_want(pp->route, pp->pfx[i].ac.prefix, EDGE_ROUTE_WITHDRAW);
		pr_info("prefix %s: withdrawn (shutting down)\n", pp->pfx[i].ac.prefix);
	}
	settle(pp, SETTLE_MS);
	if (any && sel) {
		low = wait_rate(pp, sel, rc->drain_rate_pps, rc->drain_timeout_ms, &rate);
		pr_info("withdrawn: %s: VIP packet rate %llu/s, %llu ms after the shutdown began%s\n",
			sel_str(pp, sel, names, sizeof(names)), (unsigned long long)rate,
			(unsigned long long)(edge_now_ms() - t0), low ? "" : " (drain timeout)");
	}
	free(sel);
}

void edged_pop_free(struct edged *d)
{
	struct edged_pop *pp = d->pop;

	if (!pp)
		return;
	if (pp->tick)
		edge_loop_timer_del(d->loop, pp->tick);
	if (pp->hold_timer)
		edge_loop_timer_del(d->loop, pp->hold_timer);
	if (pp->handover_listen >= 0) {
		edge_loop_del_fd(d->loop, pp->handover_listen);
		close(pp->handover_listen);
		unlink(pp->handover_path);
	}
	if (pp->adopt_lease_fd >= 0)
		close(pp->adopt_lease_fd);
	if (pp->takeover_fd >= 0)
		close(pp->takeover_fd); /* before "ready": the predecessor goes on serving */
	handover_abort(pp, NULL);
	free(pp->adopt_prefixes);
	if (!pp->h) { /* made by edged_pop_takeover(), never started */
		free(pp);
		d->pop = NULL;
		return;
	}
	edge_mon_free(&pp->mon);
	edge_loop_del_fd(d->loop, edge_health_fd(pp->h));
	edge_health_free(pp->h);
	edge_route_free(pp->route);
	free(pp->pfx);
	free(pp);
	d->pop = NULL;
}

/* Status views */

size_t edged_prefix_count(const struct edged *d)
{
	return d->pop ? d->pop->n_pfx : 0;
}

int edged_prefix_get(const struct edged *d, size_t i, struct edged_prefix_status *st)
{
	const struct edged_prefix *x;
	const struct edge_route_pfx *rp;

	if (!d->pop || i >= d->pop->n_pfx)
		return -ENOENT;
	x = &d->pop->pfx[i];
	rp = edge_route_get(d->pop->route, x->ac.prefix);
	memset(st, 0, sizeof(*st));
	st->prefix = x->ac.prefix;
	/* DESIGN.md's states: announced with some dependencies down is "degraded". */
	st->state = x->pop.state == EDGE_POP_ANNOUNCED && x->deps_up < x->ac.n_pools +
									x->ac.n_services
			    ? "degraded"
			    : edge_pop_state_str(x->pop.state);
	st->why = x->pop.why;
	st->signal = rp ? edge_route_known_str(rp->known) : "unknown";
	st->signal_detail = rp ? rp->detail : "";
	st->override = edge_pop_override_str(x->pop.override);
	st->deps_up = x->deps_up;
	st->deps = x->ac.n_pools + x->ac.n_services;
	st->min_healthy = x->ac.min_healthy;
	st->flaps = x->pop.flaps;
	st->hold_ms = x->pop.hold_ms;
	st->since_ms = edge_now_ms() - x->pop.last_change_ms;
	st->transitions = x->pop.transitions;
	st->guarded = x->pop.guarded;
	return 0;
}

size_t edged_pool_count(const struct edged *d)
{
	return d->pop ? d->pop->mon.n_pools : 0;
}

int edged_pool_get(const struct edged *d, size_t i, struct edged_pool_status *st)
{
	const struct edge_mon_pool *p;

	if (!d->pop || i >= d->pop->mon.n_pools)
		return -ENOENT;
	p = &d->pop->mon.pools[i];
	st->name = p->name;
	st->service = p->service;
	st->up = p->up;
	st->checks_up = p->n_up;
	st->checks = p->n_checks;
	st->min_up = p->min_up;
	st->transitions = p->transitions;
	return 0;
}

size_t edged_check_count(const struct edged *d)
{
	return d->pop ? d->pop->mon.n_checks : 0;
}

int edged_check_get(const struct edged *d, size_t i, struct edged_check_status *st)
{
	const struct edge_mon_check *mc;
	const struct edge_check *c;

	if (!d->pop || i >= d->pop->mon.n_checks)
		return -ENOENT;
	mc = d->pop->mon.checks[i];
	c = mc->c;
	memset(st, 0, sizeof(*st));
	st->name = c->label;
	st->pool = mc->pool < d->pop->mon.n_pools ? d->pop->mon.pools[mc->pool].name : "";
	st->type = edge_check_type_str(c->cfg.type);
	edge_health_addr_str(&c->cfg.addr, true, st->target, sizeof(st->target));
	st->up = c->st.up;
	st->last_result = c->st.last_result == EDGE_CHECK_OK	 ? "ok"
			  : c->st.last_result == EDGE_CHECK_FAIL ? "fail"
								 : "none";
	st->last_error = c->st.last_error;
	st->last_latency_us = c->st.last_latency_us;
	st->since_ms = edge_now_ms() - c->st.last_change_ms;
	st->transitions = c->st.transitions;
	st->runs = c->st.runs;
	st->failures = c->st.failures;
	return 0;
}

int edged_backend_check_get(const struct edged *d, size_t svc, size_t be,
			    struct edged_check_status *st)
{
	const struct edge_vip_key *addr;
	const struct edge_mon_check *mc;
	const struct edge_mon *mon;
	size_t i;

	if (!d->pop || svc >= d->cfg.n_services || be >= d->cfg.services[svc].n_backends)
		return -ENOENT;
	mon = &d->pop->mon;
	addr = &d->cfg.services[svc].backends[be].addr;
	for (i = 0; i < mon->n_checks; i++) {
		mc = mon->checks[i];
		if (mc->has_backend && mc->pool < mon->n_pools && mon->pools[mc->pool].service &&
		    mon->pools[mc->pool].index == svc &&
		    !memcmp(&mc->backend, addr, sizeof(*addr)))
			return edged_check_get(d, i, st);
	}
	return -ENOENT;
}

bool edged_guard_active(const struct edged *d)
{
	return d->pop && d->pop->guard;
}

/* Control socket (`anyedgectl status`) and Prometheus */

static int status_anycast(void *arg, struct json_object **out)
{
	struct edged *d = arg;
	struct edged_prefix_status st;
	struct json_object *arr = json_object_new_array(), *o;
	struct edge_vip_traffic *v = NULL;
	size_t i, j, n = 0;
	__u64 packets;

	if (!arr)
		return -ENOMEM;
	if (edged_vip_traffic(d, &v, &n))
		n = 0;
	for (i = 0; i < edged_prefix_count(d); i++) {
		if (edged_prefix_get(d, i, &st))
			continue;
		/* What the drain watches: packets to the VIPs inside the prefix. */
		for (j = packets = 0; j < n; j++)
			if (edge_cfg_prefix_contains(&d->pop->pfx[i].ac, &v[j].vip))
				packets += v[j].packets;
		o = json_object_new_object();
		if (!o)
			break;
		json_object_object_add(o, "prefix", json_object_new_string(st.prefix));
		json_object_object_add(o, "state", json_object_new_string(st.state));
		json_object_object_add(o, "why", json_object_new_string(st.why));
		json_object_object_add(o, "signal", json_object_new_string(st.signal));
		json_object_object_add(o, "signal_detail", json_object_new_string(st.signal_detail));
		json_object_object_add(o, "override", json_object_new_string(st.override));
		json_object_object_add(o, "deps_up", json_object_new_int64(st.deps_up));
		json_object_object_add(o, "deps", json_object_new_int64(st.deps));
		json_object_object_add(o, "min_healthy", json_object_new_int64(st.min_healthy));
		json_object_object_add(o, "flaps", json_object_new_int64(st.flaps));
		json_object_object_add(o, "hold_down_ms", json_object_new_int64(st.hold_ms));
		json_object_object_add(o, "since_ms", json_object_new_int64(st.since_ms));
		json_object_object_add(o, "transitions", json_object_new_int64(st.transitions));
		json_object_object_add(o, "guarded", json_object_new_boolean(st.guarded));
		json_object_object_add(o, "vip_packets", json_object_new_int64(packets));
		json_object_array_add(arr, o);
	}
	free(v);
	*out = arr;
	return 0;
}

static int status_health(void *arg, struct json_object **out)
{
	struct edged *d = arg;
	struct edged_check_status cs;
	struct edged_pool_status ps;
	struct json_object *obj = json_object_new_object(), *pools, *checks, *o;
	size_t i;

	pools = json_object_new_array();
	checks = json_object_new_array();
	if (!obj || !pools || !checks) {
		json_object_put(obj);
		json_object_put(pools);
		json_object_put(checks);
		return -ENOMEM;
	}
	json_object_object_add(obj, "guard", json_object_new_boolean(edged_guard_active(d)));
	json_object_object_add(obj, "guard_policy",
			       json_object_new_string(edge_guard_policy_str(d->cfg.route.guard)));
	for (i = 0; i < edged_pool_count(d); i++) {
		if (edged_pool_get(d, i, &ps) || !ps.min_up)
			continue;
		o = json_object_new_object();
		if (!o)
			break;
		json_object_object_add(o, "name", json_object_new_string(ps.name));
		json_object_object_add(o, "kind",
				       json_object_new_string(ps.service ? "service" : "pool"));
		json_object_object_add(o, "up", json_object_new_boolean(ps.up));
		json_object_object_add(o, "checks_up", json_object_new_int64(ps.checks_up));
		json_object_object_add(o, "checks", json_object_new_int64(ps.checks));
		json_object_object_add(o, "min_up", json_object_new_int64(ps.min_up));
		json_object_object_add(o, "transitions", json_object_new_int64(ps.transitions));
		json_object_array_add(pools, o);
	}
	for (i = 0; i < edged_check_count(d); i++) {
		if (edged_check_get(d, i, &cs))
			continue;
		o = json_object_new_object();
		if (!o)
			break;
		json_object_object_add(o, "name", json_object_new_string(cs.name));
		json_object_object_add(o, "pool", json_object_new_string(cs.pool));
		json_object_object_add(o, "type", json_object_new_string(cs.type));
		json_object_object_add(o, "target", json_object_new_string(cs.target));
		json_object_object_add(o, "up", json_object_new_boolean(cs.up));
		json_object_object_add(o, "last_result", json_object_new_string(cs.last_result));
		json_object_object_add(o, "last_error", json_object_new_string(cs.last_error));
		json_object_object_add(o, "latency_us", json_object_new_int64(cs.last_latency_us));
		json_object_object_add(o, "since_ms", json_object_new_int64(cs.since_ms));
		json_object_object_add(o, "transitions", json_object_new_int64(cs.transitions));
		json_object_object_add(o, "runs", json_object_new_int64(cs.runs));
		json_object_object_add(o, "failures", json_object_new_int64(cs.failures));
		json_object_array_add(checks, o);
	}
	json_object_object_add(obj, "groups", pools);
	json_object_object_add(obj, "checks", checks);
	*out = obj;
	return 0;
}

static void metrics_route(void *arg, FILE *f)
{
	struct edged *d = arg;
	struct edged_prefix_status ps;
	struct edged_check_status cs;
	char l1[160], l2[160];
	size_t i;

	fprintf(f, "# HELP anyedge_prefix_announced Anycast prefix state (1 announced or "
		   "draining, 0 withdrawn).\n"
		   "# TYPE anyedge_prefix_announced gauge\n");
	for (i = 0; i < edged_prefix_count(d); i++)
		if (!edged_prefix_get(d, i, &ps))
			fprintf(f, "anyedge_prefix_announced{prefix=\"%s\"} %d\n", ps.prefix,
				strcmp(ps.state, "withdrawn") != 0);
	fprintf(f, "# HELP anyedge_prefix_state Anycast prefix state (1 for the current one).\n"
		   "# TYPE anyedge_prefix_state gauge\n");
	for (i = 0; i < edged_prefix_count(d); i++) {
		static const char *const states[] = {"announced", "degraded", "draining",
						     "withdrawn"};
		size_t k;

		if (edged_prefix_get(d, i, &ps))
			continue;
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			fprintf(f, "anyedge_prefix_state{prefix=\"%s\",state=\"%s\"} %d\n",
				ps.prefix, states[k], !strcmp(ps.state, states[k]));
	}
	fprintf(f, "# HELP anyedge_prefix_transitions_total Announce/withdraw transitions.\n"
		   "# TYPE anyedge_prefix_transitions_total counter\n");
	for (i = 0; i < edged_prefix_count(d); i++)
		if (!edged_prefix_get(d, i, &ps))
			fprintf(f, "anyedge_prefix_transitions_total{prefix=\"%s\"} %llu\n",
				ps.prefix, (unsigned long long)ps.transitions);
	fprintf(f, "# HELP anyedge_prefix_hold_down_seconds Hold-down in force (backoff).\n"
		   "# TYPE anyedge_prefix_hold_down_seconds gauge\n");
	for (i = 0; i < edged_prefix_count(d); i++)
		if (!edged_prefix_get(d, i, &ps))
			fprintf(f, "anyedge_prefix_hold_down_seconds{prefix=\"%s\"} %.3f\n",
				ps.prefix, ps.hold_ms / 1000.0);
	fprintf(f, "# HELP anyedge_health_check_up Health check state (1 UP, 0 DOWN).\n"
		   "# TYPE anyedge_health_check_up gauge\n");
	for (i = 0; i < edged_check_count(d); i++)
		if (!edged_check_get(d, i, &cs))
			fprintf(f, "anyedge_health_check_up{check=\"%s\",pool=\"%s\"} %d\n",
				edge_metrics_label(cs.name, l1, sizeof(l1)),
				edge_metrics_label(cs.pool, l2, sizeof(l2)), cs.up);
	fprintf(f, "# HELP anyedge_health_check_latency_seconds Duration of the last run.\n"
		   "# TYPE anyedge_health_check_latency_seconds gauge\n");
	for (i = 0; i < edged_check_count(d); i++)
		if (!edged_check_get(d, i, &cs))
			fprintf(f, "anyedge_health_check_latency_seconds{check=\"%s\"} %.6f\n",
				edge_metrics_label(cs.name, l1, sizeof(l1)),
				cs.last_latency_us / 1e6);
	fprintf(f, "# HELP anyedge_health_check_transitions_total UP/DOWN changes.\n"
		   "# TYPE anyedge_health_check_transitions_total counter\n");
	for (i = 0; i < edged_check_count(d); i++)
		if (!edged_check_get(d, i, &cs))
			fprintf(f, "anyedge_health_check_transitions_total{check=\"%s\"} %llu\n",
				edge_metrics_label(cs.name, l1, sizeof(l1)),
				(unsigned long long)cs.transitions);
	fprintf(f, "# HELP anyedge_health_guard 1 while every check failed at once.\n"
		   "# TYPE anyedge_health_guard gauge\n"
		   "anyedge_health_guard %d\n",
		edged_guard_active(d));
}

static void on_override(struct edged *d, const char *prefix, void *arg)
{
	(void)prefix;
	(void)arg;
	edged_pop_overrides_changed(d);
}

/* Called once from edged_pop_start. */
static void register_views(struct edged *d)
{
	d->on_override = on_override;
	d->on_override_arg = NULL;
	if (d->ctl && (edge_ctl_register_status(d->ctl, "anycast", status_anycast, d) ||
		       edge_ctl_register_status(d->ctl, "health", status_health, d)))
		pr_warn("control: cannot register the anycast/health status sections\n");
	if (d->metrics && edge_metrics_register(d->metrics, "route", metrics_route, d))
		pr_warn("metrics: cannot register the route provider\n");
}

/*
 * Planned restart without withdrawal. The running daemon listens on
 * <control.socket>.handover (SOCK_SEQPACKET, root-only like the control
 * socket). `anyedged --takeover` (or the child `anyedgectl upgrade` forks)
 * loads its program first, then connects there:
 *
 *   new -> old  "anyedge-takeover 2"
 *   old -> new  "anyedge-handover 2", "announced PREFIX" and "up CHECK"
 *               lines, the tun lease fd (SCM_RIGHTS); the old one keeps
 *               serving but makes no more route decisions
 *   new         syncs the pinned maps, replaces the attached program
 *               atomically (XDP_FLAGS_REPLACE), adopts the lease, starts
 *               its checks UP and its prefixes announced where the old
 *               ones were
 *   new -> old  "ready"
 *   old -> new  "go": it has told systemd MAINPID=<new> (and waited for
 *               systemd to take it: d->handed_over_to), and exits without
 *               draining, withdrawing or detaching; the connection closes
 *               with it, and the new one binds the control socket.
 *
 * If the successor hangs up before "ready", or is not ready within
 * HANDOVER_READY_MS, the old one closes the connection and goes on as
 * before (the successor then exits without touching the routes): the
 * upstream sees no withdrawal either way. Version 1 (an older daemon on
 * either side): the state is sent and the old one exits at once.
 */
#define HANDOVER_MSG_MAX (64 * 1024)
#define HANDOVER_WAIT_MS 10000
#define HANDOVER_READY_MS 30000

static int handover_path(const struct edged *d, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s.handover", d->cfg.control.socket) >= size)
		return -ENAMETOOLONG;
	return 0;
}

#define HANDOVER_REQ "anyedge-takeover 1\n"
#define HANDOVER_REQ2 "anyedge-takeover 2\n"

static int handover_send(struct edged_pop *pp, int c, int version);

/* The successor's connection closed, failed or timed out: serve on. why NULL: quietly. */
static void handover_abort(struct edged_pop *pp, const char *why)
{
	if (pp->handover_conn < 0)
		return;
	edge_loop_del_fd(pp->d->loop, pp->handover_conn);
	close(pp->handover_conn);
	pp->handover_conn = -1;
	if (pp->handover_timer)
		edge_loop_timer_del(pp->d->loop, pp->handover_timer);
	pp->handover_timer = NULL;
	if (!why)
		return;
	pr_warn("handover: %s (successor pid %d); this anyedged goes on serving\n", why,
		(int)pp->successor);
	snprintf(pp->d->upgrade_err, sizeof(pp->d->upgrade_err), "successor pid %d: %s",
		 (int)pp->successor, why);
	evaluate(pp);
}

static void on_handover_timeout(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct edged_pop *pp = arg;
	char why[96];

	(void)loop;
	(void)t;
	pp->handover_timer = NULL; /* one-shot */
	snprintf(why, sizeof(why), "not ready within %d ms", HANDOVER_READY_MS);
	handover_abort(pp, why);
}

/* v2: the successor says "ready" (or hangs up). */
static void on_handover_conn(struct edge_loop *loop, int c, uint32_t events, void *arg)
{
	struct edged_pop *pp = arg;
	char msg[64];
	ssize_t n;

	(void)events;
	n = recv(c, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || strncmp(msg, "ready\n", (size_t)n < 6 ? 6 : (size_t)n)) {
		handover_abort(pp, n <= 0 ? "it hung up before it was ready"
					  : "it sent something else than \"ready\"");
		return;
	}
	/* Tell systemd first (MAINPID): our exit then is no service stop. */
	if (pp->d->handed_over_to)
		pp->d->handed_over_to(pp->successor);
	if (send(c, "go\n", 3, MSG_NOSIGNAL) != 3) {
		handover_abort(pp, "it hung up before \"go\"");
		return;
	}
	edge_loop_del_fd(loop, c);
	if (pp->handover_timer)
		edge_loop_timer_del(loop, pp->handover_timer);
	pp->handover_timer = NULL;
	pp->handover_conn = -1; /* not closed: see below */
	pr_info("handover: pid %d is ready; exiting without withdrawing\n", (int)pp->successor);
	pp->handed_over = true;
	pp->d->keep_attached = true;
	/*
	 * c stays open on purpose until this process is gone: its close is
	 * how the successor knows that our control socket is free.
	 */
	edge_loop_stop(loop, 0);
}

/* A successor must ask: a mere connect (a probe) hands nothing over. */
static void on_handover_req(struct edge_loop *loop, int c, uint32_t events, void *arg)
{
	struct edged_pop *pp = arg;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char req[64];
	int version = 0;
	ssize_t n;

	(void)events;
	n = recv(c, req, sizeof(req) - 1, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return;
	edge_loop_del_fd(loop, c);
	if (n == (ssize_t)strlen(HANDOVER_REQ) && !memcmp(req, HANDOVER_REQ, n))
		version = 1;
	else if (n == (ssize_t)strlen(HANDOVER_REQ2) && !memcmp(req, HANDOVER_REQ2, n))
		version = 2;
	/* One successor at a time. */
	if (!version || pp->handover_conn >= 0 || pp->handed_over) {
		close(c);
		return;
	}
	pp->successor = getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) ? 0 : cred.pid;
	if (handover_send(pp, c, version)) {
		close(c);
		return;
	}
	if (version == 1) {
		pr_info("handover: state and lease sent to pid %d; exiting without withdrawing\n",
			(int)pp->successor);
		if (pp->d->handed_over_to)
			pp->d->handed_over_to(pp->successor);
		pp->handed_over = true;
		pp->d->keep_attached = true;
		edge_loop_stop(pp->d->loop, 0); /* c stays open until we are gone */
		return;
	}
	pp->handover_conn = c;
	pp->handover_timer = edge_loop_timer_add(loop, HANDOVER_READY_MS, 0, on_handover_timeout,
						 pp);
	if (edge_loop_add_fd(loop, c, EPOLLIN, on_handover_conn, pp) || !pp->handover_timer) {
		handover_abort(pp, "cannot wait for it");
		return;
	}
	pr_info("handover: state and lease sent to pid %d; serving until it is ready\n",
		(int)pp->successor);
}

static void on_handover(struct edge_loop *loop, int fd, uint32_t events, void *arg)
{
	int c;

	(void)events;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return;
	if (edge_loop_add_fd(loop, c, EPOLLIN, on_handover_req, arg))
		close(c);
}

static int handover_send(struct edged_pop *pp, int c, int version)
{
	char buf[CMSG_SPACE(sizeof(int))] = {}, *msg;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	size_t i, len = 0;
	int lfd;

	msg = malloc(HANDOVER_MSG_MAX);
	if (!msg)
		return -ENOMEM;
	len += snprintf(msg + len, HANDOVER_MSG_MAX - len, "anyedge-handover %d\n", version);
	for (i = 0; i < pp->n_pfx && len < HANDOVER_MSG_MAX - 128; i++)
		if (pp->pfx[i].pop.state != EDGE_POP_WITHDRAWN)
			len += snprintf(msg + len, HANDOVER_MSG_MAX - len, "announced %s\n",
					pp->pfx[i].ac.prefix);
	for (i = 0; i < pp->mon.n_checks && len < HANDOVER_MSG_MAX - 128; i++)
		if (pp->mon.checks[i]->c->st.up)
			len += snprintf(msg + len, HANDOVER_MSG_MAX - len, "up %s\n",
					pp->mon.checks[i]->c->cfg.name);
	iov.iov_base = msg;
	iov.iov_len = len;
	lfd = edge_route_lease_fd(pp->route);
	if (lfd >= 0) {
		mh.msg_control = buf;
		mh.msg_controllen = sizeof(buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &lfd, sizeof(int));
	}
	if (sendmsg(c, &mh, MSG_NOSIGNAL) < 0) {
		pr_warn("handover: sending the state failed: %s; staying\n", strerror(errno));
		free(msg);
		return -errno;
	}
	free(msg);
	return 0;
}

static void handover_listen(struct edged_pop *pp)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (handover_path(pp->d, pp->handover_path, sizeof(pp->handover_path)) ||
	    strlen(pp->handover_path) >= sizeof(sa.sun_path)) {
		pr_warn("handover: %s.handover is too long a path; no planned restart\n",
			pp->d->cfg.control.socket);
		return;
	}
	strcpy(sa.sun_path, pp->handover_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	/* A live listener is another daemon's (several share a default path). */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		pr_warn("handover: %s is another anyedged's; no planned restart for this one\n",
			sa.sun_path);
		close(fd);
		return;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	/* A file nobody listens on is a dead predecessor's. */
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(sa.sun_path, 0600) ||
	    listen(fd, 1) || edge_loop_add_fd(pp->d->loop, fd, EPOLLIN, on_handover, pp)) {
		pr_warn("handover: cannot listen on %s: %s; no planned restart\n", sa.sun_path,
			strerror(errno));
		close(fd);
		return;
	}
	pp->handover_listen = fd;
}

bool edged_pop_handed_over(const struct edged *d)
{
	return d->pop && d->pop->handed_over;
}

/* Mark the checks named in an "up NAME" line as starting UP. */
static void adopt_check_up(struct edge_config *cfg, const char *name)
{
	size_t i, j;

	for (i = 0; i < cfg->n_pools; i++)
		for (j = 0; j < cfg->pools[i].n_checks; j++)
			if (!strcmp(cfg->pools[i].checks[j].check.name, name))
				cfg->pools[i].checks[j].check.initial_up = true;
	for (i = 0; i < cfg->n_services; i++)
		for (j = 0; j < cfg->services[i].n_checks; j++)
			if (!strcmp(cfg->services[i].checks[j].check.name, name))
				cfg->services[i].checks[j].check.initial_up = true;
}

/* Connect to the handover socket and ask with req. fd or -errno (err set). */
static int takeover_connect(const struct sockaddr_un *sa, const char *req, char *err,
			    size_t errlen)
{
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		ret = -errno;
		snprintf(err, errlen, "takeover: cannot reach the running anyedged at %s: %s",
			 sa->sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return fd;
}

/* Until the peer closes fd (the predecessor is gone), at most ms. */
static void wait_closed(int fd, __u64 ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	__u64 t0 = edge_now_ms();
	char junk;

	while (edge_now_ms() - t0 < ms)
		if (poll(&pfd, 1, 100) == 1 && recv(fd, &junk, 1, 0) <= 0)
			break;
}

int edged_pop_takeover(struct edged *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char cbuf[CMSG_SPACE(sizeof(int))], *msg = NULL, *line, *save;
	struct edged_pop *pp;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	struct pollfd pfd;
	__u64 t0 = edge_now_ms();
	int fd = -1, ret, version = 2;
	ssize_t n;
	size_t cap = 0;

	if (handover_path(d, sa.sun_path, sizeof(sa.sun_path))) {
		snprintf(err, errlen, "takeover: %s.handover is too long a path",
			 d->cfg.control.socket);
		return -ENAMETOOLONG;
	}
	pp = calloc(1, sizeof(*pp));
	msg = malloc(HANDOVER_MSG_MAX + 1);
	if (!pp || !msg) {
		ret = -ENOMEM;
		goto err;
	}
	pp->adopt_lease_fd = -1;
	pp->takeover_fd = -1;
	pp->handover_listen = -1;
	pp->handover_conn = -1;
again:
	fd = takeover_connect(&sa, version == 2 ? HANDOVER_REQ2 : HANDOVER_REQ, err, errlen);
	if (fd < 0) {
		ret = fd;
		fd = -1;
		goto err;
	}
	iov.iov_base = msg;
	iov.iov_len = HANDOVER_MSG_MAX;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, HANDOVER_WAIT_MS) != 1) {
		ret = -ETIMEDOUT;
		snprintf(err, errlen, "takeover: no state from %s within %d ms", sa.sun_path,
			 HANDOVER_WAIT_MS);
		goto err;
	}
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n == 0 && version == 2) {
		/* A version 1 daemon hangs up on a request it does not know. */
		close(fd);
		version = 1;
		goto again;
	}
	if (n <= 0) {
		ret = n < 0 ? -errno : -ECONNRESET;
		snprintf(err, errlen, "takeover: reading the state: %s", strerror(-ret));
		goto err;
	}
	msg[n] = '\0';
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&pp->adopt_lease_fd, CMSG_DATA(cm), sizeof(int));
	if (strncmp(msg, version == 2 ? "anyedge-handover 2\n" : "anyedge-handover 1\n", 19)) {
		ret = -EPROTO;
		snprintf(err, errlen, "takeover: %s speaks another handover protocol",
			 sa.sun_path);
		goto err;
	}
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "up ", 3)) {
			adopt_check_up(&d->cfg, line + 3);
		} else if (!strncmp(line, "announced ", 10) &&
			   strlen(line + 10) < EDGE_CFG_PROTO_LEN) {
			void *tmp;

			if (pp->n_adopt_prefixes == cap) {
				cap = cap ? 2 * cap : 16;
				tmp = realloc(pp->adopt_prefixes, cap * sizeof(*pp->adopt_prefixes));
				if (!tmp) {
					ret = -ENOMEM;
					goto err;
				}
				pp->adopt_prefixes = tmp;
			}
			strcpy(pp->adopt_prefixes[pp->n_adopt_prefixes++], line + 10);
		}
	}
	free(msg);
	pr_info("takeover: adopted %zu announced prefixes%s from the predecessor%s in %llu ms\n",
		pp->n_adopt_prefixes, pp->adopt_lease_fd >= 0 ? " and the lease" : "",
		version == 2 ? " (it serves until we are ready)" : "",
		(unsigned long long)(edge_now_ms() - t0));
	if (version == 2) {
		pp->takeover_fd = fd;
	} else {
		/* Version 1: the predecessor is exiting; its control socket is in the way. */
		wait_closed(fd, HANDOVER_WAIT_MS);
		close(fd);
	}
	d->pop = pp;
	return 0;

err:
	if (fd >= 0)
		close(fd);
	if (pp && pp->adopt_lease_fd >= 0)
		close(pp->adopt_lease_fd);
	if (pp)
		free(pp->adopt_prefixes);
	free(pp);
	free(msg);
	return ret;
}

bool edged_pop_takeover_pending(const struct edged *d)
{
	return d->pop && d->pop->takeover_fd >= 0;
}

int edged_pop_takeover_commit(struct edged *d, char *err, size_t errlen)
{
	struct edged_pop *pp = d->pop;
	struct pollfd pfd;
	char go[8];
	ssize_t n;
	int fd;

	if (!pp || pp->takeover_fd < 0)
		return 0;
	fd = pp->takeover_fd;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (send(fd, "ready\n", 6, MSG_NOSIGNAL) != 6 || poll(&pfd, 1, HANDOVER_WAIT_MS) != 1 ||
	    (n = recv(fd, go, sizeof(go), 0)) != 3 || memcmp(go, "go\n", 3)) {
		snprintf(err, errlen, "takeover: the predecessor did not let go (it serves on)");
		return -ECANCELED;
	}
	/* It is exiting: its control socket is free once the connection closes. */
	wait_closed(fd, HANDOVER_WAIT_MS);
	close(fd);
	pp->takeover_fd = -1;
	handover_listen(pp);
	return 0;
}
