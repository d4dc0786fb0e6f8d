// SPDX-License-Identifier: GPL-2.0
/*
 * Health checks (user/health.c): the config defaults and errors, the
 * rise/fall state machine fed by hand, then the engine running real checks
 * against listeners made here on 127.0.0.1 and ::1 ephemeral ports: a TCP
 * listener, an HTTP and a DNS responder each in a thread, a bound port
 * that refuses, and listeners that never answer. Every wait is bounded.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "health.h"
#include "log.h"
#include "unit.h"

#define WAIT_MS 3000 /* the most any test waits for one thing */

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A config that validates: TCP to 127.0.0.1:port. */
static struct edge_check_cfg cfg_tcp(__u16 port)
{
	struct edge_check_cfg cfg = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&cfg.addr;

	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return cfg;
}

static struct edge_check_cfg cfg_valid(void)
{
	struct edge_check_cfg cfg = cfg_tcp(80);
	char err[160];

	edge_check_cfg_validate(&cfg, err, sizeof(err));
	return cfg;
}

/* Config */

TEST(health_cfg_fills_haproxy_defaults)
{
	struct edge_check_cfg cfg = cfg_tcp(80);
	char err[160] = "";

	ASSERT_OK(edge_check_cfg_validate(&cfg, err, sizeof(err)));
	ASSERT_EQ(cfg.rise, 2);
	ASSERT_EQ(cfg.fall, 3);
	ASSERT_EQ(cfg.interval_ms, 2000);
	ASSERT_EQ(cfg.fast_interval_ms, 500);
	ASSERT_EQ(cfg.timeout_ms, 2000);

	cfg = cfg_tcp(80);
	cfg.type = EDGE_CHECK_HTTP;
	ASSERT_OK(edge_check_cfg_validate(&cfg, err, sizeof(err)));
	ASSERT_STREQ(cfg.http.path, "/");
	ASSERT_EQ(cfg.http.status, 200);

	cfg = cfg_tcp(53);
	cfg.type = EDGE_CHECK_DNS;
	ASSERT_OK(edge_check_cfg_validate(&cfg, err, sizeof(err)));
	ASSERT_STREQ(cfg.dns.name, ".");
	ASSERT_EQ(cfg.dns.qtype, 1);
	ASSERT_EQ(cfg.dns.rcode, 0);
}

TEST(health_cfg_fast_interval_is_quarter_at_least_100ms_at_most_interval)
{
	struct edge_check_cfg cfg = cfg_tcp(80);
	char err[160];

	cfg.interval_ms = 250;
	ASSERT_OK(edge_check_cfg_validate(&cfg, err, sizeof(err)));
	ASSERT_EQ(cfg.fast_interval_ms, 100);
	ASSERT_EQ(cfg.timeout_ms, 250);

	cfg = cfg_tcp(80);
	cfg.interval_ms = 60;
	ASSERT_OK(edge_check_cfg_validate(&cfg, err, sizeof(err)));
	ASSERT_EQ(cfg.fast_interval_ms, 60);

	cfg = cfg_tcp(80);
	cfg.interval_ms = 10000;
	ASSERT_OK(edge_check_cfg_validate(&cfg, err, sizeof(err)));
	ASSERT_EQ(cfg.fast_interval_ms, 2500);
}

