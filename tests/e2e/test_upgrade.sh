#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Binary upgrade without a route flap (anyedgectl upgrade / SIGUSR2): the
# running anyedged forks and execs its binary with --takeover and serves
# until the child is ready; then it tells the service manager MAINPID=<child>
# and exits without withdrawing. A child that cannot exec, or hangs up
# before it is ready, leaves the old one serving and the CLI says why.
# Topology and config of bgp_lib.sh; a fake service manager (NOTIFY_SOCKET,
# a python datagram listener) records who sent which sd_notify message.
#
#   bash tests/e2e/test_upgrade.sh [TEST...]     (needs bird2, python3)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
# shellcheck source=bgp_lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/bgp_lib.sh"
trap cleanup_bgp EXIT
ONLY="$*"

CTL=("$BUILD/anyedgectl" --socket "$TMP/anyedged.sock")
NOTIFY=$TMP/notify.sock
NOTIFY_LOG=$TMP/notify.log
T_START=

# The fake service manager: "PID MESSAGE" per line; passed fds (sd_notify_barrier) closed.
start_notify()
{
	local n=50

	cat >"$TMP/notify.py" <<'EOF'
import array, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
log = open(sys.argv[2], "a", buffering=1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
    pid = 0
    for level, kind, data in anc:
        if kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
        elif kind == socket.SCM_RIGHTS:
            for fd in array.array("i", data[:len(data) - len(data) % 4]):
                os.close(fd)
    for line in msg.decode(errors="replace").splitlines():
        log.write(f"{pid} {line}\n")
EOF
	python3 "$TMP/notify.py" "$NOTIFY" "$NOTIFY_LOG" >"$TMP/notify.err" 2>&1 </dev/null &
	PIDS+=($!)
	while [ ! -S "$NOTIFY" ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ -S "$NOTIFY" ]
}

# all_present: every prefix at the upstream.
all_present()
{
	local p

	for p in "$PFX_LEASE" "$PFX_STATIC" "$PFX_SVC"; do
		up_has "$p" || return 1
	done
}

# no_withdrawal_since T0: the upstream's FIB deleted none of our prefixes since T0.
no_withdrawal_since()
{
	local p

	for p in "$PFX_LEASE" "$PFX_STATIC" "$PFX_SVC"; do
		[ "$(fib_delta Deleted "$p" "$1")" = "?" ] || { echo "$p"; return 1; }
	done
}

# serving_unchanged PID T0: PID still the daemon, nothing withdrawn since T0.
serving_unchanged()
{
	local pid=$1 t0=$2 gone now

	alive "$pid" || { fail "$(log_tail "pid $pid is gone")"; return 1; }
	now=$("${CTL[@]}" -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["pid"])')
	[ "$now" = "$pid" ] || { fail "status says pid '$now', not $pid"; return 1; }
	all_present || { fail "$(log_tail "a prefix is missing at the upstream")"; return 1; }
	gone=$(no_withdrawal_since "$t0") || { fail "$(log_tail "$gone was withdrawn")"; return 1; }
}

test_bgp_session_established()
{
	wait_established ||
		fail "$(printf 'BGP not established in 10 s\n'; birdc_ "$UP_SOCK" show protocols all pop)"
}

test_daemon_started_under_a_notify_socket()
{
	start_notify || { fail "the fake notify socket did not come up"; return; }
	: >"$LOG"
	export NOTIFY_SOCKET=$NOTIFY
	start_daemon "$CONFIG" "$LOG"
	unset NOTIFY_SOCKET
	[ -n "$DAEMON_PID" ] || { fail "anyedged did not start"; return; }
	wait_up "$PFX_LEASE" present 10000 || { fail "$(log_tail "$PFX_LEASE never announced")"; return; }
	wait_up "$PFX_STATIC" present 5000 || { fail "$(log_tail "$PFX_STATIC never announced")"; return; }
	wait_up "$PFX_SVC" present 5000 || { fail "$(log_tail "$PFX_SVC never announced")"; return; }
	grep -qx "$DAEMON_PID READY=1" "$NOTIFY_LOG" ||
		{ fail "$(printf 'no READY=1 from pid %s:\n' "$DAEMON_PID"; cat "$NOTIFY_LOG")"; return; }
	T_START=$(now_ms)
}

test_upgrade_that_cannot_exec_keeps_serving()
{
	local out

	daemon_running || { skip "anyedged not running"; return; }
	printf 'not a program\n' >"$TMP/garbage"
	chmod 755 "$TMP/garbage"
	out=$("${CTL[@]}" upgrade "$TMP/garbage" 2>&1) && { fail "upgrade to garbage succeeded: $out"; return; }
	[[ $out == *"Exec format error"* ]] || { fail "the CLI did not say why: $out"; return; }
	echo "# upgrade to a file that is no program: ${out##*: upgrade: }"
	serving_unchanged "$DAEMON_PID" "$T_START"
}

test_successor_hanging_up_before_ready_keeps_serving()
{
	local out

	daemon_running || { skip "anyedged not running"; return; }
	# A successor that takes the state (the old one stops deciding routes)
	# and hangs up without "ready": the old one must resume.
	cat >"$TMP/quitter" <<EOF
#!/usr/bin/python3
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("$TMP/anyedged.sock.handover")
s.send(b"anyedge-takeover 2\n")
assert s.recv(65536).startswith(b"anyedge-handover 2\n")
time.sleep(0.5)
raise SystemExit(3)
EOF
	chmod 755 "$TMP/quitter"
	out=$("${CTL[@]}" upgrade "$TMP/quitter" 2>&1) && { fail "the upgrade succeeded: $out"; return; }
	[[ $out == *"hung up before it was ready"*"exited with status 3"* ]] ||
		{ fail "$(log_tail "the CLI did not say why: $out")"; return; }
	echo "# successor hung up after the state: ${out##*: upgrade failed: }"
	grep -q 'handover: .*hung up before it was ready.*goes on serving' "$LOG" ||
		{ fail "$(log_tail "no handover abort in the log")"; return; }
	out=$("${CTL[@]}" status 2>&1)
	grep -q "^upgrade: failed (pid [0-9]*, $TMP/quitter): .*hung up before it was ready" <<<"$out" ||
		{ fail "$(printf 'status does not show the failed upgrade:
%s' "$out")"; return; }
	serving_unchanged "$DAEMON_PID" "$T_START"
}

# edge_tables' format field (bytes 24-27, include/anyedge.h) set to $1,
# the rest of the value as it is: prints the value it replaced.
tables_format_set()
{
	local path=$PIN/edge_tables old

	old=$(bpftool -j map lookup pinned "$path" key 0 0 0 0 |
		python3 -c 'import json,sys; print(" ".join(str(int(b, 16)) for b in json.load(sys.stdin)["value"]))') ||
		return 1
	# shellcheck disable=SC2086 # one word per byte
	bpftool map update pinned "$path" key 0 0 0 0 value $(python3 -c '
import sys
v = [int(b) for b in sys.argv[1].split()]
v[24:28] = int(sys.argv[2]).to_bytes(4, "little")
print(" ".join(map(str, v)))' "$old" "$1") || return 1
	echo "$old"
}

test_upgrade_to_another_table_format_keeps_serving()
{
	local out old

	daemon_running || { skip "anyedged not running"; return; }
	# As if the running daemon were a version that keys its tables
	# differently: the successor must not reuse (and rewrite) them under
	# the running program, which would misread every name until the swap.
	old=$(tables_format_set 99) || { fail "cannot write the pinned edge_tables"; return; }
	[ "$(cut -d' ' -f25 <<<"$old")" != 0 ] || { fail "the running daemon wrote no table format"; return; }
	out=$("${CTL[@]}" upgrade 2>&1) && { fail "the upgrade succeeded: $out"; return; }
	# shellcheck disable=SC2086 # one word per byte
	bpftool map update pinned "$PIN/edge_tables" key 0 0 0 0 value $old ||
		{ fail "cannot restore edge_tables"; return; }
	grep -q "holds tables of format 99, this daemon writes" "$LOG" ||
		{ fail "$(log_tail "the successor did not say why (CLI: $out)")"; return; }
	echo "# upgrade over tables of another format: ${out##*: upgrade: }"
	serving_unchanged "$DAEMON_PID" "$T_START"
}

test_upgrade_under_traffic_never_withdraws()
{
	local old=$DAEMON_PID new t0 out ifindex loss m r

	daemon_running || { skip "anyedged not running"; return; }
	ifindex=$(ip -n "$NS_E" -o link show "$LEASE_IF" | cut -d: -f1)
	# 100 pings/s to the VIP through the XDP program during the upgrade.
	nsenter --net="/run/netns/$NS_U" ping -q -i 0.01 -w 8 192.0.2.53 >"$TMP/ping.out" 2>&1 &
	PING_PID=$!
	sleep 0.5
	t0=$(now_ms)
	out=$("${CTL[@]}" upgrade 2>&1) || { fail "$(log_tail "upgrade failed: $out")"; return; }
	new=$(sed -n 's/^upgraded: pid \([0-9]*\) took over from pid .*/\1/p' <<<"$out")
	[ -n "$new" ] || { fail "unexpected CLI output: $out"; return; }
	PIDS+=("$new")
	DAEMON_PID=$new
	wait_gone "$old" 50 || { fail "the old anyedged (pid $old) did not exit"; return; }
	[ "$(readlink "/proc/$new/exe")" = "$(readlink -f "$BUILD/anyedged")" ] ||
		{ fail "pid $new is not anyedged"; return; }
	wait "$PING_PID"
	PING_PID=
	sleep 0.3
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$TMP/ping.out")
	echo "# upgrade under 100 pings/s: ${out##*$'\n'}; ping loss ${loss:-?}%"
	serving_unchanged "$new" "$t0" || return
	[ "$(ip -n "$NS_E" -o link show "$LEASE_IF" | cut -d: -f1)" = "$ifindex" ] ||
		{ fail "the lease interface was re-created"; return; }
	[ "${loss:-x}" = 0 ] || { fail "ping loss ${loss:-?}% during the upgrade"; return; }
	# The old one made the new one systemd's main PID before it exited;
	# then the new one said READY=1.
	m=$(grep -nx "$old MAINPID=$new" "$NOTIFY_LOG" | cut -d: -f1)
	r=$(grep -nx "$new READY=1" "$NOTIFY_LOG" | cut -d: -f1)
	[ -n "$m" ] && [ -n "$r" ] && [ "$m" -lt "$r" ] ||
		fail "$(printf 'notify messages (want %s MAINPID=%s, then %s READY=1):\n' "$old" "$new" "$new"; cat "$NOTIFY_LOG")"
}

test_sigusr2_upgrades_too()
{
	local old=$DAEMON_PID new n=200

	daemon_running || { skip "anyedged not running"; return; }
	t0=$(now_ms)
	kill -USR2 "$old"
	wait_gone "$old" 300 || { fail "$(log_tail "the old anyedged did not hand over")"; return; }
	while [ "$n" -gt 0 ]; do
		new=$("${CTL[@]}" -j status 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["pid"])' 2>/dev/null) &&
			break
		sleep 0.05
		n=$((n - 1))
	done
	[ -n "$new" ] && [ "$new" != "$old" ] || { fail "no new daemon answers"; return; }
	PIDS+=("$new")
	DAEMON_PID=$new
	echo "# SIGUSR2: pid $old -> $new in $(($(now_ms) - t0)) ms"
	serving_unchanged "$new" "$t0"
}

need bird birdc python3 || { echo "skip upgrade: $REASON"; exit 0; }
TESTS=(test_bgp_session_established test_daemon_started_under_a_notify_socket
       test_upgrade_that_cannot_exec_keeps_serving
       test_successor_hanging_up_before_ready_keeps_serving
       test_upgrade_to_another_table_format_keeps_serving
       test_upgrade_under_traffic_never_withdraws test_sigusr2_upgrades_too)
if ! setup_bgp >"$TMP/setup.log" 2>&1; then
	fail_all "setup failed: $(tail -n 1 "$TMP/setup.log")" "${TESTS[@]}"
	exit 1
fi
run_tests "${TESTS[@]}"
