// SPDX-License-Identifier: GPL-2.0
/*
 * anyedged: load the XDP program, fill its maps from the config, attach,
 * and keep running until told to stop. SIGHUP re-reads the config and
 * applies it to the maps; an invalid new config keeps the old one.
 * SIGUSR2 (anyedgectl upgrade) starts the binary again with --takeover:
 * the new process takes the state over without a withdrawal (popd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "evloop.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "popd.h"
#include "zonefile.h"

/* What the GeoIP database gave, when there is one. */
static void log_geo(const struct edge_config *cfg)
{
	const struct edge_cfg_geo *geo = &cfg->geo;

	if (!geo->mmdb[0])
		return;
	pr_info("geo: %s: %zu prefixes in regions from %zu networks (%zu in no region, "
		"%u tree nodes) in %.0f ms\n",
		geo->mmdb, geo->n_mmdb_prefixes, geo->mmdb_networks, geo->mmdb_unmapped,
		geo->mmdb_nodes, geo->mmdb_ms);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: anyedged -c CONFIG [--check-config | --emit-zone DIR] [--keep-attached] [--takeover] [-v]\n"
		   "  -c, --config FILE   YAML configuration\n"
		   "      --check-config  validate the configuration and exit\n"
		   "      --emit-zone DIR write DIR/<zone>.zone (RFC 1035) for every zone and exit\n"
		   "      --keep-attached leave the XDP program attached at exit (maps pinned)\n"
		   "      --takeover      planned restart: take the running anyedged's state,\n"
		   "                      program and tun lease over; nothing is withdrawn\n"
		   "  -v, --verbose       debug logging (libbpf/libxdp messages too)\n"
		   "  -h, --help          this text\n");
}

