#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control socket, anyedgectl, metrics and sd_notify end to end: anyedged in
# the server namespace with its control socket and metrics endpoint; every
# command through anyedgectl (human and -j), malformed and hostile clients
# (garbage, a huge line, half a line, many clients, idle clients) with DNS
# still answered afterwards, a failed reload's reason back at the CLI,
# Prometheus counters scraped with curl, non-root clients refused, and
# READY=1 / WATCHDOG=1 / RELOADING=1 / STOPPING=1 on NOTIFY_SOCKET.
#
#   bash tests/e2e/test_control.sh [TEST...]   (root; after `make`)
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ONLY="$*"

SOCK_DIR=$TMP/run
SOCK=$SOCK_DIR/anyedged.sock
NOTIFY=$TMP/notify.sock
NOTIFY_LOG=$TMP/notify.log
METRICS_PORT=19$((RANDOM % 900 + 100))
METRICS_URL=http://127.0.0.1:$METRICS_PORT/metrics
CTL=("$BUILD/anyedgectl" --socket "$SOCK")
DIG_OPTS=(+tries=1 +time=2)
FRA4=198.51.100.1
IAD4=198.51.100.2
SVC_VIP=192.0.2.80
BE1=198.51.100.20
BE2=198.51.100.21

write_ctl_config()
{
	cat >"$TMP/edge.yaml" <<EOF
pin_path: $PIN
interfaces:
  - name: $IF_S
vips:
  - address: $VIP4
    dns: true
control:
  socket: $SOCK
  timeout_ms: 1000
metrics:
  listen: 127.0.0.1:$METRICS_PORT
lb:
  seed: 000102030405060708090a0b0c0d0e0f
services:
  - vip: $SVC_VIP
    proto: tcp
    port: 80
    table_size: 211
    backends:
      - address: $BE1
      - address: $BE2
dns:
  pools:
    - name: fra
      a: [$FRA4]
    - name: iad
      a: [$IAD4]
  zones:
    - name: example.com
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
      ns: [ns1.example.com]
      records:
        - name: www
          type: A
          policy: failover
          pools: [fra, iad]
EOF
	echo "$TMP/edge.yaml"
}

ask()
{
	in_ns "$NS_C" dig "@$VIP4" www.example.com A +short "${DIG_OPTS[@]}"
}

scrape()
{
	in_ns "$NS_S" curl -sf --max-time 5 "$METRICS_URL"
}

# metric NAME_WITH_LABELS: its value in a fresh scrape ("" if absent).
metric()
{
	scrape | awk -v m="$1" '$1 == m { print $2 }'
}

need_daemon()
{
	daemon_running || fail "anyedged is not running"
}

# py CODE...: run Python with the socket path as sys.argv[1].
py()
{
	timeout 30 "$PY" -c "$1" "$SOCK" "${@:2}"
}

test_daemon_starts_with_notify_socket()
{
	# A stand-in for systemd: log every datagram on NOTIFY_SOCKET.
	timeout 85 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
' "$NOTIFY" "$NOTIFY_LOG" &
	PIDS+=($!)
	for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done
	[ -S "$NOTIFY" ] || fail "notify listener did not start" || return
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=400000 \
		start_daemon "$CONFIG" "$TMP/anyedged.log" >"$TMP/start.out" ||
		fail "$(cat "$TMP/start.out")"
}

test_sd_notify_ready_and_watchdog()
{
	local n=0

	need_daemon || return
	grep -q 'READY=1' "$NOTIFY_LOG" || fail "no READY=1: $(cat "$NOTIFY_LOG")" || return
	grep -q "MAINPID=$DAEMON_PID" "$NOTIFY_LOG" || fail "no MAINPID=$DAEMON_PID" || return
	# WATCHDOG_USEC=400000: a ping every 200 ms; wait for 3 (2 s at most).
	for _ in $(seq 20); do
		n=$(grep -c 'WATCHDOG=1' "$NOTIFY_LOG")
		[ "$n" -ge 3 ] && break
		sleep 0.1
	done
	[ "$n" -ge 3 ] || fail "$n WATCHDOG=1 after 2 s: $(cat "$NOTIFY_LOG")"
}

test_socket_is_root_only_0600()
{
	local mode

	need_daemon || return
	[ -S "$SOCK" ] || fail "no socket at $SOCK" || return
	mode=$(stat -c %a "$SOCK")
	[ "$mode" = 600 ] || fail "socket mode $mode, want 600" || return
	mode=$(stat -c %a "$SOCK_DIR")
	[ "$mode" = 700 ] || fail "directory mode $mode, want 700"
}