TEST(health_cfg_errors_name_field_and_cause)
{
	struct edge_check_cfg cfg = cfg_tcp(80);
	char err[160];

	cfg.interval_ms = 5;
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STREQ(err, "interval_ms 5 below the minimum 10");

	cfg = cfg_tcp(80);
	cfg.interval_ms = 1000;
	cfg.fast_interval_ms = 2000;
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STREQ(err, "fast_interval_ms 2000 above the maximum 1000");

	cfg = cfg_tcp(0);
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STREQ(err, "addr: port 0");

	cfg = cfg_tcp(80);
	cfg.src.ss_family = AF_INET6;
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STREQ(err, "src: address family differs from addr's");

	cfg = cfg_tcp(80);
	cfg.type = EDGE_CHECK_HTTP;
	strcpy(cfg.http.path, "health");
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STRSTR(err, "http.path \"health\" must start with '/'");

	cfg = cfg_tcp(80);
	cfg.type = EDGE_CHECK_HTTP;
	cfg.http.status = 42;
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STREQ(err, "http.status 42 not in 100..599");

	cfg = cfg_tcp(53);
	cfg.type = EDGE_CHECK_DNS;
	strcpy(cfg.dns.name, "a..example");
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STRSTR(err, "dns.name \"a..example\": empty label");

	cfg = cfg_tcp(80);
	cfg.fall = 5000;
	ASSERT_EQ(edge_check_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ASSERT_STRSTR(err, "fall 5000");
}

/* State machine */

/*
 * Feed results ("+" success, "-" failure) and return the states after
 * each as a string of 'U' / 'D', lowercase while changing (streak > 0).
 */
static const char *feed_seq(struct edge_check_state *st, const struct edge_check_cfg *cfg,
			    const char *seq, char *out)
{
	size_t i;

	for (i = 0; seq[i]; i++) {
		edge_check_state_feed(st, cfg, seq[i] == '+', 100, seq[i] == '+' ? NULL : "boom",
				      1000 + i);
		out[i] = edge_check_changing(st) ? (st->up ? 'u' : 'd') : (st->up ? 'U' : 'D');
	}
	out[i] = '\0';
	return out;
}

TEST(health_state_starts_down_and_rises_after_rise_successes)
{
	struct edge_check_cfg cfg = cfg_valid();
	struct edge_check_state st;
	char out[64];

	edge_check_state_init(&st, &cfg, 7);
	ASSERT_FALSE(st.up);
	ASSERT_EQ(st.last_result, EDGE_CHECK_NONE);
	ASSERT_EQ(st.last_change_ms, 7);
	/* rise 2: the first success starts the change, the second completes it. */
	ASSERT_STREQ(feed_seq(&st, &cfg, "-++", out), "DdU");
	ASSERT_EQ(st.transitions, 1);
	ASSERT_EQ(st.last_change_ms, 1002);
}

TEST(health_state_failure_during_rise_starts_over)
{
	struct edge_check_cfg cfg = cfg_valid();
	struct edge_check_state st;
	char out[64];

	cfg.rise = 3;
	edge_check_state_init(&st, &cfg, 0);
	ASSERT_STREQ(feed_seq(&st, &cfg, "++-++-+++", out), "ddDddDddU");
	ASSERT_EQ(st.transitions, 1);
}

TEST(health_state_up_falls_after_fall_consecutive_failures)
{
	struct edge_check_cfg cfg = cfg_valid();
	struct edge_check_state st;
	char out[64];

	cfg.initial_up = true;
	edge_check_state_init(&st, &cfg, 0);
	ASSERT_TRUE(st.up);
	/* fall 3: two failures and a success change nothing; three in a row do. */
	ASSERT_STREQ(feed_seq(&st, &cfg, "--+---", out), "uuUuuD");
	ASSERT_EQ(st.transitions, 1);
	ASSERT_EQ(st.failures, 5);
	ASSERT_EQ(st.runs, 6);
}

TEST(health_state_flap_sequence_counts_transitions)
{
	struct edge_check_cfg cfg = cfg_valid();
	struct edge_check_state st;
	char out[64];

	edge_check_state_init(&st, &cfg, 0);
	ASSERT_STREQ(feed_seq(&st, &cfg, "++---++-+-++", out), "dUuuDdUuUuUU");
	ASSERT_EQ(st.transitions, 3);

	/* rise 1, fall 1: every result that disagrees flips at once. */
	cfg.rise = 1;
	cfg.fall = 1;
	edge_check_state_init(&st, &cfg, 0);
	ASSERT_STREQ(feed_seq(&st, &cfg, "+-+--+", out), "UDUDDU");
	ASSERT_EQ(st.transitions, 5);
}

TEST(health_state_uses_fast_interval_only_while_changing)
{
	struct edge_check_cfg cfg = cfg_tcp(80);
	struct edge_check_state st;
	char err[160];

	cfg.interval_ms = 2000;
	cfg.fast_interval_ms = 300;
	ASSERT_OK(edge_check_cfg_validate(&cfg, err, sizeof(err)));
	edge_check_state_init(&st, &cfg, 0);
	ASSERT_EQ(edge_check_next_interval(&st, &cfg), 2000);
	edge_check_state_feed(&st, &cfg, false, 1, "x", 1);
	ASSERT_EQ(edge_check_next_interval(&st, &cfg), 2000); /* down and failing: steady */
	edge_check_state_feed(&st, &cfg, true, 1, NULL, 2);
	ASSERT_EQ(edge_check_next_interval(&st, &cfg), 300); /* rising */
	edge_check_state_feed(&st, &cfg, true, 1, NULL, 3);
	ASSERT_TRUE(st.up);
	ASSERT_EQ(edge_check_next_interval(&st, &cfg), 2000);
	edge_check_state_feed(&st, &cfg, false, 1, "x", 4);
	ASSERT_EQ(edge_check_next_interval(&st, &cfg), 300); /* falling */
	edge_check_state_feed(&st, &cfg, true, 1, NULL, 5);
	ASSERT_EQ(edge_check_next_interval(&st, &cfg), 2000);
}

TEST(health_state_records_last_error_and_latency)
{
	struct edge_check_cfg cfg = cfg_valid();
	struct edge_check_state st;

	edge_check_state_init(&st, &cfg, 0);
	edge_check_state_feed(&st, &cfg, false, 1234, "connect: Connection refused", 1);
	ASSERT_EQ(st.last_result, EDGE_CHECK_FAIL);
	ASSERT_STREQ(st.last_error, "connect: Connection refused");
	ASSERT_EQ(st.last_latency_us, 1234);
	edge_check_state_feed(&st, &cfg, false, 5, NULL, 2);
	ASSERT_STREQ(st.last_error, "failed");
	edge_check_state_feed(&st, &cfg, true, 99, NULL, 3);
	ASSERT_EQ(st.last_result, EDGE_CHECK_OK);
	ASSERT_STREQ(st.last_error, "");
	ASSERT_EQ(st.last_latency_us, 99);
}

/* Names */

TEST(health_addr_parse_v4_v6_with_and_without_port)
{
	struct sockaddr_storage ss;
	char buf[64];

	ASSERT_OK(edge_health_addr_parse("127.0.0.1:8080", 0, &ss));
	ASSERT_STREQ(edge_health_addr_str(&ss, true, buf, sizeof(buf)), "127.0.0.1:8080");
	ASSERT_OK(edge_health_addr_parse("[::1]:53", 0, &ss));
	ASSERT_EQ(ss.ss_family, AF_INET6);
	ASSERT_STREQ(edge_health_addr_str(&ss, true, buf, sizeof(buf)), "[::1]:53");
	ASSERT_OK(edge_health_addr_parse("2001:db8::1", 443, &ss));
	ASSERT_STREQ(edge_health_addr_str(&ss, true, buf, sizeof(buf)), "[2001:db8::1]:443");
	ASSERT_STREQ(edge_health_addr_str(&ss, false, buf, sizeof(buf)), "2001:db8::1");
	ASSERT_OK(edge_health_addr_parse("192.0.2.1", 80, &ss));
	ASSERT_STREQ(edge_health_addr_str(&ss, true, buf, sizeof(buf)), "192.0.2.1:80");

	ASSERT_EQ(edge_health_addr_parse("192.0.2.1", 0, &ss), -EINVAL); /* port required */
	ASSERT_EQ(edge_health_addr_parse("192.0.2.1:0", 80, &ss), -EINVAL);
	ASSERT_EQ(edge_health_addr_parse("192.0.2.1:65536", 0, &ss), -EINVAL);
	ASSERT_EQ(edge_health_addr_parse("[192.0.2.1]:80", 0, &ss), -EINVAL);
	ASSERT_EQ(edge_health_addr_parse("[::1]x", 80, &ss), -EINVAL);
	ASSERT_EQ(edge_health_addr_parse("example.com:80", 0, &ss), -EINVAL);
}

TEST(health_dns_rcode_and_qtype_names)
{
	char buf[16];

	ASSERT_EQ(edge_dns_rcode_parse("servfail"), 2);
	ASSERT_EQ(edge_dns_rcode_parse("NXDOMAIN"), 3);
	ASSERT_EQ(edge_dns_rcode_parse("5"), 5);
	ASSERT_EQ(edge_dns_rcode_parse("RCODE12"), 12);
	ASSERT_EQ(edge_dns_rcode_parse("16"), -EINVAL);
	ASSERT_EQ(edge_dns_rcode_parse("BOGUS"), -EINVAL);
	ASSERT_STREQ(edge_dns_rcode_str(0, buf, sizeof(buf)), "NOERROR");
	ASSERT_STREQ(edge_dns_rcode_str(12, buf, sizeof(buf)), "RCODE12");
	ASSERT_EQ(edge_dns_qtype_parse("aaaa"), 28);
	ASSERT_EQ(edge_dns_qtype_parse("SOA"), 6);
	ASSERT_EQ(edge_dns_qtype_parse("TYPE65280"), 65280);
	ASSERT_EQ(edge_dns_qtype_parse("TYPE0"), -EINVAL);
	ASSERT_EQ(edge_dns_qtype_parse("AAAAA"), -EINVAL);
}

/* Local servers */

static bool have_ipv6(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A socket bound to an ephemeral loopback port, its address in *ss; -1 on failure. */
static int bound_socket(int family, int type, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);
	int fd;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)ss,
		 family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) ||
	    getsockname(fd, (struct sockaddr *)ss, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_listener(int family, int backlog, struct sockaddr_storage *ss)
{
	int fd = bound_socket(family, SOCK_STREAM, ss);

	if (fd >= 0 && listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A responder in a thread. HTTP: accept, read the request, send response
 * (NULL: close at once), close. DNS: answer every query with rcode, after
 * a reply with a wrong ID and SERVFAIL if wrong_id_first.
 */
struct srv {
	int fd;
	int stop; /* eventfd */
	pthread_t thread;
	bool dns;
	const char *response;
	int rcode;
	bool wrong_id_first;
	struct sockaddr_storage addr;

	pthread_mutex_t lock; /* the rest */
	char req[1024];	      /* the last request or query */
	size_t req_len;
	struct sockaddr_storage peer;
	int served;
};

/* Wait up to ms for fd to be readable (or stop). */
static bool srv_wait(struct srv *s, int fd, int ms)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = s->stop, .events = POLLIN } };

	return poll(p, 2, ms) > 0 && !p[1].revents && p[0].revents;
}

