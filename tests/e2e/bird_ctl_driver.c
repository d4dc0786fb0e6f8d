// SPDX-License-Identifier: GPL-2.0
/*
 * Drives user/route_bird.c against a real BIRD for tests/e2e/test_bird_ctl.sh
 * (built there with gcc directly). Until the daemon grows a subcommand:
 *
 *   bird_ctl_driver SOCK set NAME on|off [TIMEOUT_MS]
 *	run the client until BIRD confirms NAME's state (exit 0) or refuses
 *	it or TIMEOUT_MS (default 5000) passes (exit 1)
 *   bird_ctl_driver SOCK hold NAME on|off SECONDS
 *	keep NAME in that state for SECONDS, re-asserting every 200 ms
 *   bird_ctl_driver SOCK cmd COMMAND [TIMEOUT_MS]
 *	one-shot command: prints "CODE text" per line; exit 0, or 3 if
 *	BIRD answered with an error, or 1
 *
 * set and hold print "state NAME STATE" on every change and
 * "drift NAME N" whenever a re-assert found BIRD in the other state.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "route_bird.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr, "usage: bird_ctl_driver SOCK set NAME on|off [TIMEOUT_MS]\n"
			"       bird_ctl_driver SOCK hold NAME on|off SECONDS\n"
			"       bird_ctl_driver SOCK cmd COMMAND [TIMEOUT_MS]\n");
	return 2;
}

static int run_cmd(const char *sock, const char *cmd, int timeout_ms)
{
	struct edge_bird_reply r;
	size_t i;
	int ret;

	ret = edge_bird_command(sock, cmd, &r, timeout_ms);
	if (ret)
		return 1;
	for (i = 0; i < r.n_lines; i++)
		printf("%04d %s\n", r.lines[i].code, r.lines[i].text);
	ret = edge_bird_reply_is_error(&r) ? 3 : 0;
	edge_bird_reply_free(&r);
	return ret;
}

/* Print what changed for name since the last call. */
static void report(const struct edge_bird_client *c, const char *name, enum edge_bird_state *last,
		   unsigned int *drifts)
{
	const struct edge_bird_proto *p = edge_bird_proto_get(c, name);

	if (p->state != *last) {
		printf("state %s %s%s%s\n", name, edge_bird_state_str(p->state),
		       p->state == EDGE_BIRD_ERROR ? ": " : "", p->error);
		*last = p->state;
	}
	if (p->drifts != *drifts) {
		printf("drift %s %u\n", name, p->drifts);
		*drifts = p->drifts;
	}
	fflush(stdout);
}

/* hold: until duration_ms or a signal; set: until confirmed or refused. */
static int run_client(const char *sock, const char *name, bool announce, bool hold,
		      unsigned int duration_ms)
{
	struct edge_bird_opts opts = {.reassert_ms = 200, .reply_timeout_ms = 2000};
	enum edge_bird_state want = announce ? EDGE_BIRD_ANNOUNCED : EDGE_BIRD_WITHDRAWN;
	enum edge_bird_state last = EDGE_BIRD_UNKNOWN;
	struct edge_bird_client c;
	unsigned int drifts = 0;
	__u64 end, now, next;
	int ret;

	ret = edge_bird_client_init(&c, sock, &opts);
	if (ret)
		return 1;
	ret = edge_bird_set_wanted(&c, name, announce);
	if (ret)
		goto out;
	end = now_ms() + duration_ms;
	ret = 1;
	for (now = now_ms(); now < end && !stop; now = now_ms()) {
		struct pollfd pfd = {.events = POLLIN};

		edge_bird_client_tick(&c, now);
		report(&c, name, &last, &drifts);
		if (!hold && last == want) {
			ret = 0;
			break;
		}
		if (!hold && last == EDGE_BIRD_ERROR)
			break;

		next = edge_bird_client_next_tick(&c);
		next = next > now ? next - now : 0;
		if (next > 50)
			next = 50;
		pfd.fd = edge_bird_client_fd(&c);
		if (edge_bird_client_want_write(&c))
			pfd.events |= POLLOUT;
		if (poll(&pfd, pfd.fd >= 0, (int)next) < 0 && errno != EINTR)
			break;
		now = now_ms();
		if (pfd.revents & POLLOUT)
			edge_bird_client_handle_writable(&c, now);
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			edge_bird_client_handle_readable(&c, now);
		report(&c, name, &last, &drifts);
	}
	if (hold)
		ret = 0;
	else if (ret)
		fprintf(stderr, "bird_ctl_driver: %s not %s: %s%s\n", name,
			edge_bird_state_str(want), edge_bird_state_str(last),
			c.error[0] ? " (last error above)" : "");
out:
	edge_bird_client_free(&c);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	bool on;

	edge_log_set_prefix("bird_ctl_driver");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc < 4)
		return usage();
	if (!strcmp(argv[2], "cmd"))
		return run_cmd(argv[1], argv[3], argc > 4 ? atoi(argv[4]) : 5000);
	if (argc < 5 || (strcmp(argv[4], "on") && strcmp(argv[4], "off")))
		return usage();
	on = !strcmp(argv[4], "on");
	if (!strcmp(argv[2], "set"))
		return run_client(argv[1], argv[3], on, false,
				  argc > 5 ? (unsigned int)atoi(argv[5]) : 5000);
	if (!strcmp(argv[2], "hold") && argc > 5)
		return run_client(argv[1], argv[3], on, true, (unsigned int)atoi(argv[5]) * 1000);
	return usage();
}
