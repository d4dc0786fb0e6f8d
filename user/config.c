// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration: the YAML file, loaded with libyaml's document API, walked
 * and validated into struct edge_config.
 *
 * Every node carries its line, so every error names FILE:LINE and the
 * field path ("t.yaml:7: vips[1].address: ..."). Keys the schema does not
 * know are errors: a typo must never fall back to a default silently.
 *
 * The walk follows the schema, never the document's shape, so aliases
 * (even cyclic ones) cannot make it recurse or loop.
 *
 * GeoDNS: pools, then zones with their records (each record resolved to
 * its absolute owner and checked against the pools and regions it names),
 * and the geo section with its prefix -> region CSV, read here so that a
 * bad line fails --check-config too ("CSVFILE:LINE: cause").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include <netinet/in.h>

#include "edge_lb.h"
#include "config.h"
#include "geo_mmdb.h"
#include "maglev.h"

#define CFG_MAX_IFACES	  16
#define CFG_TTL_DEFAULT	  300
#define CFG_TTL_MAX	  2147483647ULL
#define CFG_UDP_SIZE_MIN  512
#define CFG_UDP_SIZE_MAX  4096
#define CFG_SOA_SERIAL	  1 /* when the config gives none */
#define CFG_SOA_REFRESH	  3600
#define CFG_SOA_RETRY	  600
#define CFG_SOA_EXPIRE	  1209600
#define CFG_SOA_MINIMUM	  300
#define CFG_FILE_MAX	  (64 << 20) /* bytes; far above any real config */
#define CFG_FIELD_LEN	  128	     /* "dns.zones[1023].records[65535].geo.eu[3]" etc. */
#define CFG_SHOW_LEN	  48	     /* user text quoted in a message */
/*
 * libyaml's scanner costs O(depth) per token inside flow collections and
 * its loader looks each alias up among all anchors, so a small hostile
 * file could keep a reload busy for minutes (100,000 '[': 59 s; 40,000
 * aliases: 22 s). These limits are far above any real config (it nests
 * 8 deep) and bound both.
 */
#define CFG_MAX_DEPTH	  64
#define CFG_MAX_ALIASES	  4096 /* and as many anchors */
#define CFG_DNS_TYPE_A	  EDGE_CFG_DNS_TYPE_A
#define CFG_DNS_TYPE_AAAA EDGE_CFG_DNS_TYPE_AAAA
#define CFG_MAX_RECORDS	  EDGE_MAX_DNS_NAMES /* in all zones together */

struct parser {
	const char *file; /* FILE in messages */
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	char shown[CFG_SHOW_LEN + 4]; /* show(): one user string per message */
	size_t rrsets_cap;	      /* allocated entries of cfg->rrsets */
};

/* Mapping schemas: the allowed keys, NULL-terminated, and their indexes. */
static const char *const root_keys[] = {"pin_path", "interfaces", "vips",    "dns",
					"geo",	    "lb",	  "services", "route",
					"anycast",  "control",	  "metrics",  NULL};
enum {
	ROOT_PIN_PATH,
	ROOT_INTERFACES,
	ROOT_VIPS,
	ROOT_DNS,
	ROOT_GEO,
	ROOT_LB,
	ROOT_SERVICES,
	ROOT_ROUTE,
	ROOT_ANYCAST,
	ROOT_CONTROL,
	ROOT_METRICS,
	ROOT__N
};

static const char *const control_keys[] = {"socket", "timeout_ms", NULL};
enum { CONTROL_SOCKET, CONTROL_TIMEOUT_MS, CONTROL__N };

static const char *const metrics_keys[] = {"listen", NULL};
enum { METRICS_LISTEN, METRICS__N };

static const char *const iface_keys[] = {"name", "mode", NULL};
enum { IFACE_NAME, IFACE_MODE, IFACE__N };

static const char *const vip_keys[] = {"address", "dns", NULL};
enum { VIP_ADDRESS, VIP_DNS, VIP__N };

static const char *const dns_keys[] = {"udp_size", "out_of_zone", "rrl", "pools", "zones", NULL};
enum { DNS_UDP_SIZE, DNS_OUT_OF_ZONE, DNS_RRL, DNS_POOLS, DNS_ZONES, DNS__N };
static const char *const rrl_keys[] = {"rate", "burst", "slip", "ipv4_prefix", "ipv6_prefix",
				       NULL};
enum { RRL_RATE, RRL_BURST, RRL_SLIP, RRL_PREFIX4, RRL_PREFIX6, RRL__N };

static const char *const pool_keys[] = {"name", "a", "aaaa", "up", "check", "checks", "min_up",
					NULL};
enum { POOL_NAME, POOL_A, POOL_AAAA, POOL_UP, POOL_CHECK, POOL_CHECKS, POOL_MIN_UP, POOL__N };

/* A health check: `check:` (per pool address, no target) or a `checks:` entry. */
static const char *const check_keys[] = {"type",	"target",	    "port", "source",
					 "interval_ms", "fast_interval_ms", "timeout_ms",
					 "rise",	"fall",		    "http", "dns", "name",
					 NULL};
enum {
	CHK_TYPE,
	CHK_TARGET,
	CHK_PORT,
	CHK_SOURCE,
	CHK_INTERVAL,
	CHK_FAST_INTERVAL,
	CHK_TIMEOUT,
	CHK_RISE,
	CHK_FALL,
	CHK_HTTP,
	CHK_DNS,
	CHK_NAME,
	CHK__N
};

static const char *const check_http_keys[] = {"path", "host", "status", "expect", NULL};
enum { CHTTP_PATH, CHTTP_HOST, CHTTP_STATUS, CHTTP_EXPECT, CHTTP__N };

static const char *const check_dns_keys[] = {"name", "qtype", "rcode", "recursion", NULL};
enum { CDNS_NAME, CDNS_QTYPE, CDNS_RCODE, CDNS_RECURSION, CDNS__N };

static const char *const route_keys[] = {"backend", "bird_socket",     "hook",	"hook_timeout_ms",
					 "tick_ms", "lease",	       "lease_interface",
					 "guard",   "guard_window_ms", "drain", NULL};
enum {
	RT_BACKEND,
	RT_BIRD_SOCKET,
	RT_HOOK,
	RT_HOOK_TIMEOUT,
	RT_TICK,
	RT_LEASE,
	RT_LEASE_IF,
	RT_GUARD,
	RT_GUARD_WINDOW,
	RT_DRAIN,
	RT__N
};

static const char *const drain_keys[] = {"community", "timeout_ms", "rate_pps", NULL};
enum { DRAIN_COMMUNITY, DRAIN_TIMEOUT, DRAIN_RATE, DRAIN__N };

static const char *const anycast_keys[] = {"prefix",	     "protocol",      "pools",
					   "services",	     "min_healthy",   "hold_down_ms",
					   "backoff_max_ms", "lease",	      NULL};
enum {
	AC_PREFIX,
	AC_PROTOCOL,
	AC_POOLS,
	AC_SERVICES,
	AC_MIN_HEALTHY,
	AC_HOLD_DOWN,
	AC_BACKOFF_MAX,
	AC_LEASE,
	AC__N
};

static const char *const zone_keys[] = {"name", "ttl", "soa", "ns", "records", NULL};
enum { ZONE_NAME, ZONE_TTL, ZONE_SOA, ZONE_NS, ZONE_RECORDS, ZONE__N };

static const char *const soa_keys[] = {"mname",	 "rname",   "serial", "refresh", "retry",
				       "expire", "minimum", "ttl",    NULL};
enum {
	SOA_MNAME,
	SOA_RNAME,
	SOA_SERIAL,
	SOA_REFRESH,
	SOA_RETRY,
	SOA_EXPIRE,
	SOA_MINIMUM,
	SOA_TTL,
	SOA__N
};

static const char *const record_keys[] = {"name", "type",    "ttl",	"policy", "values",
					  "geo",  "default", "weights", "pools",  NULL};
enum {
	REC_NAME,
	REC_TYPE,
	REC_TTL,
	REC_POLICY,
	REC_VALUES,
	REC_GEO,
	REC_DEFAULT,
	REC_WEIGHTS,
	REC_POOLS,
	REC__N
};

static const char *const geo_keys[] = {"regions", "countries", "continents", "csv", "mmdb",
				      NULL};
enum { GEO_REGIONS, GEO_COUNTRIES, GEO_CONTINENTS, GEO_CSV, GEO_MMDB, GEO__N };

static const char *const lb_keys[] = {"seed",	       "udp_timeout",	   "new_flow_rate",
				     "fragments",      "ip_options",	   "source4",
				     "source6",	       "conntrack_size",   "conntrack6_size",
				     NULL};
enum {
	LB_SEED,
	LB_UDP_TIMEOUT,
	LB_NEW_FLOW_RATE,
	LB_FRAGMENTS,
	LB_IP_OPTIONS,
	LB_SOURCE4,
	LB_SOURCE6,
	LB_CONNTRACK_SIZE,
	LB_CONNTRACK6_SIZE,
	LB__N
};

static const char *const service_keys[] = {"vip",   "proto", "port",   "table_size", "backends",
					   "name",  "check", "min_up", NULL};
enum {
	SVC_VIP,
	SVC_PROTO,
	SVC_PORT,
	SVC_TABLE_SIZE,
	SVC_BACKENDS,
	SVC_NAME,
	SVC_CHECK,
	SVC_MIN_UP,
	SVC__N
};

static const char *const backend_keys[] = {"address", "weight", "drain", NULL};
enum { BE_ADDRESS, BE_WEIGHT, BE_DRAIN, BE__N };

#define CFG_MAX_KEYS 12 /* the largest schema above */

static const char *const mode_names[] = {
	[EDGE_ATTACH_AUTO] = "auto",
	[EDGE_ATTACH_NATIVE] = "native",
	[EDGE_ATTACH_SKB] = "skb",
};

const char *edge_attach_mode_str(enum edge_attach_mode mode)
{
	if ((unsigned int)mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "unknown";
	return mode_names[mode];
}

/*
 * Messages are one line of text whatever the user wrote: text that other
 * modules echo (a health check's host, a name) may hold any byte.
 */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * "FILE:LINE: FIELD: cause", or "FILE:LINE: cause" without a field.
 * Always returns -EINVAL so callers can `return parse_err(...)`.
 */
__attribute__((format(printf, 4, 5))) static int parse_err(struct parser *p, size_t line,
							   const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->errlen)
		return -EINVAL;
	if (field)
		n = snprintf(p->err, p->errlen, "%s:%zu: %s: ", p->file, line, field);
	else
		n = snprintf(p->err, p->errlen, "%s:%zu: ", p->file, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	one_line(p->err);
	return -EINVAL;
}

static int oom_err(struct parser *p)
{
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s: out of memory", p->file);
	return -ENOMEM;
}

/* User text made safe for a one-line message: short, no control bytes. */
static const char *show(struct parser *p, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < CFG_SHOW_LEN; i++)
		p->shown[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(p->shown + i, s[i] ? "..." : "");
	return p->shown;
}

/* Field paths are short; a long one (an unknown key) is cut with "...". */
static const char *field_fit(char *buf, int n)
{
	if (n >= CFG_FIELD_LEN)
		strcpy(buf + CFG_FIELD_LEN - 4, "...");
	return buf;
}

/* "parent.key", or "key" at the top level. */
static const char *join(char *buf, const char *parent, const char *key)
{
	return field_fit(buf,
			 snprintf(buf, CFG_FIELD_LEN, "%s%s%s", parent, *parent ? "." : "", key));
}

/* "parent[i]" */
static const char *item(char *buf, const char *parent, size_t i)
{
	return field_fit(buf, snprintf(buf, CFG_FIELD_LEN, "%s[%zu]", parent, i));
}

static size_t node_line(const yaml_node_t *node)
{
	return node->start_mark.line + 1;
}

static const char *scalar(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A plain empty, "~" or "null" scalar: "key:" with nothing after it. */
static bool node_is_null(const yaml_node_t *node)
{
	const char *v;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = scalar(node);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return node_is_null(node) ? "nothing" : "a single value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int expect_kind(struct parser *p, const yaml_node_t *node, const char *field,
		       yaml_node_type_t type)
{
	static const char *const want[] = {
		[YAML_SCALAR_NODE] = "a single value",
		[YAML_SEQUENCE_NODE] = "a list",
		[YAML_MAPPING_NODE] = "a mapping",
	};

	if (node->type == type && !node_is_null(node))
		return 0;
	return parse_err(p, node_line(node), field, "expected %s, got %s", want[type],
			 node_kind(node));
}

static yaml_node_t *seq_item(struct parser *p, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(p->doc, seq->data.sequence.items.start[i]);
}

static size_t seq_len(const yaml_node_t *seq)
{
	return seq->data.sequence.items.top - seq->data.sequence.items.start;
}

/* A list of min..max entries; *count gets its length. */
static int get_list(struct parser *p, const yaml_node_t *node, const char *field, size_t min,
		    size_t max, size_t *count)
{
	int ret;

	ret = expect_kind(p, node, field, YAML_SEQUENCE_NODE);
	if (ret)
		return ret;
	*count = seq_len(node);
	if (*count < min || *count > max)
		return parse_err(p, node_line(node), field, "has %zu entries, expected %zu..%zu",
				 *count, min, max);
	return 0;
}

static int get_str(struct parser *p, const yaml_node_t *node, const char *field, const char **out)
{
	int ret;

	ret = expect_kind(p, node, field, YAML_SCALAR_NODE);
	if (ret)
		return ret;
	/* A double-quoted "\0" would otherwise cut the value short. */
	if (strlen(scalar(node)) != node->data.scalar.length)
		return parse_err(p, node_line(node), field, "contains a NUL character");
	*out = scalar(node);
	return 0;
}

/* Decimal digits only: no sign, no junk, no hex, within min..max. */
static int get_uint(struct parser *p, const yaml_node_t *node, const char *field,
		    unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	const char *s;
	char *end;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return parse_err(p, node_line(node), field, "'%s' is not an integer in %llu..%llu",
			 show(p, s), min, max);
}

static int get_bool(struct parser *p, const yaml_node_t *node, const char *field, bool *out)
{
	const char *s;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes"))
		*out = true;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no"))
		*out = false;
	else
		return parse_err(p, node_line(node), field,
				 "'%s' is not a boolean (true, false, yes, no)", show(p, s));
	return 0;
}

/*
 * Collect the values of a mapping by schema: vals[i] gets the value of
 * keys[i], or NULL when absent (and knodes[i], if knodes is not NULL, its
 * key). Unknown and repeated keys are errors. path names the mapping
 * itself ("" for the top level).
 */
static int get_fields_keys(struct parser *p, const yaml_node_t *map, const char *path,
			   const char *const *keys, yaml_node_t **vals, yaml_node_t **knodes)
{
	const yaml_node_t *seen[CFG_MAX_KEYS] = {NULL};
	char field[CFG_FIELD_LEN], expected[CFG_FIELD_LEN];
	yaml_node_pair_t *pair;
	size_t i, nkeys, off;
	int ret;

	ret = expect_kind(p, map, *path ? path : "config", YAML_MAPPING_NODE);
	if (ret)
		return ret;
	for (nkeys = 0; keys[nkeys]; nkeys++) {
		vals[nkeys] = NULL;
		if (knodes)
			knodes[nkeys] = NULL;
	}

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(p->doc, pair->key);

		if (key->type != YAML_SCALAR_NODE)
			return parse_err(p, node_line(key), *path ? path : "config",
					 "expected a key name, got %s", node_kind(key));
		for (i = 0; i < nkeys && strcmp(scalar(key), keys[i]); i++)
			;
		if (i == nkeys) {
			off = 0;
			for (i = 0; i < nkeys && off < sizeof(expected); i++)
				off += snprintf(expected + off, sizeof(expected) - off, "%s%s",
						i ? ", " : "", keys[i]);
			return parse_err(p, node_line(key), join(field, path, show(p, scalar(key))),
					 "unknown key (expected one of: %s)", expected);
		}
		if (seen[i])
			return parse_err(p, node_line(key), join(field, path, keys[i]),
					 "repeated key (first at line %zu)", node_line(seen[i]));
		seen[i] = key;
		vals[i] = yaml_document_get_node(p->doc, pair->value);
		if (knodes)
			knodes[i] = key;
	}
	return 0;
}

static int get_fields(struct parser *p, const yaml_node_t *map, const char *path,
		      const char *const *keys, yaml_node_t **vals)
{
	return get_fields_keys(p, map, path, keys, vals, NULL);
}

/* A required key: report the line of the mapping that lacks it. */
static int require(struct parser *p, const yaml_node_t *map, const char *path, const char *key,
		   const yaml_node_t *val)
{
	char field[CFG_FIELD_LEN];

	if (val)
		return 0;
	return parse_err(p, node_line(map), join(field, path, key), "required field is missing");
}

/* IPv4 or IPv6; IPv4 is stored mapped (::ffff:a.b.c.d). */
static int parse_address(const char *s, struct edge_vip_key *key, int *family)
{
	memset(key, 0, sizeof(*key));
	if (inet_pton(AF_INET, s, &key->addr[3]) == 1) {
		key->addr[2] = htonl(0xffff);
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, key->addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* A string field holding an IPv4 or IPv6 address; *s keeps its text for later messages. */
static int get_address(struct parser *p, const yaml_node_t *node, const char *field,
		       struct edge_vip_key *key, int *family, const char **s)
{
	int ret = get_str(p, node, field, s);

	if (ret)
		return ret;
	if (parse_address(*s, key, family))
		return parse_err(p, node_line(node), field, "'%s' is not an IPv4 or IPv6 address",
				 show(p, *s));
	return 0;
}

/*
 * The real work of edge_dns_name_to_wire(), with the reason for a
 * rejection in *why. Labels are letters, digits, '-' and '_': anything
 * else in a name we answer for is a typo (or a wildcard, which the exact
 * match in the map could never honour).
 */
static int name_to_wire(const char *name, __u8 *wire, size_t size, const char **why)
{
	size_t len = strlen(name), start = 0, pos = 0, i, label;
	char c;

	*why = NULL;
	if (!len) {
		*why = "the name is empty";
		return -EINVAL;
	}
	if (!strcmp(name, ".")) {
		if (size < 1) {
			*why = "no room for the wire form";
			return -EINVAL;
		}
		wire[0] = 0;
		return 1;
	}
	if (name[len - 1] == '.')
		len--;

	for (i = 0; i <= len; i++) {
		c = i < len ? name[i] : '.';
		if (c != '.') {
			if (c == '*') {
				*why = "wildcards are not supported";
				return -EINVAL;
			}
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_')) {
				*why = "only letters, digits, '-' and '_' are allowed in labels";
				return -EINVAL;
			}
			continue;
		}
		label = i - start;
		if (!label) {
			*why = "empty label";
			return -EINVAL;
		}
		if (label > 63) {
			*why = "label longer than 63 characters";
			return -EINVAL;
		}
		/* This label, its length byte and the root label. */
		if (pos + 1 + label + 1 > EDGE_DNS_NAME_MAX) {
			*why = "longer than 255 bytes in wire form";
			return -EINVAL;
		}
		if (pos + 1 + label + 1 > size) {
			*why = "no room for the wire form";
			return -EINVAL;
		}
		wire[pos++] = label;
		for (; start < i; start++) {
			c = name[start];
			wire[pos++] = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
		}
		start = i + 1;
	}
	wire[pos++] = 0;
	return pos;
}

int edge_dns_name_to_wire(const char *name, __u8 *wire, size_t size)
{
	const char *why;

	return name_to_wire(name, wire, size, &why);
}

static int parse_iface(struct parser *p, const yaml_node_t *node, const char *path,
		       struct edge_cfg_iface *iface)
{
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[IFACE__N];
	const char *s;
	size_t len;
	int ret;

	ret = get_fields(p, node, path, iface_keys, v);
	if (ret)
		return ret;
	iface->line = node_line(node);

	ret = require(p, node, path, "name", v[IFACE_NAME]);
	if (ret)
		return ret;
	ret = get_str(p, v[IFACE_NAME], join(field, path, "name"), &s);
	if (ret)
		return ret;
	/* The kernel's dev_valid_name() rules. */
	len = strlen(s);
	if (!len || len >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, "..") ||
	    strpbrk(s, "/: \t\n\r\v\f"))
		return parse_err(
			p, node_line(v[IFACE_NAME]), field,
			"'%s' is not an interface name (1..%d characters, no '/', ':' or spaces)",
			show(p, s), IF_NAMESIZE - 1);
	strcpy(iface->name, s);

	iface->mode = EDGE_ATTACH_AUTO;
	if (v[IFACE_MODE]) {
		ret = get_str(p, v[IFACE_MODE], join(field, path, "mode"), &s);
		if (ret)
			return ret;
		if (!strcmp(s, "auto"))
			iface->mode = EDGE_ATTACH_AUTO;
		else if (!strcmp(s, "native"))
			iface->mode = EDGE_ATTACH_NATIVE;
		else if (!strcmp(s, "skb"))
			iface->mode = EDGE_ATTACH_SKB;
		else
			return parse_err(p, node_line(v[IFACE_MODE]), field,
					 "'%s' is not one of auto, native, skb", show(p, s));
	}
	return 0;
}

static int parse_ifaces(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	char path[CFG_FIELD_LEN], field[CFG_FIELD_LEN];
	size_t i, j, n;
	int ret;

	ret = get_list(p, node, "interfaces", 1, CFG_MAX_IFACES, &n);
	if (ret)
		return ret;
	cfg->ifaces = calloc(n, sizeof(*cfg->ifaces));
	if (!cfg->ifaces)
		return oom_err(p);
	cfg->n_ifaces = n;

	for (i = 0; i < n; i++) {
		ret = parse_iface(p, seq_item(p, node, i), item(path, "interfaces", i),
				  &cfg->ifaces[i]);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->ifaces[j].name, cfg->ifaces[i].name))
				continue;
			return parse_err(p, cfg->ifaces[i].line, join(field, path, "name"),
					 "'%s' is listed twice (first at line %d)",
					 cfg->ifaces[i].name, cfg->ifaces[j].line);
		}
	}
	return 0;
}

