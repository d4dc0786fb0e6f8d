// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (see control.h for the protocol). Everything runs on
 * the daemon's event loop: the listener and every client are non-blocking
 * fds with an idle timer each. A client's reply is written before its next
 * request is read, so one slow reader costs only its own buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

struct ctl_client {
	struct ctl_client *next;
	struct edge_ctl *c;
	int fd;
	uid_t uid;
	struct edge_timer *timer;
	unsigned int nreqs;
	bool closing;		    /* close once out[] is written */
	bool eof;		    /* the client sent all it will: answer, then close */
	char in[EDGE_CTL_MAX_LINE]; /* bytes of requests not handled yet */
	size_t in_len;
	char *out; /* reply bytes not written yet */
	size_t out_len;
	size_t out_off;
};

struct ctl_section {
	char name[EDGE_CTL_NAME_LEN];
	edge_ctl_status_fn fn;
	void *arg;
};

struct edge_ctl {
	struct edge_ctl_cmd cmds[EDGE_CTL_MAX_CMDS];
	size_t n_cmds;
	struct ctl_section sections[EDGE_CTL_MAX_SECTIONS];
	size_t n_sections;
	struct edge_loop *loop;
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* of the socket file we bound, to unlink only ours */
	ino_t ino;
	unsigned int timeout_ms;
	struct ctl_client *clients;
	unsigned int nclients;
};

static const int json_flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

static bool valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return i > 0 && i < EDGE_CTL_NAME_LEN;
}

static int cmd_help(void *arg, const struct edge_ctl_req *req, struct json_object **data, char *err,
		    size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	*data = edge_ctl_commands(arg);
	return *data ? 0 : -ENOMEM;
}

struct edge_ctl *edge_ctl_new(void)
{
	struct edge_ctl *c = calloc(1, sizeof(*c));
	const struct edge_ctl_cmd help = {
		.name = "help",
		.help = "the commands this daemon knows",
		.fn = cmd_help,
	};

	if (!c)
		return NULL;
	c->lfd = -1;
	c->timeout_ms = EDGE_CTL_TIMEOUT_MS;
	c->cmds[0] = help;
	c->cmds[0].arg = c;
	c->n_cmds = 1;
	return c;
}

int edge_ctl_register(struct edge_ctl *c, const struct edge_ctl_cmd *cmd)
{
	size_t i;

	if (!cmd->name || !valid_name(cmd->name) || !cmd->fn || cmd->min_args < 0 ||
	    cmd->max_args < cmd->min_args || cmd->max_args > EDGE_CTL_MAX_ARGS)
		return -EINVAL;
	for (i = 0; i < c->n_cmds; i++) {
		if (!strcmp(c->cmds[i].name, cmd->name)) {
			c->cmds[i] = *cmd;
			return 0;
		}
	}
	if (c->n_cmds == EDGE_CTL_MAX_CMDS)
		return -ENOSPC;
	c->cmds[c->n_cmds++] = *cmd;
	return 0;
}

int edge_ctl_register_status(struct edge_ctl *c, const char *name, edge_ctl_status_fn fn, void *arg)
{
	struct ctl_section *s = NULL;
	size_t i;

	if (!name || !valid_name(name) || !fn)
		return -EINVAL;
	for (i = 0; i < c->n_sections; i++)
		if (!strcmp(c->sections[i].name, name))
			s = &c->sections[i];
	if (!s) {
		if (c->n_sections == EDGE_CTL_MAX_SECTIONS)
			return -ENOSPC;
		s = &c->sections[c->n_sections++];
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->fn = fn;
	s->arg = arg;
	return 0;
}

void edge_ctl_status_sections(struct edge_ctl *c, struct json_object *obj)
{
	struct json_object *v;
	size_t i;
	int ret;

	for (i = 0; i < c->n_sections; i++) {
		v = NULL;
		ret = c->sections[i].fn(c->sections[i].arg, &v);
		if (ret) {
			json_object_put(v);
			v = json_object_new_object();
			json_object_object_add(v, "error", json_object_new_string(strerror(-ret)));
		}
		json_object_object_add(obj, c->sections[i].name, v);
	}
}

struct json_object *edge_ctl_commands(struct edge_ctl *c)
{
	struct json_object *arr = json_object_new_array(), *o;
	size_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < c->n_cmds; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(c->cmds[i].name));
		json_object_object_add(o, "usage", json_object_new_string(c->cmds[i].usage ?: ""));
		json_object_object_add(o, "help", json_object_new_string(c->cmds[i].help ?: ""));
		json_object_array_add(arr, o);
	}
	return arr;
}

