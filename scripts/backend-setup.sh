#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a backend host for anyedge's load balancer (run it on each
# backend, as root):
#
#   scripts/backend-setup.sh [-n NETNS] [--dev IF --xdp-decap OBJ] VIP...
#   scripts/backend-setup.sh [-n NETNS] [--dev IF] --remove VIP...
#
# What the edge sends: the client's own packet inside an IPIP (IPv4
# backend), IP6IP6 or IPv4-in-IPv6 (IPv6 backend) tunnel; the backend
# answers the client directly from the VIP (direct server return). So each
# backend needs:
#
#  1. a decapsulation device that takes tunnel packets from any source:
#       ip link add name anyedge4 type ipip external
#       ip link add name anyedge6 type ip6tnl mode any external
#     (kernels without ipip/ip6tnl: --xdp-decap build/decap.bpf.o --dev IF
#     attaches anyedge's XDP decapsulator to IF instead);
#  2. every VIP on lo (/32 or /128), so the inner packet is local and the
#     reply leaves from the VIP;
#  3. rp_filter off (the client's address is not routed via the tunnel),
#     and arp_ignore=1 / arp_announce=2 so the backend never answers ARP
#     for a VIP on its LAN (the edge must keep receiving the traffic);
#  4. the path from the edge: its MTU must fit a client packet plus the
#     tunnel header (20 bytes IPv4, 40 IPv6), or the edge passes too-big
#     packets to its stack (counted as lb_too_big).
#
# -n NETNS runs everything inside that network namespace (tests).
set -euo pipefail

NS=
DEV=
DECAP_OBJ=
REMOVE=0
VIPS=()

usage()
{
	sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) NS=$2; shift 2 ;;
	--dev) DEV=$2; shift 2 ;;
	--xdp-decap) DECAP_OBJ=$2; shift 2 ;;
	--remove) REMOVE=1; shift ;;
	-h | --help) usage ;;
	-*) echo "backend-setup: unknown option $1" >&2; usage ;;
	*) VIPS+=("$1"); shift ;;
	esac
done
[ ${#VIPS[@]} -gt 0 ] || usage

run()
{
	if [ -n "$NS" ]; then
		ip netns exec "$NS" "$@"
	else
		"$@"
	fi
}

plen()
{
	case $1 in *:*) echo 128 ;; *) echo 32 ;; esac
}

if [ "$REMOVE" -eq 1 ]; then
	for v in "${VIPS[@]}"; do
		run ip addr del "$v/$(plen "$v")" dev lo 2>/dev/null || true
	done
	run ip link del anyedge4 2>/dev/null || true
	run ip link del anyedge6 2>/dev/null || true
	if [ -n "$DEV" ]; then
		run ip link set dev "$DEV" xdp off 2>/dev/null || true
	fi
	exit 0
fi

run sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2

decap=
if run ip link add name anyedge4 type ipip external 2>/dev/null; then
	run ip link set dev anyedge4 up
	run sysctl -qw net.ipv4.conf.anyedge4.rp_filter=0
	decap="ipip device anyedge4"
	if run ip link add name anyedge6 type ip6tnl mode any external 2>/dev/null; then
		run ip link set dev anyedge6 up
		run sysctl -qw net.ipv4.conf.anyedge6.rp_filter=0
		decap="$decap, ip6tnl device anyedge6"
	else
		echo "backend-setup: no ip6tnl in this kernel: IPv6 backends need --xdp-decap" >&2
	fi
elif [ -n "$DECAP_OBJ" ] && [ -n "$DEV" ]; then
	run ip link set dev "$DEV" xdp obj "$DECAP_OBJ" sec xdp
	decap="XDP decapsulator on $DEV"
else
	echo "backend-setup: this kernel has no ipip devices; give --dev IF --xdp-decap" \
		"build/decap.bpf.o to decapsulate in XDP instead" >&2
	exit 1
fi

for v in "${VIPS[@]}"; do
	if [[ $v == *:* ]]; then
		run ip addr replace "$v/128" dev lo nodad
	else
		run ip addr replace "$v/32" dev lo
	fi
done
echo "backend ready: ${VIPS[*]} on lo, $decap, rp_filter off"
