#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, second part: Maglev load balancing in XDP. A client, the
# edge (anyedged), three backends running HTTP servers, one bridge; flows
# to the VIP are hashed to a backend and tunnelled (IPIP), replies go
# straight back to the client (DSR). Needs root and a built tree.
# Everything carries a per-run prefix and is removed on exit.
set -u
RUN_ID=${RUN_ID:-ael$$}
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/..
. "$(dirname "$0")/../tests/e2e/lib.sh"
# shellcheck source=tests/e2e/lb_lib.sh source-path=SCRIPTDIR/..
. "$ROOT/tests/e2e/lb_lib.sh"
trap cleanup_lb EXIT

say()
{
	if [ -t 1 ]; then
		printf '\n\033[1m== %s\033[0m\n' "$*"
	else
		printf '\n== %s\n' "$*"
	fi
}

# spread FIRST LAST: which backend served each client port, counted.
spread()
{
	who "$1" "$2" | sort | uniq -c | sed 's/^/    /'
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo-lb: must run as root (XDP, bpffs and network namespaces)" >&2
	exit 1
fi
for f in anyedged anyedgectl xdp_pass.bpf.o decap.bpf.o; do
	[ -e "$BUILD/$f" ] || { echo "demo-lb: $BUILD/$f missing: run make" >&2; exit 1; }
done

say "Client, edge and three backends on one bridge; the VIP $VIP is on every backend's lo"
if ! setup_lb >"$TMP/setup.log" 2>&1; then
	sed 's/^/  | /' "$TMP/setup.log"
	echo "demo-lb: setup failed" >&2
	exit 1
fi
echo "edge config (services: the VIP, its backends, a Maglev table of 1009 slots):"
grep -vE '^[[:space:]]*(#|$)|seed:' "$LB_CONFIG" | sed 's/^/    /'
echo "    (lb.seed: a shared secret, the same on every edge host of the PoP)"
grep -E 'ready|lb:' "$TMP/daemon.log" | sed 's/^/  | /'

say "40 HTTP requests from 40 client ports: each flow hashed to one backend"
echo "[client]\$ curl http://$VIP/who   (x40, client ports 20001-20040)"
spread 20001 20040

say "Replies bypass the edge (DSR): a 1 MiB download through the VIP"
b0=$(edge_bytes)
in_ns "$NS_C" curl -s --max-time 10 -o /dev/null -w '    %{size_download} bytes downloaded\n' \
	"http://$VIP/big"
echo "    $(($(edge_bytes) - b0)) bytes seen by the edge's XDP program (requests and ACKs only)"

say "The same flows again: every one lands on the same backend (the hash is stateless,"
echo "   so any edge host with this config picks the same one after an ECMP change)"
who 20001 20040 >"$TMP/before"
who 20001 20040 >"$TMP/again"
echo "    $(diff "$TMP/before" "$TMP/again" | grep -c '^>') of 40 flows changed backend"

say "Backend b4 joins (SIGHUP reload): Maglev moves about a quarter of the flows, all to b4"
reload_with 1 2 3 4 >/dev/null
who 20001 20040 >"$TMP/after"
paste -d' ' "$TMP/before" "$TMP/after" | awk '$1 != $2 { print $1 " -> " $2 }' |
	sort | uniq -c | sed 's/^/    /'
echo "    $(paste -d' ' "$TMP/before" "$TMP/after" | awk '$1 == $2' | wc -l) of 40 flows kept their backend"

say "Per-service and per-backend counters, read from the pinned maps"
echo "\$ anyedgectl lb"
"${CTL[@]}" lb

say "Stopping anyedged"
stop_daemon
echo "anyedged exit status: $?"
echo "(namespaces, processes and $PIN are removed on exit)"