unsigned int edge_ctl_nclients(const struct edge_ctl *c)
{
	return c->nclients;
}

/* ---- requests ---- */

static int req_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int req_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A string safe to echo in a reply: printable ASCII, cut at 32 bytes. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < size && i < 32; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

static int parse_args(struct json_object *v, struct edge_ctl_req *req, char *err, size_t errlen)
{
	struct json_object *a;
	const char *s;
	size_t i, n, j;
	int len;

	if (!json_object_is_type(v, json_type_array))
		return req_err(err, errlen, "'args' must be a list of strings");
	n = json_object_array_length(v);
	if (n > EDGE_CTL_MAX_ARGS)
		return req_err(err, errlen, "'args' has %zu entries, at most %d allowed", n,
			       EDGE_CTL_MAX_ARGS);
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(v, i);
		if (!json_object_is_type(a, json_type_string))
			return req_err(err, errlen, "args[%zu] is not a string", i);
		s = json_object_get_string(a);
		len = json_object_get_string_len(a);
		if (len > EDGE_CTL_MAX_ARG_LEN)
			return req_err(err, errlen, "args[%zu] is longer than %d bytes", i,
				       EDGE_CTL_MAX_ARG_LEN);
		for (j = 0; j < (size_t)len; j++)
			if ((unsigned char)s[j] < 0x20 || s[j] == 0x7f)
				return req_err(err, errlen,
					       "args[%zu] contains a control character", i);
		req->argv[i] = s;
	}
	req->argc = n;
	return 0;
}

int edge_ctl_parse(const char *line, size_t len, struct edge_ctl_req *req, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	struct json_object *obj = NULL, *cmd = NULL, *args = NULL;
	struct json_object_iterator it, end;
	char buf[40];
	const char *key;
	size_t used;
	int ret;

	memset(req, 0, sizeof(*req));
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (!len)
		return req_err(err, errlen, "empty request");
	if (len >= EDGE_CTL_MAX_LINE)
		return req_err(err, errlen, "request longer than %d bytes", EDGE_CTL_MAX_LINE - 1);
	if (memchr(line, '\0', len))
		return req_err(err, errlen, "request contains a NUL byte");

	tok = json_tokener_new_ex(4); /* {"args": [...]} is as deep as it gets */
	if (!tok)
		return req_err(err, errlen, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		ret = req_err(err, errlen, "not JSON: %s",
			      jerr == json_tokener_continue ? "unexpected end of line"
							    : json_tokener_error_desc(jerr));
		goto err;
	}
	for (; used < len; used++) {
		if (line[used] != ' ' && line[used] != '\t') {
			ret = req_err(err, errlen, "not JSON: trailing bytes after the request");
			goto err;
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		ret = req_err(err, errlen, "a request is a JSON object like {\"cmd\": \"status\"}");
		goto err;
	}
	it = json_object_iter_begin(obj);
	end = json_object_iter_end(obj);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		if (!strcmp(key, "cmd")) {
			cmd = json_object_iter_peek_value(&it);
		} else if (!strcmp(key, "args")) {
			args = json_object_iter_peek_value(&it);
		} else {
			ret = req_err(err, errlen, "unknown key '%s' (expected cmd, args)",
				      shown(key, buf, sizeof(buf)));
			goto err;
		}
	}
	if (!cmd) {
		ret = req_err(err, errlen, "'cmd' is missing");
		goto err;
	}
	if (!json_object_is_type(cmd, json_type_string) ||
	    json_object_get_string_len(cmd) >= EDGE_CTL_NAME_LEN ||
	    !valid_name(json_object_get_string(cmd))) {
		ret = req_err(err, errlen, "'cmd' must be a command name ([a-z0-9_-], 1..%d bytes)",
			      EDGE_CTL_NAME_LEN - 1);
		goto err;
	}
	strcpy(req->cmd, json_object_get_string(cmd));
	if (args) {
		ret = parse_args(args, req, err, errlen);
		if (ret)
			goto err;
	}
	req->obj = obj;
	return 0;

err:
	json_object_put(obj);
	memset(req, 0, sizeof(*req));
	return ret;
}

