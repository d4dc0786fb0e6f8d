// SPDX-License-Identifier: GPL-2.0
/*
 * Config for health, PoP and route signalling (user/config.c): health
 * checks on DNS pools, the route: section and the anycast: prefixes, their
 * defaults, and the "FILE:LINE: FIELD:" of each mistake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "unit.h"

#define ERR_LEN 512

/* Lines 1-4; `dns:` and its pools from line 5, pool entries from line 7. */
#define HEAD                       \
	"interfaces:\n"            \
	"  - name: eth0\n"         \
	"vips:\n"                  \
	"  - address: 192.0.2.53\n" \
	"dns:\n"                   \
	"  pools:\n"

static int parse(const char *yaml, struct edge_config *cfg, char *err)
{
	return edge_config_parse(yaml, strlen(yaml), "t.yaml", cfg, err, ERR_LEN);
}

#define PARSE_OK(yaml, cfg)                               \
	do {                                              \
		char e_[ERR_LEN];                         \
		if (parse((yaml), (cfg), e_))             \
			FAIL("unexpected error: %s", e_); \
	} while (0)

#define PARSE_ERR(yaml, where, cause)                                                   \
	do {                                                                            \
		struct edge_config c_;                                                  \
		char e_[ERR_LEN];                                                       \
		int r_ = parse((yaml), &c_, e_);                                        \
		ASSERT_EQ(r_, -EINVAL);                                                 \
		if (strncmp(e_, (where), strlen(where)))                                \
			FAIL("message \"%s\" does not start with \"%s\"", e_, (where)); \
		ASSERT_STRSTR(e_, (cause));                                             \
	} while (0)

static unsigned int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

TEST(config_pool_check_per_address_with_defaults)
{
	struct edge_config cfg;

	PARSE_OK(HEAD "    - name: fra\n"
		      "      a: [198.51.100.1, 198.51.100.2]\n"
		      "      aaaa: ['2001:db8:f::1']\n"
		      "      check: {type: http, http: {path: /health, expect: ok}}\n",
		 &cfg);
	ASSERT_EQ(cfg.n_pools, 1);
	ASSERT_EQ(cfg.pools[0].n_checks, 3);
	ASSERT_EQ(cfg.pools[0].min_up, 1);
	ASSERT_EQ(cfg.pools[0].checks[0].check.type, EDGE_CHECK_HTTP);
	ASSERT_EQ(port_of(&cfg.pools[0].checks[0].check.addr), 80);
	ASSERT_EQ(cfg.pools[0].checks[2].check.addr.ss_family, AF_INET6);
	/* Defaults filled by edge_check_cfg_validate. */
	ASSERT_EQ(cfg.pools[0].checks[0].check.interval_ms, EDGE_CHECK_INTERVAL_DEFAULT);
	ASSERT_EQ(cfg.pools[0].checks[0].check.rise, EDGE_CHECK_RISE_DEFAULT);
	ASSERT_EQ(cfg.pools[0].checks[0].check.fall, EDGE_CHECK_FALL_DEFAULT);
	ASSERT_EQ(cfg.pools[0].checks[0].check.http.status, 200);
	ASSERT_STREQ(cfg.pools[0].checks[0].check.http.expect, "ok");
	ASSERT_STREQ(cfg.pools[0].checks[1].check.name, "fra http 198.51.100.2:80");
	ASSERT_EQ(cfg.pools[0].checks[0].line, 10);
	edge_config_free(&cfg);
}

TEST(config_pool_checks_explicit_targets_and_min_up)
{
	struct edge_config cfg;

	PARSE_OK(HEAD "    - name: fra\n"
		      "      a: [198.51.100.1]\n"
		      "      min_up: 2\n"
		      "      checks:\n"
		      "        - {type: tcp, target: '127.0.0.1:8080', interval_ms: 250, rise: 1,"
		      " fall: 2}\n"
		      "        - {type: dns, target: '::1', dns: {name: example.com, qtype: AAAA,"
		      " rcode: NXDOMAIN}}\n",
		 &cfg);
	ASSERT_EQ(cfg.pools[0].n_checks, 2);
	ASSERT_EQ(cfg.pools[0].min_up, 2);
	ASSERT_EQ(cfg.pools[0].checks[0].check.interval_ms, 250);
	ASSERT_EQ(cfg.pools[0].checks[0].check.fast_interval_ms, 100);
	ASSERT_EQ(cfg.pools[0].checks[0].check.fall, 2);
	ASSERT_EQ(port_of(&cfg.pools[0].checks[0].check.addr), 8080);
	ASSERT_EQ(port_of(&cfg.pools[0].checks[1].check.addr), 53);
	ASSERT_EQ(cfg.pools[0].checks[1].check.dns.qtype, 28);
	ASSERT_EQ(cfg.pools[0].checks[1].check.dns.rcode, 3);
	ASSERT_EQ(cfg.pools[0].checks[1].line, 12);
	edge_config_free(&cfg);
}

