// SPDX-License-Identifier: GPL-2.0
/*
 * Daemon state shared by its modules (see daemon.h): the manual route
 * overrides and drains, and the built-in control commands and metrics
 * that show the daemon's own state. Modules add theirs through the same
 * tables (edge_ctl_register, edge_metrics_register).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "control.h"
#include "daemon.h"
#include "dns_compile.h"
#include "edge_lb.h"
#include "log.h"
#include "metrics.h"
#include "popd.h"
#include "stats.h"

/* ---- overrides and drains ---- */

int edged_addr_canon(const char *in, char *out, size_t outlen)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, in, a) == 1)
		return inet_ntop(AF_INET, a, out, outlen) ? 0 : -EINVAL;
	if (inet_pton(AF_INET6, in, a) == 1)
		return inet_ntop(AF_INET6, a, out, outlen) ? 0 : -EINVAL;
	return -EINVAL;
}

int edged_prefix_canon(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN], txt[INET6_ADDRSTRLEN];
	unsigned char a[16];
	const char *slash = strchr(in, '/');
	unsigned long len;
	int family, max, i;
	size_t alen;
	char *end;

	alen = slash ? (size_t)(slash - in) : strlen(in);
	if (!alen || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, in, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, a) == 1) {
		family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, a) == 1) {
		family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	len = max;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			goto bad;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > (unsigned long)max)
			goto bad;
	}
	for (i = len; i < max; i++) {
		if (a[i / 8] & (0x80 >> (i % 8))) {
			snprintf(err, errlen, "%s has host bits set beyond /%lu", addr, len);
			return -EINVAL;
		}
	}
	inet_ntop(family, a, txt, sizeof(txt));
	if ((size_t)snprintf(out, outlen, "%s/%lu", txt, len) >= outlen)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "not a prefix (expected 192.0.2.0/24 or 2001:db8::/32)");
	return -EINVAL;
}

static const char *const override_names[] = {
	[EDGED_OVR_AUTO] = "auto",
	[EDGED_OVR_ANNOUNCE] = "announce",
	[EDGED_OVR_WITHDRAW] = "withdraw",
};

const char *edged_override_str(enum edged_override_mode mode)
{
	return mode <= EDGED_OVR_WITHDRAW ? override_names[mode] : "?";
}

enum edged_override_mode edged_override_get(const struct edged *d, const char *prefix)
{
	size_t i;

	for (i = 0; i < d->n_overrides; i++)
		if (!strcmp(d->overrides[i].prefix, prefix))
			return d->overrides[i].mode;
	return EDGED_OVR_AUTO;
}

int edged_override_set(struct edged *d, const char *prefix, enum edged_override_mode mode)
{
	size_t i;

	if (strlen(prefix) >= EDGED_PREFIX_LEN)
		return -EINVAL;
	for (i = 0; i < d->n_overrides; i++)
		if (!strcmp(d->overrides[i].prefix, prefix))
			break;
	if (mode == EDGED_OVR_AUTO) {
		if (i < d->n_overrides)
			d->overrides[i] = d->overrides[--d->n_overrides];
	} else {
		if (i == d->n_overrides) {
			if (i == EDGED_MAX_OVERRIDES)
				return -ENOSPC;
			strcpy(d->overrides[i].prefix, prefix);
			d->n_overrides++;
		}
		d->overrides[i].mode = mode;
	}
	if (d->on_override)
		d->on_override(d, prefix, d->on_override_arg);
	return 0;
}

bool edged_is_drained(const struct edged *d, const char *backend)
{
	size_t i;

	for (i = 0; i < d->n_drained; i++)
		if (!strcmp(d->drained[i], backend))
			return true;
	return false;
}

/* The canonical text of a backend's address (IPv4 ones are stored mapped). */
static void backend_text(const struct edge_cfg_backend *b, char *out, size_t size)
{
	inet_ntop(b->family, b->family == AF_INET ? (const void *)&b->addr.addr[3] : b->addr.addr,
		  out, size);
}