/* vips[0..i-1] are parsed; the new one must differ from all of them. */
/*
 * A list under field (min..max items) into a new array of elem-sized items,
 * each parsed by one(p, item node, "field[i]", cfg, i). *count is set before
 * the items are parsed, so edge_config_free() frees what a failure left.
 */
typedef int (*list_item_fn)(struct parser *p, const yaml_node_t *node, const char *path,
			    struct edge_config *cfg, size_t i);

static int parse_list(struct parser *p, const yaml_node_t *node, const char *field, size_t min,
		      size_t max, size_t elem, void **arr, size_t *count, struct edge_config *cfg,
		      list_item_fn one)
{
	char path[CFG_FIELD_LEN];
	size_t i, n;
	int ret;

	ret = get_list(p, node, field, min, max, &n);
	if (ret || !n)
		return ret;
	*arr = calloc(n, elem);
	if (!*arr)
		return oom_err(p);
	*count = n;
	for (i = 0; i < n; i++) {
		ret = one(p, seq_item(p, node, i), item(path, field, i), cfg, i);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_vip(struct parser *p, const yaml_node_t *node, const char *path,
		     struct edge_config *cfg, size_t i)
{
	struct edge_cfg_vip *vip = &cfg->vips[i];
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[VIP__N];
	bool dns = false;
	const char *s;
	size_t j;
	int ret;

	ret = get_fields(p, node, path, vip_keys, v);
	if (ret)
		return ret;
	vip->line = node_line(node);

	ret = require(p, node, path, "address", v[VIP_ADDRESS]);
	if (ret)
		return ret;
	ret = get_address(p, v[VIP_ADDRESS], join(field, path, "address"), &vip->key, &vip->family,
			  &s);
	if (ret)
		return ret;
	for (j = 0; j < i; j++) {
		if (memcmp(&cfg->vips[j].key, &vip->key, sizeof(vip->key)))
			continue;
		return parse_err(p, node_line(v[VIP_ADDRESS]), field,
				 "'%s' is listed twice (first at line %d)", show(p, s),
				 cfg->vips[j].line);
	}

	if (v[VIP_DNS]) {
		ret = get_bool(p, v[VIP_DNS], join(field, path, "dns"), &dns);
		if (ret)
			return ret;
		if (dns)
			vip->flags |= EDGE_VIP_F_DNS;
	}
	return 0;
}

static int parse_vips(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	return parse_list(p, node, "vips", 1, EDGE_MAX_VIPS, sizeof(*cfg->vips), (void **)&cfg->vips,
			  &cfg->n_vips, cfg, parse_vip);
}

/* Pool and region names: 1..31 of [a-z0-9_-]. */
static int get_ident(struct parser *p, const yaml_node_t *node, const char *field, const char *what,
		     char *out)
{
	const char *s;
	size_t i, len;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	len = strlen(s);
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			break;
	if (!len || len >= EDGE_CFG_NAME_LEN || i < len)
		return parse_err(p, node_line(node), field,
				 "'%s' is not a %s name (1..%d of a-z, 0-9, '_', '-')", show(p, s),
				 what, EDGE_CFG_NAME_LEN - 1);
	strcpy(out, s);
	return 0;
}

/*
 * A wire name as name_to_wire() makes it (labels of letters, digits, '-'
 * and '_' only: nothing to escape) in text form, without the final dot.
 */
static void wire_to_text(const __u8 *wire, char *out)
{
	size_t pos = 0, o = 0;

	if (!wire[0]) {
		strcpy(out, ".");
		return;
	}
	while (wire[pos]) {
		if (o)
			out[o++] = '.';
		memcpy(out + o, wire + pos + 1, wire[pos]);
		o += wire[pos];
		pos += wire[pos] + 1;
	}
	out[o] = '\0';
}

/* Is the wire name at or below apex (a whole-label suffix)? */
static bool wire_in_zone(const __u8 *wire, size_t len, const __u8 *apex, size_t apex_len)
{
	size_t pos = 0;

	while (pos < len) {
		if (len - pos == apex_len && !memcmp(wire + pos, apex, apex_len))
			return true;
		if (!wire[pos])
			break;
		pos += wire[pos] + 1;
	}
	return false;
}

/* A DNS name: its wire form into wire[256], its text into text (if not NULL). */
static int get_name(struct parser *p, const yaml_node_t *node, const char *field, __u8 *wire,
		    char *text)
{
	const char *s, *why;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	ret = name_to_wire(s, wire, EDGE_DNS_NAME_MAX + 1, &why);
	if (ret < 0)
		return parse_err(p, node_line(node), field, "'%s' is not a valid DNS name: %s",
				 show(p, s), why);
	if (text)
		wire_to_text(wire, text);
	return ret;
}

/*
 * A list of min..max distinct addresses of one family into out[i] (the
 * first 4 bytes for IPv4); *count gets how many. wrong says why the
 * other family does not belong here ("the type is A").
 */
static int get_addrs(struct parser *p, const yaml_node_t *node, const char *path, int family,
		     const char *wrong, size_t min, __u8 (*out)[16], __u8 *count)
{
	size_t rdlen = family == AF_INET ? 4 : 16, i, j, n;
	char field[CFG_FIELD_LEN];
	__u8 other[16];
	const char *s;
	int ret;

	ret = get_list(p, node, path, min, EDGE_DNS_MAX_RR, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const yaml_node_t *val = seq_item(p, node, i);

		ret = get_str(p, val, item(field, path, i), &s);
		if (ret)
			return ret;
		memset(out[i], 0, 16);
		if (inet_pton(family, s, out[i]) != 1) {
			if (inet_pton(family == AF_INET ? AF_INET6 : AF_INET, s, other) == 1)
				return parse_err(p, node_line(val), field,
						 "'%s' is an %s address, but %s", show(p, s),
						 family == AF_INET ? "IPv6" : "IPv4", wrong);
			return parse_err(p, node_line(val), field, "'%s' is not an %s address",
					 show(p, s), family == AF_INET ? "IPv4" : "IPv6");
		}
		for (j = 0; j < i; j++) {
			if (memcmp(out[j], out[i], rdlen))
				continue;
			return parse_err(p, node_line(val), field,
					 "'%s' is listed twice (first as %s[%zu])", show(p, s),
					 strrchr(path, '.') ? strrchr(path, '.') + 1 : path, j);
		}
	}
	*count = n;
	return 0;
}

/* Health checks of a pool. */

static const char *const check_type_names[] = {
	[EDGE_CHECK_TCP] = "tcp",
	[EDGE_CHECK_HTTP] = "http",
	[EDGE_CHECK_DNS] = "dns",
};

/* A string that must fit size bytes with its NUL. */
static int get_str_max(struct parser *p, const yaml_node_t *node, const char *field, char *out,
		       size_t size)
{
	const char *s;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	if (strlen(s) >= size)
		return parse_err(p, node_line(node), field, "'%s' is longer than %zu bytes",
				 show(p, s), size - 1);
	strcpy(out, s);
	return 0;
}

static int get_ms(struct parser *p, const yaml_node_t *node, const char *field,
		  unsigned long long min, unsigned long long max, unsigned int *out)
{
	unsigned long long v;
	int ret;

	ret = get_uint(p, node, field, min, max, &v);
	if (!ret)
		*out = v;
	return ret;
}

static int parse_check_http(struct parser *p, const yaml_node_t *node, const char *path,
			    struct edge_check_http *http)
{
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[CHTTP__N];
	int ret;

	ret = get_fields(p, node, path, check_http_keys, v);
	if (ret)
		return ret;
	if (v[CHTTP_PATH]) {
		ret = get_str_max(p, v[CHTTP_PATH], join(field, path, "path"), http->path,
				  sizeof(http->path));
		if (ret)
			return ret;
		if (http->path[0] != '/')
			return parse_err(p, node_line(v[CHTTP_PATH]), field,
					 "'%s' does not start with '/'", show(p, http->path));
	}
	if (v[CHTTP_HOST]) {
		ret = get_str_max(p, v[CHTTP_HOST], join(field, path, "host"), http->host,
				  sizeof(http->host));
		if (ret)
			return ret;
	}
	if (v[CHTTP_STATUS]) {
		ret = get_ms(p, v[CHTTP_STATUS], join(field, path, "status"), 100, 599,
			     &http->status);
		if (ret)
			return ret;
	}
	if (v[CHTTP_EXPECT])
		return get_str_max(p, v[CHTTP_EXPECT], join(field, path, "expect"), http->expect,
				   sizeof(http->expect));
	return 0;
}

static int parse_check_dns(struct parser *p, const yaml_node_t *node, const char *path,
			   struct edge_check_dns *dns)
{
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[CDNS__N];
	const char *s;
	__u8 wire[256];
	int ret, n;

	ret = get_fields(p, node, path, check_dns_keys, v);
	if (ret)
		return ret;
	if (v[CDNS_NAME]) {
		ret = get_str_max(p, v[CDNS_NAME], join(field, path, "name"), dns->name,
				  sizeof(dns->name));
		if (ret)
			return ret;
		if (edge_dns_name_to_wire(dns->name, wire, sizeof(wire)) < 0)
			return parse_err(p, node_line(v[CDNS_NAME]), field,
					 "'%s' is not a valid DNS name", show(p, dns->name));
	}
	if (v[CDNS_QTYPE]) {
		ret = get_str(p, v[CDNS_QTYPE], join(field, path, "qtype"), &s);
		if (ret)
			return ret;
		n = edge_dns_qtype_parse(s);
		if (n < 0)
			return parse_err(p, node_line(v[CDNS_QTYPE]), field,
					 "'%s' is not a query type (A, AAAA, TYPE65, ...)",
					 show(p, s));
		dns->qtype = n;
	}
	if (v[CDNS_RCODE]) {
		ret = get_str(p, v[CDNS_RCODE], join(field, path, "rcode"), &s);
		if (ret)
			return ret;
		n = edge_dns_rcode_parse(s);
		if (n < 0)
			return parse_err(p, node_line(v[CDNS_RCODE]), field,
					 "'%s' is not an rcode (NOERROR, NXDOMAIN, SERVFAIL, ...)",
					 show(p, s));
		dns->rcode = n;
	}
	if (v[CDNS_RECURSION])
		return get_bool(p, v[CDNS_RECURSION], join(field, path, "recursion"),
				&dns->recursion);
	return 0;
}

/* "192.0.2.1" or "2001:db8::1", no port: the address checks are sent from. */
static int get_check_source(struct parser *p, const yaml_node_t *node, const char *field,
		      struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	const char *s;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return parse_err(p, node_line(node), field, "'%s' is not an IPv4 or IPv6 address",
			 show(p, s));
}

/*
 * Everything of a check but its target into c; *port gets `port` (0 when
 * absent), *target the `target` node (NULL when absent).
 */
static int parse_check_common(struct parser *p, const yaml_node_t *node, const char *path,
			      struct edge_check_cfg *c, unsigned int *port,
			      const yaml_node_t **target)
{
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[CHK__N];
	const char *s;
	size_t t;
	int ret;

	memset(c, 0, sizeof(*c));
	*port = 0;
	ret = get_fields(p, node, path, check_keys, v);
	if (ret)
		return ret;
	*target = v[CHK_TARGET];
	ret = require(p, node, path, "type", v[CHK_TYPE]);
	if (ret)
		return ret;
	ret = get_str(p, v[CHK_TYPE], join(field, path, "type"), &s);
	if (ret)
		return ret;
	for (t = 0; t < sizeof(check_type_names) / sizeof(check_type_names[0]); t++)
		if (!strcmp(s, check_type_names[t]))
			break;
	if (t == sizeof(check_type_names) / sizeof(check_type_names[0]))
		return parse_err(p, node_line(v[CHK_TYPE]), field,
				 "'%s' is not one of tcp, http, dns", show(p, s));
	c->type = t;

	if (v[CHK_PORT]) {
		ret = get_ms(p, v[CHK_PORT], join(field, path, "port"), 1, 65535, port);
		if (ret)
			return ret;
	}
	if (v[CHK_SOURCE]) {
		ret = get_check_source(p, v[CHK_SOURCE], join(field, path, "source"), &c->src);
		if (ret)
			return ret;
	}
	if (v[CHK_INTERVAL]) {
		ret = get_ms(p, v[CHK_INTERVAL], join(field, path, "interval_ms"),
			     EDGE_CHECK_INTERVAL_MIN, EDGE_CHECK_INTERVAL_MAX, &c->interval_ms);
		if (ret)
			return ret;
	}
	if (v[CHK_FAST_INTERVAL]) {
		ret = get_ms(p, v[CHK_FAST_INTERVAL], join(field, path, "fast_interval_ms"),
			     EDGE_CHECK_INTERVAL_MIN, EDGE_CHECK_INTERVAL_MAX,
			     &c->fast_interval_ms);
		if (ret)
			return ret;
	}
	if (v[CHK_TIMEOUT]) {
		ret = get_ms(p, v[CHK_TIMEOUT], join(field, path, "timeout_ms"), 1,
			     EDGE_CHECK_INTERVAL_MAX, &c->timeout_ms);
		if (ret)
			return ret;
	}
	if (v[CHK_RISE]) {
		ret = get_ms(p, v[CHK_RISE], join(field, path, "rise"), 1,
			     EDGE_CHECK_RISE_FALL_MAX, &c->rise);
		if (ret)
			return ret;
	}
	if (v[CHK_FALL]) {
		ret = get_ms(p, v[CHK_FALL], join(field, path, "fall"), 1,
			     EDGE_CHECK_RISE_FALL_MAX, &c->fall);
		if (ret)
			return ret;
	}
	if (v[CHK_HTTP]) {
		if (c->type != EDGE_CHECK_HTTP)
			return parse_err(p, node_line(v[CHK_HTTP]), join(field, path, "http"),
					 "only for type http");
		ret = parse_check_http(p, v[CHK_HTTP], join(field, path, "http"), &c->http);
		if (ret)
			return ret;
	}
	if (v[CHK_DNS]) {
		if (c->type != EDGE_CHECK_DNS)
			return parse_err(p, node_line(v[CHK_DNS]), join(field, path, "dns"),
					 "only for type dns");
		ret = parse_check_dns(p, v[CHK_DNS], join(field, path, "dns"), &c->dns);
		if (ret)
			return ret;
	}
	if (v[CHK_NAME])
		return get_str_max(p, v[CHK_NAME], join(field, path, "name"), c->name,
				   sizeof(c->name));
	return 0;
}

/* The port a check of this type uses when none is given; 0: required. */
static unsigned int check_default_port(enum edge_check_type type)
{
	switch (type) {
	case EDGE_CHECK_HTTP:
		return 80;
	case EDGE_CHECK_DNS:
		return 53;
	default:
		return 0;
	}
}

/* Name it if unnamed, fill the defaults and validate, blaming node's line. */
static int finish_check(struct parser *p, const yaml_node_t *node, const char *path,
			const char *owner, struct edge_cfg_check *out)
{
	struct edge_check_cfg *c = &out->check;
	char addr[INET6_ADDRSTRLEN + 8], name[2 * EDGE_CHECK_NAME_MAX], err[256];

	out->line = node_line(node);
	out->backend = -1;
	if (!c->name[0]) {
		edge_health_addr_str(&c->addr, true, addr, sizeof(addr));
		snprintf(name, sizeof(name), "%s %s %s", owner, check_type_names[c->type], addr);
		name[sizeof(c->name) - 1] = '\0';
		strcpy(c->name, name);
	}
	if (edge_check_cfg_validate(c, err, sizeof(err)))
		return parse_err(p, out->line, path, "%s", err);
	return 0;
}

static void set_port(struct sockaddr_storage *ss, unsigned int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* check: one check per address of the pool, at port. */
static int parse_pool_check(struct parser *p, const yaml_node_t *node, const char *path,
			    struct edge_cfg_pool *pool)
{
	const yaml_node_t *target;
	struct edge_check_cfg tmpl;
	unsigned int port;
	size_t i;
	int ret;

	ret = parse_check_common(p, node, path, &tmpl, &port, &target);
	if (ret)
		return ret;
	if (target)
		return parse_err(p, node_line(target), path,
				 "target: not in check (it checks every address of the pool; "
				 "use checks for other targets)");
	if (!port)
		port = check_default_port(tmpl.type);
	if (!port)
		return parse_err(p, node_line(node), path, "port: required for a tcp check");
	if (tmpl.name[0])
		return parse_err(p, node_line(node), path,
				 "name: only in checks entries (check makes one per address)");
	for (i = 0; i < (size_t)pool->n_a + pool->n_aaaa; i++) {
		struct edge_cfg_check *out = &pool->checks[pool->n_checks++];
		struct sockaddr_storage *ss = &tmpl.addr;

		memset(ss, 0, sizeof(*ss));
		if (i < pool->n_a) {
			ss->ss_family = AF_INET;
			memcpy(&((struct sockaddr_in *)ss)->sin_addr, pool->a[i], 4);
		} else {
			ss->ss_family = AF_INET6;
			memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, pool->aaaa[i - pool->n_a],
			       16);
		}
		set_port(ss, port);
		out->check = tmpl;
		ret = finish_check(p, node, path, pool->name, out);
		if (ret)
			return ret;
	}
	return 0;
}

/* checks: explicit targets ("ADDR:PORT"). */
static int parse_pool_checks(struct parser *p, const yaml_node_t *node, const char *path,
			     struct edge_cfg_pool *pool)
{
	char ipath[CFG_FIELD_LEN], field[CFG_FIELD_LEN];
	const yaml_node_t *target, *it;
	unsigned int port;
	const char *s;
	size_t i, j, n;
	int ret;

	ret = get_list(p, node, path, 1, EDGE_CFG_MAX_POOL_CHECKS - pool->n_checks, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		struct edge_cfg_check *out = &pool->checks[pool->n_checks];

		it = seq_item(p, node, i);
		item(ipath, path, i);
		ret = parse_check_common(p, it, ipath, &out->check, &port, &target);
		if (ret)
			return ret;
		ret = require(p, it, ipath, "target", target);
		if (ret)
			return ret;
		ret = get_str(p, target, join(field, ipath, "target"), &s);
		if (ret)
			return ret;
		if (!port)
			port = check_default_port(out->check.type);
		if (edge_health_addr_parse(s, port, &out->check.addr))
			return parse_err(p, node_line(target), field,
					 "'%s' is not ADDRESS[:PORT]%s", show(p, s),
					 port ? "" : " (a tcp check needs a port)");
		ret = finish_check(p, it, ipath, pool->name, out);
		if (ret)
			return ret;
		for (j = 0; j < pool->n_checks; j++)
			if (!strcmp(pool->checks[j].check.name, out->check.name))
				return parse_err(p, out->line, ipath,
						 "check '%s' is defined twice (first at line %d)",
						 show(p, out->check.name), pool->checks[j].line);
		pool->n_checks++;
	}
	return 0;
}

static int parse_pool_health(struct parser *p, const char *path, struct edge_cfg_pool *pool,
			     yaml_node_t *const *v)
{
	char field[CFG_FIELD_LEN];
	int ret;

	if (!v[POOL_CHECK] && !v[POOL_CHECKS]) {
		if (v[POOL_MIN_UP])
			return parse_err(p, node_line(v[POOL_MIN_UP]), join(field, path, "min_up"),
					 "needs check or checks");
		return 0;
	}
	pool->checks = calloc(EDGE_CFG_MAX_POOL_CHECKS, sizeof(*pool->checks));
	if (!pool->checks)
		return oom_err(p);
	if (v[POOL_CHECK]) {
		ret = parse_pool_check(p, v[POOL_CHECK], join(field, path, "check"), pool);
		if (ret)
			return ret;
	}
	if (v[POOL_CHECKS]) {
		ret = parse_pool_checks(p, v[POOL_CHECKS], join(field, path, "checks"), pool);
		if (ret)
			return ret;
	}
	pool->min_up = 1;
	if (v[POOL_MIN_UP]) {
		unsigned long long n;

		ret = get_uint(p, v[POOL_MIN_UP], join(field, path, "min_up"), 1, pool->n_checks,
			       &n);
		if (ret)
			return ret;
		pool->min_up = n;
	}
	return 0;
}

static int parse_pool(struct parser *p, const yaml_node_t *node, const char *path,
		      struct edge_config *cfg, size_t i)
{
	struct edge_cfg_pool *pool = &cfg->pools[i];
	__u8 addrs[EDGE_DNS_MAX_RR][16];
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[POOL__N];
	size_t j;
	int ret;

	ret = get_fields(p, node, path, pool_keys, v);
	if (ret)
		return ret;
	pool->line = node_line(node);
	ret = require(p, node, path, "name", v[POOL_NAME]);
	if (ret)
		return ret;
	ret = get_ident(p, v[POOL_NAME], join(field, path, "name"), "pool", pool->name);
	if (ret)
		return ret;
	for (j = 0; j < i; j++) {
		if (strcmp(cfg->pools[j].name, pool->name))
			continue;
		return parse_err(p, node_line(v[POOL_NAME]), field,
				 "'%s' is listed twice (first at line %d)", pool->name,
				 cfg->pools[j].line);
	}

	if (v[POOL_A]) {
		ret = get_addrs(p, v[POOL_A], join(field, path, "a"), AF_INET,
				"a lists IPv4 addresses (IPv6 go in aaaa)", 0, addrs, &pool->n_a);
		if (ret)
			return ret;
		for (j = 0; j < pool->n_a; j++)
			memcpy(pool->a[j], addrs[j], 4);
	}
	if (v[POOL_AAAA]) {
		ret = get_addrs(p, v[POOL_AAAA], join(field, path, "aaaa"), AF_INET6,
				"aaaa lists IPv6 addresses (IPv4 go in a)", 0, pool->aaaa,
				&pool->n_aaaa);
		if (ret)
			return ret;
	}
	if (!pool->n_a && !pool->n_aaaa)
		return parse_err(p, pool->line, path, "pool '%s' has no addresses (a, aaaa)",
				 pool->name);

	pool->up = true;
	if (v[POOL_UP]) {
		ret = get_bool(p, v[POOL_UP], join(field, path, "up"), &pool->up);
		if (ret)
			return ret;
	}
	return parse_pool_health(p, path, pool, v);
}

static int parse_pools(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	return parse_list(p, node, "dns.pools", 0, EDGE_CFG_MAX_POOLS, sizeof(*cfg->pools), (void **)&cfg->pools,
			  &cfg->n_pools, cfg, parse_pool);
}

static int find_pool(const struct edge_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_pools; i++)
		if (!strcmp(cfg->pools[i].name, name))
			return i;
	return -1;
}

static int find_region(const struct edge_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->geo.n_regions; i++)
		if (!strcmp(cfg->geo.regions[i], name))
			return i;
	return -1;
}

