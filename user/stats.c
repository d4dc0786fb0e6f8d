// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "edge_lb.h"
#include "loader.h"
#include "stats.h"

#define F(n) { #n, offsetof(struct edge_stats, n) },
const struct edge_stat_field edge_stat_fields[] = {
	F(packets)
	F(bytes)
#define EDGE_X(n) F(event_##n)
	EDGE_EVENTS(EDGE_X)
#undef EDGE_X
#define EDGE_X(n) F(verdict_##n)
	EDGE_VERDICTS(EDGE_X)
#undef EDGE_X
#define EDGE_X(n) F(reason_##n)
	EDGE_REASONS(EDGE_X)
#undef EDGE_X
};
#undef F
const size_t edge_stat_nfields = sizeof(edge_stat_fields) / sizeof(edge_stat_fields[0]);

_Static_assert(sizeof(edge_stat_fields) / sizeof(edge_stat_fields[0]) ==
		       sizeof(struct edge_stats) / sizeof(__u64),
	       "every counter has a name");

int edge_percpu_sum(int map_fd, __u32 id, __u64 *out, size_t n)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 *percpu;
	size_t i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc((size_t)ncpu * n, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &id, percpu)) {
		int err = -errno;

		free(percpu);
		return err;
	}
	memset(out, 0, n * sizeof(*out));
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < n; i++)
			out[i] += percpu[(size_t)c * n + i];
	free(percpu);
	return 0;
}

int edge_percpu_zero(int map_fd, __u32 id, size_t size)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	void *z;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	z = calloc(ncpu, size);
	if (!z)
		return -ENOMEM;
	if (bpf_map_update_elem(map_fd, &id, z, BPF_ANY))
		ret = -errno;
	free(z);
	return ret;
}

/* The structs are dense arrays of __u64 (asserted in anyedge.h). */
int edge_stats_read(int map_fd, struct edge_stats *out)
{
	return edge_percpu_sum(map_fd, 0, (__u64 *)out, sizeof(*out) / sizeof(__u64));
}

int edge_stats_open_pinned(const char *pin_dir)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, EDGE_MAP_STATS) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int edge_vip_counters_read(int map_fd, __u32 id, struct edge_vip_counters *out)
{
	return edge_percpu_sum(map_fd, id, (__u64 *)out, sizeof(*out) / sizeof(__u64));
}

static int vip_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct edge_vip_traffic *)a)->vip,
		      &((const struct edge_vip_traffic *)b)->vip, sizeof(struct edge_vip_key));
}

static struct edge_vip_traffic *vip_find(struct edge_vip_traffic *v, size_t n,
					 const __be32 addr[4])
{
	struct edge_vip_traffic key;

	memcpy(key.vip.addr, addr, sizeof(key.vip.addr));
	return bsearch(&key, v, n, sizeof(*v), vip_cmp);
}

int edge_vips_read(int vips_fd, int tables_fd, struct edge_vip_slot **out, size_t *n)
{
	struct edge_vip_bucket bk;
	struct edge_vip_slot *v;
	struct edge_tables t;
	__u32 zero = 0, gen, b, idx, s;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (bpf_map_lookup_elem(tables_fd, &zero, &t))
		return -errno;
	gen = t.vip_gen & 1;
	v = calloc(EDGE_VIP_BUCKETS * EDGE_VIP_SLOTS, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (b = 0; b <= (t.vip_mask[gen] & (EDGE_VIP_BUCKETS - 1)); b++) {
		idx = gen * EDGE_VIP_BUCKETS + b;
		if (bpf_map_lookup_elem(vips_fd, &idx, &bk)) {
			free(v);
			return -errno;
		}
		for (s = 0; s < bk.n && s < EDGE_VIP_SLOTS; s++)
			v[cnt++] = bk.slot[s];
	}
	*out = v;
	*n = cnt;
	return 0;
}

int edge_vip_traffic_read(const struct edge_vip_maps *m, struct edge_vip_traffic **out,
			  size_t *n)
{
	struct edge_vip_traffic *v, *t;
	struct edge_lb_svc_key sk, *sprev = NULL;
	struct edge_vip_counters vc;
	struct edge_lb_counters lc;
	struct edge_vip_slot *slots;
	struct edge_lb_svc svc;
	size_t cnt = 0, n_slots, i;
	int ret;

	ret = edge_vips_read(m->vips, m->tables, &slots, &n_slots);
	if (ret)
		return ret;
	v = calloc(n_slots + 1, sizeof(*v));
	if (!v) {
		free(slots);
		return -ENOMEM;
	}
	for (i = 0; i < n_slots; i++) {
		ret = edge_vip_counters_read(m->vip_stats, slots[i].vip.vip_id, &vc);
		if (ret && ret != -ENOENT) {
			free(slots);
			goto err;
		}
		t = &v[cnt++];
		t->vip = slots[i].key;
		t->id = slots[i].vip.vip_id;
		t->flags = slots[i].vip.flags;
		t->packets = ret ? 0 : vc.packets;
		t->bytes = ret ? 0 : vc.bytes;
	}
	free(slots);
	qsort(v, cnt, sizeof(*v), vip_cmp);
	while (m->lb_services >= 0 && m->lb_svc_stats >= 0 &&
	       !bpf_map_get_next_key(m->lb_services, sprev, &sk)) {
		sprev = &sk;
		t = vip_find(v, cnt, sk.addr);
		if (!t || bpf_map_lookup_elem(m->lb_services, &sk, &svc) ||
		    edge_lb_counters_read(m->lb_svc_stats, svc.id, &lc))
			continue;
		t->lb_packets += lc.packets;
		t->lb_bytes += lc.bytes;
		t->packets += lc.packets;
		t->bytes += lc.bytes;
	}
	*out = v;
	*n = cnt;
	return 0;
err:
	free(v);
	return ret;
}

int edge_vip_maps_open_pinned(const char *pin_dir, struct edge_vip_maps *m, char *err,
			      size_t errlen)
{
	static const char *const names[] = {EDGE_MAP_VIPS, EDGE_MAP_TABLES, EDGE_MAP_VIP_STATS,
					    EDGE_MAP_LB_SERVICES, EDGE_MAP_LB_SVC_STATS};
	int *fds[] = {&m->vips, &m->tables, &m->vip_stats, &m->lb_services, &m->lb_svc_stats};
	char path[PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < 5; i++)
		*fds[i] = -1;
	for (i = 0; i < 5; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", pin_dir, names[i]) >=
		    (int)sizeof(path)) {
			ret = -ENAMETOOLONG;
		} else {
			*fds[i] = bpf_obj_get(path);
			ret = *fds[i] < 0 ? -errno : 0;
		}
		if (ret) {
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
			edge_vip_maps_close(m);
			return ret;
		}
	}
	return 0;
}