void edged_apply_drains(const struct edged *d, struct edge_config *cfg)
{
	char addr[EDGED_BACKEND_LEN];
	size_t i, j;

	for (i = 0; i < cfg->n_services; i++) {
		for (j = 0; j < cfg->services[i].n_backends; j++) {
			struct edge_cfg_backend *b = &cfg->services[i].backends[j];

			backend_text(b, addr, sizeof(addr));
			b->drain_ctl = edged_is_drained(d, addr);
		}
	}
}

/* Is addr a backend of any configured service? */
static bool is_backend(const struct edge_config *cfg, const char *addr)
{
	char txt[EDGED_BACKEND_LEN];
	size_t i, j;

	for (i = 0; i < cfg->n_services; i++) {
		for (j = 0; j < cfg->services[i].n_backends; j++) {
			backend_text(&cfg->services[i].backends[j], txt, sizeof(txt));
			if (!strcmp(txt, addr))
				return true;
		}
	}
	return false;
}

int edged_drain_set(struct edged *d, const char *backend, bool drain)
{
	size_t i;

	if (strlen(backend) >= EDGED_BACKEND_LEN)
		return -EINVAL;
	for (i = 0; i < d->n_drained; i++)
		if (!strcmp(d->drained[i], backend))
			break;
	if (!drain) {
		if (i < d->n_drained)
			memcpy(d->drained[i], d->drained[--d->n_drained], EDGED_BACKEND_LEN);
	} else if (i == d->n_drained) {
		if (i == EDGED_MAX_DRAINS)
			return -ENOSPC;
		if (!d->drained) {
			d->drained = calloc(EDGED_MAX_DRAINS, EDGED_BACKEND_LEN);
			if (!d->drained)
				return -ENOMEM;
		}
		strcpy(d->drained[i], backend);
		d->n_drained++;
	}
	if (d->on_drain)
		d->on_drain(d, backend, d->on_drain_arg);
	return 0;
}

/* ---- control commands ---- */

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static struct json_object *overrides_json(const struct edged *d)
{
	struct json_object *arr = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < d->n_overrides; i++) {
		o = json_object_new_object();
		add_str(o, "prefix", d->overrides[i].prefix);
		add_str(o, "mode", edged_override_str(d->overrides[i].mode));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *drained_json(const struct edged *d)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < d->n_drained; i++)
		json_object_array_add(arr, json_object_new_string(d->drained[i]));
	return arr;
}

/* The live health of pool i, from the map: 1, 0, or -errno. */
static int pool_up(const struct edged *d, __u32 i)
{
	struct edge_dns_pool pool;
	int fd = edge_dp_map_fd(&d->dp, EDGE_MAP_DNS_POOLS);

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &i, &pool))
		return -errno;
	return !!pool.up;
}

static struct json_object *pools_json(const struct edged *d)
{
	struct json_object *arr = json_object_new_array(), *o;
	size_t i;
	int up;

	for (i = 0; i < d->cfg.n_pools; i++) {
		o = json_object_new_object();
		add_str(o, "name", d->cfg.pools[i].name);
		add_int(o, "index", i);
		up = pool_up(d, i);
		if (up < 0)
			json_object_object_add(o, "up", NULL);
		else
			json_object_object_add(o, "up", json_object_new_boolean(up));
		json_object_object_add(o, "configured_up",
				       json_object_new_boolean(d->cfg.pools[i].up));
		add_int(o, "a", d->cfg.pools[i].n_a);
		add_int(o, "aaaa", d->cfg.pools[i].n_aaaa);
		json_object_array_add(arr, o);
	}
	return arr;
}

int edged_vip_traffic(const struct edged *d, struct edge_vip_traffic **v, size_t *n)
{
	struct edge_vip_maps m = {
		.vips = edge_dp_map_fd(&d->dp, EDGE_MAP_VIPS),
		.tables = edge_dp_map_fd(&d->dp, EDGE_MAP_TABLES),
		.vip_stats = edge_dp_map_fd(&d->dp, EDGE_MAP_VIP_STATS),
		.lb_services = edge_dp_map_fd(&d->dp, EDGE_MAP_LB_SERVICES),
		.lb_svc_stats = edge_dp_map_fd(&d->dp, EDGE_MAP_LB_SVC_STATS),
	};

	if (m.vips < 0 || m.tables < 0 || m.vip_stats < 0)
		return -ENOENT;
	return edge_vip_traffic_read(&m, v, n);
}