test_status_human_and_json()
{
	local out

	need_daemon || return
	out=$("${CTL[@]}" status 2>&1) || fail "status: $out" || return
	grep -q "anyedged pid $DAEMON_PID" <<<"$out" || fail "no pid in: $out" || return
	grep -q "$IF_S (native\|$IF_S (skb" <<<"$out" || fail "no interface in: $out" || return
	out=$("${CTL[@]}" -j status) || fail "status -j failed" || return
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["daemon"]["pid"] == int(sys.argv[1]); assert [p["name"] for p in d["pools"]] == ["fra", "iad"]' \
		"$DAEMON_PID" <<<"$out" || fail "bad status JSON: $out"
}

test_stats_from_daemon_and_pinned_maps_agree()
{
	local a b

	need_daemon || return
	ask >/dev/null
	a=$("${CTL[@]}" -j stats) || fail "stats via daemon failed" || return
	b=$("$BUILD/anyedgectl" -j --pin-path "$PIN" stats) || fail "pinned stats failed" || return
	"$PY" -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert a["reason_dns_answered"] >= 1, a
assert a["reason_dns_answered"] == b["reason_dns_answered"], (a, b)
' "$a" "$b" || fail "daemon and pinned stats differ: $a / $b"
}

test_pool_down_moves_answers_and_shows_in_pools()
{
	local got out

	need_daemon || return
	got=$(ask)
	[ "$got" = "$FRA4" ] || fail "before: got '$got', want $FRA4" || return
	out=$("${CTL[@]}" pool fra down 2>&1) || fail "pool fra down: $out" || return
	grep -q "pool fra (index 0) is now down" <<<"$out" || fail "said: $out" || return
	got=$(ask)
	[ "$got" = "$IAD4" ] || fail "after pool down: got '$got', want $IAD4" || return
	out=$("${CTL[@]}" pools) || fail "pools failed" || return
	grep -qE '^ +fra +0 +down' <<<"$out" || fail "pools does not show fra down: $out" ||
		return
	out=$("${CTL[@]}" -j pools) || fail "pools -j failed" || return
	"$PY" -c 'import json,sys; p=json.load(sys.stdin); assert p[0]["up"] is False and p[1]["up"] is True' \
		<<<"$out" || fail "pools JSON: $out"
}

test_metrics_scrape_has_counters_and_pool_health()
{
	local before after page

	need_daemon || return
	before=$(metric 'anyedge_reasons_total{reason="dns_answered"}')
	[ -n "$before" ] || fail "no dns_answered counter: $(scrape | head -20)" || return
	ask >/dev/null && ask >/dev/null
	after=$(metric 'anyedge_reasons_total{reason="dns_answered"}')
	[ "$after" -ge $((before + 2)) ] ||
		fail "dns_answered $before -> $after after 2 queries" || return
	# Daemon state comes from a snapshot refreshed every second.
	for _ in $(seq 30); do
		page=$(scrape)
		grep -q '^anyedge_dns_pool_up{pool="fra"} 0$' <<<"$page" && break
		sleep 0.1
	done
	grep -q '^anyedge_dns_pool_up{pool="fra"} 0$' <<<"$page" ||
		fail "fra not 0 in: $(grep pool_up <<<"$page")" || return
	grep -q '^anyedge_dns_pool_up{pool="iad"} 1$' <<<"$page" || fail "iad not 1" || return
	grep -q '^# TYPE anyedge_verdicts_total counter$' <<<"$page" || fail "no TYPE line" ||
		return
	[ "$(in_ns "$NS_S" curl -s -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$METRICS_PORT/nope")" = 404 ] || fail "/nope is not 404"
}

# slots ADDR: how many Maglev slots of the (only) service point at backend ADDR.
slots()
{
	"$PY" - "$PIN" "$1" <<'EOF'
import json, socket, subprocess, sys
pin, addr = sys.argv[1], sys.argv[2]
def dump(*what):
    return json.loads(subprocess.check_output(["bpftool", "-j", "map", "dump", *what]))
def u32(b):
    return int.from_bytes(bytes(int(x, 16) for x in b), "little")
want = int.from_bytes(socket.inet_aton(addr), "little")
ids = [e["formatted"]["key"] for e in dump("pinned", pin + "/edge_lb_backends")
       if e["formatted"]["value"]["addr"][3] == want]
inner = u32(dump("pinned", pin + "/edge_lb_tables")[0]["value"])
print(sum(1 for e in dump("id", str(inner)) if u32(e["value"]) in ids))
EOF
}

