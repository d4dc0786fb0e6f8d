#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Foundation end to end: anyedged on the server veth answers dig from the
# client namespace over IPv4 and IPv6, leaves other traffic alone, counts
# what it did, and detaches on SIGTERM leaving its stats pinned.
#
#   bash tests/e2e/test_foundation.sh [TEST...]   (root; after `make`)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ONLY="$*"

CTL=("$BUILD/anyedgectl" --pin-path "$PIN")
DIG_OPTS=(+tries=1 +time=2)

# The A records and the AAAA record of www.example.com in write_config.
WANT_A=$'198.51.100.10\n198.51.100.11'
WANT_AAAA=2001:db8:100::10

# dig_short SERVER TYPE [NAME]: the sorted +short answer, from the client.
dig_short()
{
	in_ns "$NS_C" dig "@$1" "${3:-www.example.com}" "$2" +short \
		"${DIG_OPTS[@]}" | sort
}

# Killed by SIGILL, SIGABRT, SIGBUS, SIGFPE or SIGSEGV?
crashed()
{
	case $1 in 132 | 134 | 135 | 136 | 139) return 0 ;; esac
	return 1
}

need_daemon()
{
	daemon_running || fail "anyedged is not running"
}

# The first number on the first line of stdin mentioning dns_answered.
answered_count()
{
	grep -m1 dns_answered | grep -oE '[0-9]+' | head -n1
}

test_config_check_accepts_good_config()
{
	local out

	out=$(in_ns "$NS_S" "$BUILD/anyedged" -c "$CONFIG" --check-config 2>&1) ||
		fail "exit $? on a good config: $out"
}

test_config_check_rejects_bad_config_with_file_line()
{
	local bad out rc

	bad=$(mktemp "$TMP/bad.XXXXXX.yaml")
	sed 's/address: 192\.0\.2\.53/address: 192.0.2.300/' "$CONFIG" >"$bad"
	out=$(in_ns "$NS_S" "$BUILD/anyedged" -c "$bad" --check-config 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fail "exit 0 on an invalid VIP address" || return
	! crashed "$rc" || fail "crashed (status $rc): $out" || return
	grep -qE "$bad:[0-9]+" <<<"$out" ||
		fail "no $bad:LINE in the message: $out"
}

test_daemon_rejects_missing_interface()
{
	local cfg out rc pin=/sys/fs/bpf/anyedge-${P}m

	PIN_DIRS+=("$pin")
	cfg=$(write_config "${P}nosuch" "$pin")
	out=$(timeout 10 nsenter --net="/run/netns/$NS_S" \
		"$BUILD/anyedged" -c "$cfg" 2>&1 </dev/null)
	rc=$?
	[ "$rc" -ne 0 ] || fail "exit 0 with a missing interface" || return
	[ "$rc" -ne 124 ] || fail "still running after 10 s" || return
	! crashed "$rc" || fail "crashed (status $rc): $out" || return
	grep -q "${P}nosuch" <<<"$out" ||
		fail "message does not name ${P}nosuch: $out"
}

test_daemon_starts_and_reports_ready()
{
	local out

	# Not in $(...): start_daemon records the PID for later tests.
	start_daemon "$CONFIG" "$TMP/anyedged.log" >"$TMP/start.out" ||
		fail "$(cat "$TMP/start.out")" || return
	ip -n "$NS_S" link show dev "$IF_S" | grep -q xdp ||
		fail "no XDP program on $IF_S after ready"
}

test_dns_a_over_ipv4_answers_configured_records()
{
	local got

	need_daemon || return
	got=$(dig_short "$VIP4" A)
	[ "$got" = "$WANT_A" ] || fail "got '${got//$'\n'/ }'"
}

test_dns_aaaa_over_ipv6_answers_configured_record()
{
	local got

	need_daemon || return
	got=$(dig_short "$VIP6" AAAA)
	[ "$got" = "$WANT_AAAA" ] || fail "got '${got//$'\n'/ }'"
}

test_dns_a_over_ipv6_answers_configured_records()
{
	local got

	need_daemon || return
	got=$(dig_short "$VIP6" A)
	[ "$got" = "$WANT_A" ] || fail "got '${got//$'\n'/ }'"
}

# Native XDP on veth often leaves no tailroom after small frames; the reply
# must still be built (by growing at the head), every time, with the EDNS
# cookie dig sends by default.
test_dns_repeated_ipv6_edns_queries_all_answered()
{
	local i got out no_room

	need_daemon || return
	for i in $(seq 1 20); do
		got=$(dig_short "$VIP6" AAAA)
		[ "$got" = "$WANT_AAAA" ] || fail "query $i over IPv6 got '${got//$'\n'/ }'" || return
		got=$(dig_short "$VIP4" A)
		[ "$got" = "$WANT_A" ] || fail "query $i over IPv4 got '${got//$'\n'/ }'" || return
	done
	out=$("${CTL[@]}" -j stats 2>&1) || fail "anyedgectl -j stats: $out" || return
	no_room=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["reason_dns_no_room"])' <<<"$out")
	[ "$no_room" = 0 ] || fail "reason_dns_no_room = $no_room"
}

