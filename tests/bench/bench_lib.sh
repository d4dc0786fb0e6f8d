# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the benchmarks over veth (scripts/bench-dns.sh,
# scripts/bench-lb.sh); source tests/e2e/lib.sh first, call setup_two_ns,
# then bench_setup. Method (README "Performance", mode (b)):
#
#   dns_blast -x in the client namespace (on GEN_CPU) sends native XDP
#   frames into ${P}c0; the server veth ${P}s0 runs the program under test
#   in its NAPI thread, pinned to SRV_CPU; what it sends back (XDP_TX) is
#   dropped by XDP on ${P}c0, whose NAPI runs on GEN_CPU. CLIENT_RX=0: no
#   XDP on ${P}c0, so the veth refuses what the server sends back and the
#   server frees it at once (as a NIC frees sent frames in its own NAPI);
#   the generator's CPU then only generates. Per packet:
#     prog ns  run_time_ns / run_cnt (kernel.bpf_stats_enabled=1): the XDP
#              program alone
#     cpu ns   the server NAPI thread's CPU time (schedstat) / packets: what
#              the server core spends per packet, receive and XDP_TX
#              included, like a NIC queue's core
#   and counters prove that every packet took the timed path. Also shown:
#   the x refl ratio of each round against that round's reflector (min-max
#   over the rounds), and busy: the server thread's CPU time / the run's
#   wall time (median), near 100% when the server core is saturated.
#
# The caller defines bench_counter NAME (prints a counter's value) and sets
# SECS; bench_measure appends one line per run to $RESULTS and
# bench_report prints the medians over the rounds, the first path being the
# yardstick (x refl).

# shellcheck disable=SC2034 # used by the scripts that source this
SRV_CPU=1
GEN_CPU=0
[ "$(nproc)" -ge 2 ] || { SRV_CPU=0; GEN_CPU=0; }
RESULTS=$TMP/results

# One benchmark at a time on this machine: two would share the cores and
# toggle kernel.bpf_stats_enabled under each other. The lock is held (fd 9)
# until the script exits; BENCH_LOCK_WAIT seconds at most, then give up.
exec 9>"${BENCH_LOCK:-/tmp/anyedge-bench.lock}"
if ! flock -n 9; then
	echo "bench: another benchmark runs; waiting (at most ${BENCH_LOCK_WAIT:-1800} s)" >&2
	flock -w "${BENCH_LOCK_WAIT:-1800}" 9 || { echo "bench: lock not free, giving up" >&2; exit 1; }
fi
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)

bench_cleanup()
{
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	cleanup
}

# NAPI threads of interface $1 (veth: one per queue).
napi_tids()
{
	ps -eLo tid=,comm= | awk -v p="napi/$1-" 'index($2, p) == 1 { print $1 }'
}

# Threaded NAPI on $1 (in namespace $2), pinned to CPU $3. Threads are
# re-created on every XDP attach/detach: call after each.
napi_pin()
{
	local tid n=5

	# Right after an attach the write may fail (EIO): a few tries.
	until ip netns exec "$2" sh -c "echo 1 > /sys/class/net/$1/threaded" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || { echo "napi_pin: cannot make $1's NAPI threaded" >&2; return 1; }
		sleep 0.2
	done
	sleep 0.2
	for tid in $(napi_tids "$1"); do
		taskset -p -c "$3" "$tid" >/dev/null || return 1
	done
}

# CPU time (ns) of the server veth's NAPI threads so far.
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

# bench_setup: stats on, the client veth dropping what comes back (XDP, NAPI
# on GEN_CPU); MAC_S the server veth's address (the frames' destination).
bench_setup()
{
	trap bench_cleanup EXIT
	: >"$RESULTS"
	: >"$RESULTS_T"
	MAC_S=$(ip -n "$NS_S" -j link show dev "$IF_S" | jq -r '.[0].address')
	# shellcheck disable=SC2034
	MAC_C=$(ip -n "$NS_C" -j link show dev "$IF_C" | jq -r '.[0].address')
	sysctl -qw kernel.bpf_stats_enabled=1 || return 1
	ip -n "$NS_C" link set dev "$IF_C" xdpdrv off
	[ "${CLIENT_RX:-1}" = 0 ] && return 0
	ip -n "$NS_C" link set dev "$IF_C" xdpdrv obj "$BUILD/xdp_drop.bpf.o" sec xdp || return 1
	napi_pin "$IF_C" "$NS_C" "$GEN_CPU"
}

