# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Knot DNS beside anyedge in the e2e tests (source after lib.sh): one
# knotd per call of start_knotd, with its own config, rundir, storage and
# control socket under $TMP, serving the zone files anyedged --emit-zone
# writes from the same config. Stopped by lib.sh's cleanup (PIDS).

KNOTD=${KNOTD:-/usr/sbin/knotd}
KNOTC=${KNOTC:-/usr/sbin/knotc}

# write_knot_config DIR ZONEDIR ADDR...: a knotd.conf in DIR listening on
# ADDR@53 for every ADDR, serving every DIR/ZONEDIR/*.zone; prints its path.
write_knot_config()
{
	local dir=$1 zonedir=$2 f zone
	shift 2

	mkdir -p "$dir/storage" "$dir/run" || return 1
	f=$dir/knotd.conf
	{
		echo "server:"
		echo "    rundir: \"$dir/run\""
		echo "    user: root:root"
		echo "    pidfile: \"$dir/run/knot.pid\""
		echo "    edns-client-subnet: on"
		printf '    listen: [ '
		printf '"%s@53", ' "$@" | sed 's/, $//'
		echo ' ]'
		echo "control:"
		echo "    listen: \"$dir/run/knot.sock\""
		echo "log:"
		echo "  - target: stderr"
		echo "    any: info"
		echo "database:"
		echo "    storage: \"$dir/storage\""
		echo "template:"
		echo "  - id: default"
		echo "    storage: \"$zonedir\""
		echo "    semantic-checks: on"
		echo "    journal-content: none"
		echo "    zonefile-sync: -1"
		echo "    zonefile-load: whole"
		echo "zone:"
		for zone in "$zonedir"/*.zone; do
			zone=${zone##*/}
			echo "  - domain: \"${zone%.zone}\""
			echo "    file: \"$zone\""
		done
	} >"$f"
	echo "$f"
}

# start_knotd NS CONF LOG ZONE...: run knotd in netns NS and wait (10 s at
# most) until it serves every ZONE. Sets KNOT_PID.
start_knotd()
{
	local ns=$1 conf=$2 log=$3 n=100 zone ok
	shift 3

	# nsenter itself, not the in_ns function: a backgrounded function is a
	# subshell, and $! would be that shell instead of knotd.
	nsenter --net="/run/netns/$ns" "$KNOTD" -c "$conf" >"$log" 2>&1 </dev/null &
	KNOT_PID=$!
	PIDS+=("$KNOT_PID")
	while [ "$n" -gt 0 ]; do
		if ! alive "$KNOT_PID"; then
			echo "knotd exited before serving; log:"
			sed 's/^/  | /' "$log"
			return 1
		fi
		ok=1
		for zone in "$@"; do
			grep -q "\[$zone\.\] loaded, serial" "$log" || ok=
		done
		[ -n "$ok" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "knotd did not load $* in 10 s; log:"
	sed 's/^/  | /' "$log"
	return 1
}

# NSD, the other authoritative server the README describes beside anyedge.
NSD=${NSD:-/usr/sbin/nsd}

# write_nsd_config DIR ZONEDIR ADDR...: an nsd.conf in DIR listening on
# ADDR@53 for every ADDR, serving every ZONEDIR/*.zone; prints its path.
write_nsd_config()
{
	local dir=$1 zonedir=$2 addr f zone
	shift 2

	mkdir -p "$dir" || return 1
	f=$dir/nsd.conf
	{
		echo "server:"
		for addr in "$@"; do
			echo "    ip-address: $addr"
		done
		echo "    port: 53"
		echo "    username: \"\""
		echo "    chroot: \"\""
		echo "    zonesdir: \"$zonedir\""
		echo "    pidfile: \"$dir/nsd.pid\""
		echo "    database: \"\""
		echo "    zonelistfile: \"$dir/zone.list\""
		echo "    xfrdfile: \"$dir/xfrd.state\""
		echo "    xfrdir: \"$dir\""
		echo "    server-count: 1"
		echo "    rrl-ratelimit: 0"	# Debian's NSD has RRL on
		echo "    minimal-responses: yes"	# no NS/glue added to answers
		echo "    verbosity: 1"
		echo "remote-control:"
		echo "    control-enable: no"
		for zone in "$zonedir"/*.zone; do
			zone=${zone##*/}
			echo "zone:"
			echo "    name: \"${zone%.zone}\""
			echo "    zonefile: \"$zone\""
		done
	} >"$f"
	echo "$f"
}

# start_nsd NS CONF LOG ADDR ZONE: run nsd in netns NS and wait (10 s at
# most) until it answers ZONE's SOA on ADDR. Sets NSD_PID.
start_nsd()
{
	local ns=$1 conf=$2 log=$3 addr=$4 zone=$5 n=100

	nsenter --net="/run/netns/$ns" "$NSD" -d -c "$conf" >"$log" 2>&1 </dev/null &
	NSD_PID=$!
	PIDS+=("$NSD_PID")
	while [ "$n" -gt 0 ]; do
		if ! alive "$NSD_PID"; then
			echo "nsd exited before serving; log:"
			sed 's/^/  | /' "$log"
			return 1
		fi
		in_ns "$ns" dig +tries=1 +time=1 +short "@$addr" "$zone" SOA 2>/dev/null |
			grep -q . && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "nsd did not serve $zone on $addr in 10 s; log:"
	sed 's/^/  | /' "$log"
	return 1
}
