# SPDX-License-Identifier: GPL-2.0
"""Differential DNS test: the same query corpus to anyedge (XDP on the VIP,
with a fallback server behind it) and to a reference server (Knot DNS, or
NSD with --ref-kind nsd, serving the zone files `anyedged --emit-zone`
writes from the same config).

Run by tests/e2e/test_dns_diff.sh inside the client namespace. Every query
goes over UDP as the same bytes (same ID) to both, over IPv4 and IPv6.
Compared: rcode (extended rcode included), the header flags, the question
as sent (0x20 case kept), answer and authority sections as sets of
(owner, type, TTL, rdata), the non-OPT additional records, and the OPT
record (presence, version, DO, our UDP size, the ECS option).

Which path answered is read from the counters (anyedgectl -j stats) around
every query and must be the expected one: A/AAAA in a served zone in XDP,
everything else by the fallback.

Differences that are legitimate, and how each is compared instead:

  weighted   anyedge answers one pool's addresses, sticky per client
             prefix; the zone file holds every pool's addresses. The
             anyedge answer must be a non-empty subset of the reference's.
  geo + ECS  anyedge answers the pool of the ECS region; the zone file
             holds the default answer. Only the type of the answer and the
             rest of the message are compared.
  ECS scope  for geo and weighted names anyedge returns the prefix length
             that decided the answer (RFC 7871 7.2.1); Knot without a geo
             module always returns scope 0. Compared for static names only.
  CD         anyedge copies CD into the reply (RFC 4035 3.1.6); Knot 3.2
             clears it. Checked separately, masked from the comparison.
  ECS        an address longer than the source prefix needs, or bits set
             past it: anyedge answers FORMERR (RFC 7871 6 SHOULD); Knot
             accepts and echoes the option. anyedge must FORMERR.
  two OPTs   both answer FORMERR; anyedge includes one OPT (RFC 6891 7:
             a request with OPT gets one back), Knot none. OPT not compared.
  EDE        Knot adds Extended DNS Error 20 "Not Authoritative" (RFC
             8914) to REFUSED; anyedge sends no EDE. EDE not compared.
  NSD        (--ref-kind nsd, run with minimal-responses: yes) has no ECS
             support: it neither echoes the option nor checks it. With
             NSD, the ECS option is left out of the comparison, malformed
             ECS must get FORMERR from anyedge only, and a TC=1 from
             anyedge that only the ECS echo caused is accepted.
  TC=1       when the answer does not fit, anyedge sends an empty answer
             section with TC=1 (RFC 2181 9); Knot does the same, but keeps
             the authority section it fits (nothing here): TC must agree
             and the answer must be empty on both.
"""
import argparse
import ctypes
import json
import os
import random
import socket
import struct
import subprocess
import sys

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

LONG = ("l" * 63 + "." + "m" * 63 + "." + "n" * 63 + "." + "o" * 49 + ".example.com.")  # 255 bytes
BIG = "2001:db8::1"  # an ECS address anyedge uses (documentation space is public here)

# name -> compare mode for its A/AAAA answers (default "exact")
POLICY = {"geo.example.com.": "geo", "weighted.example.com.": "weighted"}