test_drain_moves_maglev_slots_and_survives_reload()
{
	local out n1 n2

	need_daemon || return
	n1=$(slots "$BE1") && n2=$(slots "$BE2") || fail "cannot read the Maglev table" || return
	[ "$n1" -gt 0 ] && [ $((n1 + n2)) -eq 211 ] || fail "before: $n1 + $n2 slots" || return
	out=$("${CTL[@]}" drain "$BE1" 2>&1) || fail "drain: $out" || return
	[ "$out" = "backend $BE1 drained" ] || fail "said: $out" || return
	n1=$(slots "$BE1") && n2=$(slots "$BE2")
	[ "$n1" -eq 0 ] && [ "$n2" -eq 211 ] || fail "after drain: $n1 + $n2 slots" || return
	out=$("${CTL[@]}" -j backends) || fail "backends failed" || return
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
assert d["drained"] == [sys.argv[1]], d
b = {x["address"]: x["drained_by_hand"] for x in d["backends"]}
assert b == {sys.argv[1]: True, sys.argv[2]: False}, b
# What the data path does with each, and no check configured.
b = {x["address"]: (x["lb_state"], x["effective_weight"], x["health"]) for x in d["backends"]}
assert b == {sys.argv[1]: ("drained", 0, "unchecked"), sys.argv[2]: ("up", 1, "unchecked")}, b
assert all(set(x["counters"]) >= {"packets", "new_flows", "encap_failures"} for x in d["backends"])
' "$BE1" "$BE2" <<<"$out" || fail "backends JSON: $out" || return
	out=$("${CTL[@]}" backends) || fail "backends failed" || return
	grep -Eq "^$SVC_VIP tcp/80 +$BE1 +1 drained +unchecked +[0-9]+ +[0-9]+  -$" <<<"$out" ||
		fail "backends table: $out" || return
	# The metrics snapshot is at most a second old.
	for _ in $(seq 30); do
		scrape | grep -qxF "anyedge_lb_backend_up{service=\"$SVC_VIP tcp/80\",backend=\"$BE1\"} 0" && break
		sleep 0.1
	done
	out=$(scrape)
	grep -qxF "anyedge_lb_backend_up{service=\"$SVC_VIP tcp/80\",backend=\"$BE1\"} 0" <<<"$out" &&
		grep -qxF "anyedge_lb_backend_up{service=\"$SVC_VIP tcp/80\",backend=\"$BE2\"} 1" <<<"$out" &&
		grep -qF "anyedge_lb_service_new_flows_total{service=\"$SVC_VIP tcp/80\"} " <<<"$out" &&
		grep -qF "anyedge_lb_backend_encap_failures_total{service=\"$SVC_VIP tcp/80\",backend=\"$BE2\"} " <<<"$out" ||
		fail "$(printf 'per-backend metrics:\n'; grep '^anyedge_lb' <<<"$out")" || return
	! grep -q '^anyedge_lb_backend_health' <<<"$out" || fail "health metric for an unchecked backend" || return
	"${CTL[@]}" reload >/dev/null || fail "reload failed" || return
	n1=$(slots "$BE1")
	[ "$n1" -eq 0 ] || fail "after reload: $n1 slots for the drained backend" || return
	if out=$("${CTL[@]}" drain 198.51.100.99 2>&1); then
		fail "drained a backend that is in no service"
		return
	fi
	grep -q "not a backend of any service" <<<"$out" || fail "said: $out" || return
	if out=$("${CTL[@]}" drain not-an-address 2>&1); then
		fail "drain accepted a bad address"
		return
	fi
	grep -q "not a backend address" <<<"$out" || fail "said: $out" || return
	out=$("${CTL[@]}" -j undrain "$BE1") || fail "undrain failed" || return
	grep -q '"drained":false' <<<"$out" || fail "undrain JSON: $out" || return
	n1=$(slots "$BE1")
	[ "$n1" -gt 0 ] || fail "after undrain: no slots for $BE1"
}

test_route_overrides_survive_reload()
{
	local out

	need_daemon || return
	out=$("${CTL[@]}" withdraw 192.0.2.53) || fail "withdraw failed" || return
	[ "$out" = "prefix 192.0.2.53/32: withdrawn by hand (was auto)" ] || fail "said: $out" ||
		return
	"${CTL[@]}" announce 2001:db8::/32 >/dev/null || fail "announce failed" || return
	out=$("${CTL[@]}" reload 2>&1) || fail "reload: $out" || return
	out=$("${CTL[@]}" -j status) || fail "status failed" || return
	"$PY" -c '
import json, sys
ov = {o["prefix"]: o["mode"] for o in json.load(sys.stdin)["overrides"]}
assert ov == {"192.0.2.53/32": "withdraw", "2001:db8::/32": "announce"}, ov
' <<<"$out" || fail "overrides after reload: $out" || return
	metric 'anyedge_route_override{prefix="192.0.2.53/32",mode="withdraw"}' >/dev/null
	out=$("${CTL[@]}" auto 192.0.2.53/32) || fail "auto failed" || return
	grep -q "health decides (was withdraw)" <<<"$out" || fail "said: $out" || return
	if out=$("${CTL[@]}" withdraw 192.0.2.1/24 2>&1); then
		fail "accepted host bits"
		return
	fi
	grep -q "host bits" <<<"$out" || fail "said: $out"
}

