# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the end-to-end tests (source it; needs root).
#
# Topology made by setup_two_ns, all names carrying a per-run prefix $P:
#
#   netns ${P}c (client)                 netns ${P}s (server, anyedged)
#   ${P}c0 192.0.2.1/24, 2001:db8::1/64  ${P}s0 192.0.2.2/24, 2001:db8::2/64
#   XDP_PASS attached (native)  <-veth-> edge program attached by the daemon
#   routes to the VIPs via .2 / ::2      lo: 192.0.2.53/32, 2001:db8::53/128
#
# Tests are functions named test_*; run_tests runs them in order and prints
# `ok NAME`, `FAIL NAME: reason` or `skip NAME: reason` for each. A test
# returns 0 for ok, 1 (after `fail REASON`) for FAIL and 77 (after `skip
# REASON`, or through `need TOOL...`) for skip. cleanup runs on every exit.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
# shellcheck disable=SC2034 # used by the tests that source this
PY=/usr/bin/python3	# Debian's, with dnspython

# Interface names must stay below 16 characters: ${P}c0 with P <= 12.
P=${RUN_ID:-ae$$}
if [ ${#P} -gt 12 ] || [[ ! $P =~ ^[a-z0-9]+$ ]]; then
	echo "lib.sh: RUN_ID '$P' must be 1-12 of [a-z0-9]" >&2
	exit 2
fi
NS_C=${P}c
NS_S=${P}s
IF_C=${P}c0
IF_S=${P}s0
PIN=/sys/fs/bpf/anyedge-$P
VIP4=192.0.2.53
VIP6=2001:db8::53

TMP=$(mktemp -d "/tmp/anyedge-$P.XXXXXX")
PIDS=()			# background processes this run started
PIN_DIRS=("$PIN")	# pin directories this run may have created
DAEMON_PID=
REASON=

# Run a command in one of our network namespaces. nsenter --net changes
# only the network namespace; `ip netns exec` would also remount /sys, and
# pins made there would be invisible to anyedgectl in the root namespace.
in_ns()
{
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# bg_ns NS CMD...: start CMD in NS in the background; BG_PID is its PID
# (added to PIDS for cleanup). `in_ns ... &` would background a subshell
# running the function, and killing $! would leave CMD running.
bg_ns()
{
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# Is the process running? A child that exited stays a zombie until it is
# waited for, and kill -0 still succeeds on a zombie.
alive()
{
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ -n "$stat" ] && [ "${stat%% *}" != Z ]
}

# Wait until a process is gone: at most $2 tenths of a second.
wait_gone()
{
	local pid=$1 n=${2:-100}

	while [ "$n" -gt 0 ] && alive "$pid"; do
		sleep 0.1
		n=$((n - 1))
	done
	! alive "$pid"
}

cleanup()
{
	local pid ns dir

	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		alive "$pid" || continue
		kill -TERM "$pid" 2>/dev/null
		wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null
	done
	for ns in "$NS_C" "$NS_S"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns"
	done
	for dir in "${PIN_DIRS[@]}"; do
		[ -d "$dir" ] && rm -rf -- "$dir"
	done
	rm -rf -- "$TMP"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Pinning needs a bpffs at /sys/fs/bpf; systemd mounts one, bare systems
# and containers may not. It is left mounted: others may pin there too.
ensure_bpffs()
{
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
	mount -t bpf bpf /sys/fs/bpf
}

setup_two_ns()
{
	local ns

	ensure_bpffs || { echo "cannot mount bpffs on /sys/fs/bpf" >&2; return 1; }
	for ns in "$NS_C" "$NS_S"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set dev lo up || return 1
		# No DAD anywhere, link-local addresses included: usable at once.
		in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
	done
	ip link add "$IF_C" netns "$NS_C" type veth \
		peer name "$IF_S" netns "$NS_S" || return 1

	ip -n "$NS_C" addr add 192.0.2.1/24 dev "$IF_C" || return 1
	ip -n "$NS_C" addr add 2001:db8::1/64 dev "$IF_C" nodad || return 1
	ip -n "$NS_S" addr add 192.0.2.2/24 dev "$IF_S" || return 1
	ip -n "$NS_S" addr add 2001:db8::2/64 dev "$IF_S" nodad || return 1
	ip -n "$NS_S" addr add "$VIP4/32" dev lo || return 1
	ip -n "$NS_S" addr add "$VIP6/128" dev lo nodad || return 1

	# Replies built with incremental checksum updates are only right if
	# the query carried a full checksum: no offload on the client side.
	in_ns "$NS_C" ethtool -K "$IF_C" tx off >/dev/null || return 1
	# A veth only receives XDP_TX frames when its peer has a program.
	ip -n "$NS_C" link set dev "$IF_C" xdpdrv \
		obj "$BUILD/xdp_pass.bpf.o" sec xdp || return 1

	ip -n "$NS_C" link set dev "$IF_C" up || return 1
	ip -n "$NS_S" link set dev "$IF_S" up || return 1
	ip -n "$NS_C" route add "$VIP4/32" via 192.0.2.2 || return 1
	ip -n "$NS_C" -6 route add "$VIP6/128" via 2001:db8::2 || return 1
}

# config_head [IFNAME] [PIN]: the first lines of a daemon config: pin path,
# the interface (default ${P}s0) and both VIPs with DNS.
config_head()
{
	cat <<EOF
pin_path: ${2:-$PIN}
interfaces:
  - name: ${1:-$IF_S}
    mode: auto
vips:
  - address: $VIP4
    dns: true
  - address: $VIP6
    dns: true
EOF
}

# Write a daemon config for interface $1 (default ${P}s0) and pin path $2
# (default $PIN) serving zone example.com with the www records; prints its path.
write_config()
{
	local ifname=${1:-$IF_S} pin=${2:-$PIN} file

	file=$(mktemp "$TMP/edge.XXXXXX.yaml")
	config_head "$ifname" "$pin" >"$file"
	cat >>"$file" <<EOF
dns:
  zones:
    - name: example.com
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
      ns: [ns1.example.com]
      records:
        - name: www
          type: A
          ttl: 300
          values: [198.51.100.10, 198.51.100.11]
        - name: www
          type: AAAA
          ttl: 300
          values: ["2001:db8:100::10"]
EOF
	echo "$file"
}

# start_daemon CONFIG LOG: run anyedged in the server namespace and wait
# (10 s at most) for `ready` in its log.
start_daemon()
{
	local config=$1 log=$2 n=100

	nsenter --net="/run/netns/$NS_S" "$BUILD/anyedged" -c "$config" \
		>"$log" 2>&1 </dev/null &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	while [ "$n" -gt 0 ]; do
		grep -qsw ready "$log" && return 0
		if ! alive "$DAEMON_PID"; then
			wait "$DAEMON_PID"
			echo "anyedged exited with status $? before ready; log:"
			sed 's/^/  | /' "$log"
			DAEMON_PID=
			return 1
		fi
		sleep 0.1
		n=$((n - 1))
	done
	echo "anyedged not ready after 10 s; log:"
	sed 's/^/  | /' "$log"
	return 1
}

# stop_daemon: SIGTERM, wait up to 10 s; returns the daemon's exit status
# (124 if it had to be killed, 1 if none was running).
stop_daemon()
{
	local pid=$DAEMON_PID rc

	[ -n "$pid" ] || return 1
	DAEMON_PID=
	kill -TERM "$pid" 2>/dev/null
	if ! wait_gone "$pid" 100; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
	rc=$?
	return $rc
}

daemon_running()
{
	[ -n "$DAEMON_PID" ] && alive "$DAEMON_PID"
}

fail()
{
	REASON=$*
	return 1
}

skip()
{
	REASON=$*
	return 77
}

# need TOOL...: skip the test unless every tool is installed.
need()
{
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { skip "$t not installed"; return; }
	done
}

# fail_all REASON TEST...: report every test as failed (setup broke).
fail_all()
{
	local reason=$1 t

	shift
	for t in "$@"; do
		echo "FAIL ${t#test_}: $reason"
	done
}

# run_tests TEST...: run the named test_* functions in order. If the script
# got arguments (ONLY), run just the tests named there. A multi-line reason
# gives the FAIL line its first line; the rest follows as indented log.
# Returns 1 if any test failed.
run_tests()
{
	local t name rc nfail=0

	for t in "$@"; do
		name=${t#test_}
		if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] &&
		   [[ " $ONLY " != *" $t "* ]]; then
			continue
		fi
		REASON=
		"$t"
		rc=$?
		case $rc in
		0) echo "ok $name" ;;
		77) echo "skip $name: ${REASON:-skipped}" ;;
		*)
			REASON=${REASON:-returned $rc}
			echo "FAIL $name: ${REASON%%$'\n'*}"
			# shellcheck disable=SC2001 # sed reads clearer here
			[[ $REASON != *$'\n'* ]] || sed 's/^/  | /' <<<"${REASON#*$'\n'}"
			nfail=$((nfail + 1))
			;;
		esac
	done
	[ "$nfail" -eq 0 ]
}
