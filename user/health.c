// SPDX-License-Identifier: GPL-2.0
/*
 * Health checks: the rise/fall state machine and the event-driven engine
 * that runs TCP, HTTP and DNS checks. See health.h for the API.
 *
 * The engine keeps every check in one min-heap keyed by its deadline: the
 * next run while idle, the timeout while a run is in flight. A single
 * timerfd is armed to the heap's minimum; it and the sockets of the runs
 * in flight share one epoll set, which is what edge_health_fd() returns.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "health.h"
#include "log.h"

#define HTTP_STATUS_READ_MAX 1024 /* bytes for the status line when no body is expected */
#define DNS_HDR_LEN	     12
#define DNS_QUERY_MAX	     (DNS_HDR_LEN + 255 + 4)
#define DNS_REPLY_READ	     512 /* only the header is looked at */
#define EVENTS_PER_WAIT	     128

struct edge_health {
	int epfd;
	int tfd;
	__u64 armed_ms; /* the timerfd's deadline; 0 = disarmed */
	struct edge_check **heap;
	size_t n_heap; /* every check is in the heap */
	size_t cap_heap;
	__u64 rng;
	bool in_run;		    /* inside run_once: removals are deferred */
	struct edge_check *removed; /* removed during run_once, freed at its end */
};

static __u64 now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static __u64 now_ms(void)
{
	return now_us() / 1000;
}

/* xorshift64*: jitter and DNS IDs, nothing that needs to be secret. */
static __u64 rng_next(struct edge_health *h)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return h->rng * 0x2545f4914f6cdd1dULL;
}

/* Names */

const char *edge_check_type_str(enum edge_check_type type)
{
	switch (type) {
	case EDGE_CHECK_TCP:
		return "tcp";
	case EDGE_CHECK_HTTP:
		return "http";
	case EDGE_CHECK_DNS:
		return "dns";
	}
	return "unknown";
}

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",	 "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
};

const char *edge_dns_rcode_str(unsigned int rcode, char *buf, size_t size)
{
	if (rcode < sizeof(rcode_names) / sizeof(rcode_names[0]))
		snprintf(buf, size, "%s", rcode_names[rcode]);
	else
		snprintf(buf, size, "RCODE%u", rcode);
	return buf;
}

/* A decimal number in [min, max] and nothing else, or -EINVAL. */
static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	return v;
}

int edge_dns_rcode_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(rcode_names) / sizeof(rcode_names[0]); i++)
		if (!strcasecmp(s, rcode_names[i]))
			return i;
	if (!strncasecmp(s, "RCODE", 5))
		s += 5;
	return parse_num(s, 0, 15); /* the header's 4 bits */
}

int edge_dns_qtype_parse(const char *s)
{
	static const struct {
		const char *name;
		__u16 type;
	} types[] = {
		{ "A", 1 },    { "NS", 2 },   { "CNAME", 5 }, { "SOA", 6 },	 { "PTR", 12 },
		{ "MX", 15 },  { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 },	 { "DS", 43 },
		{ "DNSKEY", 48 }, { "HTTPS", 65 }, { "ANY", 255 }, { "CAA", 257 },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(s, types[i].name))
			return types[i].type;
	if (!strncasecmp(s, "TYPE", 4))
		return parse_num(s + 4, 1, 65535);
	return -EINVAL;
}

/* Addresses */

static socklen_t addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static __u16 addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

int edge_health_addr_parse(const char *s, __u16 default_port, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	const char *host = s, *port = NULL, *end;
	char buf[INET6_ADDRSTRLEN];
	bool bracket = false;
	size_t len;
	long p = default_port;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		host = s + 1;
		len = end - host;
		port = end[1] ? end + 2 : NULL;
		bracket = true;
	} else {
		end = strchr(s, ':');
		if (end && !strchr(end + 1, ':')) { /* one colon: IPv4 and port */
			len = end - s;
			port = end + 1;
		} else {
			len = strlen(s);
		}
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (port)
		p = parse_num(port, 1, 65535);
	if (p <= 0)
		return -EINVAL;

	if (!bracket && inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	return -EINVAL;
}

const char *edge_health_addr_str(const struct sockaddr_storage *ss, bool with_port, char *buf,
				 size_t size)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		if (with_port)
			snprintf(buf, size, "%s:%u", a, ntohs(sin->sin_port));
		else
			snprintf(buf, size, "%s", a);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		if (with_port)
			snprintf(buf, size, "[%s]:%u", a, ntohs(sin6->sin6_port));
		else
			snprintf(buf, size, "%s", a);
	} else {
		snprintf(buf, size, "(family %u)", ss->ss_family);
	}
	return buf;
}

