// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "edge.skel.h"
#include "edge_lb.h"
#include "dns_compile.h"
#include "edge_table.h"
#include "geo_dir.h"
#include "loader.h"
#include "log.h"
#include "stats.h"
#include "table.h"

#define VERIFIER_LOG_SIZE (4u << 20)
#define VERIFIER_TAIL_LINES 25

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *edge_xdp_mode_str(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unspec";
	}
}

/* The last lines of the verifier log: the part that says what failed. */
static const char *log_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && (*(p - 1) == '\n' || *(p - 1) == ' '))
		p--;
	while (p > log && lines > 0) {
		p--;
		if (*p == '\n')
			lines--;
	}
	return *p == '\n' ? p + 1 : p;
}

/* bpffs must be mounted on the pin directory's parent; mount it if not. */
static int ensure_pin_dir(const char *pin_path, char *err, size_t errlen)
{
	char buf[PATH_MAX], *parent;
	struct statfs st;

	snprintf(buf, sizeof(buf), "%s", pin_path);
	parent = dirname(buf);
	if (statfs(parent, &st) || st.f_type != BPF_FS_MAGIC) {
		pr_info("bpffs not mounted on %s; mounting it\n", parent);
		if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
			int e = errno;

			set_err(err, errlen, "bpffs unavailable: mount -t bpf bpf %s failed: %s",
				parent, strerror(e));
			return -e;
		}
	}
	if (mkdir(pin_path, 0700) && errno != EEXIST) {
		int e = errno;

		set_err(err, errlen, "cannot create pin directory %s: %s", pin_path, strerror(e));
		return -e;
	}
	return 0;
}

static int tables_read(const struct edge_dp *dp, struct edge_tables *t)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.edge_tables), &zero, t))
		return -errno;
	return 0;
}

static int tables_write(struct edge_dp *dp, const struct edge_tables *t, char *err,
			size_t errlen)
{
	struct edge_tables v = *t;
	__u32 zero = 0;

	v.format = EDGE_TABLES_FORMAT;
	if (!bpf_map_update_elem(bpf_map__fd(dp->skel->maps.edge_tables), &zero, &v, BPF_ANY))
		return 0;
	set_err(err, errlen, "writing to map %s failed: %s", EDGE_MAP_TABLES, strerror(errno));
	return -errno;
}

/*
 * Pinned tables written by a daemon of another table format (see
 * EDGE_TABLES_FORMAT) are not reused: the program still attached reads
 * them with its own keys. Fresh maps read 0 (no daemon wrote them yet).
 */
static int tables_format_check(const struct edge_dp *dp, char *err, size_t errlen)
{
	struct edge_tables t;
	int ret = tables_read(dp, &t);

	if (ret) {
		set_err(err, errlen, "reading map %s failed: %s", EDGE_MAP_TABLES, strerror(-ret));
		return ret;
	}
	if (t.format && t.format != EDGE_TABLES_FORMAT) {
		set_err(err, errlen,
			"the pinned map %s holds tables of format %u, this daemon writes %u: "
			"a running program would misread them; stop the old daemon, remove the "
			"pins under %s and start",
			EDGE_MAP_TABLES, t.format, EDGE_TABLES_FORMAT, dp->pin_path);
		return -EPROTO;
	}
	return 0;
}

/*
 * The DNS half in use in reused pinned maps (a restart, a takeover, a
 * killed predecessor whose program still runs): the next sync must write
 * the other half, never the one a running program reads. Fresh maps: 0.
 */
static __u32 live_dns_gen(const struct edge_dp *dp)
{
	struct edge_tables t;

	if (tables_read(dp, &t))
		return 0;
	return t.dns_gen & 1;
}

/*
 * A pinned conntrack of another size or layout (lb.conntrack_size changed,
 * an older version) cannot be reused: it is soft state, so unpin it and
 * start with an empty one. Established flows then take the Maglev table
 * (counted as non-SYN misses), which still agrees unless it changed.
 */
static void ct_unpin_other(const char *pin_path, const char *name, const struct bpf_map *map)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(map) &&
	    info.value_size == bpf_map__value_size(map) &&
	    info.max_entries == bpf_map__max_entries(map) && info.map_flags == bpf_map__map_flags(map)) {
		close(fd);
		return;
	}
	close(fd);
	if (unlink(path))
		pr_warn("cannot remove %s: %s\n", path, strerror(errno));
	else
		pr_info("%s: new size or layout, starting with an empty conntrack\n", name);
}

/*
 * The conntrack (bpf/lb_maps.h): lb.conntrack_size entries per CPU in sets
 * of EDGE_LB_CT_WAYS (by default a total shared out: edge_lb_ct_auto()),
 * for every possible CPU.
 */