const struct edge_cfg_anycast *edged_vip_prefix(const struct edged *d,
						const struct edge_vip_key *vip)
{
	const struct edge_cfg_anycast *best = NULL;
	size_t i;

	for (i = 0; i < d->cfg.n_anycast; i++)
		if (edge_cfg_prefix_contains(&d->cfg.anycast[i], vip) &&
		    (!best || d->cfg.anycast[i].len > best->len))
			best = &d->cfg.anycast[i];
	return best;
}

/* Per VIP: address, kinds, the anycast prefix it is in ("" if none), traffic. */
static struct json_object *vips_json(const struct edged *d)
{
	struct json_object *arr = json_object_new_array(), *o;
	const struct edge_cfg_anycast *ac;
	struct edge_vip_traffic *v;
	char a[INET6_ADDRSTRLEN];
	size_t i, n;

	if (!arr || edged_vip_traffic(d, &v, &n))
		return arr;
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		if (!o)
			break;
		edge_vip_str(&v[i].vip, a, sizeof(a));
		ac = edged_vip_prefix(d, &v[i].vip);
		add_str(o, "vip", a);
		add_int(o, "id", v[i].id);
		json_object_object_add(o, "dns", json_object_new_boolean(v[i].flags & EDGE_VIP_F_DNS));
		json_object_object_add(o, "lb", json_object_new_boolean(v[i].flags & EDGE_VIP_F_LB));
		add_str(o, "prefix", ac ? ac->prefix : "");
		add_int(o, "packets", (int64_t)v[i].packets);
		add_int(o, "bytes", (int64_t)v[i].bytes);
		add_int(o, "lb_packets", (int64_t)v[i].lb_packets);
		add_int(o, "lb_bytes", (int64_t)v[i].lb_bytes);
		json_object_array_add(arr, o);
	}
	free(v);
	return arr;
}

static int cmd_status(void *arg, const struct edge_ctl_req *req, struct json_object **data,
		      char *err, size_t errlen)
{
	struct json_object *o = json_object_new_object(), *dm, *ifs, *i1, *rl;
	struct edged *d = arg;
	size_t i;

	(void)req, (void)err, (void)errlen;
	if (!o)
		return -ENOMEM;
	dm = json_object_new_object();
	add_int(dm, "pid", getpid());
	add_int(dm, "started_at", d->started_at);
	add_int(dm, "uptime_s", (edge_now_ms() - d->started_ms) / 1000);
	add_str(dm, "config", d->config_path ?: "");
	add_str(dm, "pin_path", d->cfg.pin_path);
	add_int(dm, "vips", d->cfg.n_vips);
	add_int(dm, "zones", d->cfg.n_zones);
	add_int(dm, "dns_rrsets", d->cfg.n_rrsets);
	ifs = json_object_new_array();
	for (i = 0; i < d->dp.n_att; i++) {
		i1 = json_object_new_object();
		add_str(i1, "name", d->dp.att[i].name);
		add_str(i1, "mode", edge_xdp_mode_str(d->dp.att[i].mode));
		json_object_array_add(ifs, i1);
	}
	json_object_object_add(dm, "interfaces", ifs);
	json_object_object_add(o, "daemon", dm);

	rl = json_object_new_object();
	add_int(rl, "ok", d->n_reloads);
	add_int(rl, "failed", d->n_reload_failures);
	add_int(rl, "last_at", d->reload_at);
	if (d->reload_at)
		add_str(rl, "last_result", d->reload_err[0] ? "failed" : "ok");
	if (d->reload_err[0])
		add_str(rl, "last_error", d->reload_err);
	json_object_object_add(o, "reload", rl);
	json_object_object_add(o, "pools", pools_json(d));
	json_object_object_add(o, "overrides", overrides_json(d));
	json_object_object_add(o, "drained", drained_json(d));
	json_object_object_add(o, "vips", vips_json(d));
	edge_ctl_status_sections(d->ctl, o);
	*data = o;
	return 0;
}

