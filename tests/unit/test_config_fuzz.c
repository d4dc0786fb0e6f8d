// SPDX-License-Identifier: GPL-2.0
/*
 * Config fuzzing: the example configs and the seeds in tests/fuzz/config/
 * (the shapes the e2e tests write: services, anycast, health checks,
 * control, metrics, geo with a CSV) mutated many thousand times with a
 * seeded PRNG, each result through edge_config_parse() and, when it is
 * accepted, through what the daemon computes before it touches a map:
 * the GeoDNS compiler, the emitted zone files and every service's Maglev
 * table.
 *
 * Each input must give either a config or one error line that starts
 * "FILE:LINE: " (the config or its geo CSV) with a line inside the file
 * and no control bytes; never a crash. `make asan` runs the same under
 * AddressSanitizer and UBSan, with a leak check at the end (fuzz.h).
 *
 * FUZZ_ITERS=N overrides the iteration count for a long run:
 *   FUZZ_ITERS=500000 build-asan/test_unit config_fuzz
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dns_compile.h"
#include "log.h"
#include "maglev.h"
#include "zonefile.h"

#include "fuzz.h"
#include "unit.h"

#define CFG_FUZZ_ITERS 20000 /* ~4 s of CPU; FUZZ_ITERS overrides */
#define MAX_SEEDS      16
#define ERR_LEN	       1024

struct seed {
	char path[PATH_MAX]; /* the name given to the parser: relative paths resolve against it */
	struct fuzz_buf text;
};

struct fuzz_stats {
	unsigned long ok, refused, compiled, maglev;
};

/* Values a field should refuse or handle at its edge. */
static const char *const edge_values[] = {
	"-1", "0", "1", "2", "99999999999", "4294967295", "4294967296", "18446744073709551615",
	"18446744073709551616", "65535", "65536", "65537", "1048573", "1048583", "2147483647",
	"+1", "0x10", "1e3", "1.5", "-0", "00", "\"\"", "''", "~", "null", "[]", "{}",
	"[1, 2]", "{a: b}", "[[]]", "{a: [b, {c: d}]}", "true", "yes", "no", "off", "0.0.0.0",
	"::", "::1", "255.255.255.255", "::ffff:192.0.2.1", "192.0.2.1", "2001:db8::1",
	"0.0.0.0/0", "::/0", "192.0.2.0/33", "2001:db8::/129", "192.0.2.1/24", "a/b", "/",
	"192.0.2.1:0", "[::1]:65536", "*:9100", "[::1", "\"\\0\"", "\"a\\0b\"", "\"\\xff\"",
	"\"\\t\"", "\"\\u00e9\"", "'\t'", "*a", "&a x", ".", "..", "a..b", "-", "@", "*", "\"@\"",
	"\"*.x\"", "x.", "fra", "iad", "sin", "nosuch", "eu", "as", "na", "DE", "ZZ", "EU",
	"tcp", "udp", "http", "dns", "bird", "hook", "exabgp", "none", "A", "AAAA", "MX",
	"geo", "weighted", "failover", "static", "generate", "drop", "pass", "refuse",
	"!!binary aGVsbG8=", "!!int 3", "!custom x", "|\n  block\n", ">-\n  folded\n",
	"\"\xc3\x28\"", "\xff\xfe", "\xef\xbb\xbf", "a\tb", "/dev/null", "\"/\"",
	"000102030405060708090a0b0c0d0e0f", "000102030405060708090a0b0c0d0e0", "zz",
};

