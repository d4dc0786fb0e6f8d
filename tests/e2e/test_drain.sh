#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Drain before withdraw is per prefix. On SIGTERM anyedged tags its
# announced prefixes GRACEFUL_SHUTDOWN and waits until the packet rate to
# the VIPs *inside those prefixes* (edge_vip_stats + the load balancer's
# per-service counters) is at most drain.rate_pps, or drain.timeout_ms.
# Traffic to a VIP of another prefix must not hold it. Topology of
# bgp_lib.sh (upstream BIRD, edge BIRD + anyedged, one backend) with:
#
#   192.0.2.53/32  DNS VIP 192.0.2.53 (pool web); the upstream also has a
#                  static route to it, so traffic flows after a withdrawal
#   192.0.2.80/32  service VIP 192.0.2.80 (service web), reached over BGP
#
#   bash tests/e2e/test_drain.sh [TEST...]     (needs bird2, python3, bpftool)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
# shellcheck source=bgp_lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/bgp_lib.sh"
trap cleanup_bgp EXIT
ONLY="$*"

PFX_DNS=192.0.2.53/32
VIP_DNS=192.0.2.53
VIP_SVC=192.0.2.80
DRAIN_MS=5000
RATE_PPS=5
CTL=("$BUILD/anyedgectl" --socket "$TMP/anyedged.sock")

# bgp_lib.sh's config with this test's drain knobs and prefixes. It replaces
# write_daemon_config, which setup_bgp calls before BIRD starts: the edge
# BIRD also gets the drain protocol of 192.0.2.53/32.
eval "bgp_write_daemon_config()$(declare -f write_daemon_config | tail -n +2)"
write_daemon_config()
{
	bgp_write_daemon_config
	cat >>"$TMP/edge.conf" <<EOF
protocol static anyedge_192_0_2_53_32_drain {
	disabled yes;
	ipv4 { preference 250; };
	route $PFX_DNS blackhole;
}
EOF
	sed -i -e "s|^  drain: .*|  drain: {community: true, timeout_ms: $DRAIN_MS, rate_pps: $RATE_PPS}|" \
		-e '/^anycast:/,$d' "$CONFIG"
	cat >>"$CONFIG" <<EOF
anycast:
  - {prefix: $PFX_DNS, pools: [web], hold_down_ms: $HOLD_MS}
  - {prefix: $PFX_SVC, services: [web], hold_down_ms: $HOLD_MS}
EOF
}

# start_announced LOG: a fresh anyedged, both prefixes at the upstream.
start_announced()
{
	LOG=$1
	: >"$LOG"
	start_daemon "$CONFIG" "$LOG" || { fail "anyedged did not start"; return 1; }
	wait_up "$PFX_DNS" present 10000 || { fail "$(log_tail "$PFX_DNS never announced")"; return 1; }
	wait_up "$PFX_SVC" present 5000 || { fail "$(log_tail "$PFX_SVC never announced")"; return 1; }
}

# vip_packets VIP: its packets in the pinned maps (works with or without the daemon).
vip_packets()
{
	"$BUILD/anyedgectl" -p "$PIN" -j stats 2>/dev/null | python3 -c '
import json, sys
v = [x for x in json.load(sys.stdin)["vips"] if x["vip"] == sys.argv[1]]
print(v[0]["packets"] if v else -1)' "$1"
}

# ping_bg DST ARGS...: 50 pings/s from the upstream to DST in the background.
ping_bg()
{
	local dst=$1
	shift
	nsenter --net="/run/netns/$NS_U" ping -q -i 0.02 "$@" "$dst" >/dev/null 2>&1 &
	PING_PID=$!
	PIDS+=("$PING_PID")
}

stop_ping()
{
	[ -n "$PING_PID" ] || return 0
	kill "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null
	PING_PID=
}

# The drain's log line: "drain: PREFIXES: VIP packet rate N/s after M ms (...): HOW".
drain_line()
{
	grep -m1 'drain: .*GRACEFUL_SHUTDOWN' "$LOG"
}

