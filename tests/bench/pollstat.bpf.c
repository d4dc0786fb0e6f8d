// SPDX-License-Identifier: GPL-2.0
/*
 * The server veth's NAPI poll, timed (build/poll_stats, used by
 * tests/bench/bench_lib.sh): fentry/fexit on veth_poll() for the one
 * device named pollstat_dev add up the time inside the poll, the packets
 * it returned as done and the number of polls. A poll holds everything a
 * NIC queue's core does per packet (receive, the XDP program, XDP_TX and
 * its flush) and nothing of the thread's sleeping and waking, whose cost
 * per packet depends on how many packets one wake-up finds, not on the
 * program: so the time per packet compares programs under any batching.
 *
 * Bench only (not part of the product): fentry needs kernel BTF, which
 * Debian 12's 6.1 has.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Just the fields read, relocated by CO-RE against the running kernel. */
struct net_device {
	char name[16];
} __attribute__((preserve_access_index));

struct napi_struct {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct poll_stat {
	__u64 ns;    /* inside veth_poll */
	__u64 pkts;  /* its return values */
	__u64 polls;
	__u64 start; /* of the poll in progress, 0 if none */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct poll_stat);
} poll_stats SEC(".maps");

const volatile char pollstat_dev[16];

static __always_inline struct poll_stat *ours(struct napi_struct *napi)
{
	struct net_device *dev = napi->dev;
	__u32 zero = 0;
	int i;

	if (!dev)
		return NULL;
	for (i = 0; i < 16; i++) {
		char c = dev->name[i];

		if (c != pollstat_dev[i])
			return NULL;
		if (!c)
			break;
	}
	return bpf_map_lookup_elem(&poll_stats, &zero);
}

SEC("fentry/veth_poll")
int poll_in(__u64 *ctx)
{
	struct poll_stat *s = ours((struct napi_struct *)ctx[0]);

	if (s)
		s->start = bpf_ktime_get_ns();
	return 0;
}

SEC("fexit/veth_poll")
int poll_out(__u64 *ctx)
{
	struct poll_stat *s = ours((struct napi_struct *)ctx[0]);
	int done = (int)ctx[2];

	if (!s || !s->start)
		return 0;
	s->ns += bpf_ktime_get_ns() - s->start;
	s->start = 0;
	if (done > 0)
		s->pkts += done;
	s->polls++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
