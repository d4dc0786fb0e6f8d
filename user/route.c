// SPDX-License-Identifier: GPL-2.0
/* Route signalling backends: see route.h. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "route.h"

extern char **environ;

const char *edge_route_want_str(enum edge_route_want want)
{
	switch (want) {
	case EDGE_ROUTE_WITHDRAW:
		return "withdraw";
	case EDGE_ROUTE_ANNOUNCE:
		return "announce";
	case EDGE_ROUTE_DRAIN:
		return "drain";
	}
	return "unknown";
}

const char *edge_route_known_str(enum edge_route_known known)
{
	switch (known) {
	case EDGE_ROUTE_UNKNOWN:
		return "unknown";
	case EDGE_ROUTE_IS_WITHDRAWN:
		return "withdrawn";
	case EDGE_ROUTE_IS_ANNOUNCED:
		return "announced";
	case EDGE_ROUTE_IS_DRAINING:
		return "draining";
	case EDGE_ROUTE_FAILED:
		return "failed";
	}
	return "unknown";
}

static enum edge_route_known want_known(enum edge_route_want want)
{
	switch (want) {
	case EDGE_ROUTE_ANNOUNCE:
		return EDGE_ROUTE_IS_ANNOUNCED;
	case EDGE_ROUTE_DRAIN:
		return EDGE_ROUTE_IS_DRAINING;
	default:
		return EDGE_ROUTE_IS_WITHDRAWN;
	}
}

static void set_known(struct edge_route_pfx *p, enum edge_route_known known, const char *detail)
{
	if (known != p->known)
		pr_info("route %s: %s%s%s\n", p->ac.prefix, edge_route_known_str(known),
			detail && *detail ? ": " : "", detail ? detail : "");
	p->known = known;
	snprintf(p->detail, sizeof(p->detail), "%s", detail ? detail : "");
}

/* BIRD */

static bool uses_drain_proto(const struct edge_route *rt)
{
	return rt->cfg.backend == EDGE_ROUTE_BIRD && rt->cfg.drain_community;
}

static void on_bird(struct edge_loop *loop, int fd, uint32_t events, void *arg);

/* Keep the loop watching the client's current fd for what it needs. */
static void bird_sync_fd(struct edge_route *rt)
{
	int fd = edge_bird_client_fd(&rt->bird);
	uint32_t ev = EPOLLIN | (edge_bird_client_want_write(&rt->bird) ? EPOLLOUT : 0);

	if (rt->bird_fd >= 0 && rt->bird_fd == fd && ev == rt->bird_events)
		return;
	if (rt->bird_fd >= 0 && rt->bird_fd == fd &&
	    !edge_loop_mod_fd(rt->loop, fd, ev)) {
		rt->bird_events = ev;
		return;
	}
	/* A new connection (maybe under the old number): watch it anew. */
	if (rt->bird_fd >= 0)
		edge_loop_del_fd(rt->loop, rt->bird_fd);
	rt->bird_fd = -1;
	if (fd < 0)
		return;
	if (edge_loop_add_fd(rt->loop, fd, ev, on_bird, rt)) {
		pr_warn("bird: cannot watch the control socket\n");
		return;
	}
	rt->bird_fd = fd;
	rt->bird_events = ev;
}

static enum edge_bird_state bird_state(const struct edge_route *rt, const char *proto)
{
	return edge_bird_state(&rt->bird, proto);
}

