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

#include "config.h"
#include "unit.h"

#define ERR_LEN 512

/* The smallest valid config: four lines, so additions start at line 5. */
#define MINIMAL            \
	"interfaces:\n"    \
	"  - name: eth0\n" \
	"vips:\n"          \
	"  - address: 192.0.2.53\n"

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

static const char full_yaml[] = "# every field set\n"				 /* 1 */
				"pin_path: /sys/fs/bpf/edge-test\n"		 /* 2 */
				"interfaces:\n"					 /* 3 */
				"  - name: eth0\n"				 /* 4 */
				"    mode: native\n"				 /* 5 */
				"  - name: eth1\n"				 /* 6 */
				"    mode: skb\n"				 /* 7 */
				"vips:\n"					 /* 8 */
				"  - address: 192.0.2.53\n"			 /* 9 */
				"    dns: true\n"				 /* 10 */
				"  - address: 2001:db8::53\n"			 /* 11 */
				"    dns: yes\n"				 /* 12 */
				"  - address: 192.0.2.80\n"			 /* 13 */
				"    dns: false\n"				 /* 14 */
				"dns:\n"					 /* 15 */
				"  udp_size: 1400\n"				 /* 16 */
				"  records:\n"					 /* 17 */
				"    - name: WWW.Example.com.\n"		 /* 18 */
				"      type: A\n"				 /* 19 */
				"      ttl: 60\n"				 /* 20 */
				"      values: [198.51.100.10, 198.51.100.11]\n" /* 21 */
				"    - name: www.example.com\n"			 /* 22 */
				"      type: aaaa\n"				 /* 23 */
				"      values:\n"				 /* 24 */
				"        - 2001:db8:100::10\n";			 /* 25 */

TEST(config_full_is_filled_in)
{
	const __u8 www[] = "\3www\7example\3com"; /* plus the NUL: the root */
	struct edge_config cfg;
	__u8 want[16] = {0};

	PARSE_OK(full_yaml, &cfg);
	ASSERT_STREQ(cfg.file, "t.yaml");
	ASSERT_STREQ(cfg.pin_path, "/sys/fs/bpf/edge-test");
	ASSERT_EQ(cfg.dns_udp_size, 1400);

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

	ASSERT_EQ(cfg.n_records, 2);
	ASSERT_STREQ(cfg.records[0].name, "www.example.com");
	ASSERT_EQ(cfg.records[0].line, 18);
	ASSERT_EQ(cfg.records[0].key.qtype, 1);
	ASSERT_EQ(cfg.records[0].key.name_len, sizeof(www));
	ASSERT_MEMEQ(cfg.records[0].key.name, www, sizeof(www));
	ASSERT_EQ(cfg.records[0].key.name[sizeof(www)], 0);
	ASSERT_EQ(cfg.records[0].key.name[255], 0);
	ASSERT_EQ(cfg.records[0].key.pad, 0);
	ASSERT_EQ(cfg.records[0].rrset.ttl, 60);
	ASSERT_EQ(cfg.records[0].rrset.count, 2);
	ASSERT_EQ(cfg.records[0].rrset.rdlen, 4);
	v4(want, "198.51.100.10");
	ASSERT_MEMEQ(cfg.records[0].rrset.rdata[0], want, 4);
	v4(want, "198.51.100.11");
	ASSERT_MEMEQ(cfg.records[0].rrset.rdata[1], want, 4);
	ASSERT_EQ(cfg.records[0].rrset.rdata[1][4], 0);
	ASSERT_EQ(cfg.records[0].rrset.rdata[2][0], 0);

	ASSERT_EQ(cfg.records[1].key.qtype, 28);
	ASSERT_EQ(cfg.records[1].line, 22);
	ASSERT_EQ(cfg.records[1].rrset.ttl, 300);
	ASSERT_EQ(cfg.records[1].rrset.count, 1);
	ASSERT_EQ(cfg.records[1].rrset.rdlen, 16);
	v6(want, "2001:db8:100::10");
	ASSERT_MEMEQ(cfg.records[1].rrset.rdata[0], want, 16);
	ASSERT_MEMEQ(&cfg.records[1].key.name, www, sizeof(www));

	edge_config_free(&cfg);
	ASSERT_TRUE(config_is_empty(&cfg));
}

TEST(config_defaults_fill_optional_fields)
{
	struct edge_config cfg;

	PARSE_OK(MINIMAL, &cfg);
	ASSERT_STREQ(cfg.pin_path, EDGE_PIN_DEFAULT);
	ASSERT_EQ(cfg.dns_udp_size, EDGE_DNS_UDP_SIZE);
	ASSERT_EQ(cfg.n_ifaces, 1);
	ASSERT_EQ(cfg.ifaces[0].mode, EDGE_ATTACH_AUTO);
	ASSERT_EQ(cfg.n_vips, 1);
	ASSERT_EQ(cfg.vips[0].flags, 0);
	ASSERT_EQ(cfg.n_records, 0);
	ASSERT_TRUE(cfg.records == NULL);
	edge_config_free(&cfg);
}

