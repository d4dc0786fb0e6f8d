// SPDX-License-Identifier: GPL-2.0
/*
 * BIRD control-socket client: the reply parser, the persistent client the
 * daemon drives from its epoll loop, and a blocking one-shot helper.
 * See route_bird.h for the protocol and the API.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "route_bird.h"

#define BIRD_READ_BUDGET (64 * 1024) /* bytes per handle_readable call */

/* Reply parser */

void edge_bird_reply_free(struct edge_bird_reply *r)
{
	size_t i;

	for (i = 0; i < r->n_lines; i++)
		free(r->lines[i].text);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

bool edge_bird_reply_is_error(const struct edge_bird_reply *r)
{
	enum edge_bird_class class = edge_bird_reply_class(r);

	return class == EDGE_BIRD_CLASS_RUNTIME || class == EDGE_BIRD_CLASS_PARSE;
}

bool edge_bird_reply_has(const struct edge_bird_reply *r, int code)
{
	size_t i;

	for (i = 0; i < r->n_lines; i++)
		if (r->lines[i].code == code)
			return true;
	return false;
}

const char *edge_bird_reply_msg(const struct edge_bird_reply *r)
{
	size_t i = r->n_lines;

	while (i--)
		if (r->lines[i].text[0])
			return r->lines[i].text;
	return "";
}

/* "CODE text" of the last non-empty line (else the last line), for messages. */
static const char *reply_summary(const struct edge_bird_reply *r, char *buf, size_t size)
{
	size_t i = r->n_lines;

	while (i--)
		if (r->lines[i].text[0])
			break;
	if (i < r->n_lines)
		snprintf(buf, size, "%04d %s", r->lines[i].code, r->lines[i].text);
	else
		snprintf(buf, size, "%04d", r->code);
	return buf;
}

void edge_bird_parser_init(struct edge_bird_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->last_code = -1;
}

void edge_bird_parser_free(struct edge_bird_parser *p)
{
	edge_bird_reply_free(&p->cur);
	edge_bird_parser_init(p);
}

/* Up to 40 bytes of s, non-printable bytes as \xNN, for messages. */
static void quote(char *dst, size_t size, const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && i < 40 && n + 5 < size; i++) {
		unsigned char ch = s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			dst[n++] = ch;
		else
			n += snprintf(dst + n, size - n, "\\x%02x", ch);
	}
	if (i < len && n + 4 < size) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

__attribute__((format(printf, 2, 3))) static int parse_fail(struct edge_bird_parser *p,
							    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
	p->err = -EBADMSG;
	return p->err;
}

static int add_line(struct edge_bird_parser *p, int code, const char *text, size_t len)
{
	struct edge_bird_reply *r = &p->cur;
	char *copy;

	if (p->cur_bytes + len > EDGE_BIRD_REPLY_MAX)
		return parse_fail(p, "line %lu: reply longer than %d bytes", p->line_no,
				  EDGE_BIRD_REPLY_MAX);
	if (r->n_lines == p->lines_cap) {
		size_t cap = p->lines_cap ? 2 * p->lines_cap : 8;
		struct edge_bird_line *lines = realloc(r->lines, cap * sizeof(*lines));

		if (!lines)
			goto err_nomem;
		r->lines = lines;
		p->lines_cap = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		goto err_nomem;
	memcpy(copy, text, len);
	copy[len] = '\0';
	r->lines[r->n_lines].code = code;
	r->lines[r->n_lines].text = copy;
	r->n_lines++;
	p->cur_bytes += len;
	return 0;

err_nomem:
	snprintf(p->errmsg, sizeof(p->errmsg), "out of memory");
	p->err = -ENOMEM;
	return p->err;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* p->line holds one line without its newline. 1: a reply is complete. */
static int parse_line(struct edge_bird_parser *p, struct edge_bird_reply *reply)
{
	const char *s = p->line;
	size_t len = p->line_len;
	char shown[200];
	int code, ret;

	if (memchr(s, '\0', len))
		return parse_fail(p, "line %lu: NUL byte in line", p->line_no);
	if (!len)
		return parse_fail(p, "line %lu: empty line", p->line_no);
	if (s[0] == '+') /* asynchronous message (`echo`): not ours */
		return 0;
	if (s[0] == ' ') {
		if (p->last_code < 0)
			return parse_fail(p, "line %lu: continuation line outside a reply",
					  p->line_no);
		return add_line(p, p->last_code, s + 1, len - 1);
	}
	if (len < 5 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3]) ||
	    (s[4] != '-' && s[4] != ' ')) {
		quote(shown, sizeof(shown), s, len);
		return parse_fail(p, "line %lu: no 4-digit code and '-' or ' ': \"%s\"", p->line_no,
				  shown);
	}
	code = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	ret = add_line(p, code, s + 5, len - 5);
	if (ret)
		return ret;
	if (s[4] == '-') {
		p->last_code = code;
		return 0;
	}

	p->cur.code = code;
	*reply = p->cur;
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur_bytes = 0;
	p->lines_cap = 0;
	p->last_code = -1;
	return 1;
}

int edge_bird_parse(struct edge_bird_parser *p, const char *data, size_t len, size_t *used,
		    struct edge_bird_reply *reply)
{
	size_t off = 0;
	int ret;

	*used = 0;
	if (p->err)
		return p->err;
	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t n = (nl ? (size_t)(nl - data) : len) - off;

		if (p->line_len + n > EDGE_BIRD_LINE_MAX) {
			*used = off;
			return parse_fail(p, "line %lu: longer than %d bytes", p->line_no + 1,
					  EDGE_BIRD_LINE_MAX);
		}
		memcpy(p->line + p->line_len, data + off, n);
		p->line_len += n;
		off += n;
		if (!nl)
			break;
		off++;
		p->line[p->line_len] = '\0';
		p->line_no++;
		ret = parse_line(p, reply);
		p->line_len = 0;
		if (ret) {
			*used = off;
			return ret;
		}
	}
	*used = off;
	return 0;
}

