// SPDX-License-Identifier: GPL-2.0
/*
 * anyedgectl's command line: every subcommand with missing, extra and
 * malformed arguments exits 2 (a usage error) before it opens a socket or
 * a map; well-formed ones get past that check (exit 1 here: nothing
 * listens); and random argument vectors never kill it with a signal.
 *
 * The binary is build/anyedgectl beside this test program. Every run
 * names a socket and pin path that do not exist, so it never talks to a
 * daemon or writes a map of this host.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"
#include "unit.h"

#define CTL_FUZZ_RUNS 250
#define NOWHERE	      "/nonexistent/anyedge-ctl-fuzz"

static int ctl_path(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (snprintf(out, size, "%s/anyedgectl", self) >= (int)size)
		return -1;
	return access(out, X_OK);
}

/*
 * Run anyedgectl -s NOWHERE -p NOWHERE ARGS... with no input and output
 * to /dev/null; its wait status, or -1.
 */
static int run_ctl(const char *ctl, char *const *args, int nargs)
{
	char *argv[64];
	int i, status, fd;
	pid_t pid;

	if (nargs > 58)
		return -1;
	argv[0] = (char *)ctl;
	argv[1] = "-s";
	argv[2] = NOWHERE "/sock";
	argv[3] = "-p";
	argv[4] = NOWHERE;
	for (i = 0; i < nargs; i++)
		argv[5 + i] = args[i];
	argv[5 + nargs] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		alarm(20);
		execv(ctl, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

#define EXITS(status, code) (WIFEXITED(status) && WEXITSTATUS(status) == (code))

/* A vector of words: at most 8, split at '|'. */
static int split(char *s, char **out)
{
	int n = 0;

	while (s && *s && n < 8) {
		out[n++] = s;
		s = strchr(s, '|');
		if (s)
			*s++ = '\0';
	}
	return n;
}

TEST(ctl_args_bad_ones_are_usage_errors)
{
	static const char *const bad[] = {
		"",
		"nosuch",
		"STATUS",
		"status|x",
		"stats|x",
		"pools|x",
		"backends|x",
		"lb|x",
		"reload|now",
		"help|me",
		"upgrade|relative/anyedged",
		"upgrade|/a|/b",
		"pool",
		"pool|fra",
		"pool|fra|up|now",
		"pool|fra|sideways",
		"pool|fra|UP",
		"pool|FRA|up",
		"pool||up",
		"pool|256|up",
		"pool|99999999999999999999999|up",
		"pool|fra/x|down",
		"pool|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|up",
		"drain",
		"drain|not-an-address",
		"drain|192.0.2.1|192.0.2.2",
		"drain|192.0.2.1/32",
		"drain|",
		"undrain|::g",
		"withdraw",
		"withdraw|192.0.2.1/24",
		"withdraw|192.0.2.0/33",
		"withdraw|192.0.2.0/24|x",
		"withdraw|x/24",
		"announce|/24",
		"announce|192.0.2.0/",
		"announce|2001:db8::/129",
		"auto|",
		"auto|192.0.2.0/-1",
		"-x|status",
		"--socket",
		"--nosuch|status",
		"-j",
	};
	char ctl[PATH_MAX], buf[256], *args[8];
	size_t i;
	int n, st;

	if (ctl_path(ctl, sizeof(ctl)))
		SKIP("no anyedgectl beside the test program");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		n = split(buf, args);
		st = run_ctl(ctl, args, n);
		if (!EXITS(st, 2))
			FAIL("anyedgectl %s: %s %d, not exit 2", bad[i],
			     WIFSIGNALED(st) ? "signal" : "exit",
			     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
}

TEST(ctl_args_good_ones_pass_the_check)
{
	static const char *const good[] = {
		"status",	   "stats",	      "pools",
		"pool|fra|up",	   "pool|0|down",     "pool|255|up",
		"backends",	   "drain|192.0.2.1", "undrain|2001:db8::1",
		"withdraw|192.0.2.0/24", "announce|2001:db8::/32", "auto|192.0.2.53",
		"reload",	   "help",	      "lb",
		"upgrade",	   "upgrade|/usr/local/sbin/anyedged",
	};
	char ctl[PATH_MAX], buf[256], *args[8];
	size_t i;
	int n, st;

	if (ctl_path(ctl, sizeof(ctl)))
		SKIP("no anyedgectl beside the test program");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", good[i]);
		n = split(buf, args);
		st = run_ctl(ctl, args, n);
		/* No daemon, no maps: a runtime failure, not a usage error. */
		if (!EXITS(st, 1))
			FAIL("anyedgectl %s: %s %d, not exit 1", good[i],
			     WIFSIGNALED(st) ? "signal" : "exit",
			     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
}

TEST(ctl_args_random_vectors_never_crash)
{
	static const char *const words[] = {
		"status", "stats", "pools", "pool", "backends", "lb", "drain", "undrain",
		"withdraw", "announce", "auto", "reload", "help", "up", "down", "fra", "0",
		"-1", "256", "192.0.2.1", "192.0.2.0/24", "2001:db8::/32", "::", "-j", "--json",
		"-h", "--", "-", "", "-c", NOWHERE "/edge.yaml", "%s%n%s", "\xff\xfe", "x\ny",
	};
	unsigned long runs = fuzz_iters(CTL_FUZZ_RUNS), it, by_code[3] = {0, 0, 0};
	struct fuzz_rng rng = {.s = fuzz_seed(0x63746cULL)};
	static char longarg[70000];
	char ctl[PATH_MAX], rnd[8][32], *args[8];
	int n, i, j, st;

	if (ctl_path(ctl, sizeof(ctl)))
		SKIP("no anyedgectl beside the test program");
	memset(longarg, 'a', sizeof(longarg) - 1);
	for (it = 0; it < runs; it++) {
		n = fuzz_below(&rng, 6);
		for (i = 0; i < n; i++) {
			switch (fuzz_below(&rng, 8)) {
			case 0: /* random bytes */
				for (j = 0; j < (int)sizeof(rnd[i]) - 1; j++)
					rnd[i][j] = (char)(1 + fuzz_below(&rng, 255));
				rnd[i][fuzz_below(&rng, sizeof(rnd[i]))] = '\0';
				args[i] = rnd[i];
				break;
			case 1:
				args[i] = longarg;
				break;
			default:
				args[i] = (char *)words[fuzz_below(&rng, sizeof(words) /
									 sizeof(words[0]))];
				break;
			}
		}
		st = run_ctl(ctl, args, n);
		if (WIFSIGNALED(st) || !WIFEXITED(st) || WEXITSTATUS(st) > 2)
			FAIL("run %lu: anyedgectl with %d random arguments: %s %d", it, n,
			     WIFSIGNALED(st) ? "signal" : "exit",
			     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		by_code[WEXITSTATUS(st)]++;
	}
	printf("# anyedgectl fuzz: %lu runs: exit 0 %lu, 1 %lu, 2 %lu\n", runs, by_code[0],
	       by_code[1], by_code[2]);
	fflush(stdout);
	ASSERT_TRUE(by_code[2] > runs / 4);
}

/*
 * Replies anyedgectl may get from another daemon version (or a broken
 * one): missing lists, wrong types, nulls, garbage. Found by this test:
 * json-c aborts on the length of a non-list and walking a non-object's
 * members dereferences NULL, so `anyedgectl status` died on a reply
 * without "pools", and `backends` on a null entry (printf -> puts(NULL)).
 */
static const char *const hostile_replies[] = {
	"{\"ok\":true}",
	"{\"ok\":true,\"data\":null}",
	"{\"ok\":true,\"data\":[]}",
	"{\"ok\":true,\"data\":[null,1,{}]}",
	"{\"ok\":true,\"data\":{}}",
	"{\"ok\":true,\"data\":\"x\"}",
	"{\"ok\":true,\"data\":{\"pools\":{},\"daemon\":[],\"reload\":1,\"overrides\":\"x\","
	"\"drained\":{},\"backends\":[null,1,{\"a\":null}],\"anycast\":[null,1,{\"prefix\":2}],"
	"\"health\":{\"checks\":{}},\"x\":null}}",
	"{\"ok\":true,\"data\":{\"daemon\":{\"interfaces\":{}},\"pools\":[null,{\"up\":null}],"
	"\"overrides\":[null],\"drained\":[null,{}],\"health\":{\"checks\":[null,{\"up\":1}]},"
	"\"backends\":{\"a\":1}}}",
	"{\"ok\":false}",
	"{\"ok\":false,\"error\":null}",
	"{\"ok\":false,\"error\":{\"a\":[1]}}",
	"{\"ok\":1}",
	"[1,2]",
	"null",
	"not json at all",
	"",
	"{\"ok\":true,\"data\":{\"packets\":\"x\",\"bytes\":[],\"verdict_pass\":null}}",
};

/*
 * Run anyedgectl against a socket at path that answers the first request
 * with reply, its stdout to out_fd (-1: /dev/null). Its wait status, or -1.
 */
static int run_ctl_against_out(const char *ctl, const char *path, char *const *args, int nargs,
			       const char *reply, int out_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *argv[16], buf[8192];
	int lfd, cfd, i, status, fd;
	struct pollfd pfd;
	pid_t pid;

	if (nargs > 10 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4)) {
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	argv[0] = (char *)ctl;
	argv[1] = "-s";
	argv[2] = (char *)path;
	for (i = 0; i < nargs; i++)
		argv[3 + i] = args[i];
	argv[3 + nargs] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(lfd);
		return -1;
	}
	if (!pid) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(out_fd >= 0 ? out_fd : fd, 1);
			dup2(fd, 2);
		}
		alarm(20);
		execv(ctl, argv);
		_exit(127);
	}
	/* Serve one connection (stats may first probe with an empty one). */
	for (i = 0; i < 2; i++) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 3000) != 1)
			break;
		cfd = accept(lfd, NULL, NULL);
		if (cfd < 0)
			break;
		pfd.fd = cfd;
		if (poll(&pfd, 1, 3000) == 1 && read(cfd, buf, sizeof(buf)) > 0) {
			/* A client that hung up early is its own failure, seen below. */
			(void)!write(cfd, reply, strlen(reply));
			(void)!write(cfd, "\n", 1);
			close(cfd);
			break;
		}
		close(cfd);
	}
	close(lfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	unlink(path);
	return status;
}

