#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Response rate limiting packet tests: the limit per client prefix (/24,
/56), burst, slip (TC=1 replies parsed by dnspython), drops, the clock
moving on, off by default, and the counters. The RRL clock is fixed with
edge-testrun's `now` command, so every result is deterministic."""
import dns.flags
import dns.rcode

from edgetest import XDP_DROP, XDP_TX, Reply, TestRun, eq, main, query, test, udp4_frame, udp6_frame

SEC = 1_000_000_000
T0 = 1000 * SEC


def config(rrl):
    return f"""
interfaces:
  - name: lo
vips:
  - address: 192.0.2.53
    dns: true
  - address: 2001:db8::53
    dns: true
dns:
{rrl}
  zones:
    - name: example.com
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
      ns: [ns1.example.com]
      records:
        - name: www
          type: A
          values: [198.51.100.10]
        - name: www
          type: AAAA
          values: ["2001:db8:100::10"]
"""


# 2 replies/s, a burst of 2, every 2nd limited reply slips.
RRL = """  rrl:
    rate: 2
    burst: 2
    slip: 2"""


class Runs:
    """One TestRun per config, shared by the tests. Each test starts 100 s
    after the previous one on the RRL clock, so every prefix has its full
    budget again (state left by earlier tests has aged out)."""

    def __init__(self):
        self.runs = {}
        self.now = T0

    def new(self, rrl):
        t = self.runs.get(rrl)
        if t is None:
            t = self.runs[rrl] = TestRun(config(rrl))
        self.now += 100 * SEC
        t.cmd(f"now {self.now}")
        return t, self.now

    def close(self):
        for t in self.runs.values():
            t.close()


def q4(src, qid=0x4242, edns=None):
    return udp4_frame(query("www.example.com", "A", qid=qid, edns=edns), src=src)


def q6(src):
    return udp6_frame(query("www.example.com", "AAAA"), src=src)


def answered(t, frame):
    r = t.run(frame)
    eq(r.verdict, XDP_TX, "verdict")
    m = Reply(r.out, frame).msg
    assert not m.flags & dns.flags.TC, "TC set on a full answer"
    eq(len(m.answer), 1, "answer RRsets")
    return r


def slipped(t, frame):
    """A slip reply: TC=1, the question echoed, no records."""
    r = t.run(frame)
    eq(r.verdict, XDP_TX, "verdict of a slip")
    eq(r.delta.get("reason_dns_rrl_slip"), 1, "reason_dns_rrl_slip")
    m = Reply(r.out, frame).msg
    assert m.flags & dns.flags.QR and m.flags & dns.flags.TC, f"flags {m.flags:#x}"
    eq(m.rcode(), dns.rcode.NOERROR, "rcode")
    eq(str(m.question[0].name), "www.example.com.", "question")
    eq((len(m.answer), len(m.authority)), (0, 0), "records in a slip reply")
    return m


def dropped(t, frame):
    r = t.run(frame)
    eq(r.verdict, XDP_DROP, "verdict")
    eq(r.delta.get("reason_dns_rrl_drop"), 1, "reason_dns_rrl_drop")
    eq(r.delta.get("verdict_drop"), 1, "verdict_drop")


@test
def rrl_burst_then_drop_and_slip_alternate(runs):
    t, t0 = runs.new(RRL)
    answered(t, q4("192.0.2.1"))
    answered(t, q4("192.0.2.1"))
    dropped(t, q4("192.0.2.1"))
    m = slipped(t, q4("192.0.2.1", qid=0x1111))
    eq(m.id, 0x1111, "id echoed in the slip reply")
    dropped(t, q4("192.0.2.1"))
    slipped(t, q4("192.0.2.1"))


@test
def rrl_counts_the_whole_ipv4_slash24(runs):
    t, t0 = runs.new(RRL)
    answered(t, q4("192.0.2.1"))
    answered(t, q4("192.0.2.200"))
    dropped(t, q4("192.0.2.77"))        # same /24: limited
    answered(t, q4("198.51.100.1"))     # another /24: its own budget
    answered(t, q4("192.0.3.1"))


