/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's top-level state: the one context struct that the daemon's
 * modules (control socket, PoP/route state, metrics) reach through. It is
 * owned by the event-loop thread; nothing here is locked.
 */
#ifndef EDGE_DAEMON_H
#define EDGE_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "evloop.h"
#include "loader.h"

/* Manual route override of one anycast prefix (anyedgectl announce/withdraw/auto). */
enum edged_override_mode {
	EDGED_OVR_AUTO = 0, /* no override: health decides */
	EDGED_OVR_ANNOUNCE, /* keep announced whatever health says */
	EDGED_OVR_WITHDRAW, /* keep withdrawn whatever health says */
};

#define EDGED_MAX_OVERRIDES 256
#define EDGED_PREFIX_LEN    64 /* "2001:db8::/32" as text, NUL included */

struct edged_override {
	char prefix[EDGED_PREFIX_LEN]; /* canonical text form, e.g. "192.0.2.0/24" */
	enum edged_override_mode mode; /* never AUTO while in the table */
};

#define EDGED_MAX_DRAINS  4096
#define EDGED_BACKEND_LEN 48 /* INET6_ADDRSTRLEN */

struct edge_ctl;
struct edge_metrics;
struct edged_pop;

struct edged {
	const char *config_path;   /* -c: re-read on every reload */
	struct edge_config cfg;	   /* the running (last valid) configuration */
	struct edge_dp dp;	   /* loaded program, pinned maps, attachments */
	struct edge_loop *loop;	   /* the one event loop (user/evloop.h) */
	bool check_only;	   /* --check-config: validate and exit */
	const char *emit_zone_dir; /* --emit-zone: write the zone files and exit */
	bool verbose;		   /* -v: debug logging */
	/*
	 * Manual route overrides, kept across reloads until set back to
	 * auto; the PoP state machine consults them before announcing or
	 * withdrawing a prefix.
	 */
	struct edged_override overrides[EDGED_MAX_OVERRIDES];
	size_t n_overrides;
	/*
	 * Backends drained by hand (anyedgectl drain), canonical address
	 * text; kept across reloads until undrained. The load balancer
	 * gives them no new flows.
	 */
	char (*drained)[EDGED_BACKEND_LEN];
	size_t n_drained;
	/* Called after an override or a drain changed (NULL: nobody cares yet). */
	void (*on_override)(struct edged *d, const char *prefix, void *arg);
	void *on_override_arg;
	void (*on_drain)(struct edged *d, const char *backend, void *arg);
	void *on_drain_arg;

	struct edge_ctl *ctl;	       /* control socket and its command table */
	struct edge_metrics *metrics;  /* Prometheus endpoint and its providers */
	struct edged_pop *pop;	       /* health checks, PoP states, route signal (popd.h) */
	bool keep_attached;	       /* --keep-attached: leave XDP attached at exit */
	bool takeover;		       /* --takeover: planned restart (popd.h) */
	uint64_t started_ms;	       /* edge_now_ms() at start */
	time_t started_at;	       /* wall clock at start */
	unsigned int n_reloads;	       /* successful reloads */
	unsigned int n_reload_failures;
	time_t reload_at;	       /* wall clock of the last attempt; 0: none */
	char reload_err[512];	       /* reason of the last failure; "" if it worked */
	/* Binary upgrade (anyedgectl upgrade, SIGUSR2; anyedged.c, popd.h). */
	char **argv;		       /* as started: the successor gets the same + --takeover */
	char self_exe[PATH_MAX];       /* this binary's path at start */
	pid_t upgrade_pid;	       /* the child taking over; 0: none */
	pid_t upgrade_last_pid;	       /* the last one started */
	uint64_t upgrade_started_ms;
	char upgrade_binary[PATH_MAX];
	char upgrade_err[256];	       /* why the last one failed; "" if none did */
	/* The state went to pid: tell the service manager, before this process exits. */
	void (*handed_over_to)(pid_t pid);
};

/*
 * Re-read d->config_path, validate it and apply it to the maps. 0 on
 * success; else -errno, the running configuration stays in effect and
 * err holds the reason (e.g. "edge.yaml:12: vips: ...").
 */
int edged_reload(struct edged *d, char *err, size_t errlen);

/* ---- user/daemon.c ---- */

/*
 * "192.0.2.0/24", "2001:db8::/32", or an address alone (/32, /128) into
 * its canonical text; host bits must be zero. 0 or -EINVAL (reason in err).
 */
int edged_prefix_canon(const char *in, char *out, size_t outlen, char *err, size_t errlen);
/* An address into its canonical text. 0 or -EINVAL. */
int edged_addr_canon(const char *in, char *out, size_t outlen);

/* The override of a prefix (canonical text); EDGED_OVR_AUTO if none. */
enum edged_override_mode edged_override_get(const struct edged *d, const char *prefix);
/* Set (AUTO clears) the override of a canonical prefix. 0, -ENOSPC. */
int edged_override_set(struct edged *d, const char *prefix, enum edged_override_mode mode);
const char *edged_override_str(enum edged_override_mode mode);

bool edged_is_drained(const struct edged *d, const char *backend);
/* Mark cfg's backends drained by hand (drain_ctl) from d's table, before a sync. */
void edged_apply_drains(const struct edged *d, struct edge_config *cfg);
/* Drain or undrain a canonical backend address. 0, -ENOMEM, -ENOSPC. */
int edged_drain_set(struct edged *d, const char *backend, bool drain);

/*
 * Every VIP of the data path with its traffic (user/stats.h: its own
 * counters plus its services' forwarded packets); *v (free() it) gets *n
 * entries. 0 or -errno.
 */
struct edge_vip_traffic;
int edged_vip_traffic(const struct edged *d, struct edge_vip_traffic **v, size_t *n);
/* The anycast prefix of d->cfg holding the VIP (the longest), or NULL. */
const struct edge_cfg_anycast *edged_vip_prefix(const struct edged *d,
						const struct edge_vip_key *vip);

/*
 * Register the built-in control commands (status, stats, pools, pool,
 * backends, drain, undrain, announce, withdraw, auto) and metrics
 * providers on d->ctl and d->metrics. 0 or -errno.
 */
int edged_ctl_init(struct edged *d);

#endif /* EDGE_DAEMON_H */
