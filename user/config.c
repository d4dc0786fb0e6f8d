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
#include <unistd.h>
#include <yaml.h>

#include "config.h"

#define CFG_MAX_IFACES	  16
#define CFG_TTL_DEFAULT	  300
#define CFG_TTL_MAX	  2147483647ULL
#define CFG_UDP_SIZE_MIN  512
#define CFG_UDP_SIZE_MAX  4096
#define CFG_FILE_MAX	  (64 << 20) /* bytes; far above any real config */
#define CFG_FIELD_LEN	  128	     /* "dns.records[65535].values[7]" etc. */
#define CFG_SHOW_LEN	  48	     /* user text quoted in a message */
#define CFG_DNS_TYPE_A	  1
#define CFG_DNS_TYPE_AAAA 28

struct parser {
	const char *file; /* FILE in messages */
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	char shown[CFG_SHOW_LEN + 4]; /* show(): one user string per message */
};

/* Mapping schemas: the allowed keys, NULL-terminated, and their indexes. */
static const char *const root_keys[] = {"pin_path", "interfaces", "vips", "dns", NULL};
enum { ROOT_PIN_PATH, ROOT_INTERFACES, ROOT_VIPS, ROOT_DNS, ROOT__N };

static const char *const iface_keys[] = {"name", "mode", NULL};
enum { IFACE_NAME, IFACE_MODE, IFACE__N };

static const char *const vip_keys[] = {"address", "dns", NULL};
enum { VIP_ADDRESS, VIP_DNS, VIP__N };

static const char *const dns_keys[] = {"udp_size", "records", NULL};
enum { DNS_UDP_SIZE, DNS_RECORDS, DNS__N };

static const char *const record_keys[] = {"name", "type", "ttl", "values", NULL};
enum { REC_NAME, REC_TYPE, REC_TTL, REC_VALUES, REC__N };

#define CFG_MAX_KEYS 4 /* the largest schema above */

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
 * keys[i], or NULL when absent. Unknown and repeated keys are errors.
 * path names the mapping itself ("" for the top level).
 */
static int get_fields(struct parser *p, const yaml_node_t *map, const char *path,
		      const char *const *keys, yaml_node_t **vals)
{
	const yaml_node_t *seen[CFG_MAX_KEYS] = {NULL};
	char field[CFG_FIELD_LEN], expected[CFG_FIELD_LEN];
	yaml_node_pair_t *pair;
	size_t i, nkeys, off;
	int ret;

	ret = expect_kind(p, map, *path ? path : "config", YAML_MAPPING_NODE);
	if (ret)
		return ret;
	for (nkeys = 0; keys[nkeys]; nkeys++)
		vals[nkeys] = NULL;

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
	}
	return 0;
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
	ret = get_str(p, v[VIP_ADDRESS], join(field, path, "address"), &s);
	if (ret)
		return ret;
	if (parse_address(s, &vip->key, &vip->family))
		return parse_err(p, node_line(v[VIP_ADDRESS]), field,
				 "'%s' is not an IPv4 or IPv6 address", show(p, s));
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
	char path[CFG_FIELD_LEN];
	size_t i, n;
	int ret;

	ret = get_list(p, node, "vips", 1, EDGE_MAX_VIPS, &n);
	if (ret)
		return ret;
	cfg->vips = calloc(n, sizeof(*cfg->vips));
	if (!cfg->vips)
		return oom_err(p);
	cfg->n_vips = n;

	for (i = 0; i < n; i++) {
		ret = parse_vip(p, seq_item(p, node, i), item(path, "vips", i), cfg, i);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_values(struct parser *p, const yaml_node_t *node, const char *path,
			struct edge_cfg_record *rec)
{
	struct edge_dns_rrset *rrset = &rec->rrset;
	int family = rrset->rdlen == 4 ? AF_INET : AF_INET6;
	__u8 other[16];
	char field[CFG_FIELD_LEN];
	const char *s;
	size_t i, j, n;
	int ret;

	ret = get_list(p, node, path, 1, EDGE_DNS_MAX_RR, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const yaml_node_t *val = seq_item(p, node, i);

		ret = get_str(p, val, item(field, path, i), &s);
		if (ret)
			return ret;
		if (inet_pton(family, s, rrset->rdata[i]) != 1) {
			if (inet_pton(family == AF_INET ? AF_INET6 : AF_INET, s, other) == 1)
				return parse_err(p, node_line(val), field,
						 "'%s' is an %s address, but the type is %s",
						 show(p, s), family == AF_INET ? "IPv6" : "IPv4",
						 family == AF_INET ? "A" : "AAAA");
			return parse_err(p, node_line(val), field, "'%s' is not an %s address",
					 show(p, s), family == AF_INET ? "IPv4" : "IPv6");
		}
		for (j = 0; j < i; j++) {
			if (memcmp(rrset->rdata[j], rrset->rdata[i], rrset->rdlen))
				continue;
			return parse_err(p, node_line(val), field,
					 "'%s' is listed twice (first as values[%zu])", show(p, s),
					 j);
		}
	}
	rrset->count = n;
	return 0;
}

static int parse_record(struct parser *p, const yaml_node_t *node, const char *path,
			struct edge_cfg_record *rec)
{
	unsigned long long ttl = CFG_TTL_DEFAULT;
	char field[CFG_FIELD_LEN];
	yaml_node_t *v[REC__N];
	const char *s, *why;
	size_t i, len;
	int ret;

	ret = get_fields(p, node, path, record_keys, v);
	if (ret)
		return ret;
	rec->line = node_line(node);
	for (i = 0; i < REC__N; i++) {
		if (i == REC_TTL)
			continue;
		ret = require(p, node, path, record_keys[i], v[i]);
		if (ret)
			return ret;
	}

	ret = get_str(p, v[REC_NAME], join(field, path, "name"), &s);
	if (ret)
		return ret;
	ret = name_to_wire(s, rec->key.name, sizeof(rec->key.name), &why);
	if (ret < 0)
		return parse_err(p, node_line(v[REC_NAME]), field,
				 "'%s' is not a valid DNS name: %s", show(p, s), why);
	rec->key.name_len = ret;
	/* Presentation form: lowercased, without the final dot (but "." stays). */
	len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++)
		rec->name[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i];
	rec->name[len] = '\0';

	ret = get_str(p, v[REC_TYPE], join(field, path, "type"), &s);
	if (ret)
		return ret;
	if (!strcasecmp(s, "A")) {
		rec->key.qtype = CFG_DNS_TYPE_A;
		rec->rrset.rdlen = 4;
	} else if (!strcasecmp(s, "AAAA")) {
		rec->key.qtype = CFG_DNS_TYPE_AAAA;
		rec->rrset.rdlen = 16;
	} else {
		return parse_err(p, node_line(v[REC_TYPE]), field,
				 "'%s' is not a supported type (A, AAAA)", show(p, s));
	}

	if (v[REC_TTL]) {
		ret = get_uint(p, v[REC_TTL], join(field, path, "ttl"), 0, CFG_TTL_MAX, &ttl);
		if (ret)
			return ret;
	}
	rec->rrset.ttl = ttl;

	return parse_values(p, v[REC_VALUES], join(field, path, "values"), rec);
}

