#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-packet cost of the load balancer, a new flow (TCP SYN) and an
# established one (TCP ACK, a conntrack hit), against the bare XDP
# reflector, three ways (see README "Performance"):
#
#   (a) BPF_PROG_TEST_RUN, repeat=1 on fresh frames, minus XDP_PASS
#   (c) the same with live frames: XDP_TX really sends through a veth
#       (both by build/lb_bench)
#   (b) real traffic over veth (tests/bench/bench_lib.sh): dns_blast -x
#       sends native XDP frames from the client namespace, the edge veth's
#       NAPI thread runs pinned to one CPU; per packet `prog ns`
#       (run_time_ns / run_cnt) and `cpu ns` (NAPI thread CPU time /
#       packets), every path in every round, rounds alternating:
#         reflector  1000 distinct UDP flows, reflected (XDP_TX)
#         lb_SYN     every packet a new 5-tuple (hash, Maglev table,
#                    conntrack insert), encapsulated: 300,000 of them,
#                    starting from an empty conntrack
#         lb_SYNfull the same into a full conntrack (every insert evicts
#                    the least recently used entry of its set: a SYN flood;
#                    proved by ct_evictions growing by run_cnt)
#         lb_ACK     1000 established flows (their SYNs sent first),
#                    every packet a conntrack hit, encapsulated
#       The edge routes the backends (203.0.113.0/24) back out of its veth,
#       so the encapsulated frames leave by XDP_TX like the reflector's.
#       Counters prove the path: SYN: new_flows, lru_inserts and packets
#       each grew by run_cnt; ACK: packets by run_cnt, and no new flow, no
#       non-SYN miss, no insert.
#
#   (d) live frames through a generator stub (tests/bench/bench_lib.sh):
#       the same paths, each program on a fresh frame every time in one
#       live-frames test run on the edge's CPU (no ring, no NAPI wake-ups;
#       CPU cost only), with a stub+drop row: the floor in every row.
#       Its own conntrack: 100,000 SYNs into an empty one, 500,000 into a
#       full one (2M untimed SYNs fill it first), 1000 ACKs of established
#       flows. TAIL=0 skips it, TAIL=only skips (b).
#
#   [ROUNDS=3] [ONLY_VETH=1 (skip (a), (c))] [ABLATE=1 [TAIL=only] (see below)] \
#     scripts/bench-lb.sh [SECONDS per run, default 1]
#
# Needs root, build/ (make all build/lb_bench build/dns_blast). Restores
# kernel.bpf_stats_enabled and removes its namespaces on every exit.
set -uo pipefail

SECS=${1:-1}
ROUNDS=${ROUNDS:-3}
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 20 ] &&
	[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 9 ] || {
	echo "usage: [ROUNDS=1-9] $0 [SECONDS 1-20]" >&2
	exit 2
}
RUN_ID=${RUN_ID:-bl$((RANDOM % 10000))}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"
cd "$ROOT" || exit 2
# shellcheck source=tests/bench/bench_lib.sh
. "$ROOT/tests/bench/bench_lib.sh"

if [ -z "${ONLY_VETH:-}" ]; then
	echo "# (a) and (c): BPF_PROG_TEST_RUN (build/lb_bench -r 10)"
	"$BUILD/lb_bench" -r 10 || exit 1
fi

# bench_counter NAME: a counter of the one service (anyedgectl lb).
bench_counter()
{
	"$BUILD/anyedgectl" -j -p "$PIN" lb | jq -r ".services[0].$1 // 0"
}

setup_two_ns || exit 1
bench_setup || exit 1
# The backends' next hop: the client veth (its XDP drops what arrives).
in_ns "$NS_S" sysctl -qw net.ipv4.conf.all.forwarding=1 || exit 1
ip -n "$NS_S" neigh add 192.0.2.1 lladdr "$MAC_C" dev "$IF_S" nud permanent || exit 1
ip -n "$NS_S" route add 203.0.113.0/24 via 192.0.2.1 dev "$IF_S" || exit 1

CONFIG=$TMP/lb.yaml
cat >"$CONFIG" <<EOC || exit 1
pin_path: $PIN
interfaces:
  - name: $IF_S
    mode: auto
lb:
  seed: 00112233445566778899aabbccddeeff
  source4: 192.0.2.0/24
services:
  - vip: 192.0.2.80
    proto: tcp
    port: 80
    backends: [{address: 203.0.113.1}, {address: 203.0.113.2}, {address: 203.0.113.3}]