# counters_now PROOFS: each proof's counter now (bench_counter), as
# NAME=VALUE words; PROOFS "-" for none.
counters_now()
{
	local name

	[ "$1" = - ] && return 0
	for name in $1; do
		printf '%s=%s ' "$name" "$(bench_counter "${name#!}")"
	done
}

# counters_grown BEFORE AFTER (two counters_now): " NAME=GROWTH" words.
counters_grown()
{
	local -a b a
	local i

	read -ra b <<<"$1"
	read -ra a <<<"$2"
	for i in "${!a[@]}"; do
		printf ' %s=%s' "${a[i]%%=*}" $((${a[i]##*=} - ${b[i]##*=}))
	done
}

# bench_measure LABEL PROOFS DNS_BLAST_ARG...: one run of dns_blast (-i, -t
# and -d given here), one result line. PROOFS: counter names (see
# bench_counter) whose growth must equal the program's run count (within
# 0.1%: a few stack packets, IPv6 ND and such, also run it), or !NAME for
# one that must not grow; "-" for none.
bench_measure()
{
	local label=$1 proofs=$2 c0 line out sent wall n0 n1 p0 p1

	shift 2
	c0=$(counters_now "$proofs")
	n0=$(napi_ns)
	p0=$(prog_stats) || return 1
	out=$(in_ns "$NS_C" taskset -c "$GEN_CPU" "$BUILD/dns_blast" -i "$IF_C" -t "$SECS" \
		-d "$MAC_S" "$@") || return 1
	sleep 0.3
	n1=$(napi_ns)
	p1=$(prog_stats) || return 1
	sent=${out#sent }
	wall=${sent#* in }
	line="$label $p0 $p1 $n0 $n1 ${sent%% *} ${wall%% *}"
	line+=$(counters_grown "$c0" "$(counters_now "$proofs")")
	echo "$line" >>"$RESULTS"
}

# awk functions of both reports: median and min-max of a list of numbers.
# shellcheck disable=SC2016 # awk code, not shell
BENCH_AWK='
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return v[int((n + 1) / 2)]
}
function span(list,    v, n, i, lo, hi) {
	n = split(list, v, " ")
	lo = hi = v[1]
	for (i = 2; i <= n; i++) {
		if (v[i] + 0 < lo + 0) lo = v[i]
		if (v[i] + 0 > hi + 0) hi = v[i]
	}
	return sprintf("%.2f-%.2f", lo, hi)
}
'

# Method (d), live frames through a generator stub: dns_blast -T runs in
# the server namespace, on SRV_CPU, as one live-frames test run on the
# server veth: blast.bpf.c writes a fresh frame and tail-calls the program
# attached to ${P}s0, whose XDP_TX really sends through the veth; the test
# run's timer (which stops while the task is scheduled out) gives ns per
# frame. No receive ring, no NAPI wake-ups: CPU cost only, comparable
# under any load. For these runs the client veth has no XDP (the veth
# refuses what comes back and the server CPU frees it, as a NIC frees
# sent frames: nothing crosses to the other CPU) and
# kernel.bpf_stats_enabled is 0 (its two clock reads per run are not the
# program's). The stub's own cost is the stub+drop row's (a tail call into
# XDP_DROP) and is in every row alike. TAIL_N frames per run.
TAIL_N=${TAIL_N:-2000000}
RESULTS_T=$TMP/results_tail

# bench_tail LABEL PROOFS DNS_BLAST_ARG...: one such run, one result line.
# PROOFS as for bench_measure; here each must grow by exactly TAIL_N (which
# a caller may set for one run: TAIL_N=300000 bench_tail ...).
bench_tail()
{
	local label=$1 proofs=$2 c0 out ns line

	shift 2
	c0=$(counters_now "$proofs")
	[ "${CLIENT_RX:-1}" = 0 ] || ip -n "$NS_C" link set dev "$IF_C" xdpdrv off
	sysctl -qw kernel.bpf_stats_enabled=0
	out=$(in_ns "$NS_S" taskset -c "$SRV_CPU" "$BUILD/dns_blast" -i "$IF_S" -d "$MAC_S" -x -T \
		-n "$TAIL_N" "$@") || return 1
	sysctl -qw kernel.bpf_stats_enabled=1
	if [ "${CLIENT_RX:-1}" != 0 ]; then
		ip -n "$NS_C" link set dev "$IF_C" xdpdrv obj "$BUILD/xdp_drop.bpf.o" sec xdp ||
			return 1
		napi_pin "$IF_C" "$NS_C" "$GEN_CPU" || return 1
	fi
	ns=${out##*, }
	line="$label ${ns%% *} $TAIL_N"
	line+=$(counters_grown "$c0" "$(counters_now "$proofs")")
	echo "$line" >>"$RESULTS_T"
}

# bench_tail_report: medians of ns per frame, x the path named reflector,
# and each round's ratio (min-max); a proof that did not grow by exactly
# TAIL_N (or, for !NAME, grew) marks the row WRONG PATH and fails.
bench_tail_report()
{
	echo "# (d): live frames through a generator stub, fresh frames (TAIL_N=$TAIL_N per run" \
		"unless set), on CPU $SRV_CPU"
	awk "$BENCH_AWK"'
{
	label = $1
	pr[label] = ""
	if (!(label in seen)) { order[++np] = label; seen[label] = 1 }
	if (label == "reflector") { round++; refl[round] = $2 }
	ns[label] = ns[label] " " $2
	r[label] = r[label] " " (refl[round] > 0 ? $2 / refl[round] : 0)
	for (k = 4; k <= NF; k++) {
		split($k, kv, "=")
		if (substr(kv[1], 1, 1) == "!" ? kv[2] != 0 : kv[2] != $3) { bad = 1; wrong[label] = wrong[label] " WRONG PATH (" $k ")" }
		pr[label] = pr[label] " " $k
	}
}
END {
	printf "%-10s %8s %6s %11s  %s\n", "path", "ns/frame", "x refl", "(rounds)", "counters grown (last round)"
	rm = median(ns["reflector"])
	for (i = 1; i <= np; i++) {
		l = order[i]; m = median(ns[l])
		printf "%-10s %8.1f %6.2f %11s %s%s\n", l, m, (rm > 0 ? m / rm : 0),
		       l == "reflector" ? "" : span(r[l]), pr[l], wrong[l]
	}
	exit bad
}' "$RESULTS_T"
}

# bench_report: medians over the rounds, per path in the order first seen.
bench_report()
{
	awk "$BENCH_AWK"'
{
	label = $1; rt = $4 - $2; rc = $5 - $3; napi = $7 - $6; sent = $8
	if (!(label in seen)) { order[++np] = label; seen[label] = 1; nk[label] = NF - 9 }
	if (rc <= 0) { printf "%s: the program saw no packets\n", label; bad = 1; next }
	# Each round starts with the yardstick: ratios per round as well.
	if (label == order[1])
		ycpu = napi / rc
	else
		ratios[label] = ratios[label] " " napi / rc / ycpu
	progs[label] = progs[label] " " rt / rc
	cpus[label] = cpus[label] " " napi / rc
	busys[label] = busys[label] " " napi / ($9 * 1e9) * 100
	pkts[label] += rc
	sents[label] += sent
	# The veth ring may drop some of what was sent when the server falls
	# behind; run_cnt may exceed a counter by a few stack packets.
	for (k = 10; k <= NF; k++) {
		split($k, kv, "=")
		name = kv[1]; d = kv[2] + 0
		key = label SUBSEP (k - 9)
		names[key] = name; got[key] += d
		if (substr(name, 1, 1) == "!") {
			if (d != 0) { bad = 1; wrong[label] = " WRONG PATH" }
		} else if (d > rc || rc - d > rc / 1000) {
			bad = 1; wrong[label] = " WRONG PATH"
		}
	}
}
END {
	printf "medians of %d rounds\n", NR / np
	printf "%-10s %9s %9s %8s %6s %8s %6s %11s %5s  %s\n", "path", "sent", "run_cnt", "prog ns",
	       "x refl", "cpu ns", "x refl", "(rounds)", "busy", "counters grown (all run_cnt, !: none)"
	for (i = 1; i <= np; i++) {
		l = order[i]; p = median(progs[l]); c = median(cpus[l])
		if (i == 1) { rp = p; rcpu = c }
		pr = ""
		for (k = 1; k <= nk[l]; k++)
			pr = pr sprintf("%s%s +%d", k > 1 ? ", " : "", names[l SUBSEP k], got[l SUBSEP k])
		if (pr == "")
			pr = "-"
		rg = i == 1 ? "" : span(ratios[l])
		printf "%-10s %9d %9d %8.0f %6.2f %8.0f %6.2f %11s %4.0f%%  %s%s\n", l, sents[l], pkts[l],
		       p, p / rp, c, c / rcpu, rg, median(busys[l]), pr, wrong[l]
	}
	exit bad
}' "$RESULTS"
}
