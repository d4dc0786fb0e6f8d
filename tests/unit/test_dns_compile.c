// SPDX-License-Identifier: GPL-2.0
/*
 * The GeoDNS compiler (user/dns_compile.c): the exact bytes it produces
 * for the maps the XDP program reads, the name hash the data path must
 * agree with, and the checksum it stores with every blob.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "dns_compile.h"
#include "dns_wire.h"
#include "edge_table.h"
#include "unit.h"

#define ERR_LEN 512

/* interfaces and vips: 2 lines; what follows starts at line 3. */
#define HEAD                           \
	"interfaces: [{name: eth0}]\n" \
	"vips: [{address: 192.0.2.53, dns: true}]\n"

/* A zone example.com whose records follow ("        - {...}"). */
#define ZONE                                                                        \
	HEAD "dns:\n"                                                               \
	     "  zones:\n"                                                           \
	     "    - name: example.com\n"                                            \
	     "      soa: {mname: ns1.example.com, rname: hostmaster.example.com,\n" \
	     "            serial: 7, minimum: 120}\n"                               \
	     "      ns: [ns1.example.com]\n"                                        \
	     "      records:\n"

/* Pools fra (A, AAAA), iad (A, AAAA), sin (A only), under dns:. */
#define POOLS                                                                           \
	"  pools:\n"                                                                    \
	"    - {name: fra, a: [198.51.100.1], aaaa: ['2001:db8:f::1']}\n"               \
	"    - {name: iad, a: [198.51.100.2, 198.51.100.1], aaaa: ['2001:db8:f::2']}\n" \
	"    - {name: sin, a: [198.51.100.3], up: false}\n"

#define GEO "geo:\n  regions: [eu, as, na]\n"

enum { FRA, IAD, SIN };
enum { EU, AS, NA };

/* Parse and compile; on failure the message is in err. */
static int compile(const char *yaml, struct edge_config *cfg, struct edge_dns_compiled *out,
		   char *err)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = edge_config_parse(yaml, strlen(yaml), "t.yaml", cfg, err, ERR_LEN);
	if (ret)
		return ret;
	ret = edge_dns_compile(cfg, out, err, ERR_LEN);
	if (ret)
		edge_config_free(cfg);
	return ret;
}

#define COMPILE_OK(yaml, cfg, out)                        \
	do {                                              \
		char e_[ERR_LEN];                         \
		if (compile((yaml), (cfg), (out), e_))    \
			FAIL("unexpected error: %s", e_); \
	} while (0)

static void done(struct edge_config *cfg, struct edge_dns_compiled *out)
{
	edge_dns_compiled_free(out);
	edge_config_free(cfg);
}

/* The names entry for a wire name, or NULL. */
static const struct edge_dns_name *find_name(const struct edge_dns_compiled *out, const void *wire,
					     size_t len)
{
	__u64 key = edge_dns_name_key(wire, len);
	size_t i;

	for (i = 0; i < out->n_names; i++)
		if (out->names[i].key == key && out->names[i].val.name_len == len &&
		    !memcmp(out->names[i].val.name, wire, len))
			return &out->names[i].val;
	return NULL;
}

/*
 * The hash of one label (its length byte and bytes), as the data path
 * keeps it, built byte by byte: little-endian 8-byte chunks, lowercased.
 */
static __u64 label_hash(const __u8 *label)
{
	__u64 h = EDGE_DNS_LABEL_HASH_INIT, w = 0;
	size_t i;

	for (i = 0; i <= label[0]; i++) {
		w |= (__u64)(i ? edge_dns_lower(label[i]) : label[i]) << (8 * (i % 8));
		if (i % 8 == 7 || i == label[0]) {
			h = edge_dns_chunk_step(h, w);
			w = 0;
		}
	}
	return h;
}

