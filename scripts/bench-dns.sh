#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-packet cost of the DNS answering paths against a bare XDP reflector,
# three ways (see README "Performance"):
#
#   (a) BPF_PROG_TEST_RUN, repeat=1 on fresh frames, minus XDP_PASS
#   (c) the same with live frames: XDP_TX really sends through a veth
#   (b) real traffic over veth: dns_blast sends 1000 distinct queries per
#       kind from the client namespace as native XDP frames (a live-frames
#       generator redirecting into the client veth: no skb on the server
#       side, as from a NIC); the server veth's NAPI runs as a thread
#       pinned to one CPU. Reported per packet:
#         prog ns  run_time_ns / run_cnt (kernel.bpf_stats_enabled=1):
#                  the XDP program alone
#         cpu ns   the NAPI thread's CPU time (schedstat) / packets: what
#                  the server core spends per answer, receive and XDP_TX
#                  included, like a NIC queue's core
#       and the counters prove every packet took the timed path.
#
#       Every path is offered the same rate (QPS, default 300000), below
#       what each can take, so batching is alike and the ratios compare
#       like with like.
#
#   [ROUNDS=3] scripts/bench-dns.sh [SECONDS per run, default 1] [QPS]
#
# Needs root, build/ (make all build/dns_bench build/dns_blast). Restores
# kernel.bpf_stats_enabled and removes its namespaces on every exit.
set -uo pipefail

SECS=${1:-1}
QPS=${2:-300000}
ROUNDS=${ROUNDS:-3}
# BLAST=skb: queries from an AF_PACKET socket (the server veth copies each
# skb into an XDP frame); default xdp: native XDP frames, NIC-like.
BLAST=${BLAST:-xdp}
BLAST_X=-x
[ "$BLAST" = skb ] && BLAST_X=
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 20 ] &&
	[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 9 ] &&
	[[ $QPS =~ ^[0-9]+$ ]] && [ "$QPS" -ge 1000 ] || {
	echo "usage: $0 [SECONDS 1-20] [QPS >= 1000]" >&2
	exit 2
}
RUN_ID=${RUN_ID:-bd$((RANDOM % 10000))}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"
cd "$ROOT" || exit 2

STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
bench_cleanup()
{
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	cleanup
}
trap bench_cleanup EXIT

SRV_CPU=1
GEN_CPU=0
[ "$(nproc)" -ge 2 ] || { SRV_CPU=0; GEN_CPU=0; }

# NAPI threads of interface $1 in namespace $2 (veth: one per queue).
napi_tids()
{
	ps -eLo tid=,comm= | awk -v p="napi/$1-" 'index($2, p) == 1 { print $1 }'
}

# Threaded NAPI on $1 (in $2), pinned to CPU $3. Threads are re-created on
# every XDP attach/detach: call after each.
napi_pin()
{
	local tid

	ip netns exec "$2" sh -c "echo 1 > /sys/class/net/$1/threaded" || return 1
	sleep 0.2
	for tid in $(napi_tids "$1"); do
		taskset -p -c "$3" "$tid" >/dev/null || return 1
	done
}

napi_ns()
{
	local tid sum=0 t

	for tid in $(napi_tids "$IF_S"); do
		read -r t _ <"/proc/$tid/schedstat" || continue
		sum=$((sum + t))
	done
	echo "$sum"
}

