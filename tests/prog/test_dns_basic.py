#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Foundation packet tests: the DNS fast path, parsing, and the pass reasons."""
import random
import struct

import dns.edns
import dns.flags
import dns.message
import dns.rcode

from edgetest import (XDP_DROP, XDP_PASS, XDP_TX, Reply, TestRun, answer_set, eq, eth, ip4_hdr,
                      main, query, tcp4_frame, test, udp4_frame, udp6_frame)

# A 255-byte wire name (the maximum): l{63}.m{63}.n{63}.o{49}.example.com.
LONG_REL = ".".join(c * n for c, n in (("l", 63), ("m", 63), ("n", 63), ("o", 49)))
LONG = LONG_REL + ".example.com"

CONFIG = """
interfaces:
  - name: lo
vips:
  - address: 192.0.2.53
    dns: true
  - address: 2001:db8::53
    dns: true
  - address: 192.0.2.80
dns:
  zones:
    - name: example.com
      ttl: 300
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
        serial: 7
        minimum: 120
      ns: [ns1.example.com]
      records:
        - name: www
          type: A
          ttl: 300
          values: [198.51.100.10, 198.51.100.11]
        - name: www
          type: AAAA
          ttl: 60
          values: ["2001:db8:100::10"]
        - name: ab
          type: A
          values: [198.51.100.12]
        - name: deep.sub
          type: A
          values: [198.51.100.13]
        - name: {LONG_REL}
          type: AAAA
          values: ["2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4",
                   "2001:db8::5", "2001:db8::6", "2001:db8::7", "2001:db8::8"]
        - name: eight
          type: AAAA
          ttl: 5
          values: ["2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4",
                   "2001:db8::5", "2001:db8::6", "2001:db8::7", "2001:db8::8"]
""".replace("{LONG_REL}", LONG_REL)

WWW_A = ["198.51.100.10", "198.51.100.11"]


def answered(t, frame, qid=0x4242):
    r = t.run(frame)
    eq(r.verdict, XDP_TX, f"verdict ({r.delta})")
    eq(r.delta.get("reason_dns_answered"), 1, "reason_dns_answered delta")
    eq(r.delta.get("verdict_tx"), 1, "verdict_tx delta")
    rep = Reply(r.out, frame)
    eq(rep.msg.id, qid, "DNS id")
    return rep


def passed(t, frame, reason):
    r = t.run(frame)
    eq(r.verdict, XDP_PASS, "verdict")
    eq(r.delta.get("reason_" + reason), 1, f"reason_{reason} delta in {r.delta}")
    eq(r.delta.get("verdict_pass"), 1, "verdict_pass delta")
    eq(r.out, frame, "a passed frame is unchanged")
    return r


@test
def dns_a_answered_ipv4(t):
    f = udp4_frame(query("www.example.com", "A"), sport=41000)
    rep = answered(t, f)
    m = rep.msg
    eq((rep.src, rep.dst), ("192.0.2.53", "192.0.2.1"), "addresses swapped")
    eq((rep.sport, rep.dport), (53, 41000), "ports swapped")
    eq(rep.ttl, 64, "IP TTL")
    assert m.flags & dns.flags.QR and m.flags & dns.flags.AA, "QR and AA set"
    assert m.flags & dns.flags.RD, "RD copied"
    assert not m.flags & dns.flags.RA, "RA clear"
    assert not m.flags & dns.flags.TC, "TC clear"
    eq(m.rcode(), dns.rcode.NOERROR, "rcode")
    eq(answer_set(m), WWW_A, "answer set")
    eq(m.answer[0].ttl, 300, "TTL")
    eq(str(m.question[0].name), "www.example.com.", "question")
    eq(m.edns, -1, "no OPT when the query had none")


@test
def dns_rd_clear_copied(t):
    rep = answered(t, udp4_frame(query("www.example.com", "A", rd=False)))
    assert not rep.msg.flags & dns.flags.RD, "RD clear stays clear"


@test
def dns_aaaa_answered_ipv6(t):
    rep = answered(t, udp6_frame(query("www.example.com", "AAAA")))
    eq((rep.src, rep.dst), ("2001:db8::53", "2001:db8::1"), "addresses swapped")
    eq(answer_set(rep.msg), ["2001:db8:100::10"], "answer set")
    eq(rep.msg.answer[0].ttl, 60, "TTL")


