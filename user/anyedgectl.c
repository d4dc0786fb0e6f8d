// SPDX-License-Identifier: GPL-2.0
/*
 * anyedgectl: inspect and steer a running anyedge through the daemon's
 * control socket (one JSON request and reply per line, see
 * user/control.h), with human output or -j JSON. Statistics fall back to
 * the pinned maps, so they work while the daemon is down.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bpf/bpf.h>
#include <limits.h>

#include "anyedge.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "dns_compile.h"
#include "lb.h"
#include "log.h"
#include "stats.h"

#define CTL_REPLY_MAX	  (64 << 20) /* bytes; far above any real reply */
#define CTL_REPLY_WAIT_MS 60000	     /* a reload of a big config takes a while */

struct ctl {
	const char *pin_path;
	bool pin_path_set;  /* -p given: stats and pool use the maps directly */
	const char *config; /* -c: to resolve pool names */
	const char *socket; /* --socket */
	bool json;
};

/* What an argument must look like; checked before anything is sent or opened. */
enum ctl_arg {
	ARG_ANY = 0,
	ARG_BACKEND, /* an IPv4 or IPv6 address */
	ARG_PREFIX,  /* 192.0.2.0/24, 2001:db8::/32 or an address */
	ARG_POOL,    /* a pool name (1..31 of a-z 0-9 _ -) or index */
	ARG_UPDOWN,  /* up or down */
	ARG_PATH,    /* an absolute path the daemon accepts (< 256 bytes) */
};

struct ctl_cmd {
	const char *name;
	int nargs; /* exactly; -N: 0..N */
	const char *usage;
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *help;
	enum ctl_arg arg[2];
};

static int stats_pinned(struct ctl *c, int argc, char **argv)
{
	struct edge_vip_traffic *vips = NULL;
	struct edge_vip_maps vm;
	struct edge_stats st;
	char err[PATH_MAX + 64];
	size_t n_vips = 0;
	int fd, ret;

	(void)argv;
	if (argc > 1) {
		pr_warn("stats takes no arguments\n");
		return -EINVAL;
	}
	fd = edge_stats_open_pinned(c->pin_path);
	if (fd < 0) {
		pr_warn("cannot open %s/%s: %s (is anyedged running with pin_path %s?)\n",
			c->pin_path, EDGE_MAP_STATS, strerror(-fd), c->pin_path);
		return fd;
	}
	ret = edge_stats_read(fd, &st);
	close(fd);
	if (ret) {
		pr_warn("reading %s/%s: %s\n", c->pin_path, EDGE_MAP_STATS, strerror(-ret));
		return ret;
	}
	/* Per VIP: maps an older anyedged did not have are left out, with a word why. */
	ret = edge_vip_maps_open_pinned(c->pin_path, &vm, err, sizeof(err));
	if (!ret) {
		ret = edge_vip_traffic_read(&vm, &vips, &n_vips);
		if (ret)
			snprintf(err, sizeof(err), "reading the per-VIP counters: %s",
				 strerror(-ret));
		edge_vip_maps_close(&vm);
	}
	if (ret)
		pr_warn("%s; no per-VIP counters\n", err);
	edge_stats_print(stdout, &st, ret ? NULL : vips, n_vips, c->json);
	free(vips);
	return 0;
}

/*
 * pool NAME|INDEX up|down with -c or -p: set a DNS pool's health in the
 * pinned map, without the daemon. The data path moves answers at once;
 * the daemon's health checks (when configured) and a reload set it again.
 */
