// SPDX-License-Identifier: GPL-2.0
/*
 * Load balancer maps: services, backends, Maglev tables and the lb:
 * knobs, compiled from the config (include/edge_lb.h has the map layout).
 *
 * Ids. A service keeps its id and a backend (service, address) keeps its
 * id across reloads, so conntrack entries (which store a backend id and
 * its generation) stay valid for every backend that stays. A freed
 * backend id given to a new backend gets a new generation, so old entries
 * pointing at it re-hash instead of reaching the wrong host. The id
 * registry is rebuilt from the pinned maps when the daemon restarts.
 *
 * Tables. Each service's Maglev table is a fresh inner array map, filled
 * completely and then swapped into edge_lb_tables with one update: a
 * packet reads M and its slot from the same inner map, so it sees either
 * the old table or the new one. The kernel frees the old map once no
 * program can still be reading it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "edge.skel.h"
#include "edge_lb.h"
#include "lb.h"
#include "loader.h"
#include "log.h"
#include "maglev.h"
#include "stats.h"

struct lb_be_slot {
	bool used;
	bool down; /* health: set by edge_lb_set_backend_up() */
	__u16 gen;
	__u32 svc;
	struct edge_vip_key addr;
};

struct lb_svc_cur {
	__u32 id;
	__u32 m;
	size_t n;
	__u32 *be_ids;	/* n backend ids */
	__u32 *weights; /* n configured weights (0: drained) */
	char name[80];	/* "VIP proto/port" for messages */
};

struct edge_lb_state {
	struct lb_be_slot be[EDGE_LB_MAX_BACKENDS];
	struct {
		bool used;
		struct edge_lb_svc_key key;
	} svc[EDGE_LB_MAX_SERVICES];
	bool recovered; /* registry read back from the maps */
	bool have_seed;
	__u64 k0, k1;
	__u64 maglev_seed;
	struct lb_svc_cur *cur;
	size_t n_cur;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static __u64 le64(const __u8 *p)
{
	__u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void free_cur(struct edge_lb_state *st)
{
	size_t i;

	for (i = 0; i < st->n_cur; i++) {
		free(st->cur[i].be_ids);
		free(st->cur[i].weights);
	}
	free(st->cur);
	st->cur = NULL;
	st->n_cur = 0;
}

void edge_lb_free(struct edge_dp *dp)
{
	if (!dp->lb)
		return;
	free_cur(dp->lb);
	free(dp->lb);
	dp->lb = NULL;
}

static void addr_str(const struct edge_vip_key *k, char *buf, size_t len)
{
	static const __u8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!memcmp(k->addr, mapped, 12))
		inet_ntop(AF_INET, &k->addr[3], buf, len);
	else
		inet_ntop(AF_INET6, k->addr, buf, len);
}

/* Read the ids in use back from pinned maps (a restarted daemon). */
static void recover(struct edge_dp *dp, struct edge_lb_state *st)
{
	int bfd = bpf_map__fd(dp->skel->maps.edge_lb_backends);
	int sfd = bpf_map__fd(dp->skel->maps.edge_lb_services);
	struct edge_lb_svc_key key, *prev = NULL;
	struct edge_lb_backend be;
	struct edge_lb_svc svc;
	__u32 i;

	for (i = 0; i < EDGE_LB_MAX_BACKENDS; i++) {
		if (bpf_map_lookup_elem(bfd, &i, &be))
			continue;
		st->be[i].gen = be.gen;
		if (be.state == EDGE_LB_BE_FREE)
			continue;
		st->be[i].used = true;
		st->be[i].down = be.state == EDGE_LB_BE_DOWN;
		st->be[i].svc = be.svc;
		memcpy(st->be[i].addr.addr, be.addr, 16);
	}
	while (!bpf_map_get_next_key(sfd, prev, &key)) {
		if (!bpf_map_lookup_elem(sfd, &key, &svc) && svc.id < EDGE_LB_MAX_SERVICES) {
			st->svc[svc.id].used = true;
			st->svc[svc.id].key = key;
		}
		prev = &key;
	}
	st->recovered = true;
}

static int seed_setup(struct edge_dp *dp, struct edge_lb_state *st, const struct edge_config *cfg,
		      char *err, size_t errlen)
{
	int cfd = bpf_map__fd(dp->skel->maps.edge_lb_config);
	struct edge_lb_config old;
	__u32 zero = 0;
	__u8 rnd[16];

	if (cfg->lb.seed_set) {
		st->k0 = le64(cfg->lb.seed);
		st->k1 = le64(cfg->lb.seed + 8);
	} else if (!st->have_seed) {
		/* generate: reuse the one in the pinned map, so flows survive a restart */
		if (!bpf_map_lookup_elem(cfd, &zero, &old) && old.enabled && (old.k0 | old.k1)) {
			st->k0 = old.k0;
			st->k1 = old.k1;
			pr_info("lb: reusing the generated seed of the pinned maps\n");
		} else {
			if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
				set_err(err, errlen, "lb: cannot generate a seed: %s",
					strerror(errno));
				return -EIO;
			}
			st->k0 = le64(rnd);
			st->k1 = le64(rnd + 8);
			pr_warn("lb: generated a random flow-hash seed: other edge hosts of the "
				"PoP will choose other backends for the same flow (set lb.seed)\n");
		}
	}
	st->have_seed = true;
	st->maglev_seed = edge_siphash24(st->k0, st->k1, "maglev", 6);
	return 0;
}