static int ct_size(struct edge_dp *dp, const struct edge_config *cfg, const char *pin_path,
		   char *err, size_t errlen)
{
	int cpus = libbpf_num_possible_cpus(), ret;
	__u32 s4, s6;

	if (cpus < 0) {
		set_err(err, errlen, "cannot count the possible CPUs: %s", strerror(-cpus));
		return cpus;
	}
	if (cpus > EDGE_LB_CT_MAX_CPUS) {
		set_err(err, errlen, "%d possible CPUs: at most %d supported", cpus,
			EDGE_LB_CT_MAX_CPUS);
		return -E2BIG;
	}
	s4 = cfg->lb.ct4_size ? cfg->lb.ct4_size
			      : edge_lb_ct_auto(EDGE_LB_CT4_TOTAL, EDGE_LB_CT4_MIN, cpus);
	s6 = cfg->lb.ct6_size ? cfg->lb.ct6_size
			      : edge_lb_ct_auto(EDGE_LB_CT6_TOTAL, EDGE_LB_CT6_MIN, cpus);
	s4 /= EDGE_LB_CT_WAYS;
	s6 /= EDGE_LB_CT_WAYS;
	dp->skel->rodata->edge_lb_ct4_sets = s4;
	dp->skel->rodata->edge_lb_ct6_sets = s6;
	dp->skel->rodata->edge_lb_ct_cpus = cpus;
	ret = bpf_map__set_max_entries(dp->skel->maps.edge_lb_ct4, s4 * cpus);
	if (!ret)
		ret = bpf_map__set_max_entries(dp->skel->maps.edge_lb_ct6, s6 * cpus);
	if (ret) {
		set_err(err, errlen, "conntrack size: %s", strerror(-ret));
		return ret;
	}
	if (pin_path) {
		char path[PATH_MAX];

		/* The LRU hashes of versions before the set-associative table. */
		snprintf(path, sizeof(path), "%s/edge_lb_conns4", pin_path);
		unlink(path);
		snprintf(path, sizeof(path), "%s/edge_lb_conns6", pin_path);
		unlink(path);
		ct_unpin_other(pin_path, EDGE_MAP_LB_CT4, dp->skel->maps.edge_lb_ct4);
		ct_unpin_other(pin_path, EDGE_MAP_LB_CT6, dp->skel->maps.edge_lb_ct6);
	}
	return 0;
}

/*
 * Have the kernel read one value in every page of a conntrack, now.
 * Measured in this VM (PVM, shadow paging): until a page of a fresh table
 * had been touched at the kernel's address, the XDP program's first access
 * to it cost microseconds (a new flow into a fresh table: ~4-30 us instead
 * of ~0.4). A read, so a table reused across a restart is left as it is;
 * a failure only leaves that cost.
 */
static void ct_warm(const struct bpf_map *map)
{
	__u32 per_page = 4096 / bpf_map__value_size(map), i, n = bpf_map__max_entries(map);
	void *v = malloc(bpf_map__value_size(map));
	int fd = bpf_map__fd(map);

	if (!v)
		return;
	for (i = 0; i < n; i += per_page ? per_page : 1)
		if (bpf_map_lookup_elem(fd, &i, v))
			break;
	free(v);
}

int edge_dp_load(struct edge_dp *dp, const struct edge_config *cfg, const char *pin_path,
		 char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct bpf_map *map;
	char path[PATH_MAX];
	int ret;

	memset(dp, 0, sizeof(*dp));
	dp->log_size = VERIFIER_LOG_SIZE;
	dp->log_buf = calloc(1, dp->log_size);
	if (!dp->log_buf)
		return -ENOMEM;
	/* With level 0 libbpf fills this only when a load fails. */
	oopts.kernel_log_buf = dp->log_buf;
	oopts.kernel_log_size = dp->log_size;

	if (pin_path) {
		snprintf(dp->pin_path, sizeof(dp->pin_path), "%s", pin_path);
		ret = ensure_pin_dir(pin_path, err, errlen);
		if (ret)
			goto err_free;
	}

	dp->skel = edge_bpf__open_opts(&oopts);
	if (!dp->skel) {
		ret = -errno;
		set_err(err, errlen, "opening the BPF object failed: %s", strerror(-ret));
		goto err_free;
	}
	dp->skel->rodata->cfg_dns_udp_size = cfg->dns_udp_size;
	dp->skel->rodata->cfg_dns_out_of_zone = cfg->dns_out_of_zone;
	ret = ct_size(dp, cfg, pin_path, err, errlen);
	if (ret)
		goto err_destroy;

	if (pin_path) {
		/* Shared maps are pinned; compatible pinned ones are reused. */
		bpf_object__for_each_map(map, dp->skel->obj) {
			const char *name = bpf_map__name(map);

			/* Internal maps (.rodata, scratch) are not pinned. */
			if (!strcmp(name, "edge_scratch") || !strcmp(name, "edge_lb_nexthop") ||
			    strchr(name, '.'))
				continue;
			snprintf(path, sizeof(path), "%s/%s", pin_path, name);
			ret = bpf_map__set_pin_path(map, path);
			if (ret) {
				set_err(err, errlen, "pin path %s: %s", path, strerror(-ret));
				goto err_destroy;
			}
		}
	}

	ret = edge_bpf__load(dp->skel);
	if (ret) {
		/* A verifier rejection also says EACCES: the log tells them apart. */
		if ((ret == -EPERM || ret == -EACCES) && !dp->log_buf[0])
			set_err(err, errlen,
				"loading the XDP program failed: %s (run as root, or with "
				"CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)",
				strerror(-ret));
		else if (dp->log_buf[0])
			set_err(err, errlen,
				"the verifier rejected the XDP program (%s); log tail:\n%s",
				strerror(-ret), log_tail(dp->log_buf, VERIFIER_TAIL_LINES));
		else
			set_err(err, errlen,
				"loading the XDP program failed: %s (a map pinned under %s "
				"from an incompatible version? remove it and retry)",
				strerror(-ret), pin_path ? pin_path : "-");
		goto err_destroy;
	}
	ret = tables_format_check(dp, err, errlen);
	if (ret)
		goto err_destroy;
	dp->dns_gen = live_dns_gen(dp);
	ct_warm(dp->skel->maps.edge_lb_ct4);
	ct_warm(dp->skel->maps.edge_lb_ct6);
	return 0;

err_destroy:
	edge_bpf__destroy(dp->skel);
	dp->skel = NULL;
err_free:
	free(dp->log_buf);
	dp->log_buf = NULL;
	return ret;
}

