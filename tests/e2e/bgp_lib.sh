# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# The BGP topology shared by tests/e2e/test_bgp.sh and scripts/demo-bgp.sh
# (source lib.sh first). Three namespaces:
#
#   ${P}c  upstream router: BIRD AS 64497, its table is what is read
#          ${P}c0 198.51.100.2/30
#   ${P}s  edge: BIRD AS 64496 + anyedged (XDP on ${P}s0, lease tun ${P}l0,
#          metrics on 127.0.0.1:9100 inside the namespace)
#          ${P}s0 198.51.100.1/30        ${P}s1 203.0.113.1/30
#   ${P}b  backend: an HTTP server on 203.0.113.2:8080 (the checks' target)
#          ${P}b0 203.0.113.2/30
#
# anyedged announces 192.0.2.54/32 on its tun lease (BIRD `protocol direct`)
# and 192.0.2.55/32 by enabling a `disabled yes` static protocol over BIRD's
# control socket; both depend on the pool "web" (HTTP check, 200 ms, rise 2,
# fall 2) with a 2 s hold-down; 192.0.2.80/32 depends on the load-balanced
# service "web" (TCP check on the same backend).
#
# setup_bgp starts both BIRDs, the route monitor and the backend; the caller
# starts anyedged (start_daemon "$CONFIG" "$LOG") and sets
# `trap cleanup_bgp EXIT`.

NS_U=$NS_C		# upstream
NS_E=$NS_S		# edge (start_daemon runs anyedged there)
NS_B=${P}b		# backend
IF_U=${P}c0
IF_E=$IF_S
IF_EB=${P}s1
IF_B=${P}b0
LEASE_IF=${P}l0
PFX_LEASE=192.0.2.54/32
PFX_STATIC=192.0.2.55/32
PFX_SVC=192.0.2.80/32	# depends on the load-balanced service, not the pool
# shellcheck disable=SC2034 # used by test_bgp.sh
PROTO_STATIC=anyedge_192_0_2_55_32
HOLD_MS=2000
TICK_MS=500
EDGE_SOCK=$TMP/edge.ctl
UP_SOCK=$TMP/up.ctl
CONFIG=$TMP/anyedged.yaml
LOG=$TMP/anyedged.log
BACKEND_PID=
PING_PID=
METRICS=127.0.0.1:9100	# inside the edge namespace