TEST(config_pool_check_errors_name_file_line_field)
{
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      check: {type: tcp}\n",
		  "t.yaml:9: dns.pools[0].check: ", "port: required for a tcp check");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      check: {type: icmp, port: 1}\n",
		  "t.yaml:9: dns.pools[0].check.type: ", "'icmp' is not one of tcp, http, dns");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      checks:\n"
		       "        - {type: http}\n",
		  "t.yaml:10: dns.pools[0].checks[0].target: ", "required field is missing");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      checks:\n"
		       "        - {type: tcp, target: 127.0.0.1}\n",
		  "t.yaml:10: dns.pools[0].checks[0].target: ", "a tcp check needs a port");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      check: {type: http, interval_ms: 1000, fast_interval_ms: 2000}\n",
		  "t.yaml:9: dns.pools[0].check: ", "fast_interval_ms");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      check: {type: tcp, port: 80, http: {path: /}}\n",
		  "t.yaml:9: dns.pools[0].check.http: ", "only for type http");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      min_up: 1\n",
		  "t.yaml:9: dns.pools[0].min_up: ", "needs check or checks");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      min_up: 2\n"
		       "      check: {type: http}\n",
		  "t.yaml:9: dns.pools[0].min_up: ", "not an integer in 1..1");
	PARSE_ERR(HEAD "    - name: fra\n"
		       "      a: [198.51.100.1]\n"
		       "      check: {type: dns, dns: {rcode: WHATEVER}}\n",
		  "t.yaml:9: dns.pools[0].check.dns.rcode: ", "is not an rcode");
}

#define POOL_FRA                         \
	HEAD "    - name: fra\n"         \
	     "      a: [198.51.100.1]\n" \
	     "    - name: iad\n"         \
	     "      a: [198.51.100.2]\n"

TEST(config_route_defaults_without_section)
{
	struct edge_config cfg;

	PARSE_OK(POOL_FRA "anycast:\n"
			  "  - prefix: 192.0.2.54/32\n"
			  "    pools: [fra, iad]\n",
		 &cfg);
	ASSERT_EQ(cfg.route.backend, EDGE_ROUTE_BIRD);
	ASSERT_STREQ(cfg.route.bird_socket, "/run/bird/bird.ctl");
	ASSERT_TRUE(cfg.route.lease);
	ASSERT_STREQ(cfg.route.lease_ifname, "anyedge0");
	ASSERT_EQ(cfg.route.guard, EDGE_GUARD_STAY);
	ASSERT_EQ(cfg.route.tick_ms, 1000);
	ASSERT_EQ(cfg.n_anycast, 1);
	ASSERT_STREQ(cfg.anycast[0].prefix, "192.0.2.54/32");
	ASSERT_STREQ(cfg.anycast[0].protocol, "anyedge_192_0_2_54_32");
	ASSERT_EQ(cfg.anycast[0].n_pools, 2);
	ASSERT_EQ(cfg.anycast[0].pools[1], 1);
	ASSERT_EQ(cfg.anycast[0].min_healthy, 2);
	ASSERT_EQ(cfg.anycast[0].hold_down_ms, 5000);
	ASSERT_EQ(cfg.anycast[0].backoff_max_ms, 300000);
	ASSERT_TRUE(cfg.anycast[0].lease);
	edge_config_free(&cfg);
}

