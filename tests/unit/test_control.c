// SPDX-License-Identifier: GPL-2.0
/*
 * Control socket: request parsing and validation, dispatch through the
 * registration table, the socket itself under bad clients; the daemon's
 * override and drain tables; metrics text; the control/metrics config.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "metrics.h"
#include "unit.h"

static char *handle(struct edge_ctl *c, const char *line)
{
	return edge_ctl_handle_line(c, line, strlen(line));
}

static int parse(const char *line, struct edge_ctl_req *req, char *err, size_t errlen)
{
	return edge_ctl_parse(line, strlen(line), req, err, errlen);
}

TEST(ctl_parse_accepts_cmd_and_args)
{
	struct edge_ctl_req req;
	char err[256];

	ASSERT_OK(
		parse("{\"cmd\":\"drain\",\"args\":[\"198.51.100.7\"]}\r", &req, err, sizeof(err)));
	ASSERT_STREQ(req.cmd, "drain");
	ASSERT_EQ(req.argc, 1);
	ASSERT_STREQ(req.argv[0], "198.51.100.7");
	edge_ctl_req_free(&req);
	ASSERT_OK(parse("  {\"args\": [], \"cmd\": \"status\"}  ", &req, err, sizeof(err)));
	ASSERT_STREQ(req.cmd, "status");
	ASSERT_EQ(req.argc, 0);
	edge_ctl_req_free(&req);
}

/* Every malformed request is refused with a reason; none is half-accepted. */
TEST(ctl_parse_rejects_malformed_requests)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{"", "empty"},
		{"garbage", "not JSON"},
		{"{\"cmd\":\"status\"", "not JSON"},
		{"{\"cmd\":\"status\"} {}", "not JSON"},
		{"[\"status\"]", "JSON object"},
		{"\"status\"", "JSON object"},
		{"{}", "'cmd' is missing"},
		{"{\"cmd\":1}", "command name"},
		{"{\"cmd\":\"\"}", "command name"},
		{"{\"cmd\":\"Status\"}", "command name"},
		{"{\"cmd\":\"a b\"}", "command name"},
		{"{\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "command name"},
		{"{\"cmd\":\"x\",\"bogus\":1}", "unknown key 'bogus'"},
		{"{\"cmd\":\"x\",\"args\":\"a\"}", "list of strings"},
		{"{\"cmd\":\"x\",\"args\":[1]}", "args[0] is not a string"},
		{"{\"cmd\":\"x\",\"args\":[\"a\",[\"b\"]]}", "args[1] is not a string"},
		{"{\"cmd\":\"x\",\"args\":[\"a\\nb\"]}", "control character"},
		{"{\"cmd\":\"x\",\"args\":[\"a\\u0000b\"]}", "control character"},
		{"{\"cmd\":\"x\",\"args\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}",
		 "at most 8"},
		{"{\"cmd\":\"x\",\"args\":[[[[[[[[[[\"deep\"]]]]]]]]]]}", "not JSON"},
		{"{'cmd':'status'}", "not JSON"},
	};
	struct edge_ctl_req req;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (!parse(bad[i].line, &req, err, sizeof(err)))
			UNIT_FAIL_("accepted %s", bad[i].line);
		ASSERT_TRUE(req.obj == NULL);
		if (!strstr(err, bad[i].why))
			UNIT_FAIL_("%s: error '%s' lacks '%s'", bad[i].line, err, bad[i].why);
	}
}

TEST(ctl_parse_rejects_nul_long_line_and_long_arg)
{
	char line[EDGE_CTL_MAX_LINE + 16], err[256];
	struct edge_ctl_req req;
	int n;

	ASSERT_ERR(edge_ctl_parse("{\"cmd\":\"status\"}\0", 17, &req, err, sizeof(err)));
	ASSERT_STRSTR(err, "NUL");
	memset(line, ' ', sizeof(line));
	memcpy(line, "{\"cmd\":\"status\"}", 16);
	line[sizeof(line) - 1] = 'x';
	ASSERT_ERR(edge_ctl_parse(line, sizeof(line), &req, err, sizeof(err)));
	ASSERT_STRSTR(err, "longer than");
	n = snprintf(line, sizeof(line), "{\"cmd\":\"x\",\"args\":[\"%0*d\"]}",
		     EDGE_CTL_MAX_ARG_LEN + 1, 0);
	ASSERT_ERR(edge_ctl_parse(line, n, &req, err, sizeof(err)));
	ASSERT_STRSTR(err, "longer than 256");
}

