# SPDX-License-Identifier: GPL-2.0
"""Packet-test harness: frames in, BPF_PROG_TEST_RUN through build/edge-testrun,
verdict + output frame + counter deltas out. Replies are checked with an
independent checksum implementation and parsed by dnspython."""
import ipaddress
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import traceback

import dns.edns
import dns.flags
import dns.message
import dns.rdatatype

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTRUN = os.path.join(ROOT, "build", "edge-testrun")

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT = range(5)

CLIENT_MAC = bytes.fromhex("020000000001")
EDGE_MAC = bytes.fromhex("020000000002")


class Result:
    def __init__(self, d, frame):
        self.verdict = d["verdict"]
        self.out = bytes.fromhex(d["out"])
        self.delta = d["delta"]
        self.frame = frame

    def __repr__(self):
        return f"Result(verdict={self.verdict}, delta={self.delta}, out={self.out.hex()})"


class TestRun:
    """One loaded program with maps filled from a YAML config."""

    def __init__(self, config_yaml, files=None, wrap=()):
        """files: {name: text or bytes} written beside the config (a geo CSV,
        an MMDB); wrap: a command prefix (e.g. `ip netns exec NS`)."""
        self.dir = tempfile.mkdtemp(prefix="edge-prog-")
        self.cfg_path = os.path.join(self.dir, "edge.yaml")
        for name, text in dict(files or {}, **{"edge.yaml": config_yaml}).items():
            with open(os.path.join(self.dir, name), "wb" if isinstance(text, bytes) else "w") as f:
                f.write(text)
        self.p = subprocess.Popen([*wrap, TESTRUN, self.cfg_path], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if not line or not json.loads(line).get("ready"):
            raise RuntimeError(f"edge-testrun did not start: {line!r}")

    def run(self, frame):
        self.p.stdin.write("run " + frame.hex() + "\n")
        self.p.stdin.flush()
        d = json.loads(self.p.stdout.readline())
        if "error" in d:
            raise RuntimeError(d["error"])
        return Result(d, frame)

    def pool(self, idx, up):
        self.p.stdin.write(f"pool {idx} {1 if up else 0}\n")
        self.p.stdin.flush()
        d = json.loads(self.p.stdout.readline())
        if "error" in d:
            raise RuntimeError(d["error"])

    def cmd(self, line):
        """Any other edge-testrun command; returns its JSON reply."""
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        d = json.loads(self.p.stdout.readline())
        if "error" in d:
            raise RuntimeError(d["error"])
        return d

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait(timeout=10)
        shutil.rmtree(self.dir)


# ---------------------------------------------------------------- table hashes
# Mirrors of include/dns_wire.h (name hash) and include/edge_table.h (VIP
# hash, buckets), to craft keys that share buckets; the tests check them
# against the hashes the daemon wrote.
M64 = (1 << 64) - 1


def _lower8(w):
    low7 = w & 0x7F7F7F7F7F7F7F7F
    ge_a = (low7 + 0x3F3F3F3F3F3F3F3F) & M64
    gt_z = (low7 + 0x2525252525252525) & M64
    return w | ((ge_a & ~gt_z & ~w & 0x8080808080808080) >> 2)


def _chunk_step(h, w):
    h = ((h ^ w) * 0x9E3779B97F4A7C15) & M64
    return h ^ (h >> 29)


def _mix(label, rest):
    x = label ^ (((rest << 23) | (rest >> 41)) & M64)
    x = (x * 0x9E3779B97F4A7C15) & M64
    return x ^ (x >> 32)


def wire_name(name):
    """The wire form of a text name ("www.example.com"), root label included."""
    labs = [x.encode() for x in name.rstrip(".").split(".") if x]
    return b"".join(bytes([len(x)]) + x for x in labs) + b"\0"


def name_key(name):
    """edge_dns_name_key() of a text name: the key of edge_dns_name_index,
    the lowercased wire name hashed in 8-byte little-endian words (the last
    zero-padded), then its length (include/dns_wire.h)."""
    b = wire_name(name)
    h = 0xBB67AE8584CAA73B
    for i in range(0, len(b), 8):
        h = _chunk_step(h, _lower8(int.from_bytes(b[i:i + 8].ljust(8, b"\0"), "little")))
    return _mix(h, len(b))


def vip_hash(addr):
    """edge_vip_hash() of an address (IPv4 as ::ffff:a.b.c.d)."""
    ip = ipaddress.ip_address(addr)
    if ip.version == 4:
        ip = ipaddress.IPv6Address("::ffff:" + addr)
    w = struct.unpack("<4I", ip.packed)  # host order (little endian) words
    x = ((w[1] << 32) | w[0]) ^ ((w[3] << 32) | w[2])
    x ^= x >> 32
    x = (x * 0x9E3779B97F4A7C15) & M64
    return x ^ (x >> 29)


def bucket(h, nbuckets):
    return h & (nbuckets - 1)


def alt_bucket(h, b, nbuckets):
    return (b ^ ((h >> 32) | 1)) & (nbuckets - 1)


# ---------------------------------------------------------------- checksums
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip4_hdr(src, dst, proto, payload_len, ttl=64, frag=0, ident=0x1234, options=b""):
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + payload_len, ident, frag,
                    ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + options
    c = 0xFFFF - csum(h)
    return h[:10] + struct.pack("!H", c) + h[12:]


def udp_csum4(src, dst, udp):
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(udp))
    return csum(ph + udp)


def udp_csum6(src, dst, udp):
    ph = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
          struct.pack("!I3xB", len(udp), 17))
    return csum(ph + udp)


