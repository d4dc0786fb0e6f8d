// SPDX-License-Identifier: GPL-2.0
/*
 * The YAML config parser (user/config.c): what a valid file fills in, the
 * defaults, and for each mistake the exact "FILE:LINE: FIELD:" it reports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

#define ERR_LEN 512

/* The smallest valid config: four lines, so additions start at line 5. */
#define MINIMAL            \
	"interfaces:\n"    \
	"  - name: eth0\n" \
	"vips:\n"          \
	"  - address: 192.0.2.53\n"

/*
 * MINIMAL with one zone, example.com, whose records list is open: the
 * records given after ZONE start at line 11 ("        - {...}").
 */
#define ZONE                                                                           \
	MINIMAL "dns:\n"                                                               \
		"  zones:\n"                                                           \
		"    - name: example.com\n"                                            \
		"      soa: {mname: ns1.example.com, rname: hostmaster.example.com}\n" \
		"      ns: [ns1.example.com]\n"                                        \
		"      records:\n"

/* Pools to append after ZONE's records (they go on under dns:). */
#define POOLS                                                             \
	"  pools:\n"                                                      \
	"    - {name: fra, a: [198.51.100.1], aaaa: ['2001:db8:f::1']}\n" \
	"    - {name: iad, a: [198.51.100.2]}\n"                          \
	"    - {name: sin, a: [198.51.100.3], aaaa: ['2001:db8:f::3']}\n"

#define GEO "geo:\n  regions: [eu, as, na]\n"

static int parse(const char *yaml, struct edge_config *cfg, char *err)
{
	return edge_config_parse(yaml, strlen(yaml), "t.yaml", cfg, err, ERR_LEN);
}

static bool config_is_empty(const struct edge_config *cfg)
{
	static const struct edge_config zero;

	return !memcmp(cfg, &zero, sizeof(zero));
}

/* Parse must succeed; on failure show the parser's own message. */
#define PARSE_OK(yaml, cfg)                               \
	do {                                              \
		char e_[ERR_LEN];                         \
		if (parse((yaml), (cfg), e_))             \
			FAIL("unexpected error: %s", e_); \
	} while (0)

/*
 * Parse must fail with -EINVAL, a message starting with `where`
 * ("FILE:LINE: FIELD: ") and containing `cause`, and an empty config.
 */
#define PARSE_ERR(yaml, where, cause)                                                   \
	do {                                                                            \
		struct edge_config c_;                                                  \
		char e_[ERR_LEN];                                                       \
		int r_ = parse((yaml), &c_, e_);                                        \
		ASSERT_EQ(r_, -EINVAL);                                                 \
		if (strncmp(e_, (where), strlen(where)))                                \
			FAIL("message \"%s\" does not start with \"%s\"", e_, (where)); \
		ASSERT_STRSTR(e_, (cause));                                             \
		ASSERT_TRUE(config_is_empty(&c_));                                      \
	} while (0)

static void v4(__u8 *out, const char *s)
{
	inet_pton(AF_INET, s, out);
}

static void v6(__u8 *out, const char *s)
{
	inet_pton(AF_INET6, s, out);
}

/* The static record sets of a parsed config, in file order. */
static size_t count_static(const struct edge_config *cfg)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->n_rrsets; i++)
		n += cfg->rrsets[i].policy == EDGE_CFG_POL_STATIC;
	return n;
}

static const struct edge_cfg_rrset *nth_static(const struct edge_config *cfg, size_t k)
{
	size_t i;

	for (i = 0; i < cfg->n_rrsets; i++)
		if (cfg->rrsets[i].policy == EDGE_CFG_POL_STATIC && !k--)
			return &cfg->rrsets[i];
	static const struct edge_cfg_rrset none; /* the asserts on it then fail */

	return &none;
}

static const char full_yaml[] = "# every field set\n"				     /* 1 */
				"pin_path: /sys/fs/bpf/edge-test\n"		     /* 2 */
				"interfaces:\n"					     /* 3 */
				"  - name: eth0\n"				     /* 4 */
				"    mode: native\n"				     /* 5 */
				"  - name: eth1\n"				     /* 6 */
				"    mode: skb\n"				     /* 7 */
				"vips:\n"					     /* 8 */
				"  - address: 192.0.2.53\n"			     /* 9 */
				"    dns: true\n"				     /* 10 */
				"  - address: 2001:db8::53\n"			     /* 11 */
				"    dns: yes\n"				     /* 12 */
				"  - address: 192.0.2.80\n"			     /* 13 */
				"    dns: false\n"				     /* 14 */
				"dns:\n"					     /* 15 */
				"  udp_size: 1400\n"				     /* 16 */
				"  out_of_zone: pass\n"				     /* 17 */
				"  pools:\n"					     /* 18 */
				"    - name: fra\n"				     /* 19 */
				"      a: [198.51.100.1, 198.51.100.2]\n"	     /* 20 */
				"      aaaa: [\"2001:db8:f::1\"]\n"		     /* 21 */
				"    - name: iad\n"				     /* 22 */
				"      a: [198.51.100.3]\n"			     /* 23 */
				"      up: false\n"				     /* 24 */
				"  zones:\n"					     /* 25 */
				"    - name: Example.COM.\n"			     /* 26 */
				"      ttl: 600\n"				     /* 27 */
				"      soa:\n"					     /* 28 */
				"        mname: NS1.example.com\n"		     /* 29 */
				"        rname: hostmaster.example.com.\n"	     /* 30 */
				"        serial: 2026112301\n"			     /* 31 */
				"        refresh: 7200\n"			     /* 32 */
				"        retry: 900\n"				     /* 33 */
				"        expire: 604800\n"			     /* 34 */
				"        minimum: 60\n"				     /* 35 */
				"        ttl: 3600\n"				     /* 36 */
				"      ns: [ns1.example.com, ns2.example.net]\n"     /* 37 */
				"      records:\n"				     /* 38 */
				"        - name: WWW\n"				     /* 39 */
				"          type: A\n"				     /* 40 */
				"          ttl: 60\n"				     /* 41 */
				"          values: [198.51.100.10, 198.51.100.11]\n" /* 42 */
				"        - name: www.example.com.\n"		     /* 43 */
				"          type: aaaa\n"			     /* 44 */
				"          values:\n"				     /* 45 */
				"            - 2001:db8:100::10\n"		     /* 46 */
				"        - name: geo\n"				     /* 47 */
				"          type: A\n"				     /* 48 */
				"          policy: geo\n"			     /* 49 */
				"          geo:\n"				     /* 50 */
				"            as: [iad]\n"			     /* 51 */
				"            eu: [fra, iad]\n"			     /* 52 */
				"          default: [iad, fra]\n"		     /* 53 */
				"        - name: w\n"				     /* 54 */
				"          type: A\n"				     /* 55 */
				"          policy: weighted\n"			     /* 56 */
				"          weights: {fra: 3, iad: 1}\n"		     /* 57 */
				"        - name: f.sub\n"			     /* 58 */
				"          type: A\n"				     /* 59 */
				"          policy: failover\n"			     /* 60 */
				"          pools: [iad, fra]\n"			     /* 61 */
				"        - name: \"@\"\n"			     /* 62 */
				"          type: AAAA\n"			     /* 63 */
				"          policy: failover\n"			     /* 64 */
				"          pools: [fra]\n"			     /* 65 */
				"    - name: example.net\n"			     /* 66 */
				"      soa: {mname: a.example, rname: b.example}\n"  /* 67 */
				"      ns: [ns1.example.net]\n"			     /* 68 */
				"geo:\n"					     /* 69 */
				"  regions: [eu, as, na]\n"			     /* 70 */
				"  countries: {DE: eu, sg: as}\n";		     /* 71 */

