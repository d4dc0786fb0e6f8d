// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test runner: runs every TEST() (or those whose name contains
 * argv[1]) in file and line order, each in its own child process so that
 * a crash or a hang fails that one test and the rest still run. Exits 1 if
 * any test failed. UNIT_NOFORK=1 runs them in-process, for a debugger.
 *
 * Prints one line per test and no totals: tests/run.sh counts the lines.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#ifndef UNIT_TIMEOUT
#define UNIT_TIMEOUT 60 /* seconds per test, generous for valgrind */
#endif

/* Kept sorted by file and line, so the run order is the source order. */
static struct unit_test *unit_tests;

static int cmp_tests(const struct unit_test *a, const struct unit_test *b)
{
	int c = strcmp(a->file, b->file);

	return c ? c : a->line - b->line;
}

void unit_register(struct unit_test *test)
{
	struct unit_test **pos = &unit_tests;

	while (*pos && cmp_tests(*pos, test) < 0)
		pos = &(*pos)->next;
	test->next = *pos;
	*pos = test;
}

void unit_fail(struct unit_state *unit_, enum unit_status status, const char *file, int line,
	       const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	unit_->status = status;
	if (file)
		n = snprintf(unit_->msg, sizeof(unit_->msg), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(unit_->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(unit_->msg + n, sizeof(unit_->msg) - n, fmt, ap);
	va_end(ap);
}

/* The write end of a pipe gets the whole state: it is below PIPE_BUF. */
static void run_child(const struct unit_test *test, int fd)
{
	struct unit_state st = {.status = UNIT_PASS};
	const char *p = (const char *)&st;
	size_t off = 0;
	ssize_t n;

	alarm(UNIT_TIMEOUT);
	test->fn(&st);
	while (off < sizeof(st)) {
		n = write(fd, p + off, sizeof(st) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(2);
		off += n;
	}
	_exit(0);
}

static void run_forked(const struct unit_test *test, struct unit_state *st)
{
	size_t off = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds)) {
		unit_fail(st, UNIT_FAIL, NULL, 0, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		unit_fail(st, UNIT_FAIL, NULL, 0, "fork: %s", strerror(errno));
		goto out_close;
	}
	if (!pid) {
		close(fds[0]);
		run_child(test, fds[1]);
	}
	close(fds[1]);
	fds[1] = -1;
	while (off < sizeof(*st)) {
		n = read(fds[0], (char *)st + off, sizeof(*st) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (WIFSIGNALED(status))
		unit_fail(st, UNIT_FAIL, NULL, 0, "killed by signal %d (%s)", WTERMSIG(status),
			  strsignal(WTERMSIG(status)));
	else if (off < sizeof(*st))
		unit_fail(st, UNIT_FAIL, NULL, 0, "exited (status %d) without a result",
			  WEXITSTATUS(status));
	else if (WEXITSTATUS(status) && st->status != UNIT_FAIL)
		/* e.g. valgrind --error-exitcode after the test itself passed */
		unit_fail(st, UNIT_FAIL, NULL, 0, "%s, but exited with status %d (valgrind error?)",
			  st->status == UNIT_SKIP ? "skipped" : "passed", WEXITSTATUS(status));
out_close:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *nofork = getenv("UNIT_NOFORK");
	struct unit_test *t;
	size_t ran = 0;
	int failed = 0;

	for (t = unit_tests; t; t = t->next) {
		struct unit_state st = {.status = UNIT_PASS};

		if (filter && !strstr(t->name, filter))
			continue;
		ran++;
		if (nofork && strcmp(nofork, "0"))
			t->fn(&st);
		else
			run_forked(t, &st);

		switch (st.status) {
		case UNIT_PASS:
			printf("ok %s\n", t->name);
			break;
		case UNIT_SKIP:
			printf("skip %s: %s\n", t->name, st.msg);
			break;
		default:
			printf("FAIL %s: %s\n", t->name, st.msg);
			failed = 1;
			break;
		}
		fflush(stdout);
	}

	if (!ran) {
		fprintf(stderr, "unit: no test matches '%s'\n", filter ? filter : "");
		return 1;
	}
	return failed;
}