struct echo {
	int calls;
	char last[64];
};

static int echo_fn(void *arg, const struct edge_ctl_req *req, struct json_object **data, char *err,
		   size_t errlen)
{
	struct echo *e = arg;

	e->calls++;
	if (req->argc && !strcmp(req->argv[0], "fail")) {
		snprintf(err, errlen, "asked to fail");
		return -EINVAL;
	}
	snprintf(e->last, sizeof(e->last), "%s", req->argc ? req->argv[0] : "");
	*data = json_object_new_string(e->last);
	return 0;
}

static int section_fn(void *arg, struct json_object **out)
{
	*out = json_object_new_int(*(int *)arg);
	return 0;
}

TEST(ctl_dispatch_runs_registered_handler_and_checks_arg_count)
{
	struct edge_ctl *c = edge_ctl_new();
	struct echo e = {};
	struct edge_ctl_cmd cmd = {"echo", 1, 2, "WORD [WORD]", "say it", echo_fn, &e};
	char *r;

	ASSERT_TRUE(c != NULL);
	ASSERT_OK(edge_ctl_register(c, &cmd));
	r = handle(c, "{\"cmd\":\"echo\",\"args\":[\"hi\"]}");
	ASSERT_STREQ(r, "{\"ok\":true,\"data\":\"hi\"}");
	free(r);
	r = handle(c, "{\"cmd\":\"echo\"}");
	ASSERT_STREQ(r, "{\"ok\":false,\"error\":\"usage: echo WORD [WORD]\"}");
	free(r);
	r = handle(c, "{\"cmd\":\"echo\",\"args\":[\"fail\"]}");
	ASSERT_STREQ(r, "{\"ok\":false,\"error\":\"echo: asked to fail\"}");
	free(r);
	r = handle(c, "{\"cmd\":\"nosuch\"}");
	ASSERT_STRSTR(r, "unknown command 'nosuch'");
	free(r);
	r = handle(c, "{\"cmd\":\"help\"}");
	ASSERT_STRSTR(r, "\"name\":\"echo\"");
	free(r);
	ASSERT_EQ(e.calls, 2);
	edge_ctl_free(c);
}