/* Every key of the schema, to put keys where they do not belong. */
static const char *const keys[] = {
	"pin_path", "interfaces", "vips", "dns", "geo", "lb", "services", "route", "anycast",
	"control", "metrics", "socket", "timeout_ms", "listen", "name", "mode", "address",
	"udp_size", "out_of_zone", "pools", "zones", "a", "aaaa", "up", "check", "checks",
	"min_up", "type", "target", "port", "source", "interval_ms", "fast_interval_ms", "rise",
	"fall", "http", "path", "host", "status", "expect", "qtype", "rcode", "recursion",
	"backend", "bird_socket", "hook", "hook_timeout_ms", "tick_ms", "lease",
	"lease_interface", "guard", "guard_window_ms", "drain", "community", "rate_pps",
	"prefix", "protocol", "min_healthy", "hold_down_ms", "backoff_max_ms", "ttl", "soa",
	"ns", "records", "mname", "rname", "serial", "refresh", "retry", "expire", "minimum",
	"policy", "values", "default", "weights", "regions", "countries", "continents", "csv",
	"mmdb", "seed", "udp_timeout", "new_flow_rate", "fragments", "ip_options", "source4",
	"source6", "conntrack_size", "conntrack6_size", "vip", "proto", "table_size", "backends", "weight", "<<", "? [a]", "\"\"",
};

/* Text put in at a random place: structure, encoding and YAML-feature junk. */
static const char *const inserts[] = {
	"\t",	      "\0",	     "\xc3\x28",   "\xff",	"\xed\xa0\x80", "\xef\xbb\xbf",
	"\r",	      "\r\n",	     "\n",	   "\n---\n",	"\n...\n",	"%YAML 1.1\n",
	"%TAG ! x\n", "&a ",	     "*a",	   "<<: *a\n",	"!!str ",	"!!map ",
	"? ",	      ": ",	     "- ",	   "#",		"'",		"\"",
	"{",	      "}",	     "[",	   "]",		",",		"&b [*b]",
	"&c {k: *c}", "!<tag:x> ",  "\\",	   "\x1b[31m",	"\xe2\x80\xae", "\xf4\x90\x80\x80",
};

static void put_text(struct fuzz_rng *r, struct fuzz_buf *b, size_t off, size_t del,
		     const char *s, size_t n)
{
	(void)r;
	fuzz_splice(b, off, del, s, n);
}

/* Start and end (exclusive, before '\n') of a random line. */
static bool rand_line(struct fuzz_rng *r, const struct fuzz_buf *b, size_t *start, size_t *end)
{
	size_t at;

	if (!b->len)
		return false;
	at = fuzz_below(r, b->len);
	*start = at;
	while (*start && b->p[*start - 1] != '\n')
		(*start)--;
	*end = at;
	while (*end < b->len && b->p[*end] != '\n')
		(*end)++;
	return true;
}

/* A random token: a run of [A-Za-z0-9._/:@-] (a key, a value, part of a flow list). */
static bool rand_token(struct fuzz_rng *r, const struct fuzz_buf *b, size_t *start, size_t *end)
{
	size_t at, tries;

#define TOKEN_CH(c) (isalnum((unsigned char)(c)) || strchr("._/:@-", (c)))
	for (tries = 0; tries < 8 && b->len; tries++) {
		at = fuzz_below(r, b->len);
		if (!b->p[at] || !TOKEN_CH(b->p[at]))
			continue;
		*start = at;
		while (*start && b->p[*start - 1] && TOKEN_CH(b->p[*start - 1]))
			(*start)--;
		*end = at;
		while (*end < b->len && b->p[*end] && TOKEN_CH(b->p[*end]))
			(*end)++;
		return true;
	}
#undef TOKEN_CH
	return false;
}

