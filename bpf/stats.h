/* SPDX-License-Identifier: GPL-2.0 */
/* The single exit of the program: count the verdict and its reason. */
#ifndef EDGE_STATS_H
#define EDGE_STATS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "anyedge.h"
#include "maps.h"

/*
 * events: 1 << enum edge_event for every event of the packet (fail-open,
 * ECS used, ...), counted here with the same lookup.
 */
static __always_inline int edge_verdict(int action, enum edge_reason reason, __u64 bytes,
					__u32 events)
{
	__u32 zero = 0;
	struct edge_stats *st;
	__u64 *field;
	int i;

	st = bpf_map_lookup_elem(&edge_stats, &zero);
	if (!st)
		return action;
	st->packets++;
	st->bytes += bytes;
	/*
	 * The verdict and reason fields are dense __u64 arrays (asserted in
	 * anyedge.h); the bound checks keep the verifier's index in range.
	 */
	if ((__u32)action < EDGE_STATS_NVERDICTS) {
		field = &st->verdict_aborted + (__u32)action;
		(*field)++;
	}
	if ((__u32)reason < EDGE_R__COUNT) {
		field = &st->reason_dns_answered + (__u32)reason;
		(*field)++;
	}
	if (events) {
#pragma unroll
		for (i = 0; i < EDGE_EV__COUNT; i++)
			if (events & (1u << i))
				(&st->event_dns_fail_open)[i]++;
	}
	return action;
}

#endif /* EDGE_STATS_H */
