// SPDX-License-Identifier: GPL-2.0
/*
 * The PoP state machine (user/pop.c) with a fake clock: first announce,
 * withdraw on failure, hold-down, exponential backoff and its reset,
 * overrides, the guard, drain.
 */
#include "pop.h"
#include "unit.h"

static const struct edge_pop_cfg cfg = {
	.hold_down_ms = 1000,
	.backoff_max_ms = 8000,
	.guard_stay = true,
};

TEST(pop_first_announce_needs_no_hold_down)
{
	struct edge_pop p;

	edge_pop_init(&p, &cfg, 0);
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
	ASSERT_FALSE(edge_pop_update(&p, false, false, 100));
	ASSERT_TRUE(edge_pop_update(&p, true, false, 200));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	ASSERT_EQ(p.transitions, 1);
	ASSERT_STRSTR(p.why, "healthy");
}

TEST(pop_withdraws_at_once_and_reannounces_after_hold_down)
{
	struct edge_pop p;

	edge_pop_init(&p, &cfg, 0);
	edge_pop_update(&p, true, false, 0);
	ASSERT_TRUE(edge_pop_update(&p, false, false, 5000));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
	ASSERT_EQ(p.flaps, 1);
	ASSERT_EQ(p.hold_ms, 1000);
	/* Healthy again at 6000: not before 7000. */
	ASSERT_FALSE(edge_pop_update(&p, true, false, 6000));
	ASSERT_STRSTR(p.why, "hold-down");
	ASSERT_EQ(edge_pop_next_event_ms(&p), 7000);
	ASSERT_FALSE(edge_pop_update(&p, true, false, 6999));
	ASSERT_TRUE(edge_pop_update(&p, true, false, 7000));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	ASSERT_EQ(p.transitions, 3);
}

TEST(pop_hold_down_restarts_when_health_bounces)
{
	struct edge_pop p;

	edge_pop_init(&p, &cfg, 0);
	edge_pop_update(&p, true, false, 0);
	edge_pop_update(&p, false, false, 100);
	edge_pop_update(&p, true, false, 200);
	edge_pop_update(&p, false, false, 900); /* not yet 1000 healthy */
	edge_pop_update(&p, true, false, 1000);
	ASSERT_FALSE(edge_pop_update(&p, true, false, 1999));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
	ASSERT_TRUE(edge_pop_update(&p, true, false, 2000));
	/* Bounces while withdrawn are not flaps: only withdrawals count. */
	ASSERT_EQ(p.flaps, 1);
}

TEST(pop_backoff_doubles_per_flap_up_to_max)
{
	struct edge_pop p;
	__u64 t = 0, expect[] = {1000, 2000, 4000, 8000, 8000};
	size_t i;

	edge_pop_init(&p, &cfg, 0);
	edge_pop_update(&p, true, false, t);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		t += 10;
		ASSERT_TRUE(edge_pop_update(&p, false, false, t));
		ASSERT_EQ(p.hold_ms, expect[i]);
		t += 10;
		edge_pop_update(&p, true, false, t);
		ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
		t += expect[i];
		ASSERT_TRUE(edge_pop_update(&p, true, false, t));
	}
	ASSERT_EQ(p.flaps, 5);
}

TEST(pop_backoff_resets_after_stable_period)
{
	struct edge_pop p;

	edge_pop_init(&p, &cfg, 0);
	edge_pop_update(&p, true, false, 0);
	edge_pop_update(&p, false, false, 10);
	edge_pop_update(&p, true, false, 20);
	edge_pop_update(&p, true, false, 1020);
	edge_pop_update(&p, false, false, 1030);
	ASSERT_EQ(p.hold_ms, 2000);
	edge_pop_update(&p, true, false, 1040);
	ASSERT_TRUE(edge_pop_update(&p, true, false, 3040));
	/* Announced for backoff_max without a flap: the count starts over. */
	edge_pop_update(&p, true, false, 3040 + 8000);
	ASSERT_EQ(p.flaps, 0);
	edge_pop_update(&p, false, false, 11100);
	ASSERT_EQ(p.hold_ms, 1000);
}

TEST(pop_override_beats_health_and_is_not_a_flap)
{
	struct edge_pop p;

	edge_pop_init(&p, &cfg, 0);
	edge_pop_update(&p, true, false, 0);
	ASSERT_TRUE(edge_pop_set_override(&p, EDGE_POP_FORCE_WITHDRAW, 10));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
	ASSERT_STRSTR(p.why, "manual withdraw");
	ASSERT_FALSE(edge_pop_update(&p, true, false, 5000));
	ASSERT_EQ(p.flaps, 0);
	/* Back to auto: healthy for long enough already. */
	ASSERT_TRUE(edge_pop_set_override(&p, EDGE_POP_AUTO, 5010));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	/* Forced announce holds through a failure. */
	ASSERT_FALSE(edge_pop_set_override(&p, EDGE_POP_FORCE_ANNOUNCE, 5020));
	ASSERT_FALSE(edge_pop_update(&p, false, false, 5030));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	ASSERT_STRSTR(p.why, "unhealthy");
	ASSERT_TRUE(edge_pop_set_override(&p, EDGE_POP_AUTO, 5040));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
}