static int cmd_stats(void *arg, const struct edge_ctl_req *req, struct json_object **data,
		     char *err, size_t errlen)
{
	struct edged *d = arg;
	struct edge_stats st;
	struct json_object *o;
	size_t i;
	int ret;

	(void)req;
	ret = edge_stats_read(edge_dp_stats_fd(&d->dp), &st);
	if (ret) {
		snprintf(err, errlen, "reading %s: %s", EDGE_MAP_STATS, strerror(-ret));
		return ret;
	}
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	for (i = 0; i < edge_stat_nfields; i++)
		add_int(o, edge_stat_fields[i].name, (int64_t)edge_stat_get(&st, i));
	json_object_object_add(o, "vips", vips_json(d));
	*data = o;
	return 0;
}

static int cmd_pools(void *arg, const struct edge_ctl_req *req, struct json_object **data,
		     char *err, size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	*data = pools_json(arg);
	return 0;
}

/* pool NAME|INDEX up|down */
static int cmd_pool(void *arg, const struct edge_ctl_req *req, struct json_object **data, char *err,
		    size_t errlen)
{
	struct edge_dns_pool pool = {};
	struct edged *d = arg;
	const char *name = req->argv[0];
	struct json_object *o;
	long idx = -1;
	char *end;
	int fd;

	if (strcmp(req->argv[1], "up") && strcmp(req->argv[1], "down")) {
		snprintf(err, errlen, "state must be up or down");
		return -EINVAL;
	}
	idx = edge_dns_pool_index(&d->cfg, name);
	if (idx < 0) {
		idx = strtol(name, &end, 10);
		if (*end || end == name || idx < 0 || (size_t)idx >= d->cfg.n_pools) {
			snprintf(err, errlen, "no pool named '%.64s' (see 'pools')", name);
			return -ENOENT;
		}
	}
	fd = edge_dp_map_fd(&d->dp, EDGE_MAP_DNS_POOLS);
	if (fd < 0) {
		snprintf(err, errlen, "no %s map", EDGE_MAP_DNS_POOLS);
		return fd;
	}
	pool.up = !strcmp(req->argv[1], "up");
	__u32 key = idx;
	if (bpf_map_update_elem(fd, &key, &pool, BPF_ANY)) {
		snprintf(err, errlen, "writing %s: %s", EDGE_MAP_DNS_POOLS, strerror(errno));
		return -errno;
	}
	pr_info("control: pool %s is now %s\n", d->cfg.pools[idx].name, req->argv[1]);
	o = json_object_new_object();
	add_str(o, "pool", d->cfg.pools[idx].name);
	add_int(o, "index", idx);
	json_object_object_add(o, "up", json_object_new_boolean(pool.up));
	*data = o;
	return 0;
}

static void service_name(const struct edge_cfg_service *s, char *out, size_t size)
{
	char vip[INET6_ADDRSTRLEN];

	inet_ntop(s->family, s->family == AF_INET ? (const void *)&s->vip.addr[3] : s->vip.addr,
		  vip, sizeof(vip));
	if (s->port)
		snprintf(out, size, "%s %s/%u", vip, s->proto == IPPROTO_TCP ? "tcp" : "udp",
			 s->port);
	else
		snprintf(out, size, "%s %s", vip, s->proto == IPPROTO_TCP ? "tcp" : "udp");
}

/* "up", "down" (its health check took it out) or "drained" (weight 0 in the table). */
static const char *lb_state(const struct edge_lb_be_view *v)
{
	return v->down ? "down" : v->weight ? "up" : "drained";
}

static __u64 counter(const struct edge_lb_counters *c, int k)
{
	return ((const __u64 *)c)[k];
}

static struct json_object *counters_json(const struct edge_lb_counters *c)
{
	struct json_object *o = json_object_new_object();
	int k;