/* The known state of p from what BIRD confirmed and the lease did. */
static void refresh_known(struct edge_route *rt, struct edge_route_pfx *p, int lease_ret)
{
	enum edge_bird_state st, dst = EDGE_BIRD_WITHDRAWN;
	const struct edge_bird_proto *bp;
	char why[192];
	bool on;

	if (rt->cfg.backend != EDGE_ROUTE_BIRD)
		return;
	if (uses_drain_proto(rt))
		dst = bird_state(rt, p->drain_proto);
	/*
	 * The drain protocol matters while draining; otherwise a missing one
	 * (BIRD refused: not in its config) or, for a lease, an unreachable
	 * BIRD leaves the route as the lease or the static protocol says.
	 */
	if (p->want != EDGE_ROUTE_DRAIN &&
	    (dst == EDGE_BIRD_ERROR || (p->ac.lease && dst == EDGE_BIRD_UNKNOWN)))
		dst = EDGE_BIRD_WITHDRAWN;
	if (p->ac.lease) {
		if (lease_ret > 0)
			return; /* not re-applied: unchanged */
		if (lease_ret < 0) {
			snprintf(why, sizeof(why), "lease %s: %s", rt->lease.ifname,
				 strerror(-lease_ret));
			set_known(p, EDGE_ROUTE_FAILED, why);
			return;
		}
		on = p->want != EDGE_ROUTE_WITHDRAW;
		st = on ? EDGE_BIRD_ANNOUNCED : EDGE_BIRD_WITHDRAWN;
	} else {
		st = bird_state(rt, p->ac.protocol);
	}
	if (st == EDGE_BIRD_ERROR || dst == EDGE_BIRD_ERROR) {
		bp = edge_bird_proto_get(&rt->bird, st == EDGE_BIRD_ERROR ? p->ac.protocol
									: p->drain_proto);
		set_known(p, EDGE_ROUTE_FAILED, bp ? bp->error : "BIRD refused");
		return;
	}
	if (st == EDGE_BIRD_UNKNOWN || dst == EDGE_BIRD_UNKNOWN) {
		set_known(p, EDGE_ROUTE_UNKNOWN,
			  edge_bird_client_connected(&rt->bird) ? "waiting for BIRD"
								: "no BIRD control socket");
		return;
	}
	if (st == EDGE_BIRD_WITHDRAWN && dst == EDGE_BIRD_WITHDRAWN)
		set_known(p, EDGE_ROUTE_IS_WITHDRAWN, p->ac.lease ? "lease" : p->ac.protocol);
	else if (dst == EDGE_BIRD_ANNOUNCED)
		set_known(p, EDGE_ROUTE_IS_DRAINING, p->drain_proto);
	else
		set_known(p, EDGE_ROUTE_IS_ANNOUNCED, p->ac.lease ? "lease" : p->ac.protocol);
}

static void refresh_all(struct edge_route *rt)
{
	size_t i;

	for (i = 0; i < rt->n; i++)
		if (!rt->p[i]->ac.lease)
			refresh_known(rt, rt->p[i], 0);
		else if (uses_drain_proto(rt))
			refresh_known(rt, rt->p[i], 1 /* lease unchanged */);
}

static void on_bird_timer(struct edge_loop *loop, struct edge_timer *t, void *arg);

/*
 * Wake up when the client next has something to do (a re-assert round,
 * a reconnect, a reply deadline): driving it from the route tick alone
 * would alias (a round due 1 ms after a tick waits a whole tick more).
 */
static void bird_arm(struct edge_route *rt)
{
	__u64 next = edge_bird_client_next_tick(&rt->bird), now = edge_now_ms();
	__u64 ms = next > now ? next - now : 0;

	if (rt->bird_timer)
		edge_loop_timer_arm(rt->loop, rt->bird_timer, ms);
	else
		rt->bird_timer = edge_loop_timer_add(rt->loop, ms, 0, on_bird_timer, rt);
}

static void bird_run(struct edge_route *rt, int ret)
{
	if (ret)
		pr_debug("bird: %s\n", rt->bird.error);
	refresh_all(rt);
	bird_sync_fd(rt);
	bird_arm(rt);
}

static void on_bird_timer(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct edge_route *rt = arg;

	(void)loop;
	(void)t;
	rt->bird_timer = NULL; /* one-shot; bird_run arms a new one */
	bird_run(rt, edge_bird_client_tick(&rt->bird, edge_now_ms()));
}

static void on_bird(struct edge_loop *loop, int fd, uint32_t events, void *arg)
{
	struct edge_route *rt = arg;
	__u64 now = edge_now_ms();
	int ret = 0;

	(void)loop;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		ret = edge_bird_client_handle_readable(&rt->bird, now);
	if (!ret && (events & EPOLLOUT) && edge_bird_client_fd(&rt->bird) == fd)
		ret = edge_bird_client_handle_writable(&rt->bird, now);
	bird_run(rt, ret);
}