static const char *type_name(__u16 qtype)
{
	return qtype == CFG_DNS_TYPE_A ? "A" : "AAAA";
}

/* A pool name in a record: it must exist and have addresses of the record's type. */
static int get_pool_ref(struct parser *p, const yaml_node_t *node, const char *field,
			const struct edge_config *cfg, const struct edge_cfg_rrset *rr, __u16 *pool)
{
	const struct edge_cfg_pool *pl;
	const char *s;
	int ret, i;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	i = find_pool(cfg, s);
	if (i < 0)
		return parse_err(p, node_line(node), field, "'%s' is not a pool in dns.pools",
				 show(p, s));
	pl = &cfg->pools[i];
	if (!(rr->qtype == CFG_DNS_TYPE_A ? pl->n_a : pl->n_aaaa))
		return parse_err(p, node_line(node), field,
				 "pool '%s' (line %d) has no %s addresses for %s %s", pl->name,
				 pl->line, rr->qtype == CFG_DNS_TYPE_A ? "IPv4" : "IPv6", rr->name,
				 type_name(rr->qtype));
	*pool = i;
	return 0;
}

/* An ordered list of 1..EDGE_CFG_MAX_CAND distinct pools. */
static int get_pool_list(struct parser *p, const yaml_node_t *node, const char *path,
			 const struct edge_config *cfg, const struct edge_cfg_rrset *rr,
			 struct edge_cfg_cand *cand, __u8 *count)
{
	char field[CFG_FIELD_LEN];
	size_t i, j, n;
	int ret;

	ret = get_list(p, node, path, 1, EDGE_CFG_MAX_CAND, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const yaml_node_t *val = seq_item(p, node, i);

		ret = get_pool_ref(p, val, item(field, path, i), cfg, rr, &cand[i].pool);
		if (ret)
			return ret;
		cand[i].weight = 0;
		for (j = 0; j < i; j++) {
			if (cand[j].pool != cand[i].pool)
				continue;
			return parse_err(p, node_line(val), field,
					 "'%s' is listed twice (first as [%zu])",
					 cfg->pools[cand[i].pool].name, j);
		}
	}
	*count = n;
	return 0;
}

static size_t map_len(const yaml_node_t *map)
{
	return map->data.mapping.pairs.top - map->data.mapping.pairs.start;
}

/* A mapping whose keys are names (regions, pools, countries): min..max pairs. */
static int get_map(struct parser *p, const yaml_node_t *node, const char *field, size_t min,
		   size_t max)
{
	size_t n;
	int ret;

	ret = expect_kind(p, node, field, YAML_MAPPING_NODE);
	if (ret)
		return ret;
	n = map_len(node);
	if (n < min || n > max)
		return parse_err(p, node_line(node), field, "has %zu entries, expected %zu..%zu", n,
				 min, max);
	return 0;
}

/* The i-th key and value of a mapping; the key must be a plain string. */
static int map_pair(struct parser *p, const yaml_node_t *map, size_t i, const char *path,
		    yaml_node_t **key, yaml_node_t **val, const char **name)
{
	yaml_node_pair_t *pair = &map->data.mapping.pairs.start[i];

	*key = yaml_document_get_node(p->doc, pair->key);
	*val = yaml_document_get_node(p->doc, pair->value);
	if ((*key)->type != YAML_SCALAR_NODE)
		return parse_err(p, node_line(*key), path, "expected a key name, got %s",
				 node_kind(*key));
	return get_str(p, *key, path, name);
}

