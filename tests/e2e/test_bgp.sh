#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Health -> PoP -> BGP with real BIRD 2 (DESIGN.md §3). Three namespaces:
#
#   ${P}c  upstream router: BIRD AS 64497, its table is what the test reads
#          ${P}c0 198.51.100.2/30
#   ${P}s  edge: BIRD AS 64496 + anyedged (XDP on ${P}s0, lease tun ${P}l0)
#          ${P}s0 198.51.100.1/30        ${P}s1 203.0.113.1/30
#   ${P}b  backend: an HTTP server on 203.0.113.2:8080 (the pool's check)
#          ${P}b0 203.0.113.2/30
#
# anyedged announces 192.0.2.54/32 on its tun lease (BIRD `protocol direct`)
# and 192.0.2.55/32 by enabling a `disabled yes` static protocol over BIRD's
# control socket; both depend on the pool "web" (HTTP check, 200 ms, rise 2,
# fall 2) with a 2 s hold-down. The tests run in order and build on each
# other; each prints its measured times.
#
#   bash tests/e2e/test_bgp.sh [TEST...]     (needs bird2, python3)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ONLY="$*"

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
PROTO_STATIC=anyedge_192_0_2_55_32
HOLD_MS=2000
TICK_MS=500
EDGE_SOCK=$TMP/edge.ctl
UP_SOCK=$TMP/up.ctl
CONFIG=$TMP/anyedged.yaml
LOG=$TMP/anyedged.log
BACKEND_PID=
PING_PID=

