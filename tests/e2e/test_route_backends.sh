#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The hook and ExaBGP route backends (user/route.c) driven by a real health
# check: anyedged in the server namespace checks an HTTP server on
# 127.0.0.1:8080 there; its prefix 192.0.2.54/32 depends on that pool, and
# app.example.com (failover: web, backup) answers from the next pool when
# the check fails.
#
#   hook    route.hook PREFIX announce|drain|withdraw, bounded by
#           hook_timeout_ms and never blocking the loop;
#   exabgp  `announce route P next-hop self` / `withdraw route P` on stdout.
#
#   bash tests/e2e/test_route_backends.sh [TEST...]   (needs python3)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ONLY="$*"

PFX=192.0.2.54/32
HOOK=$TMP/hook.sh
HOOK_OUT=$TMP/hook.out
LOG=$TMP/anyedged.log
BACKEND_PID=

start_backend()
{
	nsenter --net="/run/netns/$NS_S" python3 -m http.server 8080 --bind 127.0.0.1 \
		>/dev/null 2>&1 </dev/null &
	BACKEND_PID=$!
	PIDS+=("$BACKEND_PID")
}

# wait_line FILE REGEX [TENTHS]: until a line of FILE matches, 10 s by default.
wait_line()
{
	local file=$1 re=$2 n=${3:-100}

	while [ "$n" -gt 0 ]; do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

log_tail()
{
	printf '%s\nanyedged log:\n' "$1"
	tail -n 20 "$LOG"
}

# write_route_config BACKEND: the daemon config with route.backend BACKEND.
write_route_config()
{
	local file

	file=$(write_config)
	cat >>"$file" <<EOF
        - {name: app, type: A, ttl: 5, policy: failover, pools: [web, backup]}
  pools:
    - name: backup
      a: [198.51.100.99]
    - name: web
      a: [198.51.100.80]
      checks:
        - {type: http, target: '127.0.0.1:8080', interval_ms: 200, timeout_ms: 1000, rise: 2, fall: 2}
control: {socket: $TMP/anyedged.sock}
route:
  backend: $1
  hook: $HOOK
  hook_timeout_ms: 500
  tick_ms: 300
  drain: {community: true, timeout_ms: 300, rate_pps: 1000000}
anycast:
  - {prefix: $PFX, pools: [web], hold_down_ms: 500}
EOF
	echo "$file"
}

test_hook_announces_after_rise()
{
	start_daemon "$(write_route_config hook)" "$LOG" || { fail "anyedged did not start"; return; }
	wait_line "$HOOK_OUT" "^$PFX announce$" ||
		fail "$(log_tail "hook never ran with announce")"
}

# The A answer for app.example.com from the client namespace.
ask_app()
{
	in_ns "$NS_C" dig +short +tries=1 +time=1 "@$VIP4" app.example.com A 2>/dev/null
}

# wait_answer ADDR MAX_MS: until app.example.com answers ADDR; WAITED = ms.
wait_answer()
{
	local want=$1 max=$2 t0

	t0=$(now_ms)
	while [ "$(ask_app)" != "$want" ]; do
		[ $(($(now_ms) - t0)) -lt "$max" ] || return 1
		sleep 0.02
	done
	WAITED=$(($(now_ms) - t0))
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

test_dns_answers_move_when_the_pool_check_fails()
{
	daemon_running || { skip "anyedged not running"; return; }
	need dig || return
	wait_answer 198.51.100.80 3000 || { fail "app.example.com answers '$(ask_app)', not the web pool"; return; }
	kill "$BACKEND_PID"
	wait "$BACKEND_PID" 2>/dev/null
	wait_answer 198.51.100.99 5000 ||
		{ fail "$(log_tail "still '$(ask_app)' 5 s after the pool's backend died")"; return; }
	echo "# backend killed -> DNS answers from the next pool after $WAITED ms (check 200 ms, fall 2)"
	: >"$HOOK_OUT"
	start_backend
	wait_answer 198.51.100.80 5000 || { fail "$(log_tail "the web pool never came back")"; return; }
	echo "# backend back -> DNS answers from its pool again after $WAITED ms (rise 2)"
	# Let the prefix settle (announced again after its hold-down) for the next tests.
	wait_line "$HOOK_OUT" "^$PFX announce$" 50 || fail "$(log_tail "not announced again")"
}

test_hook_withdraws_when_backend_dies()
{
	daemon_running || { skip "anyedged not running"; return; }
	kill "$BACKEND_PID"
	wait "$BACKEND_PID" 2>/dev/null
	wait_line "$HOOK_OUT" "^$PFX withdraw$" 50 ||
		fail "$(log_tail "hook never ran with withdraw")"
}

test_hook_timeout_kills_and_retries_without_blocking()
{
	daemon_running || { skip "anyedged not running"; return; }
	: >"$TMP/hook.sleep"
	start_backend
	# The hung hook is killed after 500 ms and logged; the loop keeps running.
	wait_line "$LOG" "hook announce timed out, killing pid" 100 ||
		{ fail "$(log_tail "a hung hook was not killed")"; return; }
	"$BUILD/anyedgectl" -s "$TMP/anyedged.sock" status >/dev/null 2>&1 ||
		{ fail "control socket did not answer while the hook hung"; return; }
	: >"$HOOK_OUT"
	rm -f "$TMP/hook.sleep"
	# Re-run on a tick until it exits 0.
	wait_line "$HOOK_OUT" "^$PFX announce$" 50 || fail "$(log_tail "hook not retried")"
}

test_manual_withdraw_survives_reload_until_auto()
{
	local n=50

	daemon_running || { skip "anyedged not running"; return; }
	wait_line "$HOOK_OUT" "^$PFX announce$" 50 || { fail "not announced to begin with"; return; }
	: >"$HOOK_OUT"
	"$BUILD/anyedgectl" -s "$TMP/anyedged.sock" withdraw "$PFX" >/dev/null ||
		{ fail "anyedgectl withdraw failed"; return; }
	wait_line "$HOOK_OUT" "^$PFX withdraw$" 30 || { fail "$(log_tail "override not applied")"; return; }
	kill -HUP "$DAEMON_PID"
	while [ "$(grep -c '^anyedged: reloaded' "$LOG")" -lt 1 ]; do
		[ "$n" -gt 0 ] || { fail "$(log_tail "no reload")"; return; }
		sleep 0.1
		n=$((n - 1))
	done
	sleep 1 # a few ticks: nothing may announce it
	grep -q "^$PFX announce$" "$HOOK_OUT" && { fail "announced again after the reload"; return; }
	"$BUILD/anyedgectl" -s "$TMP/anyedged.sock" status | grep -q "$PFX.*withdrawn.*manual withdraw" ||
		{ fail "status does not say why: $("$BUILD/anyedgectl" -s "$TMP/anyedged.sock" status | grep "$PFX")"; return; }
	"$BUILD/anyedgectl" -s "$TMP/anyedged.sock" auto "$PFX" >/dev/null ||
		{ fail "anyedgectl auto failed"; return; }
	wait_line "$HOOK_OUT" "^$PFX announce$" 30 || fail "$(log_tail "not announced after auto")"
}

test_hook_drain_then_withdraw_on_sigterm()
{
	daemon_running || { skip "anyedged not running"; return; }
	: >"$HOOK_OUT"
	stop_daemon || { fail "anyedged exited with status $?"; return; }
	[ "$(cat "$HOOK_OUT")" = "$PFX drain
$PFX withdraw" ] || fail "hook calls on SIGTERM: $(tr '\n' ';' <"$HOOK_OUT")"
}

test_exabgp_lines_on_stdout()
{
	local out=$TMP/exabgp.log n=50

	start_daemon "$(write_route_config exabgp)" "$out" || { fail "anyedged did not start"; return; }
	LOG=$out
	wait_line "$out" "^announce route $PFX next-hop self$" ||
		{ fail "$(log_tail "no announce line")"; return; }
	kill "$BACKEND_PID"
	wait "$BACKEND_PID" 2>/dev/null
	wait_line "$out" "^withdraw route $PFX$" 50 || { fail "$(log_tail "no withdraw line")"; return; }
	start_backend
	while [ "$(grep -c "^announce route $PFX next-hop self\$" "$out")" -lt 2 ]; do
		[ "$n" -gt 0 ] || { fail "$(log_tail "not re-announced")"; return; }
		sleep 0.1
		n=$((n - 1))
	done
	stop_daemon || { fail "anyedged exited with status $?"; return; }
	grep -q "^announce route $PFX next-hop self community \[65535:0\]$" "$out" ||
		fail "$(log_tail "no GRACEFUL_SHUTDOWN announce on SIGTERM")"
}

need python3 || { echo "skip route_backends: $REASON"; exit 0; }
cat >"$HOOK" <<EOF
#!/bin/sh
[ -e "$TMP/hook.sleep" ] && exec sleep 10
echo "\$1 \$2" >>"$HOOK_OUT"
EOF
chmod +x "$HOOK"
TESTS=(test_hook_announces_after_rise test_dns_answers_move_when_the_pool_check_fails
       test_hook_withdraws_when_backend_dies
       test_hook_timeout_kills_and_retries_without_blocking
       test_manual_withdraw_survives_reload_until_auto test_hook_drain_then_withdraw_on_sigterm test_exabgp_lines_on_stdout)
if ! setup_two_ns >"$TMP/setup.log" 2>&1; then
	fail_all "setup failed: $(tail -n 1 "$TMP/setup.log")" "${TESTS[@]}"
	exit 1
fi
start_backend
run_tests "${TESTS[@]}"