/* geo: {region: [pool, ...], ...} */
static int get_geo_routes(struct parser *p, const yaml_node_t *node, const char *path,
			  const struct edge_config *cfg, struct edge_cfg_rrset *rr)
{
	char field[CFG_FIELD_LEN];
	yaml_node_t *key, *val;
	const char *name;
	size_t i, j, n;
	int ret, r;

	ret = get_map(p, node, path, 1, EDGE_CFG_MAX_REGIONS);
	if (ret)
		return ret;
	n = map_len(node);
	rr->geo = calloc(n, sizeof(*rr->geo));
	if (!rr->geo)
		return oom_err(p);
	for (i = 0; i < n; i++) {
		struct edge_cfg_geo_route *route = &rr->geo[i];

		ret = map_pair(p, node, i, path, &key, &val, &name);
		if (ret)
			return ret;
		join(field, path, show(p, name));
		r = find_region(cfg, name);
		if (r < 0)
			return parse_err(p, node_line(key), field, "'%s' is not a region in %s",
					 show(p, name),
					 cfg->geo.n_regions ? "geo.regions"
							    : "geo.regions (no geo section)");
		for (j = 0; j < i; j++) {
			if (rr->geo[j].region != r)
				continue;
			return parse_err(p, node_line(key), field,
					 "repeated key (first at line %d)", rr->geo[j].line);
		}
		route->region = r;
		route->line = node_line(key);
		rr->n_geo = i + 1;
		ret = get_pool_list(p, val, field, cfg, rr, route->cand, &route->n);
		if (ret)
			return ret;
	}
	return 0;
}

/* weights: {pool: weight, ...} */
static int get_weights(struct parser *p, const yaml_node_t *node, const char *path,
		       const struct edge_config *cfg, struct edge_cfg_rrset *rr)
{
	char field[CFG_FIELD_LEN];
	int lines[EDGE_CFG_MAX_CAND];
	unsigned long long w;
	yaml_node_t *key, *val;
	const char *name;
	size_t i, j, n;
	int ret;

	ret = get_map(p, node, path, 1, EDGE_CFG_MAX_CAND);
	if (ret)
		return ret;
	n = map_len(node);
	for (i = 0; i < n; i++) {
		ret = map_pair(p, node, i, path, &key, &val, &name);
		if (ret)
			return ret;
		join(field, path, show(p, name));
		ret = get_pool_ref(p, key, field, cfg, rr, &rr->cand[i].pool);
		if (ret)
			return ret;
		lines[i] = node_line(key);
		for (j = 0; j < i; j++) {
			if (rr->cand[j].pool != rr->cand[i].pool)
				continue;
			return parse_err(p, node_line(key), field,
					 "repeated key (first at line %d)", lines[j]);
		}
		ret = get_uint(p, val, field, 1, EDGE_CFG_MAX_WEIGHT, &w);
		if (ret)
			return ret;
		rr->cand[i].weight = w;
	}
	rr->n_cand = n;
	return 0;
}

/*
 * A record's name: "@" is the apex, a name with a final dot is absolute
 * (and must be inside the zone), anything else is relative to the apex.
 */
static int parse_owner(struct parser *p, const yaml_node_t *node, const char *field,
		       const struct edge_cfg_zone *zone, struct edge_cfg_rrset *rr)
{
	char full[2 * (EDGE_DNS_NAME_MAX + 1)];
	const char *s, *why;
	size_t len;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	len = strlen(s);
	if (!strcmp(s, "@")) {
		memcpy(rr->wire, zone->apex, zone->apex_len);
		rr->wire_len = zone->apex_len;
	} else {
		ret = name_to_wire(s, rr->wire, sizeof(rr->wire), &why);
		if (ret < 0)
			return parse_err(p, node_line(node), field,
					 "'%s' is not a valid DNS name: %s", show(p, s), why);
		rr->wire_len = ret;
		if (s[len - 1] == '.') {
			if (!wire_in_zone(rr->wire, rr->wire_len, zone->apex, zone->apex_len))
				return parse_err(p, node_line(node), field,
						 "'%s' is not inside zone %s", show(p, s),
						 zone->name);
		} else {
			snprintf(full, sizeof(full), "%s.%s", s, zone->name);
			ret = name_to_wire(full, rr->wire, sizeof(rr->wire), &why);
			if (ret < 0)
				return parse_err(p, node_line(node), field,
						 "'%s' in zone %s is not a valid DNS name: %s",
						 show(p, s), zone->name, why);
			rr->wire_len = ret;
		}
	}
	wire_to_text(rr->wire, rr->name);
	return 0;
}

static const char *const policy_names[] = {
	[EDGE_CFG_POL_STATIC] = "static",
	[EDGE_CFG_POL_GEO] = "geo",
	[EDGE_CFG_POL_WEIGHTED] = "weighted",
	[EDGE_CFG_POL_FAILOVER] = "failover",
};

/* The keys that only one policy uses. */
static const struct {
	int key;
	enum edge_cfg_policy policy;
} policy_keys[] = {
	{REC_VALUES, EDGE_CFG_POL_STATIC},  {REC_GEO, EDGE_CFG_POL_GEO},
	{REC_DEFAULT, EDGE_CFG_POL_GEO},    {REC_WEIGHTS, EDGE_CFG_POL_WEIGHTED},
	{REC_POOLS, EDGE_CFG_POL_FAILOVER},
};

static int parse_policy(struct parser *p, const yaml_node_t *node, const char *field,
			enum edge_cfg_policy *policy)
{
	const char *s;
	size_t i;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcmp(s, policy_names[i])) {
			*policy = i;
			return 0;
		}
	}
	return parse_err(p, node_line(node), field,
			 "'%s' is not a policy (static, geo, weighted, failover)", show(p, s));
}

static int parse_record(struct parser *p, const yaml_node_t *node, const char *path,
			const struct edge_config *cfg, struct edge_cfg_rrset *rr)
{
	const struct edge_cfg_zone *zone = &cfg->zones[rr->zone];
	unsigned long long ttl = zone->ttl;
	yaml_node_t *v[REC__N], *k[REC__N];
	char field[CFG_FIELD_LEN];
	const char *s;
	size_t i;
	int ret;

	ret = get_fields_keys(p, node, path, record_keys, v, k);
	if (ret)
		return ret;
	rr->line = node_line(node);
	ret = require(p, node, path, "name", v[REC_NAME]);
	if (!ret)
		ret = require(p, node, path, "type", v[REC_TYPE]);
	if (!ret)
		ret = parse_owner(p, v[REC_NAME], join(field, path, "name"), zone, rr);
	if (ret)
		return ret;

	ret = get_str(p, v[REC_TYPE], join(field, path, "type"), &s);
	if (ret)
		return ret;
	if (!strcasecmp(s, "A"))
		rr->qtype = CFG_DNS_TYPE_A;
	else if (!strcasecmp(s, "AAAA"))
		rr->qtype = CFG_DNS_TYPE_AAAA;
	else
		return parse_err(p, node_line(v[REC_TYPE]), field,
				 "'%s' is not a supported type (A, AAAA)", show(p, s));

	if (v[REC_TTL]) {
		ret = get_uint(p, v[REC_TTL], join(field, path, "ttl"), 0, CFG_TTL_MAX, &ttl);
		if (ret)
			return ret;
	}
	rr->ttl = ttl;

	rr->policy = EDGE_CFG_POL_STATIC;
	if (v[REC_POLICY]) {
		ret = parse_policy(p, v[REC_POLICY], join(field, path, "policy"), &rr->policy);
		if (ret)
			return ret;
	}
	for (i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++) {
		if (!v[policy_keys[i].key] || policy_keys[i].policy == rr->policy)
			continue;
		return parse_err(p, node_line(k[policy_keys[i].key]),
				 join(field, path, record_keys[policy_keys[i].key]),
				 "only for policy %s (this record's policy is %s)",
				 policy_names[policy_keys[i].policy], policy_names[rr->policy]);
	}

	switch (rr->policy) {
	case EDGE_CFG_POL_STATIC:
		ret = require(p, node, path, "values", v[REC_VALUES]);
		if (ret)
			return ret;
		return get_addrs(p, v[REC_VALUES], join(field, path, "values"),
				 rr->qtype == CFG_DNS_TYPE_A ? AF_INET : AF_INET6,
				 rr->qtype == CFG_DNS_TYPE_A ? "the type is A" : "the type is AAAA",
				 1, rr->values, &rr->n_values);
	case EDGE_CFG_POL_GEO:
		ret = require(p, node, path, "geo", v[REC_GEO]);
		if (!ret)
			ret = require(p, node, path, "default", v[REC_DEFAULT]);
		if (!ret)
			ret = get_geo_routes(p, v[REC_GEO], join(field, path, "geo"), cfg, rr);
		if (ret)
			return ret;
		return get_pool_list(p, v[REC_DEFAULT], join(field, path, "default"), cfg, rr,
				     rr->cand, &rr->n_cand);
	case EDGE_CFG_POL_WEIGHTED:
		ret = require(p, node, path, "weights", v[REC_WEIGHTS]);
		if (ret)
			return ret;
		return get_weights(p, v[REC_WEIGHTS], join(field, path, "weights"), cfg, rr);
	case EDGE_CFG_POL_FAILOVER:
		ret = require(p, node, path, "pools", v[REC_POOLS]);
		if (ret)
			return ret;
		return get_pool_list(p, v[REC_POOLS], join(field, path, "pools"), cfg, rr, rr->cand,
				     &rr->n_cand);
	}
	return 0;
}

/* SOA numbers: 32-bit serial, the others 0..2^31-1 like TTLs (RFC 2181 §8). */
static int parse_soa(struct parser *p, const yaml_node_t *node, const char *path,
		     struct edge_cfg_zone *zone)
{
	static const struct {
		int key;
		unsigned long long max, def;
		size_t off;
	} nums[] = {
		{SOA_SERIAL, 4294967295ULL, CFG_SOA_SERIAL, offsetof(struct edge_cfg_soa, serial)},
		{SOA_REFRESH, CFG_TTL_MAX, CFG_SOA_REFRESH, offsetof(struct edge_cfg_soa, refresh)},
		{SOA_RETRY, CFG_TTL_MAX, CFG_SOA_RETRY, offsetof(struct edge_cfg_soa, retry)},
		{SOA_EXPIRE, CFG_TTL_MAX, CFG_SOA_EXPIRE, offsetof(struct edge_cfg_soa, expire)},
		{SOA_MINIMUM, CFG_TTL_MAX, CFG_SOA_MINIMUM, offsetof(struct edge_cfg_soa, minimum)},
		{SOA_TTL, CFG_TTL_MAX, 0, offsetof(struct edge_cfg_soa, ttl)},
	};
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[SOA__N];
	unsigned long long val;
	__u8 wire[EDGE_DNS_NAME_MAX + 1];
	size_t i;
	int ret;

	ret = get_fields(p, node, path, soa_keys, v);
	if (ret)
		return ret;
	ret = require(p, node, path, "mname", v[SOA_MNAME]);
	if (!ret)
		ret = require(p, node, path, "rname", v[SOA_RNAME]);
	if (ret)
		return ret;
	ret = get_name(p, v[SOA_MNAME], join(field, path, "mname"), wire, zone->soa.mname);
	if (ret < 0)
		return ret;
	ret = get_name(p, v[SOA_RNAME], join(field, path, "rname"), wire, zone->soa.rname);
	if (ret < 0)
		return ret;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		val = nums[i].key == SOA_TTL ? zone->ttl : nums[i].def;
		if (v[nums[i].key]) {
			ret = get_uint(p, v[nums[i].key], join(field, path, soa_keys[nums[i].key]),
				       0, nums[i].max, &val);
			if (ret)
				return ret;
		}
		*(__u32 *)((char *)&zone->soa + nums[i].off) = val;
	}
	return 0;
}

/* zones[0..i-1] are parsed: the new apex must neither repeat nor nest with them. */
static int check_zone_overlap(struct parser *p, const yaml_node_t *node, const char *field,
			      const struct edge_config *cfg, size_t i)
{
	const struct edge_cfg_zone *z = &cfg->zones[i], *o;
	size_t j;

	for (j = 0; j < i; j++) {
		o = &cfg->zones[j];
		if (o->apex_len == z->apex_len && !memcmp(o->apex, z->apex, z->apex_len))
			return parse_err(p, node_line(node), field,
					 "'%s' is listed twice (first at line %d)", z->name,
					 o->line);
		if (wire_in_zone(z->apex, z->apex_len, o->apex, o->apex_len))
			return parse_err(p, node_line(node), field,
					 "zone %s is inside zone %s (line %d); zones must not nest",
					 z->name, o->name, o->line);
		if (wire_in_zone(o->apex, o->apex_len, z->apex, z->apex_len))
			return parse_err(p, node_line(node), field,
					 "zone %s contains zone %s (line %d); zones must not nest",
					 z->name, o->name, o->line);
	}
	return 0;
}

/* One more (zeroed) rrset at the end of cfg->rrsets. */
static struct edge_cfg_rrset *add_rrset(struct parser *p, struct edge_config *cfg)
{
	struct edge_cfg_rrset *tmp;
	size_t cap;

	if (cfg->n_rrsets == p->rrsets_cap) {
		cap = p->rrsets_cap ? p->rrsets_cap * 2 : 64;
		tmp = realloc(cfg->rrsets, cap * sizeof(*tmp));
		if (!tmp)
			return NULL;
		cfg->rrsets = tmp;
		p->rrsets_cap = cap;
	}
	tmp = &cfg->rrsets[cfg->n_rrsets++];
	memset(tmp, 0, sizeof(*tmp));
	return tmp;
}

static int parse_zone_records(struct parser *p, const yaml_node_t *node, const char *path,
			      struct edge_config *cfg, size_t zi)
{
	char rpath[CFG_FIELD_LEN];
	struct edge_cfg_rrset *rr;
	size_t i, n;
	int ret;