TEST(config_flow_style_and_aliases_work)
{
	struct edge_config cfg;

	PARSE_OK("{interfaces: [{name: eth0, mode: auto}],\n"
		 " vips: [{address: '192.0.2.53', dns: YES}],\n"
		 " dns: {records: [\n"
		 "   {name: a.example, type: A, values: &v [198.51.100.1]},\n"
		 "   {name: b.example, type: A, values: *v}]}}\n",
		 &cfg);
	ASSERT_EQ(cfg.vips[0].flags, EDGE_VIP_F_DNS);
	ASSERT_EQ(cfg.n_records, 2);
	ASSERT_EQ(cfg.records[1].rrset.count, 1);
	ASSERT_EQ(cfg.records[1].line, 5);
	edge_config_free(&cfg);
}

TEST(config_root_name_and_empty_records_list)
{
	struct edge_config cfg;

	PARSE_OK(MINIMAL "dns:\n  records: []\n", &cfg);
	ASSERT_EQ(cfg.n_records, 0);
	edge_config_free(&cfg);

	PARSE_OK(MINIMAL "dns:\n  records:\n"
			 "    - {name: ., type: AAAA, values: ['2001:db8::1']}\n",
		 &cfg);
	ASSERT_STREQ(cfg.records[0].name, ".");
	ASSERT_EQ(cfg.records[0].key.name_len, 1);
	ASSERT_EQ(cfg.records[0].key.name[0], 0);
	edge_config_free(&cfg);
}

TEST(config_integer_bounds_accepted)
{
	struct edge_config cfg;

	PARSE_OK(MINIMAL
		 "dns:\n  udp_size: 512\n  records:\n"
		 "    - {name: x.example, type: A, ttl: 0, values: [198.51.100.1]}\n"
		 "    - {name: y.example, type: A, ttl: 2147483647, values: [198.51.100.1]}\n",
		 &cfg);
	ASSERT_EQ(cfg.dns_udp_size, 512);
	ASSERT_EQ(cfg.records[0].rrset.ttl, 0);
	ASSERT_EQ(cfg.records[1].rrset.ttl, 2147483647);
	edge_config_free(&cfg);

	PARSE_OK(MINIMAL "dns:\n  udp_size: 4096\n", &cfg);
	ASSERT_EQ(cfg.dns_udp_size, 4096);
	edge_config_free(&cfg);
}

TEST(config_same_name_other_type_is_not_a_duplicate)
{
	struct edge_config cfg;

	PARSE_OK(MINIMAL "dns:\n  records:\n"
			 "    - {name: www.example.com, type: A, values: [198.51.100.10]}\n"
			 "    - {name: www.example.com, type: AAAA, values: ['2001:db8::10']}\n"
			 "    - {name: www.example.net, type: A, values: [198.51.100.10]}\n",
		 &cfg);
	ASSERT_EQ(cfg.n_records, 3);
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
	ASSERT_EQ(cfg.n_records, 3);
	ASSERT_EQ(cfg.records[0].rrset.count, 2);
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
		  "unknown key (expected one of: pin_path, interfaces, vips, dns)");
	PARSE_ERR("interfaces:\n  - name: eth0\n    mdoe: skb\n",
		  "t.yaml:3: interfaces[0].mdoe: ", "unknown key (expected one of: name, mode)");
	PARSE_ERR(MINIMAL "    dsn: true\n", "t.yaml:5: vips[0].dsn: ", "unknown key");
	PARSE_ERR(MINIMAL "dns:\n  record: []\n", "t.yaml:6: dns.record: ", "unknown key");
	PARSE_ERR(MINIMAL "dns:\n  records:\n    - name: a.example\n      typ: A\n",
		  "t.yaml:8: dns.records[0].typ: ", "unknown key");
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
	PARSE_ERR(MINIMAL "dns:\n  records:\n    - {name: a, type: A, values: 198.51.100.1}\n",
		  "t.yaml:7: dns.records[0].values: ", "expected a list, got a single value");
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
	PARSE_ERR(MINIMAL "dns:\n  records:\n    - name: a.example\n      type: A\n",
		  "t.yaml:7: dns.records[0].values: ", "required field is missing");
	PARSE_ERR(MINIMAL "dns:\n  records:\n    - type: A\n      values: [198.51.100.1]\n",
		  "t.yaml:7: dns.records[0].name: ", "required field is missing");
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

	PARSE_ERR(MINIMAL "dns:\n  records:\n    - name: a.example\n      type: A\n"
			  "      values: [198.51.100.1, 198.51.100.2, 198.51.100.3,\n"
			  "               198.51.100.4, 198.51.100.5, 198.51.100.6,\n"
			  "               198.51.100.7, 198.51.100.8, 198.51.100.9]\n",
		  "t.yaml:9: dns.records[0].values: ", "has 9 entries, expected 1..8");
	PARSE_ERR(MINIMAL "dns:\n  records:\n    - {name: a.example, type: A, values: []}\n",
		  "t.yaml:7: dns.records[0].values: ", "has 0 entries, expected 1..8");
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
	PARSE_ERR(MINIMAL "dns:\n"
			  "  records:\n"
			  "    - name: www.example.com\n"
			  "      type: A\n"
			  "      ttl: -1\n"
			  "      values: [198.51.100.10]\n",
		  "t.yaml:9: dns.records[0].ttl: ", "'-1' is not an integer in 0..2147483647");
}