static int write_config(struct edge_dp *dp, const struct edge_lb_state *st,
			const struct edge_config *cfg, char *err, size_t errlen)
{
	const struct edge_cfg_lb *lb = &cfg->lb;
	struct edge_lb_config c = {};
	__u32 zero = 0;

	c.k0 = st->k0;
	c.k1 = st->k1;
	/* The conntrack's set hash: its own key, not the secret flow-hash key. */
	c.ct_k0 = edge_siphash24(st->k0, st->k1, "conntrack0", 10);
	c.ct_k1 = edge_siphash24(st->k0, st->k1, "conntrack1", 10);
	c.udp_timeout_ns = (__u64)lb->udp_timeout * 1000000000ull;
	c.new_flow_ns = lb->new_flow_rate ? 1000000000ull / lb->new_flow_rate : 0;
	c.frag_drop = lb->fragments == EDGE_CFG_LB_DROP;
	c.opt_drop = lb->ip_options == EDGE_CFG_LB_DROP;
	c.enabled = 1;
	memcpy(&c.src4, lb->source4, 4);
	c.src4_mask = htonl(0xffffffffu >> lb->source4_len);
	memcpy(c.src6, lb->source6, 16);
	c.src6_mask =
		htonl(lb->source6_len >= 96 ? 0xffffffffu >> (lb->source6_len - 96) : 0xffffffffu);
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.edge_lb_config), &zero, &c, BPF_ANY)) {
		set_err(err, errlen, "writing to map %s failed: %s", EDGE_MAP_LB_CONFIG,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* Zero the per-CPU counters of a (re)used id. */
static int write_backend(struct edge_dp *dp, const struct edge_lb_state *st, __u32 id)
{
	const struct lb_be_slot *s = &st->be[id];
	struct edge_lb_backend be = {};
	static const __u8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memcpy(be.addr, s->addr.addr, 16);
	be.gen = s->gen;
	be.svc = s->svc;
	be.state = !s->used ? EDGE_LB_BE_FREE : s->down ? EDGE_LB_BE_DOWN : EDGE_LB_BE_UP;
	be.v6 = memcmp(s->addr.addr, mapped, 12) != 0;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.edge_lb_backends), &id, &be, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Fill and swap in the table of one service from its backends'
 * weights (0 for drained and down ones).
 */
static int swap_table(struct edge_dp *dp, struct edge_lb_state *st, const struct lb_svc_cur *sc,
		      char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP);
	struct edge_maglev_backend *mb = NULL;
	__u32 *table = NULL, *keys = NULL, *vals = NULL, i, count, live = 0;
	int fd = -1, ret;

	mb = calloc(sc->n, sizeof(*mb));
	table = calloc(sc->m, sizeof(*table));
	keys = calloc(sc->m + 1, sizeof(*keys));
	vals = calloc(sc->m + 1, sizeof(*vals));
	if (!mb || !table || !keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sc->n; i++) {
		const struct lb_be_slot *b = &st->be[sc->be_ids[i]];

		memcpy(mb[i].id, b->addr.addr, 16);
		mb[i].id_len = 16;
		mb[i].weight = b->down ? 0 : sc->weights[i];
		live += mb[i].weight > 0;
	}
	for (i = 0; i <= sc->m; i++)
		keys[i] = i;
	if (live) {
		ret = edge_maglev_fill(mb, sc->n, st->maglev_seed, table, sc->m);
		if (ret) {
			set_err(err, errlen, "lb: Maglev fill of %s failed: %s", sc->name,
				strerror(-ret));
			goto out;
		}
		vals[0] = sc->m;
		for (i = 0; i < sc->m; i++)
			vals[i + 1] = sc->be_ids[table[i]];
	} else {
		/* nobody: new flows pass (lb_no_backend) */
		vals[0] = 0;
		for (i = 0; i < sc->m; i++)
			vals[i + 1] = EDGE_LB_NO_BACKEND;
		pr_warn("lb: %s has no backend up with a weight: new flows are passed\n", sc->name);
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "edge_lb_table", sizeof(__u32), sizeof(__u32),
			    sc->m + 1, &copts);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "lb: creating the table of %s failed: %s", sc->name,
			strerror(-ret));
		goto out;
	}
	count = sc->m + 1;
	if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
		/* Older kernels: one by one. */
		for (i = 0; i <= sc->m; i++) {
			if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY)) {
				ret = -errno;
				set_err(err, errlen, "lb: filling the table of %s failed: %s",
					sc->name, strerror(-ret));
				goto out;
			}
		}
	}
	/* The swap: one update of the outer map. */
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.edge_lb_tables), &sc->id, &fd,
				BPF_ANY)) {
		ret = -errno;
		set_err(err, errlen, "lb: installing the table of %s failed: %s", sc->name,
			strerror(-ret));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(mb);
	free(table);
	free(keys);
	free(vals);
	return ret;
}

