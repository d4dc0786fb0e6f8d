/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: a unix stream socket on the daemon's event loop,
 * root only, one JSON request per line and one JSON reply per line.
 *
 *   request: {"cmd": "drain", "args": ["198.51.100.7"]}
 *   reply:   {"ok": true, "data": {...}}
 *            {"ok": false, "error": "drain: ..."}
 *
 * Commands live in a registration table: each module of the daemon adds
 * its commands (edge_ctl_register) and its sections of `status`
 * (edge_ctl_register_status) without touching the parser. A later
 * registration of the same command name replaces the earlier one.
 *
 * Limits: EDGE_CTL_MAX_LINE bytes per request, EDGE_CTL_MAX_CLIENTS at
 * once, EDGE_CTL_MAX_REQS per connection, and an idle timeout per client;
 * a client breaking one gets an error reply and is disconnected. Nothing
 * a client sends can block the loop or crash the daemon.
 */
#ifndef EDGE_CONTROL_H
#define EDGE_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "evloop.h"

#define EDGE_CTL_MAX_LINE     4096 /* bytes per request, newline included */
#define EDGE_CTL_MAX_CLIENTS  64
#define EDGE_CTL_MAX_REQS     1024 /* per connection */
#define EDGE_CTL_MAX_ARGS     8
#define EDGE_CTL_MAX_ARG_LEN  256
#define EDGE_CTL_MAX_CMDS     64
#define EDGE_CTL_MAX_SECTIONS 32
#define EDGE_CTL_TIMEOUT_MS   10000 /* default idle timeout per client */
#define EDGE_CTL_NAME_LEN     32    /* command and section names: [a-z0-9_-] */

struct edge_ctl;

/* A parsed, validated request. argv points into the parsed JSON. */
struct edge_ctl_req {
	char cmd[EDGE_CTL_NAME_LEN];
	int argc;
	const char *argv[EDGE_CTL_MAX_ARGS];
	struct json_object *obj; /* owns the strings */
};

/*
 * A command handler. On success returns 0 with *data set to a new JSON
 * value (or left NULL for none); on failure -errno with the reason in err
 * (one line, without the command name).
 */
typedef int (*edge_ctl_fn)(void *arg, const struct edge_ctl_req *req, struct json_object **data,
			   char *err, size_t errlen);

struct edge_ctl_cmd {
	const char *name; /* static string */
	int min_args;
	int max_args;
	const char *usage; /* "BACKEND", for error replies and help */
	const char *help;  /* one line */
	edge_ctl_fn fn;
	void *arg;
};

/* A section of `status`: a new JSON value in *out, or -errno. */
typedef int (*edge_ctl_status_fn)(void *arg, struct json_object **out);

struct edge_ctl *edge_ctl_new(void);
/* Closes the socket and every client, unlinks the socket file. */
void edge_ctl_free(struct edge_ctl *c);

/* 0, -EINVAL (bad name or args), -ENOSPC (table full). */
int edge_ctl_register(struct edge_ctl *c, const struct edge_ctl_cmd *cmd);
int edge_ctl_register_status(struct edge_ctl *c, const char *name, edge_ctl_status_fn fn,
			     void *arg);
/* Add every registered status section to obj, under its name. */
void edge_ctl_status_sections(struct edge_ctl *c, struct json_object *obj);
/* The registered commands as a JSON array of {name, usage, help}. */
struct json_object *edge_ctl_commands(struct edge_ctl *c);

/*
 * Create the directory of path (0700) if needed, bind a fresh socket
 * there (0600; a stale socket file is replaced, a live one is refused)
 * and serve it on loop. timeout_ms: idle timeout per client.
 */
int edge_ctl_listen(struct edge_ctl *c, struct edge_loop *loop, const char *path,
		    unsigned int timeout_ms, char *err, size_t errlen);
/*
 * A planned restart hands the listening socket to the successor, so the
 * path never goes dark: edge_ctl_take_fd() stops serving and returns the
 * listening fd (the file stays; connected clients are closed), and the
 * successor serves it with edge_ctl_adopt() (the fd must be a listening
 * unix stream socket bound to path). -errno on failure.
 */
int edge_ctl_take_fd(struct edge_ctl *c);
int edge_ctl_adopt(struct edge_ctl *c, struct edge_loop *loop, int fd, const char *path,
		   unsigned int timeout_ms, char *err, size_t errlen);
/* Number of connected clients (tests, status). */
unsigned int edge_ctl_nclients(const struct edge_ctl *c);

/*
 * Parse and validate one request line (without its newline). 0, or
 * -EINVAL with the reason in err. On success free req->obj with
 * edge_ctl_req_free().
 */
int edge_ctl_parse(const char *line, size_t len, struct edge_ctl_req *req, char *err,
		   size_t errlen);
void edge_ctl_req_free(struct edge_ctl_req *req);

/*
 * Handle one request line: parse, look up, run. Returns the reply as a
 * malloc'd string without the newline (NULL only when out of memory).
 */
char *edge_ctl_handle_line(struct edge_ctl *c, const char *line, size_t len);

/* The reply helpers, for handlers that build replies themselves. */
char *edge_ctl_reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* EDGE_CONTROL_H */