TEST(config_ttl_junk_and_overflow_rejected)
{
	static const char *const bad[] = {
		"300s", "0x10", "2147483648", "99999999999999999999999", "' 300'", "'+300'",
		"3.5",	"''",	"true",
	};
	char yaml[512], want[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *shown = bad[i][0] == '\'' ? bad[i] : NULL;

		snprintf(yaml, sizeof(yaml),
			 MINIMAL "dns:\n  records:\n"
				 "    - {name: a.example, type: A, values: [198.51.100.1],\n"
				 "       ttl: %s}\n",
			 bad[i]);
		/* Quoted in YAML, the value is shown in the message's quotes. */
		snprintf(want, sizeof(want), "%s%s%s is not an integer in 0..2147483647",
			 shown ? "" : "'", bad[i], shown ? "" : "'");
		PARSE_ERR(yaml, "t.yaml:8: dns.records[0].ttl: ", want);
	}
}

TEST(config_duplicate_record_reported_at_second)
{
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - {name: www.example.com, type: A, values: [198.51.100.10]}\n"
			  "    - {name: api.example.com, type: A, values: [198.51.100.20]}\n"
			  "    - {name: WWW.Example.COM., type: a, values: [198.51.100.11]}\n",
		  "t.yaml:9: dns.records[2]: ", "www.example.com A is already defined at line 7");
}

TEST(config_first_duplicate_in_file_order_reported)
{
	/* b's repeat comes first in the file although a sorts first. */
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - {name: b.example, type: A, values: [198.51.100.1]}\n"
			  "    - {name: a.example, type: A, values: [198.51.100.1]}\n"
			  "    - {name: b.example, type: A, values: [198.51.100.1]}\n"
			  "    - {name: a.example, type: A, values: [198.51.100.1]}\n"
			  "    - {name: a.example, type: A, values: [198.51.100.1]}\n",
		  "t.yaml:9: dns.records[2]: ", "b.example A is already defined at line 7");
}

TEST(config_many_records_duplicate_found)
{
	const int n = 5000;
	struct edge_config cfg;
	size_t size = 64 + (size_t)n * 80;
	char *yaml = malloc(size), err[ERR_LEN];
	int i, off, ret;

	ASSERT_TRUE(yaml != NULL);
	off = snprintf(yaml, size, MINIMAL "dns:\n  records:\n");
	for (i = 0; i < n; i++)
		off += snprintf(yaml + off, size - off,
				"    - {name: h%d.example.com, type: A, values: [198.51.100.1]}\n",
				i == n - 1 ? 1234 : i);
	ret = parse(yaml, &cfg, err);
	free(yaml);
	ASSERT_EQ(ret, -EINVAL);
	ASSERT_STREQ(err, "t.yaml:5006: dns.records[4999]: "
			  "h1234.example.com A is already defined at line 1241");
}

TEST(config_record_type_checked)
{
	PARSE_ERR(MINIMAL "dns:\n  records:\n    - {name: a.example, type: MX, values: [mx]}\n",
		  "t.yaml:7: dns.records[0].type: ", "'MX' is not a supported type (A, AAAA)");
}

TEST(config_record_value_family_checked)
{
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - name: a.example\n"
			  "      type: A\n"
			  "      values:\n"
			  "        - 198.51.100.1\n"
			  "        - 2001:db8::1\n",
		  "t.yaml:11: dns.records[0].values[1]: ",
		  "'2001:db8::1' is an IPv6 address, but the type is A");
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - {name: a.example, type: AAAA, values: [198.51.100.1]}\n",
		  "t.yaml:7: dns.records[0].values[0]: ",
		  "'198.51.100.1' is an IPv4 address, but the type is AAAA");
	PARSE_ERR(
		MINIMAL "dns:\n  records:\n"
			"    - {name: a.example, type: A, values: [www.example.com]}\n",
		"t.yaml:7: dns.records[0].values[0]: ", "'www.example.com' is not an IPv4 address");
}

TEST(config_record_duplicate_value_rejected)
{
	PARSE_ERR(MINIMAL
		  "dns:\n  records:\n"
		  "    - {name: a.example, type: A, values: [198.51.100.1, 198.51.100.1]}\n",
		  "t.yaml:7: dns.records[0].values[1]: ",
		  "'198.51.100.1' is listed twice (first as values[0])");
}

TEST(config_record_name_checked)
{
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - {name: a..b, type: A, values: [198.51.100.1]}\n",
		  "t.yaml:7: dns.records[0].name: ", "'a..b' is not a valid DNS name: empty label");
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - {name: '*.example.com', type: A, values: [198.51.100.1]}\n",
		  "t.yaml:7: dns.records[0].name: ", "wildcards are not supported");
	PARSE_ERR(MINIMAL "dns:\n  records:\n"
			  "    - {name: 'www example', type: A, values: [198.51.100.1]}\n",
		  "t.yaml:7: dns.records[0].name: ", "only letters, digits");
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
