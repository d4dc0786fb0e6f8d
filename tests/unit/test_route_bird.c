// SPDX-License-Identifier: GPL-2.0
/*
 * The BIRD control-socket client (user/route_bird.c): the reply parser on
 * replies captured from BIRD 2.0.12 and on garbage, and the client against
 * a fake BIRD listening on a unix socket in a temp dir, driven from the
 * test itself with a made-up clock (one forked fake for the blocking
 * helper). Every wait on a socket is bounded by WAIT_MS.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "route_bird.h"
#include "unit.h"

#define WAIT_MS 2000
#define T0	1000000ULL /* the made-up clock's start, in ms */

/* Replies as BIRD 2.0.12 sent them (see shared/reference/README.md). */
#define GREETING      "0001 BIRD 2.0.12 ready.\n"
#define R_ENABLED     "0011-acast_dns: enabled\n0000 \n"
#define R_ALREADY_EN  "0010-acast_dns: already enabled\n0000 \n"
#define R_DISABLED    "0009-acast_dns: disabled\n0000 \n"
#define R_ALREADY_DIS "0008 acast_dns: already disabled\n"
#define R_SYNTAX \
	"9001 syntax error, unexpected CF_SYM_UNDEFINED, expecting CF_SYM_KNOWN or TEXT or ALL\n"
#define R_CONFIGURE "0002-Reading configuration from /etc/bird/bird.conf\n0003 Reconfigured\n"
#define R_SHOW_STATUS                                       \
	"1000-BIRD 2.0.12\n"                                \
	"1011-Router ID is 198.51.100.1\n"                  \
	" Hostname is edge1\n"                              \
	" Current server time is 2026-11-23 09:40:10.564\n" \
	"0013 Daemon is up and running\n"
#define R_SHOW_PROTOCOLS                                                    \
	"2002-Name       Proto      Table      State  Since         Info\n" \
	"1002-device1    Device     ---        up     09:40:03.941  \n"     \
	" acast_dns  Static     master4    down   09:40:06.046  \n"         \
	"0000 \n"

/* Parser helpers */

#define MAX_REPLIES 8

struct replies {
	struct edge_bird_reply r[MAX_REPLIES];
	int n;
	int err; /* the parser's error, 0 if none */
	char errmsg[160];
};

static void replies_free(struct replies *rs)
{
	int i;

	for (i = 0; i < rs->n; i++)
		edge_bird_reply_free(&rs->r[i]);
	rs->n = 0;
}

/*
 * Feed s to a fresh parser `step` bytes at a time (0: all at once) and
 * collect the replies. Returns the number collected, or -1 if there were
 * more than MAX_REPLIES; rs->err tells whether the parser gave up.
 */
static int parse_all(const char *s, size_t len, size_t step, struct replies *rs)
{
	struct edge_bird_parser p;
	size_t off = 0, chunk, used;
	int ret;

	memset(rs, 0, sizeof(*rs));
	edge_bird_parser_init(&p);
	while (off < len) {
		chunk = step && len - off > step ? step : len - off;
		while (chunk) {
			ret = edge_bird_parse(&p, s + off, chunk, &used, &rs->r[rs->n]);
			off += used;
			chunk -= used;
			if (ret < 0) {
				rs->err = ret;
				snprintf(rs->errmsg, sizeof(rs->errmsg), "%s", p.errmsg);
				goto out;
			}
			if (ret == 1 && ++rs->n == MAX_REPLIES) {
				replies_free(rs);
				rs->n = -1;
				goto out;
			}
			if (!ret && chunk) {
				rs->n = -1; /* 0 must mean "all consumed" */
				goto out;
			}
		}
	}
out:
	edge_bird_parser_free(&p);
	return rs->n;
}

static int parse_str(const char *s, struct replies *rs)
{
	return parse_all(s, strlen(s), 0, rs);
}

/* Parse must fail with -EBADMSG and a message containing `cause`. */
#define PARSE_GARBAGE(s, len, cause)                \
	do {                                        \
		struct replies rs_;                 \
		parse_all((s), (len), 0, &rs_);     \
		replies_free(&rs_);                 \
		ASSERT_EQ(rs_.err, -EBADMSG);       \
		ASSERT_STRSTR(rs_.errmsg, (cause)); \
	} while (0)

/* Parser tests */

TEST(bird_parse_greeting)
{
	struct replies rs;

	ASSERT_EQ(parse_str(GREETING, &rs), 1);
	ASSERT_EQ(rs.r[0].code, EDGE_BIRD_READY);
	ASSERT_EQ(edge_bird_reply_class(&rs.r[0]), EDGE_BIRD_CLASS_OK);
	ASSERT_FALSE(edge_bird_reply_is_error(&rs.r[0]));
	ASSERT_EQ(rs.r[0].n_lines, 1);
	ASSERT_STREQ(rs.r[0].lines[0].text, "BIRD 2.0.12 ready.");
	replies_free(&rs);
}

TEST(bird_parse_disable_ends_with_empty_0000)
{
	struct replies rs;

	ASSERT_EQ(parse_str(R_DISABLED, &rs), 1);
	ASSERT_EQ(rs.r[0].code, EDGE_BIRD_END);
	ASSERT_EQ(rs.r[0].n_lines, 2);
	ASSERT_EQ(rs.r[0].lines[0].code, EDGE_BIRD_DISABLED);
	ASSERT_STREQ(rs.r[0].lines[0].text, "acast_dns: disabled");
	ASSERT_EQ(rs.r[0].lines[1].code, 0);
	ASSERT_STREQ(rs.r[0].lines[1].text, "");
	ASSERT_TRUE(edge_bird_reply_has(&rs.r[0], EDGE_BIRD_DISABLED));
	ASSERT_FALSE(edge_bird_reply_has(&rs.r[0], EDGE_BIRD_ALREADY_DIS));
	ASSERT_STREQ(edge_bird_reply_msg(&rs.r[0]), "acast_dns: disabled");
	replies_free(&rs);
}

