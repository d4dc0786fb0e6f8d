// SPDX-License-Identifier: GPL-2.0
/* The PoP state machine of one anycast prefix. See pop.h. */
#include <stdio.h>
#include <string.h>

#include "pop.h"

const char *edge_pop_state_str(enum edge_pop_state state)
{
	switch (state) {
	case EDGE_POP_WITHDRAWN:
		return "withdrawn";
	case EDGE_POP_ANNOUNCED:
		return "announced";
	case EDGE_POP_DRAINING:
		return "draining";
	}
	return "unknown";
}

const char *edge_pop_override_str(enum edge_pop_override ovr)
{
	switch (ovr) {
	case EDGE_POP_AUTO:
		return "auto";
	case EDGE_POP_FORCE_ANNOUNCE:
		return "announce";
	case EDGE_POP_FORCE_WITHDRAW:
		return "withdraw";
	}
	return "unknown";
}

void edge_pop_init(struct edge_pop *p, const struct edge_pop_cfg *cfg, __u64 now)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->hold_ms = cfg->hold_down_ms;
	p->last_change_ms = now;
	snprintf(p->why, sizeof(p->why), "starting: dependencies not healthy yet");
}

void edge_pop_set_cfg(struct edge_pop *p, const struct edge_pop_cfg *cfg)
{
	p->cfg = *cfg;
	if (!p->flaps || p->hold_ms < cfg->hold_down_ms)
		p->hold_ms = cfg->hold_down_ms;
	if (p->hold_ms > cfg->backoff_max_ms && cfg->backoff_max_ms >= cfg->hold_down_ms)
		p->hold_ms = cfg->backoff_max_ms;
}

static void set_state(struct edge_pop *p, enum edge_pop_state st, __u64 now)
{
	if ((p->state == EDGE_POP_WITHDRAWN) != (st == EDGE_POP_WITHDRAWN))
		p->transitions++;
	p->state = st;
	p->last_change_ms = now;
	if (st == EDGE_POP_ANNOUNCED) {
		p->announced_since = now;
		p->ever_announced = true;
	}
	p->health_withdrawn = false; /* set again by the caller when it is */
}

/* The hold-down after the flaps-th withdrawal: hold_down * 2^(flaps-1), capped. */
static __u64 backoff(const struct edge_pop_cfg *cfg, unsigned int flaps)
{
	__u64 h = cfg->hold_down_ms;
	unsigned int i;

	for (i = 1; i < flaps && h < cfg->backoff_max_ms; i++)
		h *= 2;
	if (h > cfg->backoff_max_ms && cfg->backoff_max_ms >= cfg->hold_down_ms)
		h = cfg->backoff_max_ms;
	return h;
}