static int pool_pinned(struct ctl *c, int argc, char **argv)
{
	struct edge_config cfg;
	struct edge_dns_pool pool;
	char path[PATH_MAX], err[1024], *end;
	long idx;
	int fd, ret;

	if (argc != 3 || (strcmp(argv[2], "up") && strcmp(argv[2], "down"))) {
		pr_warn("usage: anyedgectl [-c CONFIG] pool NAME|INDEX up|down\n");
		return -EINVAL;
	}
	/* Digits are an index; anything else a name (a pool may be called "-1"). */
	idx = strtol(argv[1], &end, 10);
	if (*end || end == argv[1] || !isdigit((unsigned char)argv[1][0])) {
		if (!c->config) {
			pr_warn("pool %s: give the config (-c CONFIG) to resolve pool names\n",
				argv[1]);
			return -EINVAL;
		}
		ret = edge_config_load(c->config, &cfg, err, sizeof(err));
		if (ret) {
			pr_warn("%s\n", err);
			return ret;
		}
		idx = edge_dns_pool_index(&cfg, argv[1]);
		edge_config_free(&cfg);
		if (idx < 0) {
			pr_warn("pool %s: not in %s\n", argv[1], c->config);
			return -ENOENT;
		}
	}
	if (idx < 0 || idx >= EDGE_MAX_DNS_POOLS) {
		pr_warn("pool index %ld out of range 0..%d\n", idx, EDGE_MAX_DNS_POOLS - 1);
		return -ERANGE;
	}
	snprintf(path, sizeof(path), "%s/%s", c->pin_path, EDGE_MAP_DNS_POOLS);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		pr_warn("cannot open %s: %s (is anyedged running with pin_path %s?)\n", path,
			strerror(errno), c->pin_path);
		return -errno;
	}
	pool.up = !strcmp(argv[2], "up");
	__u32 key = idx;
	ret = bpf_map_update_elem(fd, &key, &pool, BPF_ANY) ? -errno : 0;
	close(fd);
	if (ret) {
		pr_warn("writing %s: %s\n", path, strerror(-ret));
		return ret;
	}
	if (c->json)
		printf("{\"pool\":%ld,\"up\":%s}\n", idx, pool.up ? "true" : "false");
	else
		printf("pool %s (index %ld) is now %s\n", argv[1], idx, argv[2]);
	return 0;
}

/* ---- the control socket ---- */

static const char *jtext(struct json_object *v);

