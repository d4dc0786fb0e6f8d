// SPDX-License-Identifier: GPL-2.0
/*
 * Zone files (user/zonefile.c): the exact master file written for a small
 * config, which answer each policy is written with, and the errors of
 * --emit-zone naming the file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "zonefile.h"

#define ERR_LEN 512

#define HEADER(zone)                                                                   \
	"; Zone " zone ", written by anyedged --emit-zone from t.yaml.\n"              \
	"; Records with a policy hold the answer a client with no location\n"          \
	"; information gets while every pool is up:\n"                                 \
	";   geo       the first pool of the record's default list\n"                  \
	";   failover  the first pool of the list\n"                                   \
	";   weighted  the addresses of every pool, each once\n"

/*
 * Two zones; example.com has every policy, names in mixed case, relative,
 * apex and absolute, a TTL per record or the zone's, and a SOA TTL of its
 * own. Pool fra and iad share 198.51.100.9 (weighted writes it once).
 */
static const char config_yaml[] =
	"interfaces:\n"
	"  - name: eth0\n"
	"vips:\n"
	"  - address: 192.0.2.53\n"
	"dns:\n"
	"  pools:\n"
	"    - {name: fra, a: [198.51.100.1, 198.51.100.9], aaaa: ['2001:db8:f::1']}\n"
	"    - {name: iad, a: [198.51.100.2, 198.51.100.9]}\n"
	"    - {name: sin, a: [198.51.100.3], aaaa: ['2001:DB8:F::3'], up: false}\n"
	"  zones:\n"
	"    - name: Example.COM.\n"
	"      ttl: 120\n"
	"      soa:\n"
	"        mname: NS1.example.com\n"
	"        rname: hostmaster.example.com.\n"
	"        serial: 2026112301\n"
	"        refresh: 7200\n"
	"        retry: 900\n"
	"        expire: 604800\n"
	"        minimum: 60\n"
	"        ttl: 3600\n"
	"      ns: [ns1.example.com, NS2.Example.Net.]\n"
	"      records:\n"
	"        - {name: '@', type: A, values: [192.0.2.10]}\n"
	"        - {name: WWW, type: A, ttl: 300, values: [198.51.100.10, 198.51.100.11]}\n"
	"        - {name: www, type: AAAA, ttl: 300, values: ['2001:db8:100::10']}\n"
	"        - {name: a.Deep.Sub.example.com., type: A, ttl: 0, values: [198.51.100.12]}\n"
	"        - name: geo\n"
	"          type: A\n"
	"          ttl: 60\n"
	"          policy: geo\n"
	"          geo: {eu: [fra, iad], as: [sin]}\n"
	"          default: [sin, fra]\n"
	"        - {name: geo, type: AAAA, policy: geo, geo: {eu: [fra]}, default: [fra, sin]}\n"
	"        - {name: fo, type: A, ttl: 30, policy: failover, pools: [iad, fra]}\n"
	"        - {name: w, type: A, ttl: 20, policy: weighted, weights: {fra: 3, iad: 1}}\n"
	"    - name: example.org\n"
	"      soa: {mname: ns1.example.com, rname: hostmaster.example.com}\n"
	"      ns: [ns1.example.com]\n"
	"      records:\n"
	"        - {name: www, type: AAAA, values: ['2001:db8::1', '2001:db8::2']}\n"
	"geo:\n"
	"  regions: [eu, as]\n";

static const char example_com_zone[] =
	HEADER("example.com")
	"$ORIGIN example.com.\n"
	"$TTL 120\n"
	"example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. "
	"2026112301 7200 900 604800 60\n"
	"example.com.\t120\tIN\tNS\tns1.example.com.\n"
	"example.com.\t120\tIN\tNS\tns2.example.net.\n"
	"example.com.\t120\tIN\tA\t192.0.2.10\n"
	"www.example.com.\t300\tIN\tA\t198.51.100.10\n"
	"www.example.com.\t300\tIN\tA\t198.51.100.11\n"
	"www.example.com.\t300\tIN\tAAAA\t2001:db8:100::10\n"
	"a.deep.sub.example.com.\t0\tIN\tA\t198.51.100.12\n"
	"; policy geo: pool sin (first of the default list)\n"
	"geo.example.com.\t60\tIN\tA\t198.51.100.3\n"
	"; policy geo: pool fra (first of the default list)\n"
	"geo.example.com.\t120\tIN\tAAAA\t2001:db8:f::1\n"
	"; policy failover: pool iad (first of the list)\n"
	"fo.example.com.\t30\tIN\tA\t198.51.100.2\n"
	"fo.example.com.\t30\tIN\tA\t198.51.100.9\n"
	"; policy weighted: pools fra, iad (all of them)\n"
	"w.example.com.\t20\tIN\tA\t198.51.100.1\n"
	"w.example.com.\t20\tIN\tA\t198.51.100.9\n"
	"w.example.com.\t20\tIN\tA\t198.51.100.2\n";