TEST(ctl_register_replaces_by_name_and_validates)
{
	struct edge_ctl *c = edge_ctl_new();
	struct echo a = {}, b = {};
	struct edge_ctl_cmd cmd = {"echo", 0, 1, NULL, NULL, echo_fn, &a};
	struct json_object *o;
	int v1 = 7, v2 = 9;
	char *r;

	ASSERT_OK(edge_ctl_register(c, &cmd));
	cmd.arg = &b;
	ASSERT_OK(edge_ctl_register(c, &cmd));
	r = handle(c, "{\"cmd\":\"echo\"}");
	free(r);
	ASSERT_EQ(a.calls, 0);
	ASSERT_EQ(b.calls, 1);
	cmd.name = "Bad Name";
	ASSERT_EQ(edge_ctl_register(c, &cmd), -EINVAL);
	cmd.name = "x";
	cmd.max_args = EDGE_CTL_MAX_ARGS + 1;
	ASSERT_EQ(edge_ctl_register(c, &cmd), -EINVAL);

	ASSERT_OK(edge_ctl_register_status(c, "prefixes", section_fn, &v1));
	ASSERT_OK(edge_ctl_register_status(c, "prefixes", section_fn, &v2));
	o = json_object_new_object();
	edge_ctl_status_sections(c, o);
	ASSERT_STREQ(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{\"prefixes\":9}");
	json_object_put(o);
	edge_ctl_free(c);
}

/* ---- the socket, driven by one event loop in this process ---- */

struct sock_env {
	char dir[64];
	char path[128];
	struct edge_loop *loop;
	struct edge_ctl *ctl;
	struct echo e;
};

static int env_up(struct sock_env *env, unsigned int timeout_ms)
{
	struct edge_ctl_cmd cmd = {"echo", 0, 1, NULL, NULL, echo_fn, &env->e};
	char err[256];

	strcpy(env->dir, "/tmp/anyedge-unit-ctl.XXXXXX");
	if (!mkdtemp(env->dir))
		return -errno;
	snprintf(env->path, sizeof(env->path), "%s/run/ctl.sock", env->dir);
	env->loop = edge_loop_new();
	env->ctl = edge_ctl_new();
	if (!env->loop || !env->ctl)
		return -ENOMEM;
	edge_ctl_register(env->ctl, &cmd);
	return edge_ctl_listen(env->ctl, env->loop, env->path, timeout_ms, err, sizeof(err));
}

static void env_down(struct sock_env *env)
{
	char run[160];

	edge_ctl_free(env->ctl);
	edge_loop_free(env->loop);
	snprintf(run, sizeof(run), "%s/run", env->dir);
	rmdir(run);
	rmdir(env->dir);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Run the loop until fd has a whole line (or EOF) to read, at most 2 s.
 * Returns the bytes read (0 on EOF), the line in buf.
 */
static ssize_t read_reply(struct sock_env *env, int fd, char *buf, size_t size)
{
	uint64_t end = edge_now_ms() + 2000;
	size_t len = 0;
	ssize_t n;

	while (edge_now_ms() < end && len + 1 < size) {
		edge_loop_run_once(env->loop, 10);
		n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0)
			continue;
		len += n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	return len;
}

TEST(ctl_socket_is_private_and_answers_pipelined_requests)
{
	static const char reqs[] = "{\"cmd\":\"echo\",\"args\":[\"one\"]}\n"
				   "{\"cmd\":\"echo\",\"args\":[\"two\"]}\n";
	struct sock_env env = {};
	char buf[512], dir[160];
	struct stat st;
	int fd;

	ASSERT_OK(env_up(&env, 1000));
	ASSERT_OK(stat(env.path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/run", env.dir);
	ASSERT_OK(stat(dir, &st));
	ASSERT_EQ(st.st_mode & 0777, 0700);

	fd = connect_to(env.path);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, reqs, sizeof(reqs) - 1), (ssize_t)sizeof(reqs) - 1);
	ASSERT_TRUE(read_reply(&env, fd, buf, sizeof(buf)) > 0);
	/* Both replies, in order (the second may need another round). */
	if (!strstr(buf, "two"))
		read_reply(&env, fd, buf + strlen(buf), sizeof(buf) - strlen(buf));
	ASSERT_STREQ(buf, "{\"ok\":true,\"data\":\"one\"}\n{\"ok\":true,\"data\":\"two\"}\n");
	close(fd);
	env_down(&env);
	ASSERT_EQ(stat(env.path, &st), -1); /* unlinked on free */
}

TEST(ctl_socket_refuses_oversized_line_and_survives_half_line)
{
	struct sock_env env = {};
	char big[EDGE_CTL_MAX_LINE + 100], buf[512];
	int fd, fd2, i;

	ASSERT_OK(env_up(&env, 1000));
	fd = connect_to(env.path);
	ASSERT_TRUE(fd >= 0);
	memset(big, 'x', sizeof(big));
	ASSERT_EQ(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	ASSERT_TRUE(read_reply(&env, fd, buf, sizeof(buf)) > 0);
	ASSERT_STRSTR(buf, "longer than 4095 bytes");
	ASSERT_EQ(read_reply(&env, fd, buf, sizeof(buf)), 0); /* then closed */
	close(fd);

	fd = connect_to(env.path);
	ASSERT_EQ(write(fd, "{\"cmd\":\"ec", 10), 10);
	close(fd);
	for (i = 0; i < 10 && (i < 2 || edge_ctl_nclients(env.ctl)); i++)
		edge_loop_run_once(env.loop, 20);
	ASSERT_EQ(edge_ctl_nclients(env.ctl), 0);

	fd2 = connect_to(env.path);
	ASSERT_EQ(write(fd2, "{\"cmd\":\"echo\"}\n", 15), 15);
	ASSERT_TRUE(read_reply(&env, fd2, buf, sizeof(buf)) > 0);
	ASSERT_STREQ(buf, "{\"ok\":true,\"data\":\"\"}\n");
	close(fd2);
	env_down(&env);
}

TEST(ctl_socket_closes_idle_client_after_timeout)
{
	struct sock_env env = {};
	uint64_t t0;
	char buf[512];
	int fd;

	ASSERT_OK(env_up(&env, 150));
	fd = connect_to(env.path);
	ASSERT_EQ(write(fd, "{\"cmd\":", 7), 7);
	t0 = edge_now_ms();
	while (edge_now_ms() - t0 < 1000 && !read_reply(&env, fd, buf, sizeof(buf)))
		;
	ASSERT_STRSTR(buf, "idle for 150 ms");
	ASSERT_EQ(edge_ctl_nclients(env.ctl), 0);
	close(fd);
	env_down(&env);
}

TEST(ctl_socket_limits_clients)
{
	struct sock_env env = {};
	int fds[EDGE_CTL_MAX_CLIENTS + 1], i, n;
	char buf[512];

	ASSERT_OK(env_up(&env, 2000));
	for (i = 0; i <= EDGE_CTL_MAX_CLIENTS; i++) {
		fds[i] = connect_to(env.path);
		ASSERT_TRUE(fds[i] >= 0);
		edge_loop_run_once(env.loop, 0);
	}
	ASSERT_EQ(edge_ctl_nclients(env.ctl), EDGE_CTL_MAX_CLIENTS);
	n = read_reply(&env, fds[EDGE_CTL_MAX_CLIENTS], buf, sizeof(buf));
	ASSERT_TRUE(n > 0);
	ASSERT_STRSTR(buf, "too many clients");
	/* A freed slot is usable again. */
	close(fds[0]);
	close(fds[EDGE_CTL_MAX_CLIENTS]);
	edge_loop_run_once(env.loop, 10);
	fds[0] = connect_to(env.path);
	ASSERT_EQ(write(fds[0], "{\"cmd\":\"echo\"}\n", 15), 15);
	ASSERT_TRUE(read_reply(&env, fds[0], buf, sizeof(buf)) > 0);
	ASSERT_STRSTR(buf, "\"ok\":true");
	for (i = 0; i < EDGE_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	env_down(&env);
}

TEST(ctl_listen_refuses_live_socket_and_replaces_stale_one)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sock_env env = {};
	struct edge_ctl *c2;
	char err[256];
	int fd;

	ASSERT_OK(env_up(&env, 1000));
	c2 = edge_ctl_new();
	ASSERT_EQ(edge_ctl_listen(c2, env.loop, env.path, 0, err, sizeof(err)), -EADDRINUSE);
	ASSERT_STRSTR(err, "in use");
	edge_ctl_free(c2);

	/* A socket file nobody listens on: left over by a crash. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.64s/stale.sock", env.dir);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	c2 = edge_ctl_new();
	ASSERT_OK(edge_ctl_listen(c2, env.loop, sa.sun_path, 0, err, sizeof(err)));
	edge_ctl_free(c2);
	ASSERT_EQ(access(sa.sun_path, F_OK), -1);
	env_down(&env);
}

TEST(ctl_listening_socket_handed_to_successor_keeps_path)
{
	struct sock_env env = {};
	struct edge_ctl *next = edge_ctl_new();
	struct echo e = {};
	struct edge_ctl_cmd cmd = {"echo", 0, 1, NULL, NULL, echo_fn, &e};
	char buf[256], err[256];
	struct stat st;
	int lfd, fd;

	ASSERT_OK(env_up(&env, 1000));
	ASSERT_OK(edge_ctl_register(next, &cmd));
	lfd = edge_ctl_take_fd(env.ctl);
	ASSERT_TRUE(lfd >= 0);
	ASSERT_EQ(edge_ctl_adopt(next, env.loop, 0, env.path, 0, err, sizeof(err)), -ENOTSOCK);
	ASSERT_OK(edge_ctl_adopt(next, env.loop, lfd, env.path, 0, err, sizeof(err)));
	edge_ctl_free(env.ctl); /* the predecessor exits: the file stays */
	env.ctl = next;
	ASSERT_OK(stat(env.path, &st));
	fd = connect_to(env.path);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, "{\"cmd\":\"echo\",\"args\":[\"x\"]}\n", 29), 29);
	ASSERT_TRUE(read_reply(&env, fd, buf, sizeof(buf)) > 0);
	ASSERT_STREQ(buf, "{\"ok\":true,\"data\":\"x\"}\n");
	ASSERT_EQ(e.calls, 1);
	close(fd);
	env_down(&env);
	ASSERT_EQ(stat(env.path, &st), -1);
}

/* ---- daemon tables ---- */

TEST(daemon_prefix_canon_normalises_and_rejects_host_bits)
{
	char out[EDGED_PREFIX_LEN], err[128];

	ASSERT_OK(edged_prefix_canon("192.0.2.0/24", out, sizeof(out), err, sizeof(err)));
	ASSERT_STREQ(out, "192.0.2.0/24");
	ASSERT_OK(edged_prefix_canon("2001:DB8:0::/32", out, sizeof(out), err, sizeof(err)));
	ASSERT_STREQ(out, "2001:db8::/32");
	ASSERT_OK(edged_prefix_canon("198.51.100.7", out, sizeof(out), err, sizeof(err)));
	ASSERT_STREQ(out, "198.51.100.7/32");
	ASSERT_ERR(edged_prefix_canon("192.0.2.1/24", out, sizeof(out), err, sizeof(err)));
	ASSERT_STRSTR(err, "host bits");
	ASSERT_ERR(edged_prefix_canon("192.0.2.0/33", out, sizeof(out), err, sizeof(err)));
	ASSERT_ERR(edged_prefix_canon("192.0.2.0/", out, sizeof(out), err, sizeof(err)));
	ASSERT_ERR(edged_prefix_canon("192.0.2.0/+8", out, sizeof(out), err, sizeof(err)));
	ASSERT_ERR(edged_prefix_canon("example.com", out, sizeof(out), err, sizeof(err)));
	ASSERT_ERR(edged_prefix_canon("", out, sizeof(out), err, sizeof(err)));
}

TEST(daemon_override_and_drain_tables_set_and_clear)
{
	static struct edged d;

	ASSERT_EQ(edged_override_get(&d, "192.0.2.0/24"), EDGED_OVR_AUTO);
	ASSERT_OK(edged_override_set(&d, "192.0.2.0/24", EDGED_OVR_WITHDRAW));
	ASSERT_OK(edged_override_set(&d, "2001:db8::/32", EDGED_OVR_ANNOUNCE));
	ASSERT_OK(edged_override_set(&d, "192.0.2.0/24", EDGED_OVR_ANNOUNCE));
	ASSERT_EQ(d.n_overrides, 2);
	ASSERT_EQ(edged_override_get(&d, "192.0.2.0/24"), EDGED_OVR_ANNOUNCE);
	ASSERT_OK(edged_override_set(&d, "192.0.2.0/24", EDGED_OVR_AUTO));
	ASSERT_EQ(d.n_overrides, 1);
	ASSERT_EQ(edged_override_get(&d, "192.0.2.0/24"), EDGED_OVR_AUTO);
	ASSERT_EQ(edged_override_get(&d, "2001:db8::/32"), EDGED_OVR_ANNOUNCE);

	ASSERT_FALSE(edged_is_drained(&d, "198.51.100.7"));
	ASSERT_OK(edged_drain_set(&d, "198.51.100.7", true));
	ASSERT_OK(edged_drain_set(&d, "198.51.100.7", true));
	ASSERT_EQ(d.n_drained, 1);
	ASSERT_TRUE(edged_is_drained(&d, "198.51.100.7"));
	ASSERT_OK(edged_drain_set(&d, "198.51.100.7", false));
	ASSERT_FALSE(edged_is_drained(&d, "198.51.100.7"));
	free(d.drained);
}

/* ---- metrics ---- */

static void prov(void *arg, FILE *f)
{
	fprintf(f, "anyedge_test_value %d\n", *(int *)arg);
}

TEST(metrics_snapshot_holds_provider_output_until_updated)
{
	struct edge_metrics *m = edge_metrics_new();
	char *page, lbl[32];
	int v = 1;

	ASSERT_OK(edge_metrics_register(m, "test", prov, &v));
	edge_metrics_update(m);
	v = 2;
	page = edge_metrics_render(m, NULL);
	ASSERT_STRSTR(page, "anyedge_test_value 1\n");
	free(page);
	edge_metrics_update(m);
	page = edge_metrics_render(m, NULL);
	ASSERT_STRSTR(page, "anyedge_test_value 2\n");
	free(page);
	edge_metrics_free(m);
	ASSERT_STREQ(edge_metrics_label("a\"b\\c\nd", lbl, sizeof(lbl)), "a\\\"b\\\\c\\nd");
}

/* ---- config ---- */

static const char base_cfg[] = "interfaces: [{name: eth0}]\nvips: [{address: 192.0.2.53}]\n";

static int cfg_with(const char *extra, struct edge_config *cfg, char *err, size_t errlen)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s%s", base_cfg, extra);

	return edge_config_parse(buf, n, "t.yaml", cfg, err, errlen);
}