/* Config */

/* Wire form of a presentation name into out[255]: its length, or -EINVAL. */
static int dns_name_wire(const char *name, __u8 *out)
{
	const char *p = name, *dot;
	size_t n = 0, l;

	if (!strcmp(name, ".")) {
		out[0] = 0;
		return 1;
	}
	while (*p) {
		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		if (!l || l > 63 || n + 1 + l + 1 > 255)
			return -EINVAL;
		out[n++] = l;
		memcpy(out + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	return n;
}

/* No controls, spaces or DEL: the string goes into a request line or header. */
static bool http_token_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

__attribute__((format(printf, 3, 4))) static int cfg_err(char *err, size_t size,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static int validate_ms(const char *field, unsigned int v, unsigned int min, unsigned int max,
		       char *err, size_t size)
{
	if (v < min)
		return cfg_err(err, size, "%s %u below the minimum %u", field, v, min);
	if (v > max)
		return cfg_err(err, size, "%s %u above the maximum %u", field, v, max);
	return 0;
}

static int validate_type(struct edge_check_cfg *cfg, char *err, size_t size)
{
	__u8 wire[255];

	switch (cfg->type) {
	case EDGE_CHECK_TCP:
		return 0;
	case EDGE_CHECK_HTTP:
		if (!TERMINATED(cfg->http.path) || !TERMINATED(cfg->http.host) ||
		    !TERMINATED(cfg->http.expect))
			return cfg_err(err, size, "http: path, host or expect longer than %d bytes",
				       EDGE_CHECK_HTTP_STR_MAX - 1);
		if (!cfg->http.path[0])
			strcpy(cfg->http.path, "/");
		if (cfg->http.path[0] != '/' || !http_token_ok(cfg->http.path))
			return cfg_err(err, size,
				       "http.path \"%.64s\" must start with '/' and hold no spaces",
				       cfg->http.path);
		if (!http_token_ok(cfg->http.host))
			return cfg_err(err, size, "http.host \"%.64s\" holds spaces or controls",
				       cfg->http.host);
		if (!cfg->http.status)
			cfg->http.status = EDGE_CHECK_HTTP_STATUS_DEFAULT;
		if (cfg->http.status < 100 || cfg->http.status > 599)
			return cfg_err(err, size, "http.status %u not in 100..599",
				       cfg->http.status);
		return 0;
	case EDGE_CHECK_DNS:
		if (!TERMINATED(cfg->dns.name))
			return cfg_err(err, size, "dns.name longer than %d bytes",
				       EDGE_CHECK_DNS_NAME_MAX - 1);
		if (!cfg->dns.name[0])
			strcpy(cfg->dns.name, ".");
		if (dns_name_wire(cfg->dns.name, wire) < 0)
			return cfg_err(err, size,
				       "dns.name \"%.64s\": empty label, label over 63 bytes "
				       "or name over 255",
				       cfg->dns.name);
		if (!cfg->dns.qtype)
			cfg->dns.qtype = 1;
		if (cfg->dns.rcode > 15)
			return cfg_err(err, size, "dns.rcode %u not in 0..15", cfg->dns.rcode);
		return 0;
	}
	return cfg_err(err, size, "type %d unknown", (int)cfg->type);
}

int edge_check_cfg_validate(struct edge_check_cfg *cfg, char *err, size_t size)
{
	int ret;

	if (!TERMINATED(cfg->name))
		return cfg_err(err, size, "name longer than %d bytes", EDGE_CHECK_NAME_MAX - 1);
	if (cfg->addr.ss_family != AF_INET && cfg->addr.ss_family != AF_INET6)
		return cfg_err(err, size, "addr: not an IPv4 or IPv6 address (family %u)",
			       cfg->addr.ss_family);
	if (!addr_port(&cfg->addr))
		return cfg_err(err, size, "addr: port 0");
	if (cfg->src.ss_family && cfg->src.ss_family != cfg->addr.ss_family)
		return cfg_err(err, size, "src: address family differs from addr's");

	if (!cfg->interval_ms)
		cfg->interval_ms = EDGE_CHECK_INTERVAL_DEFAULT;
	ret = validate_ms("interval_ms", cfg->interval_ms, EDGE_CHECK_INTERVAL_MIN,
			  EDGE_CHECK_INTERVAL_MAX, err, size);
	if (ret)
		return ret;
	if (!cfg->fast_interval_ms) {
		cfg->fast_interval_ms = cfg->interval_ms / 4;
		if (cfg->fast_interval_ms < EDGE_CHECK_FAST_MIN)
			cfg->fast_interval_ms = EDGE_CHECK_FAST_MIN;
		if (cfg->fast_interval_ms > cfg->interval_ms)
			cfg->fast_interval_ms = cfg->interval_ms;
	}
	ret = validate_ms("fast_interval_ms", cfg->fast_interval_ms, EDGE_CHECK_INTERVAL_MIN,
			  cfg->interval_ms, err, size);
	if (ret)
		return ret;
	if (!cfg->timeout_ms)
		cfg->timeout_ms = cfg->interval_ms;
	ret = validate_ms("timeout_ms", cfg->timeout_ms, 1, EDGE_CHECK_INTERVAL_MAX, err, size);
	if (ret)
		return ret;

	if (!cfg->rise)
		cfg->rise = EDGE_CHECK_RISE_DEFAULT;
	if (!cfg->fall)
		cfg->fall = EDGE_CHECK_FALL_DEFAULT;
	if (cfg->rise > EDGE_CHECK_RISE_FALL_MAX || cfg->fall > EDGE_CHECK_RISE_FALL_MAX)
		return cfg_err(err, size, "rise %u or fall %u above the maximum %u", cfg->rise,
			       cfg->fall, EDGE_CHECK_RISE_FALL_MAX);
	return validate_type(cfg, err, size);
}

/* State machine */

void edge_check_state_init(struct edge_check_state *st, const struct edge_check_cfg *cfg,
			   __u64 now)
{
	memset(st, 0, sizeof(*st));
	st->up = cfg->initial_up;
	st->last_change_ms = now;
}

bool edge_check_state_feed(struct edge_check_state *st, const struct edge_check_cfg *cfg,
			   bool ok, __u32 latency_us, const char *err, __u64 now)
{
	st->runs++;
	st->last_result = ok ? EDGE_CHECK_OK : EDGE_CHECK_FAIL;
	st->last_latency_us = latency_us;
	if (ok) {
		st->last_error[0] = '\0';
	} else {
		st->failures++;
		snprintf(st->last_error, sizeof(st->last_error), "%s",
			 err && *err ? err : "failed");
	}

	if (ok == st->up) {
		st->streak = 0;
		return false;
	}
	if (++st->streak < (st->up ? cfg->fall : cfg->rise))
		return false;
	st->up = ok;
	st->streak = 0;
	st->transitions++;
	st->last_change_ms = now;
	return true;
}

unsigned int edge_check_next_interval(const struct edge_check_state *st,
				      const struct edge_check_cfg *cfg)
{
	return edge_check_changing(st) ? cfg->fast_interval_ms : cfg->interval_ms;
}

/* The deadline heap */

static void heap_set(struct edge_health *h, size_t i, struct edge_check *c)
{
	h->heap[i] = c;
	c->heap_idx = i;
}

static void heap_up(struct edge_health *h, size_t i)
{
	struct edge_check *c = h->heap[i];
	size_t parent;

	while (i) {
		parent = (i - 1) / 2;
		if (h->heap[parent]->deadline_ms <= c->deadline_ms)
			break;
		heap_set(h, i, h->heap[parent]);
		i = parent;
	}
	heap_set(h, i, c);
}

static void heap_down(struct edge_health *h, size_t i)
{
	struct edge_check *c = h->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= h->n_heap)
			break;
		if (child + 1 < h->n_heap &&
		    h->heap[child + 1]->deadline_ms < h->heap[child]->deadline_ms)
			child++;
		if (c->deadline_ms <= h->heap[child]->deadline_ms)
			break;
		heap_set(h, i, h->heap[child]);
		i = child;
	}
	heap_set(h, i, c);
}

/* c's deadline changed. */
static void heap_fix(struct edge_health *h, struct edge_check *c)
{
	size_t i = c->heap_idx;

	if (i && h->heap[(i - 1) / 2]->deadline_ms > c->deadline_ms)
		heap_up(h, i);
	else
		heap_down(h, i);
}

static int heap_push(struct edge_health *h, struct edge_check *c)
{
	struct edge_check **heap;
	size_t cap;

	if (h->n_heap == h->cap_heap) {
		cap = h->cap_heap ? 2 * h->cap_heap : 64;
		heap = realloc(h->heap, cap * sizeof(*heap));
		if (!heap)
			return -ENOMEM;
		h->heap = heap;
		h->cap_heap = cap;
	}
	heap_set(h, h->n_heap++, c);
	heap_up(h, c->heap_idx);
	return 0;
}

static void heap_del(struct edge_health *h, struct edge_check *c)
{
	size_t i = c->heap_idx;
	struct edge_check *last = h->heap[--h->n_heap];

	if (i < h->n_heap) {
		heap_set(h, i, last);
		heap_fix(h, last);
	}
}

/* Point the timerfd at the earliest deadline, if that changed. */
static void timer_arm(struct edge_health *h)
{
	__u64 when = h->n_heap ? h->heap[0]->deadline_ms : 0;
	struct itimerspec its = {};

	if (when == h->armed_ms)
		return;
	its.it_value.tv_sec = when / 1000;
	its.it_value.tv_nsec = when % 1000 * 1000000;
	if (timerfd_settime(h->tfd, TFD_TIMER_ABSTIME, &its, NULL)) {
		pr_warn("health: arming the timerfd failed: %s\n", strerror(errno));
		return;
	}
	h->armed_ms = when;
}

/* Runs */

static void run_close(struct edge_check *c)
{
	if (c->fd < 0)
		return;
	/*
	 * Deregister before close: a forked child (a hook command) may hold
	 * the socket open, and epoll would keep reporting it.
	 */
	if (c->events)
		epoll_ctl(c->h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->events = 0;
	close(c->fd);
	c->fd = -1;
}

static void run_done(struct edge_check *c, bool ok, const char *err)
{
	struct edge_health *h = c->h;
	__u64 us = now_us(), now = us / 1000, next, lat = us - c->run_start_us;
	bool changed;

	run_close(c);
	c->phase = EDGE_CHECK_IDLE;
	changed = edge_check_state_feed(&c->st, &c->cfg, ok, lat > UINT32_MAX ? UINT32_MAX : lat,
					err, now);
	/* Runs start at a steady pace, not interval after the previous end. */
	next = c->run_start_ms + edge_check_next_interval(&c->st, &c->cfg);
	c->deadline_ms = next > now ? next : now;
	heap_fix(h, c);
	if (!changed)
		return;

	if (c->st.up)
		pr_info("health check %s: UP after %u successes\n", c->label, c->cfg.rise);
	else
		pr_info("health check %s: DOWN after %u failures: %s\n", c->label, c->cfg.fall,
			c->st.last_error);
	if (c->on_change)
		c->on_change(c->arg, c); /* may remove c: touch nothing after */
}

__attribute__((format(printf, 2, 3))) static void run_fail(struct edge_check *c,
							   const char *fmt, ...)
{
	char err[EDGE_CHECK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	run_done(c, false, err);
}

/* Poll the run's socket for events (level-triggered). 0 or -errno. */
static int run_watch(struct edge_check *c, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return 0;
	if (epoll_ctl(c->h->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev))
		return -errno;
	c->events = events;
	return 0;
}

static void run_wait(struct edge_check *c, enum edge_check_phase phase, __u32 events)
{
	int err = run_watch(c, events);

	if (err) {
		run_fail(c, "epoll_ctl: %s", strerror(-err));
		return;
	}
	c->phase = phase;
}

static void http_send(struct edge_check *c)
{
	ssize_t n;

	while (c->req_off < c->req_len) {
		n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				run_wait(c, EDGE_CHECK_SENDING, EPOLLOUT);
				return;
			}
			run_fail(c, "HTTP send: %s", strerror(errno));
			return;
		}
		c->req_off += n;
	}
	run_wait(c, EDGE_CHECK_RECEIVING, EPOLLIN);
}

static void dns_send(struct edge_check *c)
{
	ssize_t n;

	c->dns_id = rng_next(c->h) >> 48;
	c->req[0] = c->dns_id >> 8;
	c->req[1] = c->dns_id;
	do {
		n = send(c->fd, c->req, c->req_len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		run_fail(c, "DNS send: %s", strerror(errno));
		return;
	}
	run_wait(c, EDGE_CHECK_RECEIVING, EPOLLIN);
}

static void run_connected(struct edge_check *c)
{
	switch (c->cfg.type) {
	case EDGE_CHECK_TCP:
		run_done(c, true, NULL);
		return;
	case EDGE_CHECK_HTTP:
		c->req_off = 0;
		c->buf_len = 0;
		http_send(c);
		return;
	case EDGE_CHECK_DNS:
		dns_send(c);
		return;
	}
}

static void run_start(struct edge_check *c, __u64 now)
{
	const struct edge_check_cfg *cfg = &c->cfg;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int type = cfg->type == EDGE_CHECK_DNS ? SOCK_DGRAM : SOCK_STREAM;
	char a[INET6_ADDRSTRLEN];

	c->run_start_ms = now;
	c->run_start_us = now_us();
	/* Rounded up: a timeout never fires early. */
	c->deadline_ms = (c->run_start_us + cfg->timeout_ms * 1000ULL + 999) / 1000;
	heap_fix(c->h, c);

	c->fd = socket(cfg->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		run_fail(c, "socket: %s", strerror(errno));
		return;
	}
	/*
	 * Close with a reset, as HAProxy does: a check that closed first
	 * would leave a TIME_WAIT socket per run, and at 1,000 checks every
	 * 250 ms those use up the ephemeral ports towards one address.
	 */
	if (type == SOCK_STREAM)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (cfg->src.ss_family && bind(c->fd, (const struct sockaddr *)&cfg->src,
				       addr_len(&cfg->src))) {
		run_fail(c, "bind %s: %s", edge_health_addr_str(&cfg->src, false, a, sizeof(a)),
			 strerror(errno));
		return;
	}
	if (connect(c->fd, (const struct sockaddr *)&cfg->addr, addr_len(&cfg->addr))) {
		if (errno != EINPROGRESS) {
			run_fail(c, "connect: %s", strerror(errno));
			return;
		}
		run_wait(c, EDGE_CHECK_CONNECTING, EPOLLOUT);
		return;
	}
	run_connected(c);
}

static void run_timeout(struct edge_check *c)
{
	unsigned int ms = c->cfg.timeout_ms;

	switch (c->phase) {
	case EDGE_CHECK_CONNECTING:
		run_fail(c, "timeout after %u ms (connect)", ms);
		return;
	case EDGE_CHECK_SENDING:
		run_fail(c, "timeout after %u ms (HTTP request)", ms);
		return;
	case EDGE_CHECK_RECEIVING:
		if (c->cfg.type == EDGE_CHECK_DNS)
			run_fail(c, "timeout after %u ms (DNS reply)", ms);
		else
			run_fail(c, "timeout after %u ms (HTTP response, %zu bytes read)", ms,
				 c->buf_len);
		return;
	case EDGE_CHECK_IDLE:
		return;
	}
}

/*
 * Judge the response read so far; eof: nothing more will come. Returns
 * true when the run is over (the result recorded).
 */
static bool http_judge(struct edge_check *c, bool eof)
{
	const struct edge_check_http *want = &c->cfg.http;
	const char *buf = c->buf, *eol, *p, *body;
	unsigned int status = 0;
	int i;

	eol = memchr(buf, '\n', c->buf_len);
	if (!eol) {
		if (!eof)
			return false;
		if (!c->buf_len)
			run_fail(c, "HTTP: connection closed without a response");
		else
			run_fail(c, "HTTP: no status line in %zu bytes", c->buf_len);
		return true;
	}
	/* "HTTP/1.1 200 OK": the version, one space, three digits, space or end. */
	p = memchr(buf, ' ', eol - buf);
	if (strncmp(buf, "HTTP/", 5) || !p)
		goto malformed;
	for (i = 1; i <= 3; i++) {
		if (!isdigit((unsigned char)p[i]))
			goto malformed;
		status = status * 10 + (p[i] - '0');
	}
	if (p[4] != ' ' && p[4] != '\r' && p[4] != '\n')
		goto malformed;
	if (status != want->status) {
		run_fail(c, "HTTP status %u, want %u", status, want->status);
		return true;
	}
	if (!want->expect[0]) {
		run_done(c, true, NULL);
		return true;
	}

	body = memmem(buf, c->buf_len, "\r\n\r\n", 4);
	if (body && memmem(body + 4, c->buf_len - (body + 4 - buf), want->expect,
			   strlen(want->expect))) {
		run_done(c, true, NULL);
		return true;
	}
	if (!eof)
		return false;
	run_fail(c, "HTTP body lacks \"%.40s\" (%zu bytes read)", want->expect, c->buf_len);
	return true;

malformed:
	run_fail(c, "HTTP: malformed status line \"%.*s\"",
		 (int)(eol - buf > 40 ? 40 : eol - buf - (eol > buf && eol[-1] == '\r')), buf);
	return true;
}

static void http_recv(struct edge_check *c)
{
	ssize_t n;

	while (c->buf_len < c->buf_cap) {
		n = recv(c->fd, c->buf + c->buf_len, c->buf_cap - c->buf_len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			run_fail(c, "HTTP recv: %s", strerror(errno));
			return;
		}
		if (!n)
			break;
		c->buf_len += n;
		c->buf[c->buf_len] = '\0';
		if (http_judge(c, false))
			return;
	}
	/* The peer closed, or the read bound is reached: judge what we have. */
	http_judge(c, true);
}

static void dns_recv(struct edge_check *c)
{
	char got[16], want[16];
	__u8 pkt[DNS_REPLY_READ];
	unsigned int rcode;
	ssize_t n;

	for (;;) {
		n = recv(c->fd, pkt, sizeof(pkt), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			run_fail(c, "DNS recv: %s", strerror(errno));
			return;
		}
		/* Not a reply to this query (a late one to an earlier run): wait on. */
		if (n < DNS_HDR_LEN || (pkt[0] << 8 | pkt[1]) != c->dns_id || !(pkt[2] & 0x80))
			continue;
		rcode = pkt[3] & 0x0f;
		if (rcode == c->cfg.dns.rcode)
			run_done(c, true, NULL);
		else
			run_fail(c, "DNS rcode %s, want %s",
				 edge_dns_rcode_str(rcode, got, sizeof(got)),
				 edge_dns_rcode_str(c->cfg.dns.rcode, want, sizeof(want)));
		return;
	}
}

static void run_event(struct edge_check *c, __u32 events)
{
	socklen_t len = sizeof(int);
	int err = 0;

	switch (c->phase) {
	case EDGE_CHECK_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err)
			run_fail(c, "connect: %s", strerror(err));
		else if (events & (EPOLLERR | EPOLLHUP))
			run_fail(c, "connect: connection closed");
		else
			run_connected(c);
		return;
	case EDGE_CHECK_SENDING:
		http_send(c);
		return;
	case EDGE_CHECK_RECEIVING:
		if (c->cfg.type == EDGE_CHECK_DNS)
			dns_recv(c);
		else
			http_recv(c);
		return;
	case EDGE_CHECK_IDLE:
		return;
	}
}

/* Start the runs that are due and fail those that are late. */
static void run_due(struct edge_health *h)
{
	__u64 now = now_ms();
	struct edge_check *c;

	/* Every step moves c's deadline past now (or removes c): this ends. */
	while (h->n_heap && (c = h->heap[0])->deadline_ms <= now) {
		if (c->phase == EDGE_CHECK_IDLE)
			run_start(c, now);
		else
			run_timeout(c);
	}
}

/* The engine */

struct edge_health *edge_health_new(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct edge_health *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h) {
		pr_warn("health: out of memory\n");
		errno = ENOMEM;
		return NULL;
	}
	h->tfd = -1;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		err = errno;
		pr_warn("health: epoll_create1 failed: %s\n", strerror(err));
		goto err_free;
	}
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->tfd < 0) {
		err = errno;
		pr_warn("health: timerfd_create failed: %s\n", strerror(err));
		goto err_close_ep;
	}
	ev.data.ptr = h; /* the timer; checks carry their own pointer */
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->tfd, &ev)) {
		err = errno;
		pr_warn("health: adding the timerfd to epoll failed: %s\n", strerror(err));
		goto err_close_timer;
	}
	if (getrandom(&h->rng, sizeof(h->rng), GRND_NONBLOCK) != sizeof(h->rng))
		h->rng = now_us() ^ (__u64)getpid() << 32;
	h->rng |= 1; /* xorshift's state must not be 0 */
	return h;

