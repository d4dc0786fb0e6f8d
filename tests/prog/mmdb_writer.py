# SPDX-License-Identifier: GPL-2.0
"""A small MaxMind DB (MMDB) writer for tests: enough of the format
(https://maxmind.github.io/MaxMind-DB/) to build tiny country databases.

    w = MMDBWriter(ip_version=6)
    w.insert("198.51.100.0/24", {"country": {"iso_code": "DE"}})
    w.insert("2001:db8::/32", {"country_code": "SG"})
    open(path, "wb").write(w.to_bytes())

The search tree uses 24-bit records. In an IPv6 tree IPv4 networks live
under ::/96, and aliases (::ffff:0:0/96, 2002::/16) point at that subtree
as in MaxMind's own databases. A network inserted inside a bigger one
splits it; inserting a bigger one over smaller ones is not supported.
"""
import ipaddress
import struct

T_STRING, T_DOUBLE, T_BYTES, T_UINT16, T_UINT32, T_MAP = 2, 3, 4, 5, 6, 7
T_INT32, T_UINT64, T_UINT128, T_ARRAY, T_BOOL = 8, 9, 10, 11, 14


def _ctrl(t, size):
    first, ext = (t << 5, b"") if t <= 7 else (0, bytes([t - 7]))
    if size < 29:
        return bytes([first | size]) + ext
    if size < 285:
        return bytes([first | 29]) + ext + bytes([size - 29])
    if size < 65821:
        return bytes([first | 30]) + ext + (size - 285).to_bytes(2, "big")
    return bytes([first | 31]) + ext + (size - 65821).to_bytes(3, "big")


def _uint(t, v):
    b = v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""
    return _ctrl(t, len(b)) + b


def encode(v):
    """Python value -> MMDB data section bytes (ints are uint32 unless tuple-typed)."""
    if isinstance(v, tuple):  # (type, value) for an explicit integer type
        return _uint(*v)
    if isinstance(v, bool):
        return _ctrl(T_BOOL, int(v))
    if isinstance(v, int):
        return _uint(T_UINT32, v)
    if isinstance(v, str):
        b = v.encode()
        return _ctrl(T_STRING, len(b)) + b
    if isinstance(v, float):
        return _ctrl(T_DOUBLE, 8) + struct.pack("!d", v)
    if isinstance(v, dict):
        return _ctrl(T_MAP, len(v)) + b"".join(encode(k) + encode(x) for k, x in v.items())
    if isinstance(v, list):
        return _ctrl(T_ARRAY, len(v)) + b"".join(encode(x) for x in v)
    raise TypeError(f"cannot encode {v!r}")


class _Node:
    __slots__ = ("kids",)

    def __init__(self, left=None, right=None):
        self.kids = [left, right]  # None (empty), _Node, or ("data", index)


class MMDBWriter:
    def __init__(self, ip_version=6, database_type="anyedge-test-country", aliases=True):
        assert ip_version in (4, 6)
        self.ip_version = ip_version
        self.bits = 32 if ip_version == 4 else 128
        self.database_type = database_type
        self.aliases = aliases and ip_version == 6
        self.root = _Node()
        self.data = []

    def _bits(self, network):
        net = ipaddress.ip_network(network)
        addr = int(net.network_address)
        if net.version == 4:
            bits = [(addr >> (31 - i)) & 1 for i in range(net.prefixlen)]
            return [0] * 96 + bits if self.ip_version == 6 else bits
        assert self.ip_version == 6, "IPv6 network in an IPv4 database"
        return [(addr >> (127 - i)) & 1 for i in range(net.prefixlen)]

    def insert(self, network, record):
        self.data.append(record)
        leaf = ("data", len(self.data) - 1)
        path = self._bits(network)
        assert path, "no /0 networks"
        node = self.root
        for b in path[:-1]:
            kid = node.kids[b]
            if kid is None or isinstance(kid, tuple):
                kid = _Node(kid, kid)  # split a bigger network (or fill empty)
                node.kids[b] = kid
            node = kid
        assert not isinstance(node.kids[path[-1]], _Node), f"{network} covers smaller networks"
        node.kids[path[-1]] = leaf

    def _alias(self, bits, target):
        node = self.root
        for b in bits[:-1]:
            if node.kids[b] is None:
                node.kids[b] = _Node()
            node = node.kids[b]
        node.kids[bits[-1]] = target

    def to_bytes(self):
        if self.aliases:
            node = self.root
            for _ in range(96):  # ::/96, made if absent
                if node.kids[0] is None:
                    node.kids[0] = _Node()
                node = node.kids[0]
            self._alias([0] * 80 + [1] * 16, node)                  # ::ffff:0:0/96
            self._alias([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], node)  # 2002::/16
        # Number the nodes breadth first (the root is 0), each once.
        order, index, queue = [], {}, [self.root]
        while queue:
            n = queue.pop(0)
            if id(n) in index:
                continue
            index[id(n)] = len(order)
            order.append(n)
            queue.extend(k for k in n.kids if isinstance(k, _Node))
        count = len(order)
        blobs, offsets, pos = [], [], 0
        for rec in self.data:
            b = encode(rec)
            offsets.append(pos)
            blobs.append(b)
            pos += len(b)

        def value(k):
            if k is None:
                return count
            if isinstance(k, tuple):
                return count + 16 + offsets[k[1]]
            return index[id(k)]

        tree = bytearray()
        for n in order:
            for k in n.kids:
                tree += value(k).to_bytes(3, "big")
        meta = {
            "node_count": (T_UINT32, count),
            "record_size": (T_UINT16, 24),
            "ip_version": (T_UINT16, self.ip_version),
            "database_type": self.database_type,
            "languages": ["en"],
            "binary_format_major_version": (T_UINT16, 2),
            "binary_format_minor_version": (T_UINT16, 0),
            "build_epoch": (T_UINT64, 1763856000),
            "description": {"en": "anyedge test database"},
        }
        return (bytes(tree) + bytes(16) + b"".join(blobs) + b"\xab\xcd\xefMaxMind.com" +
                encode(meta))
