/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksums (RFC 1071), kept in the "raw" domain: sums of 16-bit
 * words as they sit in memory, so the folded complement is stored as-is.
 * Replies are checksummed from their parts (headers we write, question
 * bytes summed while parsing, answers from map values) instead of a
 * second pass over the frame: cheaper, and independent of whatever the
 * query's own checksum was (zero, partial from TX offload, or valid).
 */
#ifndef EDGE_CSUM_H
#define EDGE_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>

static __always_inline __u16 csum_fold16(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Final complement; fold first. */
static __always_inline __u16 csum_fold(__u64 sum)
{
	return (__u16)~csum_fold16(sum);
}

/* Raw-domain contribution of byte c at stream offset pos. */
static __always_inline __u32 csum_byte(__u8 c, __u32 pos)
{
	/* Branchless: a shift by 0 or 8. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u32)c << ((pos & 1) << 3);
#else
	return (__u32)c << ((~pos & 1) << 3);
#endif
}

/*
 * A stream summed as if it started at an even offset, but placed at an
 * odd one: its folded sum is byte-swapped (RFC 1071 §2(B)).
 */
static __always_inline __u16 csum_shift_odd(__u64 sum)
{
	__u16 s = csum_fold16(sum);

	return (__u16)((s << 8) | (s >> 8));
}

/* IPv4 header checksum; the check field must be zero on entry. */
static __always_inline __u16 csum_ipv4_hdr(const __u32 *hdr)
{
	__u64 sum = 0;

	sum += hdr[0];
	sum += hdr[1];
	sum += hdr[2];
	sum += hdr[3];
	sum += hdr[4];
	return csum_fold(sum);
}

#endif /* EDGE_CSUM_H */