EOC

echo "# (b): real traffic over veth (native XDP frames), $ROUNDS rounds of ${SECS} s per path" \
	"saturating the edge core, NAPI on CPU $SRV_CPU, generator on CPU $GEN_CPU"
SYN_BASE=1000	# flows 0..999 are the ACK run's
# lb.conntrack_size unset: 524288 (EDGE_LB_CT4_TOTAL) over the possible CPUs,
# at least 16384 (include/edge_lb.h, edge_lb_ct_auto()).
CT_PER_CPU=$((524288 / $(getconf _NPROCESSORS_CONF) / 4 * 4))
[ "$CT_PER_CPU" -ge 16384 ] || CT_PER_CPU=16384
SYN_PROOFS="new_flows lru_inserts packets"
# syn_run LABEL PROOFS DNS_BLAST_ARG...: new flows from SYN_BASE on.
syn_run()
{
	local label=$1 proofs=$2

	shift 2
	bench_measure "$label" "$proofs" -k syn -x -V "$SYN_BASE" "$@" || return 1
	SYN_BASE=$((SYN_BASE + $(tail -n1 "$RESULTS" | cut -d' ' -f8)))
}

# set_stop N: edge_lb_bench_stop (bpf/lb.h) in the running program's .bss:
# from then on it stops after stage N (0: the full path).
set_stop()
{
	local pid btf off size v i bss

	pid=$(ip -n "$NS_S" -j link show dev "$IF_S" | jq -r '.[0].xdp.prog.id // empty')
	[ -n "$pid" ] || return 1
	for i in $(bpftool -j prog show id "$pid" | jq -r '.map_ids[]'); do
		bpftool -j map show id "$i" | jq -e '.name | endswith(".bss")' >/dev/null && bss=$i
	done
	btf=$(bpftool -j prog show id "$pid" | jq -r '.btf_id')
	off=$(bpftool btf dump id "$btf" |
		sed -n "/DATASEC '.bss'/,/DATASEC/s/.*offset=\([0-9]*\) size=4 (VAR 'edge_lb_bench_stop')/\1/p")
	size=$(bpftool -j map show id "${bss:-0}" | jq -r '.bytes_value')
	[ -n "$off" ] && [ -n "$size" ] || return 1
	v=()
	for ((i = 0; i < size; i++)); do
		v+=($((i == off ? $1 : 0)))
	done
	bpftool map update id "$bss" key 0 0 0 0 value "${v[@]}"
}

# ABLATE=1 TAIL=only: the same stages by (d), ns per frame: a full
# conntrack first (2M SYNs), then 300,000 new flows per SYN stage (every
# insert evicts) and the 1000 ACK flows per ACK stage; stage 2 is the
# packet parsed, the service VIP found, nothing of the conntrack yet.
if [ -n "${ABLATE:-}" ] && [ "${TAIL:-1}" = only ]; then
	for _ in $(seq "$ROUNDS"); do
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/reflector.bpf.o" sec xdp ||
			exit 1
		bench_tail reflector - -k udp || exit 1
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv off
		rm -f "$PIN/edge_lb_ct4" "$PIN/edge_lb_ct6"
		start_daemon "$CONFIG" "$TMP/anyedged.log" || exit 1
		TAIL_N=2000000 bench_tail fill - -k syn -V "$SYN_BASE" || exit 1
		sed -i '$d' "$RESULTS_T"
		SYN_BASE=$((SYN_BASE + 2000000))
		for n in 2 7 8 9 10 0; do
			set_stop "$n" || exit 1
			TAIL_N=300000 bench_tail "SYN_stop$n" - -k syn -V "$SYN_BASE" || exit 1
			SYN_BASE=$((SYN_BASE + 300000))
		done
		set_stop 0
		TAIL_N=2000 bench_tail syns - -k syn || exit 1
		sed -i '$d' "$RESULTS_T"
		for n in 1 2 3 4 5 6 0; do
			set_stop "$n" || exit 1
			bench_tail "ACK_stop$n" - -k ack || exit 1
		done
		stop_daemon
	done
	bench_tail_report
	exit
fi