/* Shared by both clients */

static bool valid_proto_name(const char *name)
{
	size_t i;

	if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
	      name[0] == '_'))
		return false;
	for (i = 1; name[i]; i++) {
		char ch = name[i];

		if (i >= EDGE_BIRD_NAME_MAX)
			return false;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || is_digit(ch) ||
		      ch == '_'))
			return false;
	}
	return true;
}

static int fill_addr(struct sockaddr_un *addr, const char *path)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	strcpy(addr->sun_path, path);
	return 0;
}

/* Persistent client */

const char *edge_bird_state_str(enum edge_bird_state state)
{
	switch (state) {
	case EDGE_BIRD_ANNOUNCED:
		return "announced";
	case EDGE_BIRD_WITHDRAWN:
		return "withdrawn";
	case EDGE_BIRD_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

int edge_bird_client_init(struct edge_bird_client *c, const char *path,
			  const struct edge_bird_opts *opts)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->inflight = -1;
	if (!path)
		path = EDGE_BIRD_SOCKET;
	if (strlen(path) >= sizeof(c->path)) {
		pr_warn("bird control socket %s: path longer than %zu bytes\n", path,
			sizeof(c->path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(c->path, path);
	if (opts)
		c->opts = *opts;
	if (!c->opts.reassert_ms)
		c->opts.reassert_ms = 1000;
	if (!c->opts.reply_timeout_ms)
		c->opts.reply_timeout_ms = 5000;
	if (!c->opts.backoff_min_ms)
		c->opts.backoff_min_ms = 100;
	if (!c->opts.backoff_max_ms)
		c->opts.backoff_max_ms = 5000;
	if (c->opts.backoff_max_ms < c->opts.backoff_min_ms)
		c->opts.backoff_max_ms = c->opts.backoff_min_ms;
	c->backoff_ms = c->opts.backoff_min_ms;
	edge_bird_parser_init(&c->parser);
	return 0;
}

void edge_bird_client_free(struct edge_bird_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	edge_bird_parser_free(&c->parser);
	free(c->protos);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->inflight = -1;
}

static struct edge_bird_proto *find_proto(const struct edge_bird_client *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_protos; i++)
		if (!strcmp(c->protos[i].name, name))
			return &c->protos[i];
	return NULL;
}

/*
 * Close the connection (if any), forget what BIRD confirmed and schedule
 * the next attempt. The message goes to c->error, and to the log unless it
 * repeats the previous failed attempt's. Returns err.
 */
__attribute__((format(printf, 3, 4))) static int conn_drop(struct edge_bird_client *c, int err,
							   const char *fmt, ...)
{
	bool was_up = c->conn != EDGE_BIRD_DOWN;
	char msg[sizeof(c->error)];
	va_list ap;
	size_t i;
	int n;

	n = snprintf(msg, sizeof(msg), "bird control socket %s: ", c->path);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	if (was_up || !c->had_error || strcmp(msg, c->error))
		pr_warn("%s\n", msg);
	strcpy(c->error, msg);
	c->had_error = true;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->conn = EDGE_BIRD_DOWN;
	edge_bird_parser_free(&c->parser);
	c->out_len = 0;
	c->out_off = 0;
	c->inflight = -1;
	for (i = 0; i < c->n_protos; i++) {
		if (c->protos[i].state != EDGE_BIRD_UNKNOWN)
			pr_info("bird: %s: unknown (no control socket)\n", c->protos[i].name);
		c->protos[i].state = EDGE_BIRD_UNKNOWN;
		c->protos[i].dirty = false;
	}
	c->next_connect = c->now + c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > c->opts.backoff_max_ms ? c->opts.backoff_max_ms
								   : c->backoff_ms * 2;
	return err;
}

static int conn_open(struct edge_bird_client *c)
{
	struct sockaddr_un addr;
	int fd, err;

	err = fill_addr(&addr, c->path);
	if (err)
		return conn_drop(c, err, "path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		return conn_drop(c, err, "socket failed: %s", strerror(-err));
	}
	/* A unix stream connect completes at once or fails (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		close(fd);
		return conn_drop(c, err, "connect failed: %s", strerror(-err));
	}
	c->fd = fd;
	c->conn = EDGE_BIRD_GREETING;
	c->deadline = c->now + c->opts.reply_timeout_ms;
	return 0;
}

static int flush_out(struct edge_bird_client *c)
{
	ssize_t n;
	int err;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0; /* the caller polls for writing */
			err = -errno;
			return conn_drop(c, err, "write failed: %s", strerror(-err));
		}
		c->out_off += n;
	}
	return 0;
}

/* If idle, send the first protocol's command that is due. */
static int send_next(struct edge_bird_client *c)
{
	struct edge_bird_proto *p = NULL;
	size_t i;

	if (c->conn != EDGE_BIRD_IDLE)
		return 0;
	for (i = 0; i < c->n_protos && !p; i++)
		if (c->protos[i].dirty)
			p = &c->protos[i];
	if (!p)
		return 0;

	p->dirty = false;
	c->inflight = p - c->protos;
	c->inflight_announce = p->wanted;
	c->out_len = snprintf(c->out, sizeof(c->out), "%s %s\n", p->wanted ? "enable" : "disable",
			      p->name);
	c->out_off = 0;
	c->conn = EDGE_BIRD_BUSY;
	c->deadline = c->now + c->opts.reply_timeout_ms;
	return flush_out(c);
}

static int start_round(struct edge_bird_client *c)
{
	size_t i;

	for (i = 0; i < c->n_protos; i++)
		c->protos[i].dirty = true;
	c->next_round = c->now + c->opts.reassert_ms;
	return send_next(c);
}

/* A reply to `enable NAME` / `disable NAME`, judged by its codes. */
static void command_done(struct edge_bird_client *c, const struct edge_bird_reply *r)
{
	bool announce = c->inflight_announce;
	const char *cmd = announce ? "enable" : "disable";
	enum edge_bird_state want = announce ? EDGE_BIRD_ANNOUNCED : EDGE_BIRD_WITHDRAWN;
	int changed = announce ? EDGE_BIRD_ENABLED : EDGE_BIRD_DISABLED;
	int already = announce ? EDGE_BIRD_ALREADY_EN : EDGE_BIRD_ALREADY_DIS;
	struct edge_bird_proto *p;
	enum edge_bird_state old;
	char error[sizeof(p->error)], sum[160];

	if (c->inflight < 0) /* forgotten while in flight */
		return;
	p = &c->protos[c->inflight];
	c->inflight = -1;
	old = p->state;

	if (!edge_bird_reply_is_error(r) && edge_bird_reply_has(r, changed)) {
		/* It was in the other state: someone (configure, a restart) reset it. */
		if (old == want) {
			p->drifts++;
			pr_warn("bird: %s: BIRD had it %s, %s it again (reconfigured?)\n", p->name,
				announce ? "disabled" : "enabled", cmd);
		}
		p->state = want;
	} else if (!edge_bird_reply_is_error(r) && edge_bird_reply_has(r, already)) {
		p->state = want;
	} else {
		snprintf(error, sizeof(error), "%s %s: %s%s", cmd, p->name,
			 edge_bird_reply_is_error(r) ? "" : "unexpected reply ",
			 reply_summary(r, sum, sizeof(sum)));
		if (old != EDGE_BIRD_ERROR || strcmp(error, p->error))
			pr_warn("bird control socket %s: %s\n", c->path, error);
		strcpy(p->error, error);
		p->state = EDGE_BIRD_ERROR;
		return;
	}
	p->error[0] = '\0';
	if (p->state != old)
		pr_info("bird: %s: %s\n", p->name, edge_bird_state_str(p->state));
}

static int on_reply(struct edge_bird_client *c, const struct edge_bird_reply *r)
{
	char sum[160];

	switch (c->conn) {
	case EDGE_BIRD_GREETING:
		if (r->code != EDGE_BIRD_READY)
			return conn_drop(c, -EPROTO, "unexpected greeting \"%s\"",
					 reply_summary(r, sum, sizeof(sum)));
		if (c->had_error)
			pr_info("bird control socket %s: connected\n", c->path);
		c->had_error = false;
		c->error[0] = '\0';
		c->conn = EDGE_BIRD_IDLE;
		if (!c->n_protos)
			c->backoff_ms = c->opts.backoff_min_ms;
		return start_round(c);
	case EDGE_BIRD_BUSY:
		if (c->out_off < c->out_len)
			return conn_drop(c, -EPROTO, "reply \"%s\" before the command was sent",
					 reply_summary(r, sum, sizeof(sum)));
		/* A session that answers a command is healthy: reconnect fast next time. */
		c->backoff_ms = c->opts.backoff_min_ms;
		command_done(c, r);
		c->conn = EDGE_BIRD_IDLE;
		return send_next(c);
	default:
		return conn_drop(c, -EPROTO, "unexpected reply \"%s\"",
				 reply_summary(r, sum, sizeof(sum)));
	}
}

static int feed(struct edge_bird_client *c, const char *data, size_t len)
{
	struct edge_bird_reply reply;
	size_t used;
	int ret;

	while (len) {
		ret = edge_bird_parse(&c->parser, data, len, &used, &reply);
		if (ret < 0)
			return conn_drop(c, ret, "bad reply: %s", c->parser.errmsg);
		data += used;
		len -= used;
		if (ret == 1) {
			ret = on_reply(c, &reply);
			edge_bird_reply_free(&reply);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int edge_bird_client_handle_readable(struct edge_bird_client *c, __u64 now)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	int ret;

	c->now = now;
	while (c->fd >= 0 && total < BIRD_READ_BUDGET) {
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			ret = -errno;
			return conn_drop(c, ret, "read failed: %s", strerror(-ret));
		}
		if (!n)
			return conn_drop(c, -ECONNRESET, "connection closed by BIRD");
		total += n;
		ret = feed(c, buf, n);
		if (ret)
			return ret;
	}
	return 0;
}

int edge_bird_client_handle_writable(struct edge_bird_client *c, __u64 now)
{
	c->now = now;
	if (c->fd < 0)
		return 0;
	return flush_out(c);
}

int edge_bird_client_tick(struct edge_bird_client *c, __u64 now)
{
	c->now = now;
	switch (c->conn) {
	case EDGE_BIRD_DOWN:
		if (now < c->next_connect)
			return 0;
		return conn_open(c);
	case EDGE_BIRD_GREETING:
		if (now < c->deadline)
			return 0;
		return conn_drop(c, -ETIMEDOUT, "no greeting within %u ms",
				 c->opts.reply_timeout_ms);
	case EDGE_BIRD_BUSY:
		if (now < c->deadline)
			return 0;
		c->out[c->out_len ? c->out_len - 1 : 0] = '\0'; /* the newline */
		return conn_drop(c, -ETIMEDOUT, "no reply to '%s' within %u ms", c->out,
				 c->opts.reply_timeout_ms);
	case EDGE_BIRD_IDLE:
		if (now < c->next_round)
			return 0;
		return start_round(c);
	}
	return 0;
}

__u64 edge_bird_client_next_tick(const struct edge_bird_client *c)
{
	switch (c->conn) {
	case EDGE_BIRD_DOWN:
		return c->next_connect;
	case EDGE_BIRD_IDLE:
		return c->next_round;
	default:
		return c->deadline;
	}
}

int edge_bird_set_wanted(struct edge_bird_client *c, const char *proto_name, bool announce)
{
	struct edge_bird_proto *p;

	char shown[200];

	if (!valid_proto_name(proto_name)) {
		quote(shown, sizeof(shown), proto_name, strlen(proto_name));
		pr_warn("bird: protocol name \"%s\" is not a BIRD symbol ([A-Za-z_][A-Za-z0-9_]*, "
			"up to %d)\n",
			shown, EDGE_BIRD_NAME_MAX);
		return -EINVAL;
	}
	p = find_proto(c, proto_name);
	if (p && p->wanted == announce)
		return 0; /* the next round re-asserts it anyway */
	if (!p) {
		if (c->n_protos == c->cap_protos) {
			size_t cap = c->cap_protos ? 2 * c->cap_protos : 8;
			struct edge_bird_proto *protos = realloc(c->protos, cap * sizeof(*protos));

			if (!protos)
				return -ENOMEM;
			c->protos = protos;
			c->cap_protos = cap;
		}
		p = &c->protos[c->n_protos++];
		memset(p, 0, sizeof(*p));
		strcpy(p->name, proto_name);
	}
	p->wanted = announce;
	p->dirty = c->conn != EDGE_BIRD_DOWN;
	/* A lost connection here is already handled: it reconnects. */
	send_next(c);
	return 0;
}

int edge_bird_forget(struct edge_bird_client *c, const char *proto_name)
{
	struct edge_bird_proto *p = find_proto(c, proto_name);
	long i;

	if (!p)
		return -ENOENT;
	i = p - c->protos;
	if (c->inflight == i)
		c->inflight = -1;
	else if (c->inflight > i)
		c->inflight--;
	memmove(p, p + 1, (c->n_protos - i - 1) * sizeof(*p));
	c->n_protos--;
	return 0;
}

const struct edge_bird_proto *edge_bird_proto_get(const struct edge_bird_client *c,
						  const char *proto_name)
{
	return find_proto(c, proto_name);
}

enum edge_bird_state edge_bird_state(const struct edge_bird_client *c, const char *proto_name)
{
	const struct edge_bird_proto *p = find_proto(c, proto_name);

	return p ? p->state : EDGE_BIRD_UNKNOWN;
}

/* One-shot blocking command */

struct cmd_conn {
	const char *path;
	const char *cmd;
	int timeout_ms;
	int fd;
	__u64 deadline;
	struct edge_bird_parser parser;
	char buf[4096]; /* read but not yet parsed */
	size_t off;
	size_t len;
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4))) static int cmd_fail(const struct cmd_conn *cc, int err,
							  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("bird control socket %s: %s\n", cc->path, msg);
	return err;
}