TEST(config_route_section_and_anycast_fields)
{
	struct edge_config cfg;

	PARSE_OK(POOL_FRA "route:\n"
			  "  backend: hook\n"
			  "  hook: /usr/local/bin/route-hook\n"
			  "  hook_timeout_ms: 2000\n"
			  "  lease: false\n"
			  "  guard: withdraw\n"
			  "  drain: {community: true, timeout_ms: 3000, rate_pps: 5}\n"
			  "anycast:\n"
			  "  - prefix: 2001:db8:53::/48\n"
			  "    protocol: acast_v6\n"
			  "    pools: [iad]\n"
			  "    hold_down_ms: 100\n"
			  "    backoff_max_ms: 800\n"
			  "    lease: true\n"
			  "  - prefix: 192.0.2.0/24\n",
		 &cfg);
	ASSERT_EQ(cfg.route.backend, EDGE_ROUTE_HOOK);
	ASSERT_STREQ(cfg.route.hook, "/usr/local/bin/route-hook");
	ASSERT_EQ(cfg.route.hook_timeout_ms, 2000);
	ASSERT_FALSE(cfg.route.lease);
	ASSERT_EQ(cfg.route.guard, EDGE_GUARD_WITHDRAW);
	ASSERT_TRUE(cfg.route.drain_community);
	ASSERT_EQ(cfg.route.drain_timeout_ms, 3000);
	ASSERT_EQ(cfg.route.drain_rate_pps, 5);
	ASSERT_EQ(cfg.n_anycast, 2);
	ASSERT_STREQ(cfg.anycast[0].prefix, "2001:db8:53::/48");
	ASSERT_STREQ(cfg.anycast[0].protocol, "acast_v6");
	ASSERT_EQ(cfg.anycast[0].family, AF_INET6);
	ASSERT_EQ(cfg.anycast[0].len, 48);
	ASSERT_EQ(cfg.anycast[0].pools[0], 1);
	ASSERT_EQ(cfg.anycast[0].hold_down_ms, 100);
	ASSERT_EQ(cfg.anycast[0].backoff_max_ms, 800);
	ASSERT_TRUE(cfg.anycast[0].lease);
	/* The route section's lease is the default. */
	ASSERT_FALSE(cfg.anycast[1].lease);
	ASSERT_EQ(cfg.anycast[1].n_pools, 0);
	ASSERT_EQ(cfg.anycast[1].min_healthy, 0);
	edge_config_free(&cfg);
}

TEST(config_route_anycast_errors_name_file_line_field)
{
	PARSE_ERR(POOL_FRA "anycast:\n"
			   "  - prefix: 192.0.2.54\n",
		  "t.yaml:12: anycast[0].prefix: ", "is not a prefix");
	PARSE_ERR(POOL_FRA "anycast:\n"
			   "  - prefix: 192.0.2.54/24\n",
		  "t.yaml:12: anycast[0].prefix: ", "has host bits set");
	PARSE_ERR(POOL_FRA "anycast:\n"
			   "  - prefix: 192.0.2.54/32\n"
			   "    pools: [fra, ams]\n",
		  "t.yaml:13: anycast[0].pools[1]: ", "'ams' is not a pool");
	PARSE_ERR(POOL_FRA "anycast:\n"
			   "  - prefix: 192.0.2.54/32\n"
			   "  - prefix: 192.0.2.54/32\n",
		  "t.yaml:13: anycast[1].prefix: ", "listed twice (first at line 12)");
	PARSE_ERR(POOL_FRA "anycast:\n"
			   "  - prefix: 192.0.2.54/32\n"
			   "    protocol: 'a-b'\n",
		  "t.yaml:13: anycast[0].protocol: ", "is not a BIRD protocol name");
	PARSE_ERR(POOL_FRA "anycast:\n"
			   "  - prefix: 192.0.2.54/32\n"
			   "    pools: [fra]\n"
			   "    min_healthy: 2\n",
		  "t.yaml:14: anycast[0].min_healthy: ", "not an integer in 1..1");
	PARSE_ERR(POOL_FRA "anycast:\n"
			   "  - prefix: 192.0.2.54/32\n"
			   "    hold_down_ms: 1000\n"
			   "    backoff_max_ms: 500\n",
		  "t.yaml:14: anycast[0].backoff_max_ms: ", "not an integer in 1000..");
	PARSE_ERR(POOL_FRA "route:\n"
			   "  backend: quagga\n",
		  "t.yaml:12: route.backend: ", "'quagga' is not one of bird, exabgp, hook, none");
	PARSE_ERR(POOL_FRA "route:\n"
			   "  backend: hook\n",
		  "t.yaml:12: route.hook: ", "required with backend hook");
	PARSE_ERR(POOL_FRA "route:\n"
			   "  guard: panic\n",
		  "t.yaml:12: route.guard: ", "not one of stay, withdraw");
}

