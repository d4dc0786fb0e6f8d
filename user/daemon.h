/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's top-level state: the one context struct that the daemon's
 * modules (control socket, PoP/route state, metrics) reach through. It is
 * owned by the event-loop thread; nothing here is locked.
 */
#ifndef EDGE_DAEMON_H
#define EDGE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

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
};

/*
 * Re-read d->config_path, validate it and apply it to the maps. 0 on
 * success; else -errno, the running configuration stays in effect and
 * err holds the reason (e.g. "edge.yaml:12: vips: ...").
 */
int edged_reload(struct edged *d, char *err, size_t errlen);

#endif /* EDGE_DAEMON_H */
