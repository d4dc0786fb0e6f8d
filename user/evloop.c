// SPDX-License-Identifier: GPL-2.0
/* The daemon's event loop: epoll plus a short list of millisecond timers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

struct edge_watch {
	struct edge_watch *next;
	int fd;
	bool dead;
	edge_fd_cb cb;
	void *arg;
};

struct edge_timer {
	struct edge_timer *next;
	uint64_t due;		/* edge_now_ms() at which it fires */
	uint64_t period;	/* 0: one-shot */
	bool dead;
	bool armed;		/* re-armed from its own callback */
	edge_timer_cb cb;
	void *arg;
};

struct edge_loop {
	int epfd;
	bool stop;
	int code;
	struct edge_watch *watches;
	struct edge_timer *timers;
};

uint64_t edge_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct edge_loop *edge_loop_new(void)
{
	struct edge_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int e = errno;

		free(loop);
		errno = e;
		return NULL;
	}
	return loop;
}

static void reap(struct edge_loop *loop)
{
	struct edge_watch **w = &loop->watches, *wf;
	struct edge_timer **t = &loop->timers, *tf;

	while (*w) {
		if ((*w)->dead) {
			wf = *w;
			*w = wf->next;
			free(wf);
		} else {
			w = &(*w)->next;
		}
	}
	while (*t) {
		if ((*t)->dead) {
			tf = *t;
			*t = tf->next;
			free(tf);
		} else {
			t = &(*t)->next;
		}
	}
}

void edge_loop_free(struct edge_loop *loop)
{
	struct edge_watch *w;
	struct edge_timer *t;

	if (!loop)
		return;
	for (w = loop->watches; w; w = w->next)
		w->dead = true;
	for (t = loop->timers; t; t = t->next)
		t->dead = true;
	reap(loop);
	close(loop->epfd);
	free(loop);
}

static struct edge_watch *find_watch(struct edge_loop *loop, int fd)
{
	struct edge_watch *w;

	for (w = loop->watches; w; w = w->next)
		if (!w->dead && w->fd == fd)
			return w;
	return NULL;
}

int edge_loop_add_fd(struct edge_loop *loop, int fd, uint32_t events, edge_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct edge_watch *w;

	if (fd < 0 || !cb)
		return -EINVAL;
	if (find_watch(loop, fd))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int e = errno;

		free(w);
		return -e;
	}
	w->next = loop->watches;
	loop->watches = w;
	return 0;
}

int edge_loop_mod_fd(struct edge_loop *loop, int fd, uint32_t events)
{
	struct edge_watch *w = find_watch(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

int edge_loop_del_fd(struct edge_loop *loop, int fd)
{
	struct edge_watch *w = find_watch(loop, fd);

	if (!w)
		return -ENOENT;
	/* The fd may already be closed; the watch goes either way. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->dead = true;
	return 0;
}

struct edge_timer *edge_loop_timer_add(struct edge_loop *loop, uint64_t first_ms,
				       uint64_t period_ms, edge_timer_cb cb, void *arg)
{
	struct edge_timer *t;

	if (!cb) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->due = edge_now_ms() + first_ms;
	t->period = period_ms;
	t->cb = cb;
	t->arg = arg;
	t->next = loop->timers;
	loop->timers = t;
	return t;
}

void edge_loop_timer_arm(struct edge_loop *loop, struct edge_timer *t, uint64_t ms)
{
	(void)loop;
	if (!t || t->dead)
		return;
	t->due = edge_now_ms() + ms;
	t->armed = true;
}

void edge_loop_timer_del(struct edge_loop *loop, struct edge_timer *t)
{
	(void)loop;
	if (t)
		t->dead = true;
}

/* Milliseconds until the next timer (0 if one is due), or -1 if none. */
static int next_timeout(const struct edge_loop *loop, uint64_t now)
{
	const struct edge_timer *t;
	uint64_t best = UINT64_MAX;

	for (t = loop->timers; t; t = t->next)
		if (!t->dead && t->due < best)
			best = t->due;
	if (best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	return best - now > 60000 ? 60000 : (int)(best - now);
}

static void fire_timers(struct edge_loop *loop)
{
	uint64_t now = edge_now_ms();
	struct edge_timer *t;

	for (t = loop->timers; t && !loop->stop; t = t->next) {
		if (t->dead || t->due > now)
			continue;
		t->armed = false;
		t->cb(loop, t, t->arg);
		if (t->dead || t->armed)
			continue;
		if (!t->period) {
			t->dead = true;
			continue;
		}
		t->due += t->period;
		if (t->due <= now)	/* fell behind (a slow callback, a stopped process) */
			t->due = now + t->period;
	}
}

int edge_loop_run_once(struct edge_loop *loop, int timeout_ms)
{
	struct epoll_event evs[32];
	int n, i, tmo;

	tmo = next_timeout(loop, edge_now_ms());
	if (timeout_ms >= 0 && (tmo < 0 || timeout_ms < tmo))
		tmo = timeout_ms;
	n = epoll_wait(loop->epfd, evs, sizeof(evs) / sizeof(evs[0]), tmo);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	for (i = 0; i < n && !loop->stop; i++) {
		struct edge_watch *w = evs[i].data.ptr;

		if (!w->dead)
			w->cb(loop, w->fd, evs[i].events, w->arg);
	}
	if (!loop->stop)
		fire_timers(loop);
	reap(loop);
	return 0;
}

int edge_loop_run(struct edge_loop *loop)
{
	int ret;

	while (!loop->stop) {
		ret = edge_loop_run_once(loop, -1);
		if (ret)
			return ret;
	}
	return loop->code;
}

void edge_loop_stop(struct edge_loop *loop, int code)
{
	loop->stop = true;
	loop->code = code;
}

void edge_loop_resume(struct edge_loop *loop)
{
	loop->stop = false;
	loop->code = 0;
}

bool edge_loop_stopped(const struct edge_loop *loop)
{
	return loop->stop;
}