# ABLATE=1: per-stage prog ns with real traffic instead (the stages of
# lb_bench -a): the daemon's program stops after stage N and drops, so
# compare prog ns only (a drop is no XDP_TX). Every round on a new
# conntrack; the SYN stages that insert (10, 0) add 200,000 flows each.
if [ -n "${ABLATE:-}" ]; then
	for _ in $(seq "$ROUNDS"); do
		rm -f "$PIN/edge_lb_ct4" "$PIN/edge_lb_ct6"
		start_daemon "$CONFIG" "$TMP/anyedged.log" || exit 1
		napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || exit 1
		for n in 7 8 9 10 0; do
			set_stop "$n" || exit 1
			syn_run "SYN_stop$n" - -n 200000 || exit 1
		done
		set_stop 0
		in_ns "$NS_C" "$BUILD/dns_blast" -i "$IF_C" -d "$MAC_S" -k syn -x -n 2000 -P \
			>/dev/null || exit 1
		for n in 1 2 3 4 5 6 0; do
			set_stop "$n" || exit 1
			bench_measure "ACK_stop$n" - -k ack -x || exit 1
		done
		stop_daemon
	done
	bench_report
	exit
fi

# tail_round: the (d) paths, on a new conntrack.
tail_round()
{
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/reflector.bpf.o" sec xdp || return 1
	bench_tail reflector - -k udp || return 1
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv off
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/xdp_drop.bpf.o" sec xdp || return 1
	bench_tail stub+drop - -k udp || return 1
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv off

	rm -f "$PIN/edge_lb_ct4" "$PIN/edge_lb_ct6"
	start_daemon "$CONFIG" "$TMP/anyedged.log" || return 1
	TAIL_N=100000 bench_tail lb_SYN "$SYN_PROOFS" -k syn -V "$SYN_BASE" || return 1
	SYN_BASE=$((SYN_BASE + 100000))
	TAIL_N=2000000 bench_tail fill - -k syn -V "$SYN_BASE" || return 1
	sed -i '$d' "$RESULTS_T"
	SYN_BASE=$((SYN_BASE + 2000000))
	TAIL_N=500000 bench_tail lb_SYNfull "$SYN_PROOFS ct_evictions" -k syn -V "$SYN_BASE" ||
		return 1
	SYN_BASE=$((SYN_BASE + 500000))
	TAIL_N=2000 bench_tail syns - -k syn || return 1
	sed -i '$d' "$RESULTS_T"
	bench_tail "lb_ACK" "packets !new_flows !nonsyn_misses !lru_inserts" -k ack || return 1
	stop_daemon
}

for _ in $(seq "$ROUNDS"); do
	if [ "${TAIL:-1}" != 0 ]; then
		tail_round || exit 1
	fi
	[ "${TAIL:-1}" = only ] && continue
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$BUILD/reflector.bpf.o" sec xdp || exit 1
	napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || exit 1
	bench_measure reflector - -k udp -x || exit 1
	ip -n "$NS_S" link set dev "$IF_S" xdpdrv off

	# A new, empty conntrack (the pinned one would outlive the restart).
	rm -f "$PIN/edge_lb_ct4" "$PIN/edge_lb_ct6"
	start_daemon "$CONFIG" "$TMP/anyedged.log" || exit 1
	napi_pin "$IF_S" "$NS_S" "$SRV_CPU" || exit 1
	syn_run lb_SYN "$SYN_PROOFS" -n 300000 || exit 1
	# Not timed: 2 s of new flows fill the conntrack (the NAPI CPU's part:
	# lb.conntrack_size entries in sets of 4; hashing leaves some ways free
	# until several times that many have come); from then on every insert
	# evicts, as in a SYN flood: lb_SYNfull proves it by ct_evictions.
	syn_run fill - -t 2 || exit 1
	read -r _ _ r0 _ r1 _ <<<"$(tail -n1 "$RESULTS")"
	sed -i '$d' "$RESULTS"
	[ $((r1 - r0)) -ge $((4 * CT_PER_CPU)) ] ||
		echo "warning: only $((r1 - r0)) new flows to fill the conntrack: not full" >&2
	syn_run lb_SYNfull "$SYN_PROOFS ct_evictions" || exit 1
	# The ACK flows' SYNs (twice over, paced: none lost on the veth ring).
	in_ns "$NS_C" "$BUILD/dns_blast" -i "$IF_C" -d "$MAC_S" -k syn -x -n 2000 -P >/dev/null || exit 1
	sleep 0.2
	bench_measure "lb_ACK" "packets !new_flows !nonsyn_misses !lru_inserts" -k ack -x || exit 1
	stop_daemon
done

[ "${TAIL:-1}" = only ] || bench_report || exit 1
[ "${TAIL:-1}" = 0 ] || bench_tail_report