/* Connect to the daemon. fd, or -errno with a message printed. */
static int ctl_connect(const struct ctl *c, bool quiet)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(c->socket) >= sizeof(sa.sun_path)) {
		pr_warn("socket path too long: %s\n", c->socket);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, c->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		pr_warn("socket: %s\n", strerror(errno));
		return ret;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		if (quiet)
			return ret;
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			pr_warn("cannot connect to %s: %s (is anyedged running? see --socket)\n",
				c->socket, strerror(-ret));
		else if (ret == -EACCES || ret == -EPERM)
			pr_warn("cannot connect to %s: %s (the control socket is for root only)\n",
				c->socket, strerror(-ret));
		else
			pr_warn("cannot connect to %s: %s\n", c->socket, strerror(-ret));
		return ret;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* One line from fd (without the newline), malloc'd into *out. */
static int read_line(int fd, char **out)
{
	size_t len = 0, cap = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char *buf = NULL, *tmp, *nl;
	ssize_t n;
	int ret;

	for (;;) {
		if (cap - len < 4096) {
			if (cap >= CTL_REPLY_MAX) {
				ret = -EFBIG;
				goto err;
			}
			cap = cap ? cap * 2 : 65536;
			tmp = realloc(buf, cap + 1);
			if (!tmp) {
				ret = -ENOMEM;
				goto err;
			}
			buf = tmp;
		}
		ret = poll(&pfd, 1, CTL_REPLY_WAIT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			ret = ret ? -errno : -ETIMEDOUT;
			goto err;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto err;
		}
		if (!n) {
			ret = -ECONNRESET;
			goto err;
		}
		nl = memchr(buf + len, '\n', n);
		len += n;
		if (nl) {
			*nl = '\0';
			*out = buf;
			return 0;
		}
	}
err:
	free(buf);
	return ret;
}

/*
 * Send {"cmd": name, "args": argv} and wait for the reply. 0 with *data
 * (NULL if the reply has none; put it when done); -errno after printing
 * why (the daemon's error, or what went wrong on the way).
 */
static int ctl_request(struct ctl *c, const char *name, int argc, char **argv,
		       struct json_object **data)
{
	struct json_object *req, *args, *reply = NULL, *ok, *v = NULL;
	char *line = NULL;
	const char *s;
	int fd, ret, rret, i;

	*data = NULL;
	fd = ctl_connect(c, false);
	if (fd < 0)
		return fd;
	req = json_object_new_object();
	args = json_object_new_array();
	json_object_object_add(req, "cmd", json_object_new_string(name));
	for (i = 0; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	json_object_object_add(req, "args", args);
	s = json_object_to_json_string_ext(req,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = write_all(fd, s, strlen(s));
	if (!ret)
		ret = write_all(fd, "\n", 1);
	json_object_put(req);
	/* Even if the write failed: a refusal may be waiting to be read. */
	rret = read_line(fd, &line);
	if (!rret || !ret)
		ret = rret;
	close(fd);
	if (ret) {
		pr_warn("%s: talking to anyedged on %s: %s\n", name, c->socket, strerror(-ret));
		return ret;
	}
	reply = json_tokener_parse(line);
	free(line);
	if (!json_object_object_get_ex(reply, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		pr_warn("%s: anyedged sent a reply this anyedgectl does not understand\n", name);
		json_object_put(reply);
		return -EPROTO;
	}
	if (!json_object_get_boolean(ok)) {
		s = json_object_object_get_ex(reply, "error", &v) ? jtext(v) : "unknown error";
		if (c->json)
			printf("{\"error\":%s}\n",
			       json_object_to_json_string_ext(
				       v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		pr_warn("%s\n", s);
		json_object_put(reply);
		return -EINVAL;
	}
	if (json_object_object_get_ex(reply, "data", &v))
		*data = json_object_get(v);
	json_object_put(reply);
	return 0;
}

/* ---- human output ---- */

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return "";
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/*
 * The length of a list in a reply, 0 for anything else: json-c asserts
 * (aborts) on the length of a non-array, and a reply from another daemon
 * version may lack a list or hold something else.
 */
static size_t jlen(struct json_object *arr)
{
	return json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

/* Any value as text ("null" for a JSON null, never a NULL pointer). */
static const char *jtext(struct json_object *v)
{
	const char *s = v ? json_object_get_string(v) : NULL;

	return s ? s : "null";
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void print_duration(uint64_t s)
{
	if (s >= 86400)
		printf("%llud", (unsigned long long)(s / 86400));
	if (s >= 3600)
		printf("%lluh", (unsigned long long)(s % 86400 / 3600));
	if (s >= 60)
		printf("%llum", (unsigned long long)(s % 3600 / 60));
	printf("%llus", (unsigned long long)(s % 60));
}

static void print_pools(struct json_object *pools)
{
	struct json_object *p, *up;
	size_t i, n = jlen(pools);

	if (!n) {
		printf("  (none configured)\n");
		return;
	}
	printf("  %-20s %5s  %-7s %s\n", "POOL", "INDEX", "STATE", "ADDRESSES");
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(pools, i);
		up = jget(p, "up");
		printf("  %-20s %5lld  %-7s %lld A, %lld AAAA%s\n", jstr(p, "name"),
		       (long long)jint(p, "index"),
		       !up			     ? "unknown"
		       : json_object_get_boolean(up) ? "up"
						     : "down",
		       (long long)jint(p, "a"), (long long)jint(p, "aaaa"),
		       up && json_object_get_boolean(up) !=
					       json_object_get_boolean(jget(p, "configured_up"))
			       ? " (set by hand or by checks)"
			       : "");
	}
}

static void print_list(const char *title, struct json_object *arr)
{
	size_t i, n = jlen(arr);

	printf("%s:", title);
	if (!n)
		printf(" none");
	for (i = 0; i < n; i++)
		printf(" %s", jtext(json_object_array_get_idx(arr, i)));
	printf("\n");
}

/* Sections added by other modules: shown as indented JSON. */
static void print_generic(const char *name, struct json_object *v)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	printf("%s:", name);
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		printf("\n");
	else
		printf(" ");
	for (; *s; s++) {
		putchar(*s);
		if (*s == '\n' && s[1])
			fputs("  ", stdout);
	}
	printf("\n");
}

static bool jbool(struct json_object *o, const char *key)
{
	return json_object_get_boolean(jget(o, key));
}

/* status "anycast" (user/popd.c): one line per prefix, state and why. */
static void print_anycast(struct json_object *arr)
{
	struct json_object *p;
	size_t i, n = jlen(arr);

	printf("anycast prefixes:\n");
	if (!n)
		printf("  none\n");
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(arr, i);
		printf("  %-20s %-10s %s; %lld/%lld pools+services up (min %lld); signal %s%s%s",
		       jstr(p, "prefix"), jstr(p, "state"), jstr(p, "why"),
		       (long long)jint(p, "deps_up"), (long long)jint(p, "deps"),
		       (long long)jint(p, "min_healthy"), jstr(p, "signal"),
		       *jstr(p, "signal_detail") ? " " : "", jstr(p, "signal_detail"));
		if (strcmp(jstr(p, "override"), "auto") && *jstr(p, "override"))
			printf("; override %s", jstr(p, "override"));
		if (jbool(p, "guarded"))
			printf("; GUARD");
		printf("; %lld transitions, %lld flaps", (long long)jint(p, "transitions"),
		       (long long)jint(p, "flaps"));
		if (jget(p, "vip_packets"))
			printf("; %lld packets to its VIPs", (long long)jint(p, "vip_packets"));
		printf("\n");
	}
}

/* status "health" (user/popd.c): checks with their last result. */
static void print_health(struct json_object *h)
{
	struct json_object *checks = jget(h, "checks"), *c;
	size_t i, n = jlen(checks);
	int wname = 16, wtarget = 24, len;

	printf("health checks%s:\n",
	       jbool(h, "guard") ? " (GUARD: every check failed at once)" : "");
	if (!n)
		printf("  none\n");
	/* Columns as wide as the longest name and target (generated names are long). */
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(checks, i);
		len = strlen(jstr(c, "name"));
		wname = len > wname && len < 128 ? len : wname;
		len = strlen(jstr(c, "target"));
		wtarget = len > wtarget && len < 128 ? len : wtarget;
	}
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(checks, i);
		printf("  %-*s %-8s %-4s %-*s %-4s last %s", wname, jstr(c, "name"),
		       jstr(c, "pool"), jstr(c, "type"), wtarget, jstr(c, "target"),
		       jbool(c, "up") ? "UP" : "DOWN", jstr(c, "last_result"));
		if (*jstr(c, "last_error"))
			printf(" (%s)", jstr(c, "last_error"));
		printf(", %.1f ms, %lld runs, %lld failures\n", jint(c, "latency_us") / 1000.0,
		       (long long)jint(c, "runs"), (long long)jint(c, "failures"));
	}
}

/* status "vips" (user/daemon.c): traffic per VIP and the prefix it is in. */
static void print_vips(struct json_object *arr)
{
	struct json_object *v;
	size_t i, n = jlen(arr);

	printf("VIPs:\n");
	if (!n)
		printf("  none\n");
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		printf("  %-26s %-7s %-20s %12lld packets %14lld bytes (%lld forwarded)\n",
		       jstr(v, "vip"),
		       jbool(v, "dns") && jbool(v, "lb") ? "dns+lb"
		       : jbool(v, "lb")			  ? "lb"
		       : jbool(v, "dns")		  ? "dns"
							  : "-",
		       *jstr(v, "prefix") ? jstr(v, "prefix") : "(no prefix)",
		       (long long)jint(v, "packets"), (long long)jint(v, "bytes"),
		       (long long)jint(v, "lb_packets"));
	}
}

/* status "upgrade" (anyedged.c): the last binary upgrade, if any. */
static void print_upgrade(struct json_object *u)
{
	const char *state = jstr(u, "state");

	printf("upgrade: %s", state);
	if (strcmp(state, "none"))
		printf(" (pid %lld, %s)", (long long)jint(u, "pid"), jstr(u, "binary"));
	if (*jstr(u, "error"))
		printf(": %s", jstr(u, "error"));
	printf("\n");
}

static void print_status(struct json_object *d)
{
	static const char *const known[] = {"daemon", "reload", "pools", "overrides", "drained"};
	struct json_object *dm = jget(d, "daemon"), *rl = jget(d, "reload"), *ifs, *ov, *o;
	size_t i, n;

	printf("anyedged pid %lld, up ", (long long)jint(dm, "pid"));
	print_duration(jint(dm, "uptime_s"));
	printf(", config %s\n", jstr(dm, "config"));
	printf("maps: %s; %lld VIPs, %lld zones, %lld DNS record sets\n", jstr(dm, "pin_path"),
	       (long long)jint(dm, "vips"), (long long)jint(dm, "zones"),
	       (long long)jint(dm, "dns_rrsets"));
	ifs = jget(dm, "interfaces");
	printf("interfaces:");
	for (i = 0, n = jlen(ifs); i < n; i++) {
		o = json_object_array_get_idx(ifs, i);
		printf(" %s (%s)", jstr(o, "name"), jstr(o, "mode"));
	}
	printf("%s\n", n ? "" : " none");
	printf("reloads: %lld ok, %lld failed", (long long)jint(rl, "ok"),
	       (long long)jint(rl, "failed"));
	if (jget(rl, "last_result"))
		printf("; last %s", jstr(rl, "last_result"));
	if (jget(rl, "last_error"))
		printf(": %s", jstr(rl, "last_error"));
	printf("\n");
	printf("DNS pools:\n");
	print_pools(jget(d, "pools"));
	ov = jget(d, "overrides");
	printf("route overrides:");
	for (i = 0, n = jlen(ov); i < n; i++) {
		o = json_object_array_get_idx(ov, i);
		printf(" %s=%s", jstr(o, "prefix"), jstr(o, "mode"));
	}
	printf("%s\n", n ? "" : " none");
	print_list("drained backends", jget(d, "drained"));
	json_object_object_foreach(d, key, val)
	{
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(key, known[i]))
				break;
		if (i < sizeof(known) / sizeof(known[0]))
			continue;
		if (!strcmp(key, "anycast") && json_object_is_type(val, json_type_array))
			print_anycast(val);
		else if (!strcmp(key, "vips") && json_object_is_type(val, json_type_array))
			print_vips(val);
		else if (!strcmp(key, "upgrade") && json_object_is_type(val, json_type_object))
			print_upgrade(val);
		else if (!strcmp(key, "health") && json_object_is_type(val, json_type_object))
			print_health(val);
		else
			print_generic(key, val);
	}
}

/* "ok 0.2 ms, up for 3s" / "fail (connect: ...), down for 1s" / "-" (no check). */
static void print_last_check(struct json_object *b)
{
	if (!jget(b, "last_result")) {
		printf("-");
		return;
	}
	printf("%s", jstr(b, "last_result"));
	if (*jstr(b, "last_error"))
		printf(" (%s)", jstr(b, "last_error"));
	else if (!strcmp(jstr(b, "last_result"), "ok"))
		printf(" %.1f ms", jint(b, "latency_us") / 1000.0);
	printf(", %s for ", jstr(b, "health"));
	print_duration((uint64_t)jint(b, "since_ms") / 1000);
}

static void print_backends(struct json_object *d)
{
	struct json_object *bes = jget(d, "backends"), *b, *cnt;
	size_t i, n = jlen(bes);

	if (!n)
		printf("no backends configured\n");
	else
		printf("%-24s %-20s %6s %-8s %-9s %10s %9s  %s\n", "SERVICE", "BACKEND", "WEIGHT",
		       "LB", "HEALTH", "PACKETS", "FLOWS", "LAST CHECK");
	for (i = 0; i < n; i++) {
		b = json_object_array_get_idx(bes, i);
		if (!json_object_is_type(b, json_type_object)) {
			printf("%s\n", jtext(b));
			continue;
		}
		cnt = jget(b, "counters");
		printf("%-24s %-20s %6lld %-8s %-9s %10lld %9lld  ", jstr(b, "service"),
		       jstr(b, "address"), (long long)jint(b, "weight"),
		       jget(b, "lb_state") ? jstr(b, "lb_state") : "?", jstr(b, "health"),
		       (long long)jint(cnt, "packets"), (long long)jint(cnt, "new_flows"));
		print_last_check(b);
		printf("\n");
	}
	json_object_object_foreach(d, key, val)
	{
		if (!strcmp(key, "drained"))
			print_list("drained by hand", val);
		else if (strcmp(key, "backends"))
			print_generic(key, val);
	}
}

static void print_reply(const char *cmd, struct json_object *d)
{
	/* Walking the members of a non-object dereferences NULL in json-c. */
	if ((!strcmp(cmd, "status") || !strcmp(cmd, "backends")) &&
	    !json_object_is_type(d, json_type_object)) {
		print_generic(cmd, d);
	} else if (!strcmp(cmd, "status")) {
		print_status(d);
	} else if (!strcmp(cmd, "pools")) {
		print_pools(d);
	} else if (!strcmp(cmd, "backends")) {
		print_backends(d);
	} else if (!strcmp(cmd, "pool")) {
		printf("pool %s (index %lld) is now %s\n", jstr(d, "pool"),
		       (long long)jint(d, "index"),
		       json_object_get_boolean(jget(d, "up")) ? "up" : "down");
	} else if (!strcmp(cmd, "drain") || !strcmp(cmd, "undrain")) {
		printf("backend %s %s%s\n", jstr(d, "backend"),
		       json_object_get_boolean(jget(d, "drained")) ? "drained" : "undrained",
		       json_object_get_boolean(jget(d, "changed")) ? "" : " (already)");
	} else if (!strcmp(cmd, "announce") || !strcmp(cmd, "withdraw") || !strcmp(cmd, "auto")) {
		printf("prefix %s: %s (was %s)\n", jstr(d, "prefix"),
		       !strcmp(jstr(d, "override"), "auto")	  ? "health decides"
		       : !strcmp(jstr(d, "override"), "announce") ? "announced by hand"
								  : "withdrawn by hand",
		       jstr(d, "previous"));
	} else if (!strcmp(cmd, "reload")) {
		printf("reloaded %s\n", jstr(d, "config"));
	} else if (!strcmp(cmd, "help")) {
		size_t i, n = jlen(d);

		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_array_get_idx(d, i);
			char name[64];

			snprintf(name, sizeof(name), "%s %s", jstr(o, "name"), jstr(o, "usage"));
			printf("  %-28s %s\n", name, jstr(o, "help"));
		}
	} else if (d) {
		print_generic(cmd, d);
	}
}

