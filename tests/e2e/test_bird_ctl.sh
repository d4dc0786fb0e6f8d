#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The BIRD control-socket client (user/route_bird.c) against a real BIRD 2:
# enable/disable of a `disabled yes` static protocol really changes its
# state and route, a refusal is reported, a `configure` reset is re-asserted
# and a BIRD restart is reconnected to. BIRD runs with a socket in the run's
# temp dir and no kernel protocol: nothing outside this run is touched.
#
#   bash tests/e2e/test_bird_ctl.sh [TEST...]   (needs bird2, gcc, libbpf, libxdp)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ONLY="$*"

SOCK=$TMP/bird.ctl
BIRD_CONF=$TMP/bird.conf
DRIVER=$TMP/bird_ctl_driver
PROTO=acast_test
PREFIX=192.0.2.54/32
BIRD_PID=
HOLD_PID=

birdc_()
{
	timeout 5 birdc -s "$SOCK" "$@" </dev/null
}

# The State column of `show protocols` for $PROTO: up, down or nothing.
proto_state()
{
	birdc_ show protocols "$PROTO" | awk -v p="$PROTO" '$1 == p { print $4 }'
}

# wait_state STATE [TENTHS]: until $PROTO is in STATE, 5 s by default.
wait_state()
{
	local want=$1 n=${2:-50}

	while [ "$n" -gt 0 ]; do
		[ "$(proto_state)" = "$want" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	[ "$(proto_state)" = "$want" ]
}

# wait_line FILE REGEX [TENTHS]: until a line of FILE matches, 5 s by default.
wait_line()
{
	local file=$1 re=$2 n=${3:-50}

	while [ "$n" -gt 0 ]; do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	grep -qE "$re" "$file" 2>/dev/null
}

start_bird()
{
	bird -f -c "$BIRD_CONF" -s "$SOCK" -P "$TMP/bird.pid" \
		>>"$TMP/bird.log" 2>&1 </dev/null &
	BIRD_PID=$!
	PIDS+=("$BIRD_PID")
	local n=50
	while [ "$n" -gt 0 ]; do
		birdc_ show status >/dev/null 2>&1 && return 0
		alive "$BIRD_PID" || break
		sleep 0.1
		n=$((n - 1))
	done
	echo "bird did not come up; log:"
	sed 's/^/  | /' "$TMP/bird.log"
	return 1
}

stop_bird()
{
	[ -n "$BIRD_PID" ] || return 0
	kill -TERM "$BIRD_PID" 2>/dev/null
	wait_gone "$BIRD_PID" 50 || kill -KILL "$BIRD_PID" 2>/dev/null
	wait "$BIRD_PID" 2>/dev/null
	BIRD_PID=
}

# The persistent client keeping $PROTO announced, for the last two tests.
start_hold()
{
	"$DRIVER" "$SOCK" hold "$PROTO" on 60 >"$TMP/hold.out" 2>"$TMP/hold.err" &
	HOLD_PID=$!
	PIDS+=("$HOLD_PID")
}

hold_log()
{
	printf 'driver:\n'
	sed 's/^/  | /' "$TMP/hold.out" "$TMP/hold.err"
}

test_enable_announces_prefix()
{
	local out

	[ "$(proto_state)" = down ] || fail "$PROTO not down at start: $(proto_state)" || return
	out=$("$DRIVER" "$SOCK" set "$PROTO" on 2>&1) || fail "driver: $out" || return
	grep -qx "state $PROTO announced" <<<"$out" || fail "no 'announced': $out" || return
	[ "$(proto_state)" = up ] || fail "birdc says $(proto_state), not up" || return
	birdc_ show route "$PREFIX" | grep -q "^$PREFIX .*$PROTO" ||
		fail "$PREFIX not in BIRD's table: $(birdc_ show route "$PREFIX")"
}

test_disable_withdraws_prefix()
{
	local out

	out=$("$DRIVER" "$SOCK" set "$PROTO" off 2>&1) || fail "driver: $out" || return
	grep -qx "state $PROTO withdrawn" <<<"$out" || fail "no 'withdrawn': $out" || return
	[ "$(proto_state)" = down ] || fail "birdc says $(proto_state), not down" || return
	out=$(birdc_ show route "$PREFIX")
	! grep -q "^$PREFIX" <<<"$out" || fail "$PREFIX still in BIRD's table: $out"
}

test_unknown_protocol_reports_error()
{
	local out rc

	out=$("$DRIVER" "$SOCK" set acast_nosuch on 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc, not 1: $out" || return
	grep -q "^state acast_nosuch error: enable acast_nosuch: 9001 " <<<"$out" ||
		fail "no 9001 error state: $out"
}

test_one_shot_command_reads_table()
{
	local out rc

	out=$("$DRIVER" "$SOCK" cmd "show protocols $PROTO" 2>&1) ||
		fail "driver exit $?: $out" || return
	grep -qE "^2002 Name +Proto" <<<"$out" || fail "no 2002 heading: $out" || return
	grep -qE "^1002 $PROTO +Static" <<<"$out" || fail "no 1002 row: $out" || return
	out=$("$DRIVER" "$SOCK" cmd "show route for 203.0.113.9" 2>&1)
	rc=$?
	[ "$rc" -eq 3 ] || fail "exit $rc for an 8001 reply, not 3: $out" || return
	grep -qx "8001 Network not found" <<<"$out" || fail "no 8001: $out"
}

test_connect_failure_names_socket_and_cause()
{
	local out rc

	out=$("$DRIVER" "$TMP/nosuch.ctl" cmd "show status" 500 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc, not 1: $out" || return
	grep -qF "bird control socket $TMP/nosuch.ctl: connect failed: No such file or directory" \
		<<<"$out" || fail "message: $out"
}

# `birdc configure` puts the protocol back to `disabled yes`; the client's
# next re-assert (every 200 ms here) finds it so and enables it again.
test_configure_reset_is_reasserted()
{
	local out

	start_hold
	wait_line "$TMP/hold.out" "^state $PROTO announced$" ||
		fail "$(printf 'never announced\n'; hold_log)" || return
	[ "$(proto_state)" = up ] || fail "birdc says $(proto_state), not up" || return
	out=$(birdc_ configure) || fail "birdc configure: $out" || return
	grep -qE "Reconfigur" <<<"$out" || fail "birdc configure: $out" || return
	wait_line "$TMP/hold.out" "^drift $PROTO 1$" ||
		fail "$(printf 'reset not seen by a re-assert\n'; hold_log)" || return
	wait_state up || fail "birdc says $(proto_state) after the re-assert, not up"
}

# BIRD restarts (with the config's `disabled yes`): the client loses the
# socket, reports unknown, reconnects with backoff and announces again.
test_reconnects_after_bird_restart()
{
	local n tries=80

	if [ -z "$HOLD_PID" ] || ! alive "$HOLD_PID"; then
		start_hold
	fi
	wait_line "$TMP/hold.out" "^state $PROTO announced$" ||
		fail "$(printf 'never announced\n'; hold_log)" || return
	n=$(grep -c "^state $PROTO announced$" "$TMP/hold.out")
	stop_bird
	wait_line "$TMP/hold.out" "^state $PROTO unknown$" ||
		fail "$(printf 'socket loss not reported\n'; hold_log)" || return
	start_bird || fail "bird did not restart" || return
	# At most 5 s of backoff, then one round.
	while [ "$(grep -c "^state $PROTO announced$" "$TMP/hold.out")" -le "$n" ]; do
		[ "$tries" -gt 0 ] ||
			fail "$(printf 'not announced again after the restart\n'; hold_log)" ||
			return
		sleep 0.1
		tries=$((tries - 1))
	done
	wait_state up || fail "birdc says $(proto_state) after the restart, not up"
}

TESTS=(
	test_enable_announces_prefix
	test_disable_withdraws_prefix
	test_unknown_protocol_reports_error
	test_one_shot_command_reads_table
	test_connect_failure_names_socket_and_cause
	test_configure_reset_is_reasserted
	test_reconnects_after_bird_restart
)

for tool in bird birdc gcc timeout; do
	if ! command -v "$tool" >/dev/null; then
		for t in "${TESTS[@]}"; do echo "skip ${t#test_}: $tool not installed"; done
		exit 0
	fi
done

if ! out=$(cd "$ROOT" && gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-Iinclude -Iuser tests/e2e/bird_ctl_driver.c user/route_bird.c user/log.c \
	-lxdp -lbpf -o "$DRIVER" 2>&1); then
	fail_all "building the driver failed: ${out//$'\n'/ }" "${TESTS[@]}"
	exit 1
fi

# Documentation prefixes only; no kernel protocol, so no route leaves BIRD.
cat >"$BIRD_CONF" <<EOF
router id 198.51.100.1;
protocol device {}
protocol static $PROTO {
	disabled yes;
	ipv4;
	route $PREFIX blackhole;
}
EOF
if ! start_bird >"$TMP/start.out" 2>&1; then
	fail_all "$(tr '\n' ' ' <"$TMP/start.out")" "${TESTS[@]}"
	exit 1
fi
run_tests "${TESTS[@]}"