/* A long string, very deep nesting, or many entries: what sizes and depth limits are for. */
static void put_big(struct fuzz_rng *r, struct fuzz_buf *b, size_t off, size_t del)
{
	static char tmp[200000];
	size_t n = 0, depth, i;

	switch (fuzz_below(r, 6)) {
	case 0: /* a long scalar */
		n = 1 + fuzz_below(r, 8192);
		memset(tmp, fuzz_below(r, 2) ? 'a' : '.', n);
		break;
	case 1: /* a long DNS-ish name: 63-byte labels */
		for (i = 0; n + 65 < 1200 && i < 1 + fuzz_below(r, 18); i++) {
			memset(tmp + n, 'x', 63);
			n += 63;
			tmp[n++] = '.';
		}
		break;
	case 2: /* deep flow nesting */
		depth = 1 + fuzz_below(r, 20000);
		memset(tmp, '[', depth);
		memset(tmp + depth, ']', depth);
		n = 2 * depth;
		break;
	case 3: /* deep mapping nesting */
		depth = 1 + fuzz_below(r, 5000);
		for (i = 0; i < depth; i++) {
			memcpy(tmp + n, "{a: ", 4);
			n += 4;
		}
		tmp[n++] = 'x';
		memset(tmp + n, '}', depth);
		n += depth;
		break;
	case 4: /* a long list */
		tmp[n++] = '[';
		depth = 1 + fuzz_below(r, 5000);
		for (i = 0; i < depth; i++)
			n += snprintf(tmp + n, sizeof(tmp) - n, "%s198.51.100.%zu", i ? ", " : "",
				      i % 256);
		tmp[n++] = ']';
		break;
	default: /* an alias bomb: each level twice the one before */
		n = snprintf(tmp, sizeof(tmp), "{l0: &l0 [x, x]");
		for (i = 1; i < 24; i++)
			n += snprintf(tmp + n, sizeof(tmp) - n, ", l%zu: &l%zu [*l%zu, *l%zu]", i,
				      i, i - 1, i - 1);
		tmp[n++] = '}';
		break;
	}
	put_text(r, b, off, del, tmp, n);
}

static void mutate(struct fuzz_rng *r, struct fuzz_buf *b, const struct seed *seeds,
		   size_t n_seeds)
{
	size_t s, e, s2, e2, n;
	const char *v;
	char line[4096];

	switch (fuzz_below(r, 16)) {
	case 0:
		fuzz_flip_bit(r, b);
		break;
	case 1:
		fuzz_set_byte(r, b);
		break;
	case 2: /* delete a line */
		if (rand_line(r, b, &s, &e))
			fuzz_splice(b, s, e - s + (e < b->len), "", 0);
		break;
	case 3: /* duplicate a line */
		if (rand_line(r, b, &s, &e) && e - s < sizeof(line) - 1) {
			memcpy(line, b->p + s, e - s);
			line[e - s] = '\n';
			fuzz_splice(b, s, 0, line, e - s + 1);
		}
		break;
	case 4: /* move a line elsewhere */
		if (rand_line(r, b, &s, &e) && e - s < sizeof(line) - 1) {
			memcpy(line, b->p + s, e - s);
			line[e - s] = '\n';
			n = e - s + 1;
			fuzz_splice(b, s, n, "", 0);
			if (rand_line(r, b, &s2, &e2))
				fuzz_splice(b, s2, 0, line, n);
		}
		break;
	case 5:
	case 6:
	case 7: /* a token (value or key) becomes an edge value */
		if (rand_token(r, b, &s, &e)) {
			v = edge_values[fuzz_below(r, sizeof(edge_values) / sizeof(edge_values[0]))];
			put_text(r, b, s, e - s, v, strlen(v));
		}
		break;
	case 8: /* a token becomes some key of the schema */
		if (rand_token(r, b, &s, &e)) {
			v = keys[fuzz_below(r, sizeof(keys) / sizeof(keys[0]))];
			put_text(r, b, s, e - s, v, strlen(v));
		}
		break;
	case 9: /* "KEY: VALUE" inserted with the indentation of a random line */
		if (rand_line(r, b, &s, &e)) {
			for (e2 = s; e2 < e && b->p[e2] == ' '; e2++)
				;
			n = snprintf(line, sizeof(line), "%.*s%s: %s\n", (int)(e2 - s), b->p + s,
				     keys[fuzz_below(r, sizeof(keys) / sizeof(keys[0]))],
				     edge_values[fuzz_below(r, sizeof(edge_values) /
								       sizeof(edge_values[0]))]);
			if (n < sizeof(line))
				fuzz_splice(b, s, 0, line, n);
		}
		break;
	case 10: { /* structural junk */
		const char *ins = inserts[fuzz_below(r, sizeof(inserts) / sizeof(inserts[0]))];

		n = *ins ? strlen(ins) : 1; /* "\0" is one NUL byte */
		put_text(r, b, fuzz_below(r, b->len + 1), 0, ins, n);
		break;
	}
	case 11: /* indentation off by one level */
		if (rand_line(r, b, &s, &e)) {
			if (fuzz_below(r, 2) && e - s >= 2 && b->p[s] == ' ' && b->p[s + 1] == ' ')
				fuzz_splice(b, s, 2, "", 0);
			else
				fuzz_splice(b, s, 0, "  ", 2);
		}
		break;
	case 12: /* a line of another seed */
		if (n_seeds) {
			const struct seed *o = &seeds[fuzz_below(r, n_seeds)];
			struct fuzz_buf ob = o->text;

			if (rand_line(r, &ob, &s2, &e2) && e2 - s2 < sizeof(line) - 1 &&
			    rand_line(r, b, &s, &e)) {
				memcpy(line, ob.p + s2, e2 - s2);
				line[e2 - s2] = '\n';
				fuzz_splice(b, s, 0, line, e2 - s2 + 1);
			}
		}
		break;
	case 13:
		if (rand_token(r, b, &s, &e))
			put_big(r, b, s, e - s);
		break;
	case 14:
		fuzz_dup_chunk(r, b);
		break;
	default:
		if (!fuzz_below(r, 8))
			fuzz_truncate(r, b);
		else
			fuzz_flip_bit(r, b);
		break;
	}
}