/* RFC 1071 as written: big-endian 16-bit words, an odd byte padded on the right. */
static __u16 csum_be_reference(const __u8 *d, size_t len)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)d[i] << 8 | d[i + 1];
	if (len & 1)
		sum += (__u32)d[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The raw (host-order) sum is the big-endian one in host byte order. */
static __u16 be_to_raw(__u16 be)
{
	return ntohs(be);
}

TEST(dns_name_hash_folds_label_hashes_from_the_root)
{
	static const __u8 www[] = "\3www\7example\3com", rest[] = "\7example\3com", com[] = "\3com";

	ASSERT_EQ(edge_dns_name_hash(www, sizeof(www)),
		  edge_dns_mix(label_hash(www), edge_dns_name_hash(rest, sizeof(rest))));
	ASSERT_EQ(
		edge_dns_name_hash(rest, sizeof(rest)),
		edge_dns_mix(label_hash(rest), edge_dns_mix(label_hash(com), EDGE_DNS_ROOT_HASH)));
	ASSERT_EQ(edge_dns_name_hash((const __u8 *)"", 1), EDGE_DNS_ROOT_HASH);
	/* A query's suffix hash is its apex's hash: the key of edge_dns_zones. */
	ASSERT_EQ(edge_dns_name_hash(www + 4, sizeof(www) - 4),
		  edge_dns_name_hash(rest, sizeof(rest)));
	ASSERT_NE(edge_dns_name_hash(www, sizeof(www)), edge_dns_name_hash(rest, sizeof(rest)));
}

TEST(dns_name_hash_ignores_case_and_keeps_label_boundaries)
{
	ASSERT_EQ(edge_dns_name_hash((const __u8 *)"\3WwW\7ExAmPlE\3COM", 17),
		  edge_dns_name_hash((const __u8 *)"\3www\7example\3com", 17));
	/* Same letters, other labels: the length bytes are hashed. */
	ASSERT_NE(edge_dns_name_hash((const __u8 *)"\2ab\1c", 6),
		  edge_dns_name_hash((const __u8 *)"\1a\2bc", 6));
}

/* Every byte value in every position: the word lowercasing is the byte one. */
TEST(dns_lower8_matches_bytewise_lower)
{
	__u64 w, want;
	unsigned int c, k;

	for (c = 0; c < 256; c++)
		for (k = 0; k < 8; k++) {
			/* c at byte k, its neighbours other letters and non-letters */
			w = 0x5a41407b605b7a61ULL & ~(0xffULL << (8 * k));
			w |= (__u64)c << (8 * k);
			want = 0;
			for (unsigned int i = 0; i < 8; i++)
				want |= (__u64)edge_dns_lower((__u8)(w >> (8 * i))) << (8 * i);
			ASSERT_EQ(edge_dns_lower8(w), want);
		}
}

/*
 * The same walk the XDP program does (bpf/dns.h): up to 8 bytes of a
 * label per step, the running hash kept as the label's hash when the
 * label ends, the label hashes folded from the root.
 */
TEST(dns_name_hash_matches_data_path_walk)
{
	static const __u8 name[] = "\1a\4Deep\3sub\12LongerName\7example\3com";
	__u8 buf[sizeof(name) + 8] = {0};
	__u64 labels[8], h = 0, w;
	size_t pos = 0, rem = 0, n = 0, k;

	memcpy(buf, name, sizeof(name));
	while (rem || buf[pos]) {
		if (!rem) {
			rem = buf[pos] + 1;
			h = EDGE_DNS_LABEL_HASH_INIT;
		}
		k = rem < 8 ? rem : 8;
		memcpy(&w, buf + pos, 8); /* little endian, as the program loads it */
		if (k < 8)
			w &= (1ULL << (8 * k)) - 1;
		h = edge_dns_chunk_step(h, edge_dns_lower8(w));
		labels[n] = h;
		pos += k;
		rem -= k;
		if (!rem)
			n++;
	}
	ASSERT_EQ(n, 6);
	/* The zone key: from the root. */
	h = EDGE_DNS_ROOT_HASH;
	while (n--)
		h = edge_dns_mix(labels[n], h);
	ASSERT_EQ(h, edge_dns_name_hash(name, sizeof(name)));
}

/*
 * The index key as the data path makes it (bpf/dns.h edge_dns_name_words()),
 * built here byte by byte: the wire name through its root label, each byte
 * lowercased, in little-endian 8-byte words (the last zero-padded), then
 * the length.
 */
static __u64 words_key(const __u8 *wire, size_t len)
{
	__u8 buf[EDGE_DNS_NAME_MAX + 8] = {0};
	__u64 h = EDGE_DNS_KEY_INIT, w;
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = edge_dns_lower(wire[i]);
	for (i = 0; i < len; i += 8) {
		memcpy(&w, buf + i, 8); /* little endian, as the program loads it */
		h = edge_dns_chunk_step(h, w);
	}
	return edge_dns_mix(h, len);
}

/*
 * A wire name of len bytes (1 or 3 to 255) in buf: labels of up to 63
 * bytes (1 byte while one_byte_labels and room allow) of mixed-case letters and the bytes
 * next to the letters in ASCII, then the root. Returns the label count.
 */
static size_t edge_name(__u8 *buf, size_t len, int one_byte_labels)
{
	static const char fill[] = "aZ@[`{Mq-0zA";
	size_t pos = 0, r = len - 1, l, i, n = 0;

	while (r > 0) {
		l = one_byte_labels && r >= 4 ? 1 : r - 1 > 63 ? 63 : r - 1;
		if (r - 1 - l == 1) /* no room for a label after this one */
			l--;
		buf[pos] = l;
		for (i = 1; i <= l; i++)
			buf[pos + i] = fill[(pos + i) % (sizeof(fill) - 1)];
		pos += l + 1;
		r -= l + 1;
		n++;
	}
	buf[pos] = 0;
	return n;
}

TEST(dns_name_key_is_the_lowercased_wire_name_by_words)
{
	__u8 name[EDGE_DNS_NAME_MAX + 8], low[sizeof(name)], other[sizeof(name)];
	size_t len, i;
	int one;

	for (one = 0; one < 2; one++)
		for (len = 1; len <= EDGE_DNS_NAME_MAX; len++) {
			if (len == 2)
				continue; /* no wire name is 2 bytes long */
			memset(name, 0x55, sizeof(name)); /* bytes after the root are not the name */
			edge_name(name, len, one);
			ASSERT_EQ(name[len - 1], 0);
			ASSERT_EQ(edge_dns_name_key(name, len), words_key(name, len));
			/* Stops at the root label, whatever follows. */
			ASSERT_EQ(edge_dns_name_key(name, sizeof(name)), words_key(name, len));
			for (i = 0; i < len; i++)
				low[i] = edge_dns_lower(name[i]);
			ASSERT_EQ(edge_dns_name_key(low, len), edge_dns_name_key(name, len));
			if (len < 3)
				continue;
			/* The last byte before the root counts (a letter or a length). */
			memcpy(other, name, len);
			other[len - 2] ^= 0x01;
			if (other[len - 2] > 63 || name[len - 2] > 63)
				ASSERT_NE(edge_dns_name_key(other, len), edge_dns_name_key(name, len));
		}
	/* 63-byte labels, a 255-byte name: four labels. */
	ASSERT_EQ(edge_name(name, 255, 0), 4);
	ASSERT_EQ(name[0], 63);
	/* One-byte labels: 127 of them, the most a name has. */
	ASSERT_EQ(edge_name(name, 255, 1), 127);
	ASSERT_EQ(name[0], 1);
}

TEST(dns_name_key_ignores_case_keeps_label_boundaries)
{
	static const __u8 www[] = "\3www\7example\3com", ex[] = "\7example\3com";

	ASSERT_EQ(edge_dns_name_key((const __u8 *)"\3WwW\7ExAmPlE\3COM", 17),
		  edge_dns_name_key(www, sizeof(www)));
	ASSERT_EQ(edge_dns_name_key(www, sizeof(www)), edge_dns_wire_key(www, sizeof(www)));
	ASSERT_NE(edge_dns_name_key(www, sizeof(www)), edge_dns_name_hash(www, sizeof(www)));
	ASSERT_NE(edge_dns_name_key(www, sizeof(www)), edge_dns_name_key(ex, sizeof(ex)));
	/* The root name: one zero word and the length. */
	ASSERT_EQ(edge_dns_name_key((const __u8 *)"", 1),
		  edge_dns_mix(edge_dns_chunk_step(EDGE_DNS_KEY_INIT, 0), 1));
	/* Same bytes but the lengths: other names. */
	ASSERT_NE(edge_dns_name_key((const __u8 *)"\2ab\1c", 7),
		  edge_dns_name_key((const __u8 *)"\1a\2bc", 7));
	ASSERT_NE(edge_dns_name_key((const __u8 *)"\3abc", 5),
		  edge_dns_name_key((const __u8 *)"\3abd", 5));
	/* Label order matters. */
	ASSERT_NE(edge_dns_name_key((const __u8 *)"\1a\1b", 5),
		  edge_dns_name_key((const __u8 *)"\1b\1a", 5));
}

TEST(csum_raw_is_byte_swapped_rfc1071_sum_odd_and_even)
{
	__u8 data[601] = {0};
	__u32 x = 2463534242u;
	size_t i, len;

	for (len = 0; len <= sizeof(data); len++) {
		for (i = 0; i < len; i++) {
			x ^= x << 13; /* xorshift32: the same data every run */
			x ^= x >> 17;
			x ^= x << 5;
			data[i] = x;
		}
		if (edge_csum_raw(data, len) != be_to_raw(csum_be_reference(data, len)))
			FAIL("length %zu: raw 0x%04x, reference 0x%04x", len,
			     edge_csum_raw(data, len), csum_be_reference(data, len));
	}
	/* The carry out of the top bit comes around (end-around carry). */
	ASSERT_EQ(csum_be_reference((const __u8 *)"\xff\xff\x01\x00", 4), 0x0100);
	ASSERT_EQ(edge_csum_raw((const __u8 *)"\xff\xff\x01\x00", 4), be_to_raw(0x0100));
	ASSERT_EQ(edge_csum_raw((const __u8 *)"\xab", 1), be_to_raw(0xab00));
}

TEST(dns_compile_static_answer_blob_bytes)
{
	static const __u8 want[] = {
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
		0x00, 0x3c, 0x00, 0x04, 198,  51,   100,  10, /* first A */
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
		0x00, 0x3c, 0x00, 0x04, 198,  51,   100,  11,
	};
	const struct edge_dns_name *www;
	const struct edge_dns_policy *pol;
	const struct edge_dns_blob *b;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        - {name: www, type: A, ttl: 60, values: [198.51.100.10, "
			"198.51.100.11]}\n",
		   &cfg, &out);
	ASSERT_EQ(out.n_policies, 1);
	pol = &out.policies[0];
	ASSERT_EQ(pol->kind, EDGE_POL_STATIC);
	ASSERT_EQ(pol->n_def, 0);
	ASSERT_TRUE(pol->all_blob < out.n_blobs);
	b = &out.blobs[pol->all_blob];
	ASSERT_EQ(b->len, sizeof(want));
	ASSERT_EQ(b->count, 2);
	ASSERT_MEMEQ(b->data, want, sizeof(want));
	ASSERT_EQ(b->csum, be_to_raw(csum_be_reference(want, sizeof(want))));
	ASSERT_EQ(b->pad, 0);

	www = find_name(&out, "\3www\7example\3com", 17);
	ASSERT_TRUE(www != NULL);
	ASSERT_EQ(www->policy[0], 1);
	ASSERT_EQ(www->policy[1], 0);
	ASSERT_EQ(www->name_len, 17);
	ASSERT_EQ(www->name[17], 0);
	ASSERT_EQ(www->name[255], 0);
	ASSERT_EQ(www->apex_len, 13);
	ASSERT_EQ(www->soa_blob, out.zones[0].val.soa_blob);
	done(&cfg, &out);
}

TEST(dns_compile_aaaa_blob_bytes)
{
	static const __u8 want[] = {
		0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,
		0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0x00, 0x00, /* 2001:db8:100::10 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};
	struct edge_dns_compiled out;
	struct edge_config cfg;
	const struct edge_dns_blob *b;

	COMPILE_OK(ZONE "        - {name: '@', type: AAAA, values: ['2001:db8:100::10']}\n", &cfg,
		   &out);
	b = &out.blobs[out.policies[0].all_blob];
	ASSERT_EQ(b->len, sizeof(want));
	ASSERT_EQ(b->count, 1);
	ASSERT_MEMEQ(b->data, want, sizeof(want));
	ASSERT_EQ(find_name(&out, "\7example\3com", 13)->policy[1], 1);
	done(&cfg, &out);
}

TEST(dns_compile_soa_blob_bytes_and_negative_ttl)
{
	static const __u8 want[] =
		{
			0x00, 0x06,	    0x00, 0x01, 0x00, 0x00, 0x00, 120, /* min(300, 120) */
			0x00, 17 + 24 + 20, 3,	  'n',	's',  '1',  7,	  'e', 'x', 'a',
			'm',  'p',	    'l',  'e',	3,    'c',  'o',  'm', 0,   10,
			'h',  'o',	    's',  't',	'm',  'a',  's',  't', 'e', 'r',
			7,    'e',	    'x',  'a',	'm',  'p',  'l',  'e', 3,   'c',
			'o',  'm',	    0,	  0x00, 0x00, 0x00, 0x07, /* serial */
			0x00, 0x00,	    0x0e, 0x10,			  /* refresh 3600 */
			0x00, 0x00,	    0x02, 0x58,			  /* retry 600 */
			0x00, 0x12,	    0x75, 0x00,			  /* expire 1209600 */
			0x00, 0x00,	    0x00, 0x78,			  /* minimum 120 */
		};
	const struct edge_dns_blob *b;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        []\n", &cfg, &out);
	ASSERT_EQ(out.n_zones, 1);
	ASSERT_EQ(out.zones[0].key, edge_dns_name_hash((const __u8 *)"\7example\3com", 13));
	ASSERT_EQ(out.zones[0].val.apex_len, 13);
	ASSERT_MEMEQ(out.zones[0].val.apex, "\7example\3com", 13);
	ASSERT_EQ(out.zones[0].val.apex[13], 0);
	ASSERT_EQ(out.zones[0].val.pad, 0);
	b = &out.blobs[out.zones[0].val.soa_blob];
	ASSERT_EQ(b->len, sizeof(want));
	ASSERT_EQ(b->count, 1);
	ASSERT_MEMEQ(b->data, want, sizeof(want));
	ASSERT_EQ(b->csum, be_to_raw(csum_be_reference(want, sizeof(want))));
	done(&cfg, &out);

	/* The SOA's own TTL when it is the smaller; names lowercased. */
	COMPILE_OK(HEAD "dns:\n  zones:\n"
			"    - name: Example.NET\n"
			"      soa: {mname: NS.Example.NET., rname: H.example.net, ttl: 60}\n"
			"      ns: [ns.example.net]\n",
		   &cfg, &out);
	b = &out.blobs[out.zones[0].val.soa_blob];
	ASSERT_MEMEQ(b->data, "\0\6\0\1\0\0\0\x3c", 8);
	ASSERT_MEMEQ(b->data + 10, "\2ns\7example\3net", 16);
	ASSERT_MEMEQ(b->data + 26, "\1h\7example\3net", 15);
	done(&cfg, &out);
}

TEST(dns_compile_soa_longer_than_blob_rejected)
{
	char yaml[2048], l63[64], name[256];
	struct edge_dns_compiled out;
	struct edge_config cfg;
	char err[ERR_LEN];

	/* 255 bytes each in wire form: 10 + 255 + 255 + 20 = 540 > 512. */
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	snprintf(yaml, sizeof(yaml),
		 HEAD "dns:\n  zones:\n"
		      "    - name: example.com\n"
		      "      soa: {mname: %s, rname: %s}\n"
		      "      ns: [ns.example.com]\n",
		 name, name);
	ASSERT_EQ(compile(yaml, &cfg, &out, err), -EINVAL);
	ASSERT_STREQ(err, "t.yaml:5: zone example.com: the SOA record is 540 bytes, more than 512");
	ASSERT_EQ(out.n_blobs, 0);
	ASSERT_TRUE(out.blobs == NULL);
}

TEST(dns_compile_apex_entry_exists_without_records)
{
	const struct edge_dns_name *apex;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        - {name: www, type: A, values: [198.51.100.10]}\n", &cfg, &out);
	ASSERT_EQ(out.n_names, 2);
	apex = find_name(&out, "\7example\3com", 13);
	ASSERT_TRUE(apex != NULL);
	ASSERT_EQ(apex->policy[0], 0);
	ASSERT_EQ(apex->policy[1], 0);
	ASSERT_EQ(apex->apex_len, 13);
	ASSERT_EQ(apex->soa_blob, out.zones[0].val.soa_blob);
	done(&cfg, &out);
}

TEST(dns_compile_empty_non_terminals_get_entries)
{
	const struct edge_dns_name *n;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        - {name: a.b.c, type: A, values: [198.51.100.1]}\n"
			"        - {name: x.b.c, type: AAAA, values: ['2001:db8::1']}\n"
			"        - {name: c, type: AAAA, values: ['2001:db8::2']}\n",
		   &cfg, &out);
	/* a.b.c, x.b.c, c (owners), b.c (empty non-terminal), the apex. */
	ASSERT_EQ(out.n_names, 5);
	n = find_name(&out, "\1b\1c\7example\3com", 17);
	ASSERT_TRUE(n != NULL);
	ASSERT_EQ(n->policy[0], 0);
	ASSERT_EQ(n->policy[1], 0);
	ASSERT_EQ(n->apex_len, 13);
	ASSERT_EQ(n->soa_blob, out.zones[0].val.soa_blob);
	n = find_name(&out, "\1c\7example\3com", 15);
	ASSERT_TRUE(n != NULL);
	ASSERT_EQ(n->policy[0], 0);
	ASSERT_EQ(n->policy[1], 3); /* its own record stays */
	ASSERT_EQ(find_name(&out, "\1a\1b\1c\7example\3com", 19)->policy[0], 1);
	ASSERT_EQ(find_name(&out, "\1x\1b\1c\7example\3com", 19)->policy[1], 2);
	done(&cfg, &out);
}

TEST(dns_compile_names_of_two_types_share_an_entry)
{
	const struct edge_dns_name *n;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        - {name: www, type: AAAA, values: ['2001:db8::1']}\n"
			"        - {name: WWW.example.com., type: A, values: [198.51.100.1]}\n",
		   &cfg, &out);
	ASSERT_EQ(out.n_names, 2);
	n = find_name(&out, "\3www\7example\3com", 17);
	ASSERT_EQ(n->policy[0], 2);
	ASSERT_EQ(n->policy[1], 1);
	done(&cfg, &out);
}