@test
def rrl_ipv6_slash56(runs):
    t, t0 = runs.new(RRL)
    answered(t, q6("2001:db8::1"))
    answered(t, q6("2001:db8:0:ff::1"))  # same /56
    dropped(t, q6("2001:db8::2"))
    answered(t, q6("2001:db8:0:100::1"))  # next /56


@test
def rrl_budget_comes_back_with_time(runs):
    t, t0 = runs.new(RRL)
    answered(t, q4("203.0.113.5"))
    answered(t, q4("203.0.113.5"))
    dropped(t, q4("203.0.113.5"))
    t.cmd(f"now {t0 + SEC // 2}")       # half a second: one more reply
    answered(t, q4("203.0.113.5"))
    dropped(t, q4("203.0.113.5"))       # limited again: the slip count restarts
    slipped(t, q4("203.0.113.5"))
    t.cmd(f"now {t0 + 5 * SEC}")        # long after: the full burst again
    answered(t, q4("203.0.113.5"))
    answered(t, q4("203.0.113.5"))


@test
def rrl_slip_keeps_the_opt(runs):
    t, t0 = runs.new(RRL.replace("slip: 2", "slip: 1"))
    answered(t, q4("192.0.2.9", edns=0))
    answered(t, q4("192.0.2.9", edns=0))
    m = slipped(t, q4("192.0.2.9", edns=0))
    eq(m.edns, 0, "OPT echoed in the slip reply")
    slipped(t, q4("192.0.2.9", edns=0))  # slip 1: every limited reply slips


@test
def rrl_slip_zero_drops_everything_limited(runs):
    t, t0 = runs.new(RRL.replace("slip: 2", "slip: 0"))
    answered(t, q4("192.0.2.9"))
    answered(t, q4("192.0.2.9"))
    for _ in range(4):
        dropped(t, q4("192.0.2.9"))


@test
def rrl_prefix_lengths_configurable(runs):
    t, t0 = runs.new(RRL + "\n    ipv4_prefix: 32\n    ipv6_prefix: 128")
    answered(t, q4("192.0.2.1"))
    answered(t, q4("192.0.2.1"))
    dropped(t, q4("192.0.2.1"))
    answered(t, q4("192.0.2.2"))        # /32: a neighbour has its own budget
    answered(t, q6("2001:db8::1"))
    answered(t, q6("2001:db8::1"))
    dropped(t, q6("2001:db8::1"))
    answered(t, q6("2001:db8::2"))


@test
def rrl_off_by_default(runs):
    t, t0 = runs.new("  udp_size: 1232")
    for i in range(20):
        r = answered(t, q4("192.0.2.1", qid=i))
        eq(r.delta.get("reason_dns_rrl_drop", 0) + r.delta.get("reason_dns_rrl_slip", 0), 0,
           "rrl counters")


@test
def rrl_limits_negative_answers_too(runs):
    t, t0 = runs.new(RRL)
    for _ in range(2):
        r = t.run(udp4_frame(query("nope.example.com", "A"), src="192.0.2.44"))
        eq(r.delta.get("reason_dns_nxdomain"), 1, "NXDOMAIN")
    dropped(t, udp4_frame(query("nope.example.com", "A"), src="192.0.2.44"))
    r = t.run(udp4_frame(query("nope.example.com", "A"), src="192.0.2.44"))
    eq(r.delta.get("reason_dns_rrl_slip"), 1, "slip of an NXDOMAIN")
    m = Reply(r.out, udp4_frame(query("nope.example.com", "A"), src="192.0.2.44")).msg
    assert m.flags & dns.flags.TC, "TC"
    eq(m.rcode(), dns.rcode.NXDOMAIN, "a slipped NXDOMAIN keeps its rcode")


if __name__ == "__main__":
    main(Runs)