int edge_dp_prog_fd(const struct edge_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.edge_xdp);
}

int edge_dp_stats_fd(const struct edge_dp *dp)
{
	return bpf_map__fd(dp->skel->maps.edge_stats);
}

int edge_dp_map_fd(const struct edge_dp *dp, const char *name)
{
	int fd;

	if (!dp->skel)
		return -ENOENT;
	fd = bpf_object__find_map_fd_by_name(dp->skel->obj, name);
	return fd < 0 ? -ENOENT : fd;
}

int edge_dp_set_pool(struct edge_dp *dp, __u32 index, bool up)
{
	struct edge_dns_pool val = {.up = up};

	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.edge_dns_pools), &index, &val, 0))
		return -errno;
	return 0;
}

/*
 * Delete every key of map_fd that is not in the sorted array want[n].
 * Keys are collected first and deleted after the walk, because deleting
 * the current key would restart bpf_map_get_next_key() from the start.
 */
static int delete_stale(int map_fd, const void *want, size_t n, size_t key_size,
			int (*cmp)(const void *, const void *), size_t *deleted)
{
	char *stale = NULL, *cur, *next;
	size_t cap = 0, cnt = 0, i;
	void *prev = NULL;
	int ret = 0;

	*deleted = 0;
	cur = malloc(key_size);
	next = malloc(key_size);
	if (!cur || !next) {
		ret = -ENOMEM;
		goto out;
	}
	while (!bpf_map_get_next_key(map_fd, prev, next)) {
		if (!bsearch(next, want, n, key_size, cmp)) {
			if (cnt == cap) {
				size_t ncap = cap ? 2 * cap : 64;
				char *grown = realloc(stale, ncap * key_size);

				if (!grown) {
					ret = -ENOMEM;
					goto out;
				}
				stale = grown;
				cap = ncap;
			}
			memcpy(stale + cnt++ * key_size, next, key_size);
		}
		memcpy(cur, next, key_size);
		prev = cur;
	}
	for (i = 0; i < cnt; i++)
		if (!bpf_map_delete_elem(map_fd, stale + i * key_size))
			(*deleted)++;
out:
	free(stale);
	free(cur);
	free(next);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_geo4(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct edge_geo4_key));
}

static int cmp_geo6(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct edge_geo6_key));
}

static int update(int fd, const void *key, const void *val, const char *map, char *err,
		  size_t errlen)
{
	if (!bpf_map_update_elem(fd, key, val, BPF_ANY))
		return 0;
	set_err(err, errlen, "writing to map %s failed: %s", map, strerror(errno));
	return -errno;
}

static int vip_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct edge_vip_slot *)a)->key, &((const struct edge_vip_slot *)b)->key,
		      sizeof(struct edge_vip_key));
}

/*
 * edge_vips: the config's VIPs placed in buckets (include/edge_table.h),
 * written to the half no packet reads, then that half made live.
 */
static int sync_vips(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen)
{
	int fd = bpf_map__fd(dp->skel->maps.edge_vips);
	struct edge_vip_slot *live = NULL, *old, want;
	struct edge_table_layout l = {};
	struct edge_vip_bucket bk;
	struct edge_tables t;
	size_t i, n_live = 0;
	__u32 gen, b, s, key, idx;
	__u64 *hash;
	int ret;

	ret = tables_read(dp, &t);
	if (!ret)
		ret = edge_vips_read(fd, bpf_map__fd(dp->skel->maps.edge_tables), &live, &n_live);
	if (ret) {
		set_err(err, errlen, "reading map %s failed: %s", EDGE_MAP_VIPS, strerror(-ret));
		return ret;
	}
	qsort(live, n_live, sizeof(*live), vip_cmp);
	hash = calloc(cfg->n_vips + 1, sizeof(*hash));
	if (!hash) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cfg->n_vips; i++) {
		hash[i] = edge_vip_hash(&cfg->vips[i].key);
		/* A VIP new at index i (or moved there): its counters start from zero. */
		want.key = cfg->vips[i].key;
		old = bsearch(&want, live, n_live, sizeof(*live), vip_cmp);
		if (!old || old->vip.vip_id != i)
			edge_percpu_zero(bpf_map__fd(dp->skel->maps.edge_vip_stats), i,
					 sizeof(struct edge_vip_counters));
	}
	/* Half the slots at most: a bucket per VIP (two slots each). */
	ret = edge_table_place(hash, cfg->n_vips, EDGE_VIP_SLOTS, cfg->n_vips, EDGE_VIP_BUCKETS, &l);
	if (ret == -ENOSPC)
		set_err(err, errlen, "%zu VIPs do not fit map %s (%d buckets of %d)", cfg->n_vips,
			EDGE_MAP_VIPS, EDGE_VIP_BUCKETS, EDGE_VIP_SLOTS);
	if (ret)
		goto out;
	gen = !(t.vip_gen & 1);
	for (b = 0; b < l.nbuckets && !ret; b++) {
		memset(&bk, 0, sizeof(bk));
		for (s = 0; s < EDGE_VIP_SLOTS; s++) {
			key = l.slot[b * EDGE_VIP_SLOTS + s];
			if (!key)
				break;
			bk.slot[s].key = cfg->vips[key - 1].key;
			bk.slot[s].vip.flags = cfg->vips[key - 1].flags;
			bk.slot[s].vip.vip_id = key - 1;
			bk.n++;
		}
		idx = gen * EDGE_VIP_BUCKETS + b;
		ret = update(fd, &idx, &bk, EDGE_MAP_VIPS, err, errlen);
	}
	/* The size first, then the switch: a packet reads the generation, then its size. */
	t.vip_mask[gen] = l.nbuckets - 1;
	if (!ret)
		ret = tables_write(dp, &t, err, errlen);
	t.vip_gen = gen;
	if (!ret)
		ret = tables_write(dp, &t, err, errlen);
