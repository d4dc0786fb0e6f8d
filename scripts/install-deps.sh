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
	bird2				# BGP: route signalling tests
)

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
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