/*
 * At least the lines libyaml counts: it breaks lines at CR, LF, CRLF, NEL
 * (0x85) and U+2028/9 (0xe2 0x80 0xa8/9), so count each of their bytes.
 */
static size_t count_lines(const struct fuzz_buf *b)
{
	size_t i, n = 1;

	for (i = 0; i < b->len; i++)
		n += b->p[i] == '\n' || b->p[i] == '\r' || (unsigned char)b->p[i] == 0x85 ||
		     (unsigned char)b->p[i] == 0xe2;
	return n;
}

/*
 * The error contract: one line "FILE:LINE: ...", LINE >= 1 and, for the
 * config itself, inside it; no control bytes. NULL if met, else why not.
 */
static const char *check_err(const char *err, const char *name, const struct fuzz_buf *in)
{
	const char *colon, *p;
	unsigned long line;
	char *end;

	if (!*err)
		return "empty error message";
	for (p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "control byte in the error message";
	if (!strncmp(err, name, strlen(name)) && err[strlen(name)] == ':') {
		colon = err + strlen(name);
	} else {
		/* The geo CSV (or another file the config names): PATH:LINE: */
		colon = strstr(err, ": ");
		if (!colon)
			return "no FILE:LINE: prefix";
		while (colon > err && colon[-1] != ':')
			colon--;
		if (colon == err)
			return "no FILE:LINE: prefix";
		colon--;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return "no line number after FILE:";
	line = strtoul(colon + 1, &end, 10);
	if (*end != ':' || end[1] != ' ')
		return "no ': ' after FILE:LINE";
	if (!line)
		return "line 0";
	if (colon == err + strlen(name) && line > count_lines(in) + 1)
		return "line number past the end of the config";
	return NULL;
}

/* The Maglev table of every service, as user/lb.c fills it. 0 or -errno. */
static int fill_tables(const struct edge_config *cfg, struct fuzz_stats *st, char *why,
		       size_t whylen)
{
	struct edge_maglev_backend *mb;
	__u32 *table;
	size_t i, j, live;
	int ret = 0;

	for (i = 0; i < cfg->n_services && !ret; i++) {
		const struct edge_cfg_service *s = &cfg->services[i];

		mb = calloc(s->n_backends ? s->n_backends : 1, sizeof(*mb));
		table = calloc(s->table_size, sizeof(*table));
		if (!mb || !table) {
			free(mb);
			free(table);
			snprintf(why, whylen, "services[%zu]: table_size %u: out of memory", i,
				 s->table_size);
			return -ENOMEM;
		}
		for (j = live = 0; j < s->n_backends; j++) {
			memcpy(mb[j].id, s->backends[j].addr.addr, 16);
			mb[j].id_len = 16;
			mb[j].weight = s->backends[j].drain ? 0 : s->backends[j].weight;
			live += mb[j].weight > 0;
		}
		if (live) {
			ret = edge_maglev_fill(mb, s->n_backends, 0x0123456789abcdefULL, table,
					       s->table_size);
			if (ret)
				snprintf(why, whylen,
					 "services[%zu] (line %d): accepted, but the Maglev fill "
					 "failed: %s",
					 i, s->line, strerror(-ret));
			for (j = 0; !ret && j < s->table_size; j++)
				if (table[j] >= s->n_backends || !mb[table[j]].weight) {
					snprintf(why, whylen,
						 "services[%zu]: slot %zu -> %u, not a live backend",
						 i, j, table[j]);
					ret = -EINVAL;
				}
			st->maglev++;
		}
		free(mb);
		free(table);
	}
	return ret;
}

/*
 * An emitted zone file as a zone parser needs it: comments, $ORIGIN and
 * $TTL, and records "OWNER<TAB>TTL<TAB>IN<TAB>TYPE<TAB>RDATA" whose owner
 * is absolute and made of [a-z0-9_-.]; no control byte but tab and
 * newline. NULL if so, else what is wrong.
 */
static const char *check_zone_text(const char *text)
{
	const char *line, *nl, *p;
	size_t tabs, i;

	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			return "last line without a newline";
		for (p = line; p < nl; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return "control byte in a zone file";
		if (*line == ';' || !strncmp(line, "$ORIGIN ", 8) || !strncmp(line, "$TTL ", 5))
			continue;
		for (p = line, tabs = 0; p < nl; p++)
			tabs += *p == '\t';
		if (tabs != 4)
			return "a record line without 5 tab-separated fields";
		for (i = 0; line[i] != '\t'; i++)
			if (!islower((unsigned char)line[i]) && !isdigit((unsigned char)line[i]) &&
			    !strchr("_-.", line[i]))
				return "an owner with a character a zone file would misread";
		if (!i || line[i - 1] != '.')
			return "an owner that is not absolute";
	}
	return NULL;
}

/* What the daemon computes from an accepted config. NULL if fine, else why not. */
static const char *after_load(const struct edge_config *cfg, struct fuzz_stats *st, char *why,
			      size_t whylen)
{
	struct edge_dns_compiled c = {};
	char err[ERR_LEN];
	size_t z;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (!cfg->n_ifaces || (!cfg->n_vips && !cfg->n_services))
		return "accepted without interfaces or VIPs";
	ret = edge_dns_compile(cfg, &c, err, sizeof(err));
	if (ret) {
		/* Refusing here is a reload failure with a reason: allowed, but say why. */
		if (!*err) {
			snprintf(why, whylen, "edge_dns_compile failed (%d) without a message", ret);
			return why;
		}
	} else {
		st->compiled++;
	}
	edge_dns_compiled_free(&c);

	for (z = 0; z < cfg->n_zones; z++) {
		f = open_memstream(&text, &len);
		if (!f)
			return "open_memstream failed";
		ret = edge_zonefile_write(f, cfg, z);
		fclose(f);
		if (ret) {
			snprintf(why, whylen, "zone %s: edge_zonefile_write: %d", cfg->zones[z].name,
				 ret);
			free(text);
			return why;
		}
		if (strlen(text) != len) {
			free(text);
			return "NUL byte in an emitted zone file";
		}
		if (check_zone_text(text)) {
			snprintf(why, whylen, "zone %s: %s", cfg->zones[z].name,
				 check_zone_text(text));
			free(text);
			return why;
		}
		free(text);
		text = NULL;
	}
	if (fill_tables(cfg, st, why, whylen))
		return why;
	return NULL;
}

static size_t load_seeds(struct seed *seeds, size_t max)
{
	static const char *const fixed[] = {"scripts/examples/edge.yaml",
					    "scripts/examples/lb.yaml",
					    "scripts/examples/anycast.yaml"};
	char root[PATH_MAX], dir[PATH_MAX + 32];
	struct dirent **ents;
	size_t n = 0, i;
	int k, ne;

	fuzz_root(root, sizeof(root));
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && n < max; i++) {
		snprintf(seeds[n].path, sizeof(seeds[n].path), "%s%s", root, fixed[i]);
		if (!fuzz_read_file(seeds[n].path, &seeds[n].text))
			n++;
	}
	snprintf(dir, sizeof(dir), "%stests/fuzz/config", root);
	ne = scandir(dir, &ents, NULL, alphasort);
	for (k = 0; k < ne; k++) {
		const char *nm = ents[k]->d_name;
		size_t l = strlen(nm);

		if (n < max && l > 5 && !strcmp(nm + l - 5, ".yaml")) {
			if (snprintf(seeds[n].path, sizeof(seeds[n].path), "%s/%s", dir, nm) <
				    (int)sizeof(seeds[n].path) &&
			    !fuzz_read_file(seeds[n].path, &seeds[n].text))
				n++;
		}
		free(ents[k]);
	}
	if (ne >= 0)
		free(ents);
	return n;
}

static void free_seeds(struct seed *seeds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fuzz_buf_free(&seeds[i].text);
}

/* Write the failing input where a human can replay it: anyedged -c FILE --check-config */
static void save_input(const struct fuzz_buf *b, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "/tmp/anyedge-config-fuzz-%d.yaml", (int)getpid());
	f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len)
		snprintf(path, size, "(could not save the input)");
	if (f)
		fclose(f);
}