TEST(config_full_is_filled_in)
{
	const __u8 www[] = "\3www\7example\3com"; /* plus the NUL: the root */
	const struct edge_cfg_rrset *rr;
	const struct edge_cfg_zone *z;
	struct edge_config cfg;
	__u8 want[16] = {0};

	PARSE_OK(full_yaml, &cfg);
	ASSERT_STREQ(cfg.file, "t.yaml");
	ASSERT_STREQ(cfg.pin_path, "/sys/fs/bpf/edge-test");
	ASSERT_EQ(cfg.dns_udp_size, 1400);
	ASSERT_EQ(cfg.dns_out_of_zone, EDGE_CFG_OOZ_PASS);

	ASSERT_EQ(cfg.n_ifaces, 2);
	ASSERT_STREQ(cfg.ifaces[0].name, "eth0");
	ASSERT_EQ(cfg.ifaces[0].mode, EDGE_ATTACH_NATIVE);
	ASSERT_EQ(cfg.ifaces[0].line, 4);
	ASSERT_STREQ(cfg.ifaces[1].name, "eth1");
	ASSERT_EQ(cfg.ifaces[1].mode, EDGE_ATTACH_SKB);
	ASSERT_EQ(cfg.ifaces[1].line, 6);

	ASSERT_EQ(cfg.n_vips, 3);
	ASSERT_EQ(cfg.vips[0].family, AF_INET);
	ASSERT_EQ(cfg.vips[0].flags, EDGE_VIP_F_DNS);
	ASSERT_EQ(cfg.vips[0].line, 9);
	/* ::ffff:192.0.2.53 */
	want[10] = 0xff;
	want[11] = 0xff;
	v4(want + 12, "192.0.2.53");
	ASSERT_MEMEQ(&cfg.vips[0].key, want, 16);
	ASSERT_EQ(cfg.vips[0].key.addr[2], htonl(0xffff));
	ASSERT_EQ(cfg.vips[1].family, AF_INET6);
	ASSERT_EQ(cfg.vips[1].flags, EDGE_VIP_F_DNS);
	v6(want, "2001:db8::53");
	ASSERT_MEMEQ(&cfg.vips[1].key, want, 16);
	ASSERT_EQ(cfg.vips[2].flags, 0);
	ASSERT_EQ(cfg.vips[2].line, 13);

	ASSERT_EQ(cfg.n_pools, 2);
	ASSERT_STREQ(cfg.pools[0].name, "fra");
	ASSERT_EQ(cfg.pools[0].line, 19);
	ASSERT_EQ(cfg.pools[0].n_a, 2);
	v4(want, "198.51.100.2");
	ASSERT_MEMEQ(cfg.pools[0].a[1], want, 4);
	ASSERT_EQ(cfg.pools[0].n_aaaa, 1);
	v6(want, "2001:db8:f::1");
	ASSERT_MEMEQ(cfg.pools[0].aaaa[0], want, 16);
	ASSERT_TRUE(cfg.pools[0].up);
	ASSERT_EQ(cfg.pools[1].n_a, 1);
	ASSERT_EQ(cfg.pools[1].n_aaaa, 0);
	ASSERT_FALSE(cfg.pools[1].up);

	ASSERT_EQ(cfg.n_zones, 2);
	z = &cfg.zones[0];
	ASSERT_STREQ(z->name, "example.com");
	ASSERT_EQ(z->apex_len, 13);
	ASSERT_MEMEQ(z->apex, "\7example\3com", 13);
	ASSERT_EQ(z->ttl, 600);
	ASSERT_EQ(z->line, 26);
	ASSERT_STREQ(z->soa.mname, "ns1.example.com");
	ASSERT_STREQ(z->soa.rname, "hostmaster.example.com");
	ASSERT_EQ(z->soa.serial, 2026112301);
	ASSERT_EQ(z->soa.refresh, 7200);
	ASSERT_EQ(z->soa.retry, 900);
	ASSERT_EQ(z->soa.expire, 604800);
	ASSERT_EQ(z->soa.minimum, 60);
	ASSERT_EQ(z->soa.ttl, 3600);
	ASSERT_EQ(z->n_ns, 2);
	ASSERT_STREQ(z->ns[1], "ns2.example.net");
	/* Defaults of the second zone's SOA; its TTL is the zone's. */
	z = &cfg.zones[1];
	ASSERT_EQ(z->ttl, 300);
	ASSERT_EQ(z->soa.serial, 1);
	ASSERT_EQ(z->soa.refresh, 3600);
	ASSERT_EQ(z->soa.retry, 600);
	ASSERT_EQ(z->soa.expire, 1209600);
	ASSERT_EQ(z->soa.minimum, 300);
	ASSERT_EQ(z->soa.ttl, 300);

	ASSERT_EQ(cfg.n_rrsets, 6);
	rr = &cfg.rrsets[0];
	ASSERT_STREQ(rr->name, "www.example.com");
	ASSERT_EQ(rr->wire_len, sizeof(www));
	ASSERT_MEMEQ(rr->wire, www, sizeof(www));
	ASSERT_EQ(rr->qtype, 1);
	ASSERT_EQ(rr->ttl, 60);
	ASSERT_EQ(rr->policy, EDGE_CFG_POL_STATIC);
	ASSERT_EQ(rr->zone, 0);
	ASSERT_EQ(rr->index, 0);
	ASSERT_EQ(rr->line, 39);
	ASSERT_EQ(rr->n_values, 2);
	v4(want, "198.51.100.11");
	ASSERT_MEMEQ(rr->values[1], want, 4);

	rr = &cfg.rrsets[1];
	ASSERT_STREQ(rr->name, "www.example.com");
	ASSERT_EQ(rr->qtype, 28);
	ASSERT_EQ(rr->ttl, 600); /* the zone's */
	ASSERT_EQ(rr->n_values, 1);
	v6(want, "2001:db8:100::10");
	ASSERT_MEMEQ(rr->values[0], want, 16);

	rr = &cfg.rrsets[2];
	ASSERT_STREQ(rr->name, "geo.example.com");
	ASSERT_EQ(rr->policy, EDGE_CFG_POL_GEO);
	ASSERT_EQ(rr->n_geo, 2);
	ASSERT_EQ(rr->geo[0].region, 1); /* as, in file order */
	ASSERT_EQ(rr->geo[0].line, 51);
	ASSERT_EQ(rr->geo[0].n, 1);
	ASSERT_EQ(rr->geo[0].cand[0].pool, 1);
	ASSERT_EQ(rr->geo[1].region, 0);
	ASSERT_EQ(rr->geo[1].n, 2);
	ASSERT_EQ(rr->geo[1].cand[0].pool, 0);
	ASSERT_EQ(rr->geo[1].cand[1].pool, 1);
	ASSERT_EQ(rr->n_cand, 2);
	ASSERT_EQ(rr->cand[0].pool, 1);
	ASSERT_EQ(rr->cand[1].pool, 0);

	rr = &cfg.rrsets[3];
	ASSERT_EQ(rr->policy, EDGE_CFG_POL_WEIGHTED);
	ASSERT_EQ(rr->n_cand, 2);
	ASSERT_EQ(rr->cand[0].pool, 0);
	ASSERT_EQ(rr->cand[0].weight, 3);
	ASSERT_EQ(rr->cand[1].pool, 1);
	ASSERT_EQ(rr->cand[1].weight, 1);

	rr = &cfg.rrsets[4];
	ASSERT_STREQ(rr->name, "f.sub.example.com");
	ASSERT_EQ(rr->policy, EDGE_CFG_POL_FAILOVER);
	ASSERT_EQ(rr->n_cand, 2);
	ASSERT_EQ(rr->cand[0].pool, 1);
	ASSERT_EQ(rr->cand[1].pool, 0);

	rr = &cfg.rrsets[5];
	ASSERT_STREQ(rr->name, "example.com");
	ASSERT_EQ(rr->qtype, 28);
	ASSERT_EQ(rr->index, 5);

	/* The static rrsets: wire form and values as the compiler reads them. */
	ASSERT_EQ(count_static(&cfg), 2);
	rr = nth_static(&cfg, 0);
	ASSERT_STREQ(rr->name, "www.example.com");
	ASSERT_EQ(rr->line, 39);
	ASSERT_EQ(rr->qtype, 1);
	ASSERT_EQ(rr->wire_len, sizeof(www));
	ASSERT_MEMEQ(rr->wire, www, sizeof(www));
	ASSERT_EQ(rr->ttl, 60);
	ASSERT_EQ(rr->n_values, 2);
	v4(want, "198.51.100.10");
	ASSERT_MEMEQ(rr->values[0], want, 4);
	v4(want, "198.51.100.11");
	ASSERT_MEMEQ(rr->values[1], want, 4);
	ASSERT_EQ(rr->values[1][4], 0);
	ASSERT_EQ(rr->values[2][0], 0);
	rr = nth_static(&cfg, 1);
	ASSERT_EQ(rr->qtype, 28);
	ASSERT_EQ(rr->line, 43);
	ASSERT_EQ(rr->ttl, 600);
	ASSERT_EQ(rr->n_values, 1);
	v6(want, "2001:db8:100::10");
	ASSERT_MEMEQ(rr->values[0], want, 16);
	ASSERT_MEMEQ(rr->wire, www, sizeof(www));

	ASSERT_EQ(cfg.geo.n_regions, 3);
	ASSERT_STREQ(cfg.geo.regions[2], "na");
	ASSERT_EQ(cfg.geo.n_countries, 2);
	ASSERT_STREQ(cfg.geo.countries[0].code, "DE");
	ASSERT_EQ(cfg.geo.countries[0].region, 0);
	ASSERT_STREQ(cfg.geo.countries[1].code, "SG");
	ASSERT_EQ(cfg.geo.countries[1].region, 1);
	ASSERT_EQ(cfg.geo.countries[1].line, 71);
	ASSERT_STREQ(cfg.geo.csv, "");
	ASSERT_EQ(cfg.geo.n_prefixes, 0);

	edge_config_free(&cfg);
	ASSERT_TRUE(config_is_empty(&cfg));
}

TEST(config_defaults_fill_optional_fields)
{
	struct edge_config cfg;

	PARSE_OK(MINIMAL, &cfg);
	ASSERT_STREQ(cfg.pin_path, EDGE_PIN_DEFAULT);
	ASSERT_EQ(cfg.dns_udp_size, EDGE_DNS_UDP_SIZE);
	ASSERT_EQ(cfg.dns_out_of_zone, EDGE_CFG_OOZ_REFUSE);
	ASSERT_EQ(cfg.n_ifaces, 1);
	ASSERT_EQ(cfg.ifaces[0].mode, EDGE_ATTACH_AUTO);
	ASSERT_EQ(cfg.n_vips, 1);
	ASSERT_EQ(cfg.vips[0].flags, 0);
	ASSERT_EQ(count_static(&cfg), 0);
	ASSERT_TRUE(cfg.rrsets == NULL);
	ASSERT_EQ(cfg.n_zones, 0);
	ASSERT_EQ(cfg.n_pools, 0);
	ASSERT_EQ(cfg.n_rrsets, 0);
	ASSERT_EQ(cfg.geo.n_regions, 0);
	edge_config_free(&cfg);
}

