#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""GeoIP from MaxMind-format databases (geo.mmdb): small databases written
by tests/prog/mmdb_writer.py, read back by python3-maxminddb as a check of
the writer, compiled by the daemon's config code into the LPM maps and
queried through the XDP program with EDNS Client Subnet; the ECS scope is
the prefix length of the database network (after merging siblings)."""
import contextlib
import os
import subprocess
import tempfile

import dns.edns
import dns.rcode

import geo_equiv
from edgetest import ROOT, XDP_TX, Reply, TestRun, answer_set, eq, main, query, test, udp4_frame
from mmdb_writer import MMDBWriter

try:
    import maxminddb
except ImportError:  # the writer check is skipped, the rest still runs
    maxminddb = None

FRA, IAD, SIN, GRU = "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"

CONFIG = """
interfaces:
  - name: lo
vips:
  - address: 192.0.2.53
    dns: true
dns:
  pools:
    - name: fra
      a: [198.51.100.1]
    - name: iad
      a: [198.51.100.2]
    - name: sin
      a: [198.51.100.3]
    - name: gru
      a: [198.51.100.4]
  zones:
    - name: example.com
      soa: {mname: ns1.example.com, rname: hostmaster.example.com}
      ns: [ns1.example.com]
      records:
        - name: geo
          type: A
          policy: geo
          geo:
            eu: [fra]
            as: [sin]
            na: [iad]
            sa: [gru]
          default: [iad]
geo:
  regions: [eu, as, na, sa]
"""

DE = {"country": {"iso_code": "DE", "names": {"en": "Germany"}}, "continent": {"code": "EU"}}
FR = {"country": {"iso_code": "FR"}, "continent": {"code": "EU"}}
SG = {"country_code": "SG"}                                  # ip-location-db style
US = {"country": {"iso_code": "us"}, "continent": {"code": "NA"}}  # lower case
BR = {"registered_country": {"iso_code": "BR"}}             # only the registered country
CL = {"country": {"iso_code": "CL"}, "continent": {"code": "SA"}}  # unmapped country
AQ = {"continent": {"code": "AN"}}                          # neither maps


def database(ip_version=6):
    w = MMDBWriter(ip_version=ip_version)
    w.insert("198.51.100.0/25", DE)
    w.insert("198.51.100.128/26", FR)      # sibling /26s of one region: merged to /25
    w.insert("198.51.100.192/26", FR)
    w.insert("203.0.113.0/24", SG)
    w.insert("203.0.113.64/26", US)        # inside SG's /24: splits it
    w.insert("192.0.2.0/24", BR)
    w.insert("198.18.0.0/16", CL)
    w.insert("198.19.0.0/16", AQ)
    if ip_version == 6:
        w.insert("2001:db8:1::/48", DE)
        w.insert("2001:db8:2::/47", SG)
        w.insert("2001:db8:4::/48", US)
    return w.to_bytes()


MAPS = """  countries: {DE: eu, FR: eu, SG: as, US: na, BR: sa}
  continents: {SA: sa}
  mmdb: geo.mmdb
