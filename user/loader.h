/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data path handle: load the XDP object (skeleton), pin its maps,
 * compile the config into map entries, attach to interfaces via libxdp.
 */
#ifndef EDGE_LOADER_H
#define EDGE_LOADER_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include <xdp/libxdp.h>

#include "config.h"
#include "geo_dir.h"

#define EDGE_MAX_IFACES 16

struct edge_bpf;
struct edge_lb_state;

struct edge_attachment {
	char name[IF_NAMESIZE];
	int ifindex;
	enum xdp_attach_mode mode;
	struct xdp_program *xprog;
};

/*
 * The entries a geo map holds as last written, sorted by key: a reload
 * then writes and deletes only what changed, instead of rewriting and
 * walking LPM tries of hundreds of thousands of prefixes.
 */
struct edge_geo_shadow {
	void *entries;
	size_t n;
	bool valid; /* false: the map's content is unknown (first sync, error) */
};

struct edge_dp {
	struct edge_bpf *skel;
	char pin_path[PATH_MAX];	/* empty: maps not pinned (tests) */
	struct edge_attachment att[EDGE_MAX_IFACES];
	size_t n_att;
	__u32 dns_gen;			/* which half of the DNS arrays is live */
	struct edge_lb_state *lb;	/* load balancer ids and tables (user/lb.c) */
	struct edge_geo_shadow geo_shadow[2]; /* edge_geo4, edge_geo6 */
	size_t geo4_max_chunks;		/* 0: EDGE_GEO4_CHUNKS (tests set fewer) */
	struct edge_geo4_dir geo4_shadow; /* what edge_geo4_dir's live generation holds */
	__u32 geo4_shadow_gen;		/* and which generation that is */
	char *log_buf;			/* verifier log of the last load */
	size_t log_size;
};

/*
 * Open and load the program. pin_path NULL: private maps (tests); else the
 * maps are pinned there (reusing compatible pinned maps, so counters
 * survive restarts), mounting bpffs on its parent if needed.
 */
int edge_dp_load(struct edge_dp *dp, const struct edge_config *cfg, const char *pin_path,
		 char *err, size_t errlen);
/* Make the maps hold exactly the config's VIPs and records. */
int edge_dp_sync(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen);
/* Attach to every configured interface; on failure nothing stays attached. */
int edge_dp_attach(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen);
void edge_dp_detach(struct edge_dp *dp);
/* Forget the attachments without detaching (--keep-attached): close won't detach. */
void edge_dp_keep_attached(struct edge_dp *dp);

/*
 * Load balancer (user/lb.c). edge_lb_sync() is part of edge_dp_sync():
 * services, backends, tables and the lb: knobs from the config.
 *
 * Health: edge_lb_set_backend_up(dp, addr, up) marks every backend with
 * address addr (in every service) up or down and swaps in each affected
 * service's re-filled Maglev table. Down: no new flows, and its existing
 * flows re-hash to the others; up: it gets its slots back. The state
 * survives edge_dp_sync() (a config reload). addr is the backend address
 * in VIP-key form (IPv4 as ::ffff:a.b.c.d). Returns 0, -ENOENT when no
 * backend has that address, or -errno with err set. Not thread-safe:
 * call it from the thread that calls edge_dp_sync().
 */
int edge_lb_sync(struct edge_dp *dp, const struct edge_config *cfg, char *err, size_t errlen);
int edge_lb_set_backend_up(struct edge_dp *dp, const struct edge_vip_key *addr, bool up,
			   char *err, size_t errlen);
void edge_lb_free(struct edge_dp *dp);

/* The service (backends false) or backend ids in use; returns how many. */
size_t edge_lb_ids(const struct edge_dp *dp, bool backends, __u32 *ids, size_t max);
/* Sum one id of edge_lb_svc_stats / edge_lb_be_stats over the CPUs. */
struct edge_lb_counters;
int edge_lb_counters_read(int map_fd, __u32 id, struct edge_lb_counters *out);
extern const char *const edge_lb_counter_names[];
/*
 * The config's service svc and its backend be as the data path has them
 * (the config of the last successful edge_lb_sync): the service's id, or
 * the backend's id, whether its health check took it out (down) and its
 * weight in the Maglev table (0: drained); cnt (may be NULL) gets the
 * counters summed over the CPUs (zero if unreadable). 0 or -ENOENT.
 */
struct edge_lb_be_view {
	__u32 id;
	__u32 weight;
	bool down;
};
int edge_lb_service_view(const struct edge_dp *dp, size_t svc, __u32 *id,
			 struct edge_lb_counters *cnt);
int edge_lb_backend_view(const struct edge_dp *dp, size_t svc, size_t be,
			 struct edge_lb_be_view *v, struct edge_lb_counters *cnt);
void edge_dp_close(struct edge_dp *dp);

int edge_dp_prog_fd(const struct edge_dp *dp);
int edge_dp_stats_fd(const struct edge_dp *dp);
/* A map of the loaded program by name (EDGE_MAP_*): fd or -ENOENT. */
int edge_dp_map_fd(const struct edge_dp *dp, const char *name);
/* Write one DNS pool's health (edge_dns_pools[index].up). 0 or -errno. */
int edge_dp_set_pool(struct edge_dp *dp, __u32 index, bool up);

/* "native" / "skb" for messages. */
const char *edge_xdp_mode_str(enum xdp_attach_mode mode);

#endif /* EDGE_LOADER_H */