/* Several replies in one read come out one by one, in order. */
TEST(bird_parse_several_replies_in_one_chunk)
{
	static const char in[] = R_ALREADY_DIS "0011 acast_dns: enabled\n"
					       "0010 acast_dns: already enabled\n" R_ENABLED;
	struct replies rs;

	ASSERT_EQ(parse_str(in, &rs), 4);
	ASSERT_EQ(rs.r[0].code, EDGE_BIRD_ALREADY_DIS);
	ASSERT_STREQ(rs.r[0].lines[0].text, "acast_dns: already disabled");
	ASSERT_EQ(rs.r[1].code, EDGE_BIRD_ENABLED);
	ASSERT_STREQ(rs.r[1].lines[0].text, "acast_dns: enabled");
	ASSERT_EQ(rs.r[2].code, EDGE_BIRD_ALREADY_EN);
	ASSERT_EQ(rs.r[2].n_lines, 1);
	ASSERT_EQ(rs.r[3].code, EDGE_BIRD_END);
	ASSERT_TRUE(edge_bird_reply_has(&rs.r[3], EDGE_BIRD_ENABLED));
	replies_free(&rs);
}

TEST(bird_parse_configure)
{
	struct replies rs;

	ASSERT_EQ(parse_str(R_CONFIGURE, &rs), 1);
	ASSERT_EQ(rs.r[0].code, EDGE_BIRD_RECONFIGURED);
	ASSERT_EQ(rs.r[0].n_lines, 2);
	ASSERT_EQ(rs.r[0].lines[0].code, 2);
	ASSERT_STREQ(rs.r[0].lines[0].text, "Reading configuration from /etc/bird/bird.conf");
	ASSERT_STREQ(rs.r[0].lines[1].text, "Reconfigured");
	replies_free(&rs);
}

TEST(bird_parse_runtime_and_parse_errors)
{
	struct replies rs;

	ASSERT_EQ(parse_str("8001 Network not found\n" R_SYNTAX, &rs), 2);
	ASSERT_EQ(rs.r[0].code, 8001);
	ASSERT_EQ(edge_bird_reply_class(&rs.r[0]), EDGE_BIRD_CLASS_RUNTIME);
	ASSERT_TRUE(edge_bird_reply_is_error(&rs.r[0]));
	ASSERT_STREQ(edge_bird_reply_msg(&rs.r[0]), "Network not found");
	ASSERT_EQ(rs.r[1].code, 9001);
	ASSERT_EQ(edge_bird_reply_class(&rs.r[1]), EDGE_BIRD_CLASS_PARSE);
	ASSERT_TRUE(edge_bird_reply_is_error(&rs.r[1]));
	ASSERT_STRSTR(edge_bird_reply_msg(&rs.r[1]), "syntax error, unexpected CF_SYM_UNDEFINED");
	replies_free(&rs);
}

/* " text" lines continue the code before them, across code changes. */
TEST(bird_parse_continuation_lines_take_previous_code)
{
	struct replies rs;
	const struct edge_bird_reply *r;

	ASSERT_EQ(parse_str(R_SHOW_STATUS R_SHOW_PROTOCOLS, &rs), 2);
	r = &rs.r[0];
	ASSERT_EQ(r->code, 13);
	ASSERT_EQ(r->n_lines, 5);
	ASSERT_EQ(r->lines[0].code, 1000);
	ASSERT_STREQ(r->lines[0].text, "BIRD 2.0.12");
	ASSERT_EQ(r->lines[1].code, 1011);
	ASSERT_EQ(r->lines[2].code, 1011);
	ASSERT_STREQ(r->lines[2].text, "Hostname is edge1");
	ASSERT_EQ(r->lines[3].code, 1011);
	ASSERT_STREQ(r->lines[4].text, "Daemon is up and running");

	r = &rs.r[1];
	ASSERT_EQ(r->code, EDGE_BIRD_END);
	ASSERT_EQ(r->n_lines, 4);
	ASSERT_EQ(r->lines[0].code, 2002);
	ASSERT_EQ(edge_bird_code_class(r->lines[0].code), EDGE_BIRD_CLASS_HEADING);
	ASSERT_EQ(r->lines[1].code, 1002);
	ASSERT_EQ(edge_bird_code_class(r->lines[1].code), EDGE_BIRD_CLASS_TABLE);
	ASSERT_EQ(r->lines[2].code, 1002);
	ASSERT_STREQ(r->lines[2].text, "acast_dns  Static     master4    down   09:40:06.046  ");
	replies_free(&rs);
}

/* Byte at a time and in odd chunks: the same replies as all at once. */
TEST(bird_parse_byte_at_a_time_matches_one_chunk)
{
	static const char in[] = GREETING R_SHOW_STATUS R_DISABLED R_SHOW_PROTOCOLS R_SYNTAX;
	static const size_t steps[] = {1, 2, 3, 7, 64};
	struct replies whole, parts;
	size_t s, i, j;

	ASSERT_EQ(parse_str(in, &whole), 5);
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		ASSERT_EQ(parse_all(in, strlen(in), steps[s], &parts), 5);
		for (i = 0; i < 5; i++) {
			ASSERT_EQ(parts.r[i].code, whole.r[i].code);
			ASSERT_EQ(parts.r[i].n_lines, whole.r[i].n_lines);
			for (j = 0; j < whole.r[i].n_lines; j++) {
				ASSERT_EQ(parts.r[i].lines[j].code, whole.r[i].lines[j].code);
				ASSERT_STREQ(parts.r[i].lines[j].text, whole.r[i].lines[j].text);
			}
		}
		replies_free(&parts);
	}
	replies_free(&whole);
}

