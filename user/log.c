// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

/*
 * Process-wide logging settings: set once at start-up by main(), read
 * everywhere (the one exception to "no global mutable state").
 */
static enum edge_log_level log_level = EDGE_LOG_INFO;
static const char *log_prefix = "anyedge";

void edge_log_set_level(enum edge_log_level level)
{
	log_level = level;
}

void edge_log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

static void edge_vlog(enum edge_log_level level, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "warning: ", "", "debug: " };

	if (level > log_level)
		return;
	fprintf(stderr, "%s: %s", log_prefix, tag[level > EDGE_LOG_DEBUG ? EDGE_LOG_DEBUG : level]);
	vfprintf(stderr, fmt, ap);
}

void edge_log(enum edge_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	edge_vlog(level, fmt, ap);
	va_end(ap);
}

/*
 * libbpf's warnings are mostly about probing and the verifier log, which
 * callers report themselves with context, so they are shown at debug level.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	edge_vlog(level == LIBBPF_WARN ? EDGE_LOG_DEBUG : EDGE_LOG_DEBUG + 1, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	edge_vlog(level == LIBXDP_WARN ? EDGE_LOG_INFO : EDGE_LOG_DEBUG + 1, fmt, ap);
	return 0;
}

void edge_log_hook_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
