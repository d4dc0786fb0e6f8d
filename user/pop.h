/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PoP state of one anycast prefix (DESIGN.md §3): pure logic, fed the
 * health of the prefix's dependencies and the caller's clock; no sockets,
 * no clock of its own, so that it is unit-tested with a fake clock.
 *
 *   WITHDRAWN --healthy (and hold-down served)--> ANNOUNCED
 *   ANNOUNCED --unhealthy--> WITHDRAWN (a flap: the next hold-down doubles)
 *   ANNOUNCED --drain (shutdown)--> DRAINING --drain done--> WITHDRAWN
 *
 * - The first announcement needs no hold-down: the checks' rise already
 *   asked for stability. After a withdrawal for health, the prefix must
 *   stay healthy for hold_down before it is announced again; each further
 *   withdrawal doubles that, up to backoff_max (upstreams damp flapping
 *   prefixes for up to an hour). After backoff_max announced without a
 *   flap the count starts over.
 * - Manual override (force announce / force withdraw) beats health; it is
 *   not a flap. Set it again after a reload (the daemon keeps the table).
 * - The guard: when the caller says every check failed at once and the
 *   policy is stay, an announced prefix stays announced, and one withdrawn
 *   for health within guard_window (by the first checks of the same
 *   outage to fail) is announced again. When the guard lifts (checks
 *   come back one by one), a guarded prefix stays announced for another
 *   guard_window while its own dependencies recover.
 */
#ifndef EDGE_POP_H
#define EDGE_POP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum edge_pop_state {
	EDGE_POP_WITHDRAWN = 0,
	EDGE_POP_ANNOUNCED,
	EDGE_POP_DRAINING, /* announced with GRACEFUL_SHUTDOWN, about to withdraw */
};

enum edge_pop_override {
	EDGE_POP_AUTO = 0,
	EDGE_POP_FORCE_ANNOUNCE,
	EDGE_POP_FORCE_WITHDRAW,
};

struct edge_pop_cfg {
	__u64 hold_down_ms;   /* healthy this long before a re-announce */
	__u64 backoff_max_ms; /* the hold-down doubles per flap up to this */
	bool guard_stay;      /* guard policy stay (else withdraw) */
	__u64 guard_window_ms; /* "at once": withdrawals this recent are undone */
};

struct edge_pop {
	struct edge_pop_cfg cfg;
	enum edge_pop_state state;
	enum edge_pop_override override;
	bool healthy;	      /* the last health fed */
	bool guarded;	      /* the guard is holding it announced */
	bool guard_input;     /* the guard as last fed */
	__u64 guard_grace_until; /* guard lifted: announced until then while deps recover */
	bool ever_announced;  /* hold-down applies after a withdrawal only */
	bool health_withdrawn; /* the current withdrawal is for health */
	unsigned int flaps;   /* withdrawals for health since the last stable period */
	__u64 hold_ms;	      /* the hold-down now in force */
	__u64 healthy_since;  /* valid while healthy */
	__u64 announced_since; /* valid while announced */
	__u64 last_change_ms;
	__u64 transitions;    /* announced <-> withdrawn */
	char why[160];	      /* the reason for the current state, for status */
};

void edge_pop_init(struct edge_pop *p, const struct edge_pop_cfg *cfg, __u64 now_ms);
/* Change the timings (reload); the state and the flap count stay. */
void edge_pop_set_cfg(struct edge_pop *p, const struct edge_pop_cfg *cfg);

/*
 * Feed the dependencies' health and the guard (every check failed at
 * once). Returns true when the state changed.
 */
bool edge_pop_update(struct edge_pop *p, bool healthy, bool guard, __u64 now_ms);
/* Set the override and re-evaluate; true when the state changed. */
bool edge_pop_set_override(struct edge_pop *p, enum edge_pop_override ovr, __u64 now_ms);
/* Start ANNOUNCED: a predecessor announced it (planned restart). */
void edge_pop_adopt_announced(struct edge_pop *p, __u64 now_ms);
/* ANNOUNCED -> DRAINING (shutdown); true when it was announced. */
bool edge_pop_drain(struct edge_pop *p, __u64 now_ms);
/* DRAINING or ANNOUNCED -> WITHDRAWN at the end of a drain (not a flap). */
bool edge_pop_withdraw_final(struct edge_pop *p, const char *why, __u64 now_ms);

/* When the state may change with no new input (hold-down expiry); 0: never. */
__u64 edge_pop_next_event_ms(const struct edge_pop *p);

const char *edge_pop_state_str(enum edge_pop_state state);
const char *edge_pop_override_str(enum edge_pop_override ovr);

#endif /* EDGE_POP_H */
