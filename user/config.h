/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration: the YAML file parsed (libyaml) and validated into plain
 * structs that the loader compiles into BPF map entries.
 */
#ifndef EDGE_CONFIG_H
#define EDGE_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "anyedge.h"
#include "health.h"

enum edge_attach_mode {
	EDGE_ATTACH_AUTO = 0, /* native, falling back to skb with a warning */
	EDGE_ATTACH_NATIVE,
	EDGE_ATTACH_SKB,
};

struct edge_cfg_iface {
	char name[IF_NAMESIZE];
	enum edge_attach_mode mode;
	int line;
};

struct edge_cfg_vip {
	struct edge_vip_key key; /* IPv4 as ::ffff:a.b.c.d */
	int family;		 /* AF_INET or AF_INET6 */
	__u32 flags;		 /* enum edge_vip_flags */
	int line;
};

/*
 * GeoDNS limits of the config. They are the data path's (anyedge.h:
 * EDGE_MAX_DNS_POOLS, EDGE_MAX_DNS_ZONES, EDGE_MAX_REGIONS,
 * EDGE_POL_MAX_CAND); user/dns_compile.c asserts that they agree.
 */
#define EDGE_CFG_MAX_POOLS	  256
#define EDGE_CFG_MAX_ZONES	  1024
#define EDGE_CFG_MAX_REGIONS	  32
#define EDGE_CFG_MAX_CAND	  4 /* pools per candidate list */
#define EDGE_CFG_MAX_NS		  8
#define EDGE_CFG_MAX_WEIGHT	  1000
#define EDGE_CFG_MAX_GEO_PREFIXES (1 << 20) /* per address family */
#define EDGE_CFG_NAME_LEN	  32	    /* pool and region names: 1..31 of [a-z0-9_-] */

#define EDGE_CFG_DNS_TYPE_A    1
#define EDGE_CFG_DNS_TYPE_AAAA 28

/* Same values as enum edge_dns_out_of_zone. */
enum edge_cfg_out_of_zone {
	EDGE_CFG_OOZ_REFUSE = 0, /* answer REFUSED (the default) */
	EDGE_CFG_OOZ_PASS = 1,	 /* leave to a local fallback server */
};

/* Health checks per pool: one per address (check:) plus explicit ones (checks:). */
#define EDGE_CFG_MAX_POOL_CHECKS 32

/* A health check of the config: validated, defaults filled (health.h). */
struct edge_cfg_check {
	struct edge_check_cfg check; /* name: "OWNER TYPE ADDR:PORT" unless given */
	int backend;		     /* services: the backend it checks; pools: -1 */
	int line;
};

/*
 * An answer pool: the addresses one region or PoP answers with. With
 * health checks the pool is up while at least min_up of its checks are
 * UP; checks start DOWN, so a checked pool starts down until rise is
 * reached. Without checks `up` stays as configured (anyedgectl may set it).
 */
struct edge_cfg_pool {
	char name[EDGE_CFG_NAME_LEN];
	__u8 a[EDGE_DNS_MAX_RR][4];
	__u8 aaaa[EDGE_DNS_MAX_RR][16];
	__u8 n_a;
	__u8 n_aaaa;
	bool up; /* initial health (the only health without checks) */
	struct edge_cfg_check *checks;
	size_t n_checks;
	unsigned int min_up; /* checks UP for the pool to be up: 1..n_checks, default 1 */
	int line;
};

struct edge_cfg_soa {
	char mname[256]; /* lowercased, no final dot */
	char rname[256];
	__u32 serial;
	__u32 refresh;
	__u32 retry;
	__u32 expire;
	__u32 minimum;
	__u32 ttl; /* default: the zone's ttl */
};

struct edge_cfg_zone {
	char name[256]; /* apex, lowercased, no final dot */
	__u8 apex[256]; /* wire form */
	__u16 apex_len;
	__u32 ttl; /* default record TTL */
	struct edge_cfg_soa soa;
	char ns[EDGE_CFG_MAX_NS][256]; /* for the emitted zone file */
	size_t n_ns;
	int line;
};

enum edge_cfg_policy {
	EDGE_CFG_POL_STATIC = 0, /* values, all answered */
	EDGE_CFG_POL_GEO,	 /* region -> pools, else the default pools */
	EDGE_CFG_POL_WEIGHTED,	 /* pools by weight */
	EDGE_CFG_POL_FAILOVER,	 /* pools in order */
};