test_bgp_session_established()
{
	wait_established ||
		fail "$(printf 'BGP not established in 10 s\n'; birdc_ "$UP_SOCK" show protocols all pop)"
}

test_vip_counters_in_stats_status_metrics_and_bpftool()
{
	local out n=30

	start_announced "$TMP/anyedged.log" || return
	ping_bg "$VIP_DNS"
	sleep 0.5
	"${CTL[@]}" -j stats >"$TMP/stats.json" 2>&1 || { fail "anyedgectl stats failed"; return; }
	"${CTL[@]}" -j status >"$TMP/status.json" 2>&1 || { fail "anyedgectl status failed"; return; }
	"$BUILD/anyedgectl" -p "$PIN" -j stats >"$TMP/stats.pinned.json" 2>&1 ||
		{ fail "anyedgectl -p stats failed"; return; }
	bpftool -j map dump pinned "$PIN/edge_vip_stats" >"$TMP/bpftool.json" 2>&1 ||
		{ fail "$(printf 'bpftool map dump failed:\n'; head -5 "$TMP/bpftool.json")"; return; }
	out=$(python3 - "$TMP" "$VIP_DNS" "$VIP_SVC" "$PFX_DNS" 2>&1 <<'EOF'
import json, sys
tmp, vip, svc_vip, pfx = sys.argv[1:]
def vips(f):
    return {v["vip"]: v for v in json.load(open(f"{tmp}/{f}"))["vips"]}
for f in ("stats.json", "stats.pinned.json"):
    v = vips(f)
    assert v[vip]["packets"] >= 5 and v[vip]["bytes"] > v[vip]["packets"], (f, v)
    assert v[vip]["dns"] and not v[vip]["lb"] and v[vip]["lb_packets"] == 0, (f, v)
    assert v[svc_vip]["lb"] and v[svc_vip]["packets"] >= v[svc_vip]["lb_packets"], (f, v)
st = json.load(open(f"{tmp}/status.json"))
v = {x["vip"]: x for x in st["vips"]}
assert v[vip]["prefix"] == pfx and v[vip]["packets"] >= 5, v
a = {x["prefix"]: x for x in st["anycast"]}
assert a[pfx]["vip_packets"] >= 5, a
# bpftool: BTF-typed ("formatted": named fields), per CPU, keyed by the VIP's id.
dump = {e["formatted"]["key"]: e["formatted"] for e in json.load(open(f"{tmp}/bpftool.json"))}
e = dump[v[vip]["id"]]
pk = sum(c["value"]["packets"] for c in e["values"])
assert pk >= 5 and all("bytes" in c["value"] for c in e["values"]), e
EOF
) || { fail "$(printf 'per-VIP counters:\n%s\n' "$out"; cat "$TMP/stats.json")"; return; }
	while [ "$n" -gt 0 ]; do
		scrape >"$TMP/metrics" 2>&1
		awk -v m="anyedge_vip_packets_total{vip=\"$VIP_DNS\"}" \
			'index($0, m " ") == 1 && $NF >= 5 { f = 1 } END { exit !f }' "$TMP/metrics" &&
			grep -q "^anyedge_vip_bytes_total{vip=\"$VIP_SVC\"} " "$TMP/metrics" &&
			return 0
		sleep 0.1
		n=$((n - 1))
	done
	fail "$(printf 'no anyedge_vip_packets_total for %s in the metrics:\n' "$VIP_DNS"
		grep '^anyedge_vip' "$TMP/metrics")"
}