	if (!o)
		return NULL;
	for (k = 0; k < EDGE_LB_NCOUNTERS; k++)
		add_int(o, edge_lb_counter_names[k], (int64_t)counter(c, k));
	return o;
}

/* Backend j of service i: its check's last result, when it has one. */
static void add_check(struct json_object *b, const struct edged *d, size_t i, size_t j)
{
	struct edged_check_status cs;

	if (edged_backend_check_get(d, i, j, &cs)) {
		add_str(b, "health", "unchecked");
		return;
	}
	add_str(b, "health", cs.up ? "up" : "down");
	add_str(b, "check", cs.name);
	add_str(b, "last_result", cs.last_result);
	add_str(b, "last_error", cs.last_error ? cs.last_error : "");
	add_int(b, "latency_us", cs.last_latency_us);
	add_int(b, "since_ms", (int64_t)cs.since_ms);
	add_int(b, "runs", (int64_t)cs.runs);
	add_int(b, "failures", (int64_t)cs.failures);
}

/*
 * The configured backends: drain state, what the data path does with each
 * (lb_state, effective weight, counters) and its health check's last result.
 */
static int cmd_backends(void *arg, const struct edge_ctl_req *req, struct json_object **data,
			char *err, size_t errlen)
{
	struct json_object *o = json_object_new_object(), *arr, *b;
	char name[96], addr[EDGED_BACKEND_LEN];
	struct edge_lb_counters cnt;
	struct edge_lb_be_view v;
	struct edged *d = arg;
	size_t i, j;

	(void)req, (void)err, (void)errlen;
	if (!o)
		return -ENOMEM;
	arr = json_object_new_array();
	for (i = 0; i < d->cfg.n_services; i++) {
		const struct edge_cfg_service *s = &d->cfg.services[i];

		service_name(s, name, sizeof(name));
		for (j = 0; j < s->n_backends; j++) {
			backend_text(&s->backends[j], addr, sizeof(addr));
			b = json_object_new_object();
			add_str(b, "service", name);
			add_str(b, "address", addr);
			add_int(b, "weight", s->backends[j].weight);
			json_object_object_add(b, "drain",
					       json_object_new_boolean(s->backends[j].drain));
			json_object_object_add(b, "drained_by_hand",
					       json_object_new_boolean(edged_is_drained(d, addr)));
			if (!edge_lb_backend_view(&d->dp, i, j, &v, &cnt)) {
				add_int(b, "id", v.id);
				add_str(b, "lb_state", lb_state(&v));
				add_int(b, "effective_weight", v.weight);
				json_object_object_add(b, "counters", counters_json(&cnt));
			}
			add_check(b, d, i, j);
			json_object_array_add(arr, b);
		}
	}
	json_object_object_add(o, "backends", arr);
	json_object_object_add(o, "drained", drained_json(d));
	*data = o;
	return 0;
}

static int do_drain(struct edged *d, const struct edge_ctl_req *req, bool drain,
		    struct json_object **data, char *err, size_t errlen)
{
	char addr[EDGED_BACKEND_LEN];
	struct json_object *o;
	bool was;
	int ret;

	if (edged_addr_canon(req->argv[0], addr, sizeof(addr))) {
		snprintf(err, errlen, "'%.64s' is not a backend address", req->argv[0]);
		return -EINVAL;
	}
	if (drain && !is_backend(&d->cfg, addr)) {
		snprintf(err, errlen, "%s is not a backend of any service (see 'backends')", addr);
		return -ENOENT;
	}
	was = edged_is_drained(d, addr);
	ret = edged_drain_set(d, addr, drain);
	if (!ret && was != drain) {
		/* Re-fill the Maglev tables: the backend's slots move at once. */
		edged_apply_drains(d, &d->cfg);
		ret = edge_lb_sync(&d->dp, &d->cfg, err, errlen);
		if (ret) {
			edged_drain_set(d, addr, was);
			edged_apply_drains(d, &d->cfg);
			return ret;
		}
	}
	if (ret) {
		snprintf(err, errlen, "%s",
			 ret == -ENOSPC ? "too many drained backends" : strerror(-ret));
		return ret;
	}
	if (was != drain)
		pr_info("control: backend %s %s\n", addr, drain ? "drained" : "undrained");
	o = json_object_new_object();
	add_str(o, "backend", addr);
	json_object_object_add(o, "drained", json_object_new_boolean(drain));
	json_object_object_add(o, "changed", json_object_new_boolean(was != drain));
	*data = o;
	return 0;
}