static int parse_args(struct edged *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "emit-zone", required_argument, NULL, 'Z' },
		{ "keep-attached", no_argument, NULL, 'K' },
		{ "takeover", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->config_path = optarg;
			break;
		case 'C':
			d->check_only = true;
			break;
		case 'Z':
			d->emit_zone_dir = optarg;
			break;
		case 'K':
			d->keep_attached = true;
			break;
		case 'T':
			d->takeover = true;
			break;
		case 'v':
			d->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (!d->config_path) {
		pr_warn("no configuration given (-c CONFIG)\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Interfaces and the pin path are bound at start; say so if they change. */
static void warn_restart_only(const struct edge_config *old, const struct edge_config *new)
{
	size_t i;
	bool same = old->n_ifaces == new->n_ifaces;

	for (i = 0; same && i < old->n_ifaces; i++)
		same = !strcmp(old->ifaces[i].name, new->ifaces[i].name) &&
		       old->ifaces[i].mode == new->ifaces[i].mode;
	if (!same)
		pr_warn("reload: interface changes take effect on restart only\n");
	if (strcmp(old->pin_path, new->pin_path))
		pr_warn("reload: pin_path changes take effect on restart only\n");
	if (old->dns_udp_size != new->dns_udp_size)
		pr_warn("reload: dns.udp_size changes take effect on restart only\n");
	if (strcmp(old->control.socket, new->control.socket) ||
	    old->control.timeout_ms != new->control.timeout_ms)
		pr_warn("reload: control changes take effect on restart only\n");
	if (strcmp(old->metrics.listen, new->metrics.listen))
		pr_warn("reload: metrics.listen changes take effect on restart only\n");
}

static void reload_done(struct edged *d, int ret, const char *err)
{
	d->reload_at = time(NULL);
	if (ret) {
		d->n_reload_failures++;
		snprintf(d->reload_err, sizeof(d->reload_err), "%s", err);
	} else {
		d->n_reloads++;
		d->reload_err[0] = '\0';
	}
	if (d->metrics)
		edge_metrics_update(d->metrics);
	/* STATUS= is what `systemctl status` shows: say why a reload failed. */
	if (ret)
		sd_notifyf(0, "READY=1\nSTATUS=reload failed, running the previous config: %s",
			   err);
	else
		sd_notifyf(0, "READY=1\nSTATUS=serving on %zu interfaces (reloaded)",
			   d->dp.n_att);
}

int edged_reload(struct edged *d, char *err, size_t errlen)
{
	struct edge_config next;
	char why[1024];
	int ret;

	sd_notify(0, "RELOADING=1");
	ret = edge_config_load(d->config_path, &next, err, errlen);
	if (ret) {
		pr_warn("reload failed, keeping the running configuration: %s\n", err);
		reload_done(d, ret, err);
		return ret;
	}
	warn_restart_only(&d->cfg, &next);
	/* Checked pools keep the health the monitor knows, not the file's `up`. */
	edged_pop_prepare(d, &next);
	/* Backends drained by hand stay drained. */
	edged_apply_drains(d, &next);
	ret = edge_dp_sync(&d->dp, &next, err, errlen);
	if (ret) {
		/* Upserts are idempotent: re-apply the old config. */
		pr_warn("reload failed while writing maps: %s; restoring the running "
			"configuration\n", err);
		edged_pop_prepare(d, &d->cfg);
		if (edge_dp_sync(&d->dp, &d->cfg, why, sizeof(why)))
			pr_warn("restoring failed too: %s\n", why);
		edge_config_free(&next);
		reload_done(d, ret, err);
		return ret;
	}
	/* Keep start-time-only settings as they are actually running. */
	memcpy(next.pin_path, d->cfg.pin_path, sizeof(next.pin_path));
	next.dns_udp_size = d->cfg.dns_udp_size;
	next.control = d->cfg.control;
	next.metrics = d->cfg.metrics;
	edge_config_free(&d->cfg);
	d->cfg = next;
	edged_pop_reloaded(d);
	pr_info("reloaded\n");
	reload_done(d, 0, "");
	return 0;
}

/*
 * Binary upgrade: fork, exec the binary (the one this process was started
 * from: a package may have replaced it) with our arguments and
 * --takeover. The child takes over through the handover socket while we
 * serve on (popd.c); if it cannot exec, exits or is not ready within
 * UPGRADE_TIMEOUT_MS, we serve on and say why (status "upgrade").
 */
#define UPGRADE_TIMEOUT_MS 60000
#define UPGRADE_POLL_MS	   100

extern char **environ;

static void on_upgrade_poll(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct edged *d = arg;
	char why[128];
	pid_t pid = d->upgrade_pid;
	int st;

	if (!pid) {
		edge_loop_timer_del(loop, t);
		return;
	}
	if (waitpid(pid, &st, WNOHANG) == pid) {
		if (WIFEXITED(st))
			snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(st));
		else
			snprintf(why, sizeof(why), "killed by %s", strsignal(WTERMSIG(st)));
	} else if (edge_now_ms() - d->upgrade_started_ms > UPGRADE_TIMEOUT_MS &&
		   !edged_pop_handed_over(d)) {
		kill(pid, SIGKILL); /* it blocks SIGTERM until it runs */
		waitpid(pid, NULL, 0);
		snprintf(why, sizeof(why), "not ready within %d ms: killed", UPGRADE_TIMEOUT_MS);
	} else {
		return;
	}
	if (d->upgrade_err[0]) /* the handover said why first */
		snprintf(d->upgrade_err + strlen(d->upgrade_err),
			 sizeof(d->upgrade_err) - strlen(d->upgrade_err), "; %s", why);
	else
		snprintf(d->upgrade_err, sizeof(d->upgrade_err), "new anyedged (pid %d) %s",
			 (int)pid, why);
	pr_warn("upgrade: %s; this anyedged (pid %d) goes on serving\n", d->upgrade_err,
		(int)getpid());
	d->upgrade_pid = 0;
	edge_loop_timer_del(loop, t);
}

/* Our environment without WATCHDOG_PID (it names us; the child would ignore its watchdog). */
static char **child_environ(void)
{
	size_t n = 0, i, j;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = j = 0; i < n; i++)
		if (strncmp(environ[i], "WATCHDOG_PID=", 13))
			env[j++] = environ[i];
	return env;
}

static int upgrade_start(struct edged *d, const char *binary, char *err, size_t errlen)
{
	char **argv = NULL, **env = NULL;
	int pfd[2] = {-1, -1}, e = 0, argc = 0, i, ret;
	bool has_takeover = false;
	sigset_t none;
	ssize_t n;
	pid_t pid;

	if (d->upgrade_pid) {
		snprintf(err, errlen, "an upgrade is under way (pid %d)", (int)d->upgrade_pid);
		return -EBUSY;
	}
	if (!binary || !*binary)
		binary = d->self_exe;
	if (access(binary, X_OK)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", binary, strerror(errno));
		return ret;
	}
	while (d->argv[argc])
		has_takeover |= !strcmp(d->argv[argc++], "--takeover");
	argv = calloc(argc + 2, sizeof(*argv));
	env = child_environ();
	if (!argv || !env || pipe2(pfd, O_CLOEXEC)) {
		ret = -(errno ?: ENOMEM);
		snprintf(err, errlen, "%s", strerror(-ret));
		goto out;
	}
	argv[0] = (char *)binary;
	for (i = 1; i < argc; i++)
		argv[i] = d->argv[i];
	if (!has_takeover)
		argv[argc++] = "--takeover";
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		/* Only async-signal-safe calls here: the metrics thread exists. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC); /* nothing of ours leaks into it */
		execve(binary, argv, env);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pfd[1]);
	pfd[1] = -1;
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		snprintf(err, errlen, "exec %s: %s", binary, strerror(e));
		snprintf(d->upgrade_err, sizeof(d->upgrade_err), "%s", err);
		ret = -e;
		goto out;
	}
	d->upgrade_pid = pid;
	d->upgrade_last_pid = pid;
	d->upgrade_started_ms = edge_now_ms();
	snprintf(d->upgrade_binary, sizeof(d->upgrade_binary), "%s", binary);
	d->upgrade_err[0] = '\0';
	if (!edge_loop_timer_add(d->loop, UPGRADE_POLL_MS, UPGRADE_POLL_MS, on_upgrade_poll, d))
		pr_warn("upgrade: no timer to watch pid %d: %s\n", (int)pid, strerror(errno));
	pr_info("upgrade: started %s as pid %d; serving until it is ready\n", binary, (int)pid);
	ret = 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(argv);
	free(env);
	return ret;
}