/* No reply until the final line's newline. */
TEST(bird_parse_incomplete_reply_yields_nothing)
{
	static const char in[] = "0009-acast_dns: disabled\n0000 ";
	struct replies rs;

	ASSERT_EQ(parse_str(in, &rs), 0);
	ASSERT_EQ(rs.err, 0);
}

TEST(bird_parse_skips_async_lines)
{
	struct replies rs;

	ASSERT_EQ(parse_str("+Reconfiguring\n0011-acast_dns: enabled\n+log line\n0000 \n", &rs), 1);
	ASSERT_EQ(rs.r[0].n_lines, 2);
	ASSERT_TRUE(edge_bird_reply_has(&rs.r[0], EDGE_BIRD_ENABLED));
	replies_free(&rs);
}

TEST(bird_parse_garbage_is_a_clear_error)
{
	PARSE_GARBAGE("hello world\n", 12,
		      "line 1: no 4-digit code and '-' or ' ': \"hello world\"");
	PARSE_GARBAGE("0001 ok\n12a4 x\n", 15, "line 2: no 4-digit code");
	PARSE_GARBAGE("0001\n", 5, "line 1: no 4-digit code");
	PARSE_GARBAGE("00001 x\n", 8, "no 4-digit code");
	PARSE_GARBAGE("0001+x\n", 7, "no 4-digit code");
	PARSE_GARBAGE("\x01\x02\xff\n", 4, "\"\\x01\\x02\\xff\"");
	PARSE_GARBAGE(" orphan\n", 8, "line 1: continuation line outside a reply");
	PARSE_GARBAGE("0001 ready.\n continued\n", 23, "line 2: continuation line outside a reply");
	PARSE_GARBAGE("\n", 1, "line 1: empty line");
	PARSE_GARBAGE("0001 a\0b\n", 9, "line 1: NUL byte");
}

/* Lines up to 4 KiB pass; longer fail before their newline arrives. */
TEST(bird_parse_overlong_line_fails_without_newline)
{
	static char in[EDGE_BIRD_LINE_MAX + 64];
	struct replies rs;

	memset(in, 'x', sizeof(in));
	memcpy(in, "0001 ", 5);
	in[EDGE_BIRD_LINE_MAX] = '\n';
	ASSERT_EQ(parse_all(in, EDGE_BIRD_LINE_MAX + 1, 0, &rs), 1);
	ASSERT_EQ(strlen(rs.r[0].lines[0].text), EDGE_BIRD_LINE_MAX - 5);
	replies_free(&rs);

	in[EDGE_BIRD_LINE_MAX] = 'x';
	ASSERT_EQ(parse_all(in, sizeof(in), 0, &rs), 0);
	ASSERT_EQ(rs.err, -EBADMSG);
	ASSERT_STRSTR(rs.errmsg, "line 1: longer than 4096 bytes");
	ASSERT_EQ(parse_all(in, sizeof(in), 1, &rs), 0);
	ASSERT_EQ(rs.err, -EBADMSG);
}

/* A reply that never ends cannot take all memory. */
TEST(bird_parse_overlong_reply_fails)
{
	struct edge_bird_parser p;
	struct edge_bird_reply r;
	char line[4000];
	size_t used, i;
	int ret = 0;

	memset(line, 'y', sizeof(line));
	memcpy(line, "1007-", 5);
	line[sizeof(line) - 1] = '\n';
	edge_bird_parser_init(&p);
	for (i = 0; i < 2 * EDGE_BIRD_REPLY_MAX / sizeof(line) && !ret; i++)
		ret = edge_bird_parse(&p, line, sizeof(line), &used, &r);
	ASSERT_EQ(ret, -EBADMSG);
	ASSERT_STRSTR(p.errmsg, "reply longer than");
	edge_bird_parser_free(&p);
}

/* After an error the parser refuses everything until reset. */
TEST(bird_parse_error_is_sticky_until_reset)
{
	struct edge_bird_parser p;
	struct edge_bird_reply r;
	size_t used;

	edge_bird_parser_init(&p);
	ASSERT_EQ(edge_bird_parse(&p, "junk\n", 5, &used, &r), -EBADMSG);
	ASSERT_EQ(edge_bird_parse(&p, GREETING, strlen(GREETING), &used, &r), -EBADMSG);
	ASSERT_EQ(used, 0);
	edge_bird_parser_free(&p);
	ASSERT_EQ(edge_bird_parse(&p, GREETING, strlen(GREETING), &used, &r), 1);
	ASSERT_EQ(used, strlen(GREETING));
	edge_bird_reply_free(&r);
	edge_bird_parser_free(&p);
}

/* Fake BIRD */

struct fake {
	char dir[64];
	char path[108];
	int lfd; /* listening */
	int fd;	 /* the accepted connection */
};

static void fake_stop(struct fake *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->lfd >= 0)
		close(f->lfd);
	f->fd = -1;
	f->lfd = -1;
	if (f->path[0])
		unlink(f->path);
	if (f->dir[0])
		rmdir(f->dir);
	f->path[0] = '\0';
	f->dir[0] = '\0';
}

