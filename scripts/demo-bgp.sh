#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, third part: failover is a network event. An upstream router
# (BIRD), the edge (BIRD + anyedged) and one backend in three namespaces
# (tests/e2e/bgp_lib.sh, shared with test_bgp.sh): the anycast prefixes
# reach the upstream once the backend's checks pass, leave when it dies,
# return after the hold-down, and leave within milliseconds of `kill -9
# anyedged` (the tun lease). Needs root, bird2 and a built tree; everything
# carries a per-run prefix and is removed on exit.
set -u
RUN_ID=${RUN_ID:-aeb$$}
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/..
. "$(dirname "$0")/../tests/e2e/lib.sh"
# shellcheck source=tests/e2e/bgp_lib.sh source-path=SCRIPTDIR/..
. "$ROOT/tests/e2e/bgp_lib.sh"
trap cleanup_bgp EXIT
CTL=("$BUILD/anyedgectl" --socket "$TMP/anyedged.sock")

say()
{
	if [ -t 1 ]; then
		printf '\n\033[1m== %s\033[0m\n' "$*"
	else
		printf '\n== %s\n' "$*"
	fi
}

# upstream_routes: the upstream router's BGP table, our prefixes only.
upstream_routes()
{
	echo "[upstream]\$ birdc show route"
	birdc_ "$UP_SOCK" show route | grep -E '^(192\.0\.2\.|[[:space:]]+(via|unicast))' |
		sed 's/^/    /'
	birdc_ "$UP_SOCK" show route | grep -q '^192\.0\.2\.' || echo "    (no anycast prefix)"
}

die()
{
	echo "demo-bgp: $*" >&2
	[ -s "$LOG" ] && tail -n 15 "$LOG" | sed 's/^/  | /' >&2
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo-bgp: must run as root (XDP, bpffs and network namespaces)" >&2
	exit 1
fi
for f in anyedged anyedgectl; do
	[ -e "$BUILD/$f" ] || { echo "demo-bgp: $BUILD/$f missing: run make" >&2; exit 1; }
done
for t in bird birdc curl python3; do
	command -v "$t" >/dev/null || { echo "demo-bgp: $t not installed (make deps)" >&2; exit 1; }
done

say "Upstream router (BIRD AS 64497) <-BGP-> edge (BIRD AS 64496 + anyedged) -> backend"
if ! setup_bgp >"$TMP/setup.log" 2>&1; then
	sed 's/^/  | /' "$TMP/setup.log"
	die "setup failed"
fi
wait_established || die "BGP session not established in 10 s"
echo "BGP session up; the backend 203.0.113.2 serves HTTP on :8080. anyedged's anycast config:"
sed -n '/^route:/,$p' "$CONFIG" | grep -vE '^[[:space:]]*#' | sed 's/^/    /'
echo "(pool and service web: HTTP/TCP check of the backend every 200 ms, rise 2, fall 2)"
upstream_routes

say "anyedged starts: attach, fill maps, checks reach rise, then announce"
t0=$(now_ms)
start_daemon "$CONFIG" "$LOG" >/dev/null || die "anyedged did not start"
for p in "$PFX_LEASE" "$PFX_STATIC" "$PFX_SVC"; do
	wait_up "$p" present 10000 || die "$p never announced"
done
sleep 0.1
echo "$PFX_LEASE in the upstream's FIB $(fib_delta "" "$PFX_LEASE" "$t0") ms after anyedged started"
upstream_routes

say "What the daemon says"
echo "\$ anyedgectl status"
"${CTL[@]}" status | sed 's/^/    /'

say "The backend dies: every prefix that depends on it is withdrawn"
t0=$(now_ms)
kill "$BACKEND_PID"
wait "$BACKEND_PID" 2>/dev/null
for p in "$PFX_LEASE" "$PFX_STATIC" "$PFX_SVC"; do
	wait_up "$p" absent 5000 || die "$p still announced 5 s after the backend died"
done
sleep 0.1
echo "backend killed -> out of the upstream's FIB after: $PFX_LEASE $(fib_delta Deleted "$PFX_LEASE" "$t0") ms (lease), $PFX_STATIC $(fib_delta Deleted "$PFX_STATIC" "$t0") ms (static protocol), $PFX_SVC $(fib_delta Deleted "$PFX_SVC" "$t0") ms (service)"
echo "(this config says guard: withdraw; the default, stay, keeps announcing when every"
echo " check fails at the same instant, as here with a single backend)"
upstream_routes
echo "\$ anyedgectl backends     (the service's backend: out of the Maglev table)"
"${CTL[@]}" backends | sed 's/^/    /'

say "The backend comes back: announced again after rise and the ${HOLD_MS} ms hold-down"
start_backend
wait_backend || die "the backend did not come back"
t0=$(now_ms)
for p in "$PFX_LEASE" "$PFX_STATIC" "$PFX_SVC"; do
	wait_up "$p" present $((HOLD_MS + 5000)) || die "$p not announced again"
done
sleep 0.1
echo "backend answering -> back in the upstream's FIB after $(fib_delta "" "$PFX_LEASE" "$t0") ms"
upstream_routes

say "Prometheus metrics (an excerpt)"
echo "[edge]\$ curl -s http://$METRICS/metrics"
in_ns "$NS_E" curl -s --max-time 5 "http://$METRICS/metrics" |
	grep -E '^anyedge_(prefix_announced|prefix_transitions_total|health_check_up|packets_total|dns_pool_up|lb_backend_(up|health))' |
	sed 's/^/    /'

say "kill -9 anyedged: the kernel deletes its tun lease, BIRD withdraws the prefix"
wait_up "$PFX_LEASE" present 5000 || die "$PFX_LEASE not announced before the kill"
disown "$DAEMON_PID"	# no "Killed" line from bash
t0=$(now_ms)
kill -KILL "$DAEMON_PID"
for p in "$PFX_LEASE" "$PFX_SVC"; do
	wait_up "$p" absent 3000 || die "$p still announced 3 s after kill -9"
done
wait_gone "$DAEMON_PID" 30
DAEMON_PID=
sleep 0.1
echo "kill -9 -> out of the upstream's FIB after: $PFX_LEASE $(fib_delta Deleted "$PFX_LEASE" "$t0") ms, $PFX_SVC $(fib_delta Deleted "$PFX_SVC" "$t0") ms (both on the lease)"
echo "($PFX_STATIC stays: a BIRD static protocol is fail-open, the lease is not)"
upstream_routes
echo
echo "(namespaces, BIRDs, the backend and $PIN are removed on exit)"