/* upgrade [BINARY]: start the successor; `anyedgectl upgrade` then watches status. */
static int cmd_upgrade(void *arg, const struct edge_ctl_req *req, struct json_object **data,
		       char *err, size_t errlen)
{
	struct edged *d = arg;
	int ret;

	pr_info("control: upgrade%s%s\n", req->argc ? " to " : "", req->argc ? req->argv[0] : "");
	ret = upgrade_start(d, req->argc ? req->argv[0] : NULL, err, errlen);
	if (ret)
		return ret;
	*data = json_object_new_object();
	json_object_object_add(*data, "pid", json_object_new_int64(d->upgrade_pid));
	json_object_object_add(*data, "old_pid", json_object_new_int64(getpid()));
	json_object_object_add(*data, "binary", json_object_new_string(d->upgrade_binary));
	return 0;
}

static int status_upgrade(void *arg, struct json_object **out)
{
	struct edged *d = arg;
	struct json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "state",
			       json_object_new_string(d->upgrade_pid	     ? "running"
						      : d->upgrade_err[0]    ? "failed"
						      : d->upgrade_last_pid ? "handed over"
									     : "none"));
	json_object_object_add(o, "pid", json_object_new_int64(d->upgrade_last_pid));
	json_object_object_add(o, "binary", json_object_new_string(d->upgrade_binary));
	json_object_object_add(o, "error", json_object_new_string(d->upgrade_err));
	*out = o;
	return 0;
}