static void srv_record(struct srv *s, const void *req, size_t len,
		       const struct sockaddr_storage *peer)
{
	pthread_mutex_lock(&s->lock);
	s->req_len = len < sizeof(s->req) ? len : sizeof(s->req) - 1;
	memcpy(s->req, req, s->req_len);
	s->req[s->req_len] = '\0';
	s->peer = *peer;
	s->served++;
	pthread_mutex_unlock(&s->lock);
}

static void srv_http_one(struct srv *s)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char req[1024];
	size_t len = 0;
	ssize_t n;
	int cfd;

	cfd = accept(s->fd, (struct sockaddr *)&peer, &plen);
	if (cfd < 0)
		return;
	while (s->response && len < sizeof(req) - 1 && srv_wait(s, cfd, 2000)) {
		n = read(cfd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	srv_record(s, req, len, &peer);
	if (s->response)
		send(cfd, s->response, strlen(s->response), MSG_NOSIGNAL);
	close(cfd);
}

static void srv_dns_one(struct srv *s)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	unsigned char q[512], r[512];
	ssize_t n;

	n = recvfrom(s->fd, q, sizeof(q), 0, (struct sockaddr *)&peer, &plen);
	if (n < 12)
		return;
	srv_record(s, q, n, &peer);
	memcpy(r, q, n);
	r[2] |= 0x80;
	if (s->wrong_id_first) {
		r[0] ^= 0x5a;
		r[3] = (r[3] & 0xf0) | 2;
		sendto(s->fd, r, n, 0, (struct sockaddr *)&peer, plen);
		r[0] ^= 0x5a;
	}
	r[3] = (r[3] & 0xf0) | s->rcode;
	sendto(s->fd, r, n, 0, (struct sockaddr *)&peer, plen);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	while (srv_wait(s, s->fd, -1)) {
		if (s->dns)
			srv_dns_one(s);
		else
			srv_http_one(s);
	}
	return NULL;
}