TEST(config_fuzz_seeds_are_valid)
{
	struct seed seeds[MAX_SEEDS];
	struct edge_config cfg;
	struct fuzz_stats st = {};
	char err[ERR_LEN], why[ERR_LEN];
	const char *bad;
	size_t n, i;

	memset(seeds, 0, sizeof(seeds));
	edge_log_set_level(EDGE_LOG_QUIET);
	n = load_seeds(seeds, MAX_SEEDS);
	ASSERT_TRUE(n >= 5);
	for (i = 0; i < n; i++) {
		int ret = edge_config_parse(seeds[i].text.p, seeds[i].text.len, seeds[i].path, &cfg,
					    err, sizeof(err));

		if (ret) {
			free_seeds(seeds, n);
			FAIL("seed %s refused: %s", seeds[i].path, err);
		}
		bad = after_load(&cfg, &st, why, sizeof(why));
		edge_config_free(&cfg);
		if (bad) {
			free_seeds(seeds, n);
			FAIL("seed %s: %s", seeds[i].path, bad);
		}
	}
	free_seeds(seeds, n);
	ASSERT_TRUE(st.compiled >= 3);
	ASSERT_TRUE(st.maglev >= 3);
	ASSERT_EQ(fuzz_leaks(), 0);
}

TEST(config_fuzz_mutations_load_or_name_file_and_line)
{
	unsigned long iters = fuzz_iters(CFG_FUZZ_ITERS), it;
	struct fuzz_rng rng = {.s = fuzz_seed(0x616e7965646765ULL)}; /* "anyedge" */
	struct seed seeds[MAX_SEEDS];
	struct fuzz_stats st = {};
	struct fuzz_buf in = {};
	struct edge_config cfg;
	char err[ERR_LEN], why[ERR_LEN], saved[128];
	const char *bad = NULL;
	size_t n, k, rounds;
	int ret;

	memset(seeds, 0, sizeof(seeds));
	edge_log_set_level(EDGE_LOG_QUIET);
	n = load_seeds(seeds, MAX_SEEDS);
	ASSERT_TRUE(n >= 5);
	for (it = 0; it < iters && !bad; it++) {
		const struct seed *sd = &seeds[it % n];

		fuzz_set(&in, sd->text.p, sd->text.len);
		rounds = 1 + fuzz_below(&rng, 4);
		for (k = 0; k < rounds; k++)
			mutate(&rng, &in, seeds, n);

		ret = edge_config_parse(in.p, in.len, sd->path, &cfg, err, sizeof(err));
		if (ret) {
			st.refused++;
			if (ret == -ENOMEM)
				bad = "out of memory";
			else if (ret > 0)
				bad = "positive return";
			else
				bad = check_err(err, sd->path, &in);
			if (bad && snprintf(why, sizeof(why), "%s: \"%s\"", bad, err) >= 0)
				bad = why;
			continue;
		}
		st.ok++;
		bad = after_load(&cfg, &st, why, sizeof(why));
		edge_config_free(&cfg);
	}
	if (bad) {
		save_input(&in, saved, sizeof(saved));
		fuzz_buf_free(&in);
		free_seeds(seeds, n);
		FAIL("iteration %lu (seed %s, input saved as %s): %s", it - 1,
		     seeds[(it - 1) % n].path, saved, bad);
	}
	fuzz_buf_free(&in);
	free_seeds(seeds, n);
	printf("# config fuzz: %lu inputs: %lu accepted (%lu compiled, %lu Maglev fills), %lu "
	       "refused\n",
	       iters, st.ok, st.compiled, st.maglev, st.refused);
	fflush(stdout);
	/* The mutations must leave some inputs valid, or the compile steps go unfuzzed. */
	ASSERT_TRUE(st.ok > iters / 50);
	ASSERT_TRUE(st.refused > iters / 2);
	ASSERT_EQ(fuzz_leaks(), 0);
}

