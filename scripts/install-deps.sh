#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what anyedge needs to build and test on Debian 12. Idempotent:
# quiet and touching nothing when every package is already installed.
set -euo pipefail

PKGS=(
	clang llvm gcc make pkg-config	# build
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev libyaml-dev
	xdp-tools bpftool		# inspect and attach
	iproute2 iputils-ping ethtool util-linux procps	# netns tests
	dnsutils knot-dnsutils		# dig, kdig
	python3 python3-dnspython	# packet tests
	python3-maxminddb		# reads back the MMDB files the tests write
	bird2				# BGP: route signalling tests
	knot nsd			# reference/fallback DNS servers (e2e)
	libmaxminddb-dev		# MMDB GeoIP databases
	libjson-c-dev			# control socket: JSON requests and replies
	libmicrohttpd-dev		# metrics: Prometheus endpoint over HTTP
	libsystemd-dev			# sd_notify: Type=notify, watchdog
	curl socat			# control/metrics tests
	jq				# benchmarks: bpftool and anyedgectl JSON
)
# Daemons the tests start themselves, never the system's service.
SERVICES=(knot nsd)

missing=()
for p in "${PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (sudo $0) to install them" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
# Keep package installs from starting services (a running knotd would hold
# port 53): invoke-rc.d asks policy-rc.d, and 101 means "not allowed".
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
[ -z "$own_policy" ] || { rm -f "$policy"; trap - EXIT; }
# Installed but neither running nor enabled at boot.
for s in "${SERVICES[@]}"; do
	if [ -d /run/systemd/system ]; then
		systemctl disable --now "$s" >/dev/null 2>&1 || true
	elif command -v update-rc.d >/dev/null; then
		update-rc.d "$s" disable >/dev/null 2>&1 || true
	fi
done