static int srv_start(struct srv *s, int family, bool dns)
{
	s->dns = dns;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = dns ? bound_socket(family, SOCK_DGRAM, &s->addr)
		    : tcp_listener(family, 1024, &s->addr);
	if (s->fd < 0)
		return -errno;
	s->stop = eventfd(0, EFD_CLOEXEC);
	if (s->stop < 0)
		return -errno;
	return -pthread_create(&s->thread, NULL, srv_main, s);
}

static void srv_stop(struct srv *s)
{
	__u64 one = 1;

	if (write(s->stop, &one, sizeof(one)) == sizeof(one))
		pthread_join(s->thread, NULL);
	close(s->stop);
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
}

static int srv_served(struct srv *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->served;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* The engine */

struct changes {
	int n;
	bool up;
};

static void on_change(void *arg, struct edge_check *c)
{
	struct changes *ch = arg;

	ch->n++;
	ch->up = c->st.up;
}

static struct edge_health *health_new_quiet(void)
{
	edge_log_set_level(EDGE_LOG_WARN); /* no "UP after" lines in the test output */
	return edge_health_new();
}

/* Run h until c has had `runs` runs: 0, or -ETIMEDOUT after WAIT_MS. */
static int run_until_runs(struct edge_health *h, struct edge_check *c, __u64 runs)
{
	long long end = ms_now() + WAIT_MS, left;
	int ret;

	while (c->st.runs < runs) {
		left = end - ms_now();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = edge_health_run_once(h, left);
		if (ret)
			return ret;
	}
	return 0;
}

/* Run h until c is up (or down): 0, or -ETIMEDOUT after WAIT_MS. */
static int run_until_state(struct edge_health *h, struct edge_check *c, bool up)
{
	long long end = ms_now() + WAIT_MS, left;
	int ret;

	while (c->st.up != up) {
		left = end - ms_now();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = edge_health_run_once(h, left);
		if (ret)
			return ret;
	}
	return 0;
}

/* A fast check towards ss: 50 ms apart, 300 ms timeout, first run now. */
static struct edge_check *add_fast(struct edge_health *h, struct edge_check_cfg *cfg,
				   const struct sockaddr_storage *ss, struct changes *ch)
{
	struct edge_check *c;

	cfg->addr = *ss;
	if (!cfg->interval_ms)
		cfg->interval_ms = 50;
	if (!cfg->timeout_ms)
		cfg->timeout_ms = 300;
	c = edge_health_add(h, cfg, on_change, ch);
	if (c)
		edge_health_check_now(h, c);
	return c;
}

TEST(health_tcp_check_goes_up_after_rise_against_listener)
{
	struct edge_check_cfg cfg = {};
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int lfd;

	lfd = tcp_listener(AF_INET, 128, &ss);
	ASSERT_TRUE(lfd >= 0);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_STRSTR(c->label, "tcp 127.0.0.1:");
	ASSERT_FALSE(c->st.up);

	ASSERT_OK(run_until_state(h, c, true));
	ASSERT_EQ(c->st.runs, 2); /* rise 2 */
	ASSERT_EQ(ch.n, 1);
	ASSERT_TRUE(ch.up);
	ASSERT_EQ(c->st.transitions, 1);
	ASSERT_EQ(c->st.last_result, EDGE_CHECK_OK);
	ASSERT_TRUE(c->st.last_latency_us < 300000);
	edge_health_free(h);
	close(lfd);
}

TEST(health_tcp_check_falls_on_refused_port)
{
	struct edge_check_cfg cfg = { .initial_up = true };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int fd;

	/* Bound but not listening: SYNs get a reset, and the port stays ours. */
	fd = bound_socket(AF_INET, SOCK_STREAM, &ss);
	ASSERT_TRUE(fd >= 0);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_TRUE(c->st.up);

	ASSERT_OK(run_until_state(h, c, false));
	ASSERT_EQ(c->st.runs, 3); /* fall 3 */
	ASSERT_EQ(ch.n, 1);
	ASSERT_FALSE(ch.up);
	ASSERT_STREQ(c->st.last_error, "connect: Connection refused");
	edge_health_free(h);
	close(fd);
}

TEST(health_tcp_check_over_ipv6_loopback)
{
	struct edge_check_cfg cfg = { .rise = 1 };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int lfd;

	if (!have_ipv6())
		SKIP("no ::1");
	lfd = tcp_listener(AF_INET6, 128, &ss);
	ASSERT_TRUE(lfd >= 0);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_STRSTR(c->label, "tcp [::1]:");
	ASSERT_OK(run_until_state(h, c, true));
	ASSERT_EQ(c->st.runs, 1);
	edge_health_free(h);
	close(lfd);
}

TEST(health_tcp_connect_times_out_when_syns_are_dropped)
{
	struct edge_check_cfg cfg = { .timeout_ms = 200 };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int lfd, filler;

	/*
	 * Backlog 0 holds one connection; with it queued (the listener turns
	 * readable) the kernel drops further SYNs, so connect hangs.
	 */
	lfd = tcp_listener(AF_INET, 0, &ss);
	ASSERT_TRUE(lfd >= 0);
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_OK(connect(filler, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)));
	ASSERT_EQ(poll(&(struct pollfd){ .fd = lfd, .events = POLLIN }, 1, WAIT_MS), 1);

	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_runs(h, c, 1));
	ASSERT_EQ(c->st.last_result, EDGE_CHECK_FAIL);
	ASSERT_STREQ(c->st.last_error, "timeout after 200 ms (connect)");
	ASSERT_TRUE(c->st.last_latency_us >= 200000);
	edge_health_free(h);
	close(filler);
	close(lfd);
}