cleanup_bgp()
{
	[ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null
	[ -e "/run/netns/$NS_B" ] && ip netns del "$NS_B"
	cleanup
}
trap cleanup_bgp EXIT

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
# birdc answers (a few ms); sets WAITED to the ms it took.
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
	WAITED=$(($(now_ms) - t0))
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

setup()
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

test_bgp_session_established()
{
	local n=100

	while [ "$n" -gt 0 ]; do
		birdc_ "$UP_SOCK" show protocols pop | grep -q Established && return 0
		sleep 0.1
		n=$((n - 1))
	done
	fail "$(printf 'BGP not established in 10 s\n'; birdc_ "$UP_SOCK" show protocols all pop)"
}

test_prefixes_announced_after_rise()
{
	local t0

	up_has "$PFX_LEASE" && { fail "$PFX_LEASE announced before anyedged ran"; return; }
	: >"$LOG"
	t0=$(now_ms)
	start_daemon "$CONFIG" "$LOG" || { fail "anyedged did not start"; return; }
	wait_up "$PFX_LEASE" present 10000 || { fail "$(log_tail "$PFX_LEASE never announced")"; return; }
	wait_up "$PFX_STATIC" present 5000 || { fail "$(log_tail "$PFX_STATIC never announced")"; return; }
	wait_up "$PFX_SVC" present 5000 || { fail "$(log_tail "$PFX_SVC never announced")"; return; }
	sleep 0.1
	echo "# in the upstream's FIB after: $PFX_LEASE $(fib_delta "" "$PFX_LEASE" "$t0") ms, $PFX_STATIC $(fib_delta "" "$PFX_STATIC" "$t0") ms after anyedged started (BPF load, first check within 200 ms, rise 2)"
	ip -n "$NS_E" link show "$LEASE_IF" >/dev/null 2>&1 || fail "lease interface $LEASE_IF missing"
}

test_backend_down_withdraws_both_prefixes()
{
	local t0

	daemon_running || { skip "anyedged not running"; return; }
	t0=$(now_ms)
	kill "$BACKEND_PID"
	wait "$BACKEND_PID" 2>/dev/null
	wait_up "$PFX_LEASE" absent 5000 || { fail "$(log_tail "$PFX_LEASE still announced 5 s after the backend died")"; return; }
	wait_up "$PFX_STATIC" absent 5000 || { fail "$(log_tail "$PFX_STATIC still announced")"; return; }
	wait_up "$PFX_SVC" absent 5000 || { fail "$(log_tail "$PFX_SVC (service) still announced")"; return; }
	sleep 0.1
	echo "# backend killed -> out of the upstream's FIB after: $PFX_LEASE (lease) $(fib_delta Deleted "$PFX_LEASE" "$t0") ms, $PFX_STATIC (static) $(fib_delta Deleted "$PFX_STATIC" "$t0") ms, $PFX_SVC (service) $(fib_delta Deleted "$PFX_SVC" "$t0") ms (check 200 ms, fall 2)"
	# The service's check took its backend out of the Maglev table.
	"$BUILD/anyedgectl" -p "$PIN" -j lb >"$TMP/lb.json" 2>&1
	grep -q '"address":"203.0.113.2","state":"down"' "$TMP/lb.json" ||
		fail "$(printf 'the load balancer still has the backend up:\n'; cat "$TMP/lb.json")"
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

test_backend_back_reannounces_after_hold_down()
{
	local t_start t0 took

	daemon_running || { skip "anyedged not running"; return; }
	t_start=$(now_ms)
	start_backend
	wait_backend || { fail "the backend did not come back"; return; }
	t0=$(now_ms)
	wait_up "$PFX_LEASE" present $((HOLD_MS + 5000)) ||
		{ fail "$(log_tail "$PFX_LEASE not back")"; return; }
	wait_up "$PFX_STATIC" present 2000 || { fail "$(log_tail "$PFX_STATIC not back")"; return; }
	sleep 0.1
	echo "# backend answering again -> back in the upstream's FIB after: $PFX_LEASE $(fib_delta "" "$PFX_LEASE" "$t0") ms, $PFX_STATIC $(fib_delta "" "$PFX_STATIC" "$t0") ms (rise 2 + hold-down $HOLD_MS ms)"
	# It cannot have been healthy before the backend process existed.
	took=$(fib_delta "" "$PFX_LEASE" "$t_start")
	[ "$took" != "?" ] && [ "$took" -ge "$HOLD_MS" ] ||
		fail "back $took ms after the backend started, before the $HOLD_MS ms hold-down"
}

test_bird_configure_reasserted_within_one_tick()
{
	local t0 state seen_down=no

	daemon_running || { skip "anyedged not running"; return; }
	t0=$(now_ms)
	birdc_ "$EDGE_SOCK" configure | grep -qE 'Reconfigured|Reconfiguration in progress' || { fail "birdc configure failed"; return; }
	while :; do
		state=$(birdc_ "$EDGE_SOCK" show protocols "$PROTO_STATIC" |
			awk -v p="$PROTO_STATIC" '$1 == p { print $4 }')
		[ "$state" = up ] && break
		seen_down=yes
		[ $(($(now_ms) - t0)) -lt $((TICK_MS + 1000)) ] ||
			{ fail "$(log_tail "$PROTO_STATIC not re-enabled within $((TICK_MS + 1000)) ms")"; return; }
	done
	wait_up "$PFX_STATIC" present 2000 || { fail "$PFX_STATIC not at the upstream after configure"; return; }
	sleep 0.1
	echo "# birdc configure -> $PROTO_STATIC enabled again after $(($(now_ms) - t0)) ms (reset seen: $seen_down); upstream FIB: deleted after $(fib_delta Deleted "$PFX_STATIC" "$t0") ms, back after $(fib_delta "" "$PFX_STATIC" "$t0") ms (tick $TICK_MS ms)"
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

test_guard_stay_reannounces_when_every_check_fails()
{
	local t0 n=100

	daemon_running || { skip "anyedged not running"; return; }
	sed -i 's/^  guard: withdraw$/  guard: stay/' "$CONFIG"
	kill -HUP "$DAEMON_PID"
	while ! grep -q '^anyedged: reloaded' "$LOG"; do
		[ "$n" -gt 0 ] || { fail "$(log_tail "no reload")"; return; }
		sleep 0.1
		n=$((n - 1))
	done
	t0=$(now_ms)
	kill "$BACKEND_PID"
	wait "$BACKEND_PID" 2>/dev/null
	# Every check (the pool's and the service's) fails within the guard window.
	n=100
	while ! grep -q 'GUARD: all 2 health checks failed' "$LOG"; do
		[ "$n" -gt 0 ] || { fail "$(log_tail "the guard did not trip")"; return; }
		sleep 0.1
		n=$((n - 1))
	done
	wait_up "$PFX_LEASE" present 3000 || { fail "$(log_tail "not announced again")"; return; }
	wait_up "$PFX_SVC" present 3000 || { fail "$(log_tail "$PFX_SVC not announced")"; return; }
	sleep 0.1
	echo "# every check failed at once, guard policy stay: out of the upstream's FIB for $PFX_LEASE $(fib_delta Deleted "$PFX_LEASE" "$t0")/$(fib_delta "" "$PFX_LEASE" "$t0") ms, $PFX_SVC $(fib_delta Deleted "$PFX_SVC" "$t0")/$(fib_delta "" "$PFX_SVC" "$t0") ms (deleted/back after; ? = never)"
	# Checks come back one by one: the guard lifts, nothing is withdrawn.
	t0=$(now_ms)
	start_backend
	wait_backend || { fail "the backend did not come back"; return; }
	n=100
	while ! grep -q 'pool web: UP' <(sed -n '/GUARD: all 2/,$p' "$LOG"); do
		[ "$n" -gt 0 ] || { fail "$(log_tail "the pool did not come back")"; return; }
		sleep 0.1
		n=$((n - 1))
	done
	sleep 0.1
	[ "$(fib_delta Deleted "$PFX_LEASE" "$t0")" = "?" ] ||
		fail "$(log_tail "$PFX_LEASE withdrawn while the checks recovered")"
}

test_kill_9_withdraws_lease_within_100ms()
{
	local t0 took gone mon_e

	daemon_running || { skip "anyedged not running"; return; }
	wait_up "$PFX_LEASE" present 5000 || { fail "$PFX_LEASE not announced before the kill"; return; }
	nsenter --net="/run/netns/$NS_E" ip -ts monitor link >"$TMP/mon.e" 2>&1 &
	mon_e=$!
	PIDS+=("$mon_e")
	sleep 0.2
	t0=$(now_ms)
	kill -KILL "$DAEMON_PID"
	wait_up "$PFX_LEASE" absent 3000 || { fail "$PFX_LEASE still announced 3 s after kill -9"; return; }
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	sleep 0.1
	kill "$mon_e" 2>/dev/null
	took=$(fib_delta Deleted "$PFX_LEASE" "$t0")
	[ "$took" != "?" ] || { fail "no route deletion seen at the upstream"; return; }
	gone=$(event_after "$TMP/mon.e" "Deleted.*$LEASE_IF" "$t0") || gone="?"
	echo "# kill -9 anyedged -> lease $LEASE_IF gone after $gone ms, $PFX_LEASE out of the upstream's FIB after $took ms"
	[ "$took" -le 100 ] || fail "withdrawn after $took ms, more than 100 ms"
	# A static protocol is fail-open (BIRD keeps it): the lease is the fail-closed path.
}

test_planned_restart_never_withdraws()
{
	local t0 old new n=150 ifindex loss

	: >"$LOG.2"
	start_daemon "$CONFIG" "$LOG.2" || { fail "anyedged did not restart after kill -9"; return; }
	LOG=$LOG.2
	grep -q 'replaced the edge program a previous anyedged left' "$LOG" ||
		{ fail "$(log_tail "the program left by kill -9 was not replaced")"; return; }
	wait_up "$PFX_LEASE" present 10000 || { fail "$(log_tail "not announced after restart")"; return; }
	wait_up "$PFX_STATIC" present 5000 || { fail "$(log_tail "static not announced")"; return; }
	wait_up "$PFX_SVC" present 5000 || { fail "$(log_tail "$PFX_SVC not announced")"; return; }
	ifindex=$(cat "/sys/class/net/$LEASE_IF/ifindex" 2>/dev/null ||
		  ip -n "$NS_E" -o link show "$LEASE_IF" | cut -d: -f1)
	old=$DAEMON_PID
	# 100 pings/s to the VIP through the XDP program while it is replaced.
	nsenter --net="/run/netns/$NS_U" ping -q -i 0.01 -w 4 192.0.2.53 >"$TMP/ping.out" 2>&1 &
	PING_PID=$!
	sleep 0.5
	t0=$(now_ms)
	: >"$LOG.3"
	nsenter --net="/run/netns/$NS_E" "$BUILD/anyedged" -c "$CONFIG" --takeover \
		>"$LOG.3" 2>&1 </dev/null &
	new=$!
	PIDS+=("$new")
	while ! grep -qw ready "$LOG.3"; do
		[ "$n" -gt 0 ] && alive "$new" || { LOG=$LOG.3; fail "$(log_tail "the successor did not start")"; return; }
		sleep 0.1
		n=$((n - 1))
	done
	DAEMON_PID=$new
	LOG=$LOG.3
	wait_gone "$old" 50 || { fail "the predecessor did not exit"; return; }
	wait "$old" || { fail "the predecessor exited with status $?"; return; }
	wait "$PING_PID"
	PING_PID=
	sleep 0.5
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$TMP/ping.out")
	echo "# planned restart (--takeover): successor ready $(($(now_ms) - t0)) ms after it started ($(sed -n 's/.*takeover: adopted .* in \([0-9]*\) ms/\1/p' "$LOG") ms handover); withdrawals seen upstream: $PFX_LEASE $(fib_delta Deleted "$PFX_LEASE" "$t0"), $PFX_STATIC $(fib_delta Deleted "$PFX_STATIC" "$t0"), $PFX_SVC $(fib_delta Deleted "$PFX_SVC" "$t0") (? = none); ping to the VIP: ${loss:-?}% loss"
	for p in "$PFX_LEASE" "$PFX_STATIC" "$PFX_SVC"; do
		[ "$(fib_delta Deleted "$p" "$t0")" = "?" ] ||
			{ fail "$(log_tail "$p was withdrawn during the planned restart")"; return; }
		up_has "$p" || { fail "$(log_tail "$p not announced after the restart")"; return; }
	done
	[ "$(ip -n "$NS_E" -o link show "$LEASE_IF" | cut -d: -f1)" = "$ifindex" ] ||
		fail "the lease interface was re-created"
	[ "${loss:-x}" = 0 ] || fail "ping loss ${loss:-?}% during the restart"
}

test_sigterm_drains_with_graceful_shutdown_then_withdraws()
{
	local t0 seen=

	daemon_running || { skip "anyedged not running"; return; }
	up_has "$PFX_LEASE" || { fail "not announced"; return; }
	# 50 packets/s to the VIP keep the drain above rate_pps until its 1.5 s timeout.
	nsenter --net="/run/netns/$NS_U" ping -q -i 0.02 192.0.2.53 >/dev/null 2>&1 &
	PING_PID=$!
	sleep 0.3
	t0=$(now_ms)
	kill -TERM "$DAEMON_PID"
	while [ $(($(now_ms) - t0)) -lt 1400 ]; do
		if birdc_ "$UP_SOCK" show route all for "$PFX_LEASE" | grep -q '(65535,0)'; then
			seen=$(($(now_ms) - t0))
			break
		fi
	done
	[ -n "$seen" ] || { fail "$(log_tail "no GRACEFUL_SHUTDOWN community seen at the upstream")"; return; }
	echo "# SIGTERM -> $PFX_LEASE tagged (65535,0) at the upstream after $seen ms"
	wait_up "$PFX_LEASE" absent 5000 || { fail "$(log_tail "not withdrawn after the drain")"; return; }
	echo "# SIGTERM -> $PFX_LEASE withdrawn after $(($(now_ms) - t0)) ms (drain timeout 1500 ms)"
	wait_up "$PFX_STATIC" absent 2000 || { fail "$PFX_STATIC not withdrawn"; return; }
	stop_daemon || fail "anyedged exited with status $?"
	kill "$PING_PID" 2>/dev/null
	PING_PID=
}

need bird birdc python3 || { echo "skip bgp: $REASON"; exit 0; }
TESTS=(test_bgp_session_established test_prefixes_announced_after_rise
       test_backend_down_withdraws_both_prefixes test_backend_back_reannounces_after_hold_down
       test_bird_configure_reasserted_within_one_tick
       test_guard_stay_reannounces_when_every_check_fails test_kill_9_withdraws_lease_within_100ms
       test_planned_restart_never_withdraws
       test_sigterm_drains_with_graceful_shutdown_then_withdraws)
if ! setup >"$TMP/setup.log" 2>&1; then
	fail_all "setup failed: $(tail -n 1 "$TMP/setup.log")" "${TESTS[@]}"
	exit 1
fi
run_tests "${TESTS[@]}"