TEST(config_flow_style_and_aliases_work)
{
	struct edge_config cfg;

	PARSE_OK("{interfaces: [{name: eth0, mode: auto}],\n"
		 " vips: [{address: '192.0.2.53', dns: YES}],\n"
		 " dns: {zones: [{name: example, ns: [ns.example], soa: {mname: a, rname: b},\n"
		 "   records: [{name: a, type: A, values: &v [198.51.100.1]},\n"
		 "             {name: b, type: A, values: *v}]}]}}\n",
		 &cfg);
	ASSERT_EQ(cfg.vips[0].flags, EDGE_VIP_F_DNS);
	ASSERT_EQ(count_static(&cfg), 2);
	ASSERT_EQ(nth_static(&cfg, 1)->n_values, 1);
	ASSERT_EQ(nth_static(&cfg, 1)->line, 5);
	ASSERT_STREQ(nth_static(&cfg, 1)->name, "b.example");
	edge_config_free(&cfg);
}

TEST(config_apex_record_and_empty_records_list)
{
	struct edge_config cfg;

	PARSE_OK(ZONE "        []\n", &cfg);
	ASSERT_EQ(cfg.n_zones, 1);
	ASSERT_EQ(cfg.n_rrsets, 0);
	ASSERT_EQ(count_static(&cfg), 0);
	edge_config_free(&cfg);

	PARSE_OK(ZONE "        - {name: '@', type: AAAA, values: ['2001:db8::1']}\n", &cfg);
	ASSERT_STREQ(nth_static(&cfg, 0)->name, "example.com");
	ASSERT_EQ(nth_static(&cfg, 0)->wire_len, 13);
	ASSERT_MEMEQ(nth_static(&cfg, 0)->wire, "\7example\3com", 13);
	edge_config_free(&cfg);
}

TEST(config_integer_bounds_accepted)
{
	struct edge_config cfg;

	PARSE_OK(ZONE "        - {name: x, type: A, ttl: 0, values: [198.51.100.1]}\n"
		      "        - {name: y, type: A, ttl: 2147483647, values: [198.51.100.1]}\n"
		      "  udp_size: 512\n",
		 &cfg);
	ASSERT_EQ(cfg.dns_udp_size, 512);
	ASSERT_EQ(nth_static(&cfg, 0)->ttl, 0);
	ASSERT_EQ(nth_static(&cfg, 1)->ttl, 2147483647);
	edge_config_free(&cfg);

	PARSE_OK(MINIMAL "dns:\n  udp_size: 4096\n", &cfg);
	ASSERT_EQ(cfg.dns_udp_size, 4096);
	edge_config_free(&cfg);

	PARSE_OK(MINIMAL "dns:\n  zones:\n"
			 "    - name: example.com\n"
			 "      ns: [ns1.example.com]\n"
			 "      soa: {mname: a, rname: b, serial: 4294967295, refresh: 0,\n"
			 "            minimum: 2147483647}\n",
		 &cfg);
	ASSERT_EQ(cfg.zones[0].soa.serial, 4294967295u);
	ASSERT_EQ(cfg.zones[0].soa.refresh, 0);
	ASSERT_EQ(cfg.zones[0].soa.minimum, 2147483647);
	edge_config_free(&cfg);
}

TEST(config_same_name_other_type_is_not_a_duplicate)
{
	struct edge_config cfg;

	PARSE_OK(ZONE "        - {name: www, type: A, values: [198.51.100.10]}\n"
		      "        - {name: www, type: AAAA, values: ['2001:db8::10']}\n"
		      "        - {name: www.www, type: A, values: [198.51.100.10]}\n",
		 &cfg);
	ASSERT_EQ(count_static(&cfg), 3);
	edge_config_free(&cfg);
}

TEST(config_example_file_loads)
{
	/* This file's path as compiled ends in tests/unit/: the repo root precedes it. */
	const char *src = __FILE__, *tail = strstr(src, "tests/unit/test_config.c");
	char path[PATH_MAX], err[ERR_LEN];
	struct edge_config cfg;
	int ret;

	if (!tail)
		SKIP("cannot find the source tree from %s", src);
	snprintf(path, sizeof(path), "%.*sscripts/examples/edge.yaml", (int)(tail - src), src);
	ret = edge_config_load(path, &cfg, err, sizeof(err));
	if (ret)
		FAIL("%s", err);
	ASSERT_STREQ(cfg.file, path);
	ASSERT_EQ(cfg.n_ifaces, 1);
	ASSERT_STREQ(cfg.ifaces[0].name, "eth0");
	ASSERT_EQ(cfg.ifaces[0].mode, EDGE_ATTACH_AUTO);
	ASSERT_EQ(cfg.n_vips, 2);
	ASSERT_EQ(cfg.vips[0].flags & EDGE_VIP_F_DNS, EDGE_VIP_F_DNS);
	ASSERT_EQ(cfg.vips[1].family, AF_INET6);
	ASSERT_EQ(cfg.n_zones, 1);
	ASSERT_STREQ(cfg.zones[0].name, "example.com");
	ASSERT_EQ(cfg.n_pools, 3);
	ASSERT_EQ(cfg.geo.n_regions, 3);
	ASSERT_EQ(count_static(&cfg), 3);
	ASSERT_STREQ(nth_static(&cfg, 0)->name, "www.example.com");
	ASSERT_EQ(nth_static(&cfg, 0)->n_values, 2);
	ASSERT_STREQ(nth_static(&cfg, 2)->name, "api.example.com");
	ASSERT_TRUE(cfg.n_rrsets > count_static(&cfg));
	edge_config_free(&cfg);
}

TEST(config_load_names_unreadable_file)
{
	struct edge_config cfg;
	char err[ERR_LEN];

	ASSERT_EQ(edge_config_load("/nonexistent/anyedge.yaml", &cfg, err, sizeof(err)), -ENOENT);
	ASSERT_STREQ(err, "cannot read /nonexistent/anyedge.yaml: No such file or directory");
	ASSERT_TRUE(config_is_empty(&cfg));

	ASSERT_EQ(edge_config_load("/", &cfg, err, sizeof(err)), -EISDIR);
	ASSERT_STREQ(err, "cannot read /: Is a directory");
}

TEST(config_empty_file_rejected)
{
	PARSE_ERR("", "t.yaml:1: config is empty", "");
	PARSE_ERR("# only a comment\n\n", "t.yaml:1: config is empty", "");
	PARSE_ERR("---\n", "t.yaml:1: config is empty", "");
}

TEST(config_yaml_syntax_error_has_line)
{
	PARSE_ERR(MINIMAL "dns:\n  records: [\n", "t.yaml:7: YAML syntax error: ", "flow");
	PARSE_ERR("interfaces:\n  - name: eth0\n bad: indent\n",
		  "t.yaml:3: YAML syntax error: ", "block");
	PARSE_ERR(MINIMAL "vips: *nowhere\n", "t.yaml:5: YAML syntax error: ", "undefined alias");
	/* Invalid UTF-8: libyaml gives an offset, turned into the line. */
	PARSE_ERR(MINIMAL "# \xff\n", "t.yaml:5: YAML syntax error: ", "UTF-8");
}

TEST(config_second_document_rejected)
{
	PARSE_ERR(MINIMAL "---\n" MINIMAL, "t.yaml:6: ", "second YAML document");
}

TEST(config_root_must_be_mapping)
{
	PARSE_ERR("- eth0\n", "t.yaml:1: config: ", "expected a mapping, got a list");
}

TEST(config_unknown_key_rejected_with_line)
{
	PARSE_ERR(MINIMAL "pinpath: /x\n", "t.yaml:5: pinpath: ",
		  "unknown key (expected one of: pin_path, interfaces, vips, dns, geo, lb, services, "
		  "route, anycast");
	PARSE_ERR("interfaces:\n  - name: eth0\n    mdoe: skb\n",
		  "t.yaml:3: interfaces[0].mdoe: ", "unknown key (expected one of: name, mode)");
	PARSE_ERR(MINIMAL "    dsn: true\n", "t.yaml:5: vips[0].dsn: ", "unknown key");
	PARSE_ERR(MINIMAL "dns:\n  zone: []\n", "t.yaml:6: dns.zone: ", "unknown key");
	PARSE_ERR(ZONE "        - name: a\n          typ: A\n",
		  "t.yaml:12: dns.zones[0].records[0].typ: ", "unknown key");
	PARSE_ERR(MINIMAL "geo:\n  regions: [eu]\n  country: {DE: eu}\n", "t.yaml:7: geo.country: ",
		  "unknown key (expected one of: regions, countries, continents, csv, mmdb)");
}

/* The foundation-era list of records is gone: records live in zones now. */
TEST(config_old_dns_records_key_rejected)
{
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - {name: www.example.com, type: A, values: [198.51.100.10]}\n",
		  "t.yaml:6: dns.records: ",
		  "unknown key (expected one of: udp_size, out_of_zone, rrl, pools, zones)");
}

TEST(config_repeated_key_rejected)
{
	PARSE_ERR("interfaces:\n  - name: eth0\n    name: eth1\n",
		  "t.yaml:3: interfaces[0].name: ", "repeated key (first at line 2)");
}

