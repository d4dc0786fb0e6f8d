// SPDX-License-Identifier: GPL-2.0
/*
 * Health-check engine cost (issue: 1,000 checks at 250 ms must need no
 * more than a few % of a core): N checks against a local server, run by
 * the engine (user/health.c) for D seconds on this thread; the CPU time
 * of this thread alone (RUSAGE_THREAD) over the wall time is the engine's
 * share of a core. The server (accept, answer, close) runs on another
 * thread and is not counted.
 *
 *	build/health_bench [-n CHECKS] [-i INTERVAL_MS] [-d SECONDS] [-t tcp|http]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "health.h"
#include "log.h"

static int lfd = -1;
static int http;

/* Accept, answer (http), close: one connection at a time is plenty here. */
static void *server(void *arg)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
	char buf[1024];
	int c;

	(void)arg;
	for (;;) {
		c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		if (http) {
			if (recv(c, buf, sizeof(buf), 0) > 0)
				send(c, resp, sizeof(resp) - 1, MSG_NOSIGNAL);
		}
		close(c);
	}
	return NULL;
}

/* This thread's CPU seconds: user and system. */
static void cpu_s(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	unsigned int n = 1000, interval = 250, secs = 10, i;
	struct edge_check_cfg cfg = {};
	struct edge_health *h;
	socklen_t len = sizeof(sa);
	unsigned long long runs0 = 0, runs = 0, fails0 = 0, fails = 0;
	struct edge_check **checks;
	double u0, s0, u1, s1, wall;
	__u64 t0, t1;
	pthread_t th;
	int opt, one = 1;

	while ((opt = getopt(argc, argv, "n:i:d:t:")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'i':
			interval = atoi(optarg);
			break;
		case 'd':
			secs = atoi(optarg);
			break;
		case 't':
			http = !strcmp(optarg, "http");
			break;
		default:
			fprintf(stderr, "usage: %s [-n CHECKS] [-i MS] [-d S] [-t tcp|http]\n",
				argv[0]);
			return 2;
		}
	}
	edge_log_set_level(EDGE_LOG_WARN);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len)) {
		perror("listen");
		return 1;
	}
	pthread_create(&th, NULL, server, NULL);

	h = edge_health_new();
	checks = calloc(n, sizeof(*checks));
	if (!h || !checks)
		return 1;
	cfg.type = http ? EDGE_CHECK_HTTP : EDGE_CHECK_TCP;
	memcpy(&cfg.addr, &sa, sizeof(sa));
	cfg.interval_ms = interval;
	for (i = 0; i < n; i++) {
		snprintf(cfg.name, sizeof(cfg.name), "bench%u", i);
		checks[i] = edge_health_add(h, &cfg, NULL, NULL);
		if (!checks[i]) {
			fprintf(stderr, "adding check %u: %s (raise RLIMIT_NOFILE?)\n", i,
				strerror(errno));
			return 1;
		}
	}
	/* One interval to spread the first runs, then measure. */
	t0 = edge_now_ms();
	while (edge_now_ms() - t0 < interval)
		edge_health_run_once(h, 50);
	for (i = 0; i < n; i++) {
		runs0 += checks[i]->st.runs;
		fails0 += checks[i]->st.failures;
	}
	t0 = edge_now_ms();
	cpu_s(&u0, &s0);
	while ((t1 = edge_now_ms()) - t0 < secs * 1000ULL)
		edge_health_run_once(h, 100);
	cpu_s(&u1, &s1);
	for (i = 0; i < n; i++) {
		runs += checks[i]->st.runs;
		fails += checks[i]->st.failures;
	}
	wall = (t1 - t0) / 1000.0;
	/*
	 * Over loopback the kernel runs the whole TCP handshake, the
	 * server's half included, in this thread's system time: "sys"
	 * overstates what checks across a network cost; "user" is the
	 * engine's own work.
	 */
	printf("health_bench: %u %s checks every %u ms, %.1f s: %.0f runs/s, %llu failed; "
	       "engine thread %.1f%% of a core (user %.1f%%, sys %.1f%% incl. loopback TCP)\n",
	       n, http ? "http" : "tcp", interval, wall, (runs - runs0) / wall, fails - fails0,
	       100.0 * (u1 - u0 + s1 - s0) / wall, 100.0 * (u1 - u0) / wall,
	       100.0 * (s1 - s0) / wall);
	return 0;
}
