// SPDX-License-Identifier: GPL-2.0
/*
 * GeoIP input fuzzing: truncated and corrupt MMDB databases (seeds in
 * tests/fuzz/mmdb/, written by tests/prog/mmdb_writer.py) through
 * edge_geo_mmdb_load(), and mutated geo CSVs through the config loader.
 * Each input gives either well-formed prefixes (family, length, no host
 * bits, a known region) or one error line naming the file; never a crash.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "geo_mmdb.h"
#include "log.h"

#include "fuzz.h"
#include "unit.h"

#define MMDB_FUZZ_ITERS 4000 /* per seed */
#define CSV_FUZZ_ITERS	4000
#define ERR_LEN		1024

#if FUZZ_SANITIZED
/*
 * libmaxminddb before 1.12 (Debian 12 has 1.7.1) leaks ~4.6 KB when
 * MMDB_open() fails in the description metadata (an entry data list's
 * pool; fixed upstream by maxmind/libmaxminddb#356). Not ours to fix here:
 * a daemon that keeps refusing a corrupt database leaks that per reload.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libmaxminddb.so\n";
}
#endif

static const char *const regions[] = {"eu", "as", "na"};

static void geo_setup(struct edge_cfg_geo *geo)
{
	static const struct {
		const char *code;
		__u16 region;
	} countries[] = {{"DE", 0}, {"FR", 0}, {"SG", 1}, {"JP", 1}, {"US", 2}},
	  continents[] = {{"EU", 0}, {"AS", 1}, {"NA", 2}};
	size_t i;

	memset(geo, 0, sizeof(*geo));
	for (i = 0; i < 3; i++)
		strcpy(geo->regions[i], regions[i]);
	geo->n_regions = 3;
	geo->countries = calloc(5, sizeof(*geo->countries));
	geo->continents = calloc(3, sizeof(*geo->continents));
	for (i = 0; geo->countries && i < 5; i++) {
		strcpy(geo->countries[i].code, countries[i].code);
		geo->countries[i].region = countries[i].region;
	}
	for (i = 0; geo->continents && i < 3; i++) {
		strcpy(geo->continents[i].code, continents[i].code);
		geo->continents[i].region = continents[i].region;
	}
	geo->n_countries = geo->countries ? 5 : 0;
	geo->n_continents = geo->continents ? 3 : 0;
}

static void geo_free(struct edge_cfg_geo *geo)
{
	free(geo->countries);
	free(geo->continents);
	free(geo->prefixes);
	memset(geo, 0, sizeof(*geo));
}

/* A prefix as the data path needs it. NULL if fine, else what is wrong. */
static const char *check_prefix(const struct edge_cfg_prefix *p, size_t n_regions)
{
	unsigned int max, i;

	if (p->family != AF_INET && p->family != AF_INET6)
		return "bad family";
	max = p->family == AF_INET ? 32 : 128;
	if (p->len > max)
		return "length beyond the family's";
	if (p->region >= n_regions)
		return "region out of range";
	for (i = p->len; i < 128; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return "host bits set";
	return NULL;
}

static int write_tmp(const char *path, const struct fuzz_buf *b)
{
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (!f)
		return -errno;
	if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}

/* MMDB-aware damage: search tree records, the metadata marker, sizes. */
static void mutate_mmdb(struct fuzz_rng *r, struct fuzz_buf *b)
{
	static const char marker[] = "\xab\xcd\xefMaxMind.com";
	static const __u32 vals[] = {0, 1, 2, 15, 16, 17, 100, 255, 0xffff, 0xfffffe, 0xffffff};
	char *meta = memmem(b->p, b->len, marker, sizeof(marker) - 1);
	size_t at;
	__u32 v;

	switch (fuzz_below(r, 8)) {
	case 0:
	case 1:
		fuzz_flip_bit(r, b);
		break;
	case 2:
		fuzz_set_byte(r, b);
		break;
	case 3:
		fuzz_truncate(r, b);
		break;
	case 4: /* a 24-bit search tree record: an edge value or near another */
		if (b->len < 6)
			break;
		at = fuzz_below(r, (meta ? (size_t)(meta - b->p) : b->len) / 3 + 1) * 3;
		if (at + 3 > b->len)
			break;
		v = fuzz_below(r, 2) ? vals[fuzz_below(r, sizeof(vals) / sizeof(vals[0]))]
				     : (__u32)fuzz_next(r) & 0xffffff;
		b->p[at] = v >> 16;
		b->p[at + 1] = v >> 8;
		b->p[at + 2] = v;
		break;
	case 5: /* a byte of the metadata (node_count, record_size, ip_version...) */
		if (meta && meta + sizeof(marker) - 1 < b->p + b->len) {
			at = meta - b->p + sizeof(marker) - 1;
			at += fuzz_below(r, b->len - at);
			b->p[at] = fuzz_below(r, 2) ? (char)fuzz_next(r) : (char)(b->p[at] ^ 1);
		}
		break;
	case 6:
		fuzz_dup_chunk(r, b);
		break;
	default: /* a second marker, or none */
		if (meta && fuzz_below(r, 2))
			meta[fuzz_below(r, sizeof(marker) - 1)] ^= 0x20;
		else
			fuzz_splice(b, fuzz_below(r, b->len + 1), 0, marker, sizeof(marker) - 1);
		break;
	}
}

TEST(geo_fuzz_mmdb_corrupt_databases_load_or_fail_cleanly)
{
	static const char *const seeds[] = {"tests/fuzz/mmdb/country4.mmdb",
					    "tests/fuzz/mmdb/country6.mmdb"};
	unsigned long iters = fuzz_iters(MMDB_FUZZ_ITERS), it, ok = 0, failed = 0;
	struct fuzz_rng rng = {.s = fuzz_seed(0x6d6d6462ULL)};
	struct fuzz_buf seed = {}, in = {};
	struct edge_geo_mmdb_info info;
	struct edge_cfg_geo geo;
	char root[PATH_MAX], path[PATH_MAX + 64], tmp[64], err[ERR_LEN], why[ERR_LEN];
	const char *bad = NULL;
	size_t s, k, cap;
	int ret;

	edge_log_set_level(EDGE_LOG_QUIET);
	fuzz_root(root, sizeof(root));
	snprintf(tmp, sizeof(tmp), "/tmp/anyedge-mmdb-fuzz-%d.mmdb", (int)getpid());
	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]) && !bad; s++) {
		snprintf(path, sizeof(path), "%s%s", root, seeds[s]);
		ret = fuzz_read_file(path, &seed);
		if (ret) {
			fuzz_buf_free(&seed);
			FAIL("cannot read %s: %s", path, strerror(-ret));
		}
		/* The seed itself loads, with prefixes. */
		geo_setup(&geo);
		cap = 0;
		ret = edge_geo_mmdb_load(path, &geo, &cap, &info, err, sizeof(err));
		k = geo.n_prefixes;
		geo_free(&geo);
		if (ret || k < 3) {
			fuzz_buf_free(&seed);
			FAIL("seed %s: %d, %zu prefixes: %s", path, ret, k, ret ? err : "");
		}
		for (it = 0; it < iters && !bad; it++) {
			fuzz_set(&in, seed.p, seed.len);
			for (k = 1 + fuzz_below(&rng, 3); k; k--)
				mutate_mmdb(&rng, &in);
			if (write_tmp(tmp, &in)) {
				bad = "cannot write the temporary database";
				break;
			}
			geo_setup(&geo);
			cap = 0;
			err[0] = '\0';
			ret = edge_geo_mmdb_load(tmp, &geo, &cap, &info, err, sizeof(err));
			if (ret) {
				failed++;
				if (ret > 0)
					bad = "positive return";
				else if (strncmp(err, tmp, strlen(tmp)) || err[strlen(tmp)] != ':')
					bad = "error does not start with the database's path";
				else if (geo.n_prefixes > cap)
					bad = "more prefixes than allocated";
				if (bad && snprintf(why, sizeof(why), "%s: \"%s\"", bad, err) >= 0)
					bad = why;
			} else {
				ok++;
				if (geo.n_prefixes > cap)
					bad = "more prefixes than allocated";
				for (k = 0; !bad && k < geo.n_prefixes; k++)
					bad = check_prefix(&geo.prefixes[k], geo.n_regions);
			}
			geo_free(&geo);
		}
	}
	if (bad) {
		char saved[96];

		snprintf(saved, sizeof(saved), "/tmp/anyedge-mmdb-fuzz-fail-%d.mmdb", (int)getpid());
		write_tmp(saved, &in);
		unlink(tmp);
		fuzz_buf_free(&seed);
		fuzz_buf_free(&in);
		FAIL("seed %s iteration %lu (input saved as %s): %s", seeds[s - 1], it - 1, saved,
		     bad);
	}
	unlink(tmp);
	fuzz_buf_free(&seed);
	fuzz_buf_free(&in);
	printf("# mmdb fuzz: %lu databases: %lu loaded, %lu refused\n", ok + failed, ok, failed);
	fflush(stdout);
	ASSERT_TRUE(ok > 0);
	ASSERT_TRUE(failed > 0);
	ASSERT_EQ(fuzz_leaks(), 0);
}