static int fake_start(struct fake *f)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->lfd = -1;
	strcpy(f->dir, "/tmp/anyedge-bird.XXXXXX");
	if (!mkdtemp(f->dir)) {
		f->dir[0] = '\0';
		return -errno;
	}
	snprintf(f->path, sizeof(f->path), "%s/bird.ctl", f->dir);
	strcpy(addr.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(f->lfd, 4)) {
		int err = -errno;

		fake_stop(f);
		return err;
	}
	return 0;
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, timeout_ms) == 1;
}

/* Accept the client's connection: 0, or -ETIMEDOUT after WAIT_MS. */
static int fake_accept(struct fake *f)
{
	if (!readable(f->lfd, WAIT_MS))
		return -ETIMEDOUT;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	return f->fd < 0 ? -errno : 0;
}

static bool fake_pending(struct fake *f)
{
	return readable(f->lfd, 0);
}

static int fake_send(struct fake *f, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;

	while (len) {
		n = send(f->fd, s, len, MSG_NOSIGNAL);
		if (n < 0)
			return -errno;
		s += n;
		len -= n;
	}
	return 0;
}

/*
 * One command line from the client, without its newline, into buf: its
 * length, -ETIMEDOUT if none within WAIT_MS, -ECONNRESET on EOF.
 */
static int fake_recv_line(struct fake *f, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size) {
		if (!readable(f->fd, WAIT_MS))
			return -ETIMEDOUT;
		n = read(f->fd, buf + len, 1);
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return len;
		}
		len++;
	}
	return -ENOBUFS;
}

/* Has the client sent anything (not waiting)? */
static bool fake_has_input(struct fake *f)
{
	return readable(f->fd, 0);
}

/*
 * The client tests clean up (temp dir, sockets) on failure too: CHECK_*
 * record the failure and jump to the test's `out` label, which reports it
 * with FAIL after cleaning up.
 */
__attribute__((format(printf, 3, 4))) static void set_why(char *why, size_t size, const char *fmt,
							  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

#define CHECK_FAIL(...)                                 \
	do {                                            \
		set_why(why, sizeof(why), __VA_ARGS__); \
		goto out;                               \
	} while (0)

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond))                                                              \
			CHECK_FAIL("%s:%d: CHECK(%s): false", __FILE__, __LINE__, #cond); \
	} while (0)

