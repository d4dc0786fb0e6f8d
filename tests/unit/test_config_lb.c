// SPDX-License-Identifier: GPL-2.0
/*
 * The load-balancing part of the config (lb: and services:): what a valid
 * file fills in, and for each mistake the exact "FILE:LINE: FIELD:".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "edge_lb.h"
#include "unit.h"

#define ERR_LEN 512
#define SEED	"00112233445566778899aabbccddeeff"

/* Interfaces and the seed: services start at line 5. */
#define BASE                           \
	"interfaces: [{name: eth0}]\n" \
	"lb:\n"                        \
	"  seed: " SEED "\n"           \
	"services:\n"

static int lb_parse(const char *yaml, struct edge_config *cfg, char *err)
{
	return edge_config_parse(yaml, strlen(yaml), "t.yaml", cfg, err, ERR_LEN);
}

#define LB_ERR(yaml, where, cause)                                                      \
	do {                                                                            \
		struct edge_config c_;                                                  \
		char e_[ERR_LEN];                                                       \
		ASSERT_EQ(lb_parse((yaml), &c_, e_), -EINVAL);                          \
		if (strncmp(e_, (where), strlen(where)))                                \
			FAIL("message \"%s\" does not start with \"%s\"", e_, (where)); \
		ASSERT_STRSTR(e_, (cause));                                             \
	} while (0)

TEST(config_lb_services_filled_in)
{
	static const char yaml[] = "interfaces: [{name: eth0}]\n"		     /* 1 */
				   "vips:\n"					     /* 2 */
				   "  - {address: 192.0.2.53, dns: true}\n"	     /* 3 */
				   "lb:\n"					     /* 4 */
				   "  seed: " SEED "\n"				     /* 5 */
				   "  udp_timeout: 5\n"				     /* 6 */
				   "  new_flow_rate: 1000\n"			     /* 7 */
				   "  fragments: drop\n"			     /* 8 */
				   "  source4: 198.51.100.0/24\n"		     /* 9 */
				   "services:\n"				     /* 10 */
				   "  - vip: 192.0.2.53\n"			     /* 11 */
				   "    proto: tcp\n"				     /* 12 */
				   "    port: 443\n"				     /* 13 */
				   "    table_size: 1009\n"			     /* 14 */
				   "    backends:\n"				     /* 15 */
				   "      - address: 198.51.100.1\n"		     /* 16 */
				   "        weight: 3\n"			     /* 17 */
				   "      - {address: '2001:db8::2', drain: true}\n" /* 18 */
				   "  - vip: 2001:db8::80\n"			     /* 19 */
				   "    proto: UDP\n"				     /* 20 */
				   "    backends: [{address: '2001:db8::3', weight: 0}]\n";
	struct edge_config cfg;
	char err[ERR_LEN];
	struct in_addr a;

	if (lb_parse(yaml, &cfg, err))
		FAIL("unexpected error: %s", err);
	ASSERT_EQ(cfg.n_services, 2);
	ASSERT_TRUE(cfg.lb.seed_set);
	ASSERT_EQ(cfg.lb.seed[0], 0x00);
	ASSERT_EQ(cfg.lb.seed[15], 0xff);
	ASSERT_EQ(cfg.lb.udp_timeout, 5);
	ASSERT_EQ(cfg.lb.new_flow_rate, 1000);
	ASSERT_EQ(cfg.lb.fragments, EDGE_CFG_LB_DROP);
	ASSERT_EQ(cfg.lb.ip_options, EDGE_CFG_LB_PASS);
	ASSERT_EQ(cfg.lb.source4_len, 24);
	inet_pton(AF_INET, "198.51.100.0", &a);
	ASSERT_TRUE(!memcmp(cfg.lb.source4, &a, 4));
	ASSERT_EQ(cfg.lb.source6_len, 64); /* the default */
	ASSERT_EQ(cfg.services[0].proto, IPPROTO_TCP);
	ASSERT_EQ(cfg.services[0].port, 443);
	ASSERT_EQ(cfg.services[0].table_size, 1009);
	ASSERT_EQ(cfg.services[0].n_backends, 2);
	ASSERT_EQ(cfg.services[0].backends[0].weight, 3);
	ASSERT_EQ(cfg.services[0].backends[0].family, AF_INET);
	ASSERT_EQ(cfg.services[0].backends[1].family, AF_INET6);
	ASSERT_TRUE(cfg.services[0].backends[1].drain);
	ASSERT_EQ(cfg.services[0].backends[1].line, 18);
	ASSERT_EQ(cfg.services[1].proto, IPPROTO_UDP);
	ASSERT_EQ(cfg.services[1].port, 0);
	ASSERT_EQ(cfg.services[1].table_size, 65537);
	ASSERT_EQ(cfg.services[1].backends[0].weight, 0);
	/* The DNS VIP gains the LB flag; the v6 service VIP is added. */
	ASSERT_EQ(cfg.n_vips, 2);
	ASSERT_EQ(cfg.vips[0].flags, EDGE_VIP_F_DNS | EDGE_VIP_F_LB);
	ASSERT_EQ(cfg.vips[1].flags, EDGE_VIP_F_LB);
	ASSERT_EQ(cfg.vips[1].family, AF_INET6);
	edge_config_free(&cfg);
}