out:
	edge_table_layout_free(&l);
	free(hash);
	free(live);
	return ret;
}

/*
 * Keyed entries (names, zones, geo prefixes): upsert every entry of the
 * array (key at offset 0, value at val_off), then delete keys that are gone.
 */
#define ENOTSUPP_KERNEL 524 /* the kernel's ENOTSUPP: no batch op for the map type */

/*
 * Write n entries of a keyed map with one batch syscall: an LPM trie of
 * 566k GeoIP prefixes took 8 s one update at a time here, half of that
 * with the batch. Falls back to single updates where the kernel has no
 * batch op for the map type. keys gets the n keys in entry order.
 */
static int write_entries(int fd, const char *map, const char *e, size_t n, size_t entry_size,
			 size_t key_size, size_t val_off, char *keys, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), count = n;
	size_t i, vsize;
	char *vals = NULL;
	int ret = 0;

	for (i = 0; i < n; i++)
		memcpy(keys + i * key_size, e + i * entry_size, key_size);
	if (n > 1 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.key_size == key_size) {
		vsize = info.value_size;
		vals = malloc(n * vsize);
		if (!vals)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			memcpy(vals + i * vsize, e + i * entry_size + val_off, vsize);
		if (!bpf_map_update_batch(fd, keys, vals, &count, &opts))
			goto out;
		ret = -errno;
		if (count || (ret != -EINVAL && ret != -ENOTSUPP_KERNEL && ret != -EOPNOTSUPP)) {
			set_err(err, errlen, "writing to map %s failed: %s", map, strerror(-ret));
			goto out;
		}
		ret = 0; /* no batch op for this map type */
	}
	for (i = 0; i < n && !ret; i++)
		ret = update(fd, e + i * entry_size, e + i * entry_size + val_off, map, err, errlen);
out:
	free(vals);
	return ret;
}

static int sync_keyed(int fd, const char *map, const void *entries, size_t n, size_t entry_size,
		      size_t key_size, size_t val_off, int (*cmp)(const void *, const void *),
		      char *err, size_t errlen)
{
	size_t deleted;
	bool was_empty;
	char *keys;
	int ret;

	keys = calloc(n + 1, key_size);
	if (!keys)
		return -ENOMEM;
	/* Nothing can be stale in a map that was empty (walking an LPM trie is slow). */
	was_empty = bpf_map_get_next_key(fd, NULL, keys) && errno == ENOENT;
	ret = write_entries(fd, map, entries, n, entry_size, key_size, val_off, keys, err, errlen);
	if (!ret && !was_empty) {
		qsort(keys, n, key_size, cmp);
		ret = delete_stale(fd, keys, n, key_size, cmp, &deleted);
		if (ret)
			set_err(err, errlen, "removing stale entries of %s failed: %s", map,
				strerror(-ret));
	}
	free(keys);
	return ret;
}

/* Move every blob and policy index of c up by base (see edge_dp_sync). */
static void rebase(struct edge_dns_compiled *c, __u32 base)
{
	size_t i, r, k;

	for (i = 0; i < c->n_names; i++) {
		c->names[i].val.soa_blob += base;
		for (k = 0; k < 2; k++)
			if (c->names[i].val.policy[k])
				c->names[i].val.policy[k] += base;
		for (k = 0; k < 2; k++)
			if (c->names[i].val.static_blob[k])
				c->names[i].val.static_blob[k] += base;
	}
	for (i = 0; i < c->n_zones; i++)
		c->zones[i].val.soa_blob += base;
	for (i = 0; i < c->n_policies; i++) {
		struct edge_dns_policy *p = &c->policies[i];

		p->all_blob += base;
		for (k = 0; k < EDGE_POL_MAX_CAND; k++)
			p->def[k].blob += base;
		for (r = 0; r < EDGE_MAX_REGIONS; r++)
			for (k = 0; k < EDGE_POL_MAX_CAND; k++)
				p->geo[r][k].blob += base;
	}
}

