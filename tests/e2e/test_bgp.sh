#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Health -> PoP -> BGP with real BIRD 2 (DESIGN.md §3), on the topology of
# bgp_lib.sh (upstream BIRD, edge BIRD + anyedged, one backend). The tests
# run in order and build on each other; each prints its measured times.
#
#   bash tests/e2e/test_bgp.sh [TEST...]     (needs bird2, python3)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
# shellcheck source=bgp_lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/bgp_lib.sh"
trap cleanup_bgp EXIT
ONLY="$*"

test_bgp_session_established()
{
	wait_established ||
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

# backend_is STATE [MIN_FLOWS]: `anyedgectl -j backends` and the metrics
# agree that the service's backend is STATE (up or down), with its check's
# last result, and its counters have reached MIN_FLOWS new flows.
SVC_LABEL='service="192.0.2.80 tcp/80",backend="203.0.113.2"'
backend_is()
{
	local want=$1 min=${2:-0} out n=30 up

	"$BUILD/anyedgectl" --socket "$TMP/anyedged.sock" -j backends >"$TMP/be.json" 2>&1 ||
		{ fail "$(printf 'anyedgectl backends failed:\n'; cat "$TMP/be.json")"; return; }
	out=$(python3 - "$want" "$min" "$TMP/be.json" 2>&1 <<'EOF'
import json, sys
want, mn = sys.argv[1], int(sys.argv[2])
b = json.load(open(sys.argv[3]))["backends"]
assert len(b) == 1, b
b = b[0]
assert b["address"] == "203.0.113.2" and b["service"] == "192.0.2.80 tcp/80", b
assert b["health"] == want and b["lb_state"] == want, b
assert b["last_result"] == ("ok" if want == "up" else "fail"), b
assert (b["last_error"] == "") == (want == "up"), b
assert b["check"] == "web tcp 203.0.113.2:8080" and b["runs"] > 0, b
assert b["counters"]["new_flows"] >= mn, b
EOF
) || { fail "$(printf 'backends JSON:\n%s\n' "$out"; cat "$TMP/be.json")"; return; }
	# The metrics snapshot is rebuilt every second.
	[ "$want" = up ] && up=1 || up=0
	while [ "$n" -gt 0 ]; do
		scrape >"$TMP/metrics" 2>&1
		grep -qxF "anyedge_lb_backend_up{$SVC_LABEL} $up" "$TMP/metrics" &&
			grep -qxF "anyedge_lb_backend_health{$SVC_LABEL} $up" "$TMP/metrics" &&
			awk -v m="anyedge_lb_backend_new_flows_total{$SVC_LABEL}" -v n="$min" \
				'index($0, m " ") == 1 && $NF >= n { f = 1 } END { exit !f }' \
				"$TMP/metrics" &&
			return 0
		sleep 0.1
		n=$((n - 1))
	done
	fail "$(printf 'metrics do not say backend %s with >= %s new flows:\n' "$want" "$min"
		grep '^anyedge_lb_' "$TMP/metrics")"
}

test_backend_health_and_counters_in_backends_and_metrics()
{
	daemon_running || { skip "anyedged not running"; return; }
	# A connection attempt to the service VIP from the upstream: the edge
	# hashes it to the backend (tunnelling it there may fail: no matter).
	nsenter --net="/run/netns/$NS_U" timeout 0.5 bash -c \
		'exec 3<>/dev/tcp/192.0.2.80/80' 2>/dev/null
	backend_is up 1
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
		{ fail "$(printf 'the load balancer still has the backend up:\n'; cat "$TMP/lb.json")"; return; }
	backend_is down
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
	# 50 packets/s to the service VIP, inside $PFX_SVC, keep the drain above
	# rate_pps until its 1.5 s timeout (tests/e2e/test_drain.sh: per prefix).
	nsenter --net="/run/netns/$NS_U" ping -q -i 0.02 192.0.2.80 >/dev/null 2>&1 &
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
	grep -q 'drain: .*GRACEFUL_SHUTDOWN.*: drain timeout' "$LOG" ||
		{ fail "$(log_tail "traffic to $PFX_SVC's VIP did not hold the drain")"; return; }
	wait_up "$PFX_STATIC" absent 2000 || { fail "$PFX_STATIC not withdrawn"; return; }
	stop_daemon || fail "anyedged exited with status $?"
	kill "$PING_PID" 2>/dev/null
	PING_PID=
}

need bird birdc python3 || { echo "skip bgp: $REASON"; exit 0; }
TESTS=(test_bgp_session_established test_prefixes_announced_after_rise
       test_backend_health_and_counters_in_backends_and_metrics
       test_backend_down_withdraws_both_prefixes test_backend_back_reannounces_after_hold_down
       test_bird_configure_reasserted_within_one_tick
       test_guard_stay_reannounces_when_every_check_fails test_kill_9_withdraws_lease_within_100ms
       test_planned_restart_never_withdraws
       test_sigterm_drains_with_graceful_shutdown_then_withdraws)
if ! setup_bgp >"$TMP/setup.log" 2>&1; then
	fail_all "setup failed: $(tail -n 1 "$TMP/setup.log")" "${TESTS[@]}"
	exit 1
fi
run_tests "${TESTS[@]}"