TEST(config_lb_seed_generate_accepted)
{
	static const char yaml[] = "interfaces: [{name: eth0}]\n"
				   "lb: {seed: generate}\n"
				   "services:\n"
				   "  - {vip: 192.0.2.80, proto: tcp, port: 80,\n"
				   "     backends: [{address: 198.51.100.1}]}\n";
	struct edge_config cfg;
	char err[ERR_LEN];

	if (lb_parse(yaml, &cfg, err))
		FAIL("unexpected error: %s", err);
	ASSERT_TRUE(cfg.lb.seed_generate);
	ASSERT_TRUE(!cfg.lb.seed_set);
	edge_config_free(&cfg);
}

TEST(config_lb_seed_required)
{
	LB_ERR("interfaces: [{name: eth0}]\n"
	       "services:\n"
	       "  - {vip: 192.0.2.80, proto: tcp, backends: [{address: 198.51.100.1}]}\n",
	       "t.yaml:3: services: ", "lb.seed is missing");
}

TEST(config_lb_seed_checked_and_never_quoted)
{
	struct edge_config c;
	char e[ERR_LEN];

	LB_ERR("interfaces: [{name: eth0}]\n"
	       "vips: [{address: 192.0.2.1}]\n"
	       "lb:\n"
	       "  seed: 00112233445566778899aabbccddeeXX\n",
	       "t.yaml:4: lb.seed: ", "must be 32 hex digits");
	ASSERT_EQ(lb_parse("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n"
			   "  seed: 0011223344556677\n",
			   &c, e),
		  -EINVAL);
	ASSERT_STRSTR(e, "lb.seed");
	ASSERT_TRUE(!strstr(e, "0011223344556677"));
}

TEST(config_lb_table_size_checked)
{
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: tcp\n"
		    "    table_size: 1000\n"
		    "    backends: [{address: 198.51.100.1}]\n",
	       "t.yaml:7: services[0].table_size: ", "1000 is not a prime");
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: tcp\n"
		    "    table_size: 101\n"
		    "    backends: [{address: 198.51.100.1}, {address: 198.51.100.2}]\n",
	       "t.yaml:7: services[0].table_size: ",
	       "101 is below 100 x 2 backends: the load would be uneven by more than ~1%; use a "
	       "prime of at least 200");
}

TEST(config_lb_backend_checked)
{
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: tcp\n"
		    "    backends:\n"
		    "      - address: 198.51.100.1\n"
		    "      - address: 198.51.100.1x\n",
	       "t.yaml:9: services[0].backends[1].address: ",
	       "'198.51.100.1x' is not an IPv4 or IPv6 address");
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: tcp\n"
		    "    backends:\n"
		    "      - address: 198.51.100.1\n"
		    "      - address: 198.51.100.1\n",
	       "t.yaml:9: services[0].backends[1].address: ", "listed twice (first at line 8)");
	LB_ERR(BASE "  - vip: 2001:db8::80\n"
		    "    proto: tcp\n"
		    "    backends:\n"
		    "      - address: 198.51.100.1\n",
	       "t.yaml:8: services[0].backends[0].address: ", "IPv4 backend of an IPv6 VIP");
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: tcp\n"
		    "    backends:\n"
		    "      - {address: 198.51.100.1, weight: 65536}\n",
	       "t.yaml:8: services[0].backends[0].weight: ",
	       "'65536' is not an integer in 0..65535");
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: tcp\n"
		    "    backends: []\n",
	       "t.yaml:7: services[0].backends: ", "has 0 entries");
}

TEST(config_lb_service_fields_checked)
{
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: sctp\n"
		    "    backends: [{address: 198.51.100.1}]\n",
	       "t.yaml:6: services[0].proto: ", "'sctp' is not one of tcp, udp");
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    proto: tcp\n"
		    "    port: 65536\n"
		    "    backends: [{address: 198.51.100.1}]\n",
	       "t.yaml:7: services[0].port: ", "not an integer in 0..65535");
	LB_ERR(BASE "  - vip: 192.0.2.80\n"
		    "    backends: [{address: 198.51.100.1}]\n",
	       "t.yaml:5: services[0].proto: ", "required field is missing");
	LB_ERR(BASE
	       "  - {vip: 192.0.2.80, proto: tcp, port: 80, backends: [{address: 198.51.100.1}]}\n"
	       "  - {vip: 192.0.2.80, proto: tcp, port: 80, backends: [{address: 198.51.100.2}]}\n",
	       "t.yaml:6: services[1]: ", "the same VIP, proto and port as services[0] (line 5)");
	LB_ERR("interfaces: [{name: eth0}]\n"
	       "vips: [{address: 192.0.2.53, dns: true}]\n"
	       "lb: {seed: " SEED "}\n"
	       "services:\n"
	       "  - {vip: 192.0.2.53, proto: udp, backends: [{address: 198.51.100.1}]}\n",
	       "t.yaml:5: services[0]: ", "UDP port 53 of 192.0.2.53 is answered by DNS");
	LB_ERR(BASE
	       "  - {vip: 192.0.2.80, proto: tcp, bogus: 1, backends: [{address: 198.51.100.1}]}\n",
	       "t.yaml:5: services[0].bogus: ", "unknown key");
}

