/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every map of the data path, and nothing else. The daemon pins them under
 * its pin directory (default /sys/fs/bpf/anyedge/) by these names, so
 * `bpftool map dump pinned /sys/fs/bpf/anyedge/<name>` reads them with
 * field names from BTF.
 */
#ifndef EDGE_MAPS_H
#define EDGE_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"

/* Totals by verdict and reason; one per-CPU entry, summed by readers. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edge_stats);
} edge_stats SEC(".maps");

/*
 * The live half and size of each bucketed table (edge_vips, the DNS name
 * index): include/edge_table.h. One entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edge_tables);
} edge_tables SEC(".maps");

/* Destination addresses we own, DNS VIPs and service VIPs: buckets by address hash. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * EDGE_VIP_BUCKETS);
	__type(key, __u32);
	__type(value, struct edge_vip_bucket);
} edge_vips SEC(".maps");

/* Per VIP, per CPU: packets the load balancer did not take (anyedge.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGE_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct edge_vip_counters);
} edge_vip_stats SEC(".maps");

/* GeoDNS: see include/anyedge.h for what each holds. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * EDGE_DNS_NAME_BUCKETS);
	__type(key, __u32);	/* half * EDGE_DNS_NAME_BUCKETS + bucket */
	__type(value, struct edge_dns_name_bucket);
} edge_dns_name_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * EDGE_MAX_DNS_NAMES);
	__type(key, __u32);	/* half * EDGE_MAX_DNS_NAMES + entry */
	__type(value, struct edge_dns_name);
} edge_dns_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_MAX_DNS_ZONES);
	__type(key, __u64);	/* apex hash */
	__type(value, struct edge_dns_zone);
} edge_dns_zones SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGE_MAX_DNS_POLICIES);
	__type(key, __u32);
	__type(value, struct edge_dns_policy);
} edge_dns_policies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGE_MAX_DNS_BLOBS);
	__type(key, __u32);
	__type(value, struct edge_dns_blob);
} edge_dns_blobs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGE_MAX_DNS_POOLS);
	__type(key, __u32);
	__type(value, struct edge_dns_pool);
} edge_dns_pools SEC(".maps");

/* Response rate limiting: the config (one entry) and the state per prefix. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edge_dns_rrl_config);
} edge_dns_rrl_cfg SEC(".maps");

/*
 * Shared by all CPUs, so the rate holds per prefix whatever queue its
 * packets arrive on (a per-CPU map would allow rate x CPUs, or rate / CPUs
 * to a client whose flows all hash to one queue). Per-CPU LRU lists keep
 * inserts from taking a global lock.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EDGE_DNS_RRL_ENTRIES);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct edge_dns_rrl_key);
	__type(value, struct edge_dns_rrl_state);
} edge_dns_rrl SEC(".maps");

/* Client prefix -> region, compiled from the GeoIP database. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EDGE_MAX_GEO_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edge_geo4_key);
	__type(value, struct edge_geo);
} edge_geo4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EDGE_MAX_GEO_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edge_geo6_key);
	__type(value, struct edge_geo);
} edge_geo6 SEC(".maps");

/*
 * The IPv4 prefixes of edge_geo4 again, as a direct table of two
 * generations (layout: include/anyedge.h, struct edge_geo4_slot); the
 * daemon writes the one not in use through mmap, then flips
 * edge_geo4_live[0].gen. A lookup reads one to three chunks instead of
 * walking the trie.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * EDGE_GEO4_GEN_CHUNKS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct edge_geo4_chunk);
} edge_geo4_dir SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edge_geo4_live);
} edge_geo4_live SEC(".maps");

/*
 * Per-CPU scratch space for the DNS path (too big for the 512-byte stack):
 * the lowercased question name, each label's offset and hash (then each
 * suffix's hash), the saved ECS option, and room to move the headers when
 * growing at the head. The name length goes through map memory on purpose:
 * read back, it is a bounded unknown to the verifier instead of one
 * constant per loop exit, so the rest of the path is verified once, not
 * once per possible length. Not pinned.
 */
#define EDGE_DNS_MAX_LABELS 128
#define EDGE_SCRATCH_FRAME 512

struct edge_scratch {
	__u8 name[256 + 8];		/* + 8: word compares may read past the end */
	__u64 hash[EDGE_DNS_MAX_LABELS];	/* suffix hashes, by label */
	__u8 lab_off[EDGE_DNS_MAX_LABELS];
	__u32 name_len;
	__u32 n_labels;
	__u32 walk_pos;			/* the name walks' cursors, laundered (bpf/dns.h) */
	__u32 walk_rem;
	__u32 walk_lab;
	__u8 ecs[4 + 16] __attribute__((aligned(8)));	/* family, source, scope, address */
	__u8 frame[EDGE_SCRATCH_FRAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edge_scratch);
} edge_scratch SEC(".maps");

#ifdef EDGE_BENCH_STAGES
/* Bench builds only: the DNS_STAGE() to stop at (bpf/dns.h); 0 = none. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} edge_bench_stage SEC(".maps");
#endif

#endif /* EDGE_MAPS_H */