/* Any daemon command: the reply as JSON (-j) or for people. */
static int cmd_daemon(struct ctl *c, int argc, char **argv)
{
	struct json_object *data;
	int ret;

	ret = ctl_request(c, argv[0], argc - 1, argv + 1, &data);
	if (ret)
		return ret;
	if (c->json)
		printf("%s\n",
		       data ? json_object_to_json_string_ext(
				      data, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			    : "{}");
	else
		print_reply(argv[0], data);
	json_object_put(data);
	return 0;
}

/* The daemon's "vips" list (cmd_stats in daemon.c); NULL when it has none. */
static struct edge_vip_traffic *vips_from_json(struct json_object *arr, size_t *n)
{
	struct edge_vip_traffic *v;
	struct json_object *o;
	size_t i, len = jlen(arr);

	*n = 0;
	if (!json_object_is_type(arr, json_type_array))
		return NULL;
	v = calloc(len ? len : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < len; i++) {
		struct edge_vip_traffic *t = &v[*n];

		o = json_object_array_get_idx(arr, i);
		if (inet_pton(AF_INET, jstr(o, "vip"), &t->vip.addr[3]) == 1)
			t->vip.addr[2] = htonl(0xffff);
		else if (inet_pton(AF_INET6, jstr(o, "vip"), t->vip.addr) != 1)
			continue;
		t->id = jint(o, "id");
		t->flags = (jbool(o, "dns") ? EDGE_VIP_F_DNS : 0) |
			   (jbool(o, "lb") ? EDGE_VIP_F_LB : 0);
		t->packets = jint(o, "packets");
		t->bytes = jint(o, "bytes");
		t->lb_packets = jint(o, "lb_packets");
		t->lb_bytes = jint(o, "lb_bytes");
		(*n)++;
	}
	return v;
}

/*
 * stats: from the daemon; from the pinned maps when -p is given or no
 * daemon answers (so it works while anyedged is down).
 */
static int cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct json_object *data, *v;
	struct edge_vip_traffic *vips;
	struct edge_stats st = {};
	size_t i, n_vips;
	int fd, ret;

	if (argc > 1) {
		pr_warn("stats takes no arguments\n");
		return -EINVAL;
	}
	if (c->pin_path_set)
		return stats_pinned(c, argc, argv);
	fd = ctl_connect(c, true);
	if (fd < 0)
		return stats_pinned(c, argc, argv);
	close(fd);
	ret = ctl_request(c, "stats", 0, NULL, &data);
	if (ret)
		return ret;
	for (i = 0; i < edge_stat_nfields; i++)
		if (json_object_object_get_ex(data, edge_stat_fields[i].name, &v))
			*(__u64 *)((char *)&st + edge_stat_fields[i].off) =
				(__u64)json_object_get_int64(v);
	vips = vips_from_json(jget(data, "vips"), &n_vips);
	json_object_put(data);
	edge_stats_print(stdout, &st, vips, n_vips, c->json);
	free(vips);
	return 0;
}