/* qsort_r order of record indexes: by map key, then by position in the file. */
static int cmp_record_idx(const void *a, const void *b, void *arg)
{
	const struct edge_cfg_record *recs = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c;

	c = memcmp(&recs[ia].key, &recs[ib].key, sizeof(recs[ia].key));
	if (c)
		return c;
	return ia < ib ? -1 : ia > ib;
}

/*
 * The same name and type twice: report the first repeat in file order.
 * Sorting keeps 65536 records fast where comparing all pairs would not.
 */
static int check_record_dups(struct parser *p, struct edge_config *cfg)
{
	size_t i, dup = SIZE_MAX, first = 0, *idx;
	char field[CFG_FIELD_LEN];
	int ret = 0;

	if (cfg->n_records < 2)
		return 0;
	idx = calloc(cfg->n_records, sizeof(*idx));
	if (!idx)
		return oom_err(p);
	for (i = 0; i < cfg->n_records; i++)
		idx[i] = i;
	qsort_r(idx, cfg->n_records, sizeof(*idx), cmp_record_idx, cfg->records);

	for (i = 1; i < cfg->n_records; i++) {
		if (memcmp(&cfg->records[idx[i - 1]].key, &cfg->records[idx[i]].key,
			   sizeof(cfg->records[0].key)))
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
	if (dup != SIZE_MAX)
		ret = parse_err(p, cfg->records[dup].line, item(field, "dns.records", dup),
				"%s %s is already defined at line %d", cfg->records[dup].name,
				cfg->records[dup].key.qtype == CFG_DNS_TYPE_A ? "A" : "AAAA",
				cfg->records[first].line);
	free(idx);
	return ret;
}

static int parse_dns(struct parser *p, const yaml_node_t *node, struct edge_config *cfg)
{
	unsigned long long udp_size;
	char path[CFG_FIELD_LEN];
	yaml_node_t *v[DNS__N];
	size_t i, n;
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

	if (!v[DNS_RECORDS])
		return 0;
	ret = get_list(p, v[DNS_RECORDS], "dns.records", 0, EDGE_MAX_DNS_NAMES, &n);
	if (ret || !n)
		return ret;
	cfg->records = calloc(n, sizeof(*cfg->records));
	if (!cfg->records)
		return oom_err(p);
	cfg->n_records = n;

	for (i = 0; i < n; i++) {
		ret = parse_record(p, seq_item(p, v[DNS_RECORDS], i), item(path, "dns.records", i),
				   &cfg->records[i]);
		if (ret)
			return ret;
	}
	return check_record_dups(p, cfg);
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

	ret = require(p, root, "", "vips", v[ROOT_VIPS]);
	if (ret)
		return ret;
	ret = parse_vips(p, v[ROOT_VIPS], cfg);
	if (ret)
		return ret;

	if (v[ROOT_DNS])
		return parse_dns(p, v[ROOT_DNS], cfg);
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
	free(cfg->ifaces);
	free(cfg->vips);
	free(cfg->records);
	memset(cfg, 0, sizeof(*cfg));
}
