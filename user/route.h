/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Route signalling (DESIGN.md §3): tell BGP whether each anycast prefix is
 * announced, draining or withdrawn, through the backend the config picks
 * (route.backend):
 *
 *  bird    prefixes with lease: an address on the daemon's tun interface
 *          (user/lease.h), exported by BIRD's `protocol direct` -- fail
 *          closed; without lease: `enable`/`disable` of the prefix's
 *          `protocol static` (written `disabled yes`) over the control
 *          socket, re-asserted every tick. Drain (route.drain.community):
 *          `enable PROTOCOL_drain`, a second static protocol carrying the
 *          route with (65535, 0) at a higher preference, before the plain
 *          route goes. scripts/bird-edge.conf has the matching BIRD config.
 *  exabgp  one line per change on stdout: `announce route P next-hop self`
 *          (drain: `... community [65535:0]`), `withdraw route P`.
 *  hook    route.hook PREFIX announce|drain|withdraw, one at a time per
 *          prefix, killed after hook_timeout_ms, re-run every tick until it
 *          exits 0; never blocks the loop (pidfd on the loop).
 *  none    states only (status shows them), nothing signalled.
 */
#ifndef EDGE_ROUTE_H
#define EDGE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "config.h"
#include "evloop.h"
#include "lease.h"
#include "route_bird.h"

enum edge_route_want {
	EDGE_ROUTE_WITHDRAW = 0,
	EDGE_ROUTE_ANNOUNCE,
	EDGE_ROUTE_DRAIN, /* announced with GRACEFUL_SHUTDOWN (65535, 0) */
};

/* What the backend has confirmed. */
enum edge_route_known {
	EDGE_ROUTE_UNKNOWN = 0, /* no confirmation (e.g. BIRD's socket is gone) */
	EDGE_ROUTE_IS_WITHDRAWN,
	EDGE_ROUTE_IS_ANNOUNCED,
	EDGE_ROUTE_IS_DRAINING,
	EDGE_ROUTE_FAILED, /* the backend refused; see detail */
};

struct edge_route;

struct edge_route_pfx {
	struct edge_route *rt;
	struct edge_cfg_anycast ac;		 /* prefix, protocol, lease */
	char drain_proto[EDGE_CFG_PROTO_LEN + 8]; /* PROTOCOL_drain */
	enum edge_route_want want;
	enum edge_route_known known;
	char detail[192];
	bool gone; /* dropped by a reload: withdraw, then forget */
	/* hook */
	pid_t hook_pid;
	int hook_pidfd;
	enum edge_route_want hook_running;
	struct edge_timer *hook_timer;
	__u64 hook_started_ms;
	bool hook_done; /* the last run for `want` exited 0 */
	/* exabgp */
	bool exa_sent;
	enum edge_route_want exa_last;
};

struct edge_route {
	struct edge_cfg_route cfg;
	struct edge_loop *loop;
	struct edge_route_pfx **p;
	size_t n;
	/* bird */
	bool bird_on;
	struct edge_bird_client bird;
	int bird_fd; /* registered with the loop, -1 if none */
	uint32_t bird_events;
	struct edge_timer *bird_timer; /* the client's next tick */
	struct edge_lease lease;
	bool lease_on;
	char lease_err[256];
	struct edge_timer *tick;
};

/* NULL with errno set. Starts the tick (cfg->tick_ms). */
struct edge_route *edge_route_new(struct edge_loop *loop, const struct edge_cfg_route *cfg);
/*
 * Withdraw nothing, close everything: a lease vanishes with its interface
 * (so its prefixes are withdrawn), static protocols stay as they are.
 */
void edge_route_free(struct edge_route *rt);

/*
 * Make the prefixes those of cfg (matched by prefix text; a prefix new to
 * the route starts withdrawn, a dropped one is withdrawn and forgotten).
 * Opens the lease the first time a prefix needs it. 0 or -errno (the
 * cause logged).
 */
int edge_route_set_prefixes(struct edge_route *rt, const struct edge_config *cfg);
/*
 * The same, for a planned restart: the prefixes listed in announced[n]
 * (adopted from the predecessor) start wanted announced, not withdrawn.
 */
int edge_route_set_prefixes_adopted(struct edge_route *rt, const struct edge_config *cfg,
				    const char (*announced)[EDGE_CFG_PROTO_LEN], size_t n);
/* Use fd, the predecessor's tun lease (handed over), as the lease. 0 or -errno. */
int edge_route_adopt_lease(struct edge_route *rt, int fd);
/* Signal want for prefix (canonical text). 0 or -ENOENT. */
int edge_route_want(struct edge_route *rt, const char *prefix, enum edge_route_want want);
/* The prefix's entry, or NULL. */
const struct edge_route_pfx *edge_route_get(const struct edge_route *rt, const char *prefix);
/* Re-assert now (also done every tick). */
void edge_route_kick(struct edge_route *rt);
/* True when every prefix's known state matches its want (for shutdown). */
bool edge_route_settled(const struct edge_route *rt);

/* The lease fd (for a handover), -1 if none. */
int edge_route_lease_fd(const struct edge_route *rt);

const char *edge_route_want_str(enum edge_route_want want);
const char *edge_route_known_str(enum edge_route_known known);

#endif /* EDGE_ROUTE_H */