err_close_timer:
	close(h->tfd);
err_close_ep:
	close(h->epfd);
err_free:
	free(h);
	errno = err;
	return NULL;
}

static void check_free(struct edge_check *c)
{
	free(c->req);
	free(c->buf);
	free(c);
}

static void reap_removed(struct edge_health *h)
{
	struct edge_check *c;

	while ((c = h->removed)) {
		h->removed = c->next_removed;
		check_free(c);
	}
}

void edge_health_free(struct edge_health *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n_heap; i++) {
		run_close(h->heap[i]);
		check_free(h->heap[i]);
	}
	reap_removed(h);
	free(h->heap);
	close(h->tfd);
	close(h->epfd);
	free(h);
}

/* The request (HTTP) or query (DNS) a run sends. 0 or -ENOMEM. */
static int check_prepare(struct edge_check *c)
{
	const struct edge_check_cfg *cfg = &c->cfg;
	char host[EDGE_CHECK_HTTP_STR_MAX + 16];
	__u8 *q;
	int n;

	switch (cfg->type) {
	case EDGE_CHECK_TCP:
		return 0;
	case EDGE_CHECK_HTTP:
		if (cfg->http.host[0])
			snprintf(host, sizeof(host), "%s", cfg->http.host);
		else if (addr_port(&cfg->addr) != 80 || cfg->addr.ss_family == AF_INET)
			edge_health_addr_str(&cfg->addr, addr_port(&cfg->addr) != 80, host,
					     sizeof(host));
		else /* [v6] without the port */
			snprintf(host, sizeof(host), "[%s]",
				 edge_health_addr_str(&cfg->addr, false, host + 1,
						      sizeof(host) - 2));
		n = asprintf(&c->req,
			     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: anyedge-health\r\n"
			     "Accept: */*\r\nConnection: close\r\n\r\n",
			     cfg->http.path, host);
		if (n < 0) {
			c->req = NULL;
			return -ENOMEM;
		}
		c->req_len = n;
		c->buf_cap = cfg->http.expect[0] ? EDGE_CHECK_HTTP_READ_MAX : HTTP_STATUS_READ_MAX;
		c->buf = malloc(c->buf_cap + 1);
		return c->buf ? 0 : -ENOMEM;
	case EDGE_CHECK_DNS:
		q = calloc(1, DNS_QUERY_MAX);
		if (!q)
			return -ENOMEM;
		c->req = (char *)q;
		q[2] = cfg->dns.recursion ? 0x01 : 0x00; /* opcode QUERY, RD */
		q[5] = 1;				  /* QDCOUNT */
		n = DNS_HDR_LEN + dns_name_wire(cfg->dns.name, q + DNS_HDR_LEN);
		q[n++] = cfg->dns.qtype >> 8;
		q[n++] = cfg->dns.qtype;
		q[n++] = 0;
		q[n++] = 1; /* class IN */
		c->req_len = n;
		return 0;
	}
	return -EINVAL;
}