TEST(config_wrong_node_kind_rejected)
{
	PARSE_ERR("interfaces: eth0\n",
		  "t.yaml:1: interfaces: ", "expected a list, got a single value");
	PARSE_ERR("interfaces:\n  - eth0\n",
		  "t.yaml:2: interfaces[0]: ", "expected a mapping, got a single value");
	PARSE_ERR("interfaces:\n  - name: [eth0]\n",
		  "t.yaml:2: interfaces[0].name: ", "expected a single value, got a list");
	PARSE_ERR(MINIMAL "dns: [1]\n", "t.yaml:5: dns: ", "expected a mapping, got a list");
	PARSE_ERR(ZONE "        - {name: a, type: A, values: 198.51.100.1}\n",
		  "t.yaml:11: dns.zones[0].records[0].values: ",
		  "expected a list, got a single value");
	PARSE_ERR(
		ZONE
		"        - {name: g, type: A, policy: geo, geo: [eu], default: [fra]}\n" POOLS GEO,
		"t.yaml:11: dns.zones[0].records[0].geo: ", "expected a mapping, got a list");
	PARSE_ERR(ZONE "        - {name: g, type: A, policy: geo, geo: {[eu]: [fra]},\n"
		       "           default: [fra]}\n" POOLS GEO,
		  "t.yaml:11: dns.zones[0].records[0].geo: ", "expected a key name, got a list");
	PARSE_ERR("? [a, b]\n: c\n", "t.yaml:1: config: ", "expected a key name, got a list");
}

TEST(config_missing_value_rejected)
{
	PARSE_ERR("interfaces:\n  - name: eth0\n    mode:\n",
		  "t.yaml:3: interfaces[0].mode: ", "expected a single value, got nothing");
	PARSE_ERR("interfaces:\nvips:\n", "t.yaml:1: interfaces: ", "expected a list, got nothing");
}

TEST(config_missing_required_field_names_mapping_line)
{
	PARSE_ERR("vips:\n  - address: 192.0.2.53\n",
		  "t.yaml:1: interfaces: ", "required field is missing");
	PARSE_ERR("interfaces:\n  - name: eth0\n", "t.yaml:1: vips: ", "required field is missing");
	PARSE_ERR("interfaces:\n  - name: eth0\n  - mode: skb\n",
		  "t.yaml:3: interfaces[1].name: ", "required field is missing");
	PARSE_ERR(MINIMAL "  - dns: true\n",
		  "t.yaml:5: vips[1].address: ", "required field is missing");
	PARSE_ERR(ZONE "        - name: a\n          type: A\n",
		  "t.yaml:11: dns.zones[0].records[0].values: ", "required field is missing");
	PARSE_ERR(ZONE "        - type: A\n          values: [198.51.100.1]\n",
		  "t.yaml:11: dns.zones[0].records[0].name: ", "required field is missing");
	PARSE_ERR(ZONE "        - {name: a, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].type: ", "required field is missing");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n    - name: example.com\n      ns: [a.example.com]\n",
		  "t.yaml:7: dns.zones[0].soa: ", "required field is missing");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n    - name: example.com\n      soa: {mname: a}\n"
			  "      ns: [a.example.com]\n",
		  "t.yaml:8: dns.zones[0].soa.rname: ", "required field is missing");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n    - name: example.com\n"
			  "      soa: {mname: a, rname: b}\n",
		  "t.yaml:7: dns.zones[0].ns: ", "required field is missing");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n    - ns: [a.example.com]\n",
		  "t.yaml:7: dns.zones[0].name: ", "required field is missing");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n    - a: [198.51.100.1]\n",
		  "t.yaml:7: dns.pools[0].name: ", "required field is missing");
	PARSE_ERR(MINIMAL "geo:\n  countries: {DE: eu}\n",
		  "t.yaml:6: geo.regions: ", "required field is missing");
}

TEST(config_list_sizes_enforced)
{
	char yaml[2048];
	int i, off;

	PARSE_ERR("interfaces: []\nvips: []\n",
		  "t.yaml:1: interfaces: ", "has 0 entries, expected 1..16");
	PARSE_ERR("interfaces: [{name: eth0}]\nvips: []\n",
		  "t.yaml:2: vips: ", "has 0 entries, expected 1..1024");

	off = snprintf(yaml, sizeof(yaml), "vips: [{address: 192.0.2.1}]\ninterfaces:\n");
	for (i = 0; i < 17; i++)
		off += snprintf(yaml + off, sizeof(yaml) - off, "  - name: veth%d\n", i);
	PARSE_ERR(yaml, "t.yaml:3: interfaces: ", "has 17 entries, expected 1..16");

	PARSE_ERR(ZONE "        - name: a\n          type: A\n"
		       "          values: [198.51.100.1, 198.51.100.2, 198.51.100.3,\n"
		       "                   198.51.100.4, 198.51.100.5, 198.51.100.6,\n"
		       "                   198.51.100.7, 198.51.100.8, 198.51.100.9]\n",
		  "t.yaml:13: dns.zones[0].records[0].values: ", "has 9 entries, expected 1..8");
	PARSE_ERR(ZONE "        - {name: a, type: A, values: []}\n",
		  "t.yaml:11: dns.zones[0].records[0].values: ", "has 0 entries, expected 1..8");
	PARSE_ERR(ZONE "        - {name: f, type: A, policy: failover, pools: []}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].pools: ", "has 0 entries, expected 1..4");
	PARSE_ERR(ZONE "        - {name: f, type: A, policy: failover,\n"
		       "           pools: [fra, iad, sin, a, b]}\n" POOLS,
		  "t.yaml:12: dns.zones[0].records[0].pools: ", "has 5 entries, expected 1..4");
	PARSE_ERR(ZONE "        - {name: w, type: A, policy: weighted, weights: {}}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].weights: ", "has 0 entries, expected 1..4");
	PARSE_ERR(ZONE
		  "        - {name: g, type: A, policy: geo, geo: {eu: []}, default: [fra]}\n" POOLS
			  GEO,
		  "t.yaml:11: dns.zones[0].records[0].geo.eu: ", "has 0 entries, expected 1..4");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n    - name: example.com\n"
			  "      soa: {mname: a, rname: b}\n      ns: []\n",
		  "t.yaml:9: dns.zones[0].ns: ", "has 0 entries, expected 1..8");
	PARSE_ERR(MINIMAL "geo:\n  regions: []\n",
		  "t.yaml:6: geo.regions: ", "has 0 entries, expected 1..32");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n    - {name: p, a: [], aaaa: []}\n",
		  "t.yaml:7: dns.pools[0]: ", "pool 'p' has no addresses (a, aaaa)");
}

TEST(config_interface_name_checked)
{
	PARSE_ERR("interfaces:\n  - name: a-very-long-name0\n", "t.yaml:2: interfaces[0].name: ",
		  "'a-very-long-name0' is not an interface name (1..15 characters");
	PARSE_ERR("interfaces:\n  - name: 'eth0:1'\n",
		  "t.yaml:2: interfaces[0].name: ", "is not an interface name");
	PARSE_ERR("interfaces:\n  - name: ''\n",
		  "t.yaml:2: interfaces[0].name: ", "'' is not an interface name");
}

TEST(config_interface_mode_checked)
{
	PARSE_ERR("interfaces:\n  - name: eth0\n    mode: generic\n",
		  "t.yaml:3: interfaces[0].mode: ", "'generic' is not one of auto, native, skb");
}

TEST(config_duplicate_interface_rejected)
{
	PARSE_ERR("interfaces:\n  - name: eth0\n  - name: eth1\n  - name: eth0\n",
		  "t.yaml:4: interfaces[2].name: ", "'eth0' is listed twice (first at line 2)");
}

TEST(config_pin_path_must_be_absolute)
{
	PARSE_ERR(MINIMAL "pin_path: sys/fs/bpf\n",
		  "t.yaml:5: pin_path: ", "'sys/fs/bpf' is not an absolute path");
}

TEST(config_vip_address_checked)
{
	PARSE_ERR(MINIMAL "  - address: 192.0.2.54\n"
			  "  - address: 192.0.2.300\n",
		  "t.yaml:6: vips[2].address: ", "'192.0.2.300' is not an IPv4 or IPv6 address");
	PARSE_ERR(MINIMAL "  - address: 192.0.2.0/24\n",
		  "t.yaml:5: vips[1].address: ", "'192.0.2.0/24' is not an IPv4 or IPv6 address");
}

TEST(config_duplicate_vip_rejected)
{
	PARSE_ERR("interfaces: [{name: eth0}]\n"
		  "vips:\n"
		  "  - address: 2001:db8::53\n"
		  "    dns: true\n"
		  "  - address: 192.0.2.53\n"
		  "    dns: true\n"
		  "  - address: 2001:DB8:0::53\n",
		  "t.yaml:7: vips[2].address: ",
		  "'2001:DB8:0::53' is listed twice (first at line 3)");
	/* The IPv4-mapped spelling is the same key. */
	PARSE_ERR(MINIMAL "  - address: '::ffff:192.0.2.53'\n",
		  "t.yaml:5: vips[1].address: ", "is listed twice (first at line 4)");
}

TEST(config_vip_dns_must_be_boolean)
{
	PARSE_ERR(MINIMAL "    dns: 1\n",
		  "t.yaml:5: vips[0].dns: ", "'1' is not a boolean (true, false, yes, no)");
}

