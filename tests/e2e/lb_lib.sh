# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# The load-balancer topology shared by tests/e2e/test_lb.sh and
# scripts/demo-lb.sh (source lib.sh first):
#
#   ${P}c  client   192.0.2.1, 2001:db8::1   routes to the VIPs via the edge
#   ${P}s  edge     192.0.2.2, 2001:db8::2   anyedged, XDP on ${P}s0, forwarding
#   ${P}1..${P}4  backends 192.0.2.11..14, 2001:db8::11..14, VIPs
#                 203.0.113.80 and 2001:db8:80::80 on lo,
#                 prepared by scripts/backend-setup.sh (ipip device, or
#                 the XDP decapsulator where the kernel has no ipip)
#   ${P}w   the bridge between them
#
# The caller sets `trap cleanup_lb EXIT`.

VIP=203.0.113.80
VIP6=2001:db8:80::80	# an IPv6 service on the same backends (IP6IP6)
NS_W=${P}w
BACKENDS=(1 2 3 4)
CTL=("$BUILD/anyedgectl" --pin-path "$PIN")
SEED=0123456789abcdef0123456789abcdef
LB_CONFIG=$TMP/lb.yaml
NLONG=8		# long-lived client connections

be_ip() { echo "192.0.2.1$1"; }
be_ip6() { echo "2001:db8::1$1"; }

cleanup_lb()
{
	local ns
	for ns in "$NS_W" "${BACKENDS[@]/#/$P}"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns"
	done
	cleanup
}

# port NS IF: a veth from namespace NS (interface IF) into the bridge.
port()
{
	local ns=$1 ifname=$2 peer=$3
	ip link add "$ifname" netns "$ns" type veth peer name "$peer" netns "$NS_W" || return 1
	ip -n "$NS_W" link set "$peer" master br0 mtu 1600 up || return 1
	ip -n "$ns" link set "$ifname" mtu 1600 up
}

setup_lb()
{
	local b ns

	ensure_bpffs || return 1
	for ns in "$NS_W" "$NS_C" "$NS_S" "${BACKENDS[@]/#/$P}"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_W" link add br0 type bridge || return 1
	ip -n "$NS_W" link set br0 up || return 1

	port "$NS_C" "${P}c0" "${P}wc" || return 1
	ip -n "$NS_C" link set "${P}c0" mtu 1500 || return 1
	ip -n "$NS_C" addr add 192.0.2.1/24 dev "${P}c0" || return 1
	ip -n "$NS_C" route add "$VIP/32" via 192.0.2.2 || return 1
	ip -n "$NS_C" addr add 2001:db8::1/64 dev "${P}c0" nodad || return 1
	ip -n "$NS_C" -6 route add "$VIP6/128" via 2001:db8::2 || return 1
	# Encapsulation keeps the client's checksums: they must be complete.
	in_ns "$NS_C" ethtool -K "${P}c0" tx off >/dev/null || return 1
	# who() binds fixed client ports below 50000: keep the kernel's own
	# (ephemeral) ports, e.g. of long-lived clients lingering in TIME_WAIT,
	# off them, or connect() to the same 4-tuple fails (EADDRNOTAVAIL).
	in_ns "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="50000 60999" || return 1

	port "$NS_S" "${P}s0" "${P}ws" || return 1
	ip -n "$NS_S" addr add 192.0.2.2/24 dev "${P}s0" || return 1
	ip -n "$NS_S" addr add 2001:db8::2/64 dev "${P}s0" nodad || return 1
	in_ns "$NS_S" sysctl -qw net.ipv4.conf.all.forwarding=1 \
		net.ipv6.conf.all.forwarding=1 || return 1
	# A veth only takes XDP_TX frames when its peer has a program.
	ip -n "$NS_W" link set dev "${P}ws" xdpdrv obj "$BUILD/xdp_pass.bpf.o" sec xdp || return 1

	for b in "${BACKENDS[@]}"; do
		port "$P$b" "${P}b$b" "${P}w$b" || return 1
		ip -n "$P$b" addr add "$(be_ip "$b")/24" dev "${P}b$b" || return 1
		ip -n "$P$b" addr add "$(be_ip6 "$b")/64" dev "${P}b$b" nodad || return 1
		"$ROOT/scripts/backend-setup.sh" -n "$P$b" --dev "${P}b$b" \
			--xdp-decap "$BUILD/decap.bpf.o" "$VIP" "$VIP6" >/dev/null || return 1
		in_ns "$P$b" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			"net.ipv4.conf.${P}b$b.rp_filter=0" || return 1
	done
	# No neighbour priming here: the daemon resolves its backends' next hops.
	start_servers || return 1
	write_lb_config 1 2 3 >"$LB_CONFIG" || return 1
	start_daemon "$LB_CONFIG" "$TMP/daemon.log"
}