@test
def dns_a_answered_over_ipv6(t):
    rep = answered(t, udp6_frame(query("www.example.com", "A")))
    eq(answer_set(rep.msg), WWW_A, "answer set")


@test
def dns_0x20_case_echoed_and_owner_points_to_question(t):
    q = query("WwW.ExAmPlE.CoM", "A")
    rep = answered(t, udp4_frame(q))
    qname_wire = q[12:12 + 17]
    eq(rep.payload[12:12 + 17], qname_wire, "question bytes echoed as sent")
    eq(rep.payload[12 + 17 + 4:12 + 17 + 6], b"\xc0\x0c", "owner is a pointer to 12")
    eq(answer_set(rep.msg), WWW_A, "answer set")


@test
def dns_even_and_odd_name_lengths_checksum(t):
    # ab.example.com is 16 wire bytes (answers at an even offset), www 17 (odd).
    for name, want in (("ab.example.com", ["198.51.100.12"]), ("www.example.com", WWW_A)):
        for edns in (None, 0):
            rep = answered(t, udp4_frame(query(name, "A", edns=edns)))
            eq(answer_set(rep.msg), want, name)
            rep = answered(t, udp6_frame(query(name, "A", edns=edns)))
            eq(answer_set(rep.msg), want, name)


@test
def dns_eight_records_answered(t):
    rep = answered(t, udp6_frame(query("eight.example.com", "AAAA", edns=0)))
    eq(len(answer_set(rep.msg)), 8, "eight AAAA records")
    eq(rep.msg.answer[0].ttl, 5, "TTL")


@test
def dns_longest_name_eight_records_odd_length_checksum(t):
    # 12 + 255 + 4 + 8 * 28 = 495 bytes: an odd reply, answers at an odd offset,
    # and UDP length 503 = 0x1f7: over IPv6 the pseudo-header words carry.
    for edns in (None, 0):
        for frame in (udp4_frame(query(LONG, "AAAA", edns=edns)),
                      udp6_frame(query(LONG, "AAAA", edns=edns)),
                      udp4_frame(query(LONG.upper(), "AAAA", edns=edns))):
            rep = answered(t, frame)
            eq(len(answer_set(rep.msg)), 8, "eight AAAA records")
            eq(len(rep.payload), 495 + (11 if edns is not None else 0), "reply length")


@test
def dns_edns_opt_echoed_with_our_size(t):
    rep = answered(t, udp4_frame(query("www.example.com", "A", edns=0, payload=4096)))
    eq(rep.msg.edns, 0, "EDNS version")
    eq(rep.msg.payload, 1232, "our UDP size")
    assert not rep.msg.ednsflags & dns.flags.DO, "DO clear"
    eq(list(rep.msg.options), [], "no options in our OPT")


@test
def dns_edns_do_bit_copied(t):
    rep = answered(t, udp4_frame(query("www.example.com", "A", edns=0, want_do=True)))
    assert rep.msg.ednsflags & dns.flags.DO, "DO copied"


@test
def dns_edns_unknown_option_ignored(t):
    cookie = dns.edns.GenericOption(10, bytes(range(8)))
    rep = answered(t, udp4_frame(query("www.example.com", "A", edns=0, options=[cookie])))
    eq(answer_set(rep.msg), WWW_A, "answer set")
    eq(list(rep.msg.options), [], "unknown option not echoed")


@test
def dns_zero_udp_checksum_query_answered(t):
    rep = answered(t, udp4_frame(query("www.example.com", "A"), zero_csum=True))
    eq(answer_set(rep.msg), WWW_A, "answer set")


@test
def dns_reply_swaps_every_mac_byte(t):
    # Twelve distinct bytes: a swap that moves any byte to the wrong place fails.
    macs = bytes.fromhex("0a1b2c3d4e5f") + bytes.fromhex("061728394a5b")
    for f in (udp4_frame(query("www.example.com", "A", edns=0)),
              udp6_frame(query("www.example.com", "AAAA")),
              udp4_frame(query("www.example.com", "A"), vlans=((0x8100, 100),))):
        f = macs + f[12:]
        rep = answered(t, f)  # Reply checks dst MAC == query src, src == query dst
        eq(rep.raw[0:12], macs[6:12] + macs[0:6], "MACs swapped")


@test
def dns_ethernet_padding_trimmed(t):
    f = udp4_frame(query("ab.example.com", "A"), pad_to=128)
    rep = answered(t, f)  # Reply checks IP total length == frame length
    eq(answer_set(rep.msg), ["198.51.100.12"], "answer set")