TEST(config_udp_size_range_checked)
{
	PARSE_ERR(MINIMAL "dns:\n  udp_size: 511\n",
		  "t.yaml:6: dns.udp_size: ", "'511' is not an integer in 512..4096");
	PARSE_ERR(MINIMAL "dns:\n  udp_size: 4097\n",
		  "t.yaml:6: dns.udp_size: ", "'4097' is not an integer in 512..4096");
}

TEST(config_ttl_negative_rejected)
{
	PARSE_ERR(ZONE "        - name: www\n"
		       "          type: A\n"
		       "          ttl: -1\n"
		       "          values: [198.51.100.10]\n",
		  "t.yaml:13: dns.zones[0].records[0].ttl: ",
		  "'-1' is not an integer in 0..2147483647");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n    - {name: a, ttl: -5}\n",
		  "t.yaml:7: dns.zones[0].ttl: ", "'-5' is not an integer in 0..2147483647");
}

TEST(config_ttl_junk_and_overflow_rejected)
{
	static const char *const bad[] = {
		"300s", "0x10", "2147483648", "99999999999999999999999", "' 300'", "'+300'",
		"3.5",	"''",	"true",
	};
	char yaml[1024], want[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *shown = bad[i][0] == '\'' ? bad[i] : NULL;

		snprintf(yaml, sizeof(yaml),
			 ZONE "        - {name: a, type: A, values: [198.51.100.1],\n"
			      "           ttl: %s}\n",
			 bad[i]);
		/* Quoted in YAML, the value is shown in the message's quotes. */
		snprintf(want, sizeof(want), "%s%s%s is not an integer in 0..2147483647",
			 shown ? "" : "'", bad[i], shown ? "" : "'");
		PARSE_ERR(yaml, "t.yaml:12: dns.zones[0].records[0].ttl: ", want);
	}
}

TEST(config_duplicate_record_reported_at_second)
{
	PARSE_ERR(ZONE "        - {name: www, type: A, values: [198.51.100.10]}\n"
		       "        - {name: api, type: A, values: [198.51.100.20]}\n"
		       "        - {name: WWW.Example.COM., type: a, values: [198.51.100.11]}\n",
		  "t.yaml:13: dns.zones[0].records[2]: ",
		  "www.example.com A is already defined at line 11");
	/* Any policy: the (owner, type) is what repeats. */
	PARSE_ERR(ZONE "        - {name: '@', type: AAAA, values: ['2001:db8::1']}\n"
		       "        - {name: example.com., type: AAAA, policy: failover, pools: "
		       "[fra]}\n" POOLS,
		  "t.yaml:12: dns.zones[0].records[1]: ",
		  "example.com AAAA is already defined at line 11");
}

TEST(config_first_duplicate_in_file_order_reported)
{
	/* b's repeat comes first in the file although a sorts first. */
	PARSE_ERR(ZONE "        - {name: b, type: A, values: [198.51.100.1]}\n"
		       "        - {name: a, type: A, values: [198.51.100.1]}\n"
		       "        - {name: b, type: A, values: [198.51.100.1]}\n"
		       "        - {name: a, type: A, values: [198.51.100.1]}\n"
		       "        - {name: a, type: A, values: [198.51.100.1]}\n",
		  "t.yaml:13: dns.zones[0].records[2]: ",
		  "b.example.com A is already defined at line 11");
}

TEST(config_many_records_duplicate_found)
{
	const int n = 5000;
	struct edge_config cfg;
	size_t size = 512 + (size_t)n * 80;
	char *yaml = malloc(size), err[ERR_LEN];
	int i, off, ret;

	ASSERT_TRUE(yaml != NULL);
	off = snprintf(yaml, size, ZONE);
	for (i = 0; i < n; i++)
		off += snprintf(yaml + off, size - off,
				"        - {name: h%d, type: A, values: [198.51.100.1]}\n",
				i == n - 1 ? 1234 : i);
	ret = parse(yaml, &cfg, err);
	free(yaml);
	ASSERT_EQ(ret, -EINVAL);
	ASSERT_STREQ(err, "t.yaml:5010: dns.zones[0].records[4999]: "
			  "h1234.example.com A is already defined at line 1245");
}

TEST(config_record_type_checked)
{
	PARSE_ERR(ZONE "        - {name: a, type: MX, values: [mx]}\n",
		  "t.yaml:11: dns.zones[0].records[0].type: ",
		  "'MX' is not a supported type (A, AAAA)");
}

TEST(config_record_value_family_checked)
{
	PARSE_ERR(ZONE "        - name: a\n"
		       "          type: A\n"
		       "          values:\n"
		       "            - 198.51.100.1\n"
		       "            - 2001:db8::1\n",
		  "t.yaml:15: dns.zones[0].records[0].values[1]: ",
		  "'2001:db8::1' is an IPv6 address, but the type is A");
	PARSE_ERR(ZONE "        - {name: a, type: AAAA, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].values[0]: ",
		  "'198.51.100.1' is an IPv4 address, but the type is AAAA");
	PARSE_ERR(ZONE "        - {name: a, type: A, values: [www.example.com]}\n",
		  "t.yaml:11: dns.zones[0].records[0].values[0]: ",
		  "'www.example.com' is not an IPv4 address");
}

TEST(config_record_duplicate_value_rejected)
{
	PARSE_ERR(ZONE "        - {name: a, type: A, values: [198.51.100.1, 198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].values[1]: ",
		  "'198.51.100.1' is listed twice (first as values[0])");
}

TEST(config_record_name_checked)
{
	PARSE_ERR(ZONE "        - {name: a..b, type: A, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].name: ",
		  "'a..b' is not a valid DNS name: empty label");
	PARSE_ERR(ZONE "        - {name: '*', type: A, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].name: ", "wildcards are not supported");
	PARSE_ERR(ZONE "        - {name: 'www example', type: A, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].name: ", "only letters, digits");
	PARSE_ERR(ZONE "        - {name: '', type: A, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].name: ", "the name is empty");
}

TEST(config_record_names_relative_apex_and_absolute)
{
	struct edge_config cfg;

	PARSE_OK(ZONE "        - {name: Deep.Sub, type: A, values: [198.51.100.1]}\n"
		      "        - {name: '@', type: A, values: [198.51.100.2]}\n"
		      "        - {name: X.EXAMPLE.com., type: A, values: [198.51.100.3]}\n"
		      "        - {name: example.com., type: AAAA, values: ['2001:db8::1']}\n"
		      /* Relative, as in a zone file: this is under example.com. */
		      "        - {name: www.example.com, type: A, values: [198.51.100.4]}\n",
		 &cfg);
	ASSERT_EQ(cfg.n_rrsets, 5);
	ASSERT_STREQ(cfg.rrsets[0].name, "deep.sub.example.com");
	ASSERT_EQ(cfg.rrsets[0].wire_len, 22);
	ASSERT_MEMEQ(cfg.rrsets[0].wire, "\4deep\3sub\7example\3com", 22);
	ASSERT_STREQ(cfg.rrsets[1].name, "example.com");
	ASSERT_STREQ(cfg.rrsets[2].name, "x.example.com");
	ASSERT_STREQ(cfg.rrsets[3].name, "example.com");
	ASSERT_STREQ(cfg.rrsets[4].name, "www.example.com.example.com");
	edge_config_free(&cfg);
}

TEST(config_record_outside_its_zone_rejected)
{
	PARSE_ERR(ZONE "        - {name: www.example.net., type: A, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].name: ",
		  "'www.example.net.' is not inside zone example.com");
	/* A suffix that is not a whole label is not inside. */
	PARSE_ERR(ZONE "        - {name: notexample.com., type: A, values: [198.51.100.1]}\n",
		  "t.yaml:11: dns.zones[0].records[0].name: ",
		  "'notexample.com.' is not inside zone example.com");
	PARSE_ERR(
		ZONE "        - {name: ., type: A, values: [198.51.100.1]}\n",
		"t.yaml:11: dns.zones[0].records[0].name: ", "'.' is not inside zone example.com");
}

TEST(config_relative_name_too_long_with_zone_rejected)
{
	char yaml[1024], label[64];

	/* 3 x 64 + 48 + 13 bytes of apex = 253: fine alone, too long with the zone. */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(yaml, sizeof(yaml),
		 ZONE "        - {name: %s.%s.%s.%.*s, type: A, values: [198.51.100.1]}\n", label,
		 label, label, 60, label);
	PARSE_ERR(yaml, "t.yaml:11: dns.zones[0].records[0].name: ",
		  "in zone example.com is not a valid DNS name: longer than 255 bytes");
}

TEST(config_duplicate_zone_rejected)
{
	PARSE_ERR(
		MINIMAL "dns:\n  zones:\n"
			"    - {name: example.com, soa: {mname: a, rname: b}, ns: [a]}\n"
			"    - {name: EXAMPLE.com., soa: {mname: a, rname: b}, ns: [a]}\n",
		"t.yaml:8: dns.zones[1].name: ", "'example.com' is listed twice (first at line 7)");
}