"""


@contextlib.contextmanager
def edge(mmdb, geo_extra=MAPS, files=None):
    t = TestRun(CONFIG + geo_extra, files=dict(files or {}, **{"geo.mmdb": mmdb}))
    try:
        yield t
    finally:
        t.close()


def geo_answer(t, addr, source):
    """Query geo.example.com A with ECS addr/source; (answer, ECS scope)."""
    q = query("geo.example.com", "A", edns=0, options=[dns.edns.ECSOption(addr, source, 0)])
    f = udp4_frame(q, src="192.0.2.10")
    r = t.run(f)
    eq(r.verdict, XDP_TX, f"verdict ({r.delta})")
    rep = Reply(r.out, f)
    eq(rep.msg.rcode(), dns.rcode.NOERROR, "rcode")
    scope = [o for o in rep.msg.options if o.otype == dns.edns.ECS][0].scopelen
    return answer_set(rep.msg), scope


class Ctx:
    pass


@test
def mmdb_writer_is_read_back_by_maxminddb(_):
    if maxminddb is None:
        print("# python3-maxminddb not installed: writer check skipped")
        return
    for v in (4, 6):
        with tempfile.NamedTemporaryFile(suffix=".mmdb") as f:
            f.write(database(v))
            f.flush()
            with maxminddb.open_database(f.name) as r:
                eq(r.get_with_prefix_len("198.51.100.7"), (DE, 25), f"IPv{v} DB: 198.51.100.7")
                eq(r.get_with_prefix_len("203.0.113.70")[0], US, "the split network")
                eq(r.get_with_prefix_len("203.0.113.200")[0], SG, "the rest of the /24")
                eq(r.metadata().ip_version, v, "ip_version")


@test
def mmdb_country_selects_region_with_network_scope(_):
    with edge(database()) as t:
        eq(geo_answer(t, "198.51.100.7", 32), ([FRA], 24), "DE /25 (+ FR: /24) -> eu")
        eq(geo_answer(t, "203.0.113.7", 32), ([SIN], 26), "SG, split around US")
        eq(geo_answer(t, "203.0.113.200", 32), ([SIN], 25), "country_code SG -> as")
        eq(geo_answer(t, "203.0.113.70", 32), ([IAD], 26), "lower-case us -> na")
        eq(geo_answer(t, "192.0.2.0", 24), ([GRU], 24), "registered_country BR -> sa")


@test
def mmdb_sibling_networks_of_one_region_merge(_):
    with edge(database()) as t:
        # 198.51.100.128/26 and .192/26 (FR) merge to a /25, which merges with
        # its sibling, DE's /25 (eu too): one /24 prefix in the map.
        eq(geo_answer(t, "198.51.100.200", 32), ([FRA], 24), "FR /26s + DE /25 -> eu /24")


@test
def mmdb_continent_when_the_country_is_not_mapped(_):
    with edge(database()) as t:
        eq(geo_answer(t, "198.18.1.0", 24), ([GRU], 16), "CL not mapped, continent SA -> sa")
        ans, scope = geo_answer(t, "198.19.1.0", 24)
        eq(ans, [IAD], "AN maps to nothing: default")
        eq(scope, 24, "no prefix matched: scope = what we know (the source)")


@test
def mmdb_ipv6_networks(_):
    with edge(database()) as t:
        eq(geo_answer(t, "2001:db8:1::", 48), ([FRA], 48), "DE /48")
        eq(geo_answer(t, "2001:db8:3:8000::", 56), ([SIN], 47), "SG /47")
        eq(geo_answer(t, "2001:db8:4:1::", 64), ([IAD], 48), "US /48")
        # The IPv4 aliases (2002::/16 -> the IPv4 subtree) are not IPv6 networks.
        eq(geo_answer(t, "2002:c633:6400::", 40)[0], [IAD], "6to4 alias ignored: default")


@test
def mmdb_ipv4_only_database(_):
    with edge(database(4)) as t:
        eq(geo_answer(t, "198.51.100.7", 32), ([FRA], 24), "DE+FR -> eu /24")
        eq(geo_answer(t, "203.0.113.70", 32), ([IAD], 26), "US /26")


@test
def mmdb_csv_prefix_wins_over_the_database(_):
    extra = MAPS + "  csv: geo.csv\n"
    with edge(database(), extra, {"geo.csv": "198.51.100.0/24,as\n203.0.113.64/26,sa\n"}) as t:
        eq(geo_answer(t, "198.51.100.7", 32), ([SIN], 24), "CSV /24 over the merged /24")
        eq(geo_answer(t, "203.0.113.70", 32), ([GRU], 26), "CSV /26 over the DB's /26")
        eq(geo_answer(t, "203.0.113.200", 32), ([SIN], 25), "the DB elsewhere")


@test
def mmdb_ipv4_direct_table_answers_as_the_trie(_):
    """The database's networks, with longer ones carved out of them (/28,
    /30, /32: the direct table's third level), through the XDP program and
    through the trie alone: the same region and scope at every boundary."""
    w = MMDBWriter(ip_version=6)
    nets = [("198.51.100.0/25", DE), ("198.51.100.128/26", FR), ("198.51.100.192/26", FR),
            ("203.0.113.0/24", SG), ("203.0.113.64/26", US), ("192.0.2.0/24", BR),
            ("198.18.0.0/15", CL), ("198.18.5.7/32", US), ("198.18.9.16/28", DE),
            ("198.19.200.0/22", SG), ("198.19.201.40/30", BR), ("198.19.0.0/17", AQ),
            ("203.0.113.250/31", DE)]
    for net, rec in nets:
        w.insert(net, rec)
    regions = ["eu", "as", "na", "sa"]
    t = TestRun(geo_equiv.config(regions, MAPS), files={"geo.mmdb": w.to_bytes()})
    try:
        probes = geo_equiv.boundary_probes([n for n, _ in nets])
        probes += geo_equiv.random_probes(7, 300, [n for n, _ in nets])
        kinds = geo_equiv.check(t, probes)
    finally:
        t.close()
    assert kinds["leaf"] > 200 and kinds["none"] > 0, f"probes met {dict(kinds)}"


def check_config(text, files):
    d = tempfile.mkdtemp(prefix="edge-mmdb-")
    try:
        for name, data in dict(files, **{"edge.yaml": text}).items():
            with open(os.path.join(d, name), "wb" if isinstance(data, bytes) else "w") as f:
                f.write(data)
        p = subprocess.run([os.path.join(ROOT, "build", "anyedged"), "--check-config", "-c",
                            os.path.join(d, "edge.yaml")], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr
    finally:
        subprocess.run(["rm", "-rf", "--", d], check=True)


@test
def mmdb_config_errors_name_the_line_and_cause(_):
    cases = (
        ("  mmdb: geo.mmdb\n", {"geo.mmdb": database()},
         "geo.mmdb: needs geo.countries or geo.continents"),
        ("  countries: {DE: eu}\n  mmdb: nope.mmdb\n", {}, "nope.mmdb: Error opening"),
        ("  countries: {DE: eu}\n  mmdb: geo.mmdb\n", {"geo.mmdb": b"not a database" * 4},
         "geo.mmdb: The MaxMind DB file contains invalid metadata"),
        ("  continents: {EU: eu, XX: as}\n", {}, "'XX' is not a continent code"),
    )
    # A "ladder": 32 nodes whose two records both point at the next one.
    # Walked as a tree that is 2^32 paths; the loader must refuse it.
    w = MMDBWriter(ip_version=4)
    w.insert("198.51.100.0/32", DE)
    node = w.root
    while not isinstance(node, tuple):
        nxt = node.kids[0] or node.kids[1]
        node.kids = [nxt, nxt]
        node = nxt
    cases += (("  countries: {DE: eu}\n  mmdb: geo.mmdb\n", {"geo.mmdb": w.to_bytes()},
               "geo.mmdb: the search tree has shared nodes or cycles"),)
    for extra, files, want in cases:
        rc, out = check_config(CONFIG + extra, files)
        assert rc != 0, f"{extra!r}: accepted"
        assert want in out and "edge.yaml:" in out, f"{extra!r}: {out!r} lacks {want!r}"


if __name__ == "__main__":
    main(Ctx)
