#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Packet tests of the bucketed tables (include/edge_table.h): DNS names and
VIPs crafted to share a bucket, found in their alternate one; absent keys
whose primary bucket is full missed in both; a reload swapping tables while
queries run gives the old or the new answer, nothing else."""
import os

import dns.rcode

from edgetest import (XDP_PASS, XDP_TX, Reply, TestRun, alt_bucket, answer_set, bucket, eq,
                      main, name_key, query, test, udp4_frame, udp6_frame, vip_hash,
                      wire_name)

ZONE = """
    - name: example.com
      soa: {mname: ns1.example.com, rname: hostmaster.example.com, serial: 1, minimum: 60}
      ns: [ns1.example.com]
      records:
"""


def craft_names(count, bits, avoid=()):
    """count names under example.com whose hashes agree in their low bits
    (so they share a primary bucket in any table of up to 2^bits buckets)."""
    want = name_key("c0.example.com") & ((1 << bits) - 1)
    out, i = [], 0
    while len(out) < count:
        n = f"c{i}.example.com"
        if name_key(n) & ((1 << bits) - 1) == want and n not in avoid:
            out.append(n)
        i += 1
    return out


def craft_vips(count, bits, six):
    """count addresses (192.0.2.x, or 2001:db8::x) with one primary bucket."""
    cands = [f"2001:db8::{i:x}" if six else f"192.0.2.{i}" for i in range(1, 255)]
    want = vip_hash(cands[0]) & ((1 << bits) - 1)
    return [a for a in cands if vip_hash(a) & ((1 << bits) - 1) == want][:count]


# Six names in one primary bucket (4 slots): two at least in their alternate.
NAMES = craft_names(7, 3)
NAMED, ABSENT = NAMES[:6], NAMES[6]
# Three IPv4 and three IPv6 VIPs in one primary bucket (2 slots), plus fillers.
VIP4 = craft_vips(3, 5, False)
VIP6 = craft_vips(4, 5, True)
VIPS6, ABSENT6 = VIP6[:3], VIP6[3]
ABSENT4 = next(a for a in craft_vips(8, 5, False) if a not in VIP4)
VIPS = VIP4 + VIPS6


# Names at the edges of the key's 8-byte words (include/dns_wire.h): wire
# lengths 16, 17, 23, 24, 25, 32, one-byte labels, a 63-byte label, 248 and
# 255 bytes (the longest).
EDGE_RELS = ["kk", "kkk", "k" * 9, "k" * 10, "k" * 11, "k" * 18, "a.b.c.d",
             ".".join("abcdefghijklmnop"), "x" * 63,
             ".".join(c * n for c, n in (("l", 63), ("m", 63), ("n", 63), ("o", 42))),
             ".".join(c * n for c, n in (("l", 63), ("m", 63), ("n", 63), ("o", 49)))]


def ip_of(name):
    return f"198.51.100.{NAMES.index(name) + 1}"


def config(names=NAMED, vips=VIPS, x="198.51.100.200"):
    recs = "".join(f"        - {{name: {n.split('.')[0]}, type: A, values: [{ip_of(n)}]}}\n"
                   for n in names)
    recs += f"        - {{name: x, type: A, values: [{x}]}}\n"
    v = "".join(f"  - {{address: '{a}', dns: true}}\n" for a in vips)
    return f"interfaces:\n  - name: lo\nvips:\n{v}dns:\n  zones:{ZONE}{recs}"


def ask(t, name, vip=VIPS[0], rdtype="A"):
    q = query(name, rdtype)
    f = udp6_frame(q, dst=vip) if ":" in vip else udp4_frame(q, dst=vip)
    return t.run(f), f


def answer_of(t, name, vip=VIPS[0]):
    r, f = ask(t, name, vip)
    eq(r.verdict, XDP_TX, f"verdict for {name} at {vip} ({r.delta})")
    rep = Reply(r.out, f)
    return r, rep


def setup():
    return TestRun(config())


@test
def tables_name_keyes_match_the_daemons(t):
    d = t.cmd("tables")
    have = {h for _, h, _ in d["names"]}
    for n in NAMED + ["x.example.com", "example.com"]:
        assert f"{name_key(n):016x}" in have, f"{n}: hash {name_key(n):016x} not in the index"


@test
def dns_names_sharing_a_bucket_found_in_their_alternate(t):
    d = t.cmd("tables")
    nb = d["name_buckets"]
    where = {int(h, 16): b for b, h, _ in d["names"]}
    primary = bucket(name_key(NAMED[0]), nb)
    assert all(bucket(name_key(n), nb) == primary for n in NAMED), "names not crafted to collide"
    in_alt = [n for n in NAMED if where[name_key(n)] != primary]
    assert len(in_alt) >= 2, f"only {in_alt} outside their primary bucket {primary} of {nb}"
    for n in in_alt:
        eq(where[name_key(n)], alt_bucket(name_key(n), primary, nb), f"{n}: bucket")
    for n in NAMED:
        r, rep = answer_of(t, n)
        eq(r.delta.get("reason_dns_answered"), 1, f"{n}: answered")
        eq(answer_set(rep.msg), [ip_of(n)], f"{n}: its own record")
        # 0x20 case: the same entry.
        r, rep = answer_of(t, n.upper())
        eq(answer_set(rep.msg), [ip_of(n)], f"{n.upper()}: its own record")


@test
def dns_name_keys_agree_at_word_edges(t):
    """The daemon's index key of names ending before, on and after an 8-byte
    word edge is the model's, and the program finds each asked in lower,
    upper and mixed case; the same name with its last letter changed is
    NXDOMAIN."""
    names = [r + ".example.com" for r in EDGE_RELS]
    lens = [len(wire_name(n)) for n in names]
    eq(lens, [16, 17, 23, 24, 25, 32, 21, 45, 77, 248, 255], "wire lengths")
    recs = "".join(f"        - {{name: {r}, type: A, values: [198.51.100.{100 + i}]}}\n"
                   for i, r in enumerate(EDGE_RELS))
    v = "".join(f"  - {{address: '{a}', dns: true}}\n" for a in VIPS)
    cfg = os.path.join(t.dir, "edges.yaml")
    with open(cfg, "w") as f:
        f.write(f"interfaces:\n  - name: lo\nvips:\n{v}dns:\n  zones:{ZONE}{recs}")
    t.cmd("reload " + cfg)
    try:
        have = {h for _, h, _ in t.cmd("tables")["names"]}
        for i, n in enumerate(names):
            assert f"{name_key(n):016x}" in have, f"{n}: key {name_key(n):016x} not in the index"
            mixed = "".join(c.upper() if k % 2 else c for k, c in enumerate(n))
            for form in (n, n.upper(), mixed):
                r, rep = answer_of(t, form)
                eq(r.delta.get("reason_dns_answered"), 1, f"{form}: answered ({r.delta})")
                eq(answer_set(rep.msg), [f"198.51.100.{100 + i}"], f"{form}: its record")
            rel = EDGE_RELS[i]
            other = rel[:-1] + ("z" if rel[-1] != "z" else "y") + ".example.com"
            r, rep = answer_of(t, other)
            eq(r.delta.get("reason_dns_nxdomain"), 1, f"{other}: reason ({r.delta})")
            eq(rep.msg.rcode(), dns.rcode.NXDOMAIN, f"{other}: rcode")
    finally:
        t.cmd("reload " + t.cfg_path)


@test
def dns_absent_name_with_full_primary_bucket_is_nxdomain(t):
    nb = t.cmd("tables")["name_buckets"]
    eq(bucket(name_key(ABSENT), nb), bucket(name_key(NAMED[0]), nb), "crafted bucket")
    r, rep = answer_of(t, ABSENT)
    eq(r.delta.get("reason_dns_nxdomain"), 1, f"reason ({r.delta})")
    eq(rep.msg.rcode(), dns.rcode.NXDOMAIN, "rcode")


@test
def vip_table_hit_and_miss_v4_v6(t):
    d = t.cmd("tables")
    nb = d["vip_buckets"]
    where = dict((a, b) for b, a in d["vips"])
    eq(sorted(where), sorted(VIPS), "VIPs in the table")
    for fam in (VIP4, VIPS6):
        primary = bucket(vip_hash(fam[0]), nb)
        assert all(bucket(vip_hash(a), nb) == primary for a in fam), "VIPs not crafted to collide"
    in_alt = [a for a in VIPS if where[a] != bucket(vip_hash(a), nb)]
    assert len(in_alt) >= 2, f"only {in_alt} outside their primary bucket ({nb} buckets)"
    for i, a in enumerate(VIPS):
        r, rep = answer_of(t, "x.example.com", vip=a)
        eq(rep.src, a, "reply source")
        eq(answer_set(rep.msg), ["198.51.100.200"], f"answer at {a}")
        eq(r.delta.get(f"vip{i}.packets"), 1, f"{a}: counted as VIP {i} ({r.delta})")
    for a in (ABSENT4, ABSENT6, "192.0.2.254", "2001:db8::ffff"):
        r, _ = ask(t, "x.example.com", vip=a)
        eq(r.verdict, XDP_PASS, f"{a}: verdict")
        eq(r.delta.get("reason_not_vip"), 1, f"{a}: reason ({r.delta})")
    eq(bucket(vip_hash(ABSENT4), nb), bucket(vip_hash(VIP4[0]), nb), "crafted v4 miss bucket")
    eq(bucket(vip_hash(ABSENT6), nb), bucket(vip_hash(VIPS6[0]), nb), "crafted v6 miss bucket")


@test
def reload_under_queries_gives_old_or_new_tables(t):
    """A thread swaps between config A and config B (other names, other VIP
    count, other table sizes, x answered differently) while queries run: each
    reply is A's or B's; a name or VIP in both is never missed."""
    cfg_b = os.path.join(t.dir, "b.yaml")
    extra = [f"198.51.100.{i}" for i in range(20, 40)]
    with open(cfg_b, "w") as f:
        f.write(config(names=NAMED[:2], vips=VIPS[:2] + extra, x="198.51.100.201"))
    size_a = t.cmd("tables")
    t.cmd("reload " + cfg_b)
    size_b = t.cmd("tables")
    for k in ("vip_buckets", "name_buckets"):
        assert size_a[k] != size_b[k], f"{k}: A and B have the same size {size_a[k]}"
    _, rep = answer_of(t, "x.example.com")
    eq(answer_set(rep.msg), ["198.51.100.201"], "config B")
    t.cmd("reload " + t.cfg_path)
    t.cmd("race " + cfg_b)
    seen = {"198.51.100.200": 0, "198.51.100.201": 0}
    try:
        for rnd in range(300):
            if rnd >= 15 and t.cmd("race count")["swaps"] >= 20:
                break
            for vip in (VIPS[0], VIPS[1]):
                _, rep = answer_of(t, "x.example.com", vip=vip)
                got = answer_set(rep.msg)
                assert len(got) == 1 and got[0] in seen, f"x at {vip}: {got}"
                seen[got[0]] += 1
                for n in NAMED[:2]:
                    _, rep = answer_of(t, n, vip=vip)
                    eq(answer_set(rep.msg), [ip_of(n)], f"{n} during the swaps")
    finally:
        d = t.cmd("race stop")
    assert d["ok"], "the swapping thread failed"
    assert d["swaps"] >= 20, f"only {d['swaps']} swaps happened"
    assert all(seen.values()), f"queries saw only one config: {seen}"
    print(f"# table swaps: {d['swaps']} during {rnd} rounds; answers {seen}")


if __name__ == "__main__":
    main(setup)