#define HTTP_200 "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nready\n"
#define HTTP_503                                                                       \
	"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\nConnection: close\r\n" \
	"\r\ndraining\n"

TEST(health_http_200_is_up_and_request_has_host_and_close)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_HTTP };
	struct srv s = { .response = HTTP_200 };
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	char want[128];

	ASSERT_OK(srv_start(&s, AF_INET, false));
	strcpy(cfg.http.path, "/healthz");
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_state(h, c, true));
	ASSERT_EQ(c->st.runs, 2);
	ASSERT_EQ(ch.n, 1);
	edge_health_free(h);
	srv_stop(&s);

	snprintf(want, sizeof(want), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n",
		 ntohs(((struct sockaddr_in *)&s.addr)->sin_port));
	ASSERT_TRUE(!strncmp(s.req, want, strlen(want)));
	ASSERT_STRSTR(s.req, "\r\nConnection: close\r\n");
	ASSERT_EQ(s.served, 2);
}

TEST(health_http_503_fails_naming_status)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_HTTP, .initial_up = true, .fall = 2 };
	struct srv s = { .response = HTTP_503 };
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;

	ASSERT_OK(srv_start(&s, AF_INET, false));
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_state(h, c, false));
	ASSERT_EQ(c->st.runs, 2);
	ASSERT_STREQ(c->st.last_error, "HTTP status 503, want 200");
	edge_health_free(h);
	srv_stop(&s);
}