test_other_prefix_traffic_does_not_hold_the_drain()
{
	local t0 p0 p1 t1 took line rate

	daemon_running || { skip "anyedged not running"; return; }
	# 192.0.2.53/32 withdrawn by hand; its VIP still gets 50 pings/s (static route).
	"${CTL[@]}" withdraw "$PFX_DNS" >/dev/null || { fail "anyedgectl withdraw failed"; return; }
	wait_up "$PFX_DNS" absent 3000 || { fail "$(log_tail "$PFX_DNS not withdrawn")"; return; }
	[ -n "$PING_PID" ] || ping_bg "$VIP_DNS"
	sleep 0.5
	p0=$(vip_packets "$VIP_DNS")
	t0=$(now_ms)
	kill -TERM "$DAEMON_PID"
	wait_up "$PFX_SVC" absent $((DRAIN_MS + 5000)) ||
		{ fail "$(log_tail "$PFX_SVC not withdrawn")"; return; }
	took=$(($(now_ms) - t0))
	stop_daemon
	p1=$(vip_packets "$VIP_DNS")
	t1=$(now_ms)
	stop_ping
	rate=$(((p1 - p0) * 1000 / (t1 - t0)))
	line=$(drain_line)
	echo "# SIGTERM with ${rate} packets/s to $VIP_DNS (withdrawn $PFX_DNS): $PFX_SVC withdrawn after $took ms (drain timeout $DRAIN_MS ms, rate_pps $RATE_PPS); log: ${line#*: }"
	# The other prefix's VIP had traffic well above rate_pps all along ...
	[ "$rate" -gt $((RATE_PPS * 2)) ] ||
		{ fail "only $rate packets/s reached $VIP_DNS: the test proves nothing"; return; }
	# ... and the drain of 192.0.2.80/32 ended on the rate, not the timeout.
	[[ $line == "anyedged: drain: $PFX_SVC: "*"at most drain.rate_pps" ]] ||
		{ fail "$(log_tail "the drain did not end on the rate: '$line'")"; return; }
	[ "$took" -lt "$DRAIN_MS" ] || fail "withdrawn after $took ms, not before the $DRAIN_MS ms timeout"
}

test_drained_prefix_traffic_holds_the_drain_until_it_stops()
{
	local t0 t_stop gone line

	start_announced "$TMP/anyedged.2.log" || return
	ping_bg "$VIP_SVC"
	sleep 0.3
	t0=$(now_ms)
	kill -TERM "$DAEMON_PID"
	# Traffic to the draining prefix's own VIP for 1.5 s of the drain.
	sleep 1.5
	up_has "$PFX_SVC" || { fail "$(log_tail "$PFX_SVC withdrawn while its VIP had traffic")"; return; }
	stop_ping
	t_stop=$(($(now_ms) - t0))
	wait_up "$PFX_SVC" absent $((DRAIN_MS + 5000)) ||
		{ fail "$(log_tail "$PFX_SVC not withdrawn")"; return; }
	stop_daemon
	sleep 0.1
	gone=$(fib_delta Deleted "$PFX_SVC" "$t0")
	line=$(drain_line)
	echo "# SIGTERM with 50 pings/s to $VIP_SVC stopped after $t_stop ms: $PFX_SVC out of the upstream's FIB after $gone ms (drain timeout $DRAIN_MS ms); log: ${line#*: }"
	[[ $line == *"at most drain.rate_pps" ]] ||
		{ fail "$(log_tail "the drain did not end when the traffic stopped: '$line'")"; return; }
	[ "$gone" != "?" ] && [ "$gone" -ge "$t_stop" ] ||
		fail "withdrawn after $gone ms, before the traffic stopped ($t_stop ms)"
}

need bird birdc python3 bpftool || { echo "skip drain: $REASON"; exit 0; }
TESTS=(test_bgp_session_established test_vip_counters_in_stats_status_metrics_and_bpftool
       test_other_prefix_traffic_does_not_hold_the_drain
       test_drained_prefix_traffic_holds_the_drain_until_it_stops)
if ! setup_bgp >"$TMP/setup.log" 2>&1; then
	fail_all "setup failed: $(tail -n 1 "$TMP/setup.log")" "${TESTS[@]}"
	exit 1
fi
run_tests "${TESTS[@]}"
