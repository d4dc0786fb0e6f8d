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

/* Destination addresses we own: DNS VIPs and service VIPs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_MAX_VIPS);
	__type(key, struct edge_vip_key);
	__type(value, struct edge_vip);
} edge_vips SEC(".maps");

/* (lowercased wire name, qtype) -> record set answered from XDP. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_MAX_DNS_NAMES);
	__type(key, struct edge_dns_key);
	__type(value, struct edge_dns_rrset);
} edge_dns SEC(".maps");

/*
 * Per-CPU scratch space for the DNS path: the lookup key (too big for the
 * 512-byte stack next to everything else) and the question name length.
 * The length goes through map memory on purpose: read back, it is a
 * bounded unknown to the verifier instead of one constant per loop exit,
 * so the rest of the path is verified once, not 255 times. Not pinned.
 */
#define EDGE_SCRATCH_FRAME 512 /* headers + question, moved when growing at the head */

struct edge_scratch {
	struct edge_dns_key key;
	__u32 name_len;
	__u32 pad;
	__u8 frame[EDGE_SCRATCH_FRAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edge_scratch);
} edge_scratch SEC(".maps");

#endif /* EDGE_MAPS_H */