test_dns_answer_is_authoritative_and_keeps_0x20_case()
{
	local out

	need_daemon || return
	out=$(in_ns "$NS_C" dig "@$VIP4" WwW.ExAmPlE.CoM A "${DIG_OPTS[@]}")
	grep -q 'status: NOERROR' <<<"$out" || fail "no NOERROR: $out" || return
	grep -qE '^;; flags:[a-z ]* aa[ ;]' <<<"$out" ||
		fail "no aa flag: $(grep '^;; flags' <<<"$out")" || return
	grep -qE '^;WwW\.ExAmPlE\.CoM\.[[:space:]]+IN[[:space:]]+A$' <<<"$out" ||
		fail "question case not kept: $(grep -A1 'QUESTION SECTION' <<<"$out")"
}

test_non_vip_ping_passes()
{
	in_ns "$NS_C" ping -q -c 1 -W 2 192.0.2.2 >/dev/null ||
		fail "no reply from 192.0.2.2" || return
	in_ns "$NS_C" ping -q -c 1 -W 2 2001:db8::2 >/dev/null ||
		fail "no reply from 2001:db8::2"
}

test_stats_count_dns_answered()
{
	local out n

	out=$("${CTL[@]}" stats 2>&1) || fail "anyedgectl stats: $out" || return
	n=$(answered_count <<<"$out")
	[ "${n:-0}" -gt 0 ] || fail "dns_answered not > 0: $out"
}

test_stats_json_valid_with_dns_answered()
{
	local out

	out=$("${CTL[@]}" -j stats 2>&1) || fail "anyedgectl -j stats: $out" || return
	"$PY" -m json.tool <<<"$out" >/dev/null 2>&1 ||
		fail "not valid JSON: $out" || return
	# The field may sit at any depth (totals, per CPU, per interface).
	"$PY" -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "reason_dns_answered" and isinstance(v, int):
                yield v
            yield from find(v)
    elif isinstance(o, list):
        for v in o:
            yield from find(v)
sys.exit(0 if any(v > 0 for v in find(json.load(sys.stdin))) else 1)
' <<<"$out" || fail "no reason_dns_answered > 0 in: $out"
}

test_bpftool_dump_shows_named_fields()
{
	local out

	need bpftool || return
	out=$(bpftool map dump pinned "$PIN/edge_stats" 2>&1) ||
		fail "bpftool: $out" || return
	grep -q reason_dns_answered <<<"$out" ||
		fail "no reason_dns_answered field in the dump"
}