HITS = [
    ("example.com.", "A"), ("www.example.com.", "A"), ("www.example.com.", "AAAA"),
    ("ns1.example.com.", "A"), ("ns1.example.com.", "AAAA"), ("v4only.example.com.", "A"),
    ("v6only.example.com.", "AAAA"), ("mixed.case.example.com.", "A"),
    ("a.b.c.deep.example.com.", "A"), ("many.example.com.", "A"), ("many.example.com.", "AAAA"),
    (LONG, "AAAA"), ("under_score.example.com.", "A"), ("www.example.net.", "AAAA"),
    ("ns2.example.net.", "A"), ("geo.example.com.", "A"), ("geo.example.com.", "AAAA"),
    ("failover.example.com.", "A"), ("weighted.example.com.", "A"),
]
NODATA = [
    ("example.com.", "AAAA"), ("v4only.example.com.", "AAAA"), ("v6only.example.com.", "A"),
    ("mixed.case.example.com.", "AAAA"), ("case.example.com.", "A"),  # empty non-terminal
    ("b.c.deep.example.com.", "A"), ("c.deep.example.com.", "AAAA"), ("deep.example.com.", "A"),
    ("under_score.example.com.", "AAAA"), ("failover.example.com.", "AAAA"),
    ("weighted.example.com.", "AAAA"), ("example.net.", "A"), ("example.net.", "AAAA"),
    ("www.example.net.", "A"), ("ns2.example.net.", "AAAA"), (LONG, "A"),
]
NXDOMAIN = [
    ("nope.example.com.", "A"), ("nope.example.com.", "AAAA"), ("x.www.example.com.", "A"),
    ("www.www.example.com.", "AAAA"), ("d.a.b.c.deep.example.com.", "A"),
    ("ww.example.com.", "A"), ("wwww.example.com.", "A"), ("www1.example.com.", "AAAA"),
    ("nope.example.net.", "A"), ("a.b.c.d.e.f.g.example.net.", "AAAA"),
    ("x." + "m" * 63 + "." + "n" * 63 + "." + "o" * 49 + ".example.com.", "A"),
    ("-.example.com.", "A"), ("\\000.example.com.", "A"), ("*.example.com.", "A"),
    ("under-score.example.com.", "A"), ("many.example.com.example.com.", "A"),
]
# Left to the fallback by the XDP path: other types, other classes, out of zone.
FALLBACK = [
    ("example.com.", "NS"), ("example.com.", "SOA"), ("example.net.", "NS"),
    ("example.net.", "SOA"), ("www.example.com.", "MX"), ("www.example.com.", "TXT"),
    ("www.example.com.", "ANY"), ("nope.example.com.", "CNAME"), ("ns1.example.com.", "ANY"),
    ("www.example.com.", "SRV"), ("example.org.", "NS"),
]
# Outside every zone: XDP_PASS with `out_of_zone: pass`, REFUSED in XDP with refuse.
OUT_OF_ZONE = [
    ("www.example.org.", "A"), ("example.org.", "AAAA"), ("com.", "A"), (".", "A"),
    ("xexample.com.", "A"), ("example.com.evil.", "A"), ("com.example.", "AAAA"),
    ("EXAMPLE.ORG.", "A"),
]


def case_variant(name, rng):
    """The name with a random 0x20 case pattern (always some upper case)."""
    letters = [c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in name]
    out = "".join(letters)
    if out == name and any(c.isalpha() for c in name):
        i = next(i for i, c in enumerate(name) if c.isalpha())
        out = name[:i] + name[i].upper() + name[i + 1:]
    return out


class Query:
    def __init__(self, cat, name, rtype, expect_xdp, mode="exact", edns=None, raw=None):
        self.cat = cat
        self.name = name
        self.rtype = rtype
        # True: XDP answers; False: the fallback; None: either (see grows_past_headroom)
        self.expect_xdp = None if grows_past_headroom(name, rtype, edns) else expect_xdp
        self.mode = mode
        self.edns = edns  # None (no OPT) or dict(payload, flags, options, version)
        self.raw = raw    # a hand-built wire query instead of the above

    def wire(self, qid):
        if self.raw is not None:
            return struct.pack("!H", qid) + self.raw[2:]
        q = dns.message.make_query(self.name, self.rtype, use_edns=False)
        q.id = qid
        q.flags = dns.flags.RD if self.rtype != "SOA" else 0
        if self.edns is not None:
            q.use_edns(edns=self.edns.get("version", 0), ednsflags=self.edns.get("flags", 0),
                       payload=self.edns.get("payload", 1232),
                       options=self.edns.get("options", []))
        return q.to_wire()

    def __str__(self):
        e = "no-opt" if self.edns is None else ",".join(
            f"{k}={v}" for k, v in sorted(self.edns.items()))
        return f"{self.name} {self.rtype} [{e}]" + (" (raw)" if self.raw else "")


def ecs(addr, src, scope=0):
    return dns.edns.ECSOption(addr, src, scope)


def raw_opt(payload=1232, flags=0, rdata=b""):
    return struct.pack("!BHHIH", 0, 41, payload, flags, len(rdata)) + rdata


def raw_query(name, rtype, extra=b"", arcount=0, flags=0x0100):
    qname = dns.name.from_text(name).to_wire()
    hdr = struct.pack("!HHHHHH", 0, flags, 1, 0, 0, arcount)
    return hdr + qname + struct.pack("!HH", dns.rdatatype.from_text(rtype), 1) + extra