@test
def dns_vlan_tagged_answered(t):
    for vlans in (((0x8100, 100),), ((0x88A8, 10), (0x8100, 20))):
        f = udp4_frame(query("www.example.com", "A"), vlans=vlans)
        rep = answered(t, f)
        eq(rep.vlans, list(vlans), "VLAN tags kept")
        rep = answered(t, udp6_frame(query("www.example.com", "AAAA"), vlans=vlans))


@test
def vlan_three_tags_too_deep(t):
    vl = ((0x88A8, 1), (0x8100, 2), (0x8100, 3))
    passed(t, udp4_frame(query("www.example.com", "A"), vlans=vl), "vlan_too_deep")


def negative(t, frame, reason, rcode, qid=0x4242):
    r = t.run(frame)
    eq(r.verdict, XDP_TX, f"verdict ({r.delta})")
    eq(r.delta.get("reason_" + reason), 1, f"reason_{reason} delta in {r.delta}")
    rep = Reply(r.out, frame)
    m = rep.msg
    eq(m.id, qid, "DNS id")
    eq(m.rcode(), rcode, "rcode")
    # AA for zone data only: NXDOMAIN and NODATA, not REFUSED/FORMERR/BADVERS.
    eq(bool(m.flags & dns.flags.AA), rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN),
       "AA set iff the reply is from zone data")
    eq(m.answer, [], "no answer records")
    return rep


def soa_of(rep):
    eq(len(rep.msg.authority), 1, "one authority RRset")
    rrset = rep.msg.authority[0]
    eq(rrset.rdtype, dns.rdatatype.SOA, "authority is the SOA")
    eq(str(rrset.name).lower(), "example.com.", "SOA owner is the apex")
    soa = rrset[0]
    eq((str(soa.mname), str(soa.rname), soa.serial, soa.minimum),
       ("ns1.example.com.", "hostmaster.example.com.", 7, 120), "SOA rdata")
    eq(rrset.ttl, 120, "negative TTL = min(SOA TTL, minimum)")


@test
def dns_nxdomain_in_zone_with_soa(t):
    for name in ("nope.example.com", "x.www.example.com", "a.b.c.d.example.com"):
        rep = negative(t, udp4_frame(query(name, "A")), "dns_nxdomain", dns.rcode.NXDOMAIN)
        soa_of(rep)
    rep = negative(t, udp6_frame(query("NoPe.ExAmple.COM", "AAAA", edns=0)), "dns_nxdomain",
                   dns.rcode.NXDOMAIN)
    soa_of(rep)
    eq(rep.payload[12:12 + 18], query("NoPe.ExAmple.COM", "AAAA")[12:12 + 18],
       "question echoed as sent")


@test
def dns_most_labels_nxdomain_with_soa(t):
    # 121 one-letter labels + example.com: 255 bytes, 123 labels (the most a
    # name can have); the zone is found at the 122nd suffix. One more label
    # makes 257 bytes: malformed.
    name = "A." * 60 + "b." * 61 + "example.COM"
    rep = negative(t, udp4_frame(query(name, "A")), "dns_nxdomain", dns.rcode.NXDOMAIN)
    soa_of(rep)
    eq(rep.payload[12:12 + 255], query(name, "A")[12:12 + 255], "question echoed as sent")
    q = query(name, "A")
    passed(t, udp4_frame(q[:12] + b"\x01c" + q[12:]), "dns_malformed")


@test
def dns_nodata_for_missing_type_with_soa(t):
    soa_of(negative(t, udp4_frame(query("ab.example.com", "AAAA")), "dns_nodata",
                    dns.rcode.NOERROR))


@test
def dns_nodata_at_apex_and_empty_non_terminal(t):
    soa_of(negative(t, udp4_frame(query("example.com", "A")), "dns_nodata", dns.rcode.NOERROR))
    # sub.example.com only exists as the parent of deep.sub (RFC 8020: not NXDOMAIN)
    soa_of(negative(t, udp4_frame(query("sub.example.com", "A")), "dns_nodata",
                    dns.rcode.NOERROR))
    rep = answered(t, udp4_frame(query("deep.sub.example.com", "A")))
    eq(answer_set(rep.msg), ["198.51.100.13"], "deep name answered")


@test
def dns_out_of_zone_refused(t):
    for name in ("www.example.org", "com", "example.com.evil.net"):
        rep = negative(t, udp4_frame(query(name, "A")), "dns_refused", dns.rcode.REFUSED)
        eq(rep.msg.authority, [], "no authority")