TEST(config_nested_zone_rejected)
{
	struct edge_config cfg;

	PARSE_ERR(MINIMAL "dns:\n  zones:\n"
			  "    - {name: example.com, soa: {mname: a, rname: b}, ns: [a]}\n"
			  "    - {name: example.net, soa: {mname: a, rname: b}, ns: [a]}\n"
			  "    - {name: sub.example.com, soa: {mname: a, rname: b}, ns: [a]}\n",
		  "t.yaml:9: dns.zones[2].name: ",
		  "zone sub.example.com is inside zone example.com (line 7); zones must not nest");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n"
			  "    - {name: sub.example.com, soa: {mname: a, rname: b}, ns: [a]}\n"
			  "    - {name: com, soa: {mname: a, rname: b}, ns: [a]}\n",
		  "t.yaml:8: dns.zones[1].name: ",
		  "zone com contains zone sub.example.com (line 7); zones must not nest");
	/* Not a whole-label suffix: not nested. */
	PARSE_OK(MINIMAL "dns:\n  zones:\n"
			 "    - {name: example.com, soa: {mname: a, rname: b}, ns: [a]}\n"
			 "    - {name: anexample.com, soa: {mname: a, rname: b}, ns: [a]}\n",
		 &cfg);
	ASSERT_EQ(cfg.n_zones, 2);
	edge_config_free(&cfg);
}

TEST(config_root_zone_rejected)
{
	PARSE_ERR(MINIMAL "dns:\n  zones:\n    - {name: ., soa: {mname: a, rname: b}, ns: [a]}\n",
		  "t.yaml:7: dns.zones[0].name: ", "the root zone is not supported");
}

TEST(config_zone_fields_checked)
{
	PARSE_ERR(MINIMAL "dns:\n  zones:\n"
			  "    - {name: example.com, soa: {mname: 'a b', rname: b}, ns: [a]}\n",
		  "t.yaml:7: dns.zones[0].soa.mname: ", "'a b' is not a valid DNS name");
	PARSE_ERR(MINIMAL
		  "dns:\n  zones:\n"
		  "    - {name: example.com, soa: {mname: a, rname: b, serial: 4294967296},\n"
		  "       ns: [a]}\n",
		  "t.yaml:7: dns.zones[0].soa.serial: ", "is not an integer in 0..4294967295");
	PARSE_ERR(MINIMAL
		  "dns:\n  zones:\n"
		  "    - {name: example.com, soa: {mname: a, rname: b, retry: 2147483648},\n"
		  "       ns: [a]}\n",
		  "t.yaml:7: dns.zones[0].soa.retry: ", "is not an integer in 0..2147483647");
	PARSE_ERR(MINIMAL
		  "dns:\n  zones:\n"
		  "    - {name: example.com, soa: {mname: a, rname: b, mininum: 5}, ns: [a]}\n",
		  "t.yaml:7: dns.zones[0].soa.mininum: ", "unknown key");
	PARSE_ERR(MINIMAL "dns:\n  zones:\n"
			  "    - name: example.com\n"
			  "      soa: {mname: a, rname: b}\n"
			  "      ns: [ns1.example.com, NS1.example.com.]\n",
		  "t.yaml:9: dns.zones[0].ns[1]: ",
		  "'ns1.example.com' is listed twice (first as ns[0])");
	PARSE_ERR(MINIMAL
		  "dns:\n  zones:\n"
		  "    - {name: example.com, soa: {mname: a, rname: b}, ns: [a], records: {}}\n",
		  "t.yaml:7: dns.zones[0].records: ", "expected a list, got a mapping");
}

TEST(config_out_of_zone_checked)
{
	struct edge_config cfg;

	PARSE_OK(MINIMAL "dns:\n  out_of_zone: refuse\n", &cfg);
	ASSERT_EQ(cfg.dns_out_of_zone, EDGE_CFG_OOZ_REFUSE);
	edge_config_free(&cfg);
	PARSE_ERR(MINIMAL "dns:\n  out_of_zone: drop\n",
		  "t.yaml:6: dns.out_of_zone: ", "'drop' is not one of refuse, pass");
}

TEST(config_pool_fields_checked)
{
	PARSE_ERR(MINIMAL "dns:\n  pools:\n    - {name: Fra, a: [198.51.100.1]}\n",
		  "t.yaml:7: dns.pools[0].name: ",
		  "'Fra' is not a pool name (1..31 of a-z, 0-9, '_', '-')");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n"
			  "    - {name: abcdefghijklmnopqrstuvwxyz01234x, a: [198.51.100.1]}\n",
		  "t.yaml:7: dns.pools[0].name: ", "is not a pool name");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n"
			  "    - {name: fra, a: [198.51.100.1]}\n"
			  "    - {name: fra, a: [198.51.100.2]}\n",
		  "t.yaml:8: dns.pools[1].name: ", "'fra' is listed twice (first at line 7)");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n    - {name: fra, a: ['2001:db8::1']}\n",
		  "t.yaml:7: dns.pools[0].a[0]: ",
		  "'2001:db8::1' is an IPv6 address, but a lists IPv4 addresses (IPv6 go in aaaa)");
	PARSE_ERR(MINIMAL
		  "dns:\n  pools:\n    - {name: fra, aaaa: ['2001:db8::1', '2001:db8::1']}\n",
		  "t.yaml:7: dns.pools[0].aaaa[1]: ", "is listed twice (first as aaaa[0])");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n    - {name: fra, a: [198.51.100.1], up: maybe}\n",
		  "t.yaml:7: dns.pools[0].up: ", "'maybe' is not a boolean");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n    - {name: fra}\n",
		  "t.yaml:7: dns.pools[0]: ", "pool 'fra' has no addresses (a, aaaa)");
}

TEST(config_policy_checked)
{
	PARSE_ERR(ZONE "        - {name: x, type: A, policy: random, pools: [fra]}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].policy: ",
		  "'random' is not a policy (static, geo, weighted, failover)");
	/* Keys of another policy are mistakes, not ignored. */
	PARSE_ERR(ZONE "        - {name: x, type: A, values: [198.51.100.1],\n"
		       "           pools: [fra]}\n" POOLS,
		  "t.yaml:12: dns.zones[0].records[0].pools: ",
		  "only for policy failover (this record's policy is static)");
	PARSE_ERR(ZONE "        - name: x\n"
		       "          type: A\n"
		       "          policy: failover\n"
		       "          pools: [fra]\n"
		       "          values: [198.51.100.1]\n" POOLS,
		  "t.yaml:15: dns.zones[0].records[0].values: ",
		  "only for policy static (this record's policy is failover)");
	PARSE_ERR(ZONE "        - {name: x, type: A, policy: weighted, weights: {fra: 1},\n"
		       "           default: [fra]}\n" POOLS,
		  "t.yaml:12: dns.zones[0].records[0].default: ",
		  "only for policy geo (this record's policy is weighted)");
	PARSE_ERR(ZONE "        - {name: x, type: A, policy: failover}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].pools: ", "required field is missing");
	PARSE_ERR(ZONE "        - {name: x, type: A, policy: weighted}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].weights: ", "required field is missing");
	PARSE_ERR(ZONE "        - {name: x, type: A, policy: geo, geo: {eu: [fra]}}\n" POOLS GEO,
		  "t.yaml:11: dns.zones[0].records[0].default: ", "required field is missing");
	PARSE_ERR(ZONE "        - {name: x, type: A, policy: geo, default: [fra]}\n" POOLS GEO,
		  "t.yaml:11: dns.zones[0].records[0].geo: ", "required field is missing");
}

TEST(config_unknown_pool_rejected)
{
	PARSE_ERR(ZONE "        - {name: f, type: A, policy: failover, pools: [fra, lhr]}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].pools[1]: ",
		  "'lhr' is not a pool in dns.pools");
	PARSE_ERR(ZONE "        - name: w\n"
		       "          type: A\n"
		       "          policy: weighted\n"
		       "          weights:\n"
		       "            fra: 1\n"
		       "            lhr: 2\n" POOLS,
		  "t.yaml:16: dns.zones[0].records[0].weights.lhr: ",
		  "'lhr' is not a pool in dns.pools");
	PARSE_ERR(
		ZONE
		"        - {name: g, type: A, policy: geo, geo: {eu: [fra]}, default: [x]}\n" POOLS
			GEO,
		"t.yaml:11: dns.zones[0].records[0].default[0]: ", "'x' is not a pool");
}

TEST(config_pool_without_addresses_of_the_type_rejected)
{
	/* iad has no AAAA. */
	PARSE_ERR(ZONE "        - name: g\n"
		       "          type: AAAA\n"
		       "          policy: geo\n"
		       "          geo:\n"
		       "            eu: [fra, iad]\n"
		       "          default: [sin]\n" POOLS GEO,
		  "t.yaml:15: dns.zones[0].records[0].geo.eu[1]: ",
		  "pool 'iad' (line 19) has no IPv6 addresses for g.example.com AAAA");
	PARSE_ERR(ZONE
		  "        - {name: w, type: AAAA, policy: weighted, weights: {iad: 1}}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].weights.iad: ",
		  "pool 'iad' (line 14) has no IPv6 addresses");
	PARSE_ERR(MINIMAL "dns:\n  pools:\n    - {name: v6only, aaaa: ['2001:db8::1']}\n"
			  "  zones:\n"
			  "    - name: example.com\n"
			  "      soa: {mname: a, rname: b}\n"
			  "      ns: [a]\n"
			  "      records:\n"
			  "        - {name: f, type: A, policy: failover, pools: [v6only]}\n",
		  "t.yaml:13: dns.zones[0].records[0].pools[0]: ",
		  "pool 'v6only' (line 7) has no IPv4 addresses for f.example.com A");
}