# run_time_ns and run_cnt of the XDP program on the server veth.
prog_stats()
{
	local id

	id=$(ip -n "$NS_S" -j link show dev "$IF_S" | jq -r '.[0].xdp.prog.id // empty')
	[ -n "$id" ] || { echo "0 0"; return 1; }
	bpftool -j prog show id "$id" | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

counter()
{
	"$BUILD/anyedgectl" -j -p "$PIN" stats | jq -r ".$1 // 0"
}

RESULTS=$TMP/results
: >"$RESULTS"

# measure LABEL KIND COUNTER: one run of dns_blast, one result line.
measure()
{
	local label=$1 kind=$2 ctr=$3 c0=0 c1=0 n0 n1 p0 p1 out

	[ "$ctr" = - ] || c0=$(counter "$ctr")
	n0=$(napi_ns)
	p0=$(prog_stats) || return 1
	out=$(in_ns "$NS_C" taskset -c "$GEN_CPU" "$BUILD/dns_blast" -i "$IF_C" -k "$kind" \
		$BLAST_X -t "$SECS" -Q "$QPS" -d "$MAC_S") || return 1
	sleep 0.3
	n1=$(napi_ns)
	p1=$(prog_stats) || return 1
	[ "$ctr" = - ] || c1=$(counter "$ctr")
	echo "$label $p0 $p1 $n0 $n1 $ctr $c0 $c1 ${out#sent }" >>"$RESULTS"
}

setup_two_ns || exit 1
MAC_S=$(ip -n "$NS_S" -j link show dev "$IF_S" | jq -r '.[0].address')
if [ -z "${ONLY_VETH:-}" ]; then	# ONLY_VETH=1: skip (a) and (c)
	echo "# (a) and (c): BPF_PROG_TEST_RUN"
	in_ns "$NS_S" "$BUILD/dns_bench" -r 5 -i "$IF_S" -g "${GEO_EXTRA:-0}" || exit 1
fi

RATE="at $QPS qps"
[ "$BLAST" = skb ] || RATE="saturating the server core"
echo "# (b): real traffic over veth ($BLAST frames), $ROUNDS rounds of ${SECS} s per path" \
	"$RATE, NAPI on CPU $SRV_CPU, generator on CPU $GEN_CPU"
sysctl -qw kernel.bpf_stats_enabled=1
# Replies (XDP_TX) land on the client veth: dropped there by XDP, its NAPI
# on the generator's CPU.
ip -n "$NS_C" link set dev "$IF_C" xdpdrv off
ip -n "$NS_C" link set dev "$IF_C" xdpdrv obj "$BUILD/xdp_drop.bpf.o" sec xdp || exit 1
napi_pin "$IF_C" "$NS_C" "$GEN_CPU" || exit 1

# GEO_EXTRA=N: N more (random, non-overlapping-start) prefixes in the geo
# trie, e.g. 240000 for the size of a real country database.
# write_config [RRL_RATE]: the bench zone; with a rate, dns.rrl per /32.
write_config()
{
	"$BUILD/dns_blast" -w "$TMP" -I "$IF_S" -p "$PIN" -g "${GEO_EXTRA:-0}" -R "${1:-0}"
}

# reload: SIGHUP the daemon, wait (5 s at most) for its next "reloaded".
reload()
{
	local n0 n=50

	n0=$(grep -c reloaded "$TMP/anyedged.log")
	kill -HUP "$DAEMON_PID" || return 1
	while [ "$n" -gt 0 ]; do
		[ "$(grep -c reloaded "$TMP/anyedged.log")" -gt "$n0" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "anyedged did not reload"
	return 1
}

CONFIG=$(write_config) || exit 1
# Rounds alternate the reflector and anyedge so drift (other load on the
# machine) hits both alike; medians over the rounds.
for round in $(seq "$ROUNDS"); do
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/reflector.bpf.o" sec xdp || exit 1
	napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || exit 1
	measure reflector a - || exit 1
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv off

	write_config >/dev/null || exit 1
	start_daemon "$CONFIG" "$TMP/anyedged.log" || exit 1
	napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || exit 1
	measure "static_A" a reason_dns_answered || exit 1
	measure "AAAA(v6)" aaaa reason_dns_answered || exit 1
	measure "NXDOMAIN" nxdomain reason_dns_nxdomain || exit 1
	measure "geo+ECS" geo event_dns_ecs || exit 1
	# RRL on (1M replies/s per /32: it never limits, every answer pays
	# the lookup and the compare-and-swap; the counter proves none was
	# limited).
	write_config 1000000 >/dev/null || exit 1
	reload || exit 1
	measure "A+RRL" a reason_dns_answered || exit 1
	stop_daemon
done

awk '
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return v[int((n + 1) / 2)]
}
{
	label = $1; rt = $4 - $2; rc = $5 - $3; napi = $7 - $6; ctr = $8; cd = $10 - $9
	sent = $11
	if (!(label in seen)) { order[++np] = label; seen[label] = 1 }
	if (rc <= 0) { printf "%s: the program saw no packets\n", label; bad = 1; next }
	progs[label] = progs[label] " " rt / rc
	cpus[label] = cpus[label] " " napi / rc
	pkts[label] += rc
	# The veth ring may drop some of what was sent when the server falls
	# behind; run_cnt may exceed the counter by a few stack packets (IPv6
	# ND, ...). More than 0.1% of those: not the path we meant to time.
	sents[label] += sent
	if (ctr == "-")
		proof[label] = "(all UDP reflected)"
	else {
		ctrs[label] = ctr; got[label] += cd
		if (cd > rc || rc - cd > rc / 1000) { bad = 1; wrong[label] = " != run_cnt: WRONG PATH" }
	}
}
END {
	printf "medians of %d rounds\n", NR / np
	printf "%-10s %9s %9s %8s %6s %8s %6s  %s\n", "path", "sent", "run_cnt", "prog ns", "x refl",
	       "cpu ns", "x refl", "counters"
	for (i = 1; i <= np; i++) {
		l = order[i]; p = median(progs[l]); c = median(cpus[l])
		if (i == 1) { rp = p; rcpu = c }
		pr = (l in proof) ? proof[l] : sprintf("%s +%d", ctrs[l], got[l])
		printf "%-10s %9d %9d %8.0f %6.2f %8.0f %6.2f  %s%s\n", l, sents[l], pkts[l], p, p / rp, c,
		       c / rcpu, pr, wrong[l]
	}
	exit bad
}' "$RESULTS"
