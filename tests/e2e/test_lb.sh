#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load balancer end to end: client -> edge (anyedged, XDP) -> IPIP -> four
# backend namespaces running real TCP servers, replies straight back to
# the client (DSR). All on one bridge:
#
#   ${P}c  client   192.0.2.1, 2001:db8::1   routes to the VIPs via the edge
#   ${P}s  edge     192.0.2.2, 2001:db8::2   anyedged, XDP on ${P}s0, forwarding
#   ${P}1..${P}4  backends 192.0.2.11..14, 2001:db8::11..14, VIPs
#                 203.0.113.80 and 2001:db8:80::80 on lo,
#                 prepared by scripts/backend-setup.sh (ipip device, or
#                 the XDP decapsulator where the kernel has no ipip)
#   ${P}w   the bridge between them
#
#   bash tests/e2e/test_lb.sh [TEST...]   (root; after `make`)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ONLY="$*"

# shellcheck source=lb_lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lb_lib.sh"
trap cleanup_lb EXIT

test_lb_curls_spread_across_backends()
{
	local i out count1=0 count2=0 count3=0 other=0

	for i in $(seq 1 60); do
		out=$(in_ns "$NS_C" curl -s --max-time 3 "http://$VIP/who")
		case $out in
		b1) count1=$((count1 + 1)) ;;
		b2) count2=$((count2 + 1)) ;;
		b3) count3=$((count3 + 1)) ;;
		*) other=$((other + 1)) ;;
		esac
	done
	echo "# 60 curls: b1 $count1, b2 $count2, b3 $count3, failed $other"
	[ "$other" -eq 0 ] || fail "$other of 60 curls failed or reached b4" || return
	[ "$count1" -ge 5 ] && [ "$count2" -ge 5 ] && [ "$count3" -ge 5 ] ||
		fail "uneven spread: $count1/$count2/$count3"
}

test_lb_ipv6_curls_spread_across_backends()
{
	local i out b1=0 b2=0 b3=0 other=0

	for i in $(seq 1 30); do
		out=$(in_ns "$NS_C" curl -s --max-time 3 "http://[$VIP6]/who")
		case $out in
		b1) b1=$((b1 + 1)) ;;
		b2) b2=$((b2 + 1)) ;;
		b3) b3=$((b3 + 1)) ;;
		*) other=$((other + 1)) ;;
		esac
	done
	echo "# 30 curls over IPv6 (IP6IP6): b1 $b1, b2 $b2, b3 $b3, failed $other"
	[ "$other" -eq 0 ] || fail "$other of 30 curls failed" || return
	[ "$b1" -ge 2 ] && [ "$b2" -ge 2 ] && [ "$b3" -ge 2 ] || fail "uneven spread: $b1/$b2/$b3"
}


test_lb_replies_bypass_the_edge()
{
	local b0 b1 got

	b0=$(edge_bytes) || fail "anyedgectl stats failed; daemon log:
$(tail -n 20 "$TMP/daemon.log")" || return
	got=$(in_ns "$NS_C" curl -s --max-time 10 "http://$VIP/big" | wc -c)
	b1=$(edge_bytes)
	[ "$got" -eq 1048576 ] || fail "downloaded $got bytes, not 1 MiB" || return
	echo "# 1 MiB download: $((b1 - b0)) bytes reached the edge (client to VIP only)"
	[ $((b1 - b0)) -gt 0 ] || fail "the edge saw nothing of the download" || return
	[ $((b1 - b0)) -lt 262144 ] || fail "$((b1 - b0)) bytes went to the edge: not DSR"
}

test_lb_counters_readable_by_anyedgectl_and_bpftool()
{
	local out
	in_ns "$NS_C" curl -s --max-time 3 "http://$VIP/who" >/dev/null
	out=$("${CTL[@]}" lb) || fail "anyedgectl lb failed: $out" || return
	grep -q "service 0 $VIP tcp/0" <<<"$out" || fail "no service line: $out" || return
	[ "$(grep -c "backend .* up" <<<"$out")" -eq 6 ] || fail "not 3+3 backends up: $out" || return
	grep -qE 'new_flows=[1-9]' <<<"$out" || fail "no new flows counted: $out" || return
	out=$("${CTL[@]}" -j lb) || fail "anyedgectl -j lb failed" || return
	$PY -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["services"][0]["packets"] > 0' "$out" ||
		fail "bad JSON: $out" || return
	need bpftool || return
	out=$(bpftool map dump pinned "$PIN/edge_lb_svc_stats" 2>&1 | head -40)
	grep -q '"new_flows"' <<<"$out" || fail "bpftool shows no named fields: $out" || return
	grep -q '"ct_evictions"' <<<"$out" || fail "no ct_evictions counter: $out" || return
	# The conntrack: set 0 of CPU 0, its ways named (key, conn).
	out=$(bpftool -j map lookup pinned "$PIN/edge_lb_ct4" key 0 0 0 0 2>&1)
	$PY -c 'import json,sys; w=json.loads(sys.argv[1])["formatted"]["value"]["way"]
assert len(w) == 4 and "backend" in w[0]["conn"] and "sport" in w[0]["key"]' "$out" ||
		fail "bpftool shows no conntrack ways: $out"
}