/* pool: by the daemon; straight into the pinned map with -c or -p. */
static int cmd_pool(struct ctl *c, int argc, char **argv)
{
	if (c->config || c->pin_path_set)
		return pool_pinned(c, argc, argv);
	if (argc != 3) {
		pr_warn("usage: anyedgectl pool NAME|INDEX up|down\n");
		return -EINVAL;
	}
	return cmd_daemon(c, argc, argv);
}

#define UPGRADE_WAIT_MS 90000 /* the daemon gives its successor 60 s */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * upgrade: the daemon starts its own binary with --takeover and serves on
 * until that one is ready. Watch `status` until the new pid answers (ok)
 * or the old one says the upgrade failed (its reason, exit 1).
 */
static int cmd_upgrade(struct ctl *c, int argc, char **argv)
{
	struct json_object *data, *dm, *up;
	long long pid, old, now_pid;
	uint64_t t0 = mono_ms();
	int ret, fd;

	ret = ctl_request(c, "upgrade", argc - 1, argv + 1, &data);
	if (ret)
		return ret;
	pid = jint(data, "pid");
	old = jint(data, "old_pid");
	if (!c->json)
		printf("upgrade: %s started as pid %lld; pid %lld serves until it is ready\n",
		       jstr(data, "binary"), pid, old);
	json_object_put(data);
	while (mono_ms() - t0 < UPGRADE_WAIT_MS) {
		usleep(100 * 1000);
		/* While the control socket changes hands, nobody may answer. */
		fd = ctl_connect(c, true);
		if (fd < 0)
			continue;
		close(fd);
		if (ctl_request(c, "status", 0, NULL, &data))
			continue;
		dm = jget(data, "daemon");
		up = jget(data, "upgrade");
		now_pid = jint(dm, "pid");
		if (now_pid == pid) {
			if (c->json)
				printf("{\"old_pid\":%lld,\"pid\":%lld,\"ms\":%llu}\n", old, pid,
				       (unsigned long long)(mono_ms() - t0));
			else
				printf("upgraded: pid %lld took over from pid %lld in %llu ms\n", pid,
				       old, (unsigned long long)(mono_ms() - t0));
			json_object_put(data);
			return 0;
		}
		if (now_pid == old && jint(up, "pid") == pid && !strcmp(jstr(up, "state"), "failed")) {
			if (c->json)
				printf("{\"error\":%s,\"old_pid\":%lld}\n",
				       json_object_to_json_string(jget(up, "error")), old);
			pr_warn("upgrade failed: %s; pid %lld serves on\n", jstr(up, "error"), old);
			json_object_put(data);
			return -ECANCELED;
		}
		json_object_put(data);
	}
	pr_warn("upgrade: pid %lld has not taken over within %d ms\n", pid, UPGRADE_WAIT_MS);
	return -ETIMEDOUT;
}