TEST(config_control_and_metrics_defaults_and_values)
{
	struct edge_config cfg;
	char err[256];

	ASSERT_OK(cfg_with("", &cfg, err, sizeof(err)));
	ASSERT_STREQ(cfg.control.socket, EDGE_CTL_SOCKET_DEFAULT);
	ASSERT_STREQ(cfg.metrics.listen, "");
	edge_config_free(&cfg);
	ASSERT_OK(cfg_with("control: {socket: /run/x/c.sock, timeout_ms: 500}\n"
			   "metrics: {listen: '[2001:db8::1]:9100'}\n",
			   &cfg, err, sizeof(err)));
	ASSERT_STREQ(cfg.control.socket, "/run/x/c.sock");
	ASSERT_EQ(cfg.control.timeout_ms, 500);
	ASSERT_EQ(cfg.metrics.addr.ss_family, AF_INET6);
	edge_config_free(&cfg);
	ASSERT_OK(cfg_with("metrics: {listen: '*:9100'}\n", &cfg, err, sizeof(err)));
	edge_config_free(&cfg);
}

TEST(config_control_and_metrics_errors_name_line_and_field)
{
	static const struct {
		const char *extra, *want;
	} bad[] = {
		{"control: {socket: rel.sock}\n", "t.yaml:3: control.socket"},
		{"control: {timeout_ms: 5}\n", "t.yaml:3: control.timeout_ms"},
		{"control: {sock: /x}\n", "t.yaml:3: control.sock"},
		{"metrics: {listen: 192.0.2.1}\n", "t.yaml:3: metrics.listen"},
		{"metrics: {listen: '192.0.2.1:0'}\n", "metrics.listen"},
		{"metrics: {listen: '192.0.2.1:70000'}\n", "metrics.listen"},
		{"metrics: {listen: '2001:db8::1:9100'}\n", "metrics.listen"},
		{"metrics: {listen: 'host:9100'}\n", "metrics.listen"},
		{"metrics: {}\n", "metrics.listen: required"},
	};
	struct edge_config cfg;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!cfg_with(bad[i].extra, &cfg, err, sizeof(err))) {
			edge_config_free(&cfg);
			UNIT_FAIL_("accepted %s", bad[i].extra);
		}
		if (!strstr(err, bad[i].want))
			UNIT_FAIL_("%s: '%s' lacks '%s'", bad[i].extra, err, bad[i].want);
	}
}