/* Lease prefixes: set the address; the refresh below handles the drain protocol. */
static int lease_apply(struct edge_route *rt, struct edge_route_pfx *p)
{
	if (!rt->lease_on)
		return -ENODEV;
	return edge_lease_set(&rt->lease, p->ac.family, p->ac.addr, p->ac.len,
			      p->want != EDGE_ROUTE_WITHDRAW);
}

static void bird_apply(struct edge_route *rt, struct edge_route_pfx *p)
{
	int lret = 0;

	/* Drain first on the way down, last on the way up: never a gap. */
	if (uses_drain_proto(rt))
		edge_bird_set_wanted(&rt->bird, p->drain_proto, p->want == EDGE_ROUTE_DRAIN);
	if (p->ac.lease)
		lret = lease_apply(rt, p);
	else
		edge_bird_set_wanted(&rt->bird, p->ac.protocol, p->want != EDGE_ROUTE_WITHDRAW);
	if (rt->bird_on)
		bird_run(rt, edge_bird_client_tick(&rt->bird, edge_now_ms()));
	refresh_known(rt, p, lret);
}

/* ExaBGP */

static void exabgp_apply(struct edge_route_pfx *p)
{
	if (p->exa_sent && p->exa_last == p->want)
		return;
	switch (p->want) {
	case EDGE_ROUTE_ANNOUNCE:
		printf("announce route %s next-hop self\n", p->ac.prefix);
		break;
	case EDGE_ROUTE_DRAIN:
		printf("announce route %s next-hop self community [65535:0]\n", p->ac.prefix);
		break;
	default:
		printf("withdraw route %s\n", p->ac.prefix);
		break;
	}
	if (fflush(stdout)) {
		set_known(p, EDGE_ROUTE_FAILED, "stdout closed (ExaBGP gone?)");
		clearerr(stdout);
		return;
	}
	p->exa_sent = true;
	p->exa_last = p->want;
	set_known(p, want_known(p->want), "sent to ExaBGP");
}

/* Hook */

static void hook_start(struct edge_route *rt, struct edge_route_pfx *p);

static void hook_reap(struct edge_route *rt, struct edge_route_pfx *p, bool block)
{
	char why[192];
	int status;
	pid_t r;

	r = waitpid(p->hook_pid, &status, block ? 0 : WNOHANG);
	if (r == 0)
		return; /* pidfd said exited; not yet reapable: wait for the next event */
	edge_loop_del_fd(rt->loop, p->hook_pidfd);
	close(p->hook_pidfd);
	p->hook_pidfd = -1;
	p->hook_pid = 0;
	if (p->hook_timer) {
		edge_loop_timer_del(rt->loop, p->hook_timer);
		p->hook_timer = NULL;
	}
	if (r < 0) {
		snprintf(why, sizeof(why), "hook: waitpid: %s", strerror(errno));
		set_known(p, EDGE_ROUTE_FAILED, why);
	} else if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		snprintf(why, sizeof(why), "hook %s %s: ok in %llu ms",
			 edge_route_want_str(p->hook_running), p->ac.prefix,
			 (unsigned long long)(edge_now_ms() - p->hook_started_ms));
		p->hook_done = p->hook_running == p->want;
		set_known(p, want_known(p->hook_running), why);
	} else {
		if (WIFEXITED(status))
			snprintf(why, sizeof(why), "hook %s: exit status %d",
				 edge_route_want_str(p->hook_running), WEXITSTATUS(status));
		else
			snprintf(why, sizeof(why), "hook %s: killed by signal %d%s",
				 edge_route_want_str(p->hook_running), WTERMSIG(status),
				 WTERMSIG(status) == SIGKILL ? " (timeout?)" : "");
		/* Retried every tick: say it once until it changes. */
		if (p->known != EDGE_ROUTE_FAILED || strcmp(p->detail, why))
			pr_warn("route %s: %s (retrying every tick)\n", p->ac.prefix, why);
		set_known(p, EDGE_ROUTE_FAILED, why);
	}
	/* The wish moved on while it ran: run again. A failure waits for the tick. */
	if (p->hook_running != p->want && !p->gone)
		hook_start(rt, p);
}

