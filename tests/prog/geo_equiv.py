# SPDX-License-Identifier: GPL-2.0
"""The IPv4 direct table (edge_geo4_dir) against the LPM trie (edge_geo4):
for each probe address, the XDP program's geo answer and ECS scope must be
what the trie alone gives (edge-testrun's `geo4 ADDR`)."""
import collections
import ipaddress
import random

import dns.edns
import dns.rcode

from edgetest import XDP_TX, Reply, answer_set, eq, query, udp4_frame

DEFAULT = "198.51.100.250"


def pool_addr(i):
    return f"198.51.100.{10 + i}"


def config(regions, geo):
    """A config whose eq.example.com A answers one pool per region (so the
    answer names the region) and DEFAULT when no region matched."""
    pools = "".join(f"    - name: p{i}\n      a: [{pool_addr(i)}]\n" for i in range(len(regions)))
    routes = ", ".join(f"{r}: [p{i}]" for i, r in enumerate(regions))
    return f"""
interfaces:
  - name: lo
vips:
  - address: 192.0.2.53
    dns: true
dns:
  pools:
{pools}    - name: dflt
      a: [{DEFAULT}]
  zones:
    - name: example.com
      soa: {{mname: ns1.example.com, rname: hostmaster.example.com}}
      ns: [ns1.example.com]
      records:
        - {{name: eq, type: A, policy: geo, geo: {{{routes}}}, default: [dflt]}}
geo:
  regions: [{", ".join(regions)}]
{geo}"""


def private(a):
    """Addresses the data path ignores in ECS (bpf/dns.h dns_addr_private)."""
    b = ipaddress.IPv4Address(a).packed
    return (b[0] in (0, 10, 127) or (b[0] == 172 and b[1] & 0xF0 == 16)
            or (b[0] == 192 and b[1] == 168) or (b[0] == 169 and b[1] == 254)
            or (b[0] == 100 and b[1] & 0xC0 == 64))


def boundary_probes(prefixes):
    """First - 1, first, last, last + 1 of every prefix."""
    out = []
    for p in prefixes:
        n = ipaddress.IPv4Network(p)
        first, last = int(n.network_address), int(n.broadcast_address)
        out += [a for a in (first - 1, first, last, last + 1) if 0 <= a < 2**32]
    return [str(ipaddress.IPv4Address(a)) for a in out]


def answer(t, a):
    """(answer set, ECS scope) of eq.example.com A for ECS a/32."""
    q = query("eq.example.com", "A", edns=0, options=[dns.edns.ECSOption(a, 32, 0)])
    f = udp4_frame(q, src="192.0.2.10")
    r = t.run(f)
    eq(r.verdict, XDP_TX, f"{a}: verdict ({r.delta})")
    rep = Reply(r.out, f)
    eq(rep.msg.rcode(), dns.rcode.NOERROR, f"{a}: rcode")
    scope = [o for o in rep.msg.options if o.otype == dns.edns.ECS][0].scopelen
    return answer_set(rep.msg), scope


def check(t, probes):
    """Every probe answered as the trie says; returns a Counter of the
    direct table's slot kinds met."""
    kinds = collections.Counter()
    for a in dict.fromkeys(probes):
        if private(a):
            continue
        lpm = t.cmd(f"geo4 {a}")
        kinds[lpm["dir"]] += 1
        want = ([pool_addr(lpm["region"])], lpm["len"]) if lpm["region"] >= 0 else ([DEFAULT], 32)
        eq(answer(t, a), want, f"{a}: (answer, scope) vs the trie {lpm}")
    return kinds


def nested_prefixes(seed, n, bases, taken=()):
    """n distinct prefixes under the given networks (not in taken), about
    half of them inside an earlier one (nesting, several per /16 and /24)."""
    rng = random.Random(seed)
    nets = [ipaddress.IPv4Network(b) for b in bases]
    out = {}
    while len(out) < n:
        if out and rng.random() < 0.5:
            up = rng.choice(list(out))
            if up.prefixlen == 32:
                continue
            plen = rng.randint(up.prefixlen + 1, min(32, up.prefixlen + 12))
            base = int(up.network_address) | (rng.getrandbits(32) & int(up.hostmask))
        else:
            up = rng.choice(nets)
            plen = rng.randint(up.prefixlen, 32)
            base = int(up.network_address) | (rng.getrandbits(32) & int(up.hostmask))
        net = ipaddress.IPv4Network((base, plen), strict=False)
        if str(net) not in taken:
            out.setdefault(net, rng.randrange(1 << 16))
    return list(out.items())


def random_probes(seed, n, bases):
    rng = random.Random(seed)
    nets = [ipaddress.IPv4Network(b) for b in bases]
    out = []
    for _ in range(n):
        net = rng.choice(nets)
        out.append(str(net.network_address + rng.randrange(net.num_addresses)))
    return out
