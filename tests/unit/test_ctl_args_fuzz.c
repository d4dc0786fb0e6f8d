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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	struct fuzz_rng rng = {.s = 0x63746cULL};
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
