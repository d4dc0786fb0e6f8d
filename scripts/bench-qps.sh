#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Answered queries per second over veth: anyedge (answering in XDP) and
# knotd serving the same zone (written by `anyedged --emit-zone`), one run
# each with the same generator settings: kxdpgun (knot-dnsutils) in the
# client namespace on CPU 0, 1000 distinct names, QPS offered for SECONDS.
# The server veth's NAPI runs as a thread pinned to CPU 1; knotd (one UDP
# worker) is pinned there too, so each responder has one core. For knotd the
# server veth runs XDP_PASS, which keeps its receive work on that thread.
#
#   scripts/bench-qps.sh [SECONDS, default 5] [QPS offered, default 1000000]
#
# Needs root, kxdpgun and knotd (scripts/install-deps.sh), build/.
set -uo pipefail

SECS=${1:-5}
QPS=${2:-1000000}
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 20 ] &&
	[[ $QPS =~ ^[0-9]+$ ]] && [ "$QPS" -ge 1000 ] || {
	echo "usage: $0 [SECONDS 1-20] [QPS >= 1000]" >&2
	exit 2
}
RUN_ID=${RUN_ID:-bq$((RANDOM % 10000))}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"
cd "$ROOT" || exit 2

for tool in kxdpgun knotd jq; do
	command -v "$tool" >/dev/null || { echo "bench-qps: $tool not installed (skipped)"; exit 0; }
done
SRV_CPU=1
GEN_CPU=0
[ "$(nproc)" -ge 2 ] || SRV_CPU=0

napi_pin()
{
	local tid

	ip netns exec "$NS_S" sh -c "echo 1 > /sys/class/net/$IF_S/threaded" || return 1
	sleep 0.2
	for tid in $(ps -eLo tid=,comm= | awk -v p="napi/$IF_S-" 'index($2, p) == 1 { print $1 }'); do
		taskset -p -c "$SRV_CPU" "$tid" >/dev/null || return 1
	done
}

# The client veth's NAPI (replies into kxdpgun's AF_XDP socket) as a thread
# on the generator's CPU: left alone it runs as softirq on the CPU that sent
# the reply, the responder's. kxdpgun attaches its program (which creates
# the NAPI) at start, so pin shortly after.
pin_client_napi()
{
	local tid

	sleep 0.5
	ip netns exec "$NS_C" sh -c "echo 1 > /sys/class/net/$IF_C/threaded" || return 1
	sleep 0.2
	for tid in $(ps -eLo tid=,comm= | awk -v p="napi/$IF_C-" 'index($2, p) == 1 { print $1 }'); do
		taskset -p -c "$GEN_CPU" "$tid" >/dev/null
	done
}

# kxdpgun LABEL: one run against the VIP; prints one result line.
gun()
{
	local out

	pin_client_napi &
	out=$(in_ns "$NS_C" timeout $((SECS + 15)) kxdpgun -t "$SECS" -Q "$QPS" -F "$GEN_CPU" \
		-I "$IF_C" -i "$TMP/queries.txt" "$VIP4" 2>&1) || {
		echo "$1: kxdpgun failed:"
		echo "$out" | sed 's/^/  | /'
		return 1
	}
	echo "$out" | awk -v l="$1" '
		/^total queries:/ { q = $3; gsub(/[(]/, "", $4); qps = $4 }
		/^total replies:/ { r = $3; gsub(/[(]/, "", $4); rps = $4; pct = $6 }
		/^responded NOERROR:/ { ok = $3 }
		END { printf "%-22s %10s %12s %8s %10s\n", l, qps, rps, pct, ok }'
}

setup_two_ns || exit 1
# kxdpgun attaches its own XDP program to the client veth.
ip -n "$NS_C" link set dev "$IF_C" xdpdrv off
for ifn in "$IF_C" "$IF_S"; do
	ns=$NS_S
	[ "$ifn" = "$IF_C" ] && ns=$NS_C
	in_ns "$ns" tc qdisc replace dev "$ifn" root pfifo limit 1000 || exit 1
done
for i in $(seq 0 999); do echo "n$i.example.com A"; done >"$TMP/queries.txt"
in_ns "$NS_C" ping -c 1 -W 1 192.0.2.2 >/dev/null || exit 1

CONFIG=$("$BUILD/dns_blast" -w "$TMP" -I "$IF_S" -p "$PIN") || exit 1
mkdir -p "$TMP/zones" "$TMP/knot"
"$BUILD/anyedged" -c "$CONFIG" --emit-zone "$TMP/zones" >/dev/null || exit 1

echo "# kxdpgun -t $SECS -Q $QPS, 1000 names; responder on CPU $SRV_CPU, generator on CPU $GEN_CPU"
printf "%-22s %10s %12s %8s %10s\n" responder "sent qps" "answered qps" answered NOERROR

start_daemon "$CONFIG" "$TMP/anyedged.log" || exit 1
napi_pin || exit 1
c0=$("$BUILD/anyedgectl" -j -p "$PIN" stats | jq -r .reason_dns_answered)
gun "anyedge (XDP)" || exit 1
c1=$("$BUILD/anyedgectl" -j -p "$PIN" stats | jq -r .reason_dns_answered)
stop_daemon
# kxdpgun's receive side shares the generator's core: when it cannot keep
# up, "answered" above counts what it took in, not what was sent back.
echo "  anyedge sent $(((c1 - c0) / SECS)) answers/s (reason_dns_answered +$((c1 - c0)))"

cat >"$TMP/knot/knot.conf" <<EOF
server:
    rundir: "$TMP/knot"
    listen: $VIP4@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$TMP/knot"
log:
  - target: stderr
    any: error
zone:
  - domain: example.com
    storage: "$TMP/zones"
    file: example.com.zone
EOF
ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/xdp_pass.bpf.o" sec xdp || exit 1
napi_pin || exit 1
# nsenter, not the in_ns function: a backgrounded function is a subshell,
# and $! would be its PID, not knotd's.
nsenter --net="/run/netns/$NS_S" knotd -c "$TMP/knot/knot.conf" >"$TMP/knotd.log" 2>&1 &
KNOT_PID=$!
PIDS+=("$KNOT_PID")
for _ in $(seq 50); do
	in_ns "$NS_C" kdig +short +timeout=1 +tries=1 @"$VIP4" n1.example.com A 2>/dev/null |
		grep -q . && break
	sleep 0.1
done
taskset -a -p -c "$SRV_CPU" "$KNOT_PID" >/dev/null || exit 1
gun "knotd $(knotd -V | awk '{print $NF}') (sockets)" || { sed 's/^/  | /' "$TMP/knotd.log"; exit 1; }
kill -TERM "$KNOT_PID"
wait_gone "$KNOT_PID" 50