struct edge_check *edge_health_add(struct edge_health *h, const struct edge_check_cfg *cfg,
				   void (*on_change)(void *arg, struct edge_check *c), void *arg)
{
	char err[160], a[INET6_ADDRSTRLEN + 8];
	struct edge_check *c;
	__u64 now = now_ms();
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = -ENOMEM;
		goto err_log;
	}
	c->cfg = *cfg;
	c->h = h;
	c->fd = -1;
	c->on_change = on_change;
	c->arg = arg;
	if (memchr(cfg->name, '\0', sizeof(cfg->name)) && cfg->name[0])
		snprintf(c->label, sizeof(c->label), "%s", cfg->name);
	else
		snprintf(c->label, sizeof(c->label), "%s %s", edge_check_type_str(cfg->type),
			 edge_health_addr_str(&cfg->addr, true, a, sizeof(a)));
	ret = edge_check_cfg_validate(&c->cfg, err, sizeof(err));
	if (ret) {
		pr_warn("health check %s: %s\n", c->label, err);
		goto err_free;
	}
	ret = check_prepare(c);
	if (ret)
		goto err_log;
	edge_check_state_init(&c->st, &c->cfg, now);
	/* Spread the first runs over one interval, against thundering herds. */
	c->deadline_ms = now + rng_next(h) % c->cfg.interval_ms;
	ret = heap_push(h, c);
	if (ret)
		goto err_log;
	if (!h->in_run)
		timer_arm(h);
	return c;