static int run_ctl_against(const char *ctl, const char *path, char *const *args, int nargs,
			   const char *reply)
{
	return run_ctl_against_out(ctl, path, args, nargs, reply, -1);
}

/*
 * status's health checks line up: the generated names ("POOL TYPE
 * ADDR:PORT") and IPv6 targets are longer than the default columns, and
 * every row's state must still start at the same offset.
 */
TEST(ctl_status_health_columns_fit_long_names)
{
	static const char reply[] =
		"{\"ok\":true,\"data\":{\"health\":{\"checks\":["
		"{\"name\":\"a\",\"pool\":\"p\",\"type\":\"tcp\",\"target\":\"192.0.2.1:80\","
		"\"up\":true,\"last_result\":\"ok\"},"
		"{\"name\":\"eu http 198.51.100.10:80\",\"pool\":\"eu\",\"type\":\"http\","
		"\"target\":\"[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:8080\",\"up\":false,"
		"\"last_result\":\"none\"}]}}}";
	char ctl[PATH_MAX], path[64], out[] = "/tmp/anyedge-ctl-cols.XXXXXX", buf[4096];
	char *args[] = {"status"}, *line, *save = NULL;
	long col[2] = {-1, -1};
	int fd, st, rows = 0;
	ssize_t n;

	if (ctl_path(ctl, sizeof(ctl)))
		SKIP("no anyedgectl beside the test program");
	snprintf(path, sizeof(path), "/tmp/anyedge-ctl-cols-%d.sock", (int)getpid());
	fd = mkstemp(out);
	if (fd < 0)
		FAIL("mkstemp: %s", strerror(errno));
	unlink(out);
	st = run_ctl_against_out(ctl, path, args, 1, reply, fd);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("anyedgectl status: wait status %d", st);
	if (n <= 0)
		FAIL("anyedgectl status printed nothing");
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *state = strstr(line, " UP ") ?: strstr(line, " DOWN ");

		if (!state || !strstr(line, " last ") || rows >= 2)
			continue;
		col[rows++] = state - line;
	}
	ASSERT_EQ(rows, 2);
	ASSERT_EQ(col[0], col[1]);
}