/* lb: services and backends with their counters, from the pinned maps. */
static int cmd_lb(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return edge_lb_show(stdout, c->pin_path, c->json);
}

static const struct ctl_cmd cmds[] = {
	{"status", 0, NULL, cmd_daemon, "daemon, reloads, pools, prefixes, overrides", {ARG_ANY}},
	{"stats", 0, NULL, cmd_stats, "counters by verdict and reason, summed over CPUs",
	 {ARG_ANY}},
	{"pools", 0, NULL, cmd_daemon, "DNS answer pools and their health", {ARG_ANY}},
	{"pool", 2, "NAME|INDEX up|down", cmd_pool, "set a DNS pool's health",
	 {ARG_POOL, ARG_UPDOWN}},
	{"backends", 0, NULL, cmd_daemon, "load-balancer backends and their health", {ARG_ANY}},
	{"lb", 0, NULL, cmd_lb, "services and backends with counters, from the pinned maps",
	 {ARG_ANY}},
	{"drain", 1, "BACKEND", cmd_daemon, "give a backend no new flows (until undrain)",
	 {ARG_BACKEND}},
	{"undrain", 1, "BACKEND", cmd_daemon, "undo drain", {ARG_BACKEND}},
	{"withdraw", 1, "PREFIX", cmd_daemon, "withdraw PREFIX whatever health says",
	 {ARG_PREFIX}},
	{"announce", 1, "PREFIX", cmd_daemon, "announce PREFIX whatever health says",
	 {ARG_PREFIX}},
	{"auto", 1, "PREFIX", cmd_daemon, "clear the override of PREFIX: health decides",
	 {ARG_PREFIX}},
	{"reload", 0, NULL, cmd_daemon, "re-read the config (errors are shown here)", {ARG_ANY}},
	{"upgrade", -1, "[BINARY]", cmd_upgrade,
	 "run the daemon's binary (or BINARY) anew: it takes over, nothing is withdrawn",
	 {ARG_PATH}},
	{"help", 0, NULL, cmd_daemon, "the commands the running daemon knows", {ARG_ANY}},
};

