/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the per-CPU counters (pinned or by fd) and printing them. */
#ifndef EDGE_STATS_USER_H
#define EDGE_STATS_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "anyedge.h"

struct edge_stat_field {
	const char *name;	/* as in BTF: "reason_dns_answered" */
	size_t off;		/* offset in struct edge_stats */
};

extern const struct edge_stat_field edge_stat_fields[];
extern const size_t edge_stat_nfields;

static inline __u64 edge_stat_get(const struct edge_stats *st, size_t i)
{
	return *(const __u64 *)((const char *)st + edge_stat_fields[i].off);
}

/*
 * Entry id of a per-CPU array whose value is n __u64 counters: out gets
 * their sums over the CPUs. 0 or -errno.
 */
int edge_percpu_sum(int map_fd, __u32 id, __u64 *out, size_t n);
/* Zero entry id of a per-CPU array whose value is size bytes. 0 or -errno. */
int edge_percpu_zero(int map_fd, __u32 id, size_t size);
/* Sum the per-CPU values of the stats map. 0 or -errno. */
int edge_stats_read(int map_fd, struct edge_stats *out);
/* Open PIN_DIR/edge_stats. fd or -errno. */
int edge_stats_open_pinned(const char *pin_dir);
/*
 * Traffic per VIP: its edge_vip_stats entry (what the load balancer did
 * not forward) plus the forwarded packets of its services
 * (edge_lb_svc_stats), so every packet to the VIP once.
 */
struct edge_vip_traffic {
	struct edge_vip_key vip; /* IPv4 as ::ffff:a.b.c.d */
	__u32 id;		 /* edge_vip.vip_id */
	__u32 flags;		 /* enum edge_vip_flags */
	__u64 packets;		 /* every packet to the VIP */
	__u64 bytes;
	__u64 lb_packets;	 /* of those, forwarded by the load balancer */
	__u64 lb_bytes;
};

/* The maps edge_vip_traffic_read() reads; an lb_* fd < 0: no load balancer. */
struct edge_vip_maps {
	int vips, tables, vip_stats, lb_services, lb_svc_stats;
};

/*
 * The VIPs in the live half of edge_vips (include/edge_table.h), read
 * through edge_tables: *out (free()) gets *n slots, in bucket order.
 * 0 or -errno.
 */
int edge_vips_read(int vips_fd, int tables_fd, struct edge_vip_slot **out, size_t *n);

/* Sum one id of edge_vip_stats over the CPUs. 0 or -errno. */
int edge_vip_counters_read(int map_fd, __u32 id, struct edge_vip_counters *out);
/*
 * Every VIP in the maps with its traffic, sorted by address: *out (free()
 * it) gets *n entries. 0 or -errno.
 */
int edge_vip_traffic_read(const struct edge_vip_maps *m, struct edge_vip_traffic **out,
			  size_t *n);
/* Open the five maps pinned under pin_dir. 0, or -errno naming the map in err. */
int edge_vip_maps_open_pinned(const char *pin_dir, struct edge_vip_maps *m, char *err,
			      size_t errlen);
void edge_vip_maps_close(struct edge_vip_maps *m);
/* "192.0.2.53" / "2001:db8::53". */
void edge_vip_str(const struct edge_vip_key *k, char *buf, size_t len);

/*
 * Human table, or one JSON object; with vips (n_vips of them, may be
 * NULL) a per-VIP part too ("vips": [...] in JSON).
 */
void edge_stats_print(FILE *f, const struct edge_stats *st, const struct edge_vip_traffic *vips,
		      size_t n_vips, bool json);

#endif /* EDGE_STATS_USER_H */