@test
def dns_root_name_refused(t):
    negative(t, udp4_frame(query(".", "A")), "dns_refused", dns.rcode.REFUSED)


@test
def dns_unsupported_qtype_passes(t):
    for qt in ("MX", "TXT", "ANY", "AXFR"):
        passed(t, udp4_frame(query("www.example.com", qt)), "dns_unsupported")


@test
def dns_class_chaos_passes(t):
    q = bytearray(query("www.example.com", "A"))
    q[-2:] = b"\x00\x03"
    passed(t, udp4_frame(bytes(q)), "dns_unsupported")


@test
def dns_response_not_answered(t):
    q = bytearray(query("www.example.com", "A"))
    q[2] |= 0x80
    passed(t, udp4_frame(bytes(q)), "dns_not_query")


@test
def dns_other_opcode_not_answered(t):
    q = bytearray(query("www.example.com", "A"))
    q[2] |= 0x28  # opcode 5 (UPDATE)
    passed(t, udp4_frame(bytes(q)), "dns_not_query")


@test
def dns_compressed_question_malformed(t):
    q = query("www.example.com", "A")
    bad = q[:12] + b"\x03www\xc0\x0c" + q[-4:]
    passed(t, udp4_frame(bad), "dns_malformed")


@test
def dns_label_too_long_malformed(t):
    q = query("www.example.com", "A")
    bad = q[:12] + b"\x40" + b"a" * 64 + b"\x00" + q[-4:]
    passed(t, udp4_frame(bad), "dns_malformed")


@test
def dns_name_over_255_malformed(t):
    q = query("www.example.com", "A")
    bad = q[:12] + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + q[-4:]  # 257 bytes
    passed(t, udp4_frame(bad), "dns_malformed")


@test
def dns_counts_malformed(t):
    q = query("www.example.com", "A")
    for hdr in (b"\x00\x02\x00\x00\x00\x00\x00\x00",  # QD=2
                b"\x00\x01\x00\x01\x00\x00\x00\x00",  # AN=1
                b"\x00\x01\x00\x00\x00\x01\x00\x00",  # NS=1
                b"\x00\x01\x00\x00\x00\x00\x00\x02"):  # AR=2
        passed(t, udp4_frame(q[:4] + hdr + q[12:]), "dns_malformed")


@test
def dns_truncated_and_trailing_malformed(t):
    q = query("www.example.com", "A")
    passed(t, udp4_frame(q[:7]), "dns_malformed")
    passed(t, udp4_frame(q[:-2]), "dns_malformed")
    passed(t, udp4_frame(q + b"\x00"), "dns_malformed")


@test
def dns_edns_version_1_badvers(t):
    q = bytearray(query("www.example.com", "A", edns=0))
    q[-5] = 1  # OPT TTL byte 2: version
    rep = negative(t, udp4_frame(bytes(q)), "dns_badvers", dns.rcode.BADVERS)
    eq(rep.msg.edns, 0, "our OPT says version 0")


@test
def dns_two_opts_formerr(t):
    q = query("www.example.com", "A", edns=0)
    opt = q[-11:]
    bad = bytearray(q + opt)
    bad[11] = 2  # ARCOUNT
    negative(t, udp4_frame(bytes(bad)), "dns_formerr", dns.rcode.FORMERR)


@test
def dns_option_overrunning_opt_formerr(t):
    q = bytearray(query("www.example.com", "A", edns=0))
    # OPT RDLEN 4 with an option header claiming 100 bytes
    q[-2:] = b"\x00\x04"
    bad = bytes(q) + b"\x00\x0a\x00\x64"
    negative(t, udp4_frame(bad), "dns_formerr", dns.rcode.FORMERR)


@test
def not_vip_passes(t):
    passed(t, udp4_frame(query("www.example.com", "A"), dst="192.0.2.99"), "not_vip")
    passed(t, udp6_frame(query("www.example.com", "A"), dst="2001:db8::99"), "not_vip")


@test
def dns_to_non_dns_vip_not_answered(t):
    passed(t, udp4_frame(query("www.example.com", "A"), dst="192.0.2.80"), "vip_other_proto")


@test
def udp_other_port_to_dns_vip(t):
    passed(t, udp4_frame(query("www.example.com", "A"), dport=5353), "vip_other_proto")