TEST(config_geo_region_unknown_rejected)
{
	PARSE_ERR(ZONE "        - {name: g, type: A, policy: geo, geo: {eu: [fra], oc: [sin]},\n"
		       "           default: [iad]}\n" POOLS GEO,
		  "t.yaml:11: dns.zones[0].records[0].geo.oc: ",
		  "'oc' is not a region in geo.regions");
	PARSE_ERR(ZONE "        - {name: g, type: A, policy: geo, geo: {eu: [fra]}, default: "
		       "[iad]}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].geo.eu: ",
		  "'eu' is not a region in geo.regions (no geo section)");
}

TEST(config_geo_and_pool_lists_checked)
{
	PARSE_ERR(ZONE "        - name: g\n"
		       "          type: A\n"
		       "          policy: geo\n"
		       "          geo:\n"
		       "            eu: [fra]\n"
		       "            as: [sin]\n"
		       "            eu: [iad]\n"
		       "          default: [iad]\n" POOLS GEO,
		  "t.yaml:17: dns.zones[0].records[0].geo.eu: ", "repeated key (first at line 15)");
	PARSE_ERR(ZONE
		  "        - {name: f, type: A, policy: failover, pools: [fra, iad, fra]}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].pools[2]: ",
		  "'fra' is listed twice (first as [0])");
	PARSE_ERR(
		ZONE
		"        - {name: w, type: A, policy: weighted, weights: {fra: 1, fra: 2}}\n" POOLS,
		"t.yaml:11: dns.zones[0].records[0].weights.fra: ",
		"repeated key (first at line 11)");
	PARSE_ERR(ZONE "        - {name: w, type: A, policy: weighted, weights: {fra: 0}}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].weights.fra: ",
		  "'0' is not an integer in 1..1000");
	PARSE_ERR(ZONE
		  "        - {name: w, type: A, policy: weighted, weights: {fra: 1001}}\n" POOLS,
		  "t.yaml:11: dns.zones[0].records[0].weights.fra: ",
		  "'1001' is not an integer in 1..1000");
}

TEST(config_geo_section_checked)
{
	struct edge_config cfg;

	PARSE_ERR(MINIMAL "geo:\n  regions: [eu, EU]\n",
		  "t.yaml:6: geo.regions[1]: ", "'EU' is not a region name");
	PARSE_ERR(MINIMAL "geo:\n  regions: [eu, as, eu]\n",
		  "t.yaml:6: geo.regions[2]: ", "'eu' is listed twice (first as regions[0])");
	PARSE_ERR(MINIMAL "geo:\n  regions: [eu]\n  countries: {DEU: eu}\n",
		  "t.yaml:7: geo.countries.DEU: ", "'DEU' is not an ISO 3166 country code");
	PARSE_ERR(MINIMAL "geo:\n  regions: [eu]\n  countries: {D1: eu}\n",
		  "t.yaml:7: geo.countries.D1: ", "is not an ISO 3166 country code");
	PARSE_ERR(MINIMAL "geo:\n  regions: [eu]\n  countries: {DE: as}\n",
		  "t.yaml:7: geo.countries.DE: ", "'as' is not a region in geo.regions");
	PARSE_ERR(MINIMAL "geo:\n  regions: [eu]\n  countries:\n    DE: eu\n    de: eu\n",
		  "t.yaml:9: geo.countries.de: ", "repeated key (first at line 8)");

	PARSE_OK(MINIMAL "geo:\n  regions: [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11,\n"
			 "    r12, r13, r14, r15, r16, r17, r18, r19, r20, r21, r22, r23, r24,\n"
			 "    r25, r26, r27, r28, r29, r30, r31]\n",
		 &cfg);
	ASSERT_EQ(cfg.geo.n_regions, 32);
	ASSERT_STREQ(cfg.geo.regions[31], "r31");
	edge_config_free(&cfg);
	PARSE_ERR(MINIMAL "geo:\n  regions: [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11,\n"
			  "    r12, r13, r14, r15, r16, r17, r18, r19, r20, r21, r22, r23, r24,\n"
			  "    r25, r26, r27, r28, r29, r30, r31, r32]\n",
		  "t.yaml:6: geo.regions: ", "has 33 entries, expected 1..32");
}

/*
 * Load MINIMAL with a geo section (regions eu, as; country DE -> eu) whose
 * csv is written beside the config file from `csv`. csv_path gets the
 * CSV's path (as messages show it); both files are removed again.
 */
static int load_with_csv_len(const char *csv, size_t len, struct edge_config *cfg, char *err,
			     char *csv_path)
{
	static const char yaml[] = MINIMAL "geo:\n"
					   "  regions: [eu, as]\n"
					   "  countries: {DE: eu, sg: as}\n"
					   "  csv: geo.csv\n";
	char dir[] = "/tmp/edge-unit.XXXXXX", conf[PATH_MAX];
	FILE *f;
	int ret = -EIO;

	if (!mkdtemp(dir))
		return -errno;
	snprintf(conf, sizeof(conf), "%s/edge.yaml", dir);
	snprintf(csv_path, PATH_MAX, "%s/geo.csv", dir);
	f = fopen(conf, "w");
	if (!f)
		goto out;
	fputs(yaml, f);
	fclose(f);
	f = fopen(csv_path, "w");
	if (!f)
		goto out;
	fwrite(csv, 1, len, f);
	fclose(f);
	ret = edge_config_load(conf, cfg, err, ERR_LEN);
out:
	unlink(csv_path);
	unlink(conf);
	rmdir(dir);
	return ret;
}

static int load_with_csv(const char *csv, struct edge_config *cfg, char *err, char *csv_path)
{
	return load_with_csv_len(csv, strlen(csv), cfg, err, csv_path);
}

TEST(config_geo_csv_unreadable_is_errno)
{
	static const char yaml[] = MINIMAL "geo:\n  regions: [eu]\n  csv: /nonexistent/geo.csv\n";
	struct edge_config cfg;
	char err[ERR_LEN];

	ASSERT_EQ(parse(yaml, &cfg, err), -ENOENT);
	ASSERT_STREQ(err, "t.yaml:7: geo.csv: cannot read /nonexistent/geo.csv: "
			  "No such file or directory");
	ASSERT_TRUE(config_is_empty(&cfg));
}

TEST(config_geo_csv_read_beside_config)
{
	char err[ERR_LEN], csv[PATH_MAX];
	const struct edge_cfg_prefix *pf;
	struct edge_config cfg;
	__u8 want[16];
	int ret;

	ret = load_with_csv("\xef\xbb\xbf# prefix,region\n"
			    "192.0.2.0/25,eu\n"
			    "\n"
			    "  192.0.2.128/25 , as   # trailing comment\r\n"
			    "203.0.113.0/24,DE\n"
			    "2001:db8:1::/48,eu\n"
			    "2001:db8:2::/48,sg\n"
			    "0.0.0.0/0,as\n"
			    "198.51.100.7/32,eu", /* no final newline */
			    &cfg, err, csv);
	if (ret)
		FAIL("%s", err);
	ASSERT_STREQ(cfg.geo.csv, csv);
	ASSERT_EQ(cfg.geo.n_prefixes, 7);
	pf = cfg.geo.prefixes;
	ASSERT_EQ(pf[0].family, AF_INET);
	ASSERT_EQ(pf[0].len, 25);
	ASSERT_EQ(pf[0].region, 0);
	ASSERT_EQ(pf[0].line, 2);
	v4(want, "192.0.2.128");
	ASSERT_MEMEQ(pf[1].addr, want, 4);
	ASSERT_EQ(pf[1].region, 1);
	ASSERT_EQ(pf[1].line, 4);
	ASSERT_EQ(pf[2].region, 0); /* DE -> eu */
	ASSERT_EQ(pf[3].family, AF_INET6);
	ASSERT_EQ(pf[3].len, 48);
	v6(want, "2001:db8:1::");
	ASSERT_MEMEQ(pf[3].addr, want, 16);
	ASSERT_EQ(pf[4].region, 1); /* sg -> SG -> as */
	ASSERT_EQ(pf[5].len, 0);
	ASSERT_EQ(pf[6].len, 32);
	ASSERT_EQ(pf[6].line, 9);
	edge_config_free(&cfg);
}

/* The CSV's own path and line, not the config's. */
#define CSV_ERR(text, line, cause)                                                 \
	do {                                                                       \
		char e_[ERR_LEN], p_[PATH_MAX], w_[PATH_MAX + 16];                 \
		struct edge_config c_;                                             \
		ASSERT_EQ(load_with_csv((text), &c_, e_, p_), -EINVAL);            \
		snprintf(w_, sizeof(w_), "%s:%d: ", p_, (line));                   \
		if (strncmp(e_, w_, strlen(w_)))                                   \
			FAIL("message \"%s\" does not start with \"%s\"", e_, w_); \
		ASSERT_STRSTR(e_, (cause));                                        \
		ASSERT_TRUE(config_is_empty(&c_));                                 \
	} while (0)