/* Random and mutated lines: every reply is one JSON object, none crashes. */
TEST(ctl_random_requests_always_get_a_json_reply)
{
	static const char seed[] = "{\"cmd\":\"echo\",\"args\":[\"a\",\"b\"]}";
	struct edge_ctl *c = edge_ctl_new();
	struct echo e = {};
	struct edge_ctl_cmd cmd = {"echo", 0, 2, NULL, NULL, echo_fn, &e};
	struct json_object *o, *ok;
	unsigned int state = 12345;
	char line[128];
	size_t len, i, k;
	int n;

	ASSERT_OK(edge_ctl_register(c, &cmd));
	for (n = 0; n < 20000; n++) {
		if (n & 1) { /* random bytes */
			len = (state = state * 1103515245 + 12345) % sizeof(line);
			for (i = 0; i < len; i++)
				line[i] = (state = state * 1103515245 + 12345) >> 16;
		} else { /* the seed with a few bytes changed */
			len = sizeof(seed) - 1;
			memcpy(line, seed, len);
			for (k = 0; k < 3; k++) {
				state = state * 1103515245 + 12345;
				line[(state >> 8) % len] = state >> 20;
			}
		}
		char *r = edge_ctl_handle_line(c, line, len);

		ASSERT_TRUE(r != NULL);
		o = json_tokener_parse(r);
		if (!o || !json_object_object_get_ex(o, "ok", &ok) || strchr(r, '\n'))
			UNIT_FAIL_("reply is not one JSON object line: %s", r);
		json_object_put(o);
		free(r);
	}
	edge_ctl_free(c);
}

