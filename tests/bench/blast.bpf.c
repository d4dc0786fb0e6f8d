// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic generator for dns_blast -x: run with BPF_PROG_TEST_RUN in
 * live-frames mode, it turns every frame into the next query of a table
 * and redirects it to a veth, whose peer then receives native XDP frames,
 * as from a NIC (no skb to convert). The page pool recycles pages that
 * hold the previous reply, so the frame is rewritten whole every time:
 * every packet is a fresh query.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BLAST_FRAMES	1024
#define BLAST_FRAME_MAX 256

struct blast_frame {
	__u32 len;
	__u8 data[BLAST_FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BLAST_FRAMES);
	__type(key, __u32);
	__type(value, struct blast_frame);
} blast_frames SEC(".maps");

const volatile __u32 blast_nframes = 1;
const volatile __u32 blast_ifindex;
__u32 blast_next; /* one generator thread: a plain global is enough */

SEC("xdp")
int blast_gen(struct xdp_md *ctx)
{
	__u32 idx = blast_next++ % blast_nframes;
	struct blast_frame *f = bpf_map_lookup_elem(&blast_frames, &idx);
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len, cur;

	if (!f)
		return XDP_ABORTED;
	len = f->len;
	if (len < 14 || len > BLAST_FRAME_MAX)
		return XDP_ABORTED;
	cur = data_end - data;
	if (bpf_xdp_adjust_tail(ctx, (int)len - (int)cur))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len))
		return XDP_ABORTED;
	return bpf_redirect(blast_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
