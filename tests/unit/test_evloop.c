// SPDX-License-Identifier: GPL-2.0
/* The daemon's event loop: fds, timers, deletion from callbacks, stop. */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "evloop.h"
#include "unit.h"

struct counts {
	int fd_calls;
	int timer_calls;
	int other_calls;
	uint64_t first_at;
	uint64_t last_at;
	struct edge_timer *other;
	int fd;
};

static void on_readable(struct edge_loop *loop, int fd, uint32_t events, void *arg)
{
	struct counts *c = arg;
	char b[16];

	(void)loop;
	if (events & EPOLLIN)
		c->fd_calls += read(fd, b, sizeof(b)) > 0;
}

TEST(evloop_fd_callback_runs_when_readable)
{
	struct edge_loop *loop = edge_loop_new();
	struct counts c = {};
	int p[2];

	ASSERT_TRUE(loop != NULL);
	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(edge_loop_add_fd(loop, p[0], EPOLLIN, on_readable, &c), 0);
	ASSERT_EQ(edge_loop_add_fd(loop, p[0], EPOLLIN, on_readable, &c), -EEXIST);
	ASSERT_EQ(edge_loop_run_once(loop, 0), 0);
	ASSERT_EQ(c.fd_calls, 0);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(edge_loop_run_once(loop, 1000), 0);
	ASSERT_EQ(c.fd_calls, 1);
	ASSERT_EQ(edge_loop_del_fd(loop, p[0]), 0);
	ASSERT_EQ(edge_loop_del_fd(loop, p[0]), -ENOENT);
	ASSERT_EQ(write(p[1], "y", 1), 1);
	ASSERT_EQ(edge_loop_run_once(loop, 0), 0);
	ASSERT_EQ(c.fd_calls, 1);
	edge_loop_free(loop);
	close(p[0]);
	close(p[1]);
}

static void on_tick(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct counts *c = arg;

	(void)t;
	if (!c->timer_calls++)
		c->first_at = edge_now_ms();
	c->last_at = edge_now_ms();
	if (c->timer_calls == 5)
		edge_loop_stop(loop, 42);
}

TEST(evloop_periodic_timer_fires_on_schedule_until_stop)
{
	struct edge_loop *loop = edge_loop_new();
	struct counts c = {};
	uint64_t start = edge_now_ms();

	ASSERT_TRUE(edge_loop_timer_add(loop, 20, 10, on_tick, &c) != NULL);
	ASSERT_EQ(edge_loop_run(loop), 42);
	ASSERT_EQ(c.timer_calls, 5);
	ASSERT_TRUE(c.first_at - start >= 20);
	/*
	 * The fifth firing is due 20 + 4 * 10 ms after the start. Periods
	 * count from the due time, not from a late first firing, so the
	 * gap between first and fifth may be shorter than 40 ms on a busy
	 * machine; the fifth can never come early.
	 */
	ASSERT_TRUE(c.last_at - start >= 60);
	ASSERT_TRUE(edge_loop_stopped(loop));
	edge_loop_free(loop);
}

static void on_once(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct counts *c = arg;

	(void)loop;
	(void)t;
	c->timer_calls++;
}

TEST(evloop_one_shot_fires_once_and_can_be_rearmed)
{
	struct edge_loop *loop = edge_loop_new();
	struct counts c = {};
	struct edge_timer *t;
	int i;

	t = edge_loop_timer_add(loop, 0, 0, on_once, &c);
	ASSERT_TRUE(t != NULL);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(edge_loop_run_once(loop, 5), 0);
	ASSERT_EQ(c.timer_calls, 1);
	edge_loop_free(loop);
}

static void rearm_twice(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct counts *c = arg;

	if (++c->timer_calls < 3)
		edge_loop_timer_arm(loop, t, 1);
}

TEST(evloop_one_shot_rearmed_from_its_callback_fires_again)
{
	struct edge_loop *loop = edge_loop_new();
	struct counts c = {};
	int i;

	ASSERT_TRUE(edge_loop_timer_add(loop, 0, 0, rearm_twice, &c) != NULL);
	for (i = 0; i < 20 && c.timer_calls < 3; i++)
		ASSERT_EQ(edge_loop_run_once(loop, 10), 0);
	ASSERT_EQ(c.timer_calls, 3);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(edge_loop_run_once(loop, 5), 0);
	ASSERT_EQ(c.timer_calls, 3);
	edge_loop_free(loop);
}

/* A timer that deletes another timer and itself, and an fd watch. */
static void deleter(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct counts *c = arg;

	c->timer_calls++;
	edge_loop_timer_del(loop, c->other);
	edge_loop_timer_del(loop, t);
	edge_loop_del_fd(loop, c->fd);
}

static void other(struct edge_loop *loop, struct edge_timer *t, void *arg)
{
	struct counts *c = arg;

	(void)loop;
	(void)t;
	c->other_calls++;
}

TEST(evloop_callbacks_may_delete_timers_and_fds_safely)
{
	struct edge_loop *loop = edge_loop_new();
	struct counts c = {};
	int p[2], i;

	ASSERT_EQ(pipe(p), 0);
	c.fd = p[0];
	ASSERT_EQ(edge_loop_add_fd(loop, p[0], EPOLLIN, on_readable, &c), 0);
	/* other is added first, so it sits after deleter in the list. */
	c.other = edge_loop_timer_add(loop, 0, 1, other, &c);
	ASSERT_TRUE(edge_loop_timer_add(loop, 0, 1, deleter, &c) != NULL);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	close(p[0]);	/* deleted from the callback below; the loop must not care */
	for (i = 0; i < 5; i++)
		ASSERT_EQ(edge_loop_run_once(loop, 2), 0);
	ASSERT_EQ(c.timer_calls, 1);
	ASSERT_EQ(c.other_calls, 0);
	edge_loop_free(loop);
	close(p[1]);
}

TEST(evloop_rejects_bad_arguments)
{
	struct edge_loop *loop = edge_loop_new();

	ASSERT_EQ(edge_loop_add_fd(loop, -1, EPOLLIN, on_readable, NULL), -EINVAL);
	ASSERT_EQ(edge_loop_add_fd(loop, 0, EPOLLIN, NULL, NULL), -EINVAL);
	ASSERT_EQ(edge_loop_mod_fd(loop, 12345, EPOLLIN), -ENOENT);
	ASSERT_TRUE(edge_loop_timer_add(loop, 0, 0, NULL, NULL) == NULL);
	edge_loop_free(loop);
}