TEST(health_http_expected_status_other_than_200)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_HTTP, .rise = 1 };
	struct srv s = { .response = HTTP_503 };
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;

	ASSERT_OK(srv_start(&s, AF_INET, false));
	cfg.http.status = 503;
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_state(h, c, true));
	edge_health_free(h);
	srv_stop(&s);
}

TEST(health_http_body_substring_match_and_mismatch)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_HTTP, .rise = 1 };
	struct srv s = { .response = HTTP_200 };
	struct changes ch = {};
	struct edge_check *c, *bad;
	struct edge_health *h;
	char want[80];

	ASSERT_OK(srv_start(&s, AF_INET, false));
	h = health_new_quiet();
	ASSERT_TRUE(h);
	strcpy(cfg.http.expect, "ready");
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	/* "OK" is in the status line, not the body: no match. */
	strcpy(cfg.http.expect, "OK");
	bad = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(bad);

	ASSERT_OK(run_until_state(h, c, true));
	ASSERT_OK(run_until_runs(h, bad, 1));
	ASSERT_FALSE(bad->st.up);
	snprintf(want, sizeof(want), "HTTP body lacks \"OK\" (%zu bytes read)", strlen(HTTP_200));
	ASSERT_STREQ(bad->st.last_error, want);
	edge_health_free(h);
	srv_stop(&s);
}

TEST(health_http_times_out_when_nobody_answers)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_HTTP, .timeout_ms = 200 };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int lfd;

	/* The kernel accepts the connection; nobody reads the request. */
	lfd = tcp_listener(AF_INET, 128, &ss);
	ASSERT_TRUE(lfd >= 0);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_runs(h, c, 1));
	ASSERT_STREQ(c->st.last_error, "timeout after 200 ms (HTTP response, 0 bytes read)");
	edge_health_free(h);
	close(lfd);
}

TEST(health_http_closed_without_response_fails)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_HTTP };
	struct srv s = { .response = NULL }; /* accept and close */
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;

	ASSERT_OK(srv_start(&s, AF_INET, false));
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_runs(h, c, 1));
	ASSERT_EQ(c->st.last_result, EDGE_CHECK_FAIL);
	/*
	 * A FIN ("HTTP: connection closed without a response"), or a reset if
	 * the server closed with our request unread ("HTTP recv: Connection
	 * reset by peer", or on send): which one is a race, any is right.
	 */
	ASSERT_TRUE(!strncmp(c->st.last_error, "HTTP", 4));
	ASSERT_FALSE(strstr(c->st.last_error, "timeout"));
	edge_health_free(h);
	srv_stop(&s);
}

TEST(health_http_binds_source_address)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_HTTP, .rise = 1 };
	struct srv s = { .response = HTTP_200 };
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	char a[64];

	ASSERT_OK(srv_start(&s, AF_INET, false));
	/* Any port will do for the parser; bind to an ephemeral one. */
	ASSERT_OK(edge_health_addr_parse("127.0.0.2", 1, &cfg.src));
	((struct sockaddr_in *)&cfg.src)->sin_port = 0;
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_state(h, c, true));
	edge_health_free(h);
	srv_stop(&s);
	ASSERT_STREQ(edge_health_addr_str(&s.peer, false, a, sizeof(a)), "127.0.0.2");
}