/*
 * bpf_fib_lookup() finds a route only to a resolved neighbour, and the
 * data path cannot ask the kernel to resolve one. An empty UDP datagram
 * to the discard port makes the kernel resolve the next hop towards each
 * backend (best effort; errors do not matter).
 */
static void prime_neighbours(const struct edge_lb_state *st)
{
	static const __u8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(9)};
	int fd4, fd6;
	__u32 id;

	fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	for (id = 0; id < EDGE_LB_MAX_BACKENDS; id++) {
		const struct lb_be_slot *b = &st->be[id];

		if (!b->used)
			continue;
		if (!memcmp(b->addr.addr, mapped, 12)) {
			memcpy(&s4.sin_addr, &b->addr.addr[3], 4);
			if (fd4 >= 0)
				sendto(fd4, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s4, sizeof(s4));
		} else {
			memcpy(&s6.sin6_addr, b->addr.addr, 16);
			if (fd6 >= 0)
				sendto(fd6, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s6, sizeof(s6));
		}
	}
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
}

static int find_svc(struct edge_lb_state *st, const struct edge_lb_svc_key *key, bool *taken)
{
	int i, free_id = -1;

	for (i = 0; i < EDGE_LB_MAX_SERVICES; i++) {
		if (st->svc[i].used && !memcmp(&st->svc[i].key, key, sizeof(*key)))
			return i;
		if (!st->svc[i].used && !taken[i] && free_id < 0)
			free_id = i;
	}
	return free_id < 0 ? -ENOSPC : free_id;
}

static int find_be(struct edge_lb_state *st, __u32 svc, const struct edge_vip_key *addr,
		   bool *taken, bool *is_new)
{
	int i, free_id = -1;

	for (i = 0; i < EDGE_LB_MAX_BACKENDS; i++) {
		if (st->be[i].used && st->be[i].svc == svc &&
		    !memcmp(&st->be[i].addr, addr, sizeof(*addr))) {
			*is_new = false;
			return i;
		}
		if (!st->be[i].used && !taken[i] && free_id < 0)
			free_id = i;
	}
	*is_new = true;
	return free_id < 0 ? -ENOSPC : free_id;
}

static const char *proto_str(__u8 proto)
{
	return proto == IPPROTO_TCP ? "tcp" : "udp";
}