void edge_ctl_req_free(struct edge_ctl_req *req)
{
	json_object_put(req->obj);
	memset(req, 0, sizeof(*req));
}

static char *reply_string(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, json_flags);
	char *r = s ? strdup(s) : NULL;

	json_object_put(o);
	return r;
}

char *edge_ctl_reply_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	if (!o)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return reply_string(o);
}

static const struct edge_ctl_cmd *find_cmd(struct edge_ctl *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_cmds; i++)
		if (!strcmp(c->cmds[i].name, name))
			return &c->cmds[i];
	return NULL;
}

char *edge_ctl_handle_line(struct edge_ctl *c, const char *line, size_t len)
{
	const struct edge_ctl_cmd *cmd;
	struct edge_ctl_req req;
	struct json_object *o, *data = NULL;
	char err[1024];
	int ret;

	err[0] = '\0';
	if (edge_ctl_parse(line, len, &req, err, sizeof(err)))
		return edge_ctl_reply_error("bad request: %s", err);
	cmd = find_cmd(c, req.cmd);
	if (!cmd) {
		o = (void *)edge_ctl_reply_error("unknown command '%s' (try 'help')", req.cmd);
		edge_ctl_req_free(&req);
		return (char *)o;
	}
	if (req.argc < cmd->min_args || req.argc > cmd->max_args) {
		edge_ctl_req_free(&req);
		return edge_ctl_reply_error("usage: %s%s%s", cmd->name, cmd->usage ? " " : "",
					    cmd->usage ?: "");
	}
	ret = cmd->fn(cmd->arg, &req, &data, err, sizeof(err));
	edge_ctl_req_free(&req);
	if (ret) {
		json_object_put(data);
		return edge_ctl_reply_error("%s: %s", cmd->name,
					    err[0] ? err : strerror(ret < 0 ? -ret : ret));
	}
	o = json_object_new_object();
	if (!o) {
		json_object_put(data);
		return NULL;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (data)
		json_object_object_add(o, "data", data);
	return reply_string(o);
}

/* ---- the socket ---- */

static void client_close(struct ctl_client *cl)
{
	struct edge_ctl *c = cl->c;
	struct ctl_client **p;

	for (p = &c->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	c->nclients--;
	edge_loop_del_fd(c->loop, cl->fd);
	edge_loop_timer_del(c->loop, cl->timer);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

/* Queue a reply line; false if out of memory. */
static bool client_queue(struct ctl_client *cl, char *reply)
{
	size_t n;
	char *buf;

	if (!reply)
		return false;
	n = strlen(reply);
	if (cl->out_off == cl->out_len)
		cl->out_off = cl->out_len = 0;
	buf = realloc(cl->out, cl->out_len + n + 1);
	if (!buf) {
		free(reply);
		return false;
	}
	memcpy(buf + cl->out_len, reply, n);
	buf[cl->out_len + n] = '\n';
	cl->out = buf;
	cl->out_len += n + 1;
	free(reply);
	return true;
}

/* Write what we can. -errno if the client is gone. */
static int client_flush(struct ctl_client *cl)
{
	ssize_t n;

	while (cl->out_off < cl->out_len) {
		n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		cl->out_off += n;
		edge_loop_timer_arm(cl->c->loop, cl->timer, cl->c->timeout_ms);
	}
	free(cl->out);
	cl->out = NULL;
	cl->out_off = cl->out_len = 0;
	return 0;
}

static bool client_pending(const struct ctl_client *cl)
{
	return cl->out_off < cl->out_len;
}

/* Handle complete lines while nothing waits to be written. */
static void client_handle(struct ctl_client *cl)
{
	char *nl;
	size_t n;

	while (!cl->closing && !client_pending(cl) && (nl = memchr(cl->in, '\n', cl->in_len))) {
		n = nl - cl->in;
		if (++cl->nreqs > EDGE_CTL_MAX_REQS) {
			client_queue(cl, edge_ctl_reply_error("more than %d requests on one "
							      "connection; reconnect",
							      EDGE_CTL_MAX_REQS));
			cl->closing = true;
			break;
		}
		if (!client_queue(cl, edge_ctl_handle_line(cl->c, cl->in, n))) {
			cl->closing = true;
			break;
		}
		memmove(cl->in, nl + 1, cl->in_len - n - 1);
		cl->in_len -= n + 1;
		if (client_flush(cl)) {
			cl->closing = true;
			cl->out_off = cl->out_len;
		}
	}
	if (!cl->closing && cl->in_len == sizeof(cl->in) && !client_pending(cl)) {
		client_queue(cl, edge_ctl_reply_error("bad request: request longer than %d bytes",
						      EDGE_CTL_MAX_LINE - 1));
		cl->closing = true;
	}
}

/* After any event: write, decide what to wait for, or close. */
static void client_update(struct ctl_client *cl)
{
	if (client_flush(cl)) {
		client_close(cl);
		return;
	}
	if (client_pending(cl)) {
		edge_loop_mod_fd(cl->c->loop, cl->fd, EPOLLOUT);
		return;
	}
	if (cl->closing || cl->eof) {
		client_close(cl);
		return;
	}
	edge_loop_mod_fd(cl->c->loop, cl->fd, EPOLLIN | EPOLLRDHUP);
}

static void on_client(struct edge_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_client *cl = arg;
	bool eof = false;
	ssize_t n;

	(void)loop;
	if (events & EPOLLERR) {
		client_close(cl);
		return;
	}
	if (events & EPOLLOUT) {
		if (client_flush(cl)) {
			client_close(cl);
			return;
		}
		client_handle(cl); /* lines that waited for the reply to go out */
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
		while (!cl->closing && !cl->eof && cl->in_len < sizeof(cl->in) &&
		       !client_pending(cl)) {
			n = recv(fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len,
				 MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				eof = true;
				break;
			}
			cl->in_len += n;
			edge_loop_timer_arm(loop, cl->timer, cl->c->timeout_ms);
			client_handle(cl);
		}
	}
	if (eof) {
		/*
		 * A client that shut down its side (echo ... | socat) still
		 * gets every reply: the complete lines are answered as their
		 * replies drain, then it is closed; a half line is dropped.
		 */
		cl->eof = true;
		client_handle(cl);
	}
	client_update(cl);
}

static void on_client_timeout(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct ctl_client *cl = arg;

	(void)loop, (void)t;
	cl->timer = NULL; /* a one-shot timer: freed by the loop after this */
	if (!client_pending(cl))
		client_queue(cl,
			     edge_ctl_reply_error("idle for %u ms; closing", cl->c->timeout_ms));
	client_flush(cl);
	client_close(cl);
}

/* Refuse a connection with one error line, never blocking. */
static void refuse(int fd, const char *why)
{
	char *r = edge_ctl_reply_error("%s", why);

	if (r) {
		size_t n = strlen(r);

		r[n] = '\n'; /* the NUL goes; send() takes the length */
		(void)!send(fd, r, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(r);
	}
	close(fd);
}

static void on_listen(struct edge_loop *loop, int lfd, uint32_t events, void *arg)
{
	struct edge_ctl *c = arg;
	struct ctl_client *cl;
	struct ucred cred;
	socklen_t clen;
	int fd, i;

	(void)events;
	for (i = 0; i < 16; i++) { /* bounded: other fds get their turn */
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				pr_warn("control: accept: %s\n", strerror(errno));
			return;
		}
		clen = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
			pr_warn("control: SO_PEERCRED: %s\n", strerror(errno));
			close(fd);
			continue;
		}
		if (cred.uid != 0) {
			pr_info("control: refused uid %u (pid %d): root only\n", (unsigned)cred.uid,
				(int)cred.pid);
			refuse(fd, "permission denied: the control socket is for root only");
			continue;
		}
		if (c->nclients >= EDGE_CTL_MAX_CLIENTS) {
			pr_warn("control: %u clients connected, refusing one more\n", c->nclients);
			refuse(fd, "too many clients; try again later");
			continue;
		}
		cl = calloc(1, sizeof(*cl));
		if (!cl) {
			close(fd);
			continue;
		}
		cl->c = c;
		cl->fd = fd;
		cl->uid = cred.uid;
		cl->timer = edge_loop_timer_add(loop, c->timeout_ms, 0, on_client_timeout, cl);
		if (!cl->timer || edge_loop_add_fd(loop, fd, EPOLLIN | EPOLLRDHUP, on_client, cl)) {
			edge_loop_timer_del(loop, cl->timer);
			close(fd);
			free(cl);
			continue;
		}
		cl->next = c->clients;
		c->clients = cl;
		c->nclients++;
	}
}

/* mkdir -p for the socket's directory; new directories are 0700. */
static int make_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *p;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char save = *p;

		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			snprintf(err, errlen, "control socket: cannot create %s: %s", dir,
				 strerror(errno));
			return -errno;
		}
		*p = save;
		if (!save)
			break;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "control socket: %s is not a directory", dir);
		return -ENOTDIR;
	}
	return 0;
}

