// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor (user/monitor.c): pool health from checks (min_up), the
 * reload diff that keeps checks by identity with their state, and the
 * all-failed-at-once guard. The engine is real but never run: states are
 * set by hand.
 */
#include <string.h>

#include "config.h"
#include "health.h"
#include "monitor.h"
#include "unit.h"

#define HEAD                        \
	"interfaces:\n"             \
	"  - name: eth0\n"          \
	"vips:\n"                   \
	"  - address: 192.0.2.53\n" \
	"dns:\n"                    \
	"  pools:\n"

struct seen {
	int calls;
	char last[EDGE_CFG_NAME_LEN];
	bool up;
};

static void on_pool(void *arg, const struct edge_mon_pool *pool)
{
	struct seen *s = arg;

	s->calls++;
	strcpy(s->last, pool->name);
	s->up = pool->up;
}

static int load(const char *yaml, struct edge_config *cfg)
{
	char err[512];

	return edge_config_parse(yaml, strlen(yaml), "t.yaml", cfg, err, sizeof(err));
}

static struct edge_mon_check *find(struct edge_mon *mon, const char *name)
{
	size_t i;

	for (i = 0; i < mon->n_checks; i++)
		if (!strcmp(mon->checks[i]->c->cfg.name, name))
			return mon->checks[i];
	return NULL;
}

static const char v1[] = HEAD "    - name: fra\n"
			      "      a: [127.0.0.1]\n"
			      "      min_up: 2\n"
			      "      checks:\n"
			      "        - {name: a, type: tcp, target: '127.0.0.1:1'}\n"
			      "        - {name: b, type: tcp, target: '127.0.0.1:2'}\n"
			      "        - {name: c, type: tcp, target: '127.0.0.1:3'}\n"
			      "    - name: iad\n"
			      "      a: [127.0.0.2]\n"
			      "      up: false\n";

/* b's interval changed, c removed, d added, pools swapped. */
static const char v2[] = HEAD "    - name: iad\n"
			      "      a: [127.0.0.2]\n"
			      "    - name: fra\n"
			      "      a: [127.0.0.1]\n"
			      "      checks:\n"
			      "        - {name: a, type: tcp, target: '127.0.0.1:1'}\n"
			      "        - {name: b, type: tcp, target: '127.0.0.1:2', interval_ms: 500}\n"
			      "        - {name: d, type: tcp, target: '127.0.0.1:4'}\n";

TEST(monitor_pool_up_needs_min_up_checks)
{
	struct edge_config cfg;
	struct edge_health *h = edge_health_new();
	struct edge_mon mon;
	struct seen s = {0};

	ASSERT_TRUE(h != NULL);
	ASSERT_OK(load(v1, &cfg));
	edge_mon_init(&mon, h, on_pool, &s);
	ASSERT_OK(edge_mon_apply(&mon, &cfg, 1000));
	ASSERT_EQ(mon.n_checks, 3);
	ASSERT_EQ(mon.n_pools, 2);
	/* Checked pools start down, as the map was written (initial_up false). */
	ASSERT_FALSE(mon.pools[0].up);
	ASSERT_EQ(s.calls, 0);
	find(&mon, "a")->c->st.up = true;
	edge_mon_recount(&mon, 1100);
	ASSERT_FALSE(mon.pools[0].up);
	find(&mon, "c")->c->st.up = true;
	edge_mon_recount(&mon, 1200);
	ASSERT_TRUE(mon.pools[0].up);
	ASSERT_EQ(s.calls, 1);
	ASSERT_STREQ(s.last, "fra");
	ASSERT_EQ(mon.pools[0].n_up, 2);
	/* An unchecked pool keeps the config's up. */
	ASSERT_FALSE(mon.pools[1].up);
	ASSERT_EQ(mon.pools[1].min_up, 0);
	edge_mon_free(&mon);
	edge_health_free(h);
	edge_config_free(&cfg);
}