TEST(config_lb_policies_and_sources_checked)
{
	LB_ERR("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n  fragments: keep\n",
	       "t.yaml:4: lb.fragments: ", "'keep' is not one of pass, drop");
	LB_ERR("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n"
	       "  source4: 198.51.100.0/30\n",
	       "t.yaml:4: lb.source4: ", "the prefix length must be 8..24");
	LB_ERR("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n"
	       "  source6: 198.51.100.0/24\n",
	       "t.yaml:4: lb.source6: ", "is not an IPv6 prefix");
	LB_ERR("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n"
	       "  udp_timeout: 0\n",
	       "t.yaml:4: lb.udp_timeout: ", "'0' is not an integer in 1..86400");
	LB_ERR("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n"
	       "  conntrack_size: 1002\n",
	       "t.yaml:4: lb.conntrack_size: ", "1002 is not a multiple of 4");
	LB_ERR("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n"
	       "  conntrack6_size: 2\n",
	       "t.yaml:4: lb.conntrack6_size: ", "'2' is not an integer in 4..16777216");
}

TEST(config_lb_conntrack_sizes)
{
	struct edge_config cfg;
	char err[ERR_LEN];

	if (lb_parse("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\n", &cfg, err))
		FAIL("unexpected error: %s", err);
	ASSERT_EQ(cfg.lb.ct4_size, 0); /* unset: the loader's share of the total */
	ASSERT_EQ(cfg.lb.ct6_size, 0);
	edge_config_free(&cfg);
	if (lb_parse("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\nlb:\n"
		     "  conntrack_size: 1000\n  conntrack6_size: 4\n",
		     &cfg, err))
		FAIL("unexpected error: %s", err);
	ASSERT_EQ(cfg.lb.ct4_size, 1000);
	ASSERT_EQ(cfg.lb.ct6_size, 4);
	edge_config_free(&cfg);
}

/* Unset sizes: a total shared out over the CPUs, whole sets, a floor per CPU. */
TEST(lb_ct_auto_shares_the_total_with_a_floor)
{
	ASSERT_EQ(edge_lb_ct_auto(EDGE_LB_CT4_TOTAL, EDGE_LB_CT4_MIN, 1), EDGE_LB_CT4_TOTAL);
	ASSERT_EQ(edge_lb_ct_auto(EDGE_LB_CT4_TOTAL, EDGE_LB_CT4_MIN, 2), EDGE_LB_CT4_TOTAL / 2);
	ASSERT_EQ(edge_lb_ct_auto(EDGE_LB_CT4_TOTAL, EDGE_LB_CT4_MIN, 3), 174760);
	ASSERT_EQ(edge_lb_ct_auto(EDGE_LB_CT4_TOTAL, EDGE_LB_CT4_MIN, 128), EDGE_LB_CT4_MIN);
	ASSERT_EQ(edge_lb_ct_auto(EDGE_LB_CT6_TOTAL, EDGE_LB_CT6_MIN, 8), EDGE_LB_CT6_TOTAL / 8);
	ASSERT_EQ(edge_lb_ct_auto(EDGE_LB_CT6_TOTAL, EDGE_LB_CT6_MIN, 64), EDGE_LB_CT6_MIN);
	ASSERT_EQ(edge_lb_ct_auto(1000, 4, 0), 1000);
	ASSERT_EQ(edge_lb_ct_auto(EDGE_LB_CT4_TOTAL, EDGE_LB_CT4_MIN, 7) % EDGE_LB_CT_WAYS, 0);
}

TEST(config_lb_example_file_loads)
{
	const char *src = __FILE__, *tail = strstr(src, "tests/unit/test_config_lb.c");
	char path[4096], err[ERR_LEN];
	struct edge_config cfg;

	if (!tail)
		SKIP("cannot find the source tree from %s", src);
	snprintf(path, sizeof(path), "%.*sscripts/examples/lb.yaml", (int)(tail - src), src);
	if (edge_config_load(path, &cfg, err, sizeof(err)))
		FAIL("%s", err);
	ASSERT_EQ(cfg.n_services, 2);
	ASSERT_TRUE(cfg.lb.seed_generate);
	ASSERT_EQ(cfg.services[0].n_backends, 4);
	ASSERT_EQ(cfg.services[0].backends[0].weight, 2);
	ASSERT_TRUE(cfg.services[0].backends[2].drain);
	ASSERT_EQ(cfg.services[1].port, 4433);
	ASSERT_EQ(cfg.n_vips, 2);
	edge_config_free(&cfg);
}