TEST(ctl_hostile_daemon_replies_never_crash_anyedgectl)
{
	static const char *const cmds[] = {
		"status",	"-j|status",	 "pools",	  "backends",
		"help",		"pool|fra|up",	 "drain|192.0.2.1", "withdraw|192.0.2.0/24",
		"reload",	"-j|backends",	 "auto|2001:db8::/32",
	};
	char ctl[PATH_MAX], path[64], buf[128], *args[8];
	size_t c, r;
	int n, st;

	if (ctl_path(ctl, sizeof(ctl)))
		SKIP("no anyedgectl beside the test program");
	snprintf(path, sizeof(path), "/tmp/anyedge-ctl-fuzz-%d.sock", (int)getpid());
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		for (r = 0; r < sizeof(hostile_replies) / sizeof(hostile_replies[0]); r++) {
			snprintf(buf, sizeof(buf), "%s", cmds[c]);
			n = split(buf, args);
			st = run_ctl_against(ctl, path, args, n, hostile_replies[r]);
			if (st == -1)
				FAIL("cannot run anyedgectl against %s", path);
			if (WIFSIGNALED(st) || WEXITSTATUS(st) > 1)
				FAIL("anyedgectl %s, reply %s: %s %d", cmds[c], hostile_replies[r],
				     WIFSIGNALED(st) ? "signal" : "exit",
				     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		}
	}
}