test_reload_error_reaches_cli_and_old_config_serves()
{
	local good=$TMP/edge.good.yaml out rc

	need_daemon || return
	cp "$CONFIG" "$good"
	sed -i 's/^      a: \[198.51.100.2\]/      a: [198.51.100.999]/' "$CONFIG"
	out=$("${CTL[@]}" reload 2>&1)
	rc=$?
	cp "$good" "$CONFIG"
	[ "$rc" -eq 1 ] || fail "reload of a bad config: exit $rc: $out" || return
	grep -qE "$CONFIG:[0-9]+: dns.pools\[1\]" <<<"$out" ||
		fail "error does not name file:line and field: $out" || return
	out=$("${CTL[@]}" -j reload 2>/dev/null)
	grep -q '"reloads"' <<<"$out" || fail "good reload after a bad one: $out" || return
	[ -n "$(ask)" ] || fail "no DNS answer after the failed reload" || return
	out=$("${CTL[@]}" -j status) || return
	grep -q '"failed":1' <<<"$out" || fail "status does not count the failure: $out" ||
		return
	[ "$(metric 'anyedge_reloads_total{result="failed"}')" = 1 ] ||
		fail "metrics do not count the failure"
}

test_sd_notify_reloading_then_ready()
{
	need_daemon || return
	# The control-socket reloads above each sent RELOADING=1 then READY=1.
	grep -A1 -m1 'RELOADING=1' "$NOTIFY_LOG" | tail -n1 | grep -q 'READY=1' ||
		fail "no READY=1 after RELOADING=1: $(grep -v WATCHDOG "$NOTIFY_LOG")" || return
	grep -q "READY=1 STATUS=reload failed, running the previous config: $CONFIG:" \
		"$NOTIFY_LOG" || fail "no STATUS= with the reload error: $(grep STATUS "$NOTIFY_LOG")"
}

