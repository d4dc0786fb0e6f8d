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
#   (d) live frames through a generator stub (tests/bench/bench_lib.sh):
#       each path's program (and the reflector) on a fresh frame every
#       time, XDP_TX through the veth, timed by one live-frames test run
#       on the server's CPU: no receive ring, no NAPI wake-ups, so the
#       figure holds under load; the stub+drop row is the floor every row
#       contains. TAIL=0 skips it, TAIL=only skips (b).
#
#   [ROUNDS=3] scripts/bench-dns.sh [SECONDS per run, default 1] [QPS]
#
# STAGES="1 2 ... 14 0" (ablation with real traffic, method (b) only):
# instead of the daemon, `dns_bench -A` attaches build/edge_stages.bpf.o
# (bpf/dns.h DNS_STAGE: the program stops after that stage and passes the
# packet; 0 = the full path) and every stage is timed for STAGE_KINDS
# (default "a geo"); the prog ns column is the figure (a stopped packet
# goes to the kernel stack, so its cpu ns is not comparable). Counters are
# not checked there (the stop passes every packet by design).
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

# shellcheck source=tests/bench/bench_lib.sh
. "$ROOT/tests/bench/bench_lib.sh"

bench_counter()
{
	"$BUILD/anyedgectl" -j -p "$PIN" stats | jq -r ".$1 // 0"
}

# measure LABEL KIND COUNTER: one run of dns_blast, one result line; and
# one of method (d) (tests/bench/bench_lib.sh) unless TAIL=0 or staging.
measure()
{
	# shellcheck disable=SC2086 # BLAST_X: one word or none
	[ "${TAIL:-1}" = only ] || bench_measure "$1" "$3" -k "$2" $BLAST_X -Q "$QPS" || return 1
	[ "${TAIL:-1}" = 0 ] || [ -n "${STAGES:-}" ] || bench_tail "$1" "$3" -k "$2"
}

setup_two_ns || exit 1
bench_setup || exit 1
if [ -z "${ONLY_VETH:-}" ]; then	# ONLY_VETH=1: skip (a) and (c)
	echo "# (a) and (c): BPF_PROG_TEST_RUN"
	in_ns "$NS_S" "$BUILD/dns_bench" -r 5 -i "$IF_S" -g "${GEO_EXTRA:-0}" || exit 1
fi

RATE="at $QPS qps"
[ "$BLAST" = skb ] || RATE="saturating the server core"
echo "# (b): real traffic over veth ($BLAST frames), $ROUNDS rounds of ${SECS} s per path" \
	"$RATE, NAPI on CPU $SRV_CPU, generator on CPU $GEN_CPU"
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

# stage_run: the STAGES ablation (see the top), then the table.
stage_run()
{
	local st kind n=50 pin="/sys/fs/bpf/anyedge-$P-stage"

	bg_ns "$NS_S" "$BUILD/dns_bench" -A "$IF_S" -P "$pin" -g "${GEO_EXTRA:-0}" \
		>"$TMP/stages.log" 2>&1
	while [ "$n" -gt 0 ] && ! grep -q attached "$TMP/stages.log"; do
		sleep 0.1
		n=$((n - 1))
	done
	grep -q attached "$TMP/stages.log" || { cat "$TMP/stages.log"; return 1; }
	for _ in $(seq "$ROUNDS"); do
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv off
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/reflector.bpf.o" sec xdp ||
			return 1
		napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || return 1
		measure reflector a - || return 1
		# Back to the stages program (dns_bench still holds it).
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv off
		in_ns "$NS_S" ip link set dev "$IF_S" xdpdrv pinned "${pin}_prog" || return 1
		napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || return 1
		for st in $STAGES; do
			bpftool map update pinned "$pin" key 0 0 0 0 value "$st" 0 0 0 || return 1
			for kind in ${STAGE_KINDS:-a geo}; do
				measure "s$st:$kind" "$kind" - || return 1
			done
		done
	done
}

CONFIG=$(write_config) || exit 1
if [ -n "${STAGES:-}" ]; then
	stage_run || exit 1
	ROUNDS=0	# the loop below is the daemon's
fi
# Rounds alternate the reflector and anyedge so drift (other load on the
# machine) hits both alike; medians over the rounds.
for _ in $(seq "$ROUNDS"); do
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/reflector.bpf.o" sec xdp || exit 1
	napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || exit 1
	measure reflector a - || exit 1
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv off
	if [ "${TAIL:-1}" != 0 ]; then
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/xdp_drop.bpf.o" sec xdp || exit 1
		bench_tail stub+drop - -k a || exit 1
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv off
	fi

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

[ "${TAIL:-1}" = only ] || bench_report || exit 1
[ "${TAIL:-1}" = 0 ] || [ "$ROUNDS" = 0 ] || bench_tail_report
