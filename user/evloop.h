/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's one event loop: epoll over file descriptors plus
 * millisecond timers on CLOCK_MONOTONIC. Single-threaded; every callback
 * runs from edge_loop_run(). Callbacks may add or delete any fd or timer,
 * their own included: deleted entries are only marked, and freed after
 * the current dispatch round.
 *
 * Everything the daemon waits for goes through here: signals (signalfd),
 * the health-check engine (its epoll fd), the control socket, BIRD's
 * socket, and the periodic ticks of the PoP state machine.
 */
#ifndef EDGE_EVLOOP_H
#define EDGE_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct edge_loop;
struct edge_timer;

/* events: EPOLLIN/EPOLLOUT/... as returned by epoll_wait. */
typedef void (*edge_fd_cb)(struct edge_loop *loop, int fd, uint32_t events, void *arg);
typedef void (*edge_timer_cb)(struct edge_loop *loop, struct edge_timer *t, void *arg);

/* NULL with errno set on failure. */
struct edge_loop *edge_loop_new(void);
/* Frees every registration (closes no fd). */
void edge_loop_free(struct edge_loop *loop);

/* Watch fd for events (EPOLLIN, EPOLLOUT, ...). 0 or -errno (-EEXIST if watched). */
int edge_loop_add_fd(struct edge_loop *loop, int fd, uint32_t events, edge_fd_cb cb, void *arg);
/* Change the events of a watched fd. 0 or -errno (-ENOENT if not watched). */
int edge_loop_mod_fd(struct edge_loop *loop, int fd, uint32_t events);
/* Stop watching fd (before closing it). 0 or -ENOENT. */
int edge_loop_del_fd(struct edge_loop *loop, int fd);

/*
 * A timer firing first after first_ms, then every period_ms (0: once; a
 * one-shot timer is freed after its callback ran unless re-armed from
 * it). NULL with errno set on failure.
 */
struct edge_timer *edge_loop_timer_add(struct edge_loop *loop, uint64_t first_ms,
				       uint64_t period_ms, edge_timer_cb cb, void *arg);
/* Fire next after ms from now (keeps the period). Also revives a one-shot timer from its cb. */
void edge_loop_timer_arm(struct edge_loop *loop, struct edge_timer *t, uint64_t ms);
void edge_loop_timer_del(struct edge_loop *loop, struct edge_timer *t);

/*
 * Dispatch until edge_loop_stop(); returns the code given to it, or
 * -errno if epoll_wait fails with something other than EINTR.
 */
int edge_loop_run(struct edge_loop *loop);
/* One round: wait at most timeout_ms (-1: until the next timer/event). 0 or -errno. */
int edge_loop_run_once(struct edge_loop *loop, int timeout_ms);
void edge_loop_stop(struct edge_loop *loop, int code);
bool edge_loop_stopped(const struct edge_loop *loop);
/* Undo edge_loop_stop (e.g. to run the shutdown sequence on the same loop). */
void edge_loop_resume(struct edge_loop *loop);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t edge_now_ms(void);

#endif /* EDGE_EVLOOP_H */