err_log:
	pr_warn("health check %s: %s\n", c ? c->label : "(new)", strerror(-ret));
err_free:
	if (c)
		check_free(c);
	errno = -ret;
	return NULL;
}

void edge_health_remove(struct edge_health *h, struct edge_check *c)
{
	if (!c || c->removed)
		return;
	run_close(c);
	heap_del(h, c);
	if (h->in_run) {
		/* Events for c may still be in run_once's batch: free it after. */
		c->removed = true;
		c->next_removed = h->removed;
		h->removed = c;
		return;
	}
	check_free(c);
	timer_arm(h);
}

void edge_health_check_now(struct edge_health *h, struct edge_check *c)
{
	if (c->removed || c->phase != EDGE_CHECK_IDLE)
		return;
	c->deadline_ms = now_ms();
	heap_fix(h, c);
	if (!h->in_run)
		timer_arm(h);
}

int edge_health_fd(const struct edge_health *h)
{
	return h->epfd;
}

size_t edge_health_count(const struct edge_health *h)
{
	return h->n_heap;
}

int edge_health_run_once(struct edge_health *h, int timeout_ms)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	struct edge_check *c;
	__u64 ticks;
	int i, n;

	if (h->in_run)
		return -EBUSY;
	n = epoll_wait(h->epfd, ev, EVENTS_PER_WAIT, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		n = -errno;
		pr_warn("health: epoll_wait failed: %s\n", strerror(-n));
		return n;
	}

	h->in_run = true;
	for (i = 0; i < n; i++) {
		if (ev[i].data.ptr == h) {
			/* Drain it; the heap says what is due. */
			if (read(h->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				pr_warn("health: reading the timerfd failed: %s\n",
					strerror(errno));
			continue;
		}
		c = ev[i].data.ptr;
		if (!c->removed)
			run_event(c, ev[i].events);
	}
	run_due(h);
	h->in_run = false;
	reap_removed(h);
	timer_arm(h);
	return 0;
}