/* Does arg fit kind? NULL if so, else why not (into why). */
static const char *check_arg(enum ctl_arg kind, const char *arg, char *why, size_t size)
{
	char canon[INET6_ADDRSTRLEN + 8];
	size_t i, len = strlen(arg);
	unsigned long idx;
	char *end;

	switch (kind) {
	case ARG_BACKEND:
		if (!edged_addr_canon(arg, canon, sizeof(canon)))
			return NULL;
		snprintf(why, size, "'%.64s' is not a backend address (IPv4 or IPv6)", arg);
		return why;
	case ARG_PREFIX:
		if (!edged_prefix_canon(arg, canon, sizeof(canon), why, size))
			return NULL;
		return why;
	case ARG_POOL:
		if (len && arg[0] >= '0' && arg[0] <= '9' && strspn(arg, "0123456789") == len) {
			errno = 0;
			idx = strtoul(arg, &end, 10);
			if (!errno && idx < EDGE_MAX_DNS_POOLS)
				return NULL;
			snprintf(why, size, "pool index %.32s out of range 0..%d", arg,
				 EDGE_MAX_DNS_POOLS - 1);
			return why;
		}
		for (i = 0; i < len && (islower((unsigned char)arg[i]) ||
					isdigit((unsigned char)arg[i]) || arg[i] == '_' ||
					arg[i] == '-');
		     i++)
			;
		if (len && len < EDGE_CFG_NAME_LEN && i == len)
			return NULL;
		snprintf(why, size, "'%.64s' is not a pool name (1..%d of a-z, 0-9, '_', '-') "
			 "or index", arg, EDGE_CFG_NAME_LEN - 1);
		return why;
	case ARG_UPDOWN:
		if (!strcmp(arg, "up") || !strcmp(arg, "down"))
			return NULL;
		snprintf(why, size, "'%.64s' is neither up nor down", arg);
		return why;
	case ARG_PATH:
		if (arg[0] == '/' && len < EDGE_CTL_MAX_ARG_LEN)
			return NULL;
		snprintf(why, size, "'%.64s' is not an absolute path (< %d bytes)", arg,
			 EDGE_CTL_MAX_ARG_LEN);
		return why;
	default:
		return NULL;
	}
}