int edge_lb_sync(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen)
{
	bool svc_taken[EDGE_LB_MAX_SERVICES] = {false}, be_taken[EDGE_LB_MAX_BACKENDS] = {false};
	int sfd = bpf_map__fd(dp->skel->maps.edge_lb_services);
	int tfd = bpf_map__fd(dp->skel->maps.edge_lb_tables);
	struct edge_lb_state *st;
	struct lb_svc_cur *cur;
	size_t i, j, nbe = 0;
	char a[INET6_ADDRSTRLEN];
	int ret;
	__u32 id;

	if (!dp->lb) {
		dp->lb = calloc(1, sizeof(*dp->lb));
		if (!dp->lb)
			return -ENOMEM;
	}
	st = dp->lb;
	if (!st->recovered)
		recover(dp, st);
	if (cfg->n_services) {
		ret = seed_setup(dp, st, cfg, err, errlen);
		if (ret)
			return ret;
	}

	cur = calloc(cfg->n_services + 1, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	/* Ids: keep the ones of services and backends that stay. */
	for (i = 0; i < cfg->n_services; i++) {
		const struct edge_cfg_service *s = &cfg->services[i];
		struct edge_lb_svc_key key = {};
		struct lb_svc_cur *sc = &cur[i];
		int sid;

		memcpy(key.addr, s->vip.addr, 16);
		key.port = htons(s->port);
		key.proto = s->proto;
		sid = find_svc(st, &key, svc_taken);
		if (sid < 0) {
			ret = sid;
			goto err_cur;
		}
		svc_taken[sid] = true;
		sc->id = sid;
		sc->m = s->table_size;
		sc->n = s->n_backends;
		addr_str(&s->vip, a, sizeof(a));
		snprintf(sc->name, sizeof(sc->name), "%s%s%s %s/%u",
			 s->family == AF_INET6 ? "[" : "", a, s->family == AF_INET6 ? "]" : "",
			 proto_str(s->proto), s->port);
		sc->be_ids = calloc(sc->n, sizeof(*sc->be_ids));
		sc->weights = calloc(sc->n, sizeof(*sc->weights));
		if (!sc->be_ids || !sc->weights) {
			ret = -ENOMEM;
			goto err_cur;
		}
		for (j = 0; j < s->n_backends; j++) {
			const struct edge_cfg_backend *b = &s->backends[j];
			bool is_new;
			int bid = find_be(st, sid, &b->addr, be_taken, &is_new);

			if (bid < 0) {
				ret = bid;
				goto err_cur;
			}
			be_taken[bid] = true;
			sc->be_ids[j] = bid;
			sc->weights[j] = b->drain || b->drain_ctl ? 0 : b->weight;
		}
		st->svc[sid].key = key;
	}
	/* Registry: drop what is gone, take what is new (new ids: new generation). */
	for (id = 0; id < EDGE_LB_MAX_SERVICES; id++) {
		if (st->svc[id].used && !svc_taken[id]) {
			/* Gone: no longer found, then no table. */
			bpf_map_delete_elem(sfd, &st->svc[id].key);
			bpf_map_delete_elem(tfd, &id);
		}
		if (svc_taken[id] && !st->svc[id].used)
			edge_percpu_zero(bpf_map__fd(dp->skel->maps.edge_lb_svc_stats), id,
					 sizeof(struct edge_lb_counters));
		st->svc[id].used = svc_taken[id];
	}
	for (i = 0; i < cfg->n_services; i++) {
		for (j = 0; j < cur[i].n; j++) {
			struct lb_be_slot *b = &st->be[cur[i].be_ids[j]];

			if (b->used)
				continue;
			b->used = true;
			b->down = false;
			b->gen = (__u16)(b->gen + 1) ? b->gen + 1 : 1;
			b->svc = cur[i].id;
			b->addr = cfg->services[i].backends[j].addr;
			edge_percpu_zero(bpf_map__fd(dp->skel->maps.edge_lb_be_stats),
					 cur[i].be_ids[j], sizeof(struct edge_lb_counters));
		}
	}
	/* Backends that stay or come first; the ones that go after the tables. */
	for (id = 0; id < EDGE_LB_MAX_BACKENDS; id++) {
		if (!be_taken[id])
			continue;
		ret = write_backend(dp, st, id);
		if (ret)
			goto err_be;
		nbe++;
	}
	ret = write_config(dp, st, cfg, err, errlen);
	if (ret)
		goto err_cur;
	/* Tables before services: a service is never visible without one. */
	for (i = 0; i < cfg->n_services; i++) {
		struct edge_lb_svc v = {.id = cur[i].id};

		ret = swap_table(dp, st, &cur[i], err, errlen);
		if (ret)
			goto err_cur;
		if (bpf_map_update_elem(sfd, &st->svc[cur[i].id].key, &v, BPF_ANY)) {
			ret = -errno;
			set_err(err, errlen, "writing to map %s failed: %s", EDGE_MAP_LB_SERVICES,
				strerror(-ret));
			goto err_cur;
		}
	}
	for (id = 0; id < EDGE_LB_MAX_BACKENDS; id++) {
		if (!st->be[id].used || be_taken[id])
			continue;
		st->be[id].used = false;
		ret = write_backend(dp, st, id);
		if (ret)
			goto err_be;
	}
	free_cur(st);
	st->cur = cur;
	st->n_cur = cfg->n_services;
	prime_neighbours(st);
	if (cfg->n_services)
		pr_info("lb: %zu services, %zu backends\n", cfg->n_services, nbe);
	return 0;

err_be:
	set_err(err, errlen, "writing to map %s failed: %s", EDGE_MAP_LB_BACKENDS, strerror(-ret));
err_cur:
	if (ret == -ENOSPC)
		set_err(err, errlen, "lb: out of service or backend ids");
	for (i = 0; i < cfg->n_services; i++) {
		free(cur[i].be_ids);
		free(cur[i].weights);
	}
	free(cur);
	return ret;
}

int edge_lb_set_backend_up(struct edge_dp *dp, const struct edge_vip_key *addr, bool up, char *err,
			   size_t errlen)
{
	struct edge_lb_state *st = dp->lb;
	size_t i, j, hits = 0;
	int ret;

	if (!st)
		return -ENOENT;
	for (i = 0; i < st->n_cur; i++) {
		struct lb_svc_cur *sc = &st->cur[i];
		bool touched = false;

		for (j = 0; j < sc->n; j++) {
			struct lb_be_slot *b = &st->be[sc->be_ids[j]];

			if (memcmp(&b->addr, addr, sizeof(*addr)))
				continue;
			hits++;
			if (b->down == !up)
				continue;
			b->down = !up;
			touched = true;
			/*
			 * Down: the table first (no new flows), then the
			 * state (its conntrack entries re-hash). Up: the
			 * state first, so the new table never names a
			 * backend the data path still treats as down.
			 */
			if (up) {
				ret = write_backend(dp, st, sc->be_ids[j]);
				if (ret)
					goto err_map;
			}
		}
		if (!touched)
			continue;
		ret = swap_table(dp, st, sc, err, errlen);
		if (ret)
			return ret;
		for (j = 0; j < sc->n && !up; j++) {
			if (memcmp(&st->be[sc->be_ids[j]].addr, addr, sizeof(*addr)))
				continue;
			ret = write_backend(dp, st, sc->be_ids[j]);
			if (ret)
				goto err_map;
		}
	}
	if (!hits) {
		set_err(err, errlen, "lb: no backend has that address");
		return -ENOENT;
	}
	return 0;
err_map:
	set_err(err, errlen, "writing to map %s failed: %s", EDGE_MAP_LB_BACKENDS, strerror(-ret));
	return ret;
}

size_t edge_lb_ids(const struct edge_dp *dp, bool backends, __u32 *ids, size_t max)
{
	const struct edge_lb_state *st = dp->lb;
	size_t n = 0;
	__u32 i;

	if (!st)
		return 0;
	for (i = 0; i < (backends ? EDGE_LB_MAX_BACKENDS : EDGE_LB_MAX_SERVICES) && n < max; i++)
		if (backends ? st->be[i].used : st->svc[i].used)
			ids[n++] = i;
	return n;
}

int edge_lb_counters_read(int map_fd, __u32 id, struct edge_lb_counters *out)
{
	return edge_percpu_sum(map_fd, id, (__u64 *)out, EDGE_LB_NCOUNTERS);
}

static const struct lb_svc_cur *cur_svc(const struct edge_dp *dp, size_t svc)
{
	const struct edge_lb_state *st = dp->lb;

	return st && svc < st->n_cur ? &st->cur[svc] : NULL;
}

int edge_lb_service_view(const struct edge_dp *dp, size_t svc, __u32 *id,
			 struct edge_lb_counters *cnt)
{
	const struct lb_svc_cur *sc = cur_svc(dp, svc);

	if (!sc)
		return -ENOENT;
	*id = sc->id;
	if (cnt && edge_lb_counters_read(bpf_map__fd(dp->skel->maps.edge_lb_svc_stats), sc->id,
					 cnt))
		memset(cnt, 0, sizeof(*cnt));
	return 0;
}

int edge_lb_backend_view(const struct edge_dp *dp, size_t svc, size_t be,
			 struct edge_lb_be_view *v, struct edge_lb_counters *cnt)
{
	const struct lb_svc_cur *sc = cur_svc(dp, svc);

	if (!sc || be >= sc->n)
		return -ENOENT;
	v->id = sc->be_ids[be];
	v->weight = sc->weights[be];
	v->down = dp->lb->be[v->id].down;
	if (cnt && edge_lb_counters_read(bpf_map__fd(dp->skel->maps.edge_lb_be_stats), v->id,
					 cnt))
		memset(cnt, 0, sizeof(*cnt));
	return 0;
}

const char *const edge_lb_counter_names[EDGE_LB_NCOUNTERS] = {
#define EDGE_X_NAME(n) #n,
	EDGE_LB_COUNTERS(EDGE_X_NAME)
#undef EDGE_X_NAME
};

/* ---------------------------------------------------------------- anyedgectl lb */

static int open_pinned(const char *pin_path, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		pr_warn("cannot open %s: %s (is anyedged running with pin_path %s?)\n", path,
			strerror(-fd), pin_path);
	}
	return fd;
}