/* GET over a plain TCP socket: status line and body. */
static int http_get(const struct sockaddr_in *sa, const char *path, char *buf, size_t size)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t len = 0;
	ssize_t n;

	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		return -1;
	dprintf(fd, "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	return len;
}

TEST(metrics_http_serves_page_404_and_reports_busy_port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct edge_metrics *m = edge_metrics_new(), *m2 = edge_metrics_new();
	socklen_t len = sizeof(sa);
	char buf[4096], err[256];
	int v = 7, fd;

	/* A free port: bind, learn it, close. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
	close(fd);
	ASSERT_OK(edge_metrics_register(m, "test", prov, &v));
	edge_metrics_update(m);
	ASSERT_OK(edge_metrics_start(m, (struct sockaddr *)&sa, sizeof(sa), -1, err, sizeof(err)));
	ASSERT_TRUE(http_get(&sa, "/metrics", buf, sizeof(buf)) > 0);
	ASSERT_STRSTR(buf, " 200 OK\r\n");
	ASSERT_STRSTR(buf, "text/plain; version=0.0.4");
	ASSERT_STRSTR(buf, "\r\n\r\nanyedge_test_value 7\n");
	ASSERT_TRUE(http_get(&sa, "/other", buf, sizeof(buf)) > 0);
	ASSERT_STRSTR(buf, " 404 ");
	ASSERT_EQ(edge_metrics_start(m2, (struct sockaddr *)&sa, sizeof(sa), -1, err, sizeof(err)),
		  -EADDRINUSE);
	ASSERT_STRSTR(err, "Address already in use");
	edge_metrics_free(m2);
	edge_metrics_free(m);
}

static int big_fn(void *arg, const struct edge_ctl_req *req, struct json_object **data, char *err,
		  size_t errlen)
{
	static char s[1 << 20];

	(void)arg, (void)req, (void)err, (void)errlen;
	memset(s, 'b', sizeof(s) - 1);
	*data = json_object_new_string(s);
	return 0;
}

/* echo ... | socat: the request, then shutdown(SHUT_WR); the whole reply still comes. */
TEST(ctl_client_that_shuts_down_writing_gets_whole_big_replies)
{
	struct edge_ctl_cmd cmd = {"big", 0, 0, NULL, NULL, big_fn, NULL};
	static const char two[] = "{\"cmd\":\"big\"}\n{\"cmd\":\"big\"}\n{\"cmd\":";
	static char buf[3 << 20];
	struct sock_env env = {};
	size_t len = 0, lines = 0, i;
	uint64_t end;
	ssize_t n;
	int fd;

	ASSERT_OK(env_up(&env, 2000));
	ASSERT_OK(edge_ctl_register(env.ctl, &cmd));
	fd = connect_to(env.path);
	ASSERT_EQ(write(fd, two, sizeof(two) - 1), (ssize_t)sizeof(two) - 1);
	ASSERT_OK(shutdown(fd, SHUT_WR));
	end = edge_now_ms() + 5000;
	while (edge_now_ms() < end) {
		edge_loop_run_once(env.loop, 5);
		n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			len += n;
	}
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	ASSERT_EQ(lines, 2);
	ASSERT_EQ(len, 2 * (strlen("{\"ok\":true,\"data\":\"\"}\n") + (1 << 20) - 1));
	ASSERT_EQ(edge_ctl_nclients(env.ctl), 0);
	close(fd);
	env_down(&env);
}