/*
 * Found by fuzzing: libyaml's scanner is quadratic in flow nesting and its
 * loader in anchors x aliases; a 400 KB config of 200,000 '[' kept the
 * parser (and so a reload, and the watchdog) busy for minutes. Now the
 * shape is checked first.
 */
static int parse_text(const char *text, size_t len, char *err)
{
	if (len == (size_t)-1)
		len = strlen(text);
	struct edge_config cfg;
	int ret;

	ret = edge_config_parse(text, len, "t.yaml", &cfg, err, ERR_LEN);
	if (!ret)
		edge_config_free(&cfg);
	return ret;
}

TEST(config_deep_nesting_refused_with_line)
{
	const char *head = "interfaces: [{name: eth0}]\nvips:\n  - address: ";
	size_t depth = 200000, hl = strlen(head), i;
	char *text = malloc(hl + 2 * depth + 2), err[ERR_LEN];
	int ret;

	ASSERT_TRUE(text);
	memcpy(text, head, hl);
	memset(text + hl, '[', depth);
	memset(text + hl + depth, ']', depth);
	text[hl + 2 * depth] = '\n';
	ret = parse_text(text, hl + 2 * depth + 1, err);
	free(text);
	ASSERT_EQ(ret, -EINVAL);
	ASSERT_STRSTR(err, "t.yaml:3: nested more than 64 levels deep");

	/* Block nesting too; and 64 levels are still parsed (and refused by the schema). */
	text = malloc(200 * 140);
	ASSERT_TRUE(text);
	i = (size_t)sprintf(text, "interfaces: [{name: eth0}]\nvips:\n");
	for (depth = 0; depth < 100; depth++)
		i += sprintf(text + i, "%*s- \n", (int)(2 * depth + 2), "");
	ret = parse_text(text, i, err);
	free(text);
	ASSERT_EQ(ret, -EINVAL);
	ASSERT_STRSTR(err, "nested more than 64 levels deep");
	ASSERT_EQ(parse_text("interfaces: [{name: eth0}]\nvips: [[[[[[[[[[]]]]]]]]]]\n", -1, err),
		  -EINVAL);
	ASSERT_STRSTR(err, "t.yaml:2: vips[0]: expected a mapping, got a list");
}