/* The state health alone asks for; returns true when it changed. */
static bool evaluate(struct edge_pop *p, bool guard, __u64 now)
{
	enum edge_pop_state old = p->state;
	bool was_guarded = p->guarded && p->guard_input;
	__u64 need;

	p->guarded = false;
	p->guard_input = guard;
	if (p->state == EDGE_POP_DRAINING)
		return false; /* shutting down: only withdraw_final ends it */
	/* Stable for backoff_max: forget the flaps. */
	if (p->state == EDGE_POP_ANNOUNCED && p->flaps &&
	    now - p->announced_since >= p->cfg.backoff_max_ms) {
		p->flaps = 0;
		p->hold_ms = p->cfg.hold_down_ms;
	}
	if (p->override == EDGE_POP_FORCE_WITHDRAW) {
		if (p->state != EDGE_POP_WITHDRAWN)
			set_state(p, EDGE_POP_WITHDRAWN, now);
		snprintf(p->why, sizeof(p->why), "manual withdraw (override)");
		return old != p->state;
	}
	if (p->override == EDGE_POP_FORCE_ANNOUNCE) {
		if (p->state != EDGE_POP_ANNOUNCED)
			set_state(p, EDGE_POP_ANNOUNCED, now);
		snprintf(p->why, sizeof(p->why), "manual announce (override)%s",
			 p->healthy ? "" : "; dependencies unhealthy");
		return old != p->state;
	}
	if (p->healthy) {
		p->guard_grace_until = 0;
		if (p->state == EDGE_POP_ANNOUNCED) {
			snprintf(p->why, sizeof(p->why), "dependencies healthy");
			return false;
		}
		need = p->ever_announced ? p->hold_ms : 0;
		if (now - p->healthy_since >= need) {
			set_state(p, EDGE_POP_ANNOUNCED, now);
			snprintf(p->why, sizeof(p->why), "dependencies healthy");
			return true;
		}
		snprintf(p->why, sizeof(p->why),
			 "hold-down: healthy for %llu of %llu ms (%u recent flap%s)",
			 (unsigned long long)(now - p->healthy_since), (unsigned long long)need,
			 p->flaps, p->flaps == 1 ? "" : "s");
		return false;
	}
	if (p->state == EDGE_POP_ANNOUNCED && !guard && was_guarded && p->cfg.guard_stay)
		p->guard_grace_until = now + p->cfg.guard_window_ms;
	if (p->state == EDGE_POP_ANNOUNCED && !guard && now < p->guard_grace_until) {
		p->guarded = true;
		snprintf(p->why, sizeof(p->why),
			 "GUARD lifted: announced up to %llu ms more while dependencies recover",
			 (unsigned long long)(p->guard_grace_until - now));
		return false;
	}
	if (p->state == EDGE_POP_ANNOUNCED && guard && p->cfg.guard_stay) {
		p->guarded = true;
		snprintf(p->why, sizeof(p->why),
			 "GUARD: every health check failed at once; staying announced "
			 "(guard policy stay)");
		return false;
	}
	if (p->state == EDGE_POP_WITHDRAWN && guard && p->cfg.guard_stay && p->health_withdrawn &&
	    now - p->last_change_ms <= p->cfg.guard_window_ms) {
		/* Withdrawn by the first checks of the same outage to fail: undo. */
		set_state(p, EDGE_POP_ANNOUNCED, now);
		p->guarded = true;
		p->health_withdrawn = false;
		snprintf(p->why, sizeof(p->why),
			 "GUARD: every health check failed at once; announced again (guard "
			 "policy stay)");
		return true;
	}
	if (p->state == EDGE_POP_ANNOUNCED) {
		set_state(p, EDGE_POP_WITHDRAWN, now);
		p->health_withdrawn = true;
		p->flaps++;
		p->hold_ms = backoff(&p->cfg, p->flaps);
		snprintf(p->why, sizeof(p->why),
			 "dependencies unhealthy; re-announce after %llu ms healthy",
			 (unsigned long long)p->hold_ms);
		return true;
	}
	if (p->ever_announced)
		snprintf(p->why, sizeof(p->why),
			 "dependencies unhealthy; re-announce after %llu ms healthy",
			 (unsigned long long)p->hold_ms);
	else
		snprintf(p->why, sizeof(p->why), "dependencies not healthy yet");
	return false;
}

bool edge_pop_update(struct edge_pop *p, bool healthy, bool guard, __u64 now)
{
	if (healthy && !p->healthy)
		p->healthy_since = now;
	p->healthy = healthy;
	return evaluate(p, guard, now);
}

bool edge_pop_set_override(struct edge_pop *p, enum edge_pop_override ovr, __u64 now)
{
	p->override = ovr;
	return evaluate(p, p->guard_input, now);
}

void edge_pop_adopt_announced(struct edge_pop *p, __u64 now)
{
	p->state = EDGE_POP_ANNOUNCED;
	p->ever_announced = true;
	p->announced_since = now;
	p->last_change_ms = now;
	snprintf(p->why, sizeof(p->why), "adopted announced from the predecessor (planned restart)");
}

bool edge_pop_drain(struct edge_pop *p, __u64 now)
{
	if (p->state != EDGE_POP_ANNOUNCED)
		return false;
	set_state(p, EDGE_POP_DRAINING, now);
	snprintf(p->why, sizeof(p->why), "draining: shutting down");
	return true;
}

bool edge_pop_withdraw_final(struct edge_pop *p, const char *why, __u64 now)
{
	if (p->state == EDGE_POP_WITHDRAWN)
		return false;
	set_state(p, EDGE_POP_WITHDRAWN, now);
	snprintf(p->why, sizeof(p->why), "%s", why);
	return true;
}

__u64 edge_pop_next_event_ms(const struct edge_pop *p)
{
	if (p->state == EDGE_POP_ANNOUNCED && p->guard_grace_until)
		return p->guard_grace_until;
	if (p->state != EDGE_POP_WITHDRAWN || !p->healthy || p->override != EDGE_POP_AUTO)
		return 0;
	return p->healthy_since + (p->ever_announced ? p->hold_ms : 0);
}