#define CHECK_EQ(a, b)                                                                          \
	do {                                                                                    \
		long long a_ = (long long)(a), b_ = (long long)(b);                             \
		if (a_ != b_)                                                                   \
			CHECK_FAIL("%s:%d: CHECK_EQ(%s, %s): %lld != %lld", __FILE__, __LINE__, \
				   #a, #b, a_, b_);                                             \
	} while (0)

#define CHECK_STREQ(a, b)                                                                    \
	do {                                                                                 \
		const char *a_ = (a), *b_ = (b);                                             \
		if (strcmp(a_, b_))                                                          \
			CHECK_FAIL("%s:%d: CHECK_STREQ(%s, %s): \"%s\" != \"%s\"", __FILE__, \
				   __LINE__, #a, #b, a_, b_);                                \
	} while (0)

#define CHECK_STRSTR(hay, needle)                                                                \
	do {                                                                                     \
		const char *h_ = (hay), *n_ = (needle);                                          \
		if (!strstr(h_, n_))                                                             \
			CHECK_FAIL("%s:%d: CHECK_STRSTR(%s, %s): \"%s\" lacks \"%s\"", __FILE__, \
				   __LINE__, #hay, #needle, h_, n_);                             \
	} while (0)

/* The client sent exactly this command line (and nothing more yet). */
#define CHECK_CMD(f, want)                                                                 \
	do {                                                                               \
		char line_[256];                                                           \
		int n_ = fake_recv_line((f), line_, sizeof(line_));                        \
		if (n_ < 0)                                                                \
			CHECK_FAIL("%s:%d: no command line from the client: %s", __FILE__, \
				   __LINE__, strerror(-n_));                               \
		CHECK_STREQ(line_, (want));                                                \
		CHECK(!fake_has_input(f));                                                 \
	} while (0)

/* The fake answers; the client reads it all at `now`. */
#define REPLY(f, c, now, text)                                             \
	do {                                                               \
		CHECK_EQ(fake_send((f), (text)), 0);                       \
		CHECK_EQ(edge_bird_client_handle_readable((c), (now)), 0); \
	} while (0)

/* Start a fake and a client on it, connected and greeted at T0. */
#define SETUP(f, c, opts)                                                   \
	do {                                                                \
		int r_ = fake_start(f);                                     \
		if (r_)                                                     \
			CHECK_FAIL("fake BIRD: %s", strerror(-r_));         \
		CHECK_EQ(edge_bird_client_init((c), (f)->path, (opts)), 0); \
		CHECK_EQ(edge_bird_client_tick((c), T0), 0);                \
		CHECK(edge_bird_client_fd(c) >= 0);                         \
		CHECK_EQ(fake_accept(f), 0);                                \
		CHECK(!edge_bird_client_connected(c));                      \
		REPLY((f), (c), T0, GREETING);                              \
		CHECK(edge_bird_client_connected(c));                       \
	} while (0)

#define TEARDOWN(f, c)                    \
	do {                              \
		edge_bird_client_free(c); \
		fake_stop(f);             \
		if (why[0])               \
			FAIL("%s", why);  \
	} while (0)

/* Client tests */

TEST(bird_client_sends_wanted_state_after_greeting)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";
	int r;

	r = fake_start(&f);
	if (r)
		CHECK_FAIL("fake BIRD: %s", strerror(-r));
	CHECK_EQ(edge_bird_client_init(&c, f.path, NULL), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_UNKNOWN);
	CHECK_EQ(edge_bird_client_tick(&c, T0), 0);
	CHECK_EQ(fake_accept(&f), 0);
	CHECK(!fake_has_input(&f)); /* nothing before the greeting */

	REPLY(&f, &c, T0, GREETING);
	CHECK_CMD(&f, "enable acast_dns");
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_UNKNOWN); /* not confirmed yet */
	REPLY(&f, &c, T0, R_ENABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
	CHECK(!fake_has_input(&f));

	/* A change is sent at once, without waiting for a tick. */
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", false), 0);
	CHECK_CMD(&f, "disable acast_dns");
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
	REPLY(&f, &c, T0, R_DISABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_WITHDRAWN);
	CHECK_EQ(edge_bird_proto_get(&c, "acast_dns")->drifts, 0);
out:
	TEARDOWN(&f, &c);
}

/* Several protocols: one command at a time, each after the last reply. */
TEST(bird_client_sends_one_command_at_a_time)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";

	CHECK_EQ(fake_start(&f), 0);
	CHECK_EQ(edge_bird_client_init(&c, f.path, NULL), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_www", false), 0);
	CHECK_EQ(edge_bird_client_tick(&c, T0), 0);
	CHECK_EQ(fake_accept(&f), 0);
	REPLY(&f, &c, T0, GREETING);
	CHECK_CMD(&f, "enable acast_dns");
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_ntp", true), 0);
	CHECK(!fake_has_input(&f)); /* still waiting for the reply */
	REPLY(&f, &c, T0, "0010 acast_dns: already enabled\n");
	CHECK_CMD(&f, "disable acast_www");
	REPLY(&f, &c, T0, "0008 acast_www: already disabled\n");
	CHECK_CMD(&f, "enable acast_ntp");
	REPLY(&f, &c, T0, "0011-acast_ntp: enabled\n0000 \n");
	CHECK(!fake_has_input(&f));
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
	CHECK_EQ(edge_bird_state(&c, "acast_www"), EDGE_BIRD_WITHDRAWN);
	CHECK_EQ(edge_bird_state(&c, "acast_ntp"), EDGE_BIRD_ANNOUNCED);
	CHECK_EQ(edge_bird_state(&c, "acast_nope"), EDGE_BIRD_UNKNOWN);
out:
	TEARDOWN(&f, &c);
}

/*
 * Every reassert_ms the wanted state is sent again; after a `configure`
 * (the fake answers "enabled", not "already enabled") it counts a drift.
 */
TEST(bird_client_reasserts_after_server_reset)
{
	struct edge_bird_opts opts = {.reassert_ms = 1000};
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";

	SETUP(&f, &c, &opts);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_CMD(&f, "enable acast_dns");
	REPLY(&f, &c, T0, R_ENABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);

	CHECK_EQ(edge_bird_client_tick(&c, T0 + 999), 0);
	CHECK(!fake_has_input(&f));
	CHECK_EQ(edge_bird_client_next_tick(&c), T0 + 1000);
	CHECK_EQ(edge_bird_client_tick(&c, T0 + 1000), 0);
	CHECK_CMD(&f, "enable acast_dns");
	REPLY(&f, &c, T0 + 1000, R_ALREADY_EN);
	CHECK_EQ(edge_bird_proto_get(&c, "acast_dns")->drifts, 0);

	/* `birdc configure` reset it to `disabled yes` meanwhile. */
	CHECK_EQ(edge_bird_client_tick(&c, T0 + 2000), 0);
	CHECK_CMD(&f, "enable acast_dns");
	REPLY(&f, &c, T0 + 2000, R_ENABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
	CHECK_EQ(edge_bird_proto_get(&c, "acast_dns")->drifts, 1);

	/* The same for a withdrawn one. */
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", false), 0);
	CHECK_CMD(&f, "disable acast_dns");
	REPLY(&f, &c, T0 + 2001, R_DISABLED);
	CHECK_EQ(edge_bird_client_tick(&c, T0 + 3000), 0);
	CHECK_CMD(&f, "disable acast_dns");
	REPLY(&f, &c, T0 + 3000, R_DISABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_WITHDRAWN);
	CHECK_EQ(edge_bird_proto_get(&c, "acast_dns")->drifts, 2);
out:
	TEARDOWN(&f, &c);
}

TEST(bird_client_reconnects_after_server_closes)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";
	__u64 t = T0 + 5000;

	SETUP(&f, &c, NULL);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_CMD(&f, "enable acast_dns");
	REPLY(&f, &c, T0, R_ENABLED);

	/* BIRD restarts: the socket closes. */
	close(f.fd);
	f.fd = -1;
	CHECK_EQ(edge_bird_client_handle_readable(&c, t), -ECONNRESET);
	CHECK_EQ(edge_bird_client_fd(&c), -1);
	CHECK(!edge_bird_client_connected(&c));
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_UNKNOWN);
	CHECK_STRSTR(c.error, "connection closed by BIRD");
	CHECK_STRSTR(c.error, f.path);

	/* 100 ms later, not sooner, it connects again and re-asserts. */
	CHECK_EQ(edge_bird_client_next_tick(&c), t + 100);
	CHECK_EQ(edge_bird_client_tick(&c, t + 99), 0);
	CHECK(!fake_pending(&f));
	CHECK_EQ(edge_bird_client_tick(&c, t + 100), 0);
	CHECK_EQ(fake_accept(&f), 0);
	REPLY(&f, &c, t + 100, GREETING);
	CHECK_CMD(&f, "enable acast_dns");
	REPLY(&f, &c, t + 100, R_ENABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
	CHECK_STREQ(c.error, "");
out:
	TEARDOWN(&f, &c);
}

/* No BIRD at all: the exact message, and 100 ms doubling up to 5 s. */
TEST(bird_client_backoff_doubles_to_max)
{
	static const unsigned int want[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
	struct edge_bird_client c;
	__u64 t = T0;
	size_t i;

	ASSERT_OK(edge_bird_client_init(&c, "/nonexistent/anyedge/bird.ctl", NULL));
	ASSERT_EQ(edge_bird_client_tick(&c, t), -ENOENT);
	ASSERT_STREQ(c.error, "bird control socket /nonexistent/anyedge/bird.ctl: "
			      "connect failed: No such file or directory");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ASSERT_EQ(edge_bird_client_next_tick(&c), t + want[i]);
		ASSERT_EQ(edge_bird_client_tick(&c, t + want[i] - 1), 0);
		t += want[i];
		ASSERT_EQ(edge_bird_client_tick(&c, t), -ENOENT);
		ASSERT_EQ(edge_bird_client_fd(&c), -1);
	}
	edge_bird_client_free(&c);
}

/* 9xxx and 8xxx: that protocol is in error, the session goes on. */
TEST(bird_client_unknown_protocol_is_error_state)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	const struct edge_bird_proto *p;
	char why[512] = "";

	SETUP(&f, &c, NULL);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_nosuch", true), 0);
	CHECK_CMD(&f, "enable acast_nosuch");
	REPLY(&f, &c, T0, R_SYNTAX);
	p = edge_bird_proto_get(&c, "acast_nosuch");
	CHECK(p);
	CHECK_EQ(p->state, EDGE_BIRD_ERROR);
	CHECK_STREQ(p->error, "enable acast_nosuch: 9001 syntax error, unexpected "
			      "CF_SYM_UNDEFINED, expecting CF_SYM_KNOWN or TEXT or ALL");
	CHECK(edge_bird_client_connected(&c));

	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", false), 0);
	CHECK_CMD(&f, "disable acast_dns");
	REPLY(&f, &c, T0, "8007 Access denied\n");
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ERROR);
	CHECK_STRSTR(edge_bird_proto_get(&c, "acast_dns")->error, "8007 Access denied");

	/* A reply of the wrong kind is an error too, never a success. */
	CHECK_EQ(edge_bird_client_tick(&c, T0 + 1000), 0);
	CHECK_CMD(&f, "enable acast_nosuch");
	REPLY(&f, &c, T0 + 1000, "0011-acast_nosuch: enabled\n0000 \n");
	CHECK_EQ(edge_bird_state(&c, "acast_nosuch"), EDGE_BIRD_ANNOUNCED);
	CHECK_CMD(&f, "disable acast_dns");
	REPLY(&f, &c, T0 + 1000, R_ENABLED); /* enabled, for a disable */
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ERROR);
	CHECK_STRSTR(edge_bird_proto_get(&c, "acast_dns")->error,
		     "unexpected reply 0011 acast_dns: enabled");
	CHECK(edge_bird_client_connected(&c));