#define SVC_HEAD                    \
	"interfaces:\n"             \
	"  - name: eth0\n"          \
	"lb: {seed: generate}\n"    \
	"services:\n"               \
	"  - name: web\n"           \
	"    vip: 192.0.2.80\n"     \
	"    proto: tcp\n"          \
	"    port: 80\n"            \
	"    backends:\n"           \
	"      - {address: 203.0.113.10}\n" \
	"      - {address: '2001:db8:b::11'}\n"

TEST(config_service_check_per_backend_and_anycast_dependency)
{
	struct edge_config cfg;

	PARSE_OK(SVC_HEAD "    check: {type: http, http: {path: /health}}\n"
			  "    min_up: 2\n"
			  "anycast:\n"
			  "  - {prefix: 192.0.2.80/32, services: [web]}\n",
		 &cfg);
	ASSERT_STREQ(cfg.services[0].name, "web");
	ASSERT_EQ(cfg.services[0].n_checks, 2);
	ASSERT_EQ(cfg.services[0].min_up, 2);
	/* The service's port when the check gives none. */
	ASSERT_EQ(port_of(&cfg.services[0].checks[0].check.addr), 80);
	ASSERT_EQ(cfg.services[0].checks[0].check.addr.ss_family, AF_INET);
	ASSERT_EQ(cfg.services[0].checks[1].check.addr.ss_family, AF_INET6);
	ASSERT_EQ(cfg.services[0].checks[1].backend, 1);
	ASSERT_STREQ(cfg.services[0].checks[0].check.name, "web http 203.0.113.10:80");
	ASSERT_EQ(cfg.anycast[0].n_services, 1);
	ASSERT_EQ(cfg.anycast[0].services[0], 0);
	ASSERT_EQ(cfg.anycast[0].min_healthy, 1);
	edge_config_free(&cfg);
}

TEST(config_service_check_errors_name_file_line_field)
{
	PARSE_ERR(SVC_HEAD "    check: {type: tcp, target: '203.0.113.10:80'}\n",
		  "t.yaml:12: services[0].check: ", "target: not in a service's check");
	PARSE_ERR(SVC_HEAD "    min_up: 1\n", "t.yaml:12: services[0].min_up: ", "needs check");
	PARSE_ERR(SVC_HEAD "    check: {type: tcp}\n"
			   "    min_up: 3\n",
		  "t.yaml:13: services[0].min_up: ", "not an integer in 1..2");
	PARSE_ERR(SVC_HEAD "anycast:\n"
			   "  - {prefix: 192.0.2.80/32, services: [mail]}\n",
		  "t.yaml:13: anycast[0].services[0]: ", "'mail' is not the name of a service");
}

/* The drain's question: which VIPs are inside a prefix. */
static bool contains(const char *prefix, const char *vip)
{
	struct edge_cfg_anycast ac = {};
	struct edge_vip_key k = {};
	char a[64];
	const char *slash = strchr(prefix, '/');

	snprintf(a, sizeof(a), "%.*s", (int)(slash - prefix), prefix);
	ac.len = atoi(slash + 1);
	ac.family = strchr(a, ':') ? AF_INET6 : AF_INET;
	inet_pton(ac.family, a, ac.addr);
	if (inet_pton(AF_INET, vip, &k.addr[3]) == 1)
		k.addr[2] = htonl(0xffff);
	else
		inet_pton(AF_INET6, vip, k.addr);
	return edge_cfg_prefix_contains(&ac, &k);
}

