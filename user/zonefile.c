// SPDX-License-Identifier: GPL-2.0
/*
 * Zone files (RFC 1035 §5 master files) from the parsed config: what
 * anyedged --emit-zone writes for the fallback name server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zonefile.h"

/* Enough for every pool of a record (weighted: up to EDGE_CFG_MAX_CAND). */
#define ZF_MAX_ADDRS (EDGE_CFG_MAX_CAND * EDGE_DNS_MAX_RR)

static const char *const policy_names[] = {
	[EDGE_CFG_POL_STATIC] = "static",
	[EDGE_CFG_POL_GEO] = "geo",
	[EDGE_CFG_POL_WEIGHTED] = "weighted",
	[EDGE_CFG_POL_FAILOVER] = "failover",
};

/* A config name ("www.example.com", "." for the root) as absolute, lowercase. */
static void put_name(FILE *f, const char *name)
{
	const char *s;

	for (s = name; *s; s++)
		fputc(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s, f);
	if (strcmp(name, "."))
		fputc('.', f);
}

/*
 * Text in a comment: a control byte (a newline in the config's path) would
 * end the comment and make the rest zone data.
 */
static void put_comment_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* "OWNER TTL IN TYPE " */
static void put_rr_start(FILE *f, const char *owner, unsigned int ttl, const char *type)
{
	put_name(f, owner);
	fprintf(f, "\t%u\tIN\t%s\t", ttl, type);
}

static const __u8 *pool_addr(const struct edge_cfg_pool *pool, __u16 qtype, size_t i)
{
	return qtype == EDGE_CFG_DNS_TYPE_A ? pool->a[i] : pool->aaaa[i];
}

static size_t pool_count(const struct edge_cfg_pool *pool, __u16 qtype)
{
	return qtype == EDGE_CFG_DNS_TYPE_A ? pool->n_a : pool->n_aaaa;
}

/*
 * The addresses a record is written with (see edge_zonefile_write), each
 * once, in config order; returns how many.
 */
static size_t record_addrs(const struct edge_config *cfg, const struct edge_cfg_rrset *rr,
			   const __u8 *out[ZF_MAX_ADDRS])
{
	size_t rdlen = rr->qtype == EDGE_CFG_DNS_TYPE_A ? 4 : 16, n = 0, npools, i, j, k;
	const struct edge_cfg_pool *pool;
	const __u8 *a;

	if (rr->policy == EDGE_CFG_POL_STATIC) {
		for (i = 0; i < rr->n_values; i++)
			out[n++] = rr->values[i];
		return n;
	}
	/* geo and failover: the first pool; weighted: all of them. */
	npools = rr->n_cand;
	if (rr->policy != EDGE_CFG_POL_WEIGHTED && npools > 1)
		npools = 1;
	for (i = 0; i < npools; i++) {
		pool = &cfg->pools[rr->cand[i].pool];
		for (j = 0; j < pool_count(pool, rr->qtype); j++) {
			a = pool_addr(pool, rr->qtype, j);
			for (k = 0; k < n && memcmp(out[k], a, rdlen); k++)
				;
			if (k == n && n < ZF_MAX_ADDRS)
				out[n++] = a;
		}
	}
	return n;
}

/* "; policy geo: pool iad (first of the default list)" and the like. */
static void put_policy_comment(FILE *f, const struct edge_config *cfg,
			       const struct edge_cfg_rrset *rr)
{
	size_t i;

	if (rr->policy == EDGE_CFG_POL_STATIC || !rr->n_cand)
		return;
	fprintf(f, "; policy %s: ", policy_names[rr->policy]);
	switch (rr->policy) {
	case EDGE_CFG_POL_GEO:
		fprintf(f, "pool %s (first of the default list)\n",
			cfg->pools[rr->cand[0].pool].name);
		break;
	case EDGE_CFG_POL_FAILOVER:
		fprintf(f, "pool %s (first of the list)\n", cfg->pools[rr->cand[0].pool].name);
		break;
	default:
		fprintf(f, "pool%s", rr->n_cand > 1 ? "s" : "");
		for (i = 0; i < rr->n_cand; i++)
			fprintf(f, "%s %s", i ? "," : "", cfg->pools[rr->cand[i].pool].name);
		fprintf(f, " (all of them)\n");
		break;
	}
}

static void put_record(FILE *f, const struct edge_config *cfg, const struct edge_cfg_rrset *rr)
{
	const __u8 *addrs[ZF_MAX_ADDRS];
	char text[INET6_ADDRSTRLEN];
	bool v4 = rr->qtype == EDGE_CFG_DNS_TYPE_A;
	size_t i, n;

	put_policy_comment(f, cfg, rr);
	n = record_addrs(cfg, rr, addrs);
	for (i = 0; i < n; i++) {
		inet_ntop(v4 ? AF_INET : AF_INET6, addrs[i], text, sizeof(text));
		put_rr_start(f, rr->name, rr->ttl, v4 ? "A" : "AAAA");
		fprintf(f, "%s\n", text);
	}
}

int edge_zonefile_write(FILE *f, const struct edge_config *cfg, size_t zone)
{
	const struct edge_cfg_zone *z = &cfg->zones[zone];
	const struct edge_cfg_soa *soa = &z->soa;
	size_t i;

	fprintf(f, "; Zone %s, written by anyedged --emit-zone from ", z->name);
	put_comment_text(f, cfg->file);
	fputs(".\n", f);
	fprintf(f, "; Records with a policy hold the answer a client with no location\n"
		   "; information gets while every pool is up:\n"
		   ";   geo       the first pool of the record's default list\n"
		   ";   failover  the first pool of the list\n"
		   ";   weighted  the addresses of every pool, each once\n");
	fputs("$ORIGIN ", f);
	put_name(f, z->name);
	fprintf(f, "\n$TTL %u\n", z->ttl);

	put_rr_start(f, z->name, soa->ttl, "SOA");
	put_name(f, soa->mname);
	fputc(' ', f);
	put_name(f, soa->rname);
	fprintf(f, " %u %u %u %u %u\n", soa->serial, soa->refresh, soa->retry, soa->expire,
		soa->minimum);
	for (i = 0; i < z->n_ns; i++) {
		put_rr_start(f, z->name, z->ttl, "NS");
		put_name(f, z->ns[i]);
		fputc('\n', f);
	}
	for (i = 0; i < cfg->n_rrsets; i++) {
		if (cfg->rrsets[i].zone == zone)
			put_record(f, cfg, &cfg->rrsets[i]);
	}
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

int edge_zonefile_path(const struct edge_config *cfg, size_t zone, const char *dir, char *path,
		       size_t size)
{
	int n;

	/* Never "." (the config rejects the root zone), so never "..zone". */
	n = snprintf(path, size, "%s/%s.zone", dir, cfg->zones[zone].name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Write one zone to path via path.tmp. */
static int emit_one(const struct edge_config *cfg, size_t zone, const char *path, char *err,
		    size_t errlen)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int ret;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(-ret));
		return ret;
	}
	errno = 0;
	ret = edge_zonefile_write(f, cfg, zone);
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-ret));
		goto err_unlink;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(-ret));
		goto err_unlink;
	}
	return 0;

err_unlink:
	unlink(tmp);
	return ret;
}

int edge_zonefile_emit(const struct edge_config *cfg, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < cfg->n_zones; i++) {
		ret = edge_zonefile_path(cfg, i, dir, path, sizeof(path));
		if (ret) {
			snprintf(err, errlen, "zone file for %s in %s: path too long",
				 cfg->zones[i].name, dir);
			return ret;
		}
		ret = emit_one(cfg, i, path, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}