/* The successor pid has our state: make it systemd's main PID before we exit. */
static void handed_over_to(pid_t pid)
{
	sd_notifyf(0, "MAINPID=%d\nSTATUS=handed over to pid %d", (int)pid, (int)pid);
	/* Until systemd has read it: our exit must not look like the service's. */
	sd_notify_barrier(0, 5 * 1000000ull);
}

static void on_signal(struct edge_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	struct edged *d = arg;
	ssize_t n;

	(void)events;
	for (;;) {
		n = read(fd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si)) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				pr_warn("signalfd: %s\n", strerror(errno));
				edge_loop_stop(loop, -errno);
			}
			return;
		}
		if (si.ssi_signo == SIGHUP) {
			char err[1024];

			pr_info("SIGHUP: reloading %s\n", d->config_path);
			edged_reload(d, err, sizeof(err));
			continue;
		}
		if (si.ssi_signo == SIGUSR2) {
			char err[PATH_MAX + 64];

			pr_info("SIGUSR2: upgrading\n");
			if (upgrade_start(d, NULL, err, sizeof(err)))
				pr_warn("upgrade: %s; serving on\n", err);
			continue;
		}
		pr_info("%s: shutting down\n", strsignal(si.ssi_signo));
		edge_loop_stop(loop, 0);
		return;
	}
}

/* reload: the same as SIGHUP, with the reason of a failure in the reply. */
static int cmd_reload(void *arg, const struct edge_ctl_req *req, struct json_object **data,
		      char *err, size_t errlen)
{
	struct edged *d = arg;
	int ret;

	(void)req;
	pr_info("control: reloading %s\n", d->config_path);
	ret = edged_reload(d, err, errlen);
	if (ret)
		return ret;
	*data = json_object_new_object();
	json_object_object_add(*data, "config", json_object_new_string(d->config_path));
	json_object_object_add(*data, "reloads", json_object_new_int64(d->n_reloads));
	return 0;
}

static void on_metrics_tick(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct edged *d = arg;

	(void)loop, (void)t;
	edge_metrics_update(d->metrics);
}

static void on_watchdog(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	(void)loop, (void)t, (void)arg;
	sd_notify(0, "WATCHDOG=1");
}

/*
 * Control socket, metrics and systemd: everything that makes the running
 * daemon reachable. Called once the data path is attached.
 */
static int start_services(struct edged *d, char *err, size_t errlen)
{
	uint64_t usec = 0;
	int ret;

	ret = edge_ctl_listen(d->ctl, d->loop, d->cfg.control.socket, d->cfg.control.timeout_ms,
			      err, errlen);
	/*
	 * Several daemons on one host (tests, labs) would all want the
	 * default path: only the first gets it unless each sets its own.
	 */
	if (ret == -EADDRINUSE && !strcmp(d->cfg.control.socket, EDGE_CTL_SOCKET_DEFAULT)) {
		pr_warn("%s; running without a control socket (set control.socket)\n", err);
		ret = 0;
	}
	if (ret)
		return ret;
	edge_metrics_update(d->metrics);
	if (d->cfg.metrics.listen[0]) {
		char why[256];

		ret = edge_metrics_start(d->metrics, (struct sockaddr *)&d->cfg.metrics.addr,
					 d->cfg.metrics.addr_len, edge_dp_stats_fd(&d->dp), why,
					 sizeof(why));
		if (ret) {
			snprintf(err, errlen, "%s:%d: metrics.listen %s: %s", d->cfg.file,
				 d->cfg.metrics.line, d->cfg.metrics.listen, why);
			return ret;
		}
		if (!edge_loop_timer_add(d->loop, EDGE_METRICS_PERIOD_MS, EDGE_METRICS_PERIOD_MS,
					 on_metrics_tick, d)) {
			snprintf(err, errlen, "metrics timer: %s", strerror(errno));
			return -errno;
		}
	}
	/* Half the watchdog interval, as sd_watchdog_enabled(3) advises. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		if (!edge_loop_timer_add(d->loop, 0, usec / 2000, on_watchdog, d)) {
			snprintf(err, errlen, "watchdog timer: %s", strerror(errno));
			return -errno;
		}
		pr_info("systemd watchdog: every %llu ms\n", (unsigned long long)usec / 2000);
	}
	return 0;
}

/*
 * The main loop. Everything the daemon waits for is registered on d->loop
 * (user/evloop.h): signals here, and the health engine, control socket,
 * route signalling and periodic ticks as they are set up.
 */
static int run(struct edged *d, const sigset_t *set)
{
	int sfd, ret;

	sfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		pr_warn("signalfd: %s\n", strerror(errno));
		return -errno;
	}
	ret = edge_loop_add_fd(d->loop, sfd, EPOLLIN, on_signal, d);
	if (ret) {
		pr_warn("event loop: %s\n", strerror(-ret));
		close(sfd);
		return ret;
	}
	ret = edge_loop_run(d->loop);
	if (ret < 0)
		pr_warn("event loop: %s\n", strerror(-ret));
	edge_loop_del_fd(d->loop, sfd);
	close(sfd);
	return ret;
}

