/* SPDX-License-Identifier: GPL-2.0 */
/* Logging to stderr, xdp-tools style; libbpf's and libxdp's chatter too. */
#ifndef EDGE_LOG_H
#define EDGE_LOG_H

enum edge_log_level {
	EDGE_LOG_QUIET = -1, /* nothing: tests that feed bad input on purpose */
	EDGE_LOG_WARN = 0,
	EDGE_LOG_INFO,
	EDGE_LOG_DEBUG,
};

void edge_log_set_level(enum edge_log_level level);
void edge_log_set_prefix(const char *prefix);
/* Route libbpf and libxdp messages through edge_log (warnings as info). */
void edge_log_hook_libs(void);
void edge_log(enum edge_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...) edge_log(EDGE_LOG_WARN, __VA_ARGS__)
#define pr_info(...) edge_log(EDGE_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) edge_log(EDGE_LOG_DEBUG, __VA_ARGS__)

#endif /* EDGE_LOG_H */