static void on_hook_exit(struct edge_loop *loop, int fd, uint32_t events, void *arg)
{
	struct edge_route_pfx *p = arg;

	(void)loop;
	(void)fd;
	(void)events;
	hook_reap(p->rt, p, false);
}

static void on_hook_timeout(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct edge_route_pfx *p = arg;

	(void)loop;
	(void)t;
	p->hook_timer = NULL; /* one-shot: freed after this */
	if (p->hook_pid > 0) {
		pr_warn("route %s: hook %s timed out, killing pid %d\n", p->ac.prefix,
			edge_route_want_str(p->hook_running), (int)p->hook_pid);
		kill(p->hook_pid, SIGKILL);
	}
}

static void hook_start(struct edge_route *rt, struct edge_route_pfx *p)
{
	char *argv[4];
	posix_spawnattr_t attr;
	sigset_t none, def;
	char why[192];
	pid_t pid;
	int ret, pfd;

	if (p->hook_pid > 0)
		return; /* one at a time: the exit handler starts the next */
	argv[0] = rt->cfg.hook;
	argv[1] = p->ac.prefix;
	argv[2] = (char *)edge_route_want_str(p->want);
	argv[3] = NULL;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none); /* the daemon blocks these for signalfd */
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	ret = posix_spawn(&pid, rt->cfg.hook, NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (ret) {
		snprintf(why, sizeof(why), "hook %.100s: %s", rt->cfg.hook, strerror(ret));
		set_known(p, EDGE_ROUTE_FAILED, why);
		return;
	}
	pfd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0 || edge_loop_add_fd(rt->loop, pfd, EPOLLIN, on_hook_exit, p)) {
		/* Cannot watch it: wait for it here; it is bounded by the timeout. */
		pr_warn("route %s: cannot watch the hook (pidfd: %s); waiting for it\n",
			p->ac.prefix, strerror(errno));
		if (pfd >= 0)
			close(pfd);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		set_known(p, EDGE_ROUTE_FAILED, "hook: cannot watch the process");
		return;
	}
	p->hook_pid = pid;
	p->hook_pidfd = pfd;
	p->hook_running = p->want;
	p->hook_done = false;
	p->hook_started_ms = edge_now_ms();
	p->hook_timer = edge_loop_timer_add(rt->loop, rt->cfg.hook_timeout_ms, 0, on_hook_timeout,
					    p);
	pr_debug("route %s: hook %s started (pid %d)\n", p->ac.prefix,
		 edge_route_want_str(p->want), (int)pid);
}

/* Dispatch */

static void apply(struct edge_route *rt, struct edge_route_pfx *p)
{
	switch (rt->cfg.backend) {
	case EDGE_ROUTE_BIRD:
		bird_apply(rt, p);
		break;
	case EDGE_ROUTE_EXABGP:
		exabgp_apply(p);
		break;
	case EDGE_ROUTE_HOOK:
		if (p->hook_pid <= 0 && !(p->hook_done && p->hook_running == p->want))
			hook_start(rt, p);
		break;
	case EDGE_ROUTE_NONE:
		set_known(p, want_known(p->want), "route.backend none");
		break;
	}
}

static void pfx_free(struct edge_route *rt, struct edge_route_pfx *p)
{
	if (p->hook_pid > 0) {
		kill(p->hook_pid, SIGKILL);
		hook_reap(rt, p, true);
	}
	if (rt->bird_on) {
		edge_bird_forget(&rt->bird, p->ac.protocol);
		edge_bird_forget(&rt->bird, p->drain_proto);
	}
	free(p);
}

