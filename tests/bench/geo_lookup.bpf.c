// SPDX-License-Identifier: GPL-2.0
/*
 * The IPv4 geo lookup alone, for geo_bench: geo_n addresses from geo_addrs
 * looked up one after the other (bpf_loop) in the way geo_mode says, the
 * results summed into geo_sum so nothing is optimised away:
 *   0  read the address only (the baseline: loop and array read)
 *   1  the LPM trie (edge_geo4 before the direct table)
 *   2  DIR-16-8-8 (edge_geo4_dir's layout, one generation)
 *   3  DIR-24-8 (one slot per /24 in the first level, 256-slot chunks for
 *      /24s that hold longer prefixes)
 * The frame is never touched, so BPF_PROG_TEST_RUN's repeat is honest.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "geo4.h"

#define GEO_ADDRS	65536
#define DIR24_L1_CHUNKS 65536 /* one element (256 /24 slots) per /16 */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GEO_ADDRS);
	__type(key, __u32);
	__type(value, __u32); /* host order */
} geo_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EDGE_MAX_GEO_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edge_geo4_key);
	__type(value, struct edge_geo);
} geo_trie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGE_GEO4_GEN_CHUNKS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct edge_geo4_chunk);
} geo_dir16 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DIR24_L1_CHUNKS + EDGE_GEO4_CHUNKS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct edge_geo4_chunk);
} geo_dir24 SEC(".maps");

const volatile __u32 geo_mode;
const volatile __u32 geo_n;
__u64 geo_sum;

static __always_inline __u32 dir16(__u32 a)
{
	struct edge_geo4_slot *s = geo4_dir_walk(&geo_dir16, 0, a);

	return s ? s->ref + s->prefix_len : 0;
}

static __always_inline __u32 dir24(__u32 a)
{
	struct edge_geo4_chunk *c;
	struct edge_geo4_slot *s;
	__u32 idx = a >> 16;

	c = bpf_map_lookup_elem(&geo_dir24, &idx);
	if (!c)
		return 0;
	s = &c->slot[(a >> 8) & 0xff];
	if (s->kind == EDGE_GEO4_CHUNK) {
		idx = DIR24_L1_CHUNKS + s->ref;
		c = bpf_map_lookup_elem(&geo_dir24, &idx);
		if (!c)
			return 0;
		s = &c->slot[a & 0xff];
	}
	return s->ref + s->prefix_len;
}

static long one(__u32 i, void *ctx)
{
	struct edge_geo4_key k = {.prefixlen = 32};
	__u64 *acc = ctx;
	struct edge_geo *g;
	__u32 *a;

	a = bpf_map_lookup_elem(&geo_addrs, &i);
	if (!a)
		return 1;
	switch (geo_mode) {
	case 1:
		__builtin_memcpy(k.addr, &(__u32){__builtin_bswap32(*a)}, 4);
		g = bpf_map_lookup_elem(&geo_trie, &k);
		*acc += g ? g->region + g->prefix_len : 0;
		break;
	case 2:
		*acc += dir16(*a);
		break;
	case 3:
		*acc += dir24(*a);
		break;
	default:
		*acc += *a;
	}
	return 0;
}

SEC("xdp")
int geo_lookup(struct xdp_md *ctx)
{
	__u64 acc = 0;

	bpf_loop(geo_n, one, &acc, 0);
	geo_sum += acc;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