TEST(pop_guard_stay_keeps_announced_withdraw_policy_does_not)
{
	struct edge_pop p;
	struct edge_pop_cfg wd = cfg;

	edge_pop_init(&p, &cfg, 0);
	edge_pop_update(&p, true, false, 0);
	ASSERT_FALSE(edge_pop_update(&p, false, true, 100));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	ASSERT_TRUE(p.guarded);
	ASSERT_STRSTR(p.why, "GUARD");
	/* The guard lifts (one check came back), the rest still fail: withdraw. */
	ASSERT_TRUE(edge_pop_update(&p, false, false, 200));
	ASSERT_FALSE(p.guarded);

	wd.guard_stay = false;
	edge_pop_init(&p, &wd, 0);
	edge_pop_update(&p, true, false, 0);
	ASSERT_TRUE(edge_pop_update(&p, false, true, 100));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
}

TEST(pop_guard_never_announces_a_withdrawn_prefix)
{
	struct edge_pop p;

	edge_pop_init(&p, &cfg, 0);
	ASSERT_FALSE(edge_pop_update(&p, false, true, 100));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
}

TEST(pop_drain_then_final_withdraw_ignores_health)
{
	struct edge_pop p;

	edge_pop_init(&p, &cfg, 0);
	ASSERT_FALSE(edge_pop_drain(&p, 0)); /* not announced */
	edge_pop_update(&p, true, false, 0);
	ASSERT_TRUE(edge_pop_drain(&p, 10));
	ASSERT_EQ(p.state, EDGE_POP_DRAINING);
	ASSERT_FALSE(edge_pop_update(&p, false, false, 20));
	ASSERT_FALSE(edge_pop_update(&p, true, false, 30));
	ASSERT_EQ(p.state, EDGE_POP_DRAINING);
	ASSERT_TRUE(edge_pop_withdraw_final(&p, "shut down", 40));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
	ASSERT_EQ(p.flaps, 0);
	ASSERT_EQ(p.transitions, 2);
}

TEST(pop_reload_keeps_state_and_flaps)
{
	struct edge_pop p;
	struct edge_pop_cfg longer = cfg;

	edge_pop_init(&p, &cfg, 0);
	edge_pop_update(&p, true, false, 0);
	edge_pop_update(&p, false, false, 10);
	longer.hold_down_ms = 3000;
	longer.backoff_max_ms = 30000;
	edge_pop_set_cfg(&p, &longer);
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
	ASSERT_EQ(p.flaps, 1);
	ASSERT_EQ(p.hold_ms, 3000);
	edge_pop_update(&p, true, false, 20);
	ASSERT_FALSE(edge_pop_update(&p, true, false, 3019));
	ASSERT_TRUE(edge_pop_update(&p, true, false, 3020));
}

TEST(pop_guard_undoes_withdrawals_of_the_same_outage)
{
	struct edge_pop_cfg gc = cfg;
	struct edge_pop p;

	gc.guard_window_ms = 3000;
	edge_pop_init(&p, &gc, 0);
	edge_pop_update(&p, true, false, 0);
	/* The first checks fail: withdrawn like any failure... */
	ASSERT_TRUE(edge_pop_update(&p, false, false, 10000));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
	/* ...then the last one fails: every check at once, announce again. */
	ASSERT_TRUE(edge_pop_update(&p, false, true, 12000));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	ASSERT_TRUE(p.guarded);
	ASSERT_STRSTR(p.why, "GUARD");
	ASSERT_FALSE(edge_pop_update(&p, false, true, 13000));

	/* A withdrawal older than the window is not this outage's: it stays. */
	edge_pop_init(&p, &gc, 0);
	edge_pop_update(&p, true, false, 0);
	edge_pop_update(&p, false, false, 10000);
	ASSERT_FALSE(edge_pop_update(&p, false, true, 13001));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);

	/* A manual withdraw is never undone by the guard. */
	edge_pop_init(&p, &gc, 0);
	edge_pop_update(&p, true, false, 0);
	edge_pop_set_override(&p, EDGE_POP_FORCE_WITHDRAW, 100);
	edge_pop_set_override(&p, EDGE_POP_AUTO, 200);
	edge_pop_update(&p, false, false, 300);
	ASSERT_FALSE(edge_pop_update(&p, false, true, 400));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
}

TEST(pop_guarded_prefix_gets_a_grace_period_when_the_guard_lifts)
{
	struct edge_pop_cfg gc = cfg;
	struct edge_pop p;

	gc.guard_window_ms = 3000;
	edge_pop_init(&p, &gc, 0);
	edge_pop_update(&p, true, false, 0);
	edge_pop_update(&p, false, true, 10000); /* guarded */
	ASSERT_TRUE(p.guarded);
	/* Another prefix's check came back: the guard lifts, ours still fails. */
	ASSERT_FALSE(edge_pop_update(&p, false, false, 11000));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	ASSERT_STRSTR(p.why, "GUARD lifted");
	ASSERT_EQ(edge_pop_next_event_ms(&p), 14000);
	/* Ours recovers within the grace: never withdrawn. */
	ASSERT_FALSE(edge_pop_update(&p, true, false, 12000));
	ASSERT_EQ(p.state, EDGE_POP_ANNOUNCED);
	ASSERT_EQ(p.transitions, 1);

	/* Ours does not recover: withdrawn when the grace ends. */
	edge_pop_init(&p, &gc, 0);
	edge_pop_update(&p, true, false, 0);
	edge_pop_update(&p, false, true, 10000);
	edge_pop_update(&p, false, false, 11000);
	ASSERT_FALSE(edge_pop_update(&p, false, false, 13999));
	ASSERT_TRUE(edge_pop_update(&p, false, false, 14000));
	ASSERT_EQ(p.state, EDGE_POP_WITHDRAWN);
}
