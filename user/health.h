/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Health checks (DESIGN.md §3): TCP connect, HTTP GET, DNS query, each
 * with interval, timeout, rise and fall in HAProxy's sense, all run from
 * one thread by an event-driven engine (epoll + one timerfd, non-blocking
 * sockets, a min-heap of deadlines).
 *
 * Two layers:
 *  - a pure state machine per check (struct edge_check_state), fed one
 *    result at a time, that says when the check is UP, DOWN or changing
 *    and how long to wait before the next run; no sockets, no clock;
 *  - the engine (struct edge_health), which runs the checks and calls
 *    on_change when a check goes UP or DOWN.
 *
 * Daemon use: edge_health_new(), edge_health_add() per check, then either
 * add edge_health_fd() to the main epoll set (for reading) and call
 * edge_health_run_once(h, 0) whenever it is readable, or call
 * edge_health_run_once(h, -1) in a loop of its own. Everything happens
 * inside run_once, on the caller's thread; the engine is not thread-safe.
 *
 * One socket is open per check in flight (none between runs): the daemon
 * needs RLIMIT_NOFILE above the number of checks.
 */
#ifndef EDGE_HEALTH_H
#define EDGE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>

#define EDGE_CHECK_NAME_MAX	 64   /* bytes with the NUL */
#define EDGE_CHECK_ERR_MAX	 128  /* last_error, with the NUL */
#define EDGE_CHECK_HTTP_STR_MAX	 256  /* path, host, expect: with the NUL */
#define EDGE_CHECK_DNS_NAME_MAX	 254  /* presentation form, with the NUL */
#define EDGE_CHECK_HTTP_READ_MAX 16384 /* response bytes searched for http.expect */

/* Defaults (a field left 0 gets these) and bounds, in milliseconds. */
#define EDGE_CHECK_RISE_DEFAULT		2
#define EDGE_CHECK_FALL_DEFAULT		3
#define EDGE_CHECK_INTERVAL_DEFAULT	2000
#define EDGE_CHECK_FAST_MIN		100 /* default fast interval: interval/4, at least this */
#define EDGE_CHECK_INTERVAL_MIN		10
#define EDGE_CHECK_INTERVAL_MAX		3600000
#define EDGE_CHECK_RISE_FALL_MAX	1000
#define EDGE_CHECK_HTTP_STATUS_DEFAULT	200

enum edge_check_type {
	EDGE_CHECK_TCP = 0, /* success: the connection was established */
	EDGE_CHECK_HTTP,    /* GET path, status (and body substring) match */
	EDGE_CHECK_DNS,	    /* UDP query, reply with the same ID and the rcode */
};

struct edge_check_http {
	char path[EDGE_CHECK_HTTP_STR_MAX];   /* "" = "/"; must start with '/' */
	char host[EDGE_CHECK_HTTP_STR_MAX];   /* Host header; "" = the address */
	unsigned int status;		      /* expected status; 0 = 200 */
	char expect[EDGE_CHECK_HTTP_STR_MAX]; /* body substring; "" = any body */
};

struct edge_check_dns {
	char name[EDGE_CHECK_DNS_NAME_MAX]; /* query name; "" = "." */
	__u16 qtype;			    /* 0 = A (1) */
	__u8 rcode;			    /* expected; 0 = NOERROR */
	bool recursion;			    /* set RD */
};

/*
 * What to check and how often. Zero means the default for every number.
 * Check it with edge_check_cfg_validate(), which also fills the defaults.
 */
struct edge_check_cfg {
	char name[EDGE_CHECK_NAME_MAX]; /* for messages; "" = "TYPE ADDRESS" */
	enum edge_check_type type;
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, with a port */
	struct sockaddr_storage src;  /* bind to this first; ss_family 0 = don't */
	unsigned int interval_ms;     /* between run starts while steady: 2000 */
	unsigned int fast_interval_ms; /* while changing: interval/4, >= 100, <= interval */
	unsigned int timeout_ms;      /* per run: interval */
	unsigned int rise;	      /* consecutive successes DOWN -> UP: 2 */
	unsigned int fall;	      /* consecutive failures UP -> DOWN: 3 */
	bool initial_up;	      /* start UP (fall failures from DOWN) */
	struct edge_check_http http;
	struct edge_check_dns dns;
};

/*
 * Fill the defaults into cfg and check it. Returns 0, or -EINVAL with the
 * field and the cause in err ("interval_ms 5 below the minimum 10").
 */
int edge_check_cfg_validate(struct edge_check_cfg *cfg, char *err, size_t err_size);

enum edge_check_result {
	EDGE_CHECK_NONE = 0, /* not run yet */
	EDGE_CHECK_OK,
	EDGE_CHECK_FAIL,
};

/*
 * The state machine: HAProxy's rise/fall. A DOWN check goes UP after rise
 * consecutive successes, an UP check goes DOWN after fall consecutive
 * failures; a result that agrees with the state resets the count. While
 * the count is not 0 the check is changing and runs at the fast interval.
 */