/* Forget the prefixes a reload dropped, once their withdrawal is done. */
static void reap_gone(struct edge_route *rt)
{
	size_t i = 0;

	while (i < rt->n) {
		struct edge_route_pfx *p = rt->p[i];

		if (!p->gone || p->hook_pid > 0 ||
		    (p->known != EDGE_ROUTE_IS_WITHDRAWN && p->known != EDGE_ROUTE_FAILED)) {
			i++;
			continue;
		}
		pr_info("route %s: withdrawn and forgotten (no longer in the config)\n",
			p->ac.prefix);
		pfx_free(rt, p);
		rt->p[i] = rt->p[--rt->n];
	}
}

void edge_route_kick(struct edge_route *rt)
{
	size_t i;

	for (i = 0; i < rt->n; i++) {
		struct edge_route_pfx *p = rt->p[i];

		/* Lease addresses are re-added every tick (someone may remove them). */
		if (rt->cfg.backend == EDGE_ROUTE_BIRD && p->ac.lease)
			refresh_known(rt, p, lease_apply(rt, p));
		else if (rt->cfg.backend == EDGE_ROUTE_HOOK && p->hook_pid <= 0 &&
			 !(p->hook_done && p->hook_running == p->want))
			hook_start(rt, p);
	}
	if (rt->bird_on)
		bird_run(rt, edge_bird_client_tick(&rt->bird, edge_now_ms()));
	reap_gone(rt);
}

static void on_tick(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	edge_route_kick(arg);
}

struct edge_route *edge_route_new(struct edge_loop *loop, const struct edge_cfg_route *cfg)
{
	struct edge_route *rt;
	struct edge_bird_opts opts = {};
	int ret;

	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->cfg = *cfg;
	rt->loop = loop;
	rt->bird_fd = -1;
	rt->lease.fd = rt->lease.nl = -1;
	if (cfg->backend == EDGE_ROUTE_BIRD) {
		/* Re-assert at the daemon's tick; BIRD answers in well under a ms. */
		opts.reassert_ms = cfg->tick_ms;
		ret = edge_bird_client_init(&rt->bird, cfg->bird_socket, &opts);
		if (ret) {
			free(rt);
			errno = -ret;
			return NULL;
		}
	}
	rt->tick = edge_loop_timer_add(loop, cfg->tick_ms, cfg->tick_ms, on_tick, rt);
	if (!rt->tick) {
		if (cfg->backend == EDGE_ROUTE_BIRD)
			edge_bird_client_free(&rt->bird);
		free(rt);
		return NULL;
	}
	return rt;
}

void edge_route_free(struct edge_route *rt)
{
	size_t i;

	if (!rt)
		return;
	for (i = 0; i < rt->n; i++)
		pfx_free(rt, rt->p[i]);
	free(rt->p);
	if (rt->bird_fd >= 0)
		edge_loop_del_fd(rt->loop, rt->bird_fd);
	if (rt->cfg.backend == EDGE_ROUTE_BIRD)
		edge_bird_client_free(&rt->bird);
	edge_lease_close(&rt->lease);
	edge_loop_timer_del(rt->loop, rt->tick);
	edge_loop_timer_del(rt->loop, rt->bird_timer);
	free(rt);
}

static struct edge_route_pfx *find(const struct edge_route *rt, const char *prefix)
{
	size_t i;

	for (i = 0; i < rt->n; i++)
		if (!strcmp(rt->p[i]->ac.prefix, prefix))
			return rt->p[i];
	return NULL;
}

const struct edge_route_pfx *edge_route_get(const struct edge_route *rt, const char *prefix)
{
	return find(rt, prefix);
}

int edge_route_adopt_lease(struct edge_route *rt, int fd)
{
	char err[256];
	int ret;

	ret = edge_lease_adopt(&rt->lease, fd, err, sizeof(err));
	if (ret) {
		pr_warn("%s\n", err);
		return ret;
	}
	rt->lease_on = true;
	pr_info("lease: adopted tun interface %s (ifindex %d) from the predecessor\n",
		rt->lease.ifname, rt->lease.ifindex);
	return 0;
}

int edge_route_set_prefixes(struct edge_route *rt, const struct edge_config *cfg)
{
	return edge_route_set_prefixes_adopted(rt, cfg, NULL, 0);
}