TEST(config_alias_flood_refused_with_line)
{
	size_t n = 40000, i, off;
	char *text = malloc(n * 32 + 128), err[ERR_LEN];
	int ret;

	ASSERT_TRUE(text);
	off = (size_t)sprintf(text, "interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\n"
				    "x:\n");
	for (i = 0; i < 10; i++)
		off += sprintf(text + off, "  a%zu: &a%zu v\n", i, i);
	for (i = 0; i < n; i++)
		off += sprintf(text + off, "  b%zu: *a%zu\n", i, i % 10);
	ret = parse_text(text, off, err);
	free(text);
	ASSERT_EQ(ret, -EINVAL);
	ASSERT_STRSTR(err, "t.yaml:4110: more than 4096 aliases");

	/* Anchors are counted too (each costs a search per alias). */
	text = malloc(n * 32 + 128);
	ASSERT_TRUE(text);
	off = (size_t)sprintf(text, "interfaces: [{name: eth0}]\n");
	for (i = 0; i < n; i++)
		off += sprintf(text + off, "a%zu: &a%zu v\n", i, i);
	ret = parse_text(text, off, err);
	free(text);
	ASSERT_EQ(ret, -EINVAL);
	ASSERT_STRSTR(err, "t.yaml:4098: more than 4096 anchors");
	/* A few aliases are fine: the schema decides. */
	ASSERT_EQ(parse_text("interfaces: [{name: eth0}]\nvips: [&v {address: 192.0.2.1}, *v]\n",
			     -1, err),
		  -EINVAL);
	ASSERT_STRSTR(err, "vips[1].address");
}

