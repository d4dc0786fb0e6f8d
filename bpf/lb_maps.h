/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The load balancer's maps (include/edge_lb.h says what each holds), and
 * nothing else. Pinned by name like the rest (bpf/maps.h).
 */
#ifndef EDGE_LB_MAPS_H
#define EDGE_LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "edge_lb.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_LB_MAX_SERVICES);
	__type(key, struct edge_lb_svc_key);
	__type(value, struct edge_lb_svc);
} edge_lb_services SEC(".maps");

/*
 * A Maglev table: slot 0 holds M (the program reads M from max_entries - 1),
 * slots 1..M backend ids. BPF_F_INNER_MAP
 * lets each service's table have its own size M (the outer map checks
 * only type, key, value and flags).
 */
struct edge_lb_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, EDGE_LB_MAX_SERVICES);
	__type(key, __u32);
	__array(values, struct edge_lb_table);
} edge_lb_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGE_LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct edge_lb_backend);
} edge_lb_backends SEC(".maps");

/*
 * Connection tables, one per family: per CPU and set-associative, as a CPU
 * cache is. One array: CPU c owns sets c * sets .. (c + 1) * sets - 1 and
 * is the only writer there (RSS keeps a flow on one queue, so on one CPU,
 * as in Katran), so no locks and, with the array lookup inlined, no
 * helper call; a flow that moved CPU is found in the other CPUs' parts
 * (lb_ct_moved()). Not PERCPU_ARRAY: its lookup is a helper call before
 * Linux 6.10 and loads a per-element pointer (one more cache miss), and a
 * CPU could not read another's entries. BPF_F_MMAPABLE puts the values on
 * a page boundary: every set starts a cache line. The loader sets
 * max_entries to sets * possible CPUs (lb.conntrack_size).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGE_LB_CT4_MIN / EDGE_LB_CT_WAYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct edge_lb_ct4_set);
} edge_lb_ct4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGE_LB_CT6_MIN / EDGE_LB_CT_WAYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct edge_lb_ct6_set);
} edge_lb_ct6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edge_lb_config);
} edge_lb_config SEC(".maps");

/* New-flow rate guard: per CPU, the time its credit is spent up to (GCRA). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} edge_lb_guard SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGE_LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct edge_lb_counters);
} edge_lb_svc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGE_LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct edge_lb_counters);
} edge_lb_be_stats SEC(".maps");

/* Next hop per backend, per CPU (see struct edge_lb_nexthop). Not pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGE_LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct edge_lb_nexthop);
} edge_lb_nexthop SEC(".maps");

#endif /* EDGE_LB_MAPS_H */