def grows_past_headroom(name, rtype, edns):
    """The 255-byte name's eight AAAA grow the frame by 224 bytes: more than
    the ~216 bytes of headroom XDP on veth may have; with too little tailroom
    as well, anyedge passes the query to the fallback (reason dns_no_room)."""
    return name.lower() == LONG and rtype == "AAAA" and edns is None


def build_corpus(seed, refuse):
    rng = random.Random(seed)
    c = []
    opt = {"payload": 1232}
    for name, t in OUT_OF_ZONE:
        c.append(Query("out_of_zone", name, t, refuse))
        c.append(Query("out_of_zone", name, t, refuse, edns=dict(opt)))
    if refuse:
        return c
    for name, t in HITS:
        mode = POLICY.get(name, "exact")
        c.append(Query("hits", name, t, True, mode))
        c.append(Query("hits", name, t, True, mode, dict(opt)))
    for name, t in NODATA:
        c.append(Query("nodata", name, t, True))
        c.append(Query("nodata", name, t, True, edns=dict(opt)))
    for name, t in NXDOMAIN:
        c.append(Query("nxdomain", name, t, True))
        c.append(Query("nxdomain", name, t, True, edns=dict(opt)))
    for name, t in HITS + NODATA + NXDOMAIN:
        if name.startswith("\\"):
            continue
        c.append(Query("case", case_variant(name, rng), t, True, POLICY.get(name, "exact"),
                       dict(opt) if rng.random() < 0.5 else None))
    for name, t in FALLBACK:
        c.append(Query("fallback", name, t, False))
        c.append(Query("fallback", name, t, False, edns=dict(opt)))
    # EDNS variants on a hit, a NODATA and an NXDOMAIN.
    for name, t in (("www.example.com.", "A"), ("v4only.example.com.", "AAAA"),
                    ("nope.example.net.", "AAAA"), ("geo.example.com.", "A")):
        mode = POLICY.get(name, "exact")
        for e in ({"payload": 512}, {"payload": 0}, {"payload": 511}, {"payload": 1232},
                  {"payload": 4096}, {"payload": 65535}, {"payload": 1232, "flags": 0x8000},
                  {"payload": 4096, "flags": 0x8000}, {"payload": 1232, "flags": 0x4000},
                  {"payload": 1232, "options": [dns.edns.GenericOption(65001, b"xyz")]},
                  {"payload": 1232, "options": [dns.edns.GenericOption(10, b"01234567")]}):
            c.append(Query("edns", name, t, True, mode, e))
        c.append(Query("badvers", name, t, True, mode, {"payload": 1232, "version": 1}))
        # ECS: static names must answer scope 0; geo names answer by region.
        for opts in ([ecs("198.51.100.0", 24)], [ecs("203.0.113.77", 32)],
                     [ecs("0.0.0.0", 0)], [ecs("10.1.2.0", 24)], [ecs(BIG, 128)],
                     [ecs("2001:db8:e0::", 48)], [ecs("2001:db8::", 32)],
                     [ecs("198.51.100.0", 23)], [ecs("::", 0)]):
            emode = "geo-ecs" if mode == "geo" else mode
            c.append(Query("ecs", name, t, True, emode, {"payload": 1232, "options": opts}))
            c.append(Query("ecs", name, t, True, emode,
                           {"payload": 4096, "flags": 0x8000, "options": opts}))
    # Malformed ECS and two OPTs: FORMERR from both.
    bad_ecs = (
        struct.pack("!HHHBB", 8, 7, 1, 24, 0) + bytes([198, 51, 100]),       # ok (control)
        struct.pack("!HHHBB", 8, 8, 1, 24, 0) + bytes([198, 51, 100, 0]),    # too long
        struct.pack("!HHHBB", 8, 7, 1, 23, 0) + bytes([198, 51, 101]),       # bits past /23
        struct.pack("!HHHBB", 8, 7, 3, 24, 0) + bytes([198, 51, 100]),       # family 3
        struct.pack("!HHHBB", 8, 6, 1, 24, 0) + bytes([198, 51]),            # too short
        struct.pack("!HHHBB", 8, 8, 1, 33, 0) + bytes([198, 51, 100, 1]),    # /33 for IPv4
        struct.pack("!HH", 8, 2) + b"\x00\x01",                              # truncated ECS
    )
    for i, rdata in enumerate(bad_ecs):
        for name, t in (("www.example.com.", "A"), ("nope.example.com.", "AAAA")):
            c.append(Query("formerr" if i else "ecs", name, t, True,
                           "ecs-strict" if i in (1, 2) else "exact",
                           raw=raw_query(name, t, raw_opt(rdata=rdata), 1)))
    for name, t in (("www.example.com.", "A"), ("v4only.example.com.", "AAAA")):
        c.append(Query("formerr", name, t, True, "two-opts",
                       raw=raw_query(name, t, raw_opt() + raw_opt(), 2)))
    # Truncation: the 255-byte name with eight AAAA does not fit 512 with ECS.
    for e in ({"payload": 512, "options": [ecs(BIG, 128)]},
              {"payload": 512, "options": [ecs("198.51.100.0", 24)]},
              {"payload": 513, "options": [ecs(BIG, 128)]},
              {"payload": 1232, "options": [ecs(BIG, 128)]}, {"payload": 512}, None):
        c.append(Query("truncation", LONG, "AAAA", True, edns=e))
        c.append(Query("truncation", LONG.upper(), "AAAA", True, edns=e))
    # Flag variants: RD clear, CD set, AD set.
    for f in (0, 0x0010, 0x0020, 0x0110):
        for name, t in (("www.example.com.", "AAAA"), ("nope.example.com.", "A")):
            c.append(Query("flags", name, t, True, raw=raw_query(name, t, flags=f)))
    return c