	ret = get_list(p, node, path, 0, CFG_MAX_RECORDS, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const yaml_node_t *rec = seq_item(p, node, i);

		item(rpath, path, i);
		if (cfg->n_rrsets == CFG_MAX_RECORDS)
			return parse_err(p, node_line(rec), rpath,
					 "more than %d records in all zones", CFG_MAX_RECORDS);
		rr = add_rrset(p, cfg);
		if (!rr)
			return oom_err(p);
		rr->zone = zi;
		rr->index = i;
		ret = parse_record(p, rec, rpath, cfg, rr);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_zone(struct parser *p, const yaml_node_t *node, const char *path,
		      struct edge_config *cfg, size_t i)
{
	struct edge_cfg_zone *zone = &cfg->zones[i];
	unsigned long long ttl = CFG_TTL_DEFAULT;
	char field[CFG_FIELD_LEN], npath[CFG_FIELD_LEN];
	__u8 wire[EDGE_DNS_NAME_MAX + 1];
	yaml_node_t *v[ZONE__N];
	size_t j, k, n;
	int ret;

	ret = get_fields(p, node, path, zone_keys, v);
	if (ret)
		return ret;
	zone->line = node_line(node);
	ret = require(p, node, path, "name", v[ZONE_NAME]);
	if (ret)
		return ret;
	ret = get_name(p, v[ZONE_NAME], join(field, path, "name"), zone->apex, zone->name);
	if (ret < 0)
		return ret;
	zone->apex_len = ret;
	if (zone->apex_len == 1)
		return parse_err(p, node_line(v[ZONE_NAME]), field,
				 "the root zone is not supported");
	ret = check_zone_overlap(p, v[ZONE_NAME], field, cfg, i);
	if (ret)
		return ret;

	if (v[ZONE_TTL]) {
		ret = get_uint(p, v[ZONE_TTL], join(field, path, "ttl"), 0, CFG_TTL_MAX, &ttl);
		if (ret)
			return ret;
	}
	zone->ttl = ttl;

	ret = require(p, node, path, "soa", v[ZONE_SOA]);
	if (!ret)
		ret = parse_soa(p, v[ZONE_SOA], join(field, path, "soa"), zone);
	if (!ret)
		ret = require(p, node, path, "ns", v[ZONE_NS]);
	if (!ret)
		ret = get_list(p, v[ZONE_NS], join(npath, path, "ns"), 1, EDGE_CFG_MAX_NS, &n);
	if (ret)
		return ret;
	for (j = 0; j < n; j++) {
		const yaml_node_t *ns = seq_item(p, v[ZONE_NS], j);

		ret = get_name(p, ns, item(field, npath, j), wire, zone->ns[j]);
		if (ret < 0)
			return ret;
		for (k = 0; k < j; k++) {
			if (strcmp(zone->ns[k], zone->ns[j]))
				continue;
			return parse_err(p, node_line(ns), field,
					 "'%s' is listed twice (first as ns[%zu])", zone->ns[j], k);
		}
	}
	zone->n_ns = n;

	if (v[ZONE_RECORDS])
		return parse_zone_records(p, v[ZONE_RECORDS], join(field, path, "records"), cfg, i);
	return 0;
}

static int parse_zones(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	return parse_list(p, node, "dns.zones", 0, EDGE_CFG_MAX_ZONES, sizeof(*cfg->zones), (void **)&cfg->zones,
			  &cfg->n_zones, cfg, parse_zone);
}

/* qsort_r order of rrset indexes: by owner and type, then by position in the file. */
static int cmp_rrset_idx(const void *a, const void *b, void *arg)
{
	const struct edge_cfg_rrset *rrs = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct edge_cfg_rrset *ra = &rrs[ia], *rb = &rrs[ib];
	int c;

	if (ra->wire_len != rb->wire_len)
		return ra->wire_len < rb->wire_len ? -1 : 1;
	c = memcmp(ra->wire, rb->wire, ra->wire_len);
	if (c)
		return c;
	if (ra->qtype != rb->qtype)
		return ra->qtype < rb->qtype ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

static bool same_rrset(const struct edge_cfg_rrset *a, const struct edge_cfg_rrset *b)
{
	return a->qtype == b->qtype && a->wire_len == b->wire_len &&
	       !memcmp(a->wire, b->wire, a->wire_len);
}

/*
 * The same owner and type twice: report the first repeat in file order.
 * Sorting keeps 65536 records fast where comparing all pairs would not.
 */
static int check_rrset_dups(struct parser *p, struct edge_config *cfg)
{
	size_t i, dup = SIZE_MAX, first = 0, *idx;
	char field[CFG_FIELD_LEN], path[CFG_FIELD_LEN];
	const struct edge_cfg_rrset *rr;
	int ret = 0;

	if (cfg->n_rrsets < 2)
		return 0;
	idx = calloc(cfg->n_rrsets, sizeof(*idx));
	if (!idx)
		return oom_err(p);
	for (i = 0; i < cfg->n_rrsets; i++)
		idx[i] = i;
	qsort_r(idx, cfg->n_rrsets, sizeof(*idx), cmp_rrset_idx, cfg->rrsets);

	for (i = 1; i < cfg->n_rrsets; i++) {
		if (!same_rrset(&cfg->rrsets[idx[i - 1]], &cfg->rrsets[idx[i]]))
			continue;
		/*
		 * Equal keys sort by index, so the smallest repeat of a run is
		 * its second entry, and idx[i - 1] is then the run's first.
		 */
		if (idx[i] < dup) {
			dup = idx[i];
			first = idx[i - 1];
		}
	}
	if (dup != SIZE_MAX) {
		rr = &cfg->rrsets[dup];
		item(path, "dns.zones", rr->zone);
		join(field, path, "records");
		ret = parse_err(p, rr->line, item(path, field, rr->index),
				"%s %s is already defined at line %d", rr->name,
				type_name(rr->qtype), cfg->rrsets[first].line);
	}
	free(idx);
	return ret;
}

/* dns.rrl: every key optional; rate 0 (the default) leaves RRL off. */
static int parse_rrl(struct parser *p, const yaml_node_t *node, struct edge_cfg_rrl *rrl)
{
	static const struct {
		int key;
		const char *field;
		unsigned long long min, max;
	} knobs[] = {
		{RRL_RATE, "dns.rrl.rate", 0, 1000000},
		{RRL_BURST, "dns.rrl.burst", 1, 1000000},
		{RRL_SLIP, "dns.rrl.slip", 0, 100},
		{RRL_PREFIX4, "dns.rrl.ipv4_prefix", 0, 32},
		{RRL_PREFIX6, "dns.rrl.ipv6_prefix", 0, 128},
	};
	unsigned long long n[RRL__N] = {0};
	yaml_node_t *v[RRL__N];
	size_t i;
	int ret;

	ret = get_fields(p, node, "dns.rrl", rrl_keys, v);
	if (ret)
		return ret;
	rrl->line = node_line(node);
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		if (!v[knobs[i].key])
			continue;
		ret = get_uint(p, v[knobs[i].key], knobs[i].field, knobs[i].min, knobs[i].max,
			       &n[knobs[i].key]);
		if (ret)
			return ret;
	}
	if (v[RRL_RATE])
		rrl->rate = n[RRL_RATE];
	rrl->burst = v[RRL_BURST] ? n[RRL_BURST] : rrl->rate;
	if (v[RRL_SLIP])
		rrl->slip = n[RRL_SLIP];
	if (v[RRL_PREFIX4])
		rrl->prefix4 = n[RRL_PREFIX4];
	if (v[RRL_PREFIX6])
		rrl->prefix6 = n[RRL_PREFIX6];
	return 0;
}

static int parse_dns(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	unsigned long long udp_size;
	yaml_node_t *v[DNS__N];
	const char *s;
	int ret;

	ret = get_fields(p, node, "dns", dns_keys, v);
	if (ret)
		return ret;

	if (v[DNS_UDP_SIZE]) {
		ret = get_uint(p, v[DNS_UDP_SIZE], "dns.udp_size", CFG_UDP_SIZE_MIN,
			       CFG_UDP_SIZE_MAX, &udp_size);
		if (ret)
			return ret;
		cfg->dns_udp_size = udp_size;
	}
	if (v[DNS_OUT_OF_ZONE]) {
		ret = get_str(p, v[DNS_OUT_OF_ZONE], "dns.out_of_zone", &s);
		if (ret)
			return ret;
		if (!strcmp(s, "refuse"))
			cfg->dns_out_of_zone = EDGE_CFG_OOZ_REFUSE;
		else if (!strcmp(s, "pass"))
			cfg->dns_out_of_zone = EDGE_CFG_OOZ_PASS;
		else
			return parse_err(p, node_line(v[DNS_OUT_OF_ZONE]), "dns.out_of_zone",
					 "'%s' is not one of refuse, pass", show(p, s));
	}

	if (v[DNS_RRL]) {
		ret = parse_rrl(p, v[DNS_RRL], &cfg->rrl);
		if (ret)
			return ret;
	}

	/* Pools first: records name them. */
	if (v[DNS_POOLS]) {
		ret = parse_pools(p, v[DNS_POOLS], cfg);
		if (ret)
			return ret;
	}
	if (v[DNS_ZONES]) {
		ret = parse_zones(p, v[DNS_ZONES], cfg);
		if (ret)
			return ret;
	}
	return check_rrset_dups(p, cfg);
}

/* "CSVFILE:LINE: cause"; always -EINVAL. */
__attribute__((format(printf, 4, 5))) static int csv_err(struct parser *p, const char *csv,
							 size_t line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%zu: ", csv, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	one_line(p->err);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

/* "192.0.2.0/24" or "2001:db8::/32" -> pfx; why says what is wrong. */
static int parse_prefix(const char *s, struct edge_cfg_prefix *pfx, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/'), *d;
	unsigned int len = 0, max, i, bits;
	__u8 mask;

	*why = "is not a prefix (ADDRESS/LENGTH)";
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	memset(pfx->addr, 0, sizeof(pfx->addr));
	if (inet_pton(AF_INET, addr, pfx->addr) == 1) {
		pfx->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, pfx->addr) == 1) {
		pfx->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	for (d = slash + 1; *d >= '0' && *d <= '9' && d - slash <= 3; d++)
		len = len * 10 + (*d - '0');
	if (d == slash + 1 || *d || len > max) {
		*why = max == 32 ? "has a bad prefix length (0..32)"
				 : "has a bad prefix length (0..128)";
		return -EINVAL;
	}
	pfx->len = len;
	for (i = 0; i < max / 8; i++) {
		bits = len > 8 * i ? len - 8 * i : 0;
		mask = bits >= 8 ? 0xff : (__u8)(0xff00 >> bits);
		if (pfx->addr[i] & ~mask) {
			*why = "has host bits set";
			return -EINVAL;
		}
	}
	return 0;
}

/* A CSV region: a region name, else a country code listed in geo.countries. */
static int csv_region(const struct edge_config *cfg, const char *s)
{
	char code[3];
	size_t i;
	int r;

	r = find_region(cfg, s);
	if (r >= 0)
		return r;
	if (strlen(s) != 2)
		return -1;
	for (i = 0; i < 2; i++)
		code[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i];
	code[2] = '\0';
	for (i = 0; i < cfg->geo.n_countries; i++)
		if (!strcmp(cfg->geo.countries[i].code, code))
			return cfg->geo.countries[i].region;
	return -1;
}

static struct edge_cfg_prefix *add_prefix(struct edge_cfg_geo *geo, size_t *cap)
{
	struct edge_cfg_prefix *tmp;

	if (geo->n_prefixes == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		tmp = realloc(geo->prefixes, *cap * sizeof(*tmp));
		if (!tmp)
			return NULL;
		geo->prefixes = tmp;
	}
	return &geo->prefixes[geo->n_prefixes++];
}

/* One non-blank CSV line: "PREFIX,REGION". */
static int csv_line(struct parser *p, struct edge_config *cfg, char *s, size_t line,
		    struct edge_cfg_prefix *pfx)
{
	const char *csv = cfg->geo.csv, *why;
	char *comma = strchr(s, ','), *prefix, *region;
	int r;

	if (!comma || strchr(comma + 1, ','))
		return csv_err(p, csv, line, "'%s' is not PREFIX,REGION", show(p, s));
	*comma = '\0';
	prefix = trim(s);
	region = trim(comma + 1);
	if (parse_prefix(prefix, pfx, &why)) {
		if (!strcmp(why, "has host bits set")) {
			char net[INET6_ADDRSTRLEN];
			unsigned int i, bits;

			for (i = 0; i < 16; i++) {
				bits = pfx->len > 8 * i ? pfx->len - 8 * i : 0;
				pfx->addr[i] &= bits >= 8 ? 0xff : (__u8)(0xff00 >> bits);
			}
			inet_ntop(pfx->family, pfx->addr, net, sizeof(net));
			return csv_err(p, csv, line,
				       "'%s' has host bits set (the network is %s/%u)",
				       show(p, prefix), net, pfx->len);
		}
		return csv_err(p, csv, line, "'%s' %s", show(p, prefix), why);
	}
	r = csv_region(cfg, region);
	if (r < 0)
		return csv_err(p, csv, line,
			       "'%s' is neither a region in geo.regions nor a country in "
			       "geo.countries",
			       show(p, region));
	pfx->region = r;
	pfx->line = line;
	return 0;
}

static int cmp_prefix_idx(const void *a, const void *b, void *arg)
{
	const struct edge_cfg_prefix *pf = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct edge_cfg_prefix *pa = &pf[ia], *pb = &pf[ib];
	int c;

	if (pa->family != pb->family)
		return pa->family < pb->family ? -1 : 1;
	if (pa->len != pb->len)
		return pa->len < pb->len ? -1 : 1;
	c = memcmp(pa->addr, pb->addr, sizeof(pa->addr));
	if (c)
		return c;
	return ia < ib ? -1 : ia > ib;
}

/* The same prefix twice: report the first repeat in file order. */
static int check_prefix_dups(struct parser *p, struct edge_cfg_geo *geo)
{
	size_t i, dup = SIZE_MAX, first = 0, *idx;
	const struct edge_cfg_prefix *a, *b;
	char net[INET6_ADDRSTRLEN];
	int ret = 0;

	if (geo->n_prefixes < 2)
		return 0;
	idx = calloc(geo->n_prefixes, sizeof(*idx));
	if (!idx)
		return oom_err(p);
	for (i = 0; i < geo->n_prefixes; i++)
		idx[i] = i;
	qsort_r(idx, geo->n_prefixes, sizeof(*idx), cmp_prefix_idx, geo->prefixes);
	for (i = 1; i < geo->n_prefixes; i++) {
		a = &geo->prefixes[idx[i - 1]];
		b = &geo->prefixes[idx[i]];
		if (a->family != b->family || a->len != b->len ||
		    memcmp(a->addr, b->addr, sizeof(a->addr)))
			continue;
		if (idx[i] < dup) {
			dup = idx[i];
			first = idx[i - 1];
		}
	}
	if (dup != SIZE_MAX) {
		b = &geo->prefixes[dup];
		inet_ntop(b->family, b->addr, net, sizeof(net));
		ret = csv_err(p, geo->csv, b->line, "duplicate prefix %s/%u (first at line %d)",
			      net, b->len, geo->prefixes[first].line);
	}
	free(idx);
	return ret;
}

/* A path in the config: relative ones are relative to the config file's directory. */
static int get_rel_path(struct parser *p, const yaml_node_t *node, const char *field,
			char out[PATH_MAX])
{
	const char *s, *slash = strrchr(p->file, '/');
	int ret, n;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	if (!*s)
		return parse_err(p, node_line(node), field, "the path is empty");
	if (s[0] == '/' || !slash)
		n = snprintf(out, PATH_MAX, "%s", s);
	else
		n = snprintf(out, PATH_MAX, "%.*s/%s", (int)(slash - p->file), p->file, s);
	if (n < 0 || n >= PATH_MAX)
		return parse_err(p, node_line(node), field, "'%s': path too long", show(p, s));
	return 0;
}

/*
 * geo.mmdb: a MaxMind-format database (user/geo_mmdb.c), after the CSV
 * (whose prefixes win over the database's identical ones).
 */
static int load_geo_mmdb(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	struct edge_cfg_geo *geo = &cfg->geo;
	struct edge_geo_mmdb_info info;
	size_t cap = geo->n_prefixes, before = geo->n_prefixes;
	struct timespec t0, t1;
	char why[512];
	int ret;

	ret = get_rel_path(p, node, "geo.mmdb", geo->mmdb);
	if (ret)
		return ret;
	if (!geo->n_countries && !geo->n_continents)
		return parse_err(p, node_line(node), "geo.mmdb",
				 "needs geo.countries or geo.continents to map the database to "
				 "regions");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = edge_geo_mmdb_load(geo->mmdb, geo, &cap, &info, why, sizeof(why));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		parse_err(p, node_line(node), "geo.mmdb", "%s", why);
		return ret;
	}
	geo->n_mmdb_prefixes = geo->n_prefixes - before;
	geo->mmdb_nodes = info.nodes;
	geo->mmdb_networks = info.networks;
	geo->mmdb_unmapped = info.unmapped;
	geo->mmdb_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	return 0;
}

/*
 * geo.csv: "PREFIX,REGION" lines; blank lines and '#' comments ignored.
 * A relative path is relative to the config file's directory.
 */
static int load_geo_csv(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	struct edge_cfg_geo *geo = &cfg->geo;
	size_t cap = 0, len = 0, line = 0, count[2] = {0, 0};
	struct edge_cfg_prefix *pfx;
	char *buf = NULL, *text, *hash;
	ssize_t n;
	FILE *f;
	int ret;

	ret = get_rel_path(p, node, "geo.csv", geo->csv);
	if (ret)
		return ret;

	f = fopen(geo->csv, "re");
	if (!f) {
		ret = -errno;
		parse_err(p, node_line(node), "geo.csv", "cannot read %s: %s", geo->csv,
			  strerror(-ret));
		return ret;
	}
	while ((n = getline(&buf, &len, f)) > 0) {
		line++;
		if (strlen(buf) != (size_t)n) {
			ret = csv_err(p, geo->csv, line, "contains a NUL character");
			goto out;
		}
		text = buf;
		/* A UTF-8 byte order mark, as spreadsheet exports write. */
		if (line == 1 && !strncmp(text, "\xef\xbb\xbf", 3))
			text += 3;
		hash = strchr(text, '#');
		if (hash)
			*hash = '\0';
		text[strcspn(text, "\n")] = '\0';
		text = trim(text);
		if (!*text)
			continue;
		pfx = add_prefix(geo, &cap);
		if (!pfx) {
			ret = oom_err(p);
			goto out;
		}
		ret = csv_line(p, cfg, text, line, pfx);
		if (ret)
			goto out;
		if (++count[pfx->family == AF_INET6] > EDGE_CFG_MAX_GEO_PREFIXES) {
			ret = csv_err(p, geo->csv, line, "more than %d %s prefixes",
				      EDGE_CFG_MAX_GEO_PREFIXES,
				      pfx->family == AF_INET ? "IPv4" : "IPv6");
			goto out;
		}
	}
	if (ferror(f)) {
		ret = -EIO;
		parse_err(p, node_line(node), "geo.csv", "cannot read %s: %s", geo->csv,
			  strerror(EIO));
		goto out;
	}
	ret = check_prefix_dups(p, geo);
out:
	free(buf);
	fclose(f);
	return ret;
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The seven continent codes of MaxMind's continent.code. */
static bool is_continent(const char *code)
{
	static const char *const codes[] = {"AF", "AN", "AS", "EU", "NA", "OC", "SA"};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(codes[i], code))
			return true;
	return false;
}

/*
 * geo.countries ({CC: region}) or, with continents, geo.continents
 * ({EU: region}) into *out / *n.
 */
static int parse_codes(struct parser *p, const yaml_node_t *node, struct edge_config *cfg,
		       bool continents, struct edge_cfg_country **out, size_t *n_out)
{
	const char *what = continents ? "geo.continents" : "geo.countries";
	char field[CFG_FIELD_LEN];
	yaml_node_t *key, *val;
	const char *name, *s;
	size_t i, j, n;
	int ret, r;

	ret = get_map(p, node, what, 0, 26 * 26);
	if (ret)
		return ret;
	n = map_len(node);
	if (!n)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return oom_err(p);
	for (i = 0; i < n; i++) {
		struct edge_cfg_country *c = &(*out)[i];

		ret = map_pair(p, node, i, what, &key, &val, &name);
		if (ret)
			return ret;
		join(field, what, show(p, name));
		if (strlen(name) != 2 || !is_letter(name[0]) || !is_letter(name[1]))
			return parse_err(p, node_line(key), field,
					 continents ? "'%s' is not a continent code (AF AN AS EU "
						      "NA OC SA)"
						    : "'%s' is not an ISO 3166 country code (two "
						      "letters)",
					 show(p, name));
		c->code[0] = name[0] & ~0x20;
		c->code[1] = name[1] & ~0x20;
		c->line = node_line(key);
		if (continents && !is_continent(c->code))
			return parse_err(p, c->line, field,
					 "'%s' is not a continent code (AF AN AS EU NA OC SA)",
					 show(p, name));
		for (j = 0; j < i; j++) {
			if (strcmp((*out)[j].code, c->code))
				continue;
			return parse_err(p, c->line, field, "repeated key (first at line %d)",
					 (*out)[j].line);
		}
		*n_out = i + 1;
		ret = get_str(p, val, field, &s);
		if (ret)
			return ret;
		r = find_region(cfg, s);
		if (r < 0)
			return parse_err(p, node_line(val), field,
					 "'%s' is not a region in geo.regions", show(p, s));
		c->region = r;
	}
	return 0;
}

static int parse_geo(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	struct edge_cfg_geo *geo = &cfg->geo;
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[GEO__N];
	size_t i, j, n;
	int ret;

	ret = get_fields(p, node, "geo", geo_keys, v);
	if (ret)
		return ret;
	ret = require(p, node, "geo", "regions", v[GEO_REGIONS]);
	if (!ret)
		ret = get_list(p, v[GEO_REGIONS], "geo.regions", 1, EDGE_CFG_MAX_REGIONS, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const yaml_node_t *r = seq_item(p, v[GEO_REGIONS], i);

		ret = get_ident(p, r, item(field, "geo.regions", i), "region", geo->regions[i]);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (strcmp(geo->regions[j], geo->regions[i]))
				continue;
			return parse_err(p, node_line(r), field,
					 "'%s' is listed twice (first as regions[%zu])",
					 geo->regions[i], j);
		}
	}
	geo->n_regions = n;

	if (v[GEO_COUNTRIES]) {
		ret = parse_codes(p, v[GEO_COUNTRIES], cfg, false, &geo->countries,
				  &geo->n_countries);
		if (ret)
			return ret;
	}
	if (v[GEO_CONTINENTS]) {
		ret = parse_codes(p, v[GEO_CONTINENTS], cfg, true, &geo->continents,
				  &geo->n_continents);
		if (ret)
			return ret;
	}
	if (v[GEO_CSV]) {
		ret = load_geo_csv(p, v[GEO_CSV], cfg);
		if (ret)
			return ret;
	}
	if (v[GEO_MMDB])
		return load_geo_mmdb(p, v[GEO_MMDB], cfg);
	return 0;
}

/* ---------------------------------------------------------------- load balancing */

#define CFG_LB_UDP_TIMEOUT 30
#define CFG_LB_SOURCE4	   "172.16.0.0/16"
#define CFG_LB_SOURCE6	   "fd00:ae::/64"

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int get_policy(struct parser *p, const yaml_node_t *node, const char *field, __u8 *out)
{
	const char *s;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	if (!strcmp(s, "pass"))
		*out = EDGE_CFG_LB_PASS;
	else if (!strcmp(s, "drop"))
		*out = EDGE_CFG_LB_DROP;
	else
		return parse_err(p, node_line(node), field, "'%s' is not one of pass, drop",
				 show(p, s));
	return 0;
}

/* A tunnel source prefix of one family: at least 2^8 addresses, at most /8 (/0 for v6). */
static int get_source(struct parser *p, const yaml_node_t *node, const char *field, int family,
		      const char *dflt, __u8 *addr, __u8 *len)
{
	struct edge_cfg_prefix pfx;
	const char *s = dflt, *why;
	int ret, max = family == AF_INET ? 32 : 128;

	if (node) {
		ret = get_str(p, node, field, &s);
		if (ret)
			return ret;
	}
	if (parse_prefix(s, &pfx, &why))
		return parse_err(p, node ? node_line(node) : 1, field, "'%s' %s", show(p, s), why);
	if (pfx.family != family)
		return parse_err(p, node_line(node), field, "'%s' is not an %s prefix", show(p, s),
				 family == AF_INET ? "IPv4" : "IPv6");
	if (pfx.len > max - 8 || (family == AF_INET && pfx.len < 8))
		return parse_err(p, node_line(node), field,
				 "'%s': the prefix length must be %d..%d (the flow hash varies "
				 "the host bits)",
				 show(p, s), family == AF_INET ? 8 : 0, max - 8);
	memcpy(addr, pfx.addr, family == AF_INET ? 4 : 16);
	*len = pfx.len;
	return 0;
}

/* Conntrack entries per CPU: whole sets of EDGE_LB_CT_WAYS. */
static int get_ct_size(struct parser *p, const yaml_node_t *node, const char *field, __u32 *out)
{
	unsigned long long n;
	int ret;

	if (!node)
		return 0;
	ret = get_uint(p, node, field, EDGE_LB_CT_WAYS, EDGE_LB_CT_MAX, &n);
	if (ret)
		return ret;
	if (n % EDGE_LB_CT_WAYS)
		return parse_err(p, node_line(node), field,
				 "%llu is not a multiple of %d (entries come in sets of %d)", n,
				 EDGE_LB_CT_WAYS, EDGE_LB_CT_WAYS);
	*out = n;
	return 0;
}

static int parse_lb(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	struct edge_cfg_lb *lb = &cfg->lb;
	unsigned long long n;
	yaml_node_t *v[LB__N];
	const char *s;
	size_t i;
	int ret;

	lb->udp_timeout = CFG_LB_UDP_TIMEOUT;
	lb->ct4_size = 0; /* the loader's default: edge_lb_ct_auto() */
	lb->ct6_size = 0;
	if (!node) {
		ret = get_source(p, NULL, "lb.source4", AF_INET, CFG_LB_SOURCE4, lb->source4,
				 &lb->source4_len);
		return ret ? ret
			   : get_source(p, NULL, "lb.source6", AF_INET6, CFG_LB_SOURCE6,
					lb->source6, &lb->source6_len);
	}
	ret = get_fields(p, node, "lb", lb_keys, v);
	if (ret)
		return ret;
	lb->line = node_line(node);
	if (v[LB_SEED]) {
		ret = get_str(p, v[LB_SEED], "lb.seed", &s);
		if (ret)
			return ret;
		if (!strcmp(s, "generate")) {
			lb->seed_generate = true;
		} else {
			/* The value is secret: never quote it in a message. */
			for (i = 0; i < 32 && hexdigit(s[i]) >= 0; i++)
				;
			if (i != 32 || s[32])
				return parse_err(p, node_line(v[LB_SEED]), "lb.seed",
						 "must be 32 hex digits (128 bits; e.g. from "
						 "`head -c16 /dev/urandom | xxd -p`) or 'generate'");
			for (i = 0; i < 16; i++)
				lb->seed[i] = hexdigit(s[2 * i]) << 4 | hexdigit(s[2 * i + 1]);
			lb->seed_set = true;
		}
	}
	if (v[LB_UDP_TIMEOUT]) {
		ret = get_uint(p, v[LB_UDP_TIMEOUT], "lb.udp_timeout", 1, 86400, &n);
		if (ret)
			return ret;
		lb->udp_timeout = n;
	}
	if (v[LB_NEW_FLOW_RATE]) {
		ret = get_uint(p, v[LB_NEW_FLOW_RATE], "lb.new_flow_rate", 0, 100000000, &n);
		if (ret)
			return ret;
		lb->new_flow_rate = n;
	}
	ret = get_ct_size(p, v[LB_CONNTRACK_SIZE], "lb.conntrack_size", &lb->ct4_size);
	if (!ret)
		ret = get_ct_size(p, v[LB_CONNTRACK6_SIZE], "lb.conntrack6_size", &lb->ct6_size);
	if (ret)
		return ret;
	if (v[LB_FRAGMENTS]) {
		ret = get_policy(p, v[LB_FRAGMENTS], "lb.fragments", &lb->fragments);
		if (ret)
			return ret;
	}
	if (v[LB_IP_OPTIONS]) {
		ret = get_policy(p, v[LB_IP_OPTIONS], "lb.ip_options", &lb->ip_options);
		if (ret)
			return ret;
	}
	ret = get_source(p, v[LB_SOURCE4], "lb.source4", AF_INET, CFG_LB_SOURCE4, lb->source4,
			 &lb->source4_len);
	if (!ret)
		ret = get_source(p, v[LB_SOURCE6], "lb.source6", AF_INET6, CFG_LB_SOURCE6,
				 lb->source6, &lb->source6_len);
	return ret;
}

/* backends[0..i-1] of svc are parsed; *total counts backends of every service. */
static int parse_backend(struct parser *p, const yaml_node_t *node, const char *path,
			 struct edge_cfg_service *svc, size_t i)
{
	struct edge_cfg_backend *be = &svc->backends[i];
	char field[CFG_FIELD_LEN];
	unsigned long long n;
	yaml_node_t *v[BE__N];
	const char *s;
	size_t j;
	int ret;

