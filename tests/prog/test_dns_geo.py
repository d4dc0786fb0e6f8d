#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""GeoDNS packet tests: pools, geo/failover/weighted policies, health, fail
open, EDNS Client Subnet (RFC 7871) and truncation."""
import collections
import ipaddress

import dns.edns
import dns.flags
import dns.rcode

import geo_equiv
from edgetest import (XDP_TX, Reply, TestRun, answer_set, eq, main, query, test, udp4_frame,
                      udp6_frame)

# Pool indexes follow config order: fra 0, iad 1, sin 2, big1 3, big2 4, big3 5.
FRA, IAD, SIN = 0, 1, 2
A = {FRA: "198.51.100.1", IAD: "198.51.100.2", SIN: "198.51.100.3"}
AAAA = {FRA: "2001:db8:f::1", IAD: "2001:db8:f::2", SIN: "2001:db8:f::3"}


def big(n):
    return "[" + ", ".join(f'"2001:db8:b{n}::{i}"' for i in range(1, 9)) + "]"


CONFIG = f"""
interfaces:
  - name: lo
vips:
  - address: 192.0.2.53
    dns: true
  - address: 2001:db8::53
    dns: true
dns:
  pools:
    - name: fra
      a: [{A[FRA]}]
      aaaa: ["{AAAA[FRA]}"]
    - name: iad
      a: [{A[IAD]}]
      aaaa: ["{AAAA[IAD]}"]
    - name: sin
      a: [{A[SIN]}]
      aaaa: ["{AAAA[SIN]}"]
    - name: big1
      aaaa: {big(1)}
    - name: big2
      aaaa: {big(2)}
    - name: big3
      aaaa: {big(3)}
  zones:
    - name: example.com
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
      ns: [ns1.example.com]
      records:
        - name: geo
          type: A
          policy: geo
          geo:
            eu: [fra, iad]
            as: [sin, fra]
          default: [iad]
        - name: geo
          type: AAAA
          policy: geo
          geo:
            eu: [fra, iad]
            as: [sin, fra]
          default: [iad]
        - name: fo
          type: A
          policy: failover
          pools: [fra, iad]
        - name: w
          type: A
          policy: weighted
          weights: {{fra: 3, iad: 1}}
        - name: many
          type: AAAA
          policy: failover
          pools: [big1, big2, big3]
        - name: static
          type: A
          values: [198.51.100.9]
geo:
  regions: [eu, as, na]
  countries: {{DE: eu, SG: as}}
  csv: geo.csv
