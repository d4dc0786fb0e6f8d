/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS query frames and the zone the benchmarks serve, shared by dns_bench
 * (BPF_PROG_TEST_RUN) and dns_blast (real traffic over veth), so both time
 * the same queries against the same data.
 *
 * The zone: example.com with NFRAMES names n<i> (A and AAAA, static) and
 * NGEO names g<i> (A, geo policy over three pools); the geo table maps
 * 48 /28s of the three documentation /24s round-robin to eu/as/na.
 */
#ifndef DNS_FRAMES_H
#define DNS_FRAMES_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#define NFRAMES	  1000
#define NGEO	  100
#define FRAME_MAX 512

struct frame {
	unsigned char b[FRAME_MAX];
	size_t len;
};

static inline size_t put_name(unsigned char *p, const char *name)
{
	size_t n = 0;
	const char *dot;

	while (*name) {
		dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* DNS query: header, question, optional OPT with an ECS option. */
static inline size_t dns_query(unsigned char *p, const char *name, int qtype, const char *ecs4,
			       int src)
{
	size_t n = 12;

	memset(p, 0, 12);
	p[0] = 0x12;
	p[1] = 0x34;
	p[2] = 0x01; /* RD */
	p[5] = 1;    /* QDCOUNT */
	n += put_name(p + n, name);
	p[n++] = 0;
	p[n++] = qtype;
	p[n++] = 0;
	p[n++] = 1;
	if (ecs4) {
		int alen = (src + 7) / 8;

		p[11] = 1; /* ARCOUNT */
		memcpy(p + n, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00", 9);
		n += 9;
		p[n++] = 0;
		p[n++] = 8 + alen;
		p[n++] = 0;
		p[n++] = 8;
		p[n++] = 0;
		p[n++] = 4 + alen;
		p[n++] = 0;
		p[n++] = 1;
		p[n++] = src;
		p[n++] = 0;
		inet_pton(AF_INET, ecs4, p + n);
		n += alen;
	}
	return n;
}

static inline void frame_v4(struct frame *f, const unsigned char *dns, size_t dlen, __u32 client)
{
	unsigned char *p = f->b;
	size_t udp_len = 8 + dlen;

	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	p += 14;
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (20 + udp_len) >> 8;
	p[3] = (20 + udp_len) & 0xff;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, &client, 4);
	inet_pton(AF_INET, "192.0.2.53", p + 16);
	p += 20;
	p[0] = 0x9c;
	p[1] = 0x40;
	p[2] = 0;
	p[3] = 53;
	p[4] = udp_len >> 8;
	p[5] = udp_len & 0xff;
	p[6] = p[7] = 0; /* IPv4 UDP checksum optional */
	memcpy(p + 8, dns, dlen);
	f->len = 14 + 20 + udp_len;
}

static inline void frame_v6(struct frame *f, const unsigned char *dns, size_t dlen, int client)
{
	unsigned char *p = f->b;
	size_t udp_len = 8 + dlen;

	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd", 14);
	p += 14;
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = udp_len >> 8;
	p[5] = udp_len & 0xff;
	p[6] = 17;
	p[7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", p + 8);
	p[8 + 14] = client >> 8;
	p[8 + 15] = client & 0xff;
	inet_pton(AF_INET6, "2001:db8::53", p + 24);
	p += 40;
	p[0] = 0x9c;
	p[1] = 0x40;
	p[3] = 53;
	p[4] = udp_len >> 8;
	p[5] = udp_len & 0xff;
	memcpy(p + 8, dns, dlen);
	f->len = 14 + 40 + udp_len;
}

/*
 * Extra geo prefixes written to geo.csv besides the 48 the queries use, to
 * time the lookup in a trie the size of a real country database (~240,000
 * IPv4 networks): distinct /12../24 networks of 1.0.0.0-191.255.255.255,
 * from a fixed seed.
 */
static unsigned int bench_geo_extra;
/* Not zero: dns.rrl at this rate per /32, with a burst as large. */
static unsigned int bench_rrl_rate;

static inline void geo_extra(FILE *f)
{
	unsigned char *seen = calloc(1 << 21, 1); /* one bit per /24 start */
	unsigned int k, a, plen, n = 0;
	__u64 x = 88172645463325252ull;

	for (k = 0; seen && n < bench_geo_extra && k < 4 * bench_geo_extra; k++) {
		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		plen = 12 + (x >> 40) % 13;
		a = (0x01000000u + (__u32)(x % 0xbf000000u)) & ~((1u << (32 - plen)) - 1);
		if ((a >> 24) == 192 || (a >> 24) == 198 || (a >> 24) == 203)
			continue; /* the documentation ranges keep to the 48 */
		if (seen[a >> 11] & (1 << ((a >> 8) & 7)))
			continue; /* one prefix per start address: no duplicates */
		seen[a >> 11] |= 1 << ((a >> 8) & 7);
		fprintf(f, "%u.%u.%u.%u/%u,%s\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
			plen, (const char *[]){"eu", "as", "na"}[k % 3]);
		n++;
	}
	free(seen);
}

/*
 * Write DIR/bench.yaml (and DIR/geo.csv) serving the bench zone on
 * interface ifname (pin_path: pin, or none). Its path goes to path.
 */
static inline int write_config(const char *dir, const char *ifname, const char *pin, char *path,
			       size_t len)
{
	char csv[512];
	FILE *f;
	int i;

	snprintf(csv, sizeof(csv), "%s/geo.csv", dir);
	f = fopen(csv, "w");
	if (!f)
		return -errno;
	/* 48 /28s of the three documentation /24s, round-robin over 3 regions. */
	for (i = 0; i < 48; i++)
		fprintf(f, "%s.%d/28,%s\n",
			i < 16	 ? "192.0.2"
			: i < 32 ? "198.51.100"
				 : "203.0.113",
			(i % 16) * 16, (const char *[]){"eu", "as", "na"}[i % 3]);
	geo_extra(f);
	fclose(f);

	snprintf(path, len, "%s/bench.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (pin)
		fprintf(f, "pin_path: %s\n", pin);
	fprintf(f,
		"interfaces:\n  - name: %s\n    mode: native\nvips:\n  - address: 192.0.2.53\n    "
		"dns: true\n"
		"  - address: 2001:db8::53\n    dns: true\n"
		"dns:\n  rrl: {rate: %u, burst: %u, ipv4_prefix: 32, ipv6_prefix: 128}\n"
		"  pools:\n"
		"    - {name: fra, a: [198.51.100.1], aaaa: ['2001:db8:f::1']}\n"
		"    - {name: iad, a: [198.51.100.2], aaaa: ['2001:db8:f::2']}\n"
		"    - {name: sin, a: [198.51.100.3], aaaa: ['2001:db8:f::3']}\n"
		"  zones:\n    - name: example.com\n"
		"      soa: {mname: ns1.example.com, rname: hostmaster.example.com}\n"
		"      ns: [ns1.example.com]\n      records:\n",
		ifname ? ifname : "lo", bench_rrl_rate, bench_rrl_rate ? bench_rrl_rate : 1);
	for (i = 0; i < NFRAMES; i++)
		fprintf(f,
			"        - {name: n%d, type: A, values: [198.51.100.10, 198.51.100.11]}\n"
			"        - {name: n%d, type: AAAA, values: ['2001:db8:100::10']}\n",
			i, i);
	for (i = 0; i < NGEO; i++)
		fprintf(f,
			"        - {name: g%d, type: A, policy: geo, geo: {eu: [fra, iad], "
			"as: [sin, fra], na: [iad]}, default: [iad]}\n",
			i);
	fprintf(f, "geo:\n  regions: [eu, as, na]\n  csv: geo.csv\n");
	fclose(f);
	return 0;
}

enum frame_kind { FK_A, FK_AAAA, FK_NXDOMAIN, FK_GEO_ECS, FK__COUNT };

/* Query i (0..NFRAMES-1) of a kind: distinct names and client subnets. */
static inline void build_frame(struct frame *f, enum frame_kind kind, int i)
{
	__u32 client = htonl(0xc0000200 | (1 + i % 250)); /* 192.0.2.x */
	unsigned char q[FRAME_MAX];
	char name[64], ecs[32];
	size_t n;

	switch (kind) {
	case FK_A:
		snprintf(name, sizeof(name), "n%d.example.com", i);
		n = dns_query(q, name, 1, NULL, 0);
		frame_v4(f, q, n, client);
		break;
	case FK_AAAA:
		snprintf(name, sizeof(name), "n%d.example.com", i);
		n = dns_query(q, name, 28, NULL, 0);
		frame_v6(f, q, n, i);
		break;
	case FK_NXDOMAIN:
		snprintf(name, sizeof(name), "missing%d.example.com", i);
		n = dns_query(q, name, 1, NULL, 0);
		frame_v4(f, q, n, client);
		break;
	default:
		snprintf(name, sizeof(name), "g%d.example.com", i % NGEO);
		snprintf(ecs, sizeof(ecs), "%s.%d",
			 (i % 3) == 0	? "192.0.2"
			 : (i % 3) == 1 ? "198.51.100"
					: "203.0.113",
			 (i * 7) % 256 & ~15);
		n = dns_query(q, name, 1, ecs, 28);
		frame_v4(f, q, n, client);
		break;
	}
}

#endif /* DNS_FRAMES_H */