# wait_log PATTERN: up to 5 s for PATTERN in the daemon log.
wait_log()
{
	local n=50

	while [ "$n" -gt 0 ]; do
		grep -q "$1" "$TMP/anyedged.log" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

test_sighup_reload_applies_new_records()
{
	local got

	need_daemon || return
	sed 's/198.51.100.11\]/198.51.100.12]/' "$CONFIG" >"$TMP/reload.yaml"
	cp "$TMP/reload.yaml" "$CONFIG"
	kill -HUP "$DAEMON_PID"
	wait_log '^anyedged: reloaded' || fail "no 'reloaded' in the log" || return
	got=$(dig_short "$VIP4" A)
	[ "$got" = $'198.51.100.10\n198.51.100.12' ] || fail "after reload got '${got//$'\n'/ }'"
}

test_sighup_with_bad_config_keeps_serving_old_one()
{
	local got

	need_daemon || return
	cp "$CONFIG" "$TMP/good.yaml"
	printf 'vips:\n  - address: not-an-ip\n' >>"$CONFIG"
	kill -HUP "$DAEMON_PID"
	wait_log 'reload failed, keeping' || fail "no 'reload failed' in the log" || return
	cp "$TMP/good.yaml" "$CONFIG"
	daemon_running || fail "anyedged died on a bad reload" || return
	grep -q "reload failed.*:[0-9]*:" "$TMP/anyedged.log" ||
		fail "reload error does not name file:line: $(grep 'reload failed' "$TMP/anyedged.log")" ||
		return
	got=$(dig_short "$VIP4" A)
	[ "$got" = $'198.51.100.10\n198.51.100.12' ] || fail "after bad reload got '${got//$'\n'/ }'"
}

test_daemon_sigterm_exits_0_and_detaches()
{
	local rc

	need_daemon || return
	stop_daemon
	rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM" || return
	! ip -n "$NS_S" link show dev "$IF_S" | grep -q xdp ||
		fail "XDP still attached: $(ip -n "$NS_S" link show dev "$IF_S")"
}

test_stats_survive_daemon_exit()
{
	local out n

	! daemon_running || fail "anyedged still running" || return
	out=$("${CTL[@]}" stats 2>&1) || fail "anyedgectl stats: $out" || return
	n=$(answered_count <<<"$out")
	[ "${n:-0}" -gt 0 ] || fail "dns_answered not > 0: $out"
}

TESTS=(
	test_config_check_accepts_good_config
	test_config_check_rejects_bad_config_with_file_line
	test_daemon_rejects_missing_interface
	test_daemon_starts_and_reports_ready
	test_dns_a_over_ipv4_answers_configured_records
	test_dns_aaaa_over_ipv6_answers_configured_record
	test_dns_a_over_ipv6_answers_configured_records
	test_dns_repeated_ipv6_edns_queries_all_answered
	test_dns_answer_is_authoritative_and_keeps_0x20_case
	test_non_vip_ping_passes
	test_stats_count_dns_answered
	test_stats_json_valid_with_dns_answered
	test_bpftool_dump_shows_named_fields
	test_sighup_reload_applies_new_records
	test_sighup_with_bad_config_keeps_serving_old_one
	test_daemon_sigterm_exits_0_and_detaches
	test_stats_survive_daemon_exit
)

for tool in ip nsenter ethtool dig ping timeout; do
	if ! command -v "$tool" >/dev/null; then
		for t in "${TESTS[@]}"; do echo "skip ${t#test_}: $tool not installed"; done
		exit 0
	fi
done
for f in anyedged anyedgectl xdp_pass.bpf.o; do
	if [ ! -e "$BUILD/$f" ]; then
		fail_all "$BUILD/$f not built (run make)" "${TESTS[@]}"
		exit 1
	fi
done
if ! out=$(setup_two_ns 2>&1); then
	fail_all "netns setup failed: ${out//$'\n'/ }" "${TESTS[@]}"
	exit 1
fi
CONFIG=$(write_config "$IF_S" "$PIN")
run_tests "${TESTS[@]}"