	ret = get_fields(p, node, path, backend_keys, v);
	if (ret)
		return ret;
	be->line = node_line(node);
	ret = require(p, node, path, "address", v[BE_ADDRESS]);
	if (ret)
		return ret;
	ret = get_address(p, v[BE_ADDRESS], join(field, path, "address"), &be->addr, &be->family,
			  &s);
	if (ret)
		return ret;
	if (svc->family == AF_INET6 && be->family == AF_INET)
		return parse_err(p, node_line(v[BE_ADDRESS]), field,
				 "'%s' is an IPv4 backend of an IPv6 VIP (IPv6 cannot be "
				 "tunnelled in IPv4 here; use an IPv6 address)",
				 show(p, s));
	for (j = 0; j < i; j++) {
		if (memcmp(&svc->backends[j].addr, &be->addr, sizeof(be->addr)))
			continue;
		return parse_err(p, node_line(v[BE_ADDRESS]), field,
				 "'%s' is listed twice (first at line %d)", show(p, s),
				 svc->backends[j].line);
	}
	be->weight = 1;
	if (v[BE_WEIGHT]) {
		ret = get_uint(p, v[BE_WEIGHT], join(field, path, "weight"), 0,
			       EDGE_CFG_LB_WEIGHT_MAX, &n);
		if (ret)
			return ret;
		be->weight = n;
	}
	if (v[BE_DRAIN]) {
		ret = get_bool(p, v[BE_DRAIN], join(field, path, "drain"), &be->drain);
		if (ret)
			return ret;
	}
	return 0;
}

/* Add the service's VIP to cfg->vips (flag EDGE_VIP_F_LB) unless listed there. */
static int add_lb_vip(struct parser *p, struct edge_config *cfg, const struct edge_cfg_service *svc)
{
	struct edge_cfg_vip *vips;
	size_t j;

	for (j = 0; j < cfg->n_vips; j++) {
		if (!memcmp(&cfg->vips[j].key, &svc->vip, sizeof(svc->vip))) {
			cfg->vips[j].flags |= EDGE_VIP_F_LB;
			return 0;
		}
	}
	if (cfg->n_vips >= EDGE_MAX_VIPS)
		return parse_err(p, svc->line, "services", "more than %d VIPs in all",
				 EDGE_MAX_VIPS);
	vips = realloc(cfg->vips, (cfg->n_vips + 1) * sizeof(*vips));
	if (!vips)
		return oom_err(p);
	cfg->vips = vips;
	memset(&vips[cfg->n_vips], 0, sizeof(*vips));
	vips[cfg->n_vips].key = svc->vip;
	vips[cfg->n_vips].family = svc->family;
	vips[cfg->n_vips].flags = EDGE_VIP_F_LB;
	vips[cfg->n_vips].line = svc->line;
	cfg->n_vips++;
	return 0;
}

/* name, check and min_up of a service (after its backends). */
static int parse_service_health(struct parser *p, const char *path, struct edge_config *cfg,
				struct edge_cfg_service *svc, size_t i, yaml_node_t *const *v)
{
	char field[CFG_FIELD_LEN], owner[EDGE_CFG_NAME_LEN + 16];
	const yaml_node_t *target;
	struct edge_check_cfg tmpl;
	unsigned long long n;
	unsigned int port;
	size_t j;
	int ret;