TEST(health_bind_failure_is_a_failed_run_naming_the_address)
{
	struct edge_check_cfg cfg = { .initial_up = true, .fall = 1 };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int lfd;

	lfd = tcp_listener(AF_INET, 128, &ss);
	ASSERT_TRUE(lfd >= 0);
	/* Not an address of this host: bind fails before any packet is sent. */
	ASSERT_OK(edge_health_addr_parse("192.0.2.1", 1, &cfg.src));
	((struct sockaddr_in *)&cfg.src)->sin_port = 0;
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_state(h, c, false));
	ASSERT_STREQ(c->st.last_error, "bind 192.0.2.1: Cannot assign requested address");
	edge_health_free(h);
	close(lfd);
}

static const unsigned char query_example_aaaa[] = {
	0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* header, RD */
	7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0,
	0x00, 0x1c, 0x00, 0x01, /* AAAA IN */
};

TEST(health_dns_noerror_is_up_and_query_is_wire_correct)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_DNS };
	struct srv s = { .rcode = 0 };
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;

	ASSERT_OK(srv_start(&s, AF_INET, true));
	strcpy(cfg.dns.name, "example.com.");
	cfg.dns.qtype = 28;
	cfg.dns.recursion = true;
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_state(h, c, true));
	ASSERT_EQ(c->st.runs, 2);
	edge_health_free(h);
	srv_stop(&s);

	ASSERT_EQ(s.req_len, sizeof(query_example_aaaa));
	/* Bytes 0-1 are the random ID. */
	ASSERT_MEMEQ(s.req + 2, query_example_aaaa + 2, sizeof(query_example_aaaa) - 2);
}

TEST(health_dns_servfail_fails_naming_rcodes)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_DNS, .initial_up = true };
	struct srv s = { .rcode = 2 };
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;

	ASSERT_OK(srv_start(&s, AF_INET, true));
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_state(h, c, false));
	ASSERT_EQ(c->st.runs, 3);
	ASSERT_STREQ(c->st.last_error, "DNS rcode SERVFAIL, want NOERROR");
	ASSERT_EQ(ch.n, 1);
	edge_health_free(h);
	srv_stop(&s);
}

TEST(health_dns_expected_nxdomain_and_wrong_id_ignored_over_ipv6)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_DNS, .rise = 1 };
	struct srv s = { .rcode = 3, .wrong_id_first = true };
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;

	if (!have_ipv6())
		SKIP("no ::1");
	ASSERT_OK(srv_start(&s, AF_INET6, true));
	strcpy(cfg.dns.name, "nope.example");
	cfg.dns.rcode = 3;
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &s.addr, &ch);
	ASSERT_TRUE(c);
	/* The SERVFAIL with the wrong ID comes first and must not count. */
	ASSERT_OK(run_until_runs(h, c, 1));
	ASSERT_STREQ(c->st.last_error, "");
	ASSERT_TRUE(c->st.up);
	edge_health_free(h);
	srv_stop(&s);
}

TEST(health_dns_times_out_on_silent_server)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_DNS, .timeout_ms = 200 };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int fd;

	fd = bound_socket(AF_INET, SOCK_DGRAM, &ss);
	ASSERT_TRUE(fd >= 0);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_runs(h, c, 1));
	ASSERT_STREQ(c->st.last_error, "timeout after 200 ms (DNS reply)");
	edge_health_free(h);
	close(fd);
}

TEST(health_dns_closed_port_is_refused)
{
	struct edge_check_cfg cfg = { .type = EDGE_CHECK_DNS };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	int fd;

	/* Take an ephemeral port and free it: the ICMP port unreachable comes back. */
	fd = bound_socket(AF_INET, SOCK_DGRAM, &ss);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	ASSERT_OK(run_until_runs(h, c, 1));
	ASSERT_STREQ(c->st.last_error, "DNS recv: Connection refused");
	edge_health_free(h);
}

static void remove_self(void *arg, struct edge_check *c)
{
	struct edge_health *h = arg;

	edge_health_remove(h, c);
}

TEST(health_on_change_may_remove_its_own_check)
{
	struct edge_check_cfg cfg = { .rise = 1 };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_check *c, *other;
	struct edge_health *h;
	int lfd, i;

	lfd = tcp_listener(AF_INET, 128, &ss);
	ASSERT_TRUE(lfd >= 0);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	cfg.addr = ss;
	cfg.interval_ms = 50;
	c = edge_health_add(h, &cfg, remove_self, h);
	ASSERT_TRUE(c);
	edge_health_check_now(h, c);
	other = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(other);
	ASSERT_EQ(edge_health_count(h), 2);
	for (i = 0; i < 100 && edge_health_count(h) == 2; i++)
		ASSERT_OK(edge_health_run_once(h, 100));
	ASSERT_EQ(edge_health_count(h), 1);
	ASSERT_OK(run_until_runs(h, other, 3)); /* the other one runs on */
	edge_health_free(h);
	close(lfd);
}