# Long-lived connections: one ping a 0.2 s; each logs the backend per reply.
start_long_clients()
{
	local i
	cat >"$TMP/long.py" <<'EOF'
import os, socket, sys, time
log = open(sys.argv[1], "w", buffering=1)
s = socket.create_connection((sys.argv[2], 7000), 3)
s.settimeout(10)   # a daemon restart may leave a gap
f = s.makefile("rb")
for i in range(600):          # 2 minutes at most
    if os.path.exists(sys.argv[3]):
        break
    try:
        s.sendall(b"ping\n")
        line = f.readline()
    except OSError:
        line = b""
    if not line:
        log.write("closed\n"); break
    log.write(line.decode().split()[0] + "\n")
    time.sleep(0.2)
EOF
	rm -f "$TMP/stop" "$TMP"/long*.log
	for i in $(seq 1 "$NLONG"); do
		bg_ns "$NS_C" $PY "$TMP/long.py" "$TMP/long$i.log" "$VIP" "$TMP/stop" \
			>/dev/null 2>&1 </dev/null
		eval "LONG_PID_$i=$BG_PID"
	done
}

# lines LOG: how many replies the long client has logged.
lines() { wc -l 2>/dev/null <"$1" || echo 0; }

wait_more_lines()
{
	local i n=60 want
	for i in $(seq 1 "$NLONG"); do
		eval "want=\$((\${BASE_$i:-0} + 5))"
		while [ "$(lines "$TMP/long$i.log")" -lt "$want" ] && [ "$n" -gt 0 ]; do
			grep -q closed "$TMP/long$i.log" 2>/dev/null && break
			sleep 0.2
			n=$((n - 1))
		done
	done
}

mark_lines()
{
	local i
	for i in $(seq 1 "$NLONG"); do
		eval "BASE_$i=$(lines "$TMP/long$i.log")"
	done
}