struct edge_cfg_cand {
	__u16 pool;   /* index into edge_config.pools */
	__u16 weight; /* weighted only: 1..EDGE_CFG_MAX_WEIGHT */
};

/* One region's ordered pools in a geo policy. */
struct edge_cfg_geo_route {
	__u16 region; /* index into edge_config.geo.regions */
	__u8 n;
	struct edge_cfg_cand cand[EDGE_CFG_MAX_CAND];
	int line;
};

/* One (owner, type) of a zone: a record of the config. */
struct edge_cfg_rrset {
	char name[256]; /* absolute owner, lowercased, no final dot */
	__u8 wire[256]; /* its wire form */
	__u16 wire_len;
	__u16 qtype; /* EDGE_CFG_DNS_TYPE_A or _AAAA */
	__u32 ttl;
	enum edge_cfg_policy policy;
	size_t zone;			  /* index into edge_config.zones */
	size_t index;			  /* in its zone's records list */
	__u8 values[EDGE_DNS_MAX_RR][16]; /* static: 4 or 16 bytes each */
	__u8 n_values;
	__u8 n_cand;
	struct edge_cfg_cand cand[EDGE_CFG_MAX_CAND]; /* failover, weighted, geo default */
	struct edge_cfg_geo_route *geo;		      /* geo: the regions listed, in file order */
	size_t n_geo;
	int line;
};

/* An ISO 3166 country (geo.countries) or continent code (geo.continents) -> region. */
struct edge_cfg_country {
	char code[3]; /* upper case */
	__u16 region;
	int line;
};

/* A prefix -> region line of the geo CSV. */
struct edge_cfg_prefix {
	__u8 addr[16]; /* network address; IPv4 in the first 4 bytes */
	__u8 family;   /* AF_INET or AF_INET6 */
	__u8 len;      /* prefix length */
	__u16 region;
	int line; /* in the CSV */
};

struct edge_cfg_geo {
	char regions[EDGE_CFG_MAX_REGIONS][EDGE_CFG_NAME_LEN]; /* region id = index */
	size_t n_regions;
	struct edge_cfg_country *countries;
	size_t n_countries;
	struct edge_cfg_country *continents; /* continent codes (AF AN AS EU NA OC SA) */
	size_t n_continents;
	char csv[PATH_MAX]; /* as opened (relative to the config's directory); "" if none */
	char mmdb[PATH_MAX]; /* the same for the MMDB database */
	struct edge_cfg_prefix *prefixes; /* the CSV's in file order, then the MMDB's */
	size_t n_prefixes;
	size_t n_mmdb_prefixes; /* of them from the MMDB (line 0) */
	unsigned int mmdb_nodes;  /* search tree nodes walked */
	size_t mmdb_networks;	  /* networks with data */
	size_t mmdb_unmapped;	  /* of them in no region */
	double mmdb_ms;		  /* time the walk took */
};

/*
 * Load balancing (see include/edge_lb.h for the data path side). The
 * seed is secret: it is never logged or printed.
 */
#define EDGE_CFG_LB_MAX_SERVICES 256  /* EDGE_LB_MAX_SERVICES */
#define EDGE_CFG_LB_MAX_BACKENDS 4096 /* in all services together: EDGE_LB_MAX_BACKENDS */
#define EDGE_CFG_LB_M_DEFAULT	 65537
#define EDGE_CFG_LB_M_MAX	 1048573 /* largest prime below 2^20 */
#define EDGE_CFG_LB_WEIGHT_MAX	 65535

enum edge_cfg_lb_policy {
	EDGE_CFG_LB_PASS = 0, /* leave to the kernel stack (the default) */
	EDGE_CFG_LB_DROP = 1,
};

struct edge_cfg_lb {
	__u8 seed[16];	    /* the PoP's secret flow-hash key */
	bool seed_generate; /* "seed: generate": random, kept across reloads */
	bool seed_set;	    /* seed[] holds the configured key */
	__u32 udp_timeout;  /* seconds, default 30 */
	__u32 new_flow_rate; /* conntrack inserts per second per CPU; 0 = unlimited */
	__u32 ct4_size;	    /* conntrack entries per CPU, IPv4 flows (restart to change);
			     * 0: EDGE_LB_CT4_TOTAL over the CPUs (edge_lb_ct_auto) */
	__u32 ct6_size;	    /* conntrack entries per CPU, IPv6 flows; 0: likewise */
	__u8 fragments;	    /* enum edge_cfg_lb_policy, for fragments to a service VIP */
	__u8 ip_options;    /* enum edge_cfg_lb_policy, for IPv4 options to a service VIP */
	__u8 source4_len;   /* outer source prefix of IPv4 tunnels */
	__u8 source6_len;
	__u8 source4[4];
	__u8 source6[16];
	int line;
};

