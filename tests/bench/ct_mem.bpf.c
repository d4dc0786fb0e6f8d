// SPDX-License-Identifier: GPL-2.0
/*
 * ct_mem_bench's program: the memory access of a conntrack lookup alone,
 * for two layouts of the same sets (128 bytes, as struct edge_lb_ct4_set):
 *
 *   flat    one BPF_F_MMAPABLE array, as edge_lb_ct4 (vmalloc: 4 KiB pages)
 *   chunks  an array of maps of small arrays (16 KiB of sets each, under
 *           the kernel's kmalloc limit for a map: the linear map, which
 *           the kernel maps with 2 MiB or 1 GiB pages where it can)
 *
 * Each run takes CT_MEM_STEPS steps of a dependent chain (the next index
 * depends on what the last access read, as a lookup's compare depends on
 * its load); a step may first read one line of a random page of a
 * "pressure" array (TLB pressure, as the rest of a packet's path brings).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CT_MEM_CHUNK_SETS 128 /* sets per small array: 16 KiB */
#define CT_MEM_STEPS	  64

struct ct_mem_set {
	__u64 w[16];
};

struct ct_mem_page {
	__u64 w[512];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by ct_mem_bench */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ct_mem_set);
} ct_mem_flat SEC(".maps");

/* No BPF_F_INNER_MAP: every inner map has the same size, so the inner lookup is inlined. */
struct ct_mem_chunk {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CT_MEM_CHUNK_SETS);
	__type(key, __u32);
	__type(value, struct ct_mem_set);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set by ct_mem_bench */
	__type(key, __u32);
	__array(values, struct ct_mem_chunk);
} ct_mem_chunks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by ct_mem_bench */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ct_mem_page);
} ct_mem_pressure SEC(".maps");

enum { CT_MEM_NONE, CT_MEM_FLAT, CT_MEM_CHUNKS };

volatile __u32 ct_mem_sets;  /* sets in either layout */
volatile __u32 ct_mem_flows; /* distinct sets visited in turn; 0: every step random */
volatile __u32 ct_mem_pages; /* pages of ct_mem_pressure; 0: no pressure */
__u64 ct_mem_state;
__u64 ct_mem_sink;

static __always_inline __u32 ct_mem_scale(__u64 r, __u32 n)
{
	return (__u32)(((r >> 32) * n) >> 32);
}

/*
 * One program per layout, layout a constant: with one program the compiler
 * merges the two lookups into one call whose map differs by path, and the
 * verifier then inlines neither.
 */
static __always_inline int ct_mem_walk(const int layout)
{
	__u32 i, idx, sets = ct_mem_sets, flows = ct_mem_flows;
	__u32 pages = ct_mem_pages;
	__u64 x = ct_mem_state, acc = 0, r;
	struct ct_mem_page *pg;
	struct ct_mem_set *s;
	void *chunk;

	for (i = 0; i < CT_MEM_STEPS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if (pages) {
			idx = ct_mem_scale(x, pages);
			pg = bpf_map_lookup_elem(&ct_mem_pressure, &idx);
			if (!pg)
				return XDP_ABORTED;
			acc += pg->w[0];
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		}
		r = flows ? ((x >> 33) % flows) * 0x9e3779b97f4a7c15ull : x;
		idx = ct_mem_scale(r, sets);
		if (layout == CT_MEM_NONE) {
			acc += idx;
		} else {
			if (layout == CT_MEM_FLAT) {
				s = bpf_map_lookup_elem(&ct_mem_flat, &idx);
			} else {
				__u32 c = idx / CT_MEM_CHUNK_SETS, in = idx % CT_MEM_CHUNK_SETS;

				chunk = bpf_map_lookup_elem(&ct_mem_chunks, &c);
				if (!chunk)
					return XDP_ABORTED;
				s = bpf_map_lookup_elem(chunk, &in);
			}
			if (!s)
				return XDP_ABORTED;
			acc += s->w[0] + s->w[15]; /* both lines of the set */
		}
		x ^= acc; /* the next step waits for this one */
	}
	ct_mem_state = x;
	ct_mem_sink = acc;
	return XDP_DROP;
}

SEC("xdp")
int ct_mem_none(struct xdp_md *ctx)
{
	return ct_mem_walk(CT_MEM_NONE);
}

SEC("xdp")
int ct_mem_flat_walk(struct xdp_md *ctx)
{
	return ct_mem_walk(CT_MEM_FLAT);
}

SEC("xdp")
int ct_mem_chunks_walk(struct xdp_md *ctx)
{
	return ct_mem_walk(CT_MEM_CHUNKS);
}

char LICENSE[] SEC("license") = "GPL";