out:
	TEARDOWN(&f, &c);
}

/* Replies trickling in a byte at a time count only when complete. */
TEST(bird_client_partial_reads)
{
	static const char reply[] = R_ENABLED;
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "", byte[2] = "";
	size_t i;

	CHECK_EQ(fake_start(&f), 0);
	CHECK_EQ(edge_bird_client_init(&c, f.path, NULL), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_EQ(edge_bird_client_tick(&c, T0), 0);
	CHECK_EQ(fake_accept(&f), 0);
	for (i = 0; i < strlen(GREETING); i++) {
		CHECK(!edge_bird_client_connected(&c));
		byte[0] = GREETING[i];
		REPLY(&f, &c, T0, byte);
	}
	CHECK(edge_bird_client_connected(&c));
	CHECK_CMD(&f, "enable acast_dns");
	for (i = 0; i < strlen(reply); i++) {
		CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_UNKNOWN);
		byte[0] = reply[i];
		REPLY(&f, &c, T0, byte);
	}
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
out:
	TEARDOWN(&f, &c);
}

/*
 * The client's socket is full when it wants to send: it keeps the command,
 * asks to be polled for writing, and sends the rest when writable.
 */
TEST(bird_client_resumes_command_after_full_socket)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "", junk[4096], line[256];
	int sndbuf = 4096, fd, n;
	size_t stuffed = 0, got = 0;

	CHECK_EQ(fake_start(&f), 0);
	CHECK_EQ(edge_bird_client_init(&c, f.path, NULL), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_EQ(edge_bird_client_tick(&c, T0), 0);
	CHECK_EQ(fake_accept(&f), 0);

	/* Fill the client's send side behind its back, with no newline. */
	fd = edge_bird_client_fd(&c);
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	memset(junk, 'x', sizeof(junk));
	for (n = sizeof(junk); n;) {
		ssize_t w = send(fd, junk, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && errno != EAGAIN)
			CHECK_FAIL("stuffing the client socket: %s", strerror(errno));
		if (w < 0)
			n /= 2;
		else
			stuffed += w;
		CHECK(stuffed < 64 * 1024 * 1024);
	}
	CHECK(stuffed > 0);

	REPLY(&f, &c, T0, GREETING);
	CHECK(edge_bird_client_want_write(&c));
	CHECK_EQ(edge_bird_client_handle_writable(&c, T0), 0); /* still full */
	CHECK(edge_bird_client_want_write(&c));

	/* The fake reads the junk; then the command goes out. */
	while (got < stuffed) {
		ssize_t r;

		CHECK(readable(f.fd, WAIT_MS));
		r = read(f.fd, junk, stuffed - got < sizeof(junk) ? stuffed - got : sizeof(junk));
		CHECK(r > 0);
		got += r;
	}
	CHECK(edge_bird_client_want_write(&c));
	CHECK_EQ(edge_bird_client_handle_writable(&c, T0), 0);
	CHECK(!edge_bird_client_want_write(&c));
	n = fake_recv_line(&f, line, sizeof(line));
	CHECK(n > 0);
	CHECK_STREQ(line, "enable acast_dns");
	REPLY(&f, &c, T0, R_ENABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
out:
	TEARDOWN(&f, &c);
}

/* A BIRD that stays silent is given up on and reconnected to. */
TEST(bird_client_times_out_silent_server)
{
	struct edge_bird_opts opts = {.reply_timeout_ms = 3000};
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";
	__u64 t;

	CHECK_EQ(fake_start(&f), 0);
	CHECK_EQ(edge_bird_client_init(&c, f.path, &opts), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_EQ(edge_bird_client_tick(&c, T0), 0);
	CHECK_EQ(fake_accept(&f), 0);
	CHECK_EQ(edge_bird_client_tick(&c, T0 + 2999), 0);
	CHECK_EQ(edge_bird_client_tick(&c, T0 + 3000), -ETIMEDOUT);
	CHECK_STRSTR(c.error, "no greeting within 3000 ms");
	CHECK_EQ(edge_bird_client_fd(&c), -1);

	t = edge_bird_client_next_tick(&c);
	CHECK_EQ(t, T0 + 3100);
	CHECK_EQ(edge_bird_client_tick(&c, t), 0);
	CHECK_EQ(fake_accept(&f), 0);
	REPLY(&f, &c, t, GREETING);
	CHECK_CMD(&f, "enable acast_dns");
	CHECK_EQ(edge_bird_client_tick(&c, t + 3000), -ETIMEDOUT);
	CHECK_STRSTR(c.error, "no reply to 'enable acast_dns' within 3000 ms");
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_UNKNOWN);
	CHECK_EQ(edge_bird_client_fd(&c), -1);
out:
	TEARDOWN(&f, &c);
}

/* Garbage on the socket: the stream is out of step, so reconnect. */
TEST(bird_client_garbage_reply_reconnects)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";

	SETUP(&f, &c, NULL);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_CMD(&f, "enable acast_dns");
	CHECK_EQ(fake_send(&f, "OK enabled\n"), 0);
	CHECK_EQ(edge_bird_client_handle_readable(&c, T0), -EBADMSG);
	CHECK_STRSTR(c.error, "bad reply: line 2: no 4-digit code and '-' or ' ': \"OK enabled\"");
	CHECK_EQ(edge_bird_client_fd(&c), -1);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_UNKNOWN);

	/* An unsolicited reply while idle is out of step as well. */
	CHECK_EQ(edge_bird_client_tick(&c, T0 + 100), 0);
	CHECK_EQ(fake_accept(&f), 0);
	REPLY(&f, &c, T0 + 100, GREETING);
	CHECK_CMD(&f, "enable acast_dns");
	REPLY(&f, &c, T0 + 100, R_ENABLED);
	CHECK_EQ(fake_send(&f, R_ENABLED), 0);
	CHECK_EQ(edge_bird_client_handle_readable(&c, T0 + 100), -EPROTO);
	CHECK_STRSTR(c.error, "unexpected reply");