	if (v[SVC_NAME]) {
		ret = get_ident(p, v[SVC_NAME], join(field, path, "name"), "service", svc->name);
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->services[j].name, svc->name))
				return parse_err(p, node_line(v[SVC_NAME]), field,
						 "'%s' is listed twice (first at line %d)",
						 svc->name, cfg->services[j].line);
	}
	if (!v[SVC_CHECK]) {
		if (v[SVC_MIN_UP])
			return parse_err(p, node_line(v[SVC_MIN_UP]), join(field, path, "min_up"),
					 "needs check");
		return 0;
	}
	join(field, path, "check");
	ret = parse_check_common(p, v[SVC_CHECK], field, &tmpl, &port, &target);
	if (ret)
		return ret;
	if (target)
		return parse_err(p, node_line(target), field,
				 "target: not in a service's check (it checks every backend)");
	if (tmpl.name[0])
		return parse_err(p, node_line(v[SVC_CHECK]), field,
				 "name: not in a service's check (one is made per backend)");
	if (!port)
		port = svc->port ? svc->port : check_default_port(tmpl.type);
	if (!port)
		return parse_err(p, node_line(v[SVC_CHECK]), field,
				 "port: required (the service has no port)");
	svc->checks = calloc(svc->n_backends, sizeof(*svc->checks));
	if (!svc->checks)
		return oom_err(p);
	if (svc->name[0])
		snprintf(owner, sizeof(owner), "%s", svc->name);
	else
		snprintf(owner, sizeof(owner), "services[%zu]", i);
	for (j = 0; j < svc->n_backends; j++) {
		const struct edge_cfg_backend *be = &svc->backends[j];
		struct edge_cfg_check *out = &svc->checks[j];
		struct sockaddr_storage *ss = &tmpl.addr;

		memset(ss, 0, sizeof(*ss));
		if (be->family == AF_INET) {
			ss->ss_family = AF_INET;
			memcpy(&((struct sockaddr_in *)ss)->sin_addr, &be->addr.addr[3], 4);
		} else {
			ss->ss_family = AF_INET6;
			memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, be->addr.addr, 16);
		}
		set_port(ss, port);
		out->check = tmpl;
		ret = finish_check(p, v[SVC_CHECK], field, owner, out);
		if (ret)
			return ret;
		out->backend = j;
		svc->n_checks++;
	}
	svc->min_up = 1;
	if (v[SVC_MIN_UP]) {
		ret = get_uint(p, v[SVC_MIN_UP], join(field, path, "min_up"), 1, svc->n_checks, &n);
		if (ret)
			return ret;
		svc->min_up = n;
	}
	return 0;
}

static int parse_service(struct parser *p, const yaml_node_t *node, const char *path,
			 struct edge_config *cfg, size_t i, size_t *total)
{
	struct edge_cfg_service *svc = &cfg->services[i];
	char field[CFG_FIELD_LEN], bpath[CFG_FIELD_LEN];
	unsigned long long n;
	yaml_node_t *v[SVC__N];
	const char *s;
	size_t j, nb;
	int ret;

	ret = get_fields(p, node, path, service_keys, v);
	if (ret)
		return ret;
	svc->line = node_line(node);
	ret = require(p, node, path, "vip", v[SVC_VIP]);
	if (!ret)
		ret = require(p, node, path, "proto", v[SVC_PROTO]);
	if (!ret)
		ret = require(p, node, path, "backends", v[SVC_BACKENDS]);
	if (ret)
		return ret;
	ret = get_address(p, v[SVC_VIP], join(field, path, "vip"), &svc->vip, &svc->family, &s);
	if (ret)
		return ret;
	ret = get_str(p, v[SVC_PROTO], join(field, path, "proto"), &s);
	if (ret)
		return ret;
	if (!strcasecmp(s, "tcp"))
		svc->proto = IPPROTO_TCP;
	else if (!strcasecmp(s, "udp"))
		svc->proto = IPPROTO_UDP;
	else
		return parse_err(p, node_line(v[SVC_PROTO]), field, "'%s' is not one of tcp, udp",
				 show(p, s));
	if (v[SVC_PORT]) {
		ret = get_uint(p, v[SVC_PORT], join(field, path, "port"), 0, 65535, &n);
		if (ret)
			return ret;
		svc->port = n;
	}
	for (j = 0; j < i; j++) {
		const struct edge_cfg_service *o = &cfg->services[j];

		if (memcmp(&o->vip, &svc->vip, sizeof(svc->vip)) || o->proto != svc->proto ||
		    o->port != svc->port)
			continue;
		return parse_err(p, svc->line, path,
				 "the same VIP, proto and port as services[%zu] (line %d)", j,
				 o->line);
	}
	for (j = 0; j < cfg->n_vips; j++) {
		if (memcmp(&cfg->vips[j].key, &svc->vip, sizeof(svc->vip)) ||
		    !(cfg->vips[j].flags & EDGE_VIP_F_DNS))
			continue;
		if (svc->proto == IPPROTO_UDP && (svc->port == 53 || svc->port == 0))
			return parse_err(p, node_line(v[SVC_PORT] ? v[SVC_PORT] : v[SVC_PROTO]),
					 path,
					 "UDP port 53 of %s is answered by DNS (vips[%zu] has "
					 "dns: true); pick another port",
					 show(p, scalar(v[SVC_VIP])), j);
	}

	ret = get_list(p, v[SVC_BACKENDS], join(field, path, "backends"), 1,
		       EDGE_CFG_LB_MAX_BACKENDS, &nb);
	if (ret)
		return ret;
	if (*total + nb > EDGE_CFG_LB_MAX_BACKENDS)
		return parse_err(p, node_line(v[SVC_BACKENDS]), field,
				 "more than %d backends in all services together",
				 EDGE_CFG_LB_MAX_BACKENDS);
	*total += nb;
	svc->backends = calloc(nb, sizeof(*svc->backends));
	if (!svc->backends)
		return oom_err(p);
	svc->n_backends = nb;
	for (j = 0; j < nb; j++) {
		ret = parse_backend(p, seq_item(p, v[SVC_BACKENDS], j),
				    item(bpath, join(field, path, "backends"), j), svc, j);
		if (ret)
			return ret;
	}

	svc->table_size = EDGE_CFG_LB_M_DEFAULT;
	if (v[SVC_TABLE_SIZE]) {
		ret = get_uint(p, v[SVC_TABLE_SIZE], join(field, path, "table_size"), 2,
			       EDGE_CFG_LB_M_MAX, &n);
		if (ret)
			return ret;
		if (!edge_maglev_is_prime(n))
			return parse_err(p, node_line(v[SVC_TABLE_SIZE]), field,
					 "%llu is not a prime (Maglev needs a prime table size; "
					 "e.g. 65537, 131071, 262139)",
					 n);
		svc->table_size = n;
	}
	if ((__u64)svc->table_size < 100ull * nb)
		return parse_err(p,
				 node_line(v[SVC_TABLE_SIZE] ? v[SVC_TABLE_SIZE]
							     : v[SVC_BACKENDS]),
				 join(field, path, "table_size"),
				 "%u is below 100 x %zu backends: the load would be uneven by more "
				 "than ~1%%; use a prime of at least %zu",
				 svc->table_size, nb, 100 * nb);
	ret = parse_service_health(p, path, cfg, svc, i, v);
	if (ret)
		return ret;
	return add_lb_vip(p, cfg, svc);
}

static int parse_services(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	char path[CFG_FIELD_LEN];
	size_t i, n, total = 0;
	int ret;

	ret = get_list(p, node, "services", 1, EDGE_CFG_LB_MAX_SERVICES, &n);
	if (ret)
		return ret;
	cfg->services = calloc(n, sizeof(*cfg->services));
	if (!cfg->services)
		return oom_err(p);
	cfg->n_services = n;
	for (i = 0; i < n; i++) {
		ret = parse_service(p, seq_item(p, node, i), item(path, "services", i), cfg, i,
				    &total);
		if (ret)
			return ret;
	}
	if (!cfg->lb.seed_set && !cfg->lb.seed_generate)
		return parse_err(p, node_line(node), "services",
				 "lb.seed is missing: every edge host of the PoP needs the same "
				 "secret flow-hash seed (32 hex digits), or set 'lb.seed: "
				 "generate' for a single host");
	return 0;
}

/* Route signalling and anycast prefixes. */

static const char *const backend_names[] = {
	[EDGE_ROUTE_BIRD] = "bird",
	[EDGE_ROUTE_EXABGP] = "exabgp",
	[EDGE_ROUTE_HOOK] = "hook",
	[EDGE_ROUTE_NONE] = "none",
};

static const char *const guard_names[] = {
	[EDGE_GUARD_STAY] = "stay",
	[EDGE_GUARD_WITHDRAW] = "withdraw",
};

const char *edge_route_backend_str(enum edge_route_backend backend)
{
	if ((unsigned int)backend >= sizeof(backend_names) / sizeof(backend_names[0]))
		return "unknown";
	return backend_names[backend];
}

const char *edge_guard_policy_str(enum edge_guard_policy policy)
{
	if ((unsigned int)policy >= sizeof(guard_names) / sizeof(guard_names[0]))
		return "unknown";
	return guard_names[policy];
}

/* One of names[0..n): its index. */
static int get_enum(struct parser *p, const yaml_node_t *node, const char *field,
		    const char *const *names, size_t n, unsigned int *out)
{
	char expected[CFG_FIELD_LEN];
	size_t i, off = 0;
	const char *s;
	int ret;

	ret = get_str(p, node, field, &s);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
		off += snprintf(expected + off, sizeof(expected) - off, "%s%s", i ? ", " : "",
				names[i]);
		if (off >= sizeof(expected))
			break;
	}
	return parse_err(p, node_line(node), field, "'%s' is not one of %s", show(p, s),
			 expected);
}

static int parse_drain(struct parser *p, const yaml_node_t *node, struct edge_cfg_route *rt)
{
	yaml_node_t *v[DRAIN__N];
	int ret;

	ret = get_fields(p, node, "route.drain", drain_keys, v);
	if (ret)
		return ret;
	if (v[DRAIN_COMMUNITY]) {
		ret = get_bool(p, v[DRAIN_COMMUNITY], "route.drain.community",
			       &rt->drain_community);
		if (ret)
			return ret;
	}
	if (v[DRAIN_TIMEOUT]) {
		ret = get_ms(p, v[DRAIN_TIMEOUT], "route.drain.timeout_ms", 0, 600000,
			     &rt->drain_timeout_ms);
		if (ret)
			return ret;
	}
	if (v[DRAIN_RATE])
		return get_uint(p, v[DRAIN_RATE], "route.drain.rate_pps", 0, 1ULL << 40,
				&rt->drain_rate_pps);
	return 0;
}

static void route_defaults(struct edge_cfg_route *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->backend = EDGE_ROUTE_BIRD;
	snprintf(rt->bird_socket, sizeof(rt->bird_socket), "%s", "/run/bird/bird.ctl");
	rt->hook_timeout_ms = 5000;
	rt->tick_ms = 1000;
	rt->lease = true;
	snprintf(rt->lease_ifname, sizeof(rt->lease_ifname), "%s", "anyedge0");
	rt->guard = EDGE_GUARD_STAY;
	rt->guard_window_ms = 10000;
	rt->drain_timeout_ms = 10000;
	rt->drain_rate_pps = 10;
}

static int parse_route(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	struct edge_cfg_route *rt = &cfg->route;
	yaml_node_t *v[RT__N];
	unsigned int e;
	size_t i;
	int ret;

	ret = get_fields(p, node, "route", route_keys, v);
	if (ret)
		return ret;
	rt->set = true;
	rt->line = node_line(node);
	if (v[RT_BACKEND]) {
		ret = get_enum(p, v[RT_BACKEND], "route.backend", backend_names,
			       sizeof(backend_names) / sizeof(backend_names[0]), &e);
		if (ret)
			return ret;
		rt->backend = e;
	}
	if (v[RT_BIRD_SOCKET]) {
		ret = get_str_max(p, v[RT_BIRD_SOCKET], "route.bird_socket", rt->bird_socket,
				  sizeof(rt->bird_socket));
		if (ret)
			return ret;
		if (rt->bird_socket[0] != '/')
			return parse_err(p, node_line(v[RT_BIRD_SOCKET]), "route.bird_socket",
					 "'%s' is not an absolute path", show(p, rt->bird_socket));
	}
	if (v[RT_HOOK]) {
		ret = get_str_max(p, v[RT_HOOK], "route.hook", rt->hook, sizeof(rt->hook));
		if (ret)
			return ret;
		if (rt->hook[0] != '/')
			return parse_err(p, node_line(v[RT_HOOK]), "route.hook",
					 "'%s' is not an absolute path", show(p, rt->hook));
	}
	if (rt->backend == EDGE_ROUTE_HOOK && !rt->hook[0])
		return parse_err(p, rt->line, "route.hook", "required with backend hook");
	if (v[RT_HOOK_TIMEOUT]) {
		ret = get_ms(p, v[RT_HOOK_TIMEOUT], "route.hook_timeout_ms", 10, 600000,
			     &rt->hook_timeout_ms);
		if (ret)
			return ret;
	}
	if (v[RT_TICK]) {
		ret = get_ms(p, v[RT_TICK], "route.tick_ms", 10, 60000, &rt->tick_ms);
		if (ret)
			return ret;
	}
	if (v[RT_LEASE]) {
		ret = get_bool(p, v[RT_LEASE], "route.lease", &rt->lease);
		if (ret)
			return ret;
	}
	if (v[RT_LEASE_IF]) {
		ret = get_str_max(p, v[RT_LEASE_IF], "route.lease_interface", rt->lease_ifname,
				  sizeof(rt->lease_ifname));
		if (ret)
			return ret;
		for (i = 0; rt->lease_ifname[i]; i++)
			if (rt->lease_ifname[i] <= ' ' || rt->lease_ifname[i] == '/' ||
			    rt->lease_ifname[i] == ':')
				break;
		if (!i || rt->lease_ifname[i])
			return parse_err(p, node_line(v[RT_LEASE_IF]), "route.lease_interface",
					 "'%s' is not an interface name", show(p, rt->lease_ifname));
	}
	if (v[RT_GUARD]) {
		ret = get_enum(p, v[RT_GUARD], "route.guard", guard_names,
			       sizeof(guard_names) / sizeof(guard_names[0]), &e);
		if (ret)
			return ret;
		rt->guard = e;
	}
	if (v[RT_GUARD_WINDOW]) {
		ret = get_ms(p, v[RT_GUARD_WINDOW], "route.guard_window_ms", 0, 3600000,
			     &rt->guard_window_ms);
		if (ret)
			return ret;
	}
	if (v[RT_DRAIN])
		return parse_drain(p, v[RT_DRAIN], rt);
	return 0;
}

/* A BIRD symbol: [A-Za-z_][A-Za-z0-9_]*, 1..64 bytes. */
static bool is_bird_symbol(const char *s)
{
	size_t i;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i < EDGE_CFG_PROTO_LEN;
}

static int parse_anycast_deps(struct parser *p, const yaml_node_t *node, const char *path,
			      struct edge_config *cfg, struct edge_cfg_anycast *ac)
{
	char field[CFG_FIELD_LEN];
	const char *s;
	size_t i, j, n;
	int ret, idx;

	ret = get_list(p, node, path, 0, EDGE_CFG_MAX_DEPS, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = seq_item(p, node, i);

		ret = get_str(p, it, item(field, path, i), &s);
		if (ret)
			return ret;
		idx = find_pool(cfg, s);
		if (idx < 0)
			return parse_err(p, node_line(it), field, "'%s' is not a pool in dns.pools",
					 show(p, s));
		for (j = 0; j < i; j++)
			if (ac->pools[j] == idx)
				return parse_err(p, node_line(it), field, "'%s' is listed twice",
						 show(p, s));
		ac->pools[i] = idx;
	}
	ac->n_pools = n;
	return 0;
}

static int parse_anycast_services(struct parser *p, const yaml_node_t *node, const char *path,
				  struct edge_config *cfg, struct edge_cfg_anycast *ac)
{
	char field[CFG_FIELD_LEN];
	const char *s;
	size_t i, j, k, n;
	int ret;

	ret = get_list(p, node, path, 0, EDGE_CFG_MAX_DEPS, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = seq_item(p, node, i);

		ret = get_str(p, it, item(field, path, i), &s);
		if (ret)
			return ret;
		for (k = 0; k < cfg->n_services; k++)
			if (cfg->services[k].name[0] && !strcmp(cfg->services[k].name, s))
				break;
		if (k == cfg->n_services)
			return parse_err(p, node_line(it), field,
					 "'%s' is not the name of a service in services", show(p, s));
		for (j = 0; j < i; j++)
			if (ac->services[j] == k)
				return parse_err(p, node_line(it), field, "'%s' is listed twice",
						 show(p, s));
		ac->services[i] = k;
	}
	ac->n_services = n;
	return 0;
}

static int parse_anycast_one(struct parser *p, const yaml_node_t *node, const char *path,
			     struct edge_config *cfg, size_t i)
{
	struct edge_cfg_anycast *ac = &cfg->anycast[i];
	char field[CFG_FIELD_LEN], text[INET6_ADDRSTRLEN];
	yaml_node_t *v[AC__N];
	struct edge_cfg_prefix pfx;
	unsigned long long n;
	const char *s, *why;
	size_t j, k;
	int ret;

