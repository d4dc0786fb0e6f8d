/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Route signal through BIRD's control socket (DESIGN.md §3): one
 * `protocol static NAME { disabled yes; ... }` per anycast prefix, enabled
 * to announce and disabled to withdraw.
 *
 * Two layers:
 *  - a pure reply parser, fed bytes as they arrive, yielding whole replies;
 *  - a client keeping one non-blocking connection, driven by the daemon's
 *    epoll loop, that re-asserts the wanted state of every registered
 *    protocol (a `configure` or a BIRD restart resets toggled protocols to
 *    the config file's `disabled yes`) and reconnects with backoff.
 *
 * The protocol, as BIRD 2.0.12 speaks it: one command per line; a reply is
 * lines "DDDD-text" (more follows), " text" (continues the previous code)
 * and a last line "DDDD text". Lines starting with '+' are asynchronous
 * messages (only after `echo`) and are skipped.
 */
#ifndef EDGE_ROUTE_BIRD_H
#define EDGE_ROUTE_BIRD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define EDGE_BIRD_SOCKET    "/run/bird/bird.ctl"
#define EDGE_BIRD_LINE_MAX  4096	  /* bytes per line, newline excluded */
#define EDGE_BIRD_REPLY_MAX (1024 * 1024) /* text bytes per reply */
#define EDGE_BIRD_NAME_MAX  64		  /* BIRD's SYM_MAX_LEN */

/* Reply codes the client interprets (by code, never by text). */
enum edge_bird_code {
	EDGE_BIRD_END = 0,   /* "0000 ": end of a multi-line reply */
	EDGE_BIRD_READY = 1, /* greeting: "BIRD 2.0.12 ready." */
	EDGE_BIRD_RECONFIGURED = 3,
	EDGE_BIRD_RECONFIG_PROG = 4, /* reconfiguration in progress */
	EDGE_BIRD_ALREADY_DIS = 8,   /* "NAME: already disabled" */
	EDGE_BIRD_DISABLED = 9,	     /* "NAME: disabled" */
	EDGE_BIRD_ALREADY_EN = 10,   /* "NAME: already enabled" */
	EDGE_BIRD_ENABLED = 11,	     /* "NAME: enabled" */
};

/* The thousands digit of a code. */
enum edge_bird_class {
	EDGE_BIRD_CLASS_OK = 0,	     /* 0xxx: command done */
	EDGE_BIRD_CLASS_TABLE = 1,   /* 1xxx: table rows */
	EDGE_BIRD_CLASS_HEADING = 2, /* 2xxx: table headings */
	EDGE_BIRD_CLASS_RUNTIME = 8, /* 8xxx: runtime error */
	EDGE_BIRD_CLASS_PARSE = 9,   /* 9xxx: parse error */
};

struct edge_bird_line {
	int code;   /* a " text" continuation carries its predecessor's code */
	char *text; /* after "DDDD-", "DDDD " or " "; NUL-terminated */
};

/* One whole reply; owns its lines. */
struct edge_bird_reply {
	int code;		      /* the last line's code, 0..9999 */
	struct edge_bird_line *lines; /* every line, the last one included */
	size_t n_lines;
};

static inline enum edge_bird_class edge_bird_code_class(int code)
{
	return (enum edge_bird_class)(code / 1000);
}

/* The class of the last line: 8xxx and 9xxx mean the command failed. */
static inline enum edge_bird_class edge_bird_reply_class(const struct edge_bird_reply *r)
{
	return edge_bird_code_class(r->code);
}

bool edge_bird_reply_is_error(const struct edge_bird_reply *r);
/* Does any line carry this code? */
bool edge_bird_reply_has(const struct edge_bird_reply *r, int code);
/* The last non-empty line's text ("" if none): the message of an error. */
const char *edge_bird_reply_msg(const struct edge_bird_reply *r);
void edge_bird_reply_free(struct edge_bird_reply *r);

struct edge_bird_parser {
	char line[EDGE_BIRD_LINE_MAX + 1];
	size_t line_len;
	unsigned long line_no;	    /* lines completed so far, for messages */
	int last_code;		    /* -1 between replies */
	struct edge_bird_reply cur; /* being assembled */
	size_t cur_bytes;
	size_t lines_cap;
	int err; /* sticky: 0, -EBADMSG or -ENOMEM */
	char errmsg[160];
};

void edge_bird_parser_init(struct edge_bird_parser *p);
void edge_bird_parser_free(struct edge_bird_parser *p);
/*
 * Feed bytes. Consumes data up to and including the newline that completes
 * a reply and returns 1 with that reply in *reply (the caller frees it), or
 * consumes everything and returns 0 when no reply completed. *used says how
 * many bytes were consumed: feed the rest again. On garbage returns
 * -EBADMSG with the cause in p->errmsg ("line 3: no 4-digit code: ...");
 * the parser then refuses all input until edge_bird_parser_free(), which
 * also makes it ready for a new stream (this one is out of step: drop the
 * connection).
 */
int edge_bird_parse(struct edge_bird_parser *p, const char *data, size_t len, size_t *used,
		    struct edge_bird_reply *reply);

/*
 * One-shot, blocking: connect to path, read the greeting, send cmd, read
 * its reply into *reply (the caller frees it), close. At most timeout_ms in
 * all. Returns 0 when a reply came, whatever its class (see
 * edge_bird_reply_is_error), or -errno having logged
 * "bird control socket PATH: connect failed: CAUSE".
 */
int edge_bird_command(const char *path, const char *cmd, struct edge_bird_reply *reply,
		      int timeout_ms);

/* What BIRD has confirmed about one protocol. */
enum edge_bird_state {
	EDGE_BIRD_UNKNOWN = 0, /* no connection, or no reply yet */
	EDGE_BIRD_ANNOUNCED,   /* confirmed enabled */
	EDGE_BIRD_WITHDRAWN,   /* confirmed disabled */
	EDGE_BIRD_ERROR,       /* BIRD refused the command; treat as unknown */
};

const char *edge_bird_state_str(enum edge_bird_state state);

struct edge_bird_proto {
	char name[EDGE_BIRD_NAME_MAX + 1];
	bool wanted; /* announce? */
	bool dirty;  /* a command is due this round */
	enum edge_bird_state state;
	unsigned int drifts; /* re-asserts that found BIRD in the other state */
	char error[256];     /* the last refusal, for EDGE_BIRD_ERROR */
};

/* Zero means the default. Times in milliseconds. */
struct edge_bird_opts {
	unsigned int reassert_ms;      /* start a round at most this often: 1000 */
	unsigned int reply_timeout_ms; /* greeting or reply, else reconnect: 5000 */
	unsigned int backoff_min_ms;   /* first reconnect delay: 100 */
	unsigned int backoff_max_ms;   /* doubling up to: 5000 */
};

enum edge_bird_conn {
	EDGE_BIRD_DOWN = 0, /* no socket; connect when next_connect is due */
	EDGE_BIRD_GREETING, /* connected, waiting for "0001 ... ready." */
	EDGE_BIRD_IDLE,	    /* greeted, no command outstanding */
	EDGE_BIRD_BUSY,	    /* one command sent (or being sent), reply due */
};

/*
 * The persistent client. All times are the caller's monotonic clock in ms
 * (`now`); the client never reads a clock itself.
 *
 * Daemon use: register protocols with edge_bird_set_wanted() (any time),
 * call edge_bird_client_tick() at least every few hundred ms and after
 * set_wanted, and when edge_bird_client_fd() is >= 0 poll it for reading
 * (level-triggered) and, while edge_bird_client_want_write(), for writing.
 * The fd changes across reconnects: re-read it after every call.
 */
struct edge_bird_client {
	char path[108]; /* sun_path */
	struct edge_bird_opts opts;
	int fd;
	enum edge_bird_conn conn;
	struct edge_bird_parser parser;
	struct edge_bird_proto *protos;
	size_t n_protos;
	size_t cap_protos;
	/* the command in flight */
	char out[16 + EDGE_BIRD_NAME_MAX];
	size_t out_len;
	size_t out_off;
	long inflight; /* index into protos, -1 if none or removed */
	bool inflight_announce;
	/* time */
	__u64 now;	/* the latest now the caller gave */
	__u64 deadline; /* greeting or reply due by */
	__u64 next_connect;
	__u64 next_round;
	unsigned int backoff_ms;
	bool round_active;
	bool had_error;	 /* the last connection attempt failed */
	char error[256]; /* the last connection error */
};

/*
 * path NULL means EDGE_BIRD_SOCKET; opts may be NULL. Does not connect:
 * the first tick does. Returns 0 or -ENAMETOOLONG.
 */
int edge_bird_client_init(struct edge_bird_client *c, const char *path,
			  const struct edge_bird_opts *opts);
void edge_bird_client_free(struct edge_bird_client *c);

/*
 * Register proto_name (a BIRD symbol: [A-Za-z_][A-Za-z0-9_]*, up to 64) if
 * new and set whether it should be announced. A changed wish is sent at
 * once if the connection is idle (its reply is due reply_timeout_ms after
 * the latest now given to the client). Returns 0, -EINVAL or -ENOMEM.
 */
int edge_bird_set_wanted(struct edge_bird_client *c, const char *proto_name, bool announce);
/* Stop managing proto_name (BIRD keeps its current state). 0 or -ENOENT. */
int edge_bird_forget(struct edge_bird_client *c, const char *proto_name);
/* Returns NULL if proto_name is not registered. */
const struct edge_bird_proto *edge_bird_proto_get(const struct edge_bird_client *c,
						  const char *proto_name);
enum edge_bird_state edge_bird_state(const struct edge_bird_client *c, const char *proto_name);

/*
 * Connect when due, start a re-assert round when due, give up on a reply
 * that is late. These and the two handlers return 0, or -errno when this
 * call lost the connection (a reconnect is then scheduled and the cause is
 * in c->error: the caller may just log it, or ignore it).
 */
int edge_bird_client_tick(struct edge_bird_client *c, __u64 now);
int edge_bird_client_handle_readable(struct edge_bird_client *c, __u64 now);
int edge_bird_client_handle_writable(struct edge_bird_client *c, __u64 now);

static inline int edge_bird_client_fd(const struct edge_bird_client *c)
{
	return c->fd;
}

static inline bool edge_bird_client_want_write(const struct edge_bird_client *c)
{
	return c->fd >= 0 && c->out_off < c->out_len;
}

static inline bool edge_bird_client_connected(const struct edge_bird_client *c)
{
	return c->conn == EDGE_BIRD_IDLE || c->conn == EDGE_BIRD_BUSY;
}

/* When tick next has something to do (for a timerfd). */
__u64 edge_bird_client_next_tick(const struct edge_bird_client *c);

#endif /* EDGE_ROUTE_BIRD_H */