/*
 * DNS data. Blobs and policies are arrays whose elements a reader could
 * see half-written, so a new config never overwrites the ones in use: it
 * goes into the other half of each array (generations alternate), and only
 * then do the names and zones (hash maps: each update is atomic) switch to
 * it. No query ever sees a mixed answer.
 */
/*
 * Bring a map from the old entries to the new (both sorted by key): write
 * the new and changed ones, then delete the keys that are gone.
 */
static int sync_diff(int fd, const char *map, const char *old, size_t n_old, const char *new,
		     size_t n, size_t esize, size_t ksize, size_t val_off,
		     int (*cmp)(const void *, const void *), char *err, size_t errlen)
{
	size_t i = 0, j = 0, nu = 0, nd = 0, k;
	char *upd, *del, *keys;
	int ret = -ENOMEM, c;

	upd = malloc((n + 1) * esize);
	keys = malloc((n + 1) * ksize);
	del = malloc((n_old + 1) * ksize);
	if (!upd || !keys || !del)
		goto out;
	while (i < n_old || j < n) {
		c = i == n_old ? 1 : j == n ? -1 : cmp(old + i * esize, new + j * esize);
		if (c < 0) {
			memcpy(del + nd++ * ksize, old + i++ * esize, ksize);
		} else if (c > 0) {
			memcpy(upd + nu++ * esize, new + j++ * esize, esize);
		} else {
			if (memcmp(old + i * esize + val_off, new + j * esize + val_off,
				   esize - val_off))
				memcpy(upd + nu++ * esize, new + j * esize, esize);
			i++;
			j++;
		}
	}
	ret = write_entries(fd, map, upd, nu, esize, ksize, val_off, keys, err, errlen);
	for (k = 0; k < nd && !ret; k++) {
		if (bpf_map_delete_elem(fd, del + k * ksize) && errno != ENOENT) {
			ret = -errno;
			set_err(err, errlen, "removing stale entries of %s failed: %s", map,
				strerror(-ret));
		}
	}
	if (!ret && nu + nd)
		pr_debug("maps: %s: %zu written, %zu deleted\n", map, nu, nd);
out:
	free(upd);
	free(keys);
	free(del);
	return ret;
}

/*
 * A geo map: against the shadow of what it holds when there is one, else
 * a full write with a walk for stale entries (the first sync, which may
 * adopt a pinned map from an earlier run).
 */
static int sync_geo(int fd, const char *map, const void *entries, size_t n, size_t esize,
		    size_t ksize, size_t val_off, int (*cmp)(const void *, const void *),
		    struct edge_geo_shadow *sh, bool *same, char *err, size_t errlen)
{
	char *sorted;
	int ret;

	sorted = malloc((n + 1) * esize);
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, entries, n * esize);
	qsort(sorted, n, esize, cmp); /* the key leads the entry */
	*same = sh->valid && sh->n == n && !memcmp(sh->entries, sorted, n * esize);
	if (sh->valid)
		ret = sync_diff(fd, map, sh->entries, sh->n, sorted, n, esize, ksize, val_off, cmp,
				err, errlen);
	else
		ret = sync_keyed(fd, map, sorted, n, esize, ksize, val_off, cmp, err, errlen);
	free(sh->entries);
	sh->entries = NULL;
	sh->n = 0;
	sh->valid = false;
	if (ret) {
		free(sorted);
		return ret;
	}
	sh->entries = sorted;
	sh->n = n;
	sh->valid = true;
	return 0;
}

/*
 * The names and their index (include/edge_table.h) into half dp->dns_gen
 * (where the records were just written), then the switch: one store
 * makes that half, with every name in it, the one packets read.
 */
static int sync_names(struct edge_dp *dp, const struct edge_dns_compiled *c, char *err,
		      size_t errlen)
{
	int fd = bpf_map__fd(dp->skel->maps.edge_dns_names);
	__u32 gen = dp->dns_gen, base = gen * EDGE_MAX_DNS_NAMES, idx, s, i, nb;
	struct edge_dns_name_bucket bk;
	struct edge_tables t;
	int ret;

	ret = tables_read(dp, &t);
	if (ret) {
		set_err(err, errlen, "reading map %s failed: %s", EDGE_MAP_TABLES, strerror(-ret));
		return ret;
	}
	for (i = 0; i < c->n_names && !ret; i++) {
		idx = base + i;
		ret = update(fd, &idx, &c->names[i].val, EDGE_MAP_DNS_NAMES, err, errlen);
	}
	/* No names: one empty bucket, never a stale one of this half. */
	nb = c->n_name_buckets ? c->n_name_buckets : 1;
	fd = bpf_map__fd(dp->skel->maps.edge_dns_name_index);
	for (i = 0; i < nb && !ret; i++) {
		memset(&bk, 0, sizeof(bk));
		if (i < c->n_name_buckets)
			bk = c->name_index[i];
		for (s = 0; s < EDGE_DNS_NAME_SLOTS; s++)
			if (bk.idx[s])
				bk.idx[s] += base;
		idx = gen * EDGE_DNS_NAME_BUCKETS + i;
		ret = update(fd, &idx, &bk, EDGE_MAP_DNS_NAME_INDEX, err, errlen);
	}
	/* The size first, then the switch: a packet reads the generation, then its size. */
	t.name_mask[gen] = nb - 1;
	if (!ret)
		ret = tables_write(dp, &t, err, errlen);
	t.dns_gen = gen;
	if (!ret)
		ret = tables_write(dp, &t, err, errlen);
	return ret;
}