/* A socket file left by a dead daemon goes; a live daemon's stays. */
static int clear_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket: %s exists and is not a socket",
			 sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (!ret) {
		snprintf(err, errlen, "control socket: %s is in use (is another anyedged running?)",
			 sa->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(sa->sun_path) && errno != ENOENT) {
		snprintf(err, errlen, "control socket: cannot remove stale %s: %s", sa->sun_path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* Listen on fd (bound at path, whose stat is st) from now on. 0 or -errno. */
static int serve(struct edge_ctl *c, struct edge_loop *loop, int fd, const struct stat *st,
		 const char *path, unsigned int timeout_ms, char *err, size_t errlen)
{
	int ret = edge_loop_add_fd(loop, fd, EPOLLIN, on_listen, c);

	if (ret) {
		snprintf(err, errlen, "control socket: event loop: %s", strerror(-ret));
		return ret;
	}
	c->loop = loop;
	c->lfd = fd;
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->timeout_ms = timeout_ms ?: EDGE_CTL_TIMEOUT_MS;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

int edge_ctl_listen(struct edge_ctl *c, struct edge_loop *loop, const char *path,
		    unsigned int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd, ret;

	if (c->lfd >= 0)
		return -EALREADY;
	if (!path || path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen,
			 "control socket: '%s' is not an absolute path of at most %zu "
			 "bytes",
			 path ?: "", sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	strcpy(sa.sun_path, path);
	ret = make_dir(path, err, errlen);
	if (ret)
		return ret;
	ret = clear_stale(&sa, err, errlen);
	if (ret) {
		if (!err[0])
			snprintf(err, errlen, "control socket: %s: %s", path, strerror(-ret));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return ret;
	}
	old = umask(0177); /* the file is born 0600: no window for others */
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (ret) {
		snprintf(err, errlen, "control socket: bind %s: %s", path, strerror(-ret));
		goto err_close;
	}
	if (chmod(path, 0600) || stat(path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "control socket: %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	if (listen(fd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "control socket: listen %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	ret = serve(c, loop, fd, &st, path, timeout_ms, err, errlen);
	if (ret)
		goto err_unlink;
	return 0;

err_unlink:
	unlink(path);
err_close:
	close(fd);
	return ret;
}

int edge_ctl_take_fd(struct edge_ctl *c)
{
	int fd = c->lfd;

	if (fd < 0)
		return -ENOENT;
	while (c->clients)
		client_close(c->clients);
	edge_loop_del_fd(c->loop, fd);
	c->lfd = -1; /* and edge_ctl_free() leaves the file alone */
	return fd;
}

int edge_ctl_adopt(struct edge_ctl *c, struct edge_loop *loop, int fd, const char *path,
		   unsigned int timeout_ms, char *err, size_t errlen)
{
	int val = 0, ret;
	socklen_t len = sizeof(val);
	struct stat st;

	if (c->lfd >= 0)
		return -EALREADY;
	if (!path || strlen(path) >= sizeof(c->path)) {
		snprintf(err, errlen, "control socket: bad path");
		return -EINVAL;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &val, &len) || val != AF_UNIX ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) || !val) {
		snprintf(err, errlen, "control socket: fd %d is not a listening unix socket", fd);
		return -ENOTSOCK;
	}
	if (stat(path, &st) || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket: %s is not a socket", path);
		return -ENOENT;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return ret;
	}
	return serve(c, loop, fd, &st, path, timeout_ms, err, errlen);
}

void edge_ctl_free(struct edge_ctl *c)
{
	struct stat st;

	if (!c)
		return;
	while (c->clients)
		client_close(c->clients);
	if (c->lfd >= 0) {
		edge_loop_del_fd(c->loop, c->lfd);
		close(c->lfd);
		/* Only our own file: a successor may have bound the path by now. */
		if (!stat(c->path, &st) && st.st_dev == c->dev && st.st_ino == c->ino)
			unlink(c->path);
	}
	free(c);
}