def udp_seg(sport, dport, payload, cs=None):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def with_udp_csum(udp, c):
    c = 0xFFFF - c
    return udp[:6] + struct.pack("!H", c or 0xFFFF) + udp[8:]


def eth(ethertype, vlans=(), src=CLIENT_MAC, dst=EDGE_MAC):
    h = dst + src
    for tpid, vid in vlans:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", ethertype)


# ---------------------------------------------------------------- frames
def udp4_frame(payload, src="192.0.2.1", dst="192.0.2.53", sport=40000, dport=53, vlans=(),
               zero_csum=False, frag=0, options=b"", pad_to=0):
    udp = udp_seg(sport, dport, payload)
    if not zero_csum:
        udp = with_udp_csum(udp, udp_csum4(src, dst, udp))
    f = eth(0x0800, vlans) + ip4_hdr(src, dst, 17, len(udp), frag=frag, options=options) + udp
    return f + b"\0" * max(0, pad_to - len(f))


def udp6_frame(payload, src="2001:db8::1", dst="2001:db8::53", sport=40000, dport=53,
               vlans=(), nexthdr=17, ext=b""):
    udp = udp_seg(sport, dport, payload)
    udp = with_udp_csum(udp, udp_csum6(src, dst, udp))
    ip6 = struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(udp), nexthdr, 64,
                      socket.inet_pton(socket.AF_INET6, src),
                      socket.inet_pton(socket.AF_INET6, dst))
    return eth(0x86DD, vlans) + ip6 + ext + udp


def tcp4_frame(src="192.0.2.1", dst="192.0.2.53", sport=40000, dport=80, flags=0x02):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0)
    return eth(0x0800) + ip4_hdr(src, dst, 6, len(tcp)) + tcp


def query(name, rdtype="A", edns=None, payload=1232, want_do=False, options=None, qid=0x4242,
          rd=True):
    """A dnspython query in wire form; edns=None means no OPT."""
    if edns is None:
        q = dns.message.make_query(name, rdtype, use_edns=False)
    else:
        q = dns.message.make_query(name, rdtype, use_edns=edns, payload=payload,
                                   want_dnssec=want_do, options=options)
    q.id = qid
    if not rd:
        q.flags &= ~dns.flags.RD
    return q.to_wire()


# ---------------------------------------------------------------- reply checks
class Reply:
    """A reply frame, taken apart with every checksum verified."""

    def __init__(self, out, query_frame):
        self.raw = out
        assert out[0:6] == query_frame[6:12], "dst MAC is not the query's src MAC"
        assert out[6:12] == query_frame[0:6], "src MAC is not the query's dst MAC"
        off = 12
        self.vlans = []
        ethertype = struct.unpack("!H", out[off:off + 2])[0]
        while ethertype in (0x8100, 0x88A8):
            self.vlans.append((ethertype, struct.unpack("!H", out[off + 2:off + 4])[0]))
            off += 4
            ethertype = struct.unpack("!H", out[off:off + 2])[0]
        off += 2
        if ethertype == 0x0800:
            ihl = (out[off] & 0xF) * 4
            hdr = out[off:off + ihl]
            assert csum(hdr) == 0xFFFF, "IPv4 header checksum invalid"
            self.tot_len = struct.unpack("!H", hdr[2:4])[0]
            assert off + self.tot_len == len(out), "IPv4 total length != frame length"
            self.ttl = hdr[8]
            self.src = socket.inet_ntoa(hdr[12:16])
            self.dst = socket.inet_ntoa(hdr[16:20])
            udp = out[off + ihl:]
            assert csum(socket.inet_aton(self.src) + socket.inet_aton(self.dst) +
                        struct.pack("!BBH", 0, 17, len(udp)) + udp) == 0xFFFF, \
                "UDP checksum invalid (IPv4)"
        elif ethertype == 0x86DD:
            plen = struct.unpack("!H", out[off + 4:off + 6])[0]
            assert off + 40 + plen == len(out), "IPv6 payload length != frame length"
            self.ttl = out[off + 7]
            self.src = socket.inet_ntop(socket.AF_INET6, out[off + 8:off + 24])
            self.dst = socket.inet_ntop(socket.AF_INET6, out[off + 24:off + 40])
            udp = out[off + 40:]
            assert udp_csum6(self.src, self.dst, udp) == 0xFFFF, "UDP checksum invalid (IPv6)"
        else:
            raise AssertionError(f"reply ethertype {ethertype:#x}")
        self.sport, self.dport, ulen, self.udp_check = struct.unpack("!HHHH", udp[:8])
        assert ulen == len(udp), "UDP length != datagram length"
        assert self.udp_check != 0, "UDP checksum left zero"
        self.payload = udp[8:]
        self.msg = dns.message.from_wire(self.payload)


def answer_set(msg):
    return sorted(r.to_text() for rrset in msg.answer for r in rrset)


# ---------------------------------------------------------------- runner
_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def eq(a, b, what=""):
    if a != b:
        raise AssertionError(f"{what}: expected {b!r}, got {a!r}")


def main(setup):
    """Run every @test with the object returned by setup() as argument."""
    flt = sys.argv[1] if len(sys.argv) > 1 else ""
    failed = 0
    ctx = setup()
    try:
        for fn in _tests:
            if flt not in fn.__name__:
                continue
            try:
                fn(ctx)
                print(f"ok {fn.__name__}", flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure kind
                failed += 1
                tb = traceback.extract_tb(e.__traceback__)[-1]
                msg = str(e).replace("\n", " ")
                print(f"FAIL {fn.__name__}: line {tb.lineno}: {type(e).__name__}: {msg}",
                      flush=True)
    finally:
        if hasattr(ctx, "close"):
            ctx.close()
    sys.exit(1 if failed else 0)