/*
 * edge_geo4_dir: build the table of the IPv4 prefixes, write it into the
 * generation not in use through mmap (only the chunks in use: a real
 * database needs ~18,000), then flip edge_geo4_live[0].gen. A lookup reads
 * gen once, so it sees the old table or the new one (a lookup takes
 * nanoseconds; the generation written next was left a reload ago, and the
 * flip's map update orders the writes before it). Called after
 * edge_geo4 holds the new prefixes: the slots that say "ask the trie" find
 * them there. A table equal to the live one (a reload that changed no
 * prefix) is not written again.
 */
static int sync_geo4_dir(struct edge_dp *dp, const struct edge_geo4_entry *e, size_t n, bool same,
			 char *err, size_t errlen)
{
	int dir_fd = bpf_map__fd(dp->skel->maps.edge_geo4_dir);
	int live_fd = bpf_map__fd(dp->skel->maps.edge_geo4_live);
	size_t max = dp->geo4_max_chunks ? dp->geo4_max_chunks : EDGE_GEO4_CHUNKS;
	struct edge_geo4_dir *sh = &dp->geo4_shadow;
	struct edge_geo4_live live = {}, next = {};
	size_t len, off, size, page = sysconf(_SC_PAGESIZE);
	struct edge_geo4_dir d;
	__u32 zero = 0;
	void *map;
	int ret;

	if (max > EDGE_GEO4_CHUNKS)
		max = EDGE_GEO4_CHUNKS;
	if (bpf_map_lookup_elem(live_fd, &zero, &live)) {
		set_err(err, errlen, "reading %s failed: %s", EDGE_MAP_GEO4_LIVE, strerror(errno));
		return -errno;
	}
	/* The prefixes the live table was built from, and it is still live. */
	if (same && sh->slots && live.gen == dp->geo4_shadow_gen)
		return 0;
	ret = edge_geo4_dir_build(e, n, max, &d);
	if (ret) {
		set_err(err, errlen, "building %s: %s", EDGE_MAP_GEO4_DIR, strerror(-ret));
		return ret;
	}
	len = (EDGE_GEO4_L1_CHUNKS + d.n_chunks) * sizeof(struct edge_geo4_chunk);
	if (sh->slots && sh->n_chunks == d.n_chunks && live.gen == dp->geo4_shadow_gen &&
	    !memcmp(sh->slots, d.slots, len))
		goto out; /* unchanged */
	next.gen = !(live.gen & 1);
	next.chunks = d.n_chunks;
	next.trie_blocks = d.n_trie;
	/* The generation's offset is a whole number of pages (1 KiB chunks). */
	off = next.gen * (size_t)EDGE_GEO4_GEN_CHUNKS * sizeof(struct edge_geo4_chunk);
	size = (len + page - 1) / page * page;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dir_fd, off);
	if (map == MAP_FAILED) {
		ret = -errno;
		set_err(err, errlen, "mmap of %s failed: %s", EDGE_MAP_GEO4_DIR, strerror(-ret));
		goto out;
	}
	memcpy(map, d.slots, len);
	munmap(map, size);
	/* The slots are in place before a lookup can read the new gen. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (bpf_map_update_elem(live_fd, &zero, &next, BPF_ANY)) {
		ret = -errno;
		set_err(err, errlen, "writing %s failed: %s", EDGE_MAP_GEO4_LIVE, strerror(-ret));
		goto out;
	}
	if (d.n_trie)
		pr_warn("maps: %s: %zu chunks are not enough, %zu blocks are looked up in %s\n",
			EDGE_MAP_GEO4_DIR, max, d.n_trie, EDGE_MAP_GEO4);
	pr_debug("maps: %s: generation %u, %zu chunks\n", EDGE_MAP_GEO4_DIR, next.gen,
		 d.n_chunks);
	/* Keep what is live now. */
	edge_geo4_dir_free(sh);
	*sh = d;
	dp->geo4_shadow_gen = next.gen;
	return 0;
out:
	edge_geo4_dir_free(&d);
	return ret;
}