def ask(sock, addr, wire):
    """Send wire to addr:53 and wait 2 s for the reply with the same ID."""
    sock.sendto(wire, (addr, 53))
    while True:
        data, _ = sock.recvfrom(65535)
        if data[:2] == wire[:2]:
            return data


class Stats:
    """verdict_tx summed over CPUs. Read from the pinned per-CPU map with the
    bpf(2) syscall: two anyedgectl runs per query were most of the test's
    time. The field order comes from one `anyedgectl -j stats` (struct
    edge_stats has the fields in that order); anyedgectl is the fallback
    where the syscall is not available."""
    BPF_MAP_LOOKUP_ELEM, BPF_OBJ_GET = 1, 7
    SYS_BPF = {"x86_64": 321, "aarch64": 280}

    def __init__(self, ctl, pin):
        self.cmd = [ctl, "-j", "--pin-path", pin, "stats"]
        # The counters only: the reply also carries lists (e.g. "vips").
        names = [k for k, v in self._spawn().items() if type(v) is int]
        self.idx, self.n = names.index("verdict_tx"), len(names)
        self.fd = -1
        nr = self.SYS_BPF.get(os.uname().machine)
        if nr is None:
            return
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.nr = nr
        with open("/sys/devices/system/cpu/possible") as f:
            self.ncpu = max(int(r.split("-")[-1]) for r in f.read().strip().split(",")) + 1
        self.path = ctypes.create_string_buffer(f"{pin}/edge_stats".encode())
        attr = ctypes.create_string_buffer(struct.pack("=QII", ctypes.addressof(self.path), 0, 0),
                                           128)
        self.fd = self.libc.syscall(nr, self.BPF_OBJ_GET, attr, 128)
        self.key = ctypes.create_string_buffer(4)
        self.val = ctypes.create_string_buffer(8 * self.n * self.ncpu)
        if self.fd < 0:
            return
        # The layout guessed from the JSON must read what anyedgectl reads
        # (retried: a stray packet may move a counter between the reads).
        for _ in range(5):
            want = self._spawn()
            if self._sums() == [want[k] for k in names]:
                return
        raise RuntimeError("edge_stats read with bpf(2) disagrees with anyedgectl -j stats")

    def _spawn(self):
        out = subprocess.run(self.cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def _sums(self):
        attr = ctypes.create_string_buffer(struct.pack(
            "=IIQQQ", self.fd, 0, ctypes.addressof(self.key), ctypes.addressof(self.val), 0), 128)
        if self.libc.syscall(self.nr, self.BPF_MAP_LOOKUP_ELEM, attr, 128):
            raise OSError(ctypes.get_errno(), "bpf(BPF_MAP_LOOKUP_ELEM) on edge_stats")
        vals = struct.unpack(f"={self.n * self.ncpu}Q", self.val.raw)
        return [sum(vals[c * self.n + i] for c in range(self.ncpu)) for i in range(self.n)]

    def tx(self):
        if self.fd < 0:
            return self._spawn()["verdict_tx"]
        return self._sums()[self.idx]


def rrs(section, skip_opt=False):
    out = set()
    for rrset in section:
        if skip_opt and rrset.rdtype == dns.rdatatype.OPT:
            continue
        for rd in rrset:
            out.add((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype),
                     rrset.ttl, rd.to_text().lower()))
    return out