struct edge_check_state {
	bool up;
	unsigned int streak; /* consecutive results against `up` */
	enum edge_check_result last_result;
	char last_error[EDGE_CHECK_ERR_MAX]; /* "" after a success */
	__u32 last_latency_us;		     /* of the last run, success or not */
	__u64 last_change_ms;		     /* the caller's clock; set by init too */
	__u64 transitions;		     /* UP <-> DOWN changes */
	__u64 runs;
	__u64 failures;
};

/* cfg must have been through edge_check_cfg_validate(). */
void edge_check_state_init(struct edge_check_state *st, const struct edge_check_cfg *cfg,
			   __u64 now_ms);
/*
 * Record one result; err is the failure's cause (NULL or "" on success).
 * Returns true when the check changed between UP and DOWN.
 */
bool edge_check_state_feed(struct edge_check_state *st, const struct edge_check_cfg *cfg,
			   bool ok, __u32 latency_us, const char *err, __u64 now_ms);
/* How long after this run's start the next one is due. */
unsigned int edge_check_next_interval(const struct edge_check_state *st,
				      const struct edge_check_cfg *cfg);

static inline bool edge_check_changing(const struct edge_check_state *st)
{
	return st->streak > 0;
}

const char *edge_check_type_str(enum edge_check_type type);

/* The engine. */

struct edge_health;

enum edge_check_phase {
	EDGE_CHECK_IDLE = 0,   /* waiting for the next run */
	EDGE_CHECK_CONNECTING, /* TCP, HTTP */
	EDGE_CHECK_SENDING,    /* HTTP request partly written */
	EDGE_CHECK_RECEIVING,  /* HTTP response, DNS reply */
};

/*
 * One check in the engine. Callers read cfg, st and label; the rest
 * belongs to health.c.
 */
struct edge_check {
	struct edge_check_cfg cfg; /* validated copy */
	struct edge_check_state st;
	char label[EDGE_CHECK_NAME_MAX + 64]; /* cfg.name, else "tcp 127.0.0.1:80" */

	/* private */
	struct edge_health *h;
	void (*on_change)(void *arg, struct edge_check *c);
	void *arg;
	enum edge_check_phase phase;
	int fd;
	__u32 events; /* registered with epoll for these; 0 = not registered */
	__u64 deadline_ms; /* next run when idle, else the timeout */
	__u64 run_start_ms;
	__u64 run_start_us;
	size_t heap_idx;
	char *req; /* HTTP request, or DNS query (ID patched per run) */
	size_t req_len;
	size_t req_off;
	char *buf; /* HTTP response */
	size_t buf_len;
	size_t buf_cap;
	__u16 dns_id;
	bool removed;
	struct edge_check *next_removed;
};

/* NULL with errno set (and a message logged) on failure. */
struct edge_health *edge_health_new(void);
/* Also removes every check. Not from inside an on_change callback. */
void edge_health_free(struct edge_health *h);

/*
 * Copy and validate cfg and schedule the check's first run at a random
 * point within its interval (so that many checks added at once spread).
 * on_change (may be NULL) is called from run_once after the check went UP
 * or DOWN; it may add or remove checks, including this one. Returns the
 * check, or NULL with errno set (EINVAL: cfg invalid, logged with the
 * cause; ENOMEM).
 */
struct edge_check *edge_health_add(struct edge_health *h, const struct edge_check_cfg *cfg,
				   void (*on_change)(void *arg, struct edge_check *c), void *arg);
/* Stop and free c (a run in flight is abandoned, no callback). */
void edge_health_remove(struct edge_health *h, struct edge_check *c);
/* Run c at the next run_once unless it is running already. */
void edge_health_check_now(struct edge_health *h, struct edge_check *c);

/* An epoll fd: readable when run_once has something to do. */
int edge_health_fd(const struct edge_health *h);
/*
 * Wait up to timeout_ms (0: don't wait, -1: until something happens) for
 * socket events and due runs and timeouts, and handle them all. Returns 0
 * (also when interrupted by a signal) or -errno.
 */
int edge_health_run_once(struct edge_health *h, int timeout_ms);
size_t edge_health_count(const struct edge_health *h);

/* Addresses: "192.0.2.1", "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]:53". */

/*
 * Parse s into ss; default_port is used when s has none (0: a port is
 * required, else -EINVAL). Returns 0 or -EINVAL.
 */
int edge_health_addr_parse(const char *s, __u16 default_port, struct sockaddr_storage *ss);
/* "192.0.2.1:80" or "[2001:db8::1]:53"; with_port false leaves ":P" out. */
const char *edge_health_addr_str(const struct sockaddr_storage *ss, bool with_port, char *buf,
				 size_t size);

/* DNS names for config and messages: "SERVFAIL" <-> 2, "AAAA" <-> 28. */
const char *edge_dns_rcode_str(unsigned int rcode, char *buf, size_t size);
int edge_dns_rcode_parse(const char *s); /* rcode, or -EINVAL */
int edge_dns_qtype_parse(const char *s); /* "A", "AAAA", "TYPE65", ...: qtype or -EINVAL */

#endif /* EDGE_HEALTH_H */
