// SPDX-License-Identifier: GPL-2.0
/* Prometheus metrics over HTTP; see metrics.h for the threading rules. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"
#include "stats.h"

struct metrics_provider {
	char name[32];
	edge_metrics_fn fn;
	void *arg;
};

struct edge_metrics {
	/* Loop thread only. */
	struct metrics_provider prov[EDGE_METRICS_MAX_PROVIDERS];
	size_t n_prov;
	struct MHD_Daemon *mhd;
	int stats_fd;
	/* Shared with the HTTP thread, under lock. */
	pthread_mutex_t lock;
	char *snap;
	size_t snap_len;
};

struct edge_metrics *edge_metrics_new(void)
{
	struct edge_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->stats_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void edge_metrics_free(struct edge_metrics *m)
{
	if (!m)
		return;
	if (m->mhd)
		MHD_stop_daemon(m->mhd); /* joins the HTTP thread */
	pthread_mutex_destroy(&m->lock);
	free(m->snap);
	free(m);
}

int edge_metrics_register(struct edge_metrics *m, const char *name, edge_metrics_fn fn, void *arg)
{
	struct metrics_provider *p;

	if (!name || !fn || strlen(name) >= sizeof(p->name))
		return -EINVAL;
	if (m->n_prov == EDGE_METRICS_MAX_PROVIDERS)
		return -ENOSPC;
	p = &m->prov[m->n_prov++];
	strcpy(p->name, name);
	p->fn = fn;
	p->arg = arg;
	return 0;
}

const char *edge_metrics_label(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 3 < size; s++) {
		if (*s == '\\' || *s == '"') {
			buf[o++] = '\\';
			buf[o++] = *s;
		} else if (*s == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

void edge_metrics_update(struct edge_metrics *m)
{
	char *buf = NULL, *old;
	size_t len = 0, i;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return; /* keep the previous snapshot */
	for (i = 0; i < m->n_prov; i++)
		m->prov[i].fn(m->prov[i].arg, f);
	if (fclose(f)) {
		free(buf);
		return;
	}
	pthread_mutex_lock(&m->lock);
	old = m->snap;
	m->snap = buf;
	m->snap_len = len;
	pthread_mutex_unlock(&m->lock);
	free(old);
}

/* "reason_dns_answered" -> family "reason", label "dns_answered". */
static void write_stats(FILE *f, const struct edge_stats *st)
{
	static const struct {
		const char *prefix, *metric, *label, *help;
	} fam[] = {
		{"event_", "anyedge_events_total", "event", "Data path events by kind."},
		{"verdict_", "anyedge_verdicts_total", "verdict", "Packets by XDP verdict."},
		{"reason_", "anyedge_reasons_total", "reason",
		 "Packets by the reason of their verdict."},
	};
	size_t i, j, pl;

	fprintf(f,
		"# HELP anyedge_packets_total Packets seen by the XDP program.\n"
		"# TYPE anyedge_packets_total counter\n"
		"anyedge_packets_total %llu\n",
		(unsigned long long)st->packets);
	fprintf(f,
		"# HELP anyedge_bytes_total Bytes seen by the XDP program.\n"
		"# TYPE anyedge_bytes_total counter\n"
		"anyedge_bytes_total %llu\n",
		(unsigned long long)st->bytes);
	for (j = 0; j < sizeof(fam) / sizeof(fam[0]); j++) {
		pl = strlen(fam[j].prefix);
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", fam[j].metric, fam[j].help,
			fam[j].metric);
		for (i = 0; i < edge_stat_nfields; i++)
			if (!strncmp(edge_stat_fields[i].name, fam[j].prefix, pl))
				fprintf(f, "%s{%s=\"%s\"} %llu\n", fam[j].metric, fam[j].label,
					edge_stat_fields[i].name + pl,
					(unsigned long long)edge_stat_get(st, i));
	}
}

char *edge_metrics_render(struct edge_metrics *m, size_t *lenp)
{
	struct edge_stats st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (m->stats_fd >= 0) {
		ret = edge_stats_read(m->stats_fd, &st);
		fprintf(f,
			"# HELP anyedge_stats_read_ok 1 if the stats map could be read.\n"
			"# TYPE anyedge_stats_read_ok gauge\n"
			"anyedge_stats_read_ok %d\n",
			!ret);
		if (!ret)
			write_stats(f, &st);
	}
	pthread_mutex_lock(&m->lock);
	if (m->snap)
		fwrite(m->snap, 1, m->snap_len, f);
	pthread_mutex_unlock(&m->lock);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	if (lenp)
		*lenp = len;
	return buf;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **ctx)
{
	static char not_found[] = "not found: try /metrics\n";
	static char bad_method[] = "only GET and HEAD\n";
	struct edge_metrics *m = cls;
	size_t len;
	char *body;

	(void)version, (void)upload_data, (void)ctx;
	if (*upload_size)
		return MHD_NO; /* no request bodies here */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     strlen(bad_method), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
			     MHD_RESPMEM_PERSISTENT);
	body = edge_metrics_render(m, &len);
	if (!body)
		return MHD_NO;
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
		     MHD_RESPMEM_MUST_FREE);
}

int edge_metrics_start(struct edge_metrics *m, const struct sockaddr *addr, socklen_t len,
		       int stats_fd, char *err, size_t errlen)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const struct sockaddr_in6 *s6 = (const void *)addr;
	unsigned short port;
	int fd, one = 1;

	(void)len;
	if (m->mhd)
		return -EALREADY;
	m->stats_fd = stats_fd;
	/*
	 * Bind ourselves so that a busy port gives a clear error (MHD only
	 * logs it); "*:PORT" is a dual-stack IPv6 socket.
	 */
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err_errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto err_close;
	if (addr->sa_family == AF_INET6 &&
	    !memcmp(&s6->sin6_addr, &in6addr_any, sizeof(in6addr_any))) {
		int zero = 0;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
			goto err_close;
	}
	if (bind(fd, addr, len) || listen(fd, 32))
		goto err_close;
	port = ntohs(addr->sa_family == AF_INET6 ? s6->sin6_port
						 : ((const struct sockaddr_in *)addr)->sin_port);
	m->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, m, MHD_OPTION_LISTEN_SOCKET,
				  fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen, "metrics: cannot start the HTTP server");
		close(fd);
		return -EIO;
	}
	return 0;

err_close : {
	int e = errno;

	close(fd);
	errno = e;
}
err_errno:
	snprintf(err, errlen, "metrics: cannot listen: %s", strerror(errno));
	return -errno;
}

int edge_metrics_running(const struct edge_metrics *m)
{
	return m && m->mhd;
}