static int cmd_drain(void *arg, const struct edge_ctl_req *req, struct json_object **data,
		     char *err, size_t errlen)
{
	return do_drain(arg, req, true, data, err, errlen);
}

static int cmd_undrain(void *arg, const struct edge_ctl_req *req, struct json_object **data,
		       char *err, size_t errlen)
{
	return do_drain(arg, req, false, data, err, errlen);
}

static int do_override(struct edged *d, const struct edge_ctl_req *req,
		       enum edged_override_mode mode, struct json_object **data, char *err,
		       size_t errlen)
{
	char prefix[EDGED_PREFIX_LEN];
	enum edged_override_mode was;
	struct json_object *o;
	int ret;

	ret = edged_prefix_canon(req->argv[0], prefix, sizeof(prefix), err, errlen);
	if (ret)
		return ret;
	was = edged_override_get(d, prefix);
	ret = edged_override_set(d, prefix, mode);
	if (ret) {
		snprintf(err, errlen, "%s", ret == -ENOSPC ? "too many overrides" : strerror(-ret));
		return ret;
	}
	if (was != mode)
		pr_info("control: prefix %s override %s -> %s\n", prefix, edged_override_str(was),
			edged_override_str(mode));
	o = json_object_new_object();
	add_str(o, "prefix", prefix);
	add_str(o, "override", edged_override_str(mode));
	add_str(o, "previous", edged_override_str(was));
	*data = o;
	return 0;
}

static int cmd_announce(void *arg, const struct edge_ctl_req *req, struct json_object **data,
			char *err, size_t errlen)
{
	return do_override(arg, req, EDGED_OVR_ANNOUNCE, data, err, errlen);
}

static int cmd_withdraw(void *arg, const struct edge_ctl_req *req, struct json_object **data,
			char *err, size_t errlen)
{
	return do_override(arg, req, EDGED_OVR_WITHDRAW, data, err, errlen);
}

static int cmd_auto(void *arg, const struct edge_ctl_req *req, struct json_object **data, char *err,
		    size_t errlen)
{
	return do_override(arg, req, EDGED_OVR_AUTO, data, err, errlen);
}

/* ---- metrics of the daemon's own state ---- */

/* One service's or backend's labels and view, read once per snapshot. */
struct lb_metric {
	char svc[200];	/* escaped label values */
	char addr[100]; /* backend only */
	bool ok;	/* in the data path */
	struct edge_lb_be_view v;
	struct edge_lb_counters cnt;
	int health;	/* 1 UP, 0 DOWN, -1 unchecked */
};

static void lb_counter_family(FILE *f, const char *what, int k)
{
	fprintf(f, "# HELP anyedge_lb_%s_%s_total Load balancer %s per %s.\n"
		   "# TYPE anyedge_lb_%s_%s_total counter\n",
		what, edge_lb_counter_names[k], edge_lb_counter_names[k], what, what,
		edge_lb_counter_names[k]);
}

/*
 * Per service and backend: data path state and counters (each read once
 * here, so at most one snapshot period old) and health.
 */