static int sync_dns(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen)
{
	struct edge_bpf *sk = dp->skel;
	struct edge_dns_compiled c = {};
	__u32 half = EDGE_MAX_DNS_BLOBS / 2, phalf = EDGE_MAX_DNS_POLICIES / 2, base, pbase, i;
	struct timespec t0, t1, t2;
	bool same4 = false, same6;
	int ret;

	ret = edge_dns_compile(cfg, &c, err, errlen);
	if (ret)
		return ret;
	if (c.n_blobs > half || c.n_policies > phalf) {
		set_err(err, errlen, "too many DNS record sets (%zu blobs, %zu policies; at most %u)",
			c.n_blobs, c.n_policies, half);
		ret = -E2BIG;
		goto out;
	}
	/* The half no packet reads (after a failed sync too: from the map). */
	dp->dns_gen = !live_dns_gen(dp);
	base = dp->dns_gen * half;
	pbase = dp->dns_gen * phalf;
	/* Policies and blobs share one base only if the halves are equal. */
	_Static_assert(EDGE_MAX_DNS_BLOBS == EDGE_MAX_DNS_POLICIES, "one base for both arrays");
	rebase(&c, base);

	for (i = 0; i < c.n_blobs && !ret; i++) {
		__u32 idx = base + i;

		ret = update(bpf_map__fd(sk->maps.edge_dns_blobs), &idx, &c.blobs[i],
			     EDGE_MAP_DNS_BLOBS, err, errlen);
	}
	for (i = 0; i < c.n_policies && !ret; i++) {
		__u32 idx = pbase + i;

		ret = update(bpf_map__fd(sk->maps.edge_dns_policies), &idx, &c.policies[i],
			     EDGE_MAP_DNS_POLICIES, err, errlen);
	}
	for (i = 0; i < c.n_pools && !ret; i++)
		ret = update(bpf_map__fd(sk->maps.edge_dns_pools), &i, &c.pools[i],
			     EDGE_MAP_DNS_POOLS, err, errlen);
	if (ret)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = sync_geo(bpf_map__fd(sk->maps.edge_geo4), EDGE_MAP_GEO4, c.geo4, c.n_geo4,
		       sizeof(*c.geo4), sizeof(c.geo4->key), offsetof(struct edge_geo4_entry, val),
		       cmp_geo4, &dp->geo_shadow[0], &same4, err, errlen);
	/* The direct table's copy no longer matches the trie's: rebuild it. */
	if (!same4)
		edge_geo4_dir_free(&dp->geo4_shadow);
	if (!ret)
		ret = sync_geo(bpf_map__fd(sk->maps.edge_geo6), EDGE_MAP_GEO6, c.geo6, c.n_geo6,
			       sizeof(*c.geo6), sizeof(c.geo6->key),
			       offsetof(struct edge_geo6_entry, val), cmp_geo6, &dp->geo_shadow[1],
			       &same6, err, errlen);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ret)
		ret = sync_geo4_dir(dp, c.geo4, c.n_geo4, same4, err, errlen);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	if (!ret && c.n_geo4 + c.n_geo6 >= 1000)
		pr_info("maps: geo prefixes written in %.0f ms (IPv4 direct table: %.0f ms)\n",
			(t2.tv_sec - t0.tv_sec) * 1e3 + (t2.tv_nsec - t0.tv_nsec) / 1e6,
			(t2.tv_sec - t1.tv_sec) * 1e3 + (t2.tv_nsec - t1.tv_nsec) / 1e6);
	/* The names and their index into the same half as the records, ... */
	if (!ret)
		ret = sync_names(dp, &c, err, errlen);
	/*
	 * ... then the zones (in place: a zone found before its update points
	 * to the old half, intact until the next sync).
	 */
	if (!ret)
		ret = sync_keyed(bpf_map__fd(sk->maps.edge_dns_zones), EDGE_MAP_DNS_ZONES, c.zones,
				 c.n_zones, sizeof(*c.zones), sizeof(__u64),
				 offsetof(struct edge_dns_zone_entry, val), cmp_u64, err, errlen);
	if (!ret)
		pr_info("maps: %zu DNS names in %zu zones, %zu policies, %zu record blobs, "
			"%zu pools, %zu+%zu geo prefixes (generation %u)\n",
			c.n_names, c.n_zones, c.n_policies, c.n_blobs, c.n_pools, c.n_geo4, c.n_geo6,
			dp->dns_gen);
out:
	edge_dns_compiled_free(&c);
	return ret;
}

/* dns.rrl -> edge_dns_rrl_cfg[0]; rate 0 writes interval 0 (off). */
static int sync_rrl(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen)
{
	const struct edge_cfg_rrl *r = &cfg->rrl;
	struct edge_dns_rrl_config c = {0};
	__u32 zero = 0;

	if (r->rate) {
		c.interval_ns = 1000000000ull / r->rate;
		c.burst_ns = (__u64)(r->burst ? r->burst - 1 : 0) * c.interval_ns;
		c.slip = r->slip;
		c.prefix4 = r->prefix4;
		c.prefix6 = r->prefix6;
	}
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.edge_dns_rrl_cfg), &zero, &c, 0)) {
		set_err(err, errlen, "writing %s failed: %s", EDGE_MAP_DNS_RRL_CFG,
			strerror(errno));
		return -errno;
	}
	if (r->rate)
		pr_info("dns: rrl %u/s per /%u and /%u, burst %u, slip %u\n", r->rate, r->prefix4,
			r->prefix6, r->burst, r->slip);
	return 0;
}

int edge_dp_sync(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen)
{
	int ret;

	ret = sync_vips(dp, cfg, err, errlen);
	if (!ret)
		ret = sync_dns(dp, cfg, err, errlen);
	if (!ret)
		ret = sync_rrl(dp, cfg, err, errlen);
	if (!ret)
		ret = edge_lb_sync(dp, cfg, err, errlen);
	if (ret == -ENOMEM)
		set_err(err, errlen, "out of memory");
	if (!ret)
		pr_info("maps: %zu VIPs\n", cfg->n_vips);
	return ret;
}

/*
 * An edge program left attached by a previous anyedged (killed, or run with
 * --keep-attached): replace it atomically (XDP_FLAGS_REPLACE), so that not
 * one packet misses a program. Returns 0 with *mode set, -ENOENT if the
 * interface has no such program, or -errno.
 */