out:
	TEARDOWN(&f, &c);
}

/* A wish changed while its command is in flight is sent right after. */
TEST(bird_client_change_while_in_flight_follows_reply)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";

	SETUP(&f, &c, NULL);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", true), 0);
	CHECK_CMD(&f, "enable acast_dns");
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_dns", false), 0);
	CHECK(!fake_has_input(&f));
	REPLY(&f, &c, T0, R_ENABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_ANNOUNCED);
	CHECK_CMD(&f, "disable acast_dns");
	REPLY(&f, &c, T0, R_DISABLED);
	CHECK_EQ(edge_bird_state(&c, "acast_dns"), EDGE_BIRD_WITHDRAWN);
out:
	TEARDOWN(&f, &c);
}

/* Forgetting the protocol in flight drops its reply, keeps the others. */
TEST(bird_client_forget_in_flight)
{
	struct edge_bird_client c = {.fd = -1};
	struct fake f = {.fd = -1, .lfd = -1};
	char why[512] = "";

	SETUP(&f, &c, NULL);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_a", true), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_b", true), 0);
	CHECK_EQ(edge_bird_set_wanted(&c, "acast_c", true), 0);
	CHECK_CMD(&f, "enable acast_a");
	REPLY(&f, &c, T0, "0011-acast_a: enabled\n0000 \n");
	CHECK_CMD(&f, "enable acast_b");
	CHECK_EQ(edge_bird_forget(&c, "acast_a"), 0); /* before the one in flight */
	CHECK_EQ(edge_bird_forget(&c, "acast_a"), -ENOENT);
	REPLY(&f, &c, T0, "0011-acast_b: enabled\n0000 \n");
	CHECK_EQ(edge_bird_state(&c, "acast_b"), EDGE_BIRD_ANNOUNCED);
	CHECK_CMD(&f, "enable acast_c");
	CHECK_EQ(edge_bird_forget(&c, "acast_c"), 0); /* the one in flight */
	REPLY(&f, &c, T0, "0011-acast_c: enabled\n0000 \n");
	CHECK(!edge_bird_proto_get(&c, "acast_c"));
	CHECK_EQ(c.n_protos, 1);
	CHECK_EQ(edge_bird_state(&c, "acast_b"), EDGE_BIRD_ANNOUNCED);
	CHECK(edge_bird_client_connected(&c));
	CHECK(!fake_has_input(&f));