@test
def tcp_to_vip_passes(t):
    passed(t, tcp4_frame(dst="192.0.2.53", dport=53), "vip_tcp")


@test
def arp_not_ip(t):
    f = eth(0x0806) + bytes(28)
    passed(t, f, "not_ip")


@test
def ipv4_truncated(t):
    f = udp4_frame(query("www.example.com", "A"))
    passed(t, f[:14 + 12], "ip_truncated")
    # total length larger than the frame
    bad = bytearray(f)
    bad[16:18] = struct.pack("!H", len(f))
    passed(t, bytes(bad), "ip_truncated")


@test
def ipv4_fragment_to_vip(t):
    passed(t, udp4_frame(query("www.example.com", "A"), frag=0x2000), "ip_fragment")
    passed(t, udp4_frame(query("www.example.com", "A"), frag=0x0010), "ip_fragment")


@test
def ipv4_options_to_vip(t):
    passed(t, udp4_frame(query("www.example.com", "A"), options=b"\x01\x01\x01\x00"),
           "ip_options")


@test
def ipv6_fragment_and_ext_header(t):
    q = query("www.example.com", "A")
    hbh = bytes([17, 0, 1, 4, 0, 0, 0, 0])  # hop-by-hop, next = UDP, PadN
    passed(t, udp6_frame(q, nexthdr=0, ext=hbh), "ip6_ext_header")
    frag = bytes([17, 0, 0, 0, 0, 0, 0, 1])
    passed(t, udp6_frame(q, nexthdr=44, ext=frag), "ip_fragment")


@test
def fuzz_mutated_queries_never_answer_garbage(t):
    """2,000 mutated queries: every TX reply parses with valid checksums."""
    rng = random.Random(1234)
    base = [udp4_frame(query("www.example.com", "A", edns=0)),
            udp6_frame(query("eight.example.com", "AAAA")),
            udp4_frame(query("ab.example.com", "A"), vlans=((0x8100, 5),))]
    seen = set()
    for i in range(2000):
        f = bytearray(rng.choice(base))
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            pos = rng.randrange(len(f))
            if op < 0.6:
                f[pos] = rng.randrange(256)
            elif op < 0.8:
                del f[pos:]
                if len(f) < 14:
                    f += bytes(14 - len(f))
            else:
                f[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        r = t.run(bytes(f))
        seen.add(r.verdict)
        eq(sum(r.delta.get(k, 0) for k in r.delta if k.startswith("verdict_")), 1,
           f"exactly one verdict counted (frame {i})")
        if r.verdict == XDP_TX:
            Reply(r.out, bytes(f))  # raises if the reply is malformed
        else:
            assert r.verdict in (XDP_PASS, XDP_DROP), f"verdict {r.verdict}"
    assert XDP_PASS in seen, "some mutations must be passed"


def vip_deltas(r):
    """{vip id: (packets, bytes)} of the per-VIP counters (edge_vip_stats) that moved."""
    out = {}
    for k, v in r.delta.items():
        if k.startswith("vip") and "." in k:
            vid, field = k[3:].split(".")
            p, b = out.get(int(vid), (0, 0))
            out[int(vid)] = (p + v, b) if field == "packets" else (p, b + v)
    return out


@test
def vip_counter_counts_dns_to_its_vip_only(t):
    # VIP ids are config order: 0 192.0.2.53, 1 2001:db8::53, 2 192.0.2.80 (no DNS).
    f = udp4_frame(query("www.example.com", "A"))
    eq(vip_deltas(t.run(f)), {0: (1, len(f))}, "answered query to 192.0.2.53")
    f6 = udp6_frame(query("www.example.com", "AAAA"))
    eq(vip_deltas(t.run(f6)), {1: (1, len(f6))}, "answered query to 2001:db8::53")
    f = udp4_frame(query("nope.example.org", "A"))  # refused, still the VIP's
    eq(vip_deltas(t.run(f)), {0: (1, len(f))}, "refused query to 192.0.2.53")
    f = udp4_frame(query("www.example.com", "A"), dst="192.0.2.80")
    r = passed(t, f, "vip_other_proto")
    eq(vip_deltas(r), {2: (1, len(f))}, "UDP/53 to the VIP without DNS")
    f = udp4_frame(query("www.example.com", "A"), dst="192.0.2.99")
    r = passed(t, f, "not_vip")
    eq(vip_deltas(r), {}, "a query to an address that is no VIP")


if __name__ == "__main__":
    main(lambda: TestRun(CONFIG))