static const char *const csv_lines[] = {
	"192.0.2.0/24,eu",	  "198.51.100.0/24,na",	      "203.0.113.0/24,SG",
	"2001:db8::/48,DE",	  "2001:db8:1::/48,US",	      "0.0.0.0/0,as",
	"::/0,eu",		  "192.0.2.128/25 , na ",     "# comment,with,commas",
	"\xef\xbb\xbf" "10.0.0.0/8,eu", "192.0.2.1/32,as",    "2001:db8::1/128,na",
	"192.0.2.0/33,eu",	  "2001:db8::/129,eu",	      "192.0.2.1/24,eu",
	"192.0.2.0/24,xx",	  "192.0.2.0/24",	      "192.0.2.0/24,eu,as",
	"192.0.2.0/-1,eu",	  "192.0.2.0/024,eu",	      "192.0.2.0/0000000000024,eu",
	"::ffff:192.0.2.0/120,eu", "1.2.3.4.5/8,eu",	      "192.0.2.0/24,\t",
	"\t \r",		  ",",			      "/,",
};

TEST(geo_fuzz_csv_mutations_load_or_name_csv_line)
{
	unsigned long iters = fuzz_iters(CSV_FUZZ_ITERS), it, ok = 0, refused = 0;
	struct fuzz_rng rng = {.s = fuzz_seed(0x637376ULL)};
	struct fuzz_buf in = {}, yaml = {};
	struct edge_config cfg;
	char dir[64], csv[128], conf[128], err[ERR_LEN], why[ERR_LEN];
	const char *bad = NULL, *p;
	size_t k, n, lines;
	unsigned long line;
	char *end;
	int ret;

	edge_log_set_level(EDGE_LOG_QUIET);
	snprintf(dir, sizeof(dir), "/tmp/anyedge-csv-fuzz-%d", (int)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		FAIL("mkdir %s: %s", dir, strerror(errno));
	snprintf(csv, sizeof(csv), "%s/geo.csv", dir);
	snprintf(conf, sizeof(conf), "%s/edge.yaml", dir);
	fuzz_set(&yaml, "", 0);
	n = (size_t)snprintf(err, sizeof(err),
			     "interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\n"
			     "geo:\n  regions: [eu, as, na]\n"
			     "  countries: {DE: eu, SG: as, US: na}\n  csv: geo.csv\n");
	fuzz_set(&yaml, err, n);

	for (it = 0; it < iters && !bad; it++) {
		/* A CSV of a few lines, some good, some not, then damaged. */
		in.len = 0;
		fuzz_set(&in, "", 0);
		for (k = 1 + fuzz_below(&rng, 8); k; k--) {
			p = csv_lines[fuzz_below(&rng, sizeof(csv_lines) / sizeof(csv_lines[0]))];
			if (fuzz_below(&rng, 3))
				p = csv_lines[fuzz_below(&rng, 5)]; /* mostly good lines */
			fuzz_splice(&in, in.len, 0, p, strlen(p));
			fuzz_splice(&in, in.len, 0, fuzz_below(&rng, 8) ? "\n" : "\r\n",
				    fuzz_below(&rng, 8) ? 1 : 2);
		}
		for (k = fuzz_below(&rng, 3); k; k--) {
			switch (fuzz_below(&rng, 4)) {
			case 0:
				fuzz_flip_bit(&rng, &in);
				break;
			case 1:
				fuzz_set_byte(&rng, &in);
				break;
			case 2:
				fuzz_truncate(&rng, &in);
				break;
			default:
				fuzz_dup_chunk(&rng, &in);
				break;
			}
		}
		if (write_tmp(csv, &in) || write_tmp(conf, &yaml)) {
			bad = "cannot write the temporary files";
			break;
		}
		for (lines = 1, k = 0; k < in.len; k++)
			lines += in.p[k] == '\n';
		ret = edge_config_load(conf, &cfg, err, sizeof(err));
		if (!ret) {
			ok++;
			for (k = 0; !bad && k < cfg.geo.n_prefixes; k++)
				bad = check_prefix(&cfg.geo.prefixes[k], cfg.geo.n_regions);
			edge_config_free(&cfg);
			continue;
		}
		refused++;
		if (strncmp(err, csv, strlen(csv)) || err[strlen(csv)] != ':') {
			bad = "error does not name the CSV";
		} else {
			line = strtoul(err + strlen(csv) + 1, &end, 10);
			if (!line || line > lines || *end != ':')
				bad = "error line not in the CSV";
		}
		for (p = err; !bad && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				bad = "control byte in the error";
		if (bad && snprintf(why, sizeof(why), "%s: \"%s\"", bad, err) >= 0)
			bad = why;
	}
	if (bad) {
		fuzz_buf_free(&in);
		fuzz_buf_free(&yaml);
		FAIL("iteration %lu (CSV left in %s): %s", it - 1, csv, bad);
	}
	unlink(csv);
	unlink(conf);
	rmdir(dir);
	fuzz_buf_free(&in);
	fuzz_buf_free(&yaml);
	printf("# csv fuzz: %lu CSVs: %lu loaded, %lu refused\n", iters, ok, refused);
	fflush(stdout);
	ASSERT_TRUE(ok > 0);
	ASSERT_TRUE(refused > 0);
	ASSERT_EQ(fuzz_leaks(), 0);
}