cleanup_bgp()
{
	[ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null
	[ -e "/run/netns/$NS_B" ] && ip netns del "$NS_B"
	cleanup
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

birdc_()
{
	local sock=$1
	shift
	timeout 5 birdc -s "$sock" "$@" </dev/null 2>/dev/null
}

# Is PREFIX in the upstream's table?
up_has()
{
	birdc_ "$UP_SOCK" show route for "$1" | grep -q "^${1%/*}/"
}

# wait_up PREFIX present|absent MAX_MS: poll the upstream's table as fast as
# birdc answers (a few ms).
wait_up()
{
	local pfx=$1 want=$2 max=$3 t0 now

	t0=$(now_ms)
	while :; do
		if up_has "$pfx"; then
			[ "$want" = present ] && break
		else
			[ "$want" = absent ] && break
		fi
		now=$(now_ms)
		[ $((now - t0)) -lt "$max" ] || return 1
	done
}

log_tail()
{
	printf '%s\nanyedged log:\n' "$1"
	tail -n 25 "$LOG"
}

start_bird()
{
	local name=$1 ns=$2 n=50

	nsenter --net="/run/netns/$ns" bird -f -c "$TMP/$name.conf" -s "$TMP/$name.ctl" \
		-P "$TMP/$name.pid" >>"$TMP/$name.log" 2>&1 </dev/null &
	PIDS+=($!)
	while [ "$n" -gt 0 ]; do
		birdc_ "$TMP/$name.ctl" show status >/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "bird $name did not come up:"
	cat "$TMP/$name.log"
	return 1
}

start_backend()
{
	nsenter --net="/run/netns/$NS_B" python3 -m http.server 8080 --bind 203.0.113.2 \
		>/dev/null 2>&1 </dev/null &
	BACKEND_PID=$!
	PIDS+=("$BACKEND_PID")
}

write_bird_configs()
{
	# The edge: scripts/bird-edge.conf with this run's names and timers.
	sed -e "s|\"anyedge\\*\"|\"${P}l*\"|" \
	    -e 's|^\thold time 9;|\thold time 9;\n\tconnect delay time 1;|' \
	    "$ROOT/scripts/bird-edge.conf" >"$TMP/edge.conf"
	cat >>"$TMP/edge.conf" <<EOF
protocol static anyedge_192_0_2_80_32_drain {
	disabled yes;
	ipv4 { preference 250; };
	route $PFX_SVC blackhole;
}
EOF
	cat >"$TMP/up.conf" <<EOF
router id 198.51.100.2;
protocol device { scan time 10; }
# Into this namespace's kernel table: \`ip -ts monitor route\` times changes to the us.
protocol kernel { ipv4 { export all; }; }
protocol bgp pop {
	local 198.51.100.2 as 64497;
	neighbor 198.51.100.1 as 64496;
	hold time 9;
	connect delay time 1;
	ipv4 {
		import filter {
			if (65535, 0) ~ bgp_community then bgp_local_pref = 0;	# RFC 8326
			accept;
		};
		export none;
	};
}
EOF
}

write_daemon_config()
{
	cat >"$CONFIG" <<EOF
pin_path: $PIN
control: {socket: $TMP/anyedged.sock}
metrics: {listen: $METRICS}
interfaces:
  - {name: $IF_E, mode: auto}
vips:
  - {address: 192.0.2.53, dns: true}
dns:
  pools:
    - name: web
      a: [203.0.113.2]
      check: {type: http, port: 8080, interval_ms: 200, timeout_ms: 1000, rise: 2, fall: 2}
lb: {seed: generate}
services:
  - name: web
    vip: 192.0.2.80
    proto: tcp
    port: 80
    backends: [{address: 203.0.113.2}]
    check: {type: tcp, port: 8080, interval_ms: 200, rise: 2, fall: 2}
route:
  backend: bird
  bird_socket: $EDGE_SOCK
  tick_ms: $TICK_MS
  # One backend behind every check: its death is "every check failed at
  # once". Policy withdraw here; test_guard_stay_reannounces flips it.
  guard: withdraw
  lease_interface: $LEASE_IF
  drain: {community: true, timeout_ms: 1500, rate_pps: 5}
anycast:
  - {prefix: $PFX_LEASE, pools: [web], hold_down_ms: $HOLD_MS}
  - {prefix: $PFX_STATIC, pools: [web], hold_down_ms: $HOLD_MS, lease: false}
  - {prefix: $PFX_SVC, services: [web], hold_down_ms: $HOLD_MS}
EOF
}

setup_bgp()
{
	local ns

	ensure_bpffs || return 1
	for ns in "$NS_U" "$NS_E" "$NS_B"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set dev lo up || return 1
	done
	ip link add "$IF_U" netns "$NS_U" type veth peer name "$IF_E" netns "$NS_E" || return 1
	ip link add "$IF_B" netns "$NS_B" type veth peer name "$IF_EB" netns "$NS_E" || return 1
	ip -n "$NS_U" addr add 198.51.100.2/30 dev "$IF_U" || return 1
	ip -n "$NS_E" addr add 198.51.100.1/30 dev "$IF_E" || return 1
	ip -n "$NS_E" addr add 203.0.113.1/30 dev "$IF_EB" || return 1
	ip -n "$NS_B" addr add 203.0.113.2/30 dev "$IF_B" || return 1
	ip -n "$NS_U" link set dev "$IF_U" up || return 1
	ip -n "$NS_E" link set dev "$IF_E" up || return 1
	ip -n "$NS_E" link set dev "$IF_EB" up || return 1
	ip -n "$NS_B" link set dev "$IF_B" up || return 1
	# Drain traffic and pings reach the edge's VIP whatever BGP says.
	ip -n "$NS_U" route add 192.0.2.53/32 via 198.51.100.1 || return 1
	ip -n "$NS_E" addr add 192.0.2.53/32 dev lo || return 1
	write_bird_configs
	write_daemon_config
	# Route changes at the upstream, timed to the us where they happen.
	nsenter --net="/run/netns/$NS_U" ip -ts monitor route >"$TMP/mon.u" 2>&1 &
	PIDS+=($!)
	start_bird up "$NS_U" || return 1
	start_bird edge "$NS_E" || return 1
	start_backend
}

# Until the backend accepts connections (python may take a while to start): 10 s at most.
wait_backend()
{
	local n=200

	while [ "$n" -gt 0 ]; do
		nsenter --net="/run/netns/$NS_E" bash -c 'exec 3<>/dev/tcp/203.0.113.2/8080' \
			2>/dev/null && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# event_after FILE REGEX T0: ms from T0 (epoch ms) to the first line of FILE
# (ip -ts monitor output) at or after T0 that matches REGEX.
event_after()
{
	local file=$1 re=$2 t0=$3 ts ms

	while IFS= read -r ts; do
		ms=$(($(date -d "$ts" +%s%N) / 1000000))
		[ "$ms" -ge "$t0" ] && { echo $((ms - t0)); return 0; }
	done < <(grep -E "$re" "$file" | sed -n 's/^\[\([^]]*\)\].*/\1/p')
	return 1
}

# fib_delta VERB PREFIX T0: ms from T0 until the upstream's FIB added
# (VERB "") or deleted (VERB Deleted) PREFIX; "?" if not seen.
fib_delta()
{
	local re

	if [ -n "$1" ]; then
		re="^\[[^]]*\] Deleted ${2%/*} "
	else
		re="^\[[^]]*\] ${2%/*} "
	fi
	event_after "$TMP/mon.u" "$re" "$3" || echo "?"
}

# wait_established: until the upstream's BGP session is up (10 s at most).
wait_established()
{
	local n=100

	while [ "$n" -gt 0 ]; do
		birdc_ "$UP_SOCK" show protocols pop | grep -q Established && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# scrape: the edge's metrics page.
scrape()
{
	nsenter --net="/run/netns/$NS_E" curl -sf --max-time 5 "http://$METRICS/metrics"
}