	ret = get_fields(p, node, path, anycast_keys, v);
	if (ret)
		return ret;
	ac->line = node_line(node);
	ret = require(p, node, path, "prefix", v[AC_PREFIX]);
	if (ret)
		return ret;
	ret = get_str(p, v[AC_PREFIX], join(field, path, "prefix"), &s);
	if (ret)
		return ret;
	if (parse_prefix(s, &pfx, &why))
		return parse_err(p, node_line(v[AC_PREFIX]), field, "'%s' %s", show(p, s), why);
	memcpy(ac->addr, pfx.addr, sizeof(ac->addr));
	ac->family = pfx.family;
	ac->len = pfx.len;
	inet_ntop(ac->family, ac->addr, text, sizeof(text));
	snprintf(ac->prefix, sizeof(ac->prefix), "%s/%u", text, ac->len);
	for (j = 0; j < i; j++)
		if (!strcmp(cfg->anycast[j].prefix, ac->prefix))
			return parse_err(p, node_line(v[AC_PREFIX]), field,
					 "'%s' is listed twice (first at line %d)", ac->prefix,
					 cfg->anycast[j].line);

	if (v[AC_PROTOCOL]) {
		ret = get_str_max(p, v[AC_PROTOCOL], join(field, path, "protocol"), ac->protocol,
				  sizeof(ac->protocol));
		if (ret)
			return ret;
		if (!is_bird_symbol(ac->protocol))
			return parse_err(p, node_line(v[AC_PROTOCOL]), field,
					 "'%s' is not a BIRD protocol name ([A-Za-z_][A-Za-z0-9_]*)",
					 show(p, ac->protocol));
	} else {
		/* anyedge_192_0_2_54_32: BIRD symbols have no dots or colons. */
		snprintf(ac->protocol, sizeof(ac->protocol), "anyedge_%s", ac->prefix);
		for (k = 0; ac->protocol[k]; k++)
			if (ac->protocol[k] == '.' || ac->protocol[k] == ':' ||
			    ac->protocol[k] == '/')
				ac->protocol[k] = '_';
	}
	for (j = 0; j < i; j++)
		if (!strcmp(cfg->anycast[j].protocol, ac->protocol))
			return parse_err(p, ac->line, path,
					 "protocol '%s' is used twice (first at line %d)",
					 ac->protocol, cfg->anycast[j].line);

	if (v[AC_POOLS]) {
		ret = parse_anycast_deps(p, v[AC_POOLS], join(field, path, "pools"), cfg, ac);
		if (ret)
			return ret;
	}
	if (v[AC_SERVICES]) {
		ret = parse_anycast_services(p, v[AC_SERVICES], join(field, path, "services"),
					     cfg, ac);
		if (ret)
			return ret;
	}
	ac->min_healthy = ac->n_pools + ac->n_services;
	if (v[AC_MIN_HEALTHY]) {
		ret = get_uint(p, v[AC_MIN_HEALTHY], join(field, path, "min_healthy"),
			       ac->min_healthy ? 1 : 0, ac->min_healthy, &n);
		if (ret)
			return ret;
		ac->min_healthy = n;
	}
	ac->hold_down_ms = 5000;
	if (v[AC_HOLD_DOWN]) {
		ret = get_ms(p, v[AC_HOLD_DOWN], join(field, path, "hold_down_ms"), 0, 86400000,
			     &ac->hold_down_ms);
		if (ret)
			return ret;
	}
	ac->backoff_max_ms = 300000;
	if (v[AC_BACKOFF_MAX]) {
		ret = get_ms(p, v[AC_BACKOFF_MAX], join(field, path, "backoff_max_ms"),
			     ac->hold_down_ms, 86400000, &ac->backoff_max_ms);
		if (ret)
			return ret;
	} else if (ac->backoff_max_ms < ac->hold_down_ms) {
		ac->backoff_max_ms = ac->hold_down_ms;
	}
	ac->lease = cfg->route.lease;
	if (v[AC_LEASE])
		return get_bool(p, v[AC_LEASE], join(field, path, "lease"), &ac->lease);
	return 0;
}

static int parse_anycast(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	return parse_list(p, node, "anycast", 0, EDGE_CFG_MAX_ANYCAST, sizeof(*cfg->anycast), (void **)&cfg->anycast,
			  &cfg->n_anycast, cfg, parse_anycast_one);
}

static int parse_control(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	yaml_node_t *v[CONTROL__N];
	unsigned long long n;
	const char *s;
	int ret;

	ret = get_fields(p, node, "control", control_keys, v);
	if (ret)
		return ret;
	if (v[CONTROL_SOCKET]) {
		ret = get_str(p, v[CONTROL_SOCKET], "control.socket", &s);
		if (ret)
			return ret;
		if (s[0] != '/' || strlen(s) >= sizeof(cfg->control.socket))
			return parse_err(p, node_line(v[CONTROL_SOCKET]), "control.socket",
					 "'%s' is not an absolute path of at most %zu bytes",
					 show(p, s), sizeof(cfg->control.socket) - 1);
		strcpy(cfg->control.socket, s);
	}
	if (v[CONTROL_TIMEOUT_MS]) {
		ret = get_uint(p, v[CONTROL_TIMEOUT_MS], "control.timeout_ms", 100, 3600000, &n);
		if (ret)
			return ret;
		cfg->control.timeout_ms = n;
	}
	return 0;
}

int edge_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = host;
	unsigned long port;
	size_t hl;
	char *end;

	colon = strrchr(s, ':');
	if (!colon || colon == s || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !port || port > 65535)
		return -EINVAL;
	hl = colon - s;
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "*")) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (hl < 3 || host[0] != '[' || host[hl - 1] != ']')
		return -EINVAL;
	host[hl - 1] = '\0';
	h = host + 1;
	if (inet_pton(AF_INET6, h, &s6->sin6_addr) != 1)
		return -EINVAL;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	*len = sizeof(*s6);
	return 0;
}

static int parse_metrics(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	yaml_node_t *v[METRICS__N];
	const char *s;
	int ret;

	ret = get_fields(p, node, "metrics", metrics_keys, v);
	if (ret)
		return ret;
	ret = require(p, node, "metrics", "listen", v[METRICS_LISTEN]);
	if (ret)
		return ret;
	ret = get_str(p, v[METRICS_LISTEN], "metrics.listen", &s);
	if (ret)
		return ret;
	if (strlen(s) >= sizeof(cfg->metrics.listen) ||
	    edge_parse_listen(s, &cfg->metrics.addr, &cfg->metrics.addr_len))
		return parse_err(p, node_line(v[METRICS_LISTEN]), "metrics.listen",
				 "'%s' is not ADDR:PORT (192.0.2.1:9100, [2001:db8::1]:9100 "
				 "or *:9100)", show(p, s));
	strcpy(cfg->metrics.listen, s);
	cfg->metrics.line = node_line(v[METRICS_LISTEN]);
	return 0;
}

static int parse_root(struct parser *p, const yaml_node_t *root, struct edge_config *cfg)
{
	yaml_node_t *v[ROOT__N];
	const char *s;
	int ret;

	ret = get_fields(p, root, "", root_keys, v);
	if (ret)
		return ret;

	if (v[ROOT_PIN_PATH]) {
		ret = get_str(p, v[ROOT_PIN_PATH], "pin_path", &s);
		if (ret)
			return ret;
		if (s[0] != '/' || strlen(s) >= sizeof(cfg->pin_path))
			return parse_err(p, node_line(v[ROOT_PIN_PATH]), "pin_path",
					 "'%s' is not an absolute path", show(p, s));
		strcpy(cfg->pin_path, s);
	}

	ret = require(p, root, "", "interfaces", v[ROOT_INTERFACES]);
	if (ret)
		return ret;
	ret = parse_ifaces(p, v[ROOT_INTERFACES], cfg);
	if (ret)
		return ret;

	/* With services, vips may be left out: their VIPs are added. */
	if (!v[ROOT_SERVICES]) {
		ret = require(p, root, "", "vips", v[ROOT_VIPS]);
		if (ret)
			return ret;
	}
	if (v[ROOT_VIPS]) {
		ret = parse_vips(p, v[ROOT_VIPS], cfg);
		if (ret)
			return ret;
	}
	ret = parse_lb(p, v[ROOT_LB], cfg);
	if (ret)
		return ret;
	if (v[ROOT_SERVICES]) {
		ret = parse_services(p, v[ROOT_SERVICES], cfg);
		if (ret)
			return ret;
	}

	if (v[ROOT_CONTROL]) {
		ret = parse_control(p, v[ROOT_CONTROL], cfg);
		if (ret)
			return ret;
	}
	if (v[ROOT_METRICS]) {
		ret = parse_metrics(p, v[ROOT_METRICS], cfg);
		if (ret)
			return ret;
	}

	/* Regions before DNS: geo policies name them. */
	if (v[ROOT_GEO]) {
		ret = parse_geo(p, v[ROOT_GEO], cfg);
		if (ret)
			return ret;
	}
	if (v[ROOT_DNS]) {
		ret = parse_dns(p, v[ROOT_DNS], cfg);
		if (ret)
			return ret;
	}
	/* Route before anycast: its lease is the prefixes' default. */
	if (v[ROOT_ROUTE]) {
		ret = parse_route(p, v[ROOT_ROUTE], cfg);
		if (ret)
			return ret;
	}
	if (v[ROOT_ANYCAST])
		return parse_anycast(p, v[ROOT_ANYCAST], cfg);
	return 0;
}

/* libyaml reader errors carry a byte offset rather than a line. */
static size_t offset_line(const char *buf, size_t len, size_t offset)
{
	size_t i, line = 1;

	for (i = 0; i < offset && i < len; i++)
		line += buf[i] == '\n';
	return line;
}

static int syntax_err(struct parser *p, const yaml_parser_t *yp, const char *buf, size_t len)
{
	size_t line = yp->problem_mark.line + 1;

	/* Some of libyaml's allocation failures leave no problem behind. */
	if (yp->error == YAML_MEMORY_ERROR || !yp->problem)
		return oom_err(p);
	if (yp->error == YAML_READER_ERROR)
		line = offset_line(buf, len, yp->problem_offset);
	if (yp->context)
		return parse_err(p, line, NULL, "YAML syntax error: %s (%s started at line %zu)",
				 yp->problem, yp->context, yp->context_mark.line + 1);
	return parse_err(p, line, NULL, "YAML syntax error: %s", yp->problem);
}

/*
 * A first pass over the events: refuse nesting and anchors beyond the
 * limits above before the loader builds the document (at a cost bounded
 * by them). Syntax errors are reported as the loader would.
 */
static int check_shape(struct parser *p, const char *buf, size_t len)
{
	size_t depth = 0, anchors = 0, aliases = 0;
	yaml_parser_t yp;
	yaml_event_t ev;
	bool done = false;
	int ret = 0;

	if (!yaml_parser_initialize(&yp))
		return oom_err(p);
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	while (!done && !ret) {
		if (!yaml_parser_parse(&yp, &ev)) {
			ret = syntax_err(p, &yp, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > CFG_MAX_DEPTH)
				ret = parse_err(p, ev.start_mark.line + 1, NULL,
						"nested more than %d levels deep", CFG_MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_ALIAS_EVENT:
			if (++aliases > CFG_MAX_ALIASES)
				ret = parse_err(p, ev.start_mark.line + 1, NULL,
						"more than %d aliases (*name)", CFG_MAX_ALIASES);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		/* Scalars and collections may carry an anchor (&name). */
		if (!ret && ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) ||
			     (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.anchor) ||
			     (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor)) &&
		    ++anchors > CFG_MAX_ALIASES)
			ret = parse_err(p, ev.start_mark.line + 1, NULL,
					"more than %d anchors (&name)", CFG_MAX_ALIASES);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	return ret;
}

int edge_config_parse(const char *buf, size_t len, const char *name, struct edge_config *cfg,
		      char *err, size_t errlen)
{
	struct parser p = {.file = name, .err = err, .errlen = err ? errlen : 0};
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	yaml_node_t *root;
	size_t extra_line;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (p.errlen)
		err[0] = '\0';
	ret = check_shape(&p, buf, len);
	if (ret)
		return ret;
	if (!yaml_parser_initialize(&parser))
		return oom_err(&p);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	if (!yaml_parser_load(&parser, &doc)) {
		ret = syntax_err(&p, &parser, buf, len);
		goto out_parser;
	}
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root || node_is_null(root)) {
		ret = parse_err(&p, 1, NULL, "config is empty");
		goto out_doc;
	}

	/* A second document ("---") would be ignored silently: refuse it. */
	if (!yaml_parser_load(&parser, &extra)) {
		ret = syntax_err(&p, &parser, buf, len);
		goto out_doc;
	}
	root = yaml_document_get_root_node(&extra);
	extra_line = root ? node_line(root) : 0;
	yaml_document_delete(&extra);
	if (extra_line) {
		ret = parse_err(&p, extra_line, NULL,
				"a second YAML document; the config is a single one");
		goto out_doc;
	}

	snprintf(cfg->file, sizeof(cfg->file), "%s", name);
	snprintf(cfg->pin_path, sizeof(cfg->pin_path), "%s", EDGE_PIN_DEFAULT);
	cfg->dns_udp_size = EDGE_DNS_UDP_SIZE;
	cfg->rrl.slip = 2;
	cfg->rrl.prefix4 = 24;
	cfg->rrl.prefix6 = 56;
	route_defaults(&cfg->route);
	snprintf(cfg->control.socket, sizeof(cfg->control.socket), "%s", EDGE_CTL_SOCKET_DEFAULT);
	cfg->control.timeout_ms = 10000;
	ret = parse_root(&p, yaml_document_get_root_node(&doc), cfg);

out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	if (ret)
		edge_config_free(cfg);
	return ret;
}

/* The whole file into a malloc'd buffer; works for pipes and /dev/stdin too. */
static int read_file(const char *path, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *tmp;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == cap) {
			if (cap >= CFG_FILE_MAX) {
				ret = -EFBIG;
				goto err_free;
			}
			cap = cap ? cap * 2 : 16384;
			tmp = realloc(buf, cap);
			if (!tmp) {
				ret = -ENOMEM;
				goto err_free;
			}
			buf = tmp;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto err_free;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;

err_free:
	free(buf);
	close(fd);
	return ret;
}

int edge_config_load(const char *path, struct edge_config *cfg, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = read_file(path, &buf, &len);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = edge_config_parse(buf, len, path, cfg, err, errlen);
	free(buf);
	return ret;
}

void edge_config_free(struct edge_config *cfg)
{
	size_t i;

	free(cfg->ifaces);
	free(cfg->vips);
	for (i = 0; i < cfg->n_pools; i++)
		free(cfg->pools[i].checks);
	free(cfg->pools);
	free(cfg->anycast);
	for (i = 0; i < cfg->n_services; i++)
		free(cfg->services[i].checks);
	free(cfg->zones);
	for (i = 0; i < cfg->n_rrsets; i++)
		free(cfg->rrsets[i].geo);
	free(cfg->rrsets);
	free(cfg->geo.countries);
	free(cfg->geo.continents);
	free(cfg->geo.prefixes);
	for (i = 0; cfg->services && i < cfg->n_services; i++)
		free(cfg->services[i].backends);
	free(cfg->services);
	memset(cfg, 0, sizeof(*cfg));
}

bool edge_cfg_prefix_contains(const struct edge_cfg_anycast *ac, const struct edge_vip_key *vip)
{
	static const __u8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const __u8 *a = (const __u8 *)vip->addr;
	unsigned int bits = ac->len, full = bits / 8;

	if (ac->family == AF_INET) {
		if (memcmp(a, mapped, 12) || bits > 32)
			return false;
		a += 12;
	} else if (ac->family != AF_INET6 || !memcmp(a, mapped, 12) || bits > 128) {
		return false;
	}
	if (memcmp(a, ac->addr, full))
		return false;
	return !(bits % 8) || !((a[full] ^ ac->addr[full]) & (__u8)(0xff << (8 - bits % 8)));
}