"""

GEO_CSV = """# prefix,region
192.0.2.0/25,eu
192.0.2.128/25,as
203.0.113.0/24,DE
198.51.100.0/24,na
2001:db8:1::/48,eu
2001:db8:2::/48,SG
"""


def ecs(addr, source, scope=0):
    return dns.edns.ECSOption(addr, source, scope)


def ask(t, name, rdtype="A", src="192.0.2.10", options=None, edns=None, v6=False, payload=1232):
    if options is not None and edns is None:
        edns = 0
    q = query(name, rdtype, edns=edns, options=options, payload=payload)
    f = udp6_frame(q, src=src) if v6 else udp4_frame(q, src=src)
    r = t.run(f)
    eq(r.verdict, XDP_TX, f"verdict ({r.delta})")
    return Reply(r.out, f), r.delta


def answer(t, *a, **kw):
    rep, delta = ask(t, *a, **kw)
    eq(rep.msg.rcode(), dns.rcode.NOERROR, "rcode")
    return answer_set(rep.msg), rep, delta


def ecs_of(rep):
    opts = [o for o in rep.msg.options if o.otype == dns.edns.ECS]
    eq(len(opts), 1, "one ECS option echoed")
    return opts[0]


@test
def geo_source_address_selects_region(t):
    eq(answer(t, "geo.example.com", src="192.0.2.10")[0], [A[FRA]], "eu client -> fra")
    eq(answer(t, "geo.example.com", src="192.0.2.200")[0], [A[SIN]], "as client -> sin")
    eq(answer(t, "geo.example.com", src="203.0.113.5")[0], [A[FRA]], "DE (-> eu) -> fra")
    eq(answer(t, "geo.example.com", src="198.51.100.77")[0], [A[IAD]], "na: default list")
    eq(answer(t, "geo.example.com", "AAAA", src="2001:db8:2::7", v6=True)[0], [AAAA[SIN]],
       "v6 SG client -> sin")
    got, _, delta = answer(t, "geo.example.com", "AAAA", src="2001:db8:9::1", v6=True)
    eq(got, [AAAA[IAD]], "unmatched v6 -> default")
    eq(delta.get("event_dns_geo_matched"), None, "no geo match counted")


@test
def geo_ecs_overrides_source_and_echoes_scope(t):
    got, rep, delta = answer(t, "geo.example.com", src="192.0.2.10",
                             options=[ecs("192.0.2.128", 25)])
    eq(got, [A[SIN]], "ECS in the as /25 -> sin")
    o = ecs_of(rep)
    eq((o.family, o.srclen, o.scopelen, o.address), (1, 25, 25, "192.0.2.128"), "ECS echo")
    eq(delta.get("event_dns_ecs"), 1, "event_dns_ecs")
    got, rep, _ = answer(t, "geo.example.com", src="192.0.2.200",
                         options=[ecs("203.0.113.0", 24)])
    eq(got, [A[FRA]], "ECS in DE -> fra")
    eq(ecs_of(rep).scopelen, 24, "scope = matched prefix length")
    got, rep, _ = answer(t, "geo.example.com", "AAAA", src="2001:db8::1", v6=True,
                         options=[ecs("2001:db8:1::", 48)])
    eq(got, [AAAA[FRA]], "v6 ECS eu -> fra")
    eq(ecs_of(rep).scopelen, 48, "v6 scope")


@test
def geo_ecs_longer_than_entry_scope_is_entry(t):
    got, rep, _ = answer(t, "geo.example.com", options=[ecs("192.0.2.130", 32)])
    eq(got, [A[SIN]], "/32 inside the as /25")
    eq(ecs_of(rep).scopelen, 25, "scope is the /25 that decided")


@test
def geo_ecs_shorter_than_entry_scope_longer_than_source(t):
    got, rep, _ = answer(t, "geo.example.com", src="192.0.2.200", options=[ecs("192.0.2.0", 24)])
    eq(got, [A[FRA]], "ECS 192.0.2.0/24 looked up as 192.0.2.0: the eu /25")
    o = ecs_of(rep)
    eq((o.srclen, o.scopelen), (24, 25), "scope 25 > source 24 (RFC 7871 7.2.1)")


@test
def ecs_private_or_zero_source_ignored_scope_zero(t):
    got, rep, delta = answer(t, "geo.example.com", src="192.0.2.200",
                             options=[ecs("10.1.2.0", 24)])
    eq(got, [A[SIN]], "private ECS ignored: resolver address (as) decides")
    eq(ecs_of(rep).scopelen, 0, "scope 0 when ECS did not decide")
    eq(delta.get("event_dns_ecs_ignored"), 1, "event_dns_ecs_ignored")
    got, rep, _ = answer(t, "geo.example.com", src="192.0.2.10", options=[ecs("0.0.0.0", 0)])
    eq(got, [A[FRA]], "source /0: resolver address decides (RFC 7871 7.5)")
    o = ecs_of(rep)
    eq((o.srclen, o.scopelen), (0, 0), "/0 echoed with scope 0")


@test
def ecs_static_answer_scope_zero(t):
    got, rep, _ = answer(t, "static.example.com", options=[ecs("192.0.2.128", 25)])
    eq(got, ["198.51.100.9"], "static answer")
    eq(ecs_of(rep).scopelen, 0, "location did not matter")


def formerr(t, wire_opt_data):
    """A query whose single EDNS option is raw bytes."""
    q = bytearray(query("geo.example.com", "A", edns=0))
    q[-2:] = len(wire_opt_data).to_bytes(2, "big")
    f = udp4_frame(bytes(q) + wire_opt_data)
    r = t.run(f)
    eq(r.verdict, XDP_TX, "verdict")
    eq(r.delta.get("reason_dns_formerr"), 1, f"reason_dns_formerr in {r.delta}")
    rep = Reply(r.out, f)
    eq(rep.msg.rcode(), dns.rcode.FORMERR, "rcode")
    eq([o for o in rep.msg.options if o.otype == dns.edns.ECS], [], "no ECS echo on FORMERR")


def ecs_raw(family, source, scope, addr):
    body = family.to_bytes(2, "big") + bytes([source, scope]) + addr
    return b"\x00\x08" + len(body).to_bytes(2, "big") + body


@test
def ecs_malformed_is_formerr(t):
    formerr(t, ecs_raw(3, 8, 0, b"\x01"))                  # unknown family
    formerr(t, ecs_raw(1, 33, 0, b"\xc0\x00\x02\x00\x00"))  # prefix too long for IPv4
    formerr(t, ecs_raw(1, 24, 0, b"\xc0\x00\x02\x00"))      # address longer than /24 needs
    formerr(t, ecs_raw(1, 24, 0, b"\xc0\x00"))              # shorter
    formerr(t, ecs_raw(1, 23, 0, b"\xc0\x00\x03"))          # bits beyond /23 set
    formerr(t, ecs_raw(1, 24, 0, b"\xc0\x00\x02") * 2)      # two ECS options
    formerr(t, b"\x00\x08\x00\x02\x00\x01")                 # too short


@test
def pool_down_moves_answer_to_next_pool(t):
    try:
        t.pool(FRA, False)
        eq(answer(t, "geo.example.com", src="192.0.2.10")[0], [A[IAD]], "eu: fra down -> iad")
        eq(answer(t, "geo.example.com", src="192.0.2.200")[0], [A[SIN]], "as unaffected")
        eq(answer(t, "fo.example.com")[0], [A[IAD]], "failover to iad")
    finally:
        t.pool(FRA, True)
    eq(answer(t, "fo.example.com")[0], [A[FRA]], "back to fra")


@test
def all_candidates_down_fails_open(t):
    try:
        for p in (FRA, IAD, SIN):
            t.pool(p, False)
        got, _, delta = answer(t, "geo.example.com", src="192.0.2.10")
        eq(got, sorted(A.values()), "every candidate answered")
        eq(delta.get("event_dns_fail_open"), 1, "event_dns_fail_open")
    finally:
        for p in (FRA, IAD, SIN):
            t.pool(p, True)


@test
def weighted_sticky_per_prefix_and_proportional(t):
    first = answer(t, "w.example.com", src="198.51.100.1")[0]
    for host in range(2, 40):
        eq(answer(t, "w.example.com", src=f"198.51.100.{host}")[0], first, "same /24, same pool")
    counts = collections.Counter()
    for i in range(400):
        counts[answer(t, "w.example.com", options=[ecs(f"203.{i // 200}.{i % 200}.0", 24)])[0][0]] += 1
    share = counts[A[FRA]] / 400
    assert 0.65 <= share <= 0.85, f"fra share {share} for weights 3:1"
    _, rep, _ = answer(t, "w.example.com", options=[ecs("203.0.113.0", 24)])
    eq(ecs_of(rep).scopelen, 24, "weighted scope is the sticky /24")


@test
def oversized_answer_sets_tc_without_edns(t):
    try:
        for p in (3, 4, 5):
            t.pool(p, False)
        rep, delta = ask(t, "many.example.com", "AAAA")
        eq(delta.get("reason_dns_truncated"), 1, f"reason_dns_truncated in {delta}")
        assert rep.msg.flags & dns.flags.TC, "TC set"
        eq(rep.msg.answer, [], "no partial answer")
        got, rep, _ = answer(t, "many.example.com", "AAAA", edns=0)
        eq(len(got), 18, "with EDNS the fail-open union (18 records in 512 bytes) fits")
    finally:
        for p in (3, 4, 5):
            t.pool(p, True)


@test
def edns_udp_size_of_the_client_decides_tc(t):
    # The fail-open union is bigger than 512 bytes: the client's EDNS size
    # decides, to the byte (RFC 6891 7); a size below 512 counts as 512.
    try:
        for p in (3, 4, 5):
            t.pool(p, False)
        got, rep, _ = answer(t, "many.example.com", "AAAA", edns=0)
        size = len(rep.msg.to_wire())
        assert size > 512, f"reply of {size} bytes: the test needs more than 512"
        got, rep, _ = answer(t, "many.example.com", "AAAA", edns=0, payload=size)
        eq(len(got), 18, f"EDNS size {size}: everything fits")
        rep, delta = ask(t, "many.example.com", "AAAA", edns=0, payload=size - 1)
        eq(delta.get("reason_dns_truncated"), 1, f"EDNS size {size - 1}: truncated")
        assert rep.msg.flags & dns.flags.TC, "TC set"
        rep, delta = ask(t, "many.example.com", "AAAA", edns=0, payload=100)
        eq(delta.get("reason_dns_truncated"), 1, "EDNS size 100 counts as 512: truncated")
    finally:
        for p in (3, 4, 5):
            t.pool(p, True)


# The IPv4 direct table (edge_geo4_dir) against the LPM trie: nested
# prefixes from /4 to /32, several per /16 and per /24, probed at random
# and on both sides of every prefix boundary.
EQ_REGIONS = [f"r{i}" for i in range(6)]
EQ_BASES = ["198.0.0.0/8", "203.0.113.0/24", "192.0.2.0/23", "45.64.0.0/10"]


def eq_csv(seed, n=120):
    pfx = [(ipaddress.IPv4Network(n), i) for i, n in enumerate(("192.0.0.0/4", "198.0.0.0/8",
                                                                 "203.0.0.0/9"))]
    pfx += geo_equiv.nested_prefixes(seed, n, EQ_BASES, taken=[str(n) for n, _ in pfx])
    lines = [f"{net},{EQ_REGIONS[v % len(EQ_REGIONS)]}" for net, v in pfx]
    return "\n".join(lines) + "\n", [str(net) for net, _ in pfx]


def eq_run(seed, wrap=()):
    csv, nets = eq_csv(seed)
    t = TestRun(geo_equiv.config(EQ_REGIONS, "  csv: geo.csv\n"), files={"geo.csv": csv},
                wrap=wrap)
    probes = geo_equiv.boundary_probes(nets) + geo_equiv.random_probes(seed, 300, EQ_BASES)
    return t, probes


@test
def geo4_direct_table_answers_as_the_trie(_):
    for seed in (1, 2):
        t, probes = eq_run(seed)
        try:
            kinds = geo_equiv.check(t, probes)
        finally:
            t.close()
        assert kinds["leaf"] > 500 and kinds["none"] > 0, f"probes met {dict(kinds)}"
        eq(kinds["trie"], 0, "blocks left to the trie with room for every chunk")


@test
def geo4_blocks_past_the_chunks_are_answered_by_the_trie(_):
    t, probes = eq_run(3, wrap=("env", "EDGE_TESTRUN_GEO4_CHUNKS=3"))
    try:
        kinds = geo_equiv.check(t, probes)
    finally:
        t.close()
    assert kinds["trie"] > 50 and kinds["leaf"] > 50, f"probes met {dict(kinds)}"


@test
def geo4_reload_swaps_the_whole_table(_):
    """A thread reloads between two GeoIP data sets while queries run: each
    answer and scope is the one of set A or of set B for that address; a
    lookup in a half-written table would give a third one."""
    csv_a, nets_a = eq_csv(4)
    csv_b, nets_b = eq_csv(5)
    t = TestRun(geo_equiv.config(EQ_REGIONS, "  csv: geo.csv\n"),
                files={"geo.csv": csv_a, "geo_b.csv": csv_b,
                       "b.yaml": geo_equiv.config(EQ_REGIONS, "  csv: geo_b.csv\n")})
    cfg_b = t.cfg_path.replace("edge.yaml", "b.yaml")
    probes = [a for a in geo_equiv.boundary_probes(nets_a + nets_b)[::7]
              if not geo_equiv.private(a)]

    def answers():
        return [geo_equiv.answer(t, a) for a in probes]

    try:
        res_a = answers()
        t.cmd("reload " + cfg_b)
        res_b = answers()
        t.cmd("reload " + t.cfg_path)
        eq(answers(), res_a, "back to set A")
        differ = sum(a != b for a, b in zip(res_a, res_b))
        assert differ > len(probes) // 4, f"sets A and B differ on {differ} of {len(probes)}"
        t.cmd("race " + cfg_b)
        seen_a = seen_b = 0
        try:
            for rnd in range(300):
                if rnd >= 10 and t.cmd("race count")["swaps"] >= 20:
                    break
                for a, got, ra, rb in zip(probes, answers(), res_a, res_b):
                    assert got in (ra, rb), f"{a}: mixed table: {got}, A {ra}, B {rb}"
                    seen_a += got == ra and ra != rb
                    seen_b += got == rb and ra != rb
        finally:
            d = t.cmd("race stop")
        assert d["ok"], "the reloading thread failed"
        assert d["swaps"] >= 20, f"only {d['swaps']} reloads happened"
        assert seen_a and seen_b, f"queries saw only one set (A {seen_a}, B {seen_b})"
        print(f"# geo reloads: {d['swaps']} during {rnd * len(probes)} queries")
    finally:
        t.close()


if __name__ == "__main__":
    main(lambda: TestRun(CONFIG, files={"geo.csv": GEO_CSV}))
