/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration: the YAML file parsed (libyaml) and validated into plain
 * structs that the loader compiles into BPF map entries.
 */
#ifndef EDGE_CONFIG_H
#define EDGE_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdbool.h>

#include "anyedge.h"

enum edge_attach_mode {
	EDGE_ATTACH_AUTO = 0,	/* native, falling back to skb with a warning */
	EDGE_ATTACH_NATIVE,
	EDGE_ATTACH_SKB,
};

struct edge_cfg_iface {
	char name[IF_NAMESIZE];
	enum edge_attach_mode mode;
	int line;
};

struct edge_cfg_vip {
	struct edge_vip_key key;	/* IPv4 as ::ffff:a.b.c.d */
	int family;			/* AF_INET or AF_INET6 */
	__u32 flags;			/* enum edge_vip_flags */
	int line;
};

struct edge_cfg_record {
	char name[256];			/* presentation form, lowercased, no final dot */
	struct edge_dns_key key;	/* wire form, ready for the map */
	struct edge_dns_rrset rrset;	/* ready for the map */
	int line;
};

struct edge_config {
	char file[PATH_MAX];		/* as given, for messages */
	char pin_path[PATH_MAX];	/* default EDGE_PIN_DEFAULT */
	struct edge_cfg_iface *ifaces;
	size_t n_ifaces;
	struct edge_cfg_vip *vips;
	size_t n_vips;
	struct edge_cfg_record *records;
	size_t n_records;
	__u16 dns_udp_size;		/* default EDGE_DNS_UDP_SIZE */
};

/*
 * Parse and validate. On error returns -EINVAL (or -errno for I/O) and
 * writes one line "FILE:LINE: FIELD: cause" into err; cfg is then empty.
 */
int edge_config_load(const char *path, struct edge_config *cfg, char *err,
		     size_t errlen);
/* The same from memory; name is used as FILE in messages. */
int edge_config_parse(const char *buf, size_t len, const char *name,
		      struct edge_config *cfg, char *err, size_t errlen);
void edge_config_free(struct edge_config *cfg);

/*
 * "WWW.Example.com." -> wire form, lowercased, with the root label.
 * Returns the wire length (2..255) or -EINVAL.
 */
int edge_dns_name_to_wire(const char *name, __u8 *wire, size_t size);

const char *edge_attach_mode_str(enum edge_attach_mode mode);

#endif /* EDGE_CONFIG_H */