static void print_counters(FILE *f, const struct edge_lb_counters *c, bool json)
{
	int i;

	for (i = 0; i < EDGE_LB_NCOUNTERS; i++) {
		if (json)
			fprintf(f, ",\"%s\":%llu", edge_lb_counter_names[i],
				(unsigned long long)((const __u64 *)c)[i]);
		else
			fprintf(f, " %s=%llu", edge_lb_counter_names[i],
				(unsigned long long)((const __u64 *)c)[i]);
	}
}

static const char *const be_states[] = {"free", "up", "down"};

int edge_lb_show(FILE *f, const char *pin_path, bool json)
{
	int sfd, bfd, ssfd, bsfd, ret = 0;
	struct edge_lb_svc_key key, *prev = NULL;
	struct edge_lb_counters cnt;
	struct edge_lb_backend be;
	struct edge_lb_svc svc;
	char a[INET6_ADDRSTRLEN];
	bool first_svc = true;
	__u32 id;

	sfd = open_pinned(pin_path, EDGE_MAP_LB_SERVICES);
	bfd = open_pinned(pin_path, EDGE_MAP_LB_BACKENDS);
	ssfd = open_pinned(pin_path, EDGE_MAP_LB_SVC_STATS);
	bsfd = open_pinned(pin_path, EDGE_MAP_LB_BE_STATS);
	if (sfd < 0 || bfd < 0 || ssfd < 0 || bsfd < 0) {
		ret = -ENOENT;
		goto out;
	}
	if (json)
		fprintf(f, "{\"services\":[");
	while (!bpf_map_get_next_key(sfd, prev, &key)) {
		struct edge_vip_key vk;
		bool first_be = true;

		prev = &key;
		if (bpf_map_lookup_elem(sfd, &key, &svc))
			continue;
		memcpy(vk.addr, key.addr, 16);
		addr_str(&vk, a, sizeof(a));
		memset(&cnt, 0, sizeof(cnt));
		edge_lb_counters_read(ssfd, svc.id, &cnt);
		if (json) {
			fprintf(f, "%s{\"id\":%u,\"vip\":\"%s\",\"proto\":\"%s\",\"port\":%u",
				first_svc ? "" : ",", svc.id, a, proto_str(key.proto),
				ntohs(key.port));
			print_counters(f, &cnt, true);
			fprintf(f, ",\"backends\":[");
		} else {
			fprintf(f, "service %u %s %s/%u\n ", svc.id, a, proto_str(key.proto),
				ntohs(key.port));
			print_counters(f, &cnt, false);
			fprintf(f, "\n");
		}
		first_svc = false;
		for (id = 0; id < EDGE_LB_MAX_BACKENDS; id++) {
			if (bpf_map_lookup_elem(bfd, &id, &be) || be.state == EDGE_LB_BE_FREE ||
			    be.svc != svc.id)
				continue;
			memcpy(vk.addr, be.addr, 16);
			addr_str(&vk, a, sizeof(a));
			memset(&cnt, 0, sizeof(cnt));
			edge_lb_counters_read(bsfd, id, &cnt);
			if (json) {
				fprintf(f, "%s{\"id\":%u,\"address\":\"%s\",\"state\":\"%s\"",
					first_be ? "" : ",", id, a, be_states[be.state % 3]);
				print_counters(f, &cnt, true);
				fprintf(f, "}");
			} else {
				fprintf(f, "  backend %u %s %s\n   ", id, a,
					be_states[be.state % 3]);
				print_counters(f, &cnt, false);
				fprintf(f, "\n");
			}
			first_be = false;
		}
		if (json)
			fprintf(f, "]}");
	}
	if (json)
		fprintf(f, "]}\n");
	else if (first_svc)
		fprintf(f, "no services\n");
out:
	if (sfd >= 0)
		close(sfd);
	if (bfd >= 0)
		close(bfd);
	if (ssfd >= 0)
		close(ssfd);
	if (bsfd >= 0)
		close(bsfd);
	return ret;
}