TEST(config_prefix_contains_vips_by_family_and_length)
{
	ASSERT_TRUE(contains("192.0.2.80/32", "192.0.2.80"));
	ASSERT_FALSE(contains("192.0.2.80/32", "192.0.2.81"));
	ASSERT_TRUE(contains("192.0.2.0/24", "192.0.2.255"));
	ASSERT_FALSE(contains("192.0.2.0/24", "198.51.100.1"));
	ASSERT_TRUE(contains("192.0.2.64/27", "192.0.2.95"));
	ASSERT_FALSE(contains("192.0.2.64/27", "192.0.2.96"));
	ASSERT_FALSE(contains("192.0.2.64/27", "192.0.2.63"));
	ASSERT_TRUE(contains("0.0.0.0/0", "203.0.113.7"));
	ASSERT_FALSE(contains("0.0.0.0/0", "2001:db8::1"));
	ASSERT_TRUE(contains("2001:db8::/32", "2001:db8:ffff::53"));
	ASSERT_FALSE(contains("2001:db8::/32", "2001:db9::53"));
	ASSERT_TRUE(contains("2001:db8::53/128", "2001:db8::53"));
	ASSERT_FALSE(contains("2001:db8::53/127", "2001:db8::55"));
	/* An IPv4 VIP is never inside an IPv6 prefix, not even ::/0. */
	ASSERT_FALSE(contains("::/0", "192.0.2.80"));
}

/* scripts/examples/anycast.yaml, the annotated reference for checks, route: and anycast:. */
TEST(config_route_example_file_loads)
{
	/* This file's path as compiled ends in tests/unit/: the repo root precedes it. */
	const char *src = __FILE__, *tail = strstr(src, "tests/unit/test_config_route.c");
	char path[PATH_MAX], err[ERR_LEN];
	const struct edge_check_cfg *c;
	struct edge_config cfg;

	if (!tail)
		SKIP("cannot find the source tree from %s", src);
	snprintf(path, sizeof(path), "%.*sscripts/examples/anycast.yaml", (int)(tail - src),
		 src);
	if (edge_config_load(path, &cfg, err, sizeof(err)))
		FAIL("%s", err);
	ASSERT_EQ(cfg.n_pools, 2);
	/* check: one per address of the pool. */
	ASSERT_EQ(cfg.pools[0].n_checks, 2);
	c = &cfg.pools[0].checks[1].check;
	ASSERT_EQ(c->type, EDGE_CHECK_HTTP);
	ASSERT_EQ(port_of(&c->addr), 80);
	ASSERT_EQ(c->fast_interval_ms, 500);
	ASSERT_EQ(c->timeout_ms, 1000);
	ASSERT_STREQ(c->http.host, "www.example.com");
	ASSERT_STREQ(c->name, "eu http 198.51.100.11:80");
	/* checks: explicit targets, a source address, a name. */
	ASSERT_EQ(cfg.pools[1].n_checks, 2);
	ASSERT_EQ(cfg.pools[1].min_up, 2);
	c = &cfg.pools[1].checks[0].check;
	ASSERT_EQ(c->type, EDGE_CHECK_DNS);
	ASSERT_EQ(c->addr.ss_family, AF_INET6);
	ASSERT_EQ(port_of(&c->addr), 53);
	ASSERT_EQ(c->src.ss_family, AF_INET6);
	ASSERT_STREQ(c->name, "ns-dns");
	ASSERT_EQ(c->dns.qtype, 6);
	/* A service check per backend, at the service's port. */
	ASSERT_EQ(cfg.n_services, 1);
	ASSERT_EQ(cfg.services[0].n_checks, 2);
	ASSERT_EQ(port_of(&cfg.services[0].checks[1].check.addr), 80);
	ASSERT_EQ(cfg.route.backend, EDGE_ROUTE_BIRD);
	ASSERT_TRUE(cfg.route.lease);
	ASSERT_STREQ(cfg.route.lease_ifname, "anyedge0");
	ASSERT_EQ(cfg.route.guard, EDGE_GUARD_STAY);
	ASSERT_TRUE(cfg.route.drain_community);
	ASSERT_EQ(cfg.route.drain_timeout_ms, 10000);
	ASSERT_EQ(cfg.n_anycast, 2);
	ASSERT_EQ(cfg.anycast[0].n_pools, 2);
	ASSERT_EQ(cfg.anycast[0].n_services, 1);
	ASSERT_EQ(cfg.anycast[0].min_healthy, 2);
	ASSERT_TRUE(cfg.anycast[0].lease);
	ASSERT_STREQ(cfg.anycast[0].protocol, "anyedge_192_0_2_0_24");
	ASSERT_FALSE(cfg.anycast[1].lease);
	ASSERT_STREQ(cfg.anycast[1].protocol, "anyedge_v6");
	edge_config_free(&cfg);
}