# Each backend: HTTP on 80 serving /who (its name), a line echo on 7000
# that prefixes its name.
start_servers()
{
	local b n
	cat >"$TMP/echo.py" <<'EOF'
import socket, sys, threading
name = sys.argv[1].encode()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7000)); s.listen(64)
def serve(c):
    f = c.makefile("rb")
    for line in f:
        c.sendall(name + b" " + line)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
	for b in "${BACKENDS[@]}"; do
		mkdir -p "$TMP/www$b"
		echo "b$b" >"$TMP/www$b/who"
		head -c 1048576 /dev/zero >"$TMP/www$b/big"
		bg_ns "$P$b" $PY -m http.server -d "$TMP/www$b" -b :: 80 \
			>/dev/null 2>&1 </dev/null
		eval "HTTP_PID_$b=$BG_PID"
		bg_ns "$P$b" $PY "$TMP/echo.py" "b$b" >/dev/null 2>&1 </dev/null
		eval "ECHO_PID_$b=$BG_PID"
	done
	for b in "${BACKENDS[@]}"; do
		n=50
		until in_ns "$P$b" $PY -c "import socket; socket.create_connection(('127.0.0.1', 80), 1); socket.create_connection(('127.0.0.1', 7000), 1)" 2>/dev/null; do
			n=$((n - 1))
			[ "$n" -gt 0 ] || { echo "backend $b servers did not start"; return 1; }
			sleep 0.1
		done
	done
}

# write_lb_config BACKEND...: the daemon config with those backends.
write_lb_config()
{
	local b
	cat <<EOF
pin_path: $PIN
interfaces:
  - name: ${P}s0
    mode: native
lb:
  seed: ${LB_SEED:-$SEED}
  source4: 198.51.100.0/24
services:
  - vip: $VIP
    proto: tcp
    port: 0
    table_size: 1009
    backends:
EOF
	for b in "$@"; do
		echo "      - address: $(be_ip "$b")"
	done
	cat <<EOF
  - vip: "$VIP6"
    proto: tcp
    port: 80
    table_size: 1009
    backends:
EOF
	for b in "$@"; do
		echo "      - address: \"$(be_ip6 "$b")\""
	done
}

reload_with()
{
	local n=50 before
	before=$(grep -c 'lb: 2 services' "$TMP/daemon.log")
	write_lb_config "$@" >"$LB_CONFIG"
	kill -HUP "$DAEMON_PID"
	while [ "$(grep -c 'lb: 2 services' "$TMP/daemon.log")" -le "$before" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || { echo "no reload in the log"; return 1; }
		sleep 0.1
	done
}

# who FIRST LAST: the backend answering a fresh connection from each client
# port FIRST..LAST, one a line (ERR:... when one failed). The server closes
# first (HTTP/1.0) and the client waits for that, so no TIME_WAIT keeps the
# client port: the same 5-tuple can come again.
who()
{
	in_ns "$NS_C" $PY -c '
import socket, sys
for port in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(3)
        s.bind(("192.0.2.1", port))
        s.connect((sys.argv[1], 80))
        s.sendall(b"GET /who HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        s.close()
        print(data.split(b"\r\n\r\n", 1)[1].decode().strip())
    except Exception as e:
        print("ERR:" + type(e).__name__)
' "$VIP" "$1" "$2" 2>&1
}

# Bytes the edge has seen: every frame it receives goes through its XDP
# program and edge_stats.bytes (DSR: replies must not).
edge_bytes()
{
	"${CTL[@]}" -j stats | $PY -c 'import json,sys; print(json.load(sys.stdin)["bytes"])'
}