TEST(monitor_reload_keeps_checks_by_identity)
{
	struct edge_config c1, c2;
	struct edge_health *h = edge_health_new();
	struct edge_mon mon;
	struct edge_mon_check *a;
	struct seen s = {0};

	ASSERT_OK(load(v1, &c1));
	ASSERT_OK(load(v2, &c2));
	edge_mon_init(&mon, h, on_pool, &s);
	ASSERT_OK(edge_mon_apply(&mon, &c1, 1000));
	a = find(&mon, "a");
	a->c->st.up = true;
	a->c->st.transitions = 7;
	find(&mon, "b")->c->st.up = true;
	edge_mon_recount(&mon, 1100);
	ASSERT_TRUE(mon.pools[0].up);

	/* What the daemon writes into the map before applying. */
	ASSERT_TRUE(edge_mon_initial_up(&mon, &c2.pools[1]));
	ASSERT_TRUE(edge_mon_initial_up(&mon, &c2.pools[0])); /* unchecked: config */

	s.calls = 0;
	ASSERT_OK(edge_mon_apply(&mon, &c2, 2000));
	ASSERT_EQ(mon.n_checks, 3);
	ASSERT_TRUE(find(&mon, "a") == a);
	ASSERT_TRUE(a->c->st.up);
	ASSERT_EQ(a->c->st.transitions, 7);
	ASSERT_EQ(a->pool, 1);
	ASSERT_FALSE(find(&mon, "b")->c->st.up); /* changed: starts anew */
	ASSERT_TRUE(find(&mon, "c") == NULL);
	ASSERT_FALSE(find(&mon, "d")->c->st.up);
	ASSERT_EQ(edge_health_count(h), 3);
	/* fra: min_up back to 1, a is up: still up, same as written. */
	ASSERT_STREQ(mon.pools[1].name, "fra");
	ASSERT_EQ(mon.pools[1].index, 1);
	ASSERT_TRUE(mon.pools[1].up);
	/* iad became up by config (up: true default now). */
	ASSERT_TRUE(mon.pools[0].up);
	ASSERT_EQ(s.calls, 0);
	edge_mon_free(&mon);
	ASSERT_EQ(edge_health_count(h), 0);
	edge_health_free(h);
	edge_config_free(&c1);
	edge_config_free(&c2);
}

TEST(monitor_guard_all_failed_within_window)
{
	struct edge_config cfg;
	struct edge_health *h = edge_health_new();
	struct edge_mon mon;
	size_t i;

	ASSERT_OK(load(v1, &cfg));
	edge_mon_init(&mon, h, NULL, NULL);
	ASSERT_OK(edge_mon_apply(&mon, &cfg, 0));
	/* Never up: no guard (startup). */
	ASSERT_FALSE(edge_mon_all_failed_at_once(&mon, 10000));
	for (i = 0; i < mon.n_checks; i++) {
		mon.checks[i]->c->st.transitions = 2;
		mon.checks[i]->c->st.last_change_ms = 50000 + i * 1000;
	}
	ASSERT_TRUE(edge_mon_all_failed_at_once(&mon, 2000));
	ASSERT_FALSE(edge_mon_all_failed_at_once(&mon, 1999));
	mon.checks[1]->c->st.up = true;
	ASSERT_FALSE(edge_mon_all_failed_at_once(&mon, 10000));
	edge_mon_free(&mon);
	edge_health_free(h);
	edge_config_free(&cfg);
}

struct backend_seen {
	int calls;
	bool last_up;
};

static void on_backend(void *arg, const struct edge_mon_check *mc)
{
	struct backend_seen *b = arg;

	b->calls++;
	b->last_up = mc->c->st.up;
}

static const char svc_yaml[] = "interfaces:\n"
			       "  - name: eth0\n"
			       "lb: {seed: generate}\n"
			       "services:\n"
			       "  - name: web\n"
			       "    vip: 192.0.2.80\n"
			       "    proto: tcp\n"
			       "    port: 80\n"
			       "    backends: [{address: 203.0.113.10}, {address: 203.0.113.11}]\n"
			       "    check: {type: tcp}\n"
			       "  - name: bare\n"
			       "    vip: 192.0.2.81\n"
			       "    proto: udp\n"
			       "    port: 53\n"
			       "    backends: [{address: 203.0.113.12}]\n";

TEST(monitor_service_checks_drive_backends_and_group_health)
{
	struct edge_config cfg;
	struct edge_health *h = edge_health_new();
	struct backend_seen b = {0};
	struct edge_mon mon;
	const struct edge_mon_pool *g;
	size_t i;

	ASSERT_OK(load(svc_yaml, &cfg));
	edge_mon_init(&mon, h, NULL, NULL);
	mon.on_backend = on_backend;
	mon.arg = &b;
	ASSERT_OK(edge_mon_apply(&mon, &cfg, 0));
	ASSERT_EQ(mon.n_checks, 2);
	/* Every backend is told its (DOWN) state once after apply. */
	ASSERT_EQ(b.calls, 2);
	ASSERT_FALSE(b.last_up);
	g = edge_mon_group(&mon, true, 0);
	ASSERT_TRUE(g != NULL);
	ASSERT_TRUE(g->service);
	ASSERT_FALSE(g->up);
	/* A service without checks is healthy. */
	ASSERT_TRUE(edge_mon_group(&mon, true, 1)->up);
	ASSERT_TRUE(edge_mon_group(&mon, false, 0) == NULL);
	for (i = 0; i < mon.n_checks; i++) {
		ASSERT_TRUE(mon.checks[i]->has_backend);
		mon.checks[i]->c->st.up = true;
	}
	edge_mon_recount(&mon, 10);
	ASSERT_TRUE(edge_mon_group(&mon, true, 0)->up);
	ASSERT_EQ(edge_mon_group(&mon, true, 0)->n_up, 2);
	edge_mon_free(&mon);
	edge_health_free(h);
	edge_config_free(&cfg);
}