FLAGS = [("QR", dns.flags.QR), ("AA", dns.flags.AA), ("TC", dns.flags.TC),
         ("RD", dns.flags.RD), ("RA", dns.flags.RA), ("AD", dns.flags.AD),
         ("CD", dns.flags.CD)]


def flag_text(f):
    return " ".join(n for n, b in FLAGS if f & b) or "-"


def opt_view(m, with_scope, drop_ecs=False):
    if m.edns < 0:
        return None
    opts = []
    for o in m.options:
        if drop_ecs and isinstance(o, dns.edns.ECSOption):
            continue
        if o.otype == dns.edns.EDE:
            continue  # Knot adds EDE 20 (Not Authoritative) to REFUSED; see above
        if isinstance(o, dns.edns.ECSOption):
            opts.append(("ECS", o.family, o.srclen, o.scopelen if with_scope else "-",
                         o.address))
        else:
            opts.append((o.otype, o.to_wire() if hasattr(o, "to_wire") else b""))
    return (m.edns, m.ednsflags & 0x8000, m.payload, sorted(map(str, opts)))


def question_bytes(wire):
    """The question section as sent (the name is never compressed there)."""
    pos = 12
    while wire[pos]:
        pos += wire[pos] + 1
    return wire[12:pos + 5]


def compare(q, qwire, a_wire, r_wire, ref_kind="knot"):
    """Differences between the anyedge reply and the reference reply, as text."""
    diffs = []
    has_ecs = q.edns is not None and any(
        isinstance(o, dns.edns.ECSOption) for o in q.edns.get("options", []))
    if ref_kind == "nsd" and q.raw is not None and q.cat in ("formerr", "ecs") and \
            q.mode != "two-opts":
        q = Query(q.cat, q.name, q.rtype, q.expect_xdp, "ecs-strict" if q.cat == "formerr"
                  else "nsd-ecs", raw=q.raw)
    try:
        a = dns.message.from_wire(a_wire)
    except Exception as e:  # noqa: BLE001 - any parse error is a finding
        return [f"anyedge reply does not parse: {e}: {a_wire.hex()}"]
    if q.mode == "ecs-strict":
        # Knot accepts (and echoes) these; RFC 7871 6 says SHOULD FORMERR.
        if a.rcode() != dns.rcode.FORMERR or a.answer or a.options:
            return [f"anyedge: {dns.rcode.to_text(a.rcode())}, answer {a.answer}, "
                    f"options {a.options}; want FORMERR with a bare OPT"]
        return []
    try:
        r = dns.message.from_wire(r_wire)
    except Exception as e:  # noqa: BLE001
        return [f"reference reply does not parse: {e}: {r_wire.hex()}"]
    # NSD has no ECS support: it neither echoes nor checks the option.
    no_ecs = ref_kind == "nsd" and (has_ecs or q.mode == "nsd-ecs")
    # CD: anyedge copies it (RFC 4035 3.1.6); Knot clears it.
    qcd = struct.unpack("!H", qwire[2:4])[0] & dns.flags.CD
    if a.flags & dns.flags.CD != qcd:
        diffs.append("anyedge did not copy CD")
    a.flags &= ~dns.flags.CD
    r.flags &= ~dns.flags.CD
    if no_ecs and a.flags & dns.flags.TC and not r.flags & dns.flags.TC:
        # Without the ECS echo NSD's reply fits where anyedge's does not.
        return diffs
    if a.rcode() != r.rcode():
        diffs.append(f"rcode {dns.rcode.to_text(a.rcode())} vs {dns.rcode.to_text(r.rcode())}")
    if a.flags != r.flags:
        diffs.append(f"flags [{flag_text(a.flags)}] vs [{flag_text(r.flags)}]")
    if a.question and question_bytes(a_wire) != question_bytes(qwire):
        diffs.append("anyedge question not echoed as sent")
    if r.question and question_bytes(r_wire) != question_bytes(qwire):
        diffs.append("reference question not echoed as sent")
    aa, ra = rrs(a.answer), rrs(r.answer)
    if q.mode == "weighted" and ra:
        if not aa or not aa <= ra:
            diffs.append(f"weighted answer {sorted(aa)} not a subset of {sorted(ra)}")
    elif q.mode == "geo-ecs":
        at = {(n, t) for n, t, _, _ in aa}
        rt = {(n, t) for n, t, _, _ in ra}
        if at != rt:
            diffs.append(f"geo answer owners/types {sorted(at)} vs {sorted(rt)}")
    elif aa != ra:
        diffs.append(f"answer {sorted(aa - ra)} vs {sorted(ra - aa)}")
    if rrs(a.authority) != rrs(r.authority):
        diffs.append(f"authority {sorted(rrs(a.authority))} vs {sorted(rrs(r.authority))}")
    if rrs(a.additional, True) != rrs(r.additional, True):
        diffs.append(f"additional {sorted(rrs(a.additional, True))} vs "
                     f"{sorted(rrs(r.additional, True))}")
    scope = q.mode == "exact"
    if q.mode == "two-opts":
        if a.edns < 0:
            diffs.append("anyedge FORMERR without OPT")
    elif opt_view(a, scope, no_ecs) != opt_view(r, scope):
        diffs.append(f"OPT {opt_view(a, scope, no_ecs)} vs {opt_view(r, scope)}")
    return diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anyedge4", required=True)
    ap.add_argument("--anyedge6", required=True)
    ap.add_argument("--ref4", required=True)
    ap.add_argument("--ref6", required=True)
    ap.add_argument("--anyedgectl", required=True)
    ap.add_argument("--pin-path", required=True)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--ref-kind", choices=("knot", "nsd"), default="knot",
                    help="the reference server, for its documented differences")
    ap.add_argument("--out-of-zone", choices=("pass", "refuse"), default="pass",
                    help="the anyedge config's dns.out_of_zone; refuse: only that corpus")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    corpus = build_corpus(args.seed, args.out_of_zone == "refuse")
    # The path each query takes does not depend on the reference: check it
    # against Knot only (two anyedgectl runs per query).
    check_path = args.ref_kind == "knot"
    stats = Stats(args.anyedgectl, args.pin_path)
    cats = {}
    n_xdp = n_pass = 0
    qid = 0
    for fam, any_addr, ref_addr in ((socket.AF_INET, args.anyedge4, args.ref4),
                                    (socket.AF_INET6, args.anyedge6, args.ref6)):
        sock = socket.socket(fam, socket.SOCK_DGRAM)
        sock.settimeout(2)
        v = "4" if fam == socket.AF_INET else "6"
        for q in corpus:
            qid = (qid + 1) & 0xffff
            wire = q.wire(qid)
            name = f"{q.cat}_{args.out_of_zone}" if q.cat == "out_of_zone" else q.cat
            if args.ref_kind != "knot":
                name = f"{args.ref_kind}_{name}"
            cat = cats.setdefault(f"{name}_ipv{v}", {"n": 0, "bad": []})
            cat["n"] += 1
            try:
                before = stats.tx() if check_path else 0
                a = ask(sock, any_addr, wire)
                after = stats.tx() if check_path else 0
                r = ask(sock, ref_addr, wire)
            except (OSError, subprocess.CalledProcessError, ValueError) as e:
                cat["bad"].append(f"{q}: {e}")
                continue
            xdp = after > before if check_path else bool(q.expect_xdp)
            n_xdp += xdp
            n_pass += not xdp
            diffs = compare(q, wire, a, r, args.ref_kind)
            if q.expect_xdp is not None and xdp != q.expect_xdp:
                diffs.append("answered " + ("in XDP" if xdp else "by the fallback") +
                             ", expected " + ("XDP" if q.expect_xdp else "the fallback"))
            if diffs:
                cat["bad"].append(f"{q}: " + "; ".join(diffs))
            if args.verbose:
                print(f"# {'XDP ' if xdp else 'PASS'} {q}: {'; '.join(diffs) or 'same'}")
        sock.close()
    total = sum(c["n"] for c in cats.values())
    if check_path:
        print(f"# {total} queries ({len(corpus)} per address family): {n_xdp} answered in XDP, "
              f"{n_pass} by the fallback")
    else:
        print(f"# {total} queries ({len(corpus)} per address family) against {args.ref_kind}")
    failed = 0
    for name in sorted(cats):
        bad = cats[name]["bad"]
        if bad:
            failed += 1
            print(f"FAIL diff_{name}: {len(bad)} of {cats[name]['n']} differ; first: {bad[0]}")
            for line in bad[1:6]:
                print(f"  | {line}")
        else:
            print(f"ok diff_{name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
