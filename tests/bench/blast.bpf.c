// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic generator for dns_blast -x: run with BPF_PROG_TEST_RUN in
 * live-frames mode, it turns every frame into the next frame of a table
 * and redirects it to a veth, whose peer then receives native XDP frames,
 * as from a NIC (no skb to convert). The page pool recycles pages that
 * hold the previous reply, so the frame is rewritten whole every time:
 * every packet is fresh.
 *
 * blast_vary (dns_blast -V): every packet a new flow. The table's one
 * frame (IPv4, no options, TCP or UDP, source a.b.c.0 port 0) is the
 * template; packet n of the run gets flow number blast_base + n written
 * into the last byte of the source address (1 + flow / 64512 % 254) and
 * the source port (1024 + flow % 64512), checksums updated to match:
 * 16.3 million distinct 5-tuples before they repeat.
 *
 * blast_tail (dns_blast -T): instead of redirecting, tail-call the program
 * in blast_jump (the one under test), so a live-frames test run on the
 * server's interface times that program on a fresh frame every time,
 * XDP_TX included, in one CPU and without NAPI wake-ups.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define BLAST_FRAMES	1024
#define BLAST_FRAME_MAX 256
#define BLAST_PORTS	64512

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
const volatile __u32 blast_vary;
const volatile __u32 blast_base;
const volatile __u32 blast_tail;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} blast_jump SEC(".maps");
__u32 blast_next; /* one generator thread: a plain global is enough */

/* ~(~check + add), one's complement, on a checksum field as stored. */
static __always_inline __u16 csum_add16(__u16 check, __u32 add)
{
	__u32 s = (~bpf_ntohs(check) & 0xffff) + add;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return bpf_htons(~s & 0xffff);
}

/* The flow number into the template's source (see above). */
static __always_inline int blast_set_flow(struct xdp_md *ctx, __u32 flow)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u16 *l4 = (void *)(ip + 1);
	__u32 host = 1 + flow / BLAST_PORTS % 254, port = 1024 + flow % BLAST_PORTS;
	__u16 *check;

	if ((void *)(l4 + 10) > data_end || ip->ihl != 5)
		return -1;
	((__u8 *)&ip->saddr)[3] = host;
	ip->check = csum_add16(ip->check, host);
	l4[0] = bpf_htons(port);
	/* the pseudo header's source address and the port */
	if (ip->protocol == IPPROTO_TCP)
		check = &l4[8];
	else if (ip->protocol == IPPROTO_UDP && l4[3])
		check = &l4[3];
	else
		return 0;
	*check = csum_add16(*check, host + port);
	return 0;
}

SEC("xdp")
int blast_gen(struct xdp_md *ctx)
{
	__u32 n = blast_next++;
	__u32 idx = n % blast_nframes;
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
	if (blast_vary && blast_set_flow(ctx, blast_base + n))
		return XDP_ABORTED;
	if (blast_tail) {
		bpf_tail_call(ctx, &blast_jump, 0);
		return XDP_ABORTED; /* nothing in blast_jump */
	}
	return bpf_redirect(blast_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