static int replace_stale(struct edge_dp *dp, int ifindex, enum xdp_attach_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct xdp_multiprog *mp;
	struct xdp_program *old;
	__u32 flags = XDP_FLAGS_REPLACE;
	int ret = -ENOENT;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!mp || libxdp_get_error(mp))
		return -ENOENT;
	if (!xdp_multiprog__is_legacy(mp))
		goto out;
	old = xdp_multiprog__main_prog(mp);
	if (!old || strcmp(xdp_program__name(old), "edge_xdp"))
		goto out;
	*mode = xdp_multiprog__attach_mode(mp);
	if (*mode == XDP_MODE_SKB)
		flags |= XDP_FLAGS_SKB_MODE;
	else if (*mode == XDP_MODE_NATIVE)
		flags |= XDP_FLAGS_DRV_MODE;
	else
		goto out;
	opts.old_prog_fd = xdp_program__fd(old);
	ret = bpf_xdp_attach(ifindex, edge_dp_prog_fd(dp), flags, &opts) ? -errno : 0;
out:
	xdp_multiprog__close(mp);
	return ret;
}

static int attach_one(struct edge_dp *dp, const struct edge_cfg_iface *ifc, const char *file,
		      char *err, size_t errlen)
{
	struct edge_attachment *a = &dp->att[dp->n_att];
	enum xdp_attach_mode mode;
	int ret;

	snprintf(a->name, sizeof(a->name), "%s", ifc->name);
	a->ifindex = if_nametoindex(ifc->name);
	if (!a->ifindex) {
		set_err(err, errlen, "%s:%d: interface %s not found", file, ifc->line, ifc->name);
		return -ENODEV;
	}
	a->xprog = xdp_program__from_fd(edge_dp_prog_fd(dp));
	ret = libxdp_get_error(a->xprog);
	if (ret) {
		a->xprog = NULL;
		set_err(err, errlen, "libxdp cannot use the program: %s", strerror(-ret));
		return ret;
	}
	ret = replace_stale(dp, a->ifindex, &mode);
	if (!ret) {
		pr_info("replaced the edge program a previous anyedged left on %s (%s mode)\n",
			ifc->name, edge_xdp_mode_str(mode));
		goto done;
	}
	mode = ifc->mode == EDGE_ATTACH_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	ret = xdp_program__attach(a->xprog, a->ifindex, mode, 0);
	if (ret && ifc->mode == EDGE_ATTACH_AUTO) {
		pr_warn("attach to %s in native mode failed: %s; falling back to skb mode "
			"(slower: set mode: skb to silence this)\n",
			ifc->name, strerror(-ret));
		mode = XDP_MODE_SKB;
		ret = xdp_program__attach(a->xprog, a->ifindex, mode, 0);
	}
	if (ret) {
		set_err(err, errlen, "attach to %s failed: %s%s", ifc->name, strerror(-ret),
			ret == -EEXIST || ret == -EBUSY
				? " (another XDP program is attached: see `xdp-loader status`)"
			: mode == XDP_MODE_NATIVE ? " (try mode: skb)"
						  : "");
		xdp_program__close(a->xprog);
		a->xprog = NULL;
		return ret;
	}
	pr_info("attached to %s (ifindex %d, %s mode)\n", ifc->name, a->ifindex,
		edge_xdp_mode_str(mode));
done:
	a->mode = mode;
	dp->n_att++;
	return 0;
}

int edge_dp_attach(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen)
{
	size_t i;
	int ret;

	if (cfg->n_ifaces > EDGE_MAX_IFACES) {
		set_err(err, errlen, "too many interfaces (at most %d)", EDGE_MAX_IFACES);
		return -E2BIG;
	}
	for (i = 0; i < cfg->n_ifaces; i++) {
		ret = attach_one(dp, &cfg->ifaces[i], cfg->file, err, errlen);
		if (ret) {
			edge_dp_detach(dp);
			return ret;
		}
	}
	return 0;
}

void edge_dp_detach(struct edge_dp *dp)
{
	size_t i;
	int ret;

	for (i = 0; i < dp->n_att; i++) {
		struct edge_attachment *a = &dp->att[i];

		ret = xdp_program__detach(a->xprog, a->ifindex, a->mode, 0);
		if (ret)
			pr_warn("detach from %s failed: %s\n", a->name, strerror(-ret));
		else
			pr_info("detached from %s\n", a->name);
		xdp_program__close(a->xprog);
		a->xprog = NULL;
	}
	dp->n_att = 0;
}

void edge_dp_keep_attached(struct edge_dp *dp)
{
	size_t i;

	for (i = 0; i < dp->n_att; i++) {
		pr_info("leaving the program attached to %s\n", dp->att[i].name);
		xdp_program__close(dp->att[i].xprog);
		dp->att[i].xprog = NULL;
	}
	dp->n_att = 0;
}

void edge_dp_close(struct edge_dp *dp)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		free(dp->geo_shadow[i].entries);
		dp->geo_shadow[i] = (struct edge_geo_shadow){};
	}
	edge_geo4_dir_free(&dp->geo4_shadow);
	edge_dp_detach(dp);
	edge_lb_free(dp);
	edge_bpf__destroy(dp->skel);
	dp->skel = NULL;
	free(dp->log_buf);
	dp->log_buf = NULL;
}