test_malformed_requests_get_error_replies()
{
	local out

	need_daemon || return
	out=$(py '
import socket, sys
def ask(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    try:
        s.sendall(data)
    except OSError:
        pass  # the daemon hangs up on a line that is too long
    buf = b""
    while b"\n" not in buf:
        b = s.recv(65536)
        if not b:
            break
        buf += b
    s.close()
    return buf.decode()
print(ask(b"garbage\n"), end="")
print(ask(b"{\"cmd\":\"nosuch\"}\n"), end="")
print(ask(b"{\"cmd\":\"drain\"}\n"), end="")
print(ask(b"\x00\xff\xfe{}\n"), end="")
print(ask(b"x" * (1 << 20)), end="")
') || fail "client failed: $out" || return
	[ "$(grep -c '"ok":false' <<<"$out")" = 5 ] || fail "not 5 error replies: $out" || return
	grep -q 'not JSON' <<<"$out" || fail "garbage: $out" || return
	grep -q "unknown command 'nosuch'" <<<"$out" || fail "unknown: $out" || return
	grep -q 'usage: drain BACKEND' <<<"$out" || fail "usage: $out" || return
	grep -q 'longer than 4095 bytes' <<<"$out" || fail "huge line: $out"
}

test_hostile_clients_leave_daemon_serving()
{
	local out

	need_daemon || return
	out=$(py '
import socket, sys, time
path = sys.argv[1]
# Half a line, then hang up.
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path)
    s.sendall(b"{\"cmd\":\"sta"); s.close()
# Many clients at once, each holding its connection.
held = []
for _ in range(200):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path); s.settimeout(5); held.append(s)
refused = 0
for s in held:
    try:
        s.sendall(b"{\"cmd\":\"status\"}\n")
    except OSError:
        pass  # refused and closed already
for s in held:
    try:
        line = s.makefile().readline()
    except OSError:
        line = ""
    if "too many clients" in line:
        refused += 1
    elif "\"ok\":true" not in line:
        print("bad reply:", line[:200]); sys.exit(1)
for s in held:
    s.close()
print("refused", refused)
# An idle client is closed after control.timeout_ms (1000 ms).
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(5); s.connect(path)
s.sendall(b"{\"cmd\":")
t = time.monotonic()
line = s.makefile().readline()
print("idle %.1f %s" % (time.monotonic() - t, line.strip()))
') || fail "client failed: $out" || return
	grep -qE '^refused (13[0-9]|1[4-9][0-9]|200)$' <<<"$out" ||
		fail "expected about 136 of 200 refused (64 at once): $out" || return
	# Closed by the 1 s idle timeout: not at once, and well before the
	# client's own 5 s timeout (a loaded machine runs the timer late).
	grep -qE 'idle (0\.9|[1-4]\.[0-9]) .*idle for 1000 ms' <<<"$out" || fail "idle client: $out" || return
	echo "# hostile clients: $(tr '\n' ' ' <<<"$out")"
	alive "$DAEMON_PID" || fail "anyedged died" || return
	[ -n "$(ask)" ] || fail "no DNS answer afterwards" || return
	out=$("${CTL[@]}" -j status) || fail "status afterwards failed" || return
	grep -q '"pid"' <<<"$out" || fail "status afterwards: $out"
}

test_non_root_is_refused()
{
	local out

	need_daemon || return
	need runuser || return
	if out=$(runuser -u nobody -- "${CTL[@]}" status 2>&1); then
		fail "nobody got status: $out"
		return
	fi
	grep -q "Permission denied (the control socket is for root only)" <<<"$out" ||
		fail "said: $out" || return
	# Even with the file modes opened up, the daemon checks the peer's uid.
	chmod 0755 "$TMP" "$SOCK_DIR"
	chmod 0666 "$SOCK"
	out=$(runuser -u nobody -- "${CTL[@]}" status 2>&1)
	local rc=$?
	chmod 0700 "$SOCK_DIR" "$TMP"
	chmod 0600 "$SOCK"
	[ "$rc" -ne 0 ] || fail "nobody got status through an open socket: $out" || return
	grep -q "root only" <<<"$out" || fail "said: $out" || return
	grep -q "refused uid" "$TMP/anyedged.log" || fail "refusal not logged"
}

test_cli_reports_missing_daemon_and_stats_fall_back()
{
	local out

	if out=$("$BUILD/anyedgectl" --socket "$TMP/none.sock" status 2>&1); then
		fail "status without a daemon succeeded"
		return
	fi
	grep -q "cannot connect to $TMP/none.sock: No such file or directory (is anyedged running" \
		<<<"$out" || fail "said: $out" || return
	out=$("$BUILD/anyedgectl" --socket "$TMP/none.sock" -p "$PIN" -j stats) ||
		fail "pinned stats without the socket failed" || return
	grep -q '"reason_dns_answered"' <<<"$out" || fail "stats: $out"
}

test_sigterm_sends_stopping_and_removes_socket()
{
	local rc

	need_daemon || return
	stop_daemon
	rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc" || return
	grep -q 'STOPPING=1' "$NOTIFY_LOG" || fail "no STOPPING=1" || return
	[ ! -e "$SOCK" ] || fail "socket left behind"
}

TESTS=(
	test_daemon_starts_with_notify_socket
	test_sd_notify_ready_and_watchdog
	test_socket_is_root_only_0600
	test_status_human_and_json
	test_stats_from_daemon_and_pinned_maps_agree
	test_pool_down_moves_answers_and_shows_in_pools
	test_metrics_scrape_has_counters_and_pool_health
	test_drain_moves_maglev_slots_and_survives_reload
	test_route_overrides_survive_reload
	test_reload_error_reaches_cli_and_old_config_serves
	test_sd_notify_reloading_then_ready
	test_malformed_requests_get_error_replies
	test_hostile_clients_leave_daemon_serving
	test_non_root_is_refused
	test_cli_reports_missing_daemon_and_stats_fall_back
	test_sigterm_sends_stopping_and_removes_socket
)

for f in anyedged anyedgectl xdp_pass.bpf.o; do
	[ -e "$BUILD/$f" ] || { fail_all "$BUILD/$f missing: run make" "${TESTS[@]}"; exit 1; }
done
for t in curl dig bpftool; do
	command -v "$t" >/dev/null || { fail_all "$t not installed" "${TESTS[@]}"; exit 1; }
done
if ! out=$(setup_two_ns 2>&1); then
	fail_all "netns setup failed: $out" "${TESTS[@]}"
	exit 1
fi
CONFIG=$(write_ctl_config)
run_tests "${TESTS[@]}"