static const char example_org_zone[] =
	HEADER("example.org")
	"$ORIGIN example.org.\n"
	"$TTL 300\n"
	"example.org.\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. "
	"1 3600 600 1209600 300\n"
	"example.org.\t300\tIN\tNS\tns1.example.com.\n"
	"www.example.org.\t300\tIN\tAAAA\t2001:db8::1\n"
	"www.example.org.\t300\tIN\tAAAA\t2001:db8::2\n";

static int parse(struct edge_config *cfg, char *err)
{
	return edge_config_parse(config_yaml, strlen(config_yaml), "t.yaml", cfg, err, ERR_LEN);
}

/* Zone i of cfg as text (malloc'd), or NULL if writing failed. */
static char *zone_text(const struct edge_config *cfg, size_t i)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	ret = edge_zonefile_write(f, cfg, i);
	fclose(f);
	if (ret) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A whole file (malloc'd), or NULL. */
static char *read_all(const char *path)
{
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *in, *out;

	in = fopen(path, "r");
	if (!in)
		return NULL;
	out = open_memstream(&buf, &len);
	if (!out) {
		fclose(in);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(in);
	fclose(out);
	return buf;
}

TEST(zonefile_exact_text_for_every_policy)
{
	struct edge_config cfg;
	char err[ERR_LEN], *text;

	if (parse(&cfg, err))
		FAIL("config: %s", err);
	text = zone_text(&cfg, 0);
	ASSERT_STREQ(text, example_com_zone);
	free(text);
	edge_config_free(&cfg);
}

TEST(zonefile_has_only_its_zones_records)
{
	struct edge_config cfg;
	char err[ERR_LEN], *text;

	if (parse(&cfg, err))
		FAIL("config: %s", err);
	text = zone_text(&cfg, 1);
	ASSERT_STREQ(text, example_org_zone);
	free(text);
	edge_config_free(&cfg);
}

TEST(zonefile_write_error_is_reported)
{
	struct edge_config cfg;
	char err[ERR_LEN], buf[64];
	FILE *f;
	int ret;

	if (parse(&cfg, err))
		FAIL("config: %s", err);
	/* A fixed 64-byte buffer: the zone does not fit. */
	f = fmemopen(buf, sizeof(buf), "w");
	ASSERT_TRUE(f != NULL);
	setvbuf(f, NULL, _IONBF, 0);
	ret = edge_zonefile_write(f, &cfg, 0);
	fclose(f);
	edge_config_free(&cfg);
	ASSERT_ERR(ret);
}

TEST(zonefile_emit_writes_one_file_per_zone)
{
	char dir[] = "/tmp/anyedge-zonefile.XXXXXX", path[PATH_MAX], err[ERR_LEN], *text;
	struct edge_config cfg;
	int ret;

	if (parse(&cfg, err))
		FAIL("config: %s", err);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ret = edge_zonefile_emit(&cfg, dir, err, sizeof(err));
	edge_config_free(&cfg);
	if (ret)
		FAIL("emit: %s", err);

	snprintf(path, sizeof(path), "%s/example.com.zone", dir);
	text = read_all(path);
	unlink(path);
	ASSERT_STREQ(text, example_com_zone);
	free(text);
	snprintf(path, sizeof(path), "%s/example.org.zone", dir);
	text = read_all(path);
	unlink(path);
	ASSERT_STREQ(text, example_org_zone);
	free(text);
	/* Nothing else is left behind (no .tmp): rmdir needs it empty. */
	ASSERT_OK(rmdir(dir) ? -errno : 0);
}

TEST(zonefile_emit_error_names_the_file)
{
	char dir[] = "/tmp/anyedge-zonefile.XXXXXX", missing[PATH_MAX], want[PATH_MAX + 64];
	char err[ERR_LEN];
	struct edge_config cfg;
	int ret;

	if (parse(&cfg, err))
		FAIL("config: %s", err);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	ret = edge_zonefile_emit(&cfg, missing, err, sizeof(err));
	edge_config_free(&cfg);
	rmdir(dir);
	ASSERT_EQ(ret, -ENOENT);
	snprintf(want, sizeof(want), "cannot create %s/example.com.zone.tmp: %s", missing,
		 strerror(ENOENT));
	ASSERT_STREQ(err, want);
}