TEST(dns_compile_identical_blobs_deduplicated)
{
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(HEAD
		   "dns:\n  zones:\n"
		   "    - name: example.com\n"
		   "      soa: {mname: ns.example.org, rname: h.example.org}\n"
		   "      ns: [ns.example.org]\n"
		   "      records:\n"
		   "        - {name: a, type: A, values: [198.51.100.1, 198.51.100.2]}\n"
		   "        - {name: b, type: A, values: [198.51.100.1, 198.51.100.2]}\n"
		   "        - {name: c, type: A, ttl: 30, values: [198.51.100.1, 198.51.100.2]}\n"
		   "        - {name: d, type: A, policy: failover, pools: [fra, iad]}\n"
		   "        - {name: e, type: A, policy: failover, pools: [fra]}\n"
		   "    - name: example.net\n"
		   "      soa: {mname: ns.example.org, rname: h.example.org}\n"
		   "      ns: [ns.example.org]\n"
		   "      records:\n"
		   "        - {name: a, type: A, values: [198.51.100.1, 198.51.100.2]}\n" POOLS,
		   &cfg, &out);
	/* Same bytes, same blob: the owner is a pointer, not part of it. */
	ASSERT_EQ(out.policies[0].all_blob, out.policies[1].all_blob);
	ASSERT_EQ(out.policies[0].all_blob, out.policies[5].all_blob);
	/* Another TTL is other bytes. */
	ASSERT_NE(out.policies[0].all_blob, out.policies[2].all_blob);
	/* Both zones' SOA records are the same body. */
	ASSERT_EQ(out.zones[0].val.soa_blob, out.zones[1].val.soa_blob);
	/* fra's A blob, shared by both failover policies (and e's fail-open answer). */
	ASSERT_EQ(out.policies[3].def[0].blob, out.policies[4].def[0].blob);
	ASSERT_EQ(out.policies[4].all_blob, out.policies[4].def[0].blob);
	/* d fails open to fra + iad = .1, .2 at TTL 300: the bytes of a's answer. */
	ASSERT_EQ(out.policies[3].all_blob, out.policies[0].all_blob);
	/* soa, .1 .2 at 300, .1 .2 at 30, fra, iad */
	ASSERT_EQ(out.n_blobs, 5);
	done(&cfg, &out);
}