void edge_vip_maps_close(struct edge_vip_maps *m)
{
	int *fds[] = {&m->vips, &m->tables, &m->vip_stats, &m->lb_services, &m->lb_svc_stats};
	size_t i;

	for (i = 0; i < 5; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

void edge_vip_str(const struct edge_vip_key *k, char *buf, size_t len)
{
	static const __u8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!memcmp(k->addr, mapped, sizeof(mapped)))
		inet_ntop(AF_INET, &k->addr[3], buf, len);
	else
		inet_ntop(AF_INET6, k->addr, buf, len);
}

static void print_vips(FILE *f, const struct edge_vip_traffic *v, size_t n, bool json)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	if (!json)
		fprintf(f, "%-30s %14s %16s %14s\n", "VIPs:", "packets", "bytes",
			"lb forwarded");
	for (i = 0; i < n; i++) {
		edge_vip_str(&v[i].vip, a, sizeof(a));
		if (json)
			fprintf(f,
				"%s{\"vip\":\"%s\",\"id\":%u,\"dns\":%s,\"lb\":%s,"
				"\"packets\":%llu,\"bytes\":%llu,\"lb_packets\":%llu,"
				"\"lb_bytes\":%llu}",
				i ? "," : "", a, v[i].id,
				v[i].flags & EDGE_VIP_F_DNS ? "true" : "false",
				v[i].flags & EDGE_VIP_F_LB ? "true" : "false",
				(unsigned long long)v[i].packets, (unsigned long long)v[i].bytes,
				(unsigned long long)v[i].lb_packets,
				(unsigned long long)v[i].lb_bytes);
		else
			fprintf(f, "  %-28s %14llu %16llu %14llu\n", a,
				(unsigned long long)v[i].packets, (unsigned long long)v[i].bytes,
				(unsigned long long)v[i].lb_packets);
	}
}

void edge_stats_print(FILE *f, const struct edge_stats *st, const struct edge_vip_traffic *vips,
		      size_t n_vips, bool json)
{
	size_t i;

	if (json) {
		fputc('{', f);
		for (i = 0; i < edge_stat_nfields; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", edge_stat_fields[i].name,
				(unsigned long long)edge_stat_get(st, i));
		if (vips) {
			fputs(",\"vips\":[", f);
			print_vips(f, vips, n_vips, true);
			fputc(']', f);
		}
		fputs("}\n", f);
		return;
	}
	for (i = 0; i < edge_stat_nfields; i++) {
		const char *name = edge_stat_fields[i].name;

		if (!strncmp(name, "event_", 6) && strncmp(edge_stat_fields[i - 1].name, "event_", 6))
			fputs("events:\n", f);
		else if (!strncmp(name, "verdict_", 8) &&
			 strncmp(edge_stat_fields[i - 1].name, "verdict_", 8))
			fputs("verdicts:\n", f);
		else if (!strncmp(name, "reason_", 7) && strncmp(edge_stat_fields[i - 1].name, "reason_", 7))
			fputs("reasons:\n", f);
		fprintf(f, "  %-28s %20llu\n", name, (unsigned long long)edge_stat_get(st, i));
	}
	if (vips)
		print_vips(f, vips, n_vips, false);
}