struct edge_cfg_backend {
	struct edge_vip_key addr; /* IPv4 as ::ffff:a.b.c.d */
	int family;
	__u32 weight; /* 0 = drained */
	bool drain;   /* drain: true (same effect as weight 0, keeps the weight) */
	bool drain_ctl; /* drained by hand (anyedgectl drain): set by the daemon, not the file */
	int line;
};

struct edge_cfg_service {
	struct edge_vip_key vip;
	int family;
	__u8 proto;	 /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 port;	 /* host order; 0 = every port */
	__u32 table_size; /* prime M */
	struct edge_cfg_backend *backends;
	size_t n_backends;
	char name[EDGE_CFG_NAME_LEN]; /* for anycast[].services; "" = unnamed */
	/*
	 * check: one health check per backend; a backend whose check is DOWN
	 * gets no new flows (edge_lb_set_backend_up). The service is healthy
	 * for its anycast prefixes while at least min_up backends are UP.
	 */
	struct edge_cfg_check *checks;
	size_t n_checks;
	unsigned int min_up;
	int line;
};

/* Route signalling (DESIGN.md §3): how anyedged tells BGP about its prefixes. */
enum edge_route_backend {
	EDGE_ROUTE_BIRD = 0, /* BIRD: tun lease and/or static protocols (default) */
	EDGE_ROUTE_EXABGP,   /* ExaBGP process API: lines on stdout */
	EDGE_ROUTE_HOOK,     /* a command run with PREFIX STATE */
	EDGE_ROUTE_NONE,     /* compute and report states, signal nothing */
};

/* What to do when every health check fails at once (the checker lost its network). */
enum edge_guard_policy {
	EDGE_GUARD_STAY = 0, /* keep announced prefixes announced; log loudly */
	EDGE_GUARD_WITHDRAW, /* follow the checks like any other failure */
};

#define EDGE_CFG_MAX_ANYCAST 64
#define EDGE_CFG_MAX_DEPS    16
#define EDGE_CFG_PROTO_LEN   65 /* a BIRD symbol: 64 + NUL */
#define EDGE_CFG_HOOK_LEN    1024

struct edge_cfg_route {
	enum edge_route_backend backend;
	char bird_socket[108];		   /* default /run/bird/bird.ctl */
	char hook[EDGE_CFG_HOOK_LEN];	   /* EDGE_ROUTE_HOOK: the command (no shell) */
	unsigned int hook_timeout_ms;	   /* killed after: 5000 */
	unsigned int tick_ms;		   /* re-assert period: 1000 */
	bool lease;			   /* default for anycast[].lease: true */
	char lease_ifname[IF_NAMESIZE];	   /* the tun device: "anyedge0" */
	enum edge_guard_policy guard;	   /* default stay */
	unsigned int guard_window_ms;	   /* "at once": all DOWN within: 10000 */
	bool drain_community;		   /* tag (65535, 0) before withdrawing */
	unsigned int drain_timeout_ms;	   /* longest drain: 10000 */
	unsigned long long drain_rate_pps; /* drained below this VIP packet rate: 10 */
	bool set;			   /* a route: section was given */
	int line;
};

/* An anycast prefix and the health it depends on. */
struct edge_cfg_anycast {
	char prefix[INET6_ADDRSTRLEN + 4]; /* canonical "192.0.2.54/32" */
	__u8 addr[16];			   /* IPv4 in the first 4 bytes */
	__u8 family;			   /* AF_INET or AF_INET6 */
	__u8 len;
	char protocol[EDGE_CFG_PROTO_LEN]; /* BIRD static protocol; default anyedge_ADDR_LEN */
	__u16 pools[EDGE_CFG_MAX_DEPS];	   /* indexes into edge_config.pools */
	size_t n_pools;
	__u16 services[EDGE_CFG_MAX_DEPS]; /* indexes into edge_config.services */
	size_t n_services;
	unsigned int min_healthy;	   /* deps (pools + services) up: default all */
	unsigned int hold_down_ms;	   /* healthy this long before re-announcing: 5000 */
	unsigned int backoff_max_ms;	   /* hold-down doubles per flap up to: 300000 */
	bool lease;			   /* carry it on the tun lease (bird backend) */
	int line;
};