/* Wait for events on cc->fd until the deadline: 0, or -ETIMEDOUT / -errno. */
static int cmd_wait(struct cmd_conn *cc, short events)
{
	struct pollfd pfd = {.fd = cc->fd, .events = events};
	__u64 now;
	int n;

	for (;;) {
		now = now_ms();
		if (now >= cc->deadline)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(cc->deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Read one reply; greeting: the greeting, else the reply to cc->cmd. */
static int cmd_read_reply(struct cmd_conn *cc, struct edge_bird_reply *reply, bool greeting)
{
	size_t used;
	ssize_t n;
	int ret;

	for (;;) {
		while (cc->off < cc->len) {
			ret = edge_bird_parse(&cc->parser, cc->buf + cc->off, cc->len - cc->off,
					      &used, reply);
			cc->off += used;
			if (ret < 0)
				return cmd_fail(cc, ret, "bad reply: %s", cc->parser.errmsg);
			if (ret == 1)
				return 0;
		}
		cc->off = 0;
		cc->len = 0;
		n = read(cc->fd, cc->buf, sizeof(cc->buf));
		if (n > 0) {
			cc->len = n;
			continue;
		}
		if (!n && greeting)
			return cmd_fail(cc, -ECONNRESET, "connection closed before the greeting");
		if (!n)
			return cmd_fail(cc, -ECONNRESET,
					"connection closed before the reply to '%s'", cc->cmd);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			ret = -errno;
			return cmd_fail(cc, ret, "read failed: %s", strerror(-ret));
		}
		ret = cmd_wait(cc, POLLIN);
		if (ret == -ETIMEDOUT && greeting)
			return cmd_fail(cc, ret, "no greeting within %d ms", cc->timeout_ms);
		if (ret == -ETIMEDOUT)
			return cmd_fail(cc, ret, "no reply to '%s' within %d ms", cc->cmd,
					cc->timeout_ms);
		if (ret)
			return cmd_fail(cc, ret, "poll failed: %s", strerror(-ret));
	}
}

static int cmd_write(struct cmd_conn *cc, const char *data, size_t len)
{
	ssize_t n;
	int ret;

	while (len) {
		n = send(cc->fd, data, len, MSG_NOSIGNAL);
		if (n >= 0) {
			data += n;
			len -= n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			ret = -errno;
			return cmd_fail(cc, ret, "write failed: %s", strerror(-ret));
		}
		ret = cmd_wait(cc, POLLOUT);
		if (ret == -ETIMEDOUT)
			return cmd_fail(cc, ret, "could not send '%s' within %d ms", cc->cmd,
					cc->timeout_ms);
		if (ret)
			return cmd_fail(cc, ret, "poll failed: %s", strerror(-ret));
	}
	return 0;
}

int edge_bird_command(const char *path, const char *cmd, struct edge_bird_reply *reply,
		      int timeout_ms)
{
	struct edge_bird_reply greeting = {0};
	struct sockaddr_un addr;
	char sum[160];
	struct cmd_conn *cc;
	char *line = NULL;
	size_t len;
	int ret;

	memset(reply, 0, sizeof(*reply));
	if (!path)
		path = EDGE_BIRD_SOCKET;
	len = strlen(cmd);
	if (!len || len >= EDGE_BIRD_LINE_MAX || strchr(cmd, '\n')) {
		pr_warn("bird control socket %s: command must be one line of 1-%d bytes\n", path,
			EDGE_BIRD_LINE_MAX - 1);
		return -EINVAL;
	}
	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return -ENOMEM;
	cc->path = path;
	cc->cmd = cmd;
	cc->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	cc->fd = -1;
	cc->deadline = now_ms() + cc->timeout_ms;
	edge_bird_parser_init(&cc->parser);

	ret = fill_addr(&addr, path);
	if (ret) {
		cmd_fail(cc, ret, "path longer than %zu bytes", sizeof(addr.sun_path) - 1);
		goto out_free;
	}
	line = malloc(len + 1);
	if (!line) {
		ret = -ENOMEM;
		goto out_free;
	}
	memcpy(line, cmd, len);
	line[len] = '\n';

	cc->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cc->fd < 0) {
		ret = -errno;
		cmd_fail(cc, ret, "socket failed: %s", strerror(-ret));
		goto out_free;
	}
	if (connect(cc->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		cmd_fail(cc, ret, "connect failed: %s", strerror(-ret));
		goto out_close;
	}
	ret = cmd_read_reply(cc, &greeting, true);
	if (ret)
		goto out_close;
	if (greeting.code != EDGE_BIRD_READY) {
		ret = cmd_fail(cc, -EPROTO, "unexpected greeting \"%s\"",
			       reply_summary(&greeting, sum, sizeof(sum)));
		goto out_greeting;
	}
	ret = cmd_write(cc, line, len + 1);
	if (ret)
		goto out_greeting;
	ret = cmd_read_reply(cc, reply, false);

out_greeting:
	edge_bird_reply_free(&greeting);
out_close:
	close(cc->fd);
out_free:
	edge_bird_parser_free(&cc->parser);
	free(line);
	free(cc);
	return ret;
}