TEST(dns_compile_failover_candidates_in_order)
{
	static const __u8 iad_a[] = {
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 2,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 1,
	};
	const struct edge_dns_policy *pol;
	const struct edge_dns_blob *b;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        - {name: f, type: A, ttl: 60, policy: failover, pools: [iad, "
			"fra]}\n" POOLS,
		   &cfg, &out);
	pol = &out.policies[0];
	ASSERT_EQ(pol->kind, EDGE_POL_FAILOVER);
	ASSERT_EQ(pol->n_def, 2);
	ASSERT_EQ(pol->def[0].pool, IAD);
	ASSERT_EQ(pol->def[1].pool, FRA);
	ASSERT_EQ(pol->def[0].weight, 0);
	ASSERT_EQ(pol->def[2].pool, 0);
	ASSERT_EQ(pol->def[2].blob, 0);
	b = &out.blobs[pol->def[0].blob];
	ASSERT_EQ(b->count, 2);
	ASSERT_EQ(b->len, sizeof(iad_a));
	ASSERT_MEMEQ(b->data, iad_a, sizeof(iad_a));
	b = &out.blobs[pol->def[1].blob];
	ASSERT_EQ(b->count, 1);
	ASSERT_MEMEQ(b->data + 12, "\xc6\x33\x64\x01", 4);
	/* Fail open: iad's two addresses, fra's 198.51.100.1 already among them. */
	b = &out.blobs[pol->all_blob];
	ASSERT_EQ(b->count, 2);
	ASSERT_MEMEQ(b->data, iad_a, sizeof(iad_a));
	ASSERT_EQ(pol->weight_sum, 0);
	for (int r = 0; r < EDGE_MAX_REGIONS; r++)
		ASSERT_EQ(pol->geo_n[r], 0);
	done(&cfg, &out);
}

TEST(dns_compile_weighted_weights_and_sum)
{
	const struct edge_dns_policy *pol;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        - {name: w, type: AAAA, policy: weighted,\n"
			"           weights: {fra: 3, iad: 1000}}\n" POOLS,
		   &cfg, &out);
	pol = &out.policies[0];
	ASSERT_EQ(pol->kind, EDGE_POL_WEIGHTED);
	ASSERT_EQ(pol->n_def, 2);
	ASSERT_EQ(pol->def[0].pool, FRA);
	ASSERT_EQ(pol->def[0].weight, 3);
	ASSERT_EQ(pol->def[1].pool, IAD);
	ASSERT_EQ(pol->def[1].weight, 1000);
	ASSERT_EQ(pol->weight_sum, 1003);
	ASSERT_EQ(out.blobs[pol->def[0].blob].count, 1);
	ASSERT_MEMEQ(out.blobs[pol->def[0].blob].data + 2, "\0\x1c", 2);
	ASSERT_EQ(out.blobs[pol->all_blob].count, 2);
	done(&cfg, &out);
}

TEST(dns_compile_geo_lists_and_default)
{
	const struct edge_dns_policy *pol;
	struct edge_dns_compiled out;
	struct edge_config cfg;
	__u8 sin_a[4];
	int r;

	COMPILE_OK(ZONE "        - name: geo\n"
			"          type: A\n"
			"          policy: geo\n"
			"          geo:\n"
			"            as: [sin, fra, iad]\n"
			"            eu: [fra]\n"
			"          default: [iad, fra]\n" POOLS GEO,
		   &cfg, &out);
	pol = &out.policies[0];
	ASSERT_EQ(pol->kind, EDGE_POL_GEO);
	ASSERT_EQ(pol->n_def, 2);
	ASSERT_EQ(pol->def[0].pool, IAD);
	ASSERT_EQ(pol->def[1].pool, FRA);
	ASSERT_EQ(pol->geo_n[EU], 1);
	ASSERT_EQ(pol->geo[EU][0].pool, FRA);
	ASSERT_EQ(pol->geo[EU][0].blob, pol->def[1].blob);
	ASSERT_EQ(pol->geo_n[AS], 3);
	ASSERT_EQ(pol->geo[AS][0].pool, SIN);
	ASSERT_EQ(pol->geo[AS][1].pool, FRA);
	ASSERT_EQ(pol->geo[AS][2].pool, IAD);
	ASSERT_EQ(pol->geo[AS][2].blob, pol->def[0].blob);
	inet_pton(AF_INET, "198.51.100.3", sin_a);
	ASSERT_MEMEQ(out.blobs[pol->geo[AS][0].blob].data + 12, sin_a, 4);
	/* Regions not listed use the default list. */
	ASSERT_EQ(pol->geo_n[NA], 0);
	for (r = 3; r < EDGE_MAX_REGIONS; r++)
		ASSERT_EQ(pol->geo_n[r], 0);
	/* Fail open: iad (2 addresses), fra (shared with iad), sin: 3 records. */
	ASSERT_EQ(out.blobs[pol->all_blob].count, 3);
	ASSERT_MEMEQ(out.blobs[pol->all_blob].data + 2 * 16 + 12, sin_a, 4);
	done(&cfg, &out);
}

TEST(dns_compile_fail_open_union_truncated_to_whole_records)
{
	char yaml[4096];
	const struct edge_dns_blob *b;
	struct edge_dns_compiled out;
	struct edge_config cfg;
	int off, p, i;

	off = snprintf(yaml, sizeof(yaml),
		       ZONE "        - {name: many, type: AAAA, policy: failover, "
			    "pools: [big1, big2, big3]}\n"
			    "  pools:\n");
	for (p = 1; p <= 3; p++) {
		off += snprintf(yaml + off, sizeof(yaml) - off, "    - name: big%d\n      aaaa: [",
				p);
		for (i = 1; i <= 8; i++)
			off += snprintf(yaml + off, sizeof(yaml) - off, "'2001:db8:b%d::%d'%s", p,
					i, i < 8 ? ", " : "]\n");
	}
	COMPILE_OK(yaml, &cfg, &out);
	b = &out.blobs[out.policies[0].all_blob];
	/* 24 records of 28 bytes; 18 fit in 512. */
	ASSERT_EQ(b->count, 18);
	ASSERT_EQ(b->len, 18 * 28);
	ASSERT_MEMEQ(b->data + 17 * 28 + 12, "\x20\x01\x0d\xb8\x00\xb3", 6);
	ASSERT_EQ(b->csum, be_to_raw(csum_be_reference(b->data, b->len)));
	ASSERT_EQ(out.blobs[out.policies[0].def[2].blob].count, 8);
	done(&cfg, &out);
}

TEST(dns_compile_pools_carry_initial_health)
{
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(ZONE "        []\n" POOLS, &cfg, &out);
	ASSERT_EQ(out.n_pools, 3);
	ASSERT_EQ(out.pools[FRA].up, 1);
	ASSERT_EQ(out.pools[IAD].up, 1);
	ASSERT_EQ(out.pools[SIN].up, 0);
	ASSERT_EQ(edge_dns_pool_index(&cfg, "iad"), IAD);
	ASSERT_EQ(edge_dns_pool_index(&cfg, "sin"), SIN);
	ASSERT_EQ(edge_dns_pool_index(&cfg, "lhr"), -ENOENT);
	done(&cfg, &out);
}

TEST(dns_compile_empty_config_is_empty)
{
	static const struct edge_dns_compiled zero;
	struct edge_dns_compiled out;
	struct edge_config cfg;

	COMPILE_OK(HEAD, &cfg, &out);
	ASSERT_TRUE(!memcmp(&out, &zero, sizeof(out)));
	done(&cfg, &out);
}

/* The geo section with csv: geo.csv written beside the config; files removed again. */
static int compile_with_csv(const char *csv, struct edge_config *cfg, struct edge_dns_compiled *out,
			    char *err)
{
	static const char yaml[] = HEAD "geo:\n"
					"  regions: [eu, as, na]\n"
					"  countries: {DE: eu, SG: as}\n"
					"  csv: geo.csv\n";
	char dir[] = "/tmp/edge-unit.XXXXXX", conf[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int ret = -EIO;

	memset(out, 0, sizeof(*out));
	if (!mkdtemp(dir))
		return -errno;
	snprintf(conf, sizeof(conf), "%s/edge.yaml", dir);
	snprintf(path, sizeof(path), "%s/geo.csv", dir);
	f = fopen(conf, "w");
	if (!f)
		goto out;
	fputs(yaml, f);
	fclose(f);
	f = fopen(path, "w");
	if (!f)
		goto out;
	fputs(csv, f);
	fclose(f);
	ret = edge_config_load(conf, cfg, err, ERR_LEN);
	if (!ret) {
		ret = edge_dns_compile(cfg, out, err, ERR_LEN);
		if (ret)
			edge_config_free(cfg);
	}
out:
	unlink(path);
	unlink(conf);
	rmdir(dir);
	return ret;
}

TEST(dns_compile_geo_csv_to_lpm_entries)
{
	struct edge_dns_compiled out;
	struct edge_config cfg;
	char err[ERR_LEN];
	__u8 want[16];

	if (compile_with_csv("192.0.2.0/25,eu\n"
			     "192.0.2.128/25,as\n"
			     "203.0.113.0/24,DE\n"
			     "198.51.100.0/24,na\n"
			     "2001:db8:1::/48,eu\n"
			     "2001:db8:2::/48,SG\n",
			     &cfg, &out, err))
		FAIL("%s", err);
	ASSERT_EQ(out.n_geo4, 4);
	ASSERT_EQ(out.n_geo6, 2);
	ASSERT_EQ(out.geo4[1].key.prefixlen, 25);
	ASSERT_MEMEQ(out.geo4[1].key.addr, "\xc0\x00\x02\x80", 4);
	ASSERT_EQ(out.geo4[1].val.region, AS);
	ASSERT_EQ(out.geo4[1].val.prefix_len, 25);
	ASSERT_EQ(out.geo4[1].val.pad, 0);
	ASSERT_EQ(out.geo4[2].val.region, EU); /* DE */
	ASSERT_EQ(out.geo4[3].val.region, NA);
	ASSERT_EQ(out.geo6[1].key.prefixlen, 48);
	inet_pton(AF_INET6, "2001:db8:2::", want);
	ASSERT_MEMEQ(out.geo6[1].key.addr, want, 16);
	ASSERT_EQ(out.geo6[1].val.region, AS); /* SG */
	ASSERT_EQ(out.geo6[1].val.prefix_len, 48);
	done(&cfg, &out);
}

TEST(dns_compile_geo_csv_error_names_csv_line)
{
	struct edge_dns_compiled out;
	struct edge_config cfg;
	char err[ERR_LEN];

	ASSERT_EQ(compile_with_csv("192.0.2.0/25,eu\n# fine\n192.0.2.129/25,as\n", &cfg, &out, err),
		  -EINVAL);
	ASSERT_STRSTR(err, "/geo.csv:3: '192.0.2.129/25' has host bits set");
	ASSERT_EQ(compile_with_csv("192.0.2.0/25,oc\n", &cfg, &out, err), -EINVAL);
	ASSERT_STRSTR(err, "/geo.csv:1: 'oc' is neither a region");
	ASSERT_EQ(compile_with_csv("192.0.2.0/25,eu\n192.0.2.0/25,as\n", &cfg, &out, err), -EINVAL);
	ASSERT_STRSTR(err, "/geo.csv:2: duplicate prefix 192.0.2.0/25 (first at line 1)");
}

TEST(dns_compile_example_file)
{
	const char *src = __FILE__, *tail = strstr(src, "tests/unit/test_dns_compile.c");
	const struct edge_dns_name *n;
	struct edge_dns_compiled out;
	char path[PATH_MAX], err[ERR_LEN];
	struct edge_config cfg;

	if (!tail)
		SKIP("cannot find the source tree from %s", src);
	snprintf(path, sizeof(path), "%.*sscripts/examples/edge.yaml", (int)(tail - src), src);
	if (edge_config_load(path, &cfg, err, sizeof(err)))
		FAIL("%s", err);
	if (edge_dns_compile(&cfg, &out, err, sizeof(err))) {
		edge_config_free(&cfg);
		FAIL("%s", err);
	}
	ASSERT_EQ(out.n_zones, 1);
	ASSERT_EQ(out.n_pools, 3);
	ASSERT_EQ(out.n_policies, cfg.n_rrsets);
	n = find_name(&out, "\3geo\7example\3com", 17);
	ASSERT_TRUE(n != NULL);
	ASSERT_EQ(out.policies[n->policy[0] - 1].kind, EDGE_POL_GEO);
	ASSERT_EQ(out.policies[n->policy[1] - 1].kind, EDGE_POL_GEO);
	ASSERT_TRUE(find_name(&out, "\7example\3com", 13) != NULL);
	done(&cfg, &out);
}

/* The entry a lookup of hash h finds in a name index (as bpf/tables.h does), or -1. */
static long index_find(const struct edge_dns_name_bucket *index, size_t nb, __u64 h)
{
	__u32 mask = nb - 1, b, s;
	int c;

	if (!nb)
		return -1;
	b = edge_table_bucket(h, mask);
	for (c = 0; c < 2; c++) {
		for (s = 0; s < EDGE_DNS_NAME_SLOTS; s++)
			if (index[b].hash[s] == h && index[b].idx[s])
				return index[b].idx[s] - 1;
		if (!index[b].idx[EDGE_DNS_NAME_SLOTS - 1])
			return -1;
		b = edge_table_alt(h, b, mask);
	}
	return -1;
}

TEST(dns_compile_every_name_found_through_its_index)
{
	char *yaml = malloc(64 * 1024), wire[32];
	struct edge_dns_compiled out;
	struct edge_config cfg;
	size_t len = 0, i, n;
	long at;

	if (!yaml)
		FAIL("out of memory");
	len = snprintf(yaml, 64 * 1024, "%s", ZONE);
	for (i = 0; i < 300; i++)
		len += snprintf(yaml + len, 64 * 1024 - len,
				"        - {name: n%zu, type: A, values: [198.51.100.1]}\n", i);
	COMPILE_OK(yaml, &cfg, &out);
	free(yaml);
	/* 300 names and the apex */
	ASSERT_EQ(out.n_names, 301);
	ASSERT_EQ(out.n_name_buckets, 256); /* at least one per two names, a power of two */
	for (i = 0; i < out.n_names; i++)
		ASSERT_EQ(index_find(out.name_index, out.n_name_buckets, out.names[i].key), i);
	/* Absent names: not found (their hashes are in no slot). */
	for (i = 0; i < 1000; i++) {
		n = snprintf(wire + 1, sizeof(wire) - 1, "absent%zu", i);
		wire[0] = n;
		memcpy(wire + 1 + n, "\7example\3com", 13);
		at = index_find(out.name_index, out.n_name_buckets,
				edge_dns_name_key((const __u8 *)wire, n + 14));
		ASSERT_EQ(at, -1);
	}
	done(&cfg, &out);
}

/* Name entries with given hashes only (the index reads nothing else). */
static struct edge_dns_name_entry *entries(size_t n, __u64 (*key)(size_t i))
{
	struct edge_dns_name_entry *e = calloc(n, sizeof(*e));
	size_t i;

	for (i = 0; e && i < n; i++)
		e[i].key = key(i);
	return e;
}

/*
 * Nine hashes with one primary bucket and one alternate in every table of
 * up to 64 buckets (eight slots: they do not fit); at 128 they spread.
 */
static __u64 key_spread_at_128(size_t i)
{
	return (__u64)(3 | i << 6) << 32 | (5 | i << 6);
}

TEST(dns_name_index_grows_until_names_fit)
{
	struct edge_dns_name_entry *e = entries(9, key_spread_at_128);
	struct edge_dns_name_bucket *index;
	char err[ERR_LEN];
	size_t nb, i;

	if (!e)
		FAIL("out of memory");
	ASSERT_OK(edge_dns_name_index(e, 9, EDGE_DNS_NAME_BUCKETS, &index, &nb, err, sizeof(err)));
	ASSERT_EQ(nb, 128);
	for (i = 0; i < 9; i++)
		ASSERT_EQ(index_find(index, nb, e[i].key), i);
	free(index);
	free(e);
}

/* Hashes whose two buckets are the same in every table up to 2^16 buckets. */
static __u64 key_one_pair(size_t i)
{
	return (__u64)(3 | i << 16) << 32 | (5 | i << 16);
}

TEST(dns_name_index_overflow_is_an_error)
{
	struct edge_dns_name_entry *e = entries(9, key_one_pair);
	struct edge_dns_name_bucket *index;
	char err[ERR_LEN];
	size_t nb, i;

	if (!e)
		FAIL("out of memory");
	/* Eight fit the pair of buckets... */
	ASSERT_OK(edge_dns_name_index(e, 8, EDGE_DNS_NAME_BUCKETS, &index, &nb, err, sizeof(err)));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(index_find(index, nb, e[i].key), i);
	free(index);
	/* ... nine never do: an error, not a name silently lost. */
	ASSERT_EQ(edge_dns_name_index(e, 9, EDGE_DNS_NAME_BUCKETS, &index, &nb, err, sizeof(err)),
		  -ENOSPC);
	ASSERT_STRSTR(err, "9 DNS names do not fit the name index (32768 buckets of 4 names)");
	ASSERT_TRUE(index == NULL && nb == 0);
	free(e);
}