test_lb_long_lived_connections_survive_adding_a_backend()
{
	local i first all
	start_long_clients
	mark_lines
	wait_more_lines
	reload_with 1 2 3 4 || fail "reload failed" || return
	mark_lines
	wait_more_lines
	for i in $(seq 1 "$NLONG"); do
		first=$(head -n1 "$TMP/long$i.log")
		all=$(sort -u "$TMP/long$i.log" | tr '\n' ' ')
		[ "$(lines "$TMP/long$i.log")" -ge 10 ] ||
			fail "connection $i: only $(lines "$TMP/long$i.log") replies" || return
		[ "$all" = "$first " ] || fail "connection $i changed backend: $all" || return
	done
	# New connections now reach the fourth backend too.
	for i in $(seq 1 40); do
		[ "$(in_ns "$NS_C" curl -s --max-time 3 "http://$VIP/who")" = b4 ] && return 0
	done
	fail "no new connection reached the added backend b4"
}

test_lb_killing_a_backend_moves_only_its_flows()
{
	local port before=() afters=() after kept=0 moved=0 stayed_other=0 on1=0 i b pid

	reload_with 1 2 3 4 || fail "reload failed" || return
	# Fixed client ports: the same 5-tuples before and after.
	mapfile -t before < <(who 41000 41044)
	[[ " ${before[*]} " != *ERR* ]] || fail "connections failed: ${before[*]}" || return
	eval "pid=\$HTTP_PID_1"
	kill "$pid"
	eval "pid=\$ECHO_PID_1"
	kill "$pid"
	reload_with 2 3 4 || fail "reload failed" || return
	mapfile -t afters < <(who 41000 41044)
	for i in "${!afters[@]}"; do
		port=$((41000 + i))
		after=${afters[$i]}
		b=${before[$i]}
		[[ $after == b[1-4] ]] || fail "port $port (was $b): no answer after the removal: $after" || return
		if [ "$b" = b1 ]; then
			on1=$((on1 + 1))
			[ "$after" != b1 ] || fail "port $port still reached the killed b1" || return
			moved=$((moved + 1))
		elif [ "$after" = "$b" ]; then
			kept=$((kept + 1))
		else
			stayed_other=$((stayed_other + 1))
		fi
	done
	echo "# b1 killed: its $on1 flows moved; $kept others kept, $stayed_other others moved"
	[ "$on1" -gt 0 ] || fail "no flow was on b1 before" || return
	[ "$stayed_other" -le 1 ] || fail "$stayed_other flows of live backends moved" || return
	# Long-lived connections to the other backends still run.
	mark_lines
	wait_more_lines
	touch "$TMP/stop"
	for i in $(seq 1 "$NLONG"); do
		first=$(head -n1 "$TMP/long$i.log")
		[ "$first" = b1 ] && continue
		grep -q closed "$TMP/long$i.log" && fail "connection $i to $first closed" && return
		[ "$(sort -u "$TMP/long$i.log" | wc -l)" -eq 1 ] ||
			fail "connection $i changed backend" || return
	done
	return 0
}

# A daemon restart (SIGTERM, start again) with a generated seed and one
# backend more: the seed comes back from the pinned maps (the same table
# choices, bar the new backend's share), and so do the backend ids, so the
# long-lived connections keep their backends although the table now sends
# some of their 5-tuples to the new one.
test_lb_restart_keeps_seed_ids_and_flows()
{
	local i b before=() afters=() after odd=0 to_new=0 first

	reload_with 2 3 4 || fail "reload failed" || return
	LB_SEED=generate
	reload_with 2 3 4 || fail "reload with seed: generate failed" || return
	mapfile -t before < <(who 42000 42029)
	[[ " ${before[*]} " != *ERR* ]] || fail "connections failed: ${before[*]}" || return
	NLONG=16
	start_long_clients
	mark_lines
	wait_more_lines
	# b1 comes back to life, and into the config, while the daemon is down.
	bg_ns "${P}1" $PY -m http.server -d "$TMP/www1" -b :: 80 >/dev/null 2>&1 </dev/null
	bg_ns "${P}1" $PY "$TMP/echo.py" b1 >/dev/null 2>&1 </dev/null
	stop_daemon || fail "anyedged exit status $?" || return
	write_lb_config 1 2 3 4 >"$LB_CONFIG"
	start_daemon "$LB_CONFIG" "$TMP/daemon2.log" || fail "restart failed" || return
	mapfile -t afters < <(who 42000 42029)
	for i in "${!afters[@]}"; do
		after=${afters[$i]}
		b=${before[$i]}
		[[ $after == b[1-4] ]] || fail "port $((42000 + i)): $after" || return
		[ "$after" = "$b" ] && continue
		[ "$after" = b1 ] && to_new=$((to_new + 1)) && continue
		odd=$((odd + 1))
	done
	echo "# restart: of 30 fixed 5-tuples $to_new went to the added b1, $odd elsewhere"
	[ "$odd" -le 1 ] || fail "$odd of 30 choices changed: the seed did not survive
before: ${before[*]}
after:  ${afters[*]}
$(cat "$TMP/daemon2.log")" || return
	mark_lines
	wait_more_lines
	touch "$TMP/stop"
	for i in $(seq 1 "$NLONG"); do
		first=$(head -n1 "$TMP/long$i.log")
		! grep -q closed "$TMP/long$i.log" || fail "connection $i ($first) closed; edge:
$("${CTL[@]}" lb)
$(tail -n 5 "$TMP/daemon2.log")" || return
		[ "$(sort -u "$TMP/long$i.log" | wc -l)" -eq 1 ] ||
			fail "connection $i changed backend: $(sort -u "$TMP/long$i.log" | tr '\n' ' ')" ||
			return
	done
}

if ! setup_lb >"$TMP/setup.log" 2>&1; then
	sed 's/^/  | /' "$TMP/setup.log"
	fail_all "setup failed" test_lb_curls_spread_across_backends \
		test_lb_ipv6_curls_spread_across_backends \
		test_lb_replies_bypass_the_edge test_lb_counters_readable_by_anyedgectl_and_bpftool \
		test_lb_long_lived_connections_survive_adding_a_backend \
		test_lb_killing_a_backend_moves_only_its_flows test_lb_restart_keeps_seed_ids_and_flows
	exit 1
fi
run_tests test_lb_curls_spread_across_backends test_lb_ipv6_curls_spread_across_backends \
	test_lb_replies_bypass_the_edge \
	test_lb_counters_readable_by_anyedgectl_and_bpftool \
	test_lb_long_lived_connections_survive_adding_a_backend \
	test_lb_killing_a_backend_moves_only_its_flows test_lb_restart_keeps_seed_ids_and_flows