static int check_interfaces(const struct edge_config *cfg, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < cfg->n_ifaces; i++) {
		if (!if_nametoindex(cfg->ifaces[i].name)) {
			snprintf(err, errlen, "%s:%d: interface %s not found", cfg->file,
				 cfg->ifaces[i].line, cfg->ifaces[i].name);
			return -ENODEV;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct edged d = {};
	const struct edge_ctl_cmd reload_cmd = {
		.name = "reload",
		.help = "re-read the config; a failure keeps the running one and says why",
		.fn = cmd_reload,
		.arg = &d,
	};
	const struct edge_ctl_cmd upgrade_cmd = {
		.name = "upgrade",
		.max_args = 1,
		.usage = "[BINARY]",
		.help = "start BINARY (default: our own) to take over without a withdrawal",
		.fn = cmd_upgrade,
		.arg = &d,
	};
	char err[8192];
	sigset_t set;
	ssize_t n;
	int ret;

	edge_log_set_prefix("anyedged");
	if (parse_args(&d, argc, argv))
		return 2;
	d.argv = argv;
	/* The path, not /proc/self/exe: an upgrade runs the file there now. */
	n = readlink("/proc/self/exe", d.self_exe, sizeof(d.self_exe) - 1);
	d.self_exe[n > 0 ? n : 0] = '\0';
	if (n > 10 && !strcmp(d.self_exe + n - 10, " (deleted)"))
		d.self_exe[n - 10] = '\0';
	d.handed_over_to = handed_over_to;
	if (d.verbose)
		edge_log_set_level(EDGE_LOG_DEBUG);
	edge_log_hook_libs();

	ret = edge_config_load(d.config_path, &d.cfg, err, sizeof(err));
	if (ret) {
		pr_warn("%s\n", err);
		return 1;
	}
	log_geo(&d.cfg);
	if (d.check_only) {
		printf("%s: OK (%zu interfaces, %zu VIPs, %zu DNS record sets)\n", d.config_path,
		       d.cfg.n_ifaces, d.cfg.n_vips, d.cfg.n_rrsets);
		edge_config_free(&d.cfg);
		return 0;
	}
	if (d.emit_zone_dir) {
		ret = edge_zonefile_emit(&d.cfg, d.emit_zone_dir, err, sizeof(err));
		if (ret)
			pr_warn("%s\n", err);
		else
			printf("%s: wrote %zu zone file%s to %s\n", d.config_path, d.cfg.n_zones,
			       d.cfg.n_zones == 1 ? "" : "s", d.emit_zone_dir);
		edge_config_free(&d.cfg);
		return ret ? 1 : 0;
	}

	d.started_ms = edge_now_ms();
	d.started_at = time(NULL);
	d.loop = edge_loop_new();
	d.ctl = edge_ctl_new();
	d.metrics = edge_metrics_new();
	if (!d.loop || !d.ctl || !d.metrics || edged_ctl_init(&d) ||
	    edge_ctl_register(d.ctl, &reload_cmd) || edge_ctl_register(d.ctl, &upgrade_cmd) ||
	    edge_ctl_register_status(d.ctl, "upgrade", status_upgrade, &d)) {
		pr_warn("cannot set up the daemon: %s\n", strerror(errno ?: ENOMEM));
		edge_metrics_free(d.metrics);
		edge_ctl_free(d.ctl);
		edge_loop_free(d.loop);
		edge_config_free(&d.cfg);
		return 1;
	}
	/* Control clients that hang up must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* Signals are read from a signalfd in run(); block them first. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);

	ret = check_interfaces(&d.cfg, err, sizeof(err));
	if (ret)
		goto err_cfg;
	/* Loaded (the verifier) before a takeover: the predecessor serves meanwhile. */
	ret = edge_dp_load(&d.dp, &d.cfg, d.cfg.pin_path, err, sizeof(err));
	if (ret)
		goto err_cfg;
	if (d.takeover) {
		ret = edged_pop_takeover(&d, err, sizeof(err));
		if (ret == -ENOENT || ret == -ECONNREFUSED) {
			/* Nobody to take over from: an ordinary start. */
			pr_warn("%s; starting afresh\n", err);
			ret = 0;
		}
		if (ret)
			goto err_close;
	}
	/* Startup order: fill maps (checked pools down), attach, checks reach rise, announce. */
	edged_pop_prepare(&d, &d.cfg);
	ret = edge_dp_sync(&d.dp, &d.cfg, err, sizeof(err));
	if (ret)
		goto err_close;
	ret = edge_dp_attach(&d.dp, &d.cfg, err, sizeof(err));
	if (ret)
		goto err_close;
	ret = edged_pop_start(&d);
	if (ret) {
		snprintf(err, sizeof(err), "health checks and route signalling: %s",
			 strerror(-ret));
		goto err_close;
	}
	/* Taking over: the predecessor exits now, its control socket with it. */
	ret = edged_pop_takeover_commit(&d, err, sizeof(err));
	if (ret)
		goto err_close;
	ret = start_services(&d, err, sizeof(err));
	if (ret)
		goto err_close;
	pr_info("ready: %zu interfaces, %zu VIPs, %zu DNS record sets; maps pinned under %s; "
		"control socket %s\n",
		d.dp.n_att, d.cfg.n_vips, d.cfg.n_rrsets, d.cfg.pin_path, d.cfg.control.socket);
	sd_notifyf(0, "READY=1\nSTATUS=serving on %zu interfaces\nMAINPID=%d", d.dp.n_att,
		   (int)getpid());

	ret = run(&d, &set);
	sd_notify(0, "STOPPING=1");
	/* Drain, withdraw, wait for traffic to fall; then detach (below). */
	edged_pop_shutdown(&d);
	edged_pop_free(&d);
	if (d.keep_attached)
		edge_dp_keep_attached(&d.dp);
	edge_metrics_free(d.metrics);
	edge_ctl_free(d.ctl);
	free(d.drained);
	edge_loop_free(d.loop);
	edge_dp_close(&d.dp);
	edge_config_free(&d.cfg);
	return ret ? 1 : 0;

err_close:
	/* The metrics thread reads the stats map: stop it before the map goes. */
	edge_metrics_free(d.metrics);
	d.metrics = NULL;
	/* A predecessor that serves on keeps the program (maybe ours now) attached. */
	if (edged_pop_takeover_pending(&d))
		edge_dp_keep_attached(&d.dp);
	edged_pop_free(&d);
	edge_dp_close(&d.dp);
err_cfg:
	pr_warn("%s\n", err);
	edge_metrics_free(d.metrics);
	edge_ctl_free(d.ctl);
	edge_loop_free(d.loop);
	edge_config_free(&d.cfg);
	return 1;
}