static void metrics_lb(struct edged *d, FILE *f)
{
	size_t i, j, nb = 0, ns = d->cfg.n_services;
	char name[96], addr[EDGED_BACKEND_LEN];
	struct edged_check_status cs;
	struct lb_metric *sm, *bm, *m;
	__u32 id;
	int k;

	if (!ns)
		return;
	for (i = 0; i < ns; i++)
		nb += d->cfg.services[i].n_backends;
	sm = calloc(ns, sizeof(*sm));
	bm = calloc(nb ? nb : 1, sizeof(*bm));
	if (!sm || !bm)
		goto out;
	for (i = 0, m = bm; i < ns; i++) {
		const struct edge_cfg_service *s = &d->cfg.services[i];

		service_name(s, name, sizeof(name));
		edge_metrics_label(name, sm[i].svc, sizeof(sm[i].svc));
		sm[i].ok = !edge_lb_service_view(&d->dp, i, &id, &sm[i].cnt);
		for (j = 0; j < s->n_backends; j++, m++) {
			strcpy(m->svc, sm[i].svc);
			backend_text(&s->backends[j], addr, sizeof(addr));
			edge_metrics_label(addr, m->addr, sizeof(m->addr));
			m->ok = !edge_lb_backend_view(&d->dp, i, j, &m->v, &m->cnt);
			m->health = edged_backend_check_get(d, i, j, &cs) ? -1 : cs.up;
		}
	}
	fprintf(f, "# HELP anyedge_lb_backend_up 1 while the backend gets new flows (not taken "
		   "out by its check, weight > 0).\n"
		   "# TYPE anyedge_lb_backend_up gauge\n");
	for (m = bm; m < bm + nb; m++)
		if (m->ok)
			fprintf(f, "anyedge_lb_backend_up{service=\"%s\",backend=\"%s\"} %d\n",
				m->svc, m->addr, !m->v.down && m->v.weight);
	fprintf(f, "# HELP anyedge_lb_backend_health Backend health check (1 UP, 0 DOWN; none "
		   "for an unchecked backend).\n"
		   "# TYPE anyedge_lb_backend_health gauge\n");
	for (m = bm; m < bm + nb; m++)
		if (m->health >= 0)
			fprintf(f, "anyedge_lb_backend_health{service=\"%s\",backend=\"%s\"} %d\n",
				m->svc, m->addr, m->health);
	for (k = 0; k < EDGE_LB_NCOUNTERS; k++) {
		lb_counter_family(f, "service", k);
		for (m = sm; m < sm + ns; m++)
			if (m->ok)
				fprintf(f, "anyedge_lb_service_%s_total{service=\"%s\"} %llu\n",
					edge_lb_counter_names[k], m->svc,
					(unsigned long long)counter(&m->cnt, k));
	}
	for (k = 0; k < EDGE_LB_NCOUNTERS; k++) {
		lb_counter_family(f, "backend", k);
		for (m = bm; m < bm + nb; m++)
			if (m->ok)
				fprintf(f,
					"anyedge_lb_backend_%s_total{service=\"%s\",backend=\"%s\"} "
					"%llu\n",
					edge_lb_counter_names[k], m->svc, m->addr,
					(unsigned long long)counter(&m->cnt, k));
	}
out:
	free(sm);
	free(bm);
}

/* Per VIP, every packet to it (the load balancer's forwarded ones included). */
static void metrics_vips(struct edged *d, FILE *f)
{
	struct edge_vip_traffic *v;
	char a[INET6_ADDRSTRLEN];
	size_t i, n;

	if (edged_vip_traffic(d, &v, &n))
		return;
	fprintf(f, "# HELP anyedge_vip_packets_total Packets to the VIP (answered, forwarded, "
		   "passed or dropped).\n"
		   "# TYPE anyedge_vip_packets_total counter\n");
	for (i = 0; i < n; i++) {
		edge_vip_str(&v[i].vip, a, sizeof(a));
		fprintf(f, "anyedge_vip_packets_total{vip=\"%s\"} %llu\n", a,
			(unsigned long long)v[i].packets);
	}
	fprintf(f, "# HELP anyedge_vip_bytes_total Bytes to the VIP, as received.\n"
		   "# TYPE anyedge_vip_bytes_total counter\n");
	for (i = 0; i < n; i++) {
		edge_vip_str(&v[i].vip, a, sizeof(a));
		fprintf(f, "anyedge_vip_bytes_total{vip=\"%s\"} %llu\n", a,
			(unsigned long long)v[i].bytes);
	}
	free(v);
}