TEST(config_geo_csv_errors_name_csv_line)
{
	CSV_ERR("# x\n192.0.2.0/24\n", 2, "'192.0.2.0/24' is not PREFIX,REGION");
	CSV_ERR("192.0.2.0/24,eu,as\n", 1, "is not PREFIX,REGION");
	CSV_ERR("192.0.2.0,eu\n", 1, "'192.0.2.0' is not a prefix (ADDRESS/LENGTH)");
	CSV_ERR("192.0.2.300/24,eu\n", 1, "'192.0.2.300/24' is not a prefix");
	CSV_ERR("eu,192.0.2.0/24\n", 1, "'eu' is not a prefix");
	CSV_ERR("192.0.2.0/33,eu\n", 1, "'192.0.2.0/33' has a bad prefix length (0..32)");
	CSV_ERR("2001:db8::/129,eu\n", 1, "has a bad prefix length (0..128)");
	CSV_ERR("192.0.2.0/,eu\n", 1, "has a bad prefix length");
	CSV_ERR("192.0.2.0/2x,eu\n", 1, "has a bad prefix length");
	CSV_ERR("192.0.2.0/0024,eu\n", 1, "has a bad prefix length");
	CSV_ERR("\n192.0.2.1/24,eu\n", 2,
		"'192.0.2.1/24' has host bits set (the network is 192.0.2.0/24)");
	CSV_ERR("2001:db8::1/64,eu\n", 1, "has host bits set (the network is 2001:db8::/64)");
	CSV_ERR("192.0.2.0/24,na\n", 1,
		"'na' is neither a region in geo.regions nor a country in geo.countries");
	CSV_ERR("192.0.2.0/24,FR\n", 1, "'FR' is neither a region");
	CSV_ERR("192.0.2.0/25,eu\n192.0.2.128/25,as\n192.0.2.0/24,eu\n# c\n192.0.2.128/25,eu\n", 5,
		"duplicate prefix 192.0.2.128/25 (first at line 2)");
	CSV_ERR("192.0.2.0/24,eu\n192.0.2.0/24,eu\n192.0.2.0/24,eu\n", 2,
		"duplicate prefix 192.0.2.0/24 (first at line 1)");
	CSV_ERR("192.0.2.0/24,e\001u\n", 1, "'e?u' is neither");
}

TEST(config_geo_csv_nul_rejected)
{
	static const char text[] = "192.0.2.0/24,eu\n192.0.2.128/25,e\0u\n";
	char err[ERR_LEN], csv[PATH_MAX], want[PATH_MAX + 64];
	struct edge_config cfg;

	ASSERT_EQ(load_with_csv_len(text, sizeof(text) - 1, &cfg, err, csv), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: contains a NUL character", csv);
	ASSERT_STREQ(err, want);
}

TEST(config_nul_and_control_characters_handled)
{
	PARSE_ERR("interfaces:\n  - name: \"eth\\0x\"\n",
		  "t.yaml:2: interfaces[0].name: ", "contains a NUL character");
	/* A newline in a value must not split the one-line message. */
	PARSE_ERR("interfaces:\n  - name: \"eth\\n0\"\n",
		  "t.yaml:2: interfaces[0].name: ", "'eth?0' is not an interface name");
}

TEST(config_error_is_truncated_safely)
{
	struct edge_config cfg;
	char err[16];

	memset(err, 'x', sizeof(err));
	ASSERT_EQ(edge_config_parse("interfaces: 1\n", 14, "t.yaml", &cfg, err, sizeof(err)),
		  -EINVAL);
	ASSERT_STREQ(err, "t.yaml:1: inter");
	ASSERT_EQ(edge_config_parse("interfaces: 1\n", 14, "t.yaml", &cfg, NULL, 0), -EINVAL);
}

TEST(config_attach_mode_names)
{
	ASSERT_STREQ(edge_attach_mode_str(EDGE_ATTACH_AUTO), "auto");
	ASSERT_STREQ(edge_attach_mode_str(EDGE_ATTACH_NATIVE), "native");
	ASSERT_STREQ(edge_attach_mode_str(EDGE_ATTACH_SKB), "skb");
}

TEST(dns_name_lowercased_with_root_label)
{
	const __u8 want[] = "\3www\7example\3com";
	__u8 wire[256];

	ASSERT_EQ(edge_dns_name_to_wire("WWW.Example.COM", wire, sizeof(wire)), sizeof(want));
	ASSERT_MEMEQ(wire, want, sizeof(want));
	/* Only A-Z fold; digits, '-' and '_' pass through. */
	ASSERT_EQ(edge_dns_name_to_wire("_Dmarc.X-1", wire, sizeof(wire)), 12);
	ASSERT_MEMEQ(wire, "\6_dmarc\3x-1", 12);
}

TEST(dns_name_trailing_dot_optional)
{
	__u8 a[256], b[256];

	ASSERT_EQ(edge_dns_name_to_wire("example.com.", a, sizeof(a)), 13);
	ASSERT_EQ(edge_dns_name_to_wire("example.com", b, sizeof(b)), 13);
	ASSERT_MEMEQ(a, b, 13);
}

TEST(dns_name_root_is_one_byte)
{
	__u8 wire[256] = {0xaa};

	ASSERT_EQ(edge_dns_name_to_wire(".", wire, sizeof(wire)), 1);
	ASSERT_EQ(wire[0], 0);
}

TEST(dns_name_label_over_63_rejected)
{
	char name[80];
	__u8 wire[256];

	memset(name, 'a', 63);
	strcpy(name + 63, ".com");
	ASSERT_EQ(edge_dns_name_to_wire(name, wire, sizeof(wire)), 1 + 63 + 1 + 3 + 1);
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	ASSERT_EQ(edge_dns_name_to_wire(name, wire, sizeof(wire)), -EINVAL);
}

TEST(dns_name_over_255_wire_bytes_rejected)
{
	char name[300];
	__u8 wire[256];

	/* 3 x (1 + 63) + (1 + 61) + 1 = 255 bytes: the largest name. */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ASSERT_EQ(edge_dns_name_to_wire(name, wire, sizeof(wire)), 255);
	name[253] = '.'; /* a trailing dot changes nothing */
	name[254] = '\0';
	ASSERT_EQ(edge_dns_name_to_wire(name, wire, sizeof(wire)), 255);
	name[253] = 'a'; /* 256 bytes */
	ASSERT_EQ(edge_dns_name_to_wire(name, wire, sizeof(wire)), -EINVAL);
}

TEST(dns_name_empty_label_rejected)
{
	__u8 wire[256];

	ASSERT_EQ(edge_dns_name_to_wire("a..b", wire, sizeof(wire)), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire(".a", wire, sizeof(wire)), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire("a..", wire, sizeof(wire)), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire("..", wire, sizeof(wire)), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire("", wire, sizeof(wire)), -EINVAL);
}

TEST(dns_name_bad_characters_rejected)
{
	__u8 wire[256];

	ASSERT_EQ(edge_dns_name_to_wire("*.example.com", wire, sizeof(wire)), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire("a b.example", wire, sizeof(wire)), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire("a\\.b", wire, sizeof(wire)), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire("caf\xc3\xa9.example", wire, sizeof(wire)), -EINVAL);
}

TEST(dns_name_small_buffer_rejected)
{
	__u8 wire[8];

	ASSERT_EQ(edge_dns_name_to_wire("abc.de", wire, 8), 8);
	ASSERT_EQ(edge_dns_name_to_wire("abc.def", wire, 8), -EINVAL);
	ASSERT_EQ(edge_dns_name_to_wire(".", wire, 0), -EINVAL);
}

TEST(config_dns_rrl_off_by_default_and_filled_in)
{
	struct edge_config cfg;

	PARSE_OK(MINIMAL "dns:\n  udp_size: 1232\n", &cfg);
	ASSERT_EQ(cfg.rrl.rate, 0);
	ASSERT_EQ(cfg.rrl.slip, 2);
	ASSERT_EQ(cfg.rrl.prefix4, 24);
	ASSERT_EQ(cfg.rrl.prefix6, 56);
	edge_config_free(&cfg);

	/* burst defaults to the rate */
	PARSE_OK(MINIMAL "dns:\n  rrl: {rate: 50}\n", &cfg);
	ASSERT_EQ(cfg.rrl.rate, 50);
	ASSERT_EQ(cfg.rrl.burst, 50);
	ASSERT_EQ(cfg.rrl.slip, 2);
	edge_config_free(&cfg);

	PARSE_OK(MINIMAL "dns:\n  rrl:\n    rate: 5\n    burst: 20\n    slip: 0\n"
			 "    ipv4_prefix: 32\n    ipv6_prefix: 48\n",
		 &cfg);
	ASSERT_EQ(cfg.rrl.rate, 5);
	ASSERT_EQ(cfg.rrl.burst, 20);
	ASSERT_EQ(cfg.rrl.slip, 0);
	ASSERT_EQ(cfg.rrl.prefix4, 32);
	ASSERT_EQ(cfg.rrl.prefix6, 48);
	edge_config_free(&cfg);
}

TEST(config_dns_rrl_errors_name_the_field)
{
	PARSE_ERR(MINIMAL "dns:\n  rrl:\n    ipv4_prefix: 33\n", "t.yaml:7: dns.rrl.ipv4_prefix: ",
		  "32");
	PARSE_ERR(MINIMAL "dns:\n  rrl:\n    ipv6_prefix: 129\n", "t.yaml:7: dns.rrl.ipv6_prefix: ",
		  "128");
	PARSE_ERR(MINIMAL "dns:\n  rrl:\n    burst: 0\n", "t.yaml:7: dns.rrl.burst: ", "1");
	PARSE_ERR(MINIMAL "dns:\n  rrl:\n    slip: -1\n", "t.yaml:7: dns.rrl.slip: ", "");
	PARSE_ERR(MINIMAL "dns:\n  rrl:\n    window: 5\n", "t.yaml:7: ", "window");
}