out:
	TEARDOWN(&f, &c);
}

/* Only BIRD symbols: nothing else can reach the command line. */
TEST(bird_client_rejects_names_that_are_not_symbols)
{
	char name[EDGE_BIRD_NAME_MAX + 2];
	struct edge_bird_client c;

	ASSERT_OK(edge_bird_client_init(&c, "/nonexistent/bird.ctl", NULL));
	ASSERT_EQ(edge_bird_set_wanted(&c, "", true), -EINVAL);
	ASSERT_EQ(edge_bird_set_wanted(&c, "1acast", true), -EINVAL);
	ASSERT_EQ(edge_bird_set_wanted(&c, "acast dns", true), -EINVAL);
	ASSERT_EQ(edge_bird_set_wanted(&c, "acast\nrestart", true), -EINVAL);
	ASSERT_EQ(edge_bird_set_wanted(&c, "\"acast*\"", true), -EINVAL);
	memset(name, 'a', sizeof(name));
	name[EDGE_BIRD_NAME_MAX + 1] = '\0';
	ASSERT_EQ(edge_bird_set_wanted(&c, name, true), -EINVAL);
	name[EDGE_BIRD_NAME_MAX] = '\0';
	ASSERT_OK(edge_bird_set_wanted(&c, name, true));
	ASSERT_OK(edge_bird_set_wanted(&c, "_Acast_9", false));
	ASSERT_EQ(c.n_protos, 2);
	edge_bird_client_free(&c);
}

TEST(bird_client_init_rejects_long_path)
{
	char path[200];
	struct edge_bird_client c;

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ASSERT_EQ(edge_bird_client_init(&c, path, NULL), -ENAMETOOLONG);
	ASSERT_OK(edge_bird_client_init(&c, NULL, NULL));
	ASSERT_STREQ(c.path, "/run/bird/bird.ctl");
	edge_bird_client_free(&c);
}

/* Blocking helper, against a fake BIRD in a child process */

enum fake_script {
	FAKE_ANSWERS, /* greeting, then R_SHOW_STATUS in small pieces */
	FAKE_SILENT,  /* accepts, says nothing */
};

/* The child: serve one connection, then exit (bounded by alarm). */
static void fake_child(struct fake *f, enum fake_script script)
{
	static const char reply[] = R_SHOW_STATUS;
	char line[256];
	size_t i;
	int n;

	alarm(10);
	if (fake_accept(f))
		_exit(1);
	if (script == FAKE_SILENT) {
		readable(f->fd, 5000); /* until the client gives up and closes */
		_exit(0);
	}
	if (fake_send(f, GREETING))
		_exit(1);
	n = fake_recv_line(f, line, sizeof(line));
	if (n < 0 || strcmp(line, "show status"))
		_exit(2);
	for (i = 0; i < strlen(reply); i += 10) {
		char piece[11] = "";

		memcpy(piece, reply + i, strlen(reply) - i < 10 ? strlen(reply) - i : 10);
		if (fake_send(f, piece))
			_exit(1);
		usleep(1000);
	}
	_exit(0);
}

/* fork a fake; the parent runs the command, then reaps the child. */
static int run_command(enum fake_script script, int timeout_ms, struct edge_bird_reply *reply,
		       int *child_status)
{
	struct fake f;
	pid_t pid;
	int ret;

	ret = fake_start(&f);
	if (ret)
		return ret;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		fake_stop(&f);
		return ret;
	}
	if (!pid)
		fake_child(&f, script);
	ret = edge_bird_command(f.path, "show status", reply, timeout_ms);
	while (waitpid(pid, child_status, 0) < 0 && errno == EINTR)
		;
	fake_stop(&f);
	return ret;
}

TEST(bird_command_one_shot)
{
	struct edge_bird_reply r;
	int status;

	ASSERT_OK(run_command(FAKE_ANSWERS, WAIT_MS, &r, &status));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(r.code, 13);
	ASSERT_EQ(r.n_lines, 5);
	ASSERT_STREQ(r.lines[2].text, "Hostname is edge1");
	ASSERT_FALSE(edge_bird_reply_is_error(&r));
	edge_bird_reply_free(&r);
}

TEST(bird_command_times_out)
{
	struct edge_bird_reply r;
	int status;

	ASSERT_EQ(run_command(FAKE_SILENT, 200, &r, &status), -ETIMEDOUT);
	ASSERT_EQ(r.n_lines, 0);
}

TEST(bird_command_connect_failure)
{
	struct edge_bird_reply r;

	ASSERT_EQ(edge_bird_command("/nonexistent/anyedge/bird.ctl", "show status", &r, 200),
		  -ENOENT);
	ASSERT_EQ(edge_bird_command("/nonexistent/anyedge/bird.ctl", "a\nb", &r, 200), -EINVAL);
	ASSERT_EQ(edge_bird_command("/nonexistent/anyedge/bird.ctl", "", &r, 200), -EINVAL);
}