static void metrics_daemon(void *arg, FILE *f)
{
	struct edged *d = arg;
	char lbl[2 * EDGE_CFG_NAME_LEN + 8];
	size_t i;
	int up;

	fprintf(f,
		"# HELP anyedge_start_time_seconds Start time of anyedged (unix time).\n"
		"# TYPE anyedge_start_time_seconds gauge\n"
		"anyedge_start_time_seconds %lld\n",
		(long long)d->started_at);
	fprintf(f,
		"# HELP anyedge_reloads_total Configuration reloads by result.\n"
		"# TYPE anyedge_reloads_total counter\n"
		"anyedge_reloads_total{result=\"ok\"} %u\n"
		"anyedge_reloads_total{result=\"failed\"} %u\n",
		d->n_reloads, d->n_reload_failures);
	fprintf(f,
		"# HELP anyedge_config_last_reload_ok 1 if the last reload applied.\n"
		"# TYPE anyedge_config_last_reload_ok gauge\n"
		"anyedge_config_last_reload_ok %d\n",
		!d->reload_err[0]);
	fprintf(f, "# HELP anyedge_dns_pool_up DNS answer pool health (1 up, 0 down).\n"
		   "# TYPE anyedge_dns_pool_up gauge\n");
	for (i = 0; i < d->cfg.n_pools; i++) {
		up = pool_up(d, i);
		if (up >= 0)
			fprintf(f, "anyedge_dns_pool_up{pool=\"%s\"} %d\n",
				edge_metrics_label(d->cfg.pools[i].name, lbl, sizeof(lbl)), up);
	}
	fprintf(f, "# HELP anyedge_route_override Manual route overrides (1 per prefix).\n"
		   "# TYPE anyedge_route_override gauge\n");
	for (i = 0; i < d->n_overrides; i++)
		fprintf(f, "anyedge_route_override{prefix=\"%s\",mode=\"%s\"} 1\n",
			d->overrides[i].prefix, edged_override_str(d->overrides[i].mode));
	metrics_vips(d, f);
	metrics_lb(d, f);
	fprintf(f,
		"# HELP anyedge_backends_drained Backends drained by hand.\n"
		"# TYPE anyedge_backends_drained gauge\n"
		"anyedge_backends_drained %zu\n",
		d->n_drained);
	fprintf(f,
		"# HELP anyedge_control_clients Clients connected to the control socket.\n"
		"# TYPE anyedge_control_clients gauge\n"
		"anyedge_control_clients %u\n",
		d->ctl ? edge_ctl_nclients(d->ctl) : 0);
}

int edged_ctl_init(struct edged *d)
{
	const struct edge_ctl_cmd cmds[] = {
		{"status", 0, 0, NULL, "daemon, reload, pools, overrides, drains and more",
		 cmd_status, d},
		{"stats", 0, 0, NULL, "data path counters, summed over CPUs", cmd_stats, d},
		{"pools", 0, 0, NULL, "DNS answer pools and their health", cmd_pools, d},
		{"pool", 2, 2, "NAME|INDEX up|down", "set a DNS pool's health", cmd_pool, d},
		{"backends", 0, 0, NULL, "load-balancer backends and their health", cmd_backends,
		 d},
		{"drain", 1, 1, "BACKEND", "give a backend no new flows (survives reload)",
		 cmd_drain, d},
		{"undrain", 1, 1, "BACKEND", "undo drain", cmd_undrain, d},
		{"announce", 1, 1, "PREFIX", "keep PREFIX announced whatever health says",
		 cmd_announce, d},
		{"withdraw", 1, 1, "PREFIX", "keep PREFIX withdrawn whatever health says",
		 cmd_withdraw, d},
		{"auto", 1, 1, "PREFIX", "clear the override of PREFIX: health decides", cmd_auto,
		 d},
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		ret = edge_ctl_register(d->ctl, &cmds[i]);
		if (ret)
			return ret;
	}
	return edge_metrics_register(d->metrics, "daemon", metrics_daemon, d);
}