TEST(health_first_runs_spread_over_the_interval)
{
	struct edge_check_cfg cfg = cfg_tcp(9);
	struct edge_health *h;
	struct edge_check *c;
	int buckets[10] = {};
	long long now;
	int i;

	h = health_new_quiet();
	ASSERT_TRUE(h);
	cfg.interval_ms = 1000;
	now = ms_now();
	for (i = 0; i < 200; i++) {
		c = edge_health_add(h, &cfg, NULL, NULL);
		ASSERT_TRUE(c);
		ASSERT_TRUE((long long)c->deadline_ms >= now);
		ASSERT_TRUE((long long)c->deadline_ms < now + 1000 + 50);
		buckets[((long long)c->deadline_ms - now) * 10 / 1050]++;
	}
	/* 200 uniform draws leave one of 10 buckets empty with p < 1e-8. */
	for (i = 0; i < 10; i++)
		ASSERT_NE(buckets[i], 0);
	edge_health_free(h);
}

/* Open file descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

TEST(health_many_checks_share_one_timer_and_leak_no_fds)
{
	struct edge_check_cfg cfg = { .interval_ms = 100, .timeout_ms = 500 };
	struct srv s = { .response = NULL };
	struct edge_check *c[300];
	struct edge_health *h;
	long long end;
	int fds, i, up;

	ASSERT_OK(srv_start(&s, AF_INET, false));
	fds = count_fds();
	h = health_new_quiet();
	ASSERT_TRUE(h);
	cfg.addr = s.addr;
	for (i = 0; i < 300; i++) {
		c[i] = edge_health_add(h, &cfg, NULL, NULL);
		ASSERT_TRUE(c[i]);
	}
	/* The epoll fd and the timerfd, nothing per check while idle. */
	ASSERT_EQ(count_fds(), fds + 2);
	end = ms_now() + WAIT_MS;
	do {
		ASSERT_OK(edge_health_run_once(h, 50));
		for (i = 0, up = 0; i < 300; i++)
			up += c[i]->st.up;
	} while (up < 300 && ms_now() < end);
	ASSERT_EQ(up, 300);
	for (i = 0; i < 300; i += 2)
		edge_health_remove(h, c[i]);
	ASSERT_EQ(edge_health_count(h), 150);
	ASSERT_OK(edge_health_run_once(h, 100));
	edge_health_free(h);
	ASSERT_TRUE(srv_served(&s) > 0);
	srv_stop(&s); /* its listener and eventfd, and no connection in flight */
	ASSERT_EQ(count_fds(), fds - 2);
}

TEST(health_engine_uses_fast_interval_while_rising)
{
	struct edge_check_cfg cfg = { .interval_ms = 2000, .fast_interval_ms = 20, .rise = 3 };
	struct sockaddr_storage ss;
	struct changes ch = {};
	struct edge_health *h;
	struct edge_check *c;
	long long t0;
	int lfd;

	lfd = tcp_listener(AF_INET, 128, &ss);
	ASSERT_TRUE(lfd >= 0);
	h = health_new_quiet();
	ASSERT_TRUE(h);
	t0 = ms_now();
	c = add_fast(h, &cfg, &ss, &ch);
	ASSERT_TRUE(c);
	/* Three runs: now, +20 ms, +40 ms; at the steady interval it would take 4 s. */
	ASSERT_OK(run_until_state(h, c, true));
	ASSERT_TRUE(ms_now() - t0 < 1000);
	ASSERT_EQ(c->st.runs, 3);
	ASSERT_EQ(edge_check_next_interval(&c->st, &c->cfg), 2000);
	ASSERT_TRUE(c->deadline_ms >= c->run_start_ms + 2000);
	edge_health_free(h);
	close(lfd);
}

TEST(health_add_rejects_invalid_config)
{
	struct edge_check_cfg cfg = cfg_tcp(0);
	struct edge_health *h;

	h = health_new_quiet();
	ASSERT_TRUE(h);
	errno = 0; /* a warning "health check tcp 127.0.0.1:0: addr: port 0" is expected */
	ASSERT_TRUE(!edge_health_add(h, &cfg, NULL, NULL));
	ASSERT_EQ(errno, EINVAL);
	ASSERT_EQ(edge_health_count(h), 0);
	edge_health_free(h);
}