static void usage(FILE *f)
{
	char name[64];
	size_t i;

	fprintf(f,
		"Usage: anyedgectl [-j] [--socket PATH] [--pin-path DIR] [-c CONFIG] COMMAND "
		"[ARG...]\n"
		"  -j, --json          JSON output\n"
		"  -s, --socket PATH   the daemon's control socket (default %s)\n"
		"  -p, --pin-path DIR  read/write the pinned maps directly, without the daemon\n"
		"                      (stats, pool, lb; default %s)\n"
		"  -c, --config FILE   the daemon's config (pool names, without the daemon)\n"
		"Commands:\n",
		EDGE_CTL_SOCKET_DEFAULT, EDGE_PIN_DEFAULT);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(name, sizeof(name), "%s %s", cmds[i].name, cmds[i].usage ?: "");
		fprintf(f, "  %-28s %s\n", name, cmds[i].help);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"socket", required_argument, NULL, 's'},
		{"pin-path", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct ctl c = {.pin_path = EDGE_PIN_DEFAULT, .socket = EDGE_CTL_SOCKET_DEFAULT};
	const struct ctl_cmd *cmd = NULL;
	char why[256];
	size_t i;
	int opt, given;

	edge_log_set_prefix("anyedgectl");
	while ((opt = getopt_long(argc, argv, "+js:p:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 's':
			c.socket = optarg;
			break;
		case 'p':
			c.pin_path = optarg;
			c.pin_path_set = true;
			break;
		case 'c':
			c.config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			cmd = &cmds[i];
	if (!cmd) {
		pr_warn("unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Missing, extra or malformed arguments: a usage error, for every command. */
	given = argc - optind - 1;
	if (cmd->nargs >= 0 ? given != cmd->nargs : given > -cmd->nargs) {
		pr_warn("%s takes %s%d argument%s, got %d\n", cmd->name,
			cmd->nargs < 0 ? "at most " : "", abs(cmd->nargs),
			abs(cmd->nargs) == 1 ? "" : "s", given);
		pr_warn("usage: anyedgectl %s %s\n", cmd->name, cmd->usage ?: "");
		return 2;
	}
	for (i = 0; i < (size_t)given; i++) {
		if (check_arg(cmd->arg[i], argv[optind + 1 + i], why, sizeof(why))) {
			pr_warn("%s: %s\n", cmd->name, why);
			pr_warn("usage: anyedgectl %s %s\n", cmd->name, cmd->usage ?: "");
			return 2;
		}
	}
	return cmd->fn(&c, argc - optind, argv + optind) ? 1 : 0;
}