int edge_route_set_prefixes_adopted(struct edge_route *rt, const struct edge_config *cfg,
				    const char (*announced)[EDGE_CFG_PROTO_LEN], size_t n_ann)
{
	struct edge_route_pfx **np, *p;
	char err[256];
	size_t i, j, cap;
	bool need_lease = false, need_bird = false;
	int ret;

	for (i = 0; i < cfg->n_anycast; i++) {
		need_lease |= cfg->anycast[i].lease;
		need_bird |= !cfg->anycast[i].lease;
	}
	if (rt->cfg.backend != EDGE_ROUTE_BIRD)
		need_lease = need_bird = false;
	need_bird |= uses_drain_proto(rt) && cfg->n_anycast;
	if (need_lease && !rt->lease_on) {
		ret = edge_lease_open(&rt->lease, rt->cfg.lease_ifname, err, sizeof(err));
		if (ret) {
			pr_warn("%s; lease prefixes stay withdrawn\n", err);
			snprintf(rt->lease_err, sizeof(rt->lease_err), "%s", err);
		} else {
			rt->lease_on = true;
			pr_info("lease: tun interface %s (ifindex %d) up\n", rt->lease.ifname,
				rt->lease.ifindex);
		}
	}
	if (need_bird)
		rt->bird_on = true;

	cap = rt->n + cfg->n_anycast;
	np = realloc(rt->p, (cap ? cap : 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	rt->p = np;
	for (i = 0; i < rt->n; i++)
		rt->p[i]->gone = true;
	for (i = 0; i < cfg->n_anycast; i++) {
		const struct edge_cfg_anycast *ac = &cfg->anycast[i];

		p = find(rt, ac->prefix);
		if (p && (strcmp(p->ac.protocol, ac->protocol) || p->ac.lease != ac->lease)) {
			/* Signalled another way now: withdraw the old way first. */
			p->want = EDGE_ROUTE_WITHDRAW;
			apply(rt, p);
			if (rt->bird_on) {
				edge_bird_forget(&rt->bird, p->ac.protocol);
				edge_bird_forget(&rt->bird, p->drain_proto);
			}
			p->ac = *ac;
			snprintf(p->drain_proto, sizeof(p->drain_proto), "%s_drain", ac->protocol);
			p->gone = false;
			apply(rt, p);
			continue;
		}
		if (p) {
			p->ac = *ac;
			p->gone = false;
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->rt = rt;
		p->ac = *ac;
		snprintf(p->drain_proto, sizeof(p->drain_proto), "%s_drain", ac->protocol);
		p->want = EDGE_ROUTE_WITHDRAW;
		for (j = 0; j < n_ann; j++)
			if (!strcmp(announced[j], ac->prefix))
				p->want = EDGE_ROUTE_ANNOUNCE;
		p->hook_pidfd = -1;
		rt->p[rt->n++] = p;
		/*
		 * Assert it: withdrawn (BIRD may still have it from a previous
		 * run), or announced as the predecessor left it.
		 */
		apply(rt, p);
	}
	for (j = 0; j < rt->n; j++) {
		p = rt->p[j];
		if (p->gone && p->want != EDGE_ROUTE_WITHDRAW) {
			p->want = EDGE_ROUTE_WITHDRAW;
			apply(rt, p);
		}
	}
	reap_gone(rt);
	return 0;
}

int edge_route_want(struct edge_route *rt, const char *prefix, enum edge_route_want want)
{
	struct edge_route_pfx *p = find(rt, prefix);

	if (!p)
		return -ENOENT;
	if (p->want == want && p->known == want_known(want))
		return 0;
	p->want = want;
	apply(rt, p);
	return 0;
}

bool edge_route_settled(const struct edge_route *rt)
{
	size_t i;

	for (i = 0; i < rt->n; i++) {
		const struct edge_route_pfx *p = rt->p[i];

		if (p->known != want_known(p->want) && p->known != EDGE_ROUTE_FAILED)
			return false;
		if (p->hook_pid > 0)
			return false;
	}
	return true;
}

int edge_route_lease_fd(const struct edge_route *rt)
{
	return rt->lease_on ? rt->lease.fd : -1;
}