/*
 * Found by fuzzing: a health check's http.host with a tab was echoed raw
 * by the check validator, so the "one line" error held a control byte.
 */
TEST(config_error_from_check_validator_is_one_line)
{
	char err[ERR_LEN];
	const char *p;

	ASSERT_EQ(parse_text("interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\n"
			     "dns:\n  pools:\n    - name: web\n      a: [192.0.2.2]\n"
			     "      check: {type: http, http: {host: \"a\\tb\\nc\\u001b\"}}\n",
			     -1, err),
		  -EINVAL);
	ASSERT_STRSTR(err, "t.yaml:7: dns.pools[0].check: http.host \"a?b?c?\" holds spaces");
	for (p = err; *p; p++)
		ASSERT_FALSE((unsigned char)*p < 0x20);
}

/*
 * Found by review while fuzzing the emitter: the config's path went into
 * the zone file's first comment as is, so a path with a newline turned
 * the rest of it into zone data.
 */
TEST(zonefile_config_path_with_newline_stays_a_comment)
{
	struct edge_config cfg;
	const char *yaml = "interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.1}]\n"
			   "dns:\n  zones:\n    - name: Example.COM.\n"
			   "      soa: {mname: ns1.example.com, rname: h.example.com}\n"
			   "      ns: [ns1.example.com]\n      records:\n"
			   "        - {name: _x-1.a.b, type: A, values: [192.0.2.7]}\n"
			   "        - {name: 0, type: AAAA, values: [\"2001:db8::7\"]}\n";
	char err[ERR_LEN], *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	ASSERT_OK(edge_config_parse(yaml, strlen(yaml), "/tmp/x\nevil.example.com. 1 IN A 6.6.6.6\n",
				    &cfg, err, sizeof(err)));
	f = open_memstream(&text, &len);
	ASSERT_TRUE(f);
	ret = edge_zonefile_write(f, &cfg, 0);
	fclose(f);
	edge_config_free(&cfg);
	if (ret || check_zone_text(text)) {
		free(text);
		FAIL("write %d: %s", ret, ret ? "" : check_zone_text(text));
	}
	ASSERT_FALSE(strstr(text, "\nevil"));
	ASSERT_TRUE(strstr(text, "from /tmp/x?evil.example.com. 1 IN A 6.6.6.6?.\n"));
	ASSERT_TRUE(strstr(text, "_x-1.a.b.example.com.\t300\tIN\tA\t192.0.2.7\n"));
	ASSERT_TRUE(strstr(text, "0.example.com.\t300\tIN\tAAAA\t2001:db8::7\n"));
	free(text);
}