/* Is the VIP (IPv4 as ::ffff:a.b.c.d) inside the anycast prefix? */
bool edge_cfg_prefix_contains(const struct edge_cfg_anycast *ac, const struct edge_vip_key *vip);

/* control: and metrics: (the daemon's control socket and Prometheus endpoint). */
#define EDGE_CTL_SOCKET_DEFAULT "/run/anyedge/anyedged.sock"
#define EDGE_CFG_SOCKET_LEN	108 /* sun_path */
#define EDGE_CFG_LISTEN_LEN	64

struct edge_cfg_control {
	char socket[EDGE_CFG_SOCKET_LEN]; /* default EDGE_CTL_SOCKET_DEFAULT */
	__u32 timeout_ms;		  /* idle clients are closed; default 10000 */
};

struct edge_cfg_metrics {
	char listen[EDGE_CFG_LISTEN_LEN]; /* "ADDR:PORT" as given; "" = no metrics */
	struct sockaddr_storage addr;	  /* listen, parsed */
	socklen_t addr_len;
	int line;
};

/* dns.rrl: response rate limiting per client prefix (off unless rate > 0). */
struct edge_cfg_rrl {
	__u32 rate;	/* replies per second per prefix; 0 = off (default) */
	__u32 burst;	/* replies allowed back to back; default = rate */
	__u32 slip;	/* every slip-th limited reply is sent with TC=1; 0 = none (default 2) */
	__u8 prefix4;	/* default 24 */
	__u8 prefix6;	/* default 56 */
	int line;
};

struct edge_config {
	char file[PATH_MAX];	 /* as given, for messages */
	char pin_path[PATH_MAX]; /* default EDGE_PIN_DEFAULT */
	struct edge_cfg_iface *ifaces;
	size_t n_ifaces;
	struct edge_cfg_vip *vips;
	size_t n_vips;
	__u16 dns_udp_size;	     /* default EDGE_DNS_UDP_SIZE */
	__u8 dns_out_of_zone;	     /* enum edge_cfg_out_of_zone */
	struct edge_cfg_rrl rrl;     /* dns.rrl */
	struct edge_cfg_pool *pools; /* pool index = position */
	size_t n_pools;
	struct edge_cfg_zone *zones;
	size_t n_zones;
	struct edge_cfg_rrset *rrsets; /* every record of every zone, in file order */
	size_t n_rrsets;
	struct edge_cfg_geo geo;
	struct edge_cfg_lb lb;
	struct edge_cfg_service *services; /* their VIPs are also in vips[] (EDGE_VIP_F_LB) */
	size_t n_services;
	struct edge_cfg_route route;
	struct edge_cfg_anycast *anycast;
	size_t n_anycast;
	struct edge_cfg_control control;
	struct edge_cfg_metrics metrics;
};

/*
 * Parse and validate. On error returns -EINVAL (or -errno for I/O) and
 * writes one line "FILE:LINE: FIELD: cause" into err ("CSVFILE:LINE:
 * cause" for a line of the geo CSV); cfg is then empty. A relative
 * geo.csv path is relative to the config file's directory.
 */
int edge_config_load(const char *path, struct edge_config *cfg, char *err, size_t errlen);
/* The same from memory; name is used as FILE in messages. */
int edge_config_parse(const char *buf, size_t len, const char *name, struct edge_config *cfg,
		      char *err, size_t errlen);
void edge_config_free(struct edge_config *cfg);

/*
 * "WWW.Example.com." -> wire form, lowercased, with the root label.
 * Returns the wire length (2..255) or -EINVAL.
 */
int edge_dns_name_to_wire(const char *name, __u8 *wire, size_t size);

/*
 * "192.0.2.1:9100", "[2001:db8::1]:9100" (or "*:PORT" for every IPv6 and
 * IPv4 address) into a socket address. 0 or -EINVAL.
 */
int edge_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

const char *edge_attach_mode_str(enum edge_attach_mode mode);
const char *edge_route_backend_str(enum edge_route_backend backend);
const char *edge_guard_policy_str(enum edge_guard_policy policy);

#endif /* EDGE_CONFIG_H */
