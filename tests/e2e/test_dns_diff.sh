#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Differential test: anyedge (XDP on the VIP, knotd behind it as the
# fallback) against Knot DNS alone, and against NSD, serving the zone files
# that `anyedged --emit-zone` writes from the same config. A corpus of queries
# (tests/e2e/dns_diff.py) goes to both over IPv4 and IPv6; rcode, flags,
# answer sets, authority SOA and the OPT record must agree, except for the
# differences documented in dns_diff.py (and the README).
#
#   client ns ${P}c: 192.0.2.1, 2001:db8::1
#   server ns ${P}s: anyedged on ${P}s0 (VIPs 192.0.2.53, 2001:db8::53)
#                    knotd on the VIPs (fallback for what XDP passes) and
#                    on 192.0.2.54, 2001:db8::54 (the reference); nsd on
#                    192.0.2.55, 2001:db8::55 (the second reference)

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/knot.sh
. "$(dirname "$0")/knot.sh"

REF4=192.0.2.54
REF6=2001:db8::54
NSD4=192.0.2.55
NSD6=2001:db8::55

write_diff_config()
{
	config_head >"$TMP/edge.yaml"
	cat >>"$TMP/edge.yaml" <<EOF
dns:
  out_of_zone: pass
  pools:
    - name: fra
      a: [198.51.100.1, 198.51.100.11]
      aaaa: ["2001:db8:f::1"]
    - name: iad
      a: [198.51.100.2]
      aaaa: ["2001:db8:f::2", "2001:db8:f::22"]
    - name: sin
      a: [198.51.100.3]
  zones:
    - name: example.com
      ttl: 300
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
        serial: 2026112301
        minimum: 60
        ttl: 3600
      ns: [ns1.example.com, ns2.example.net]
      records:
        - name: "@"
          type: A
          values: [198.51.100.80]
        - name: www
          type: A
          values: [198.51.100.10, 198.51.100.11]
        - name: www
          type: AAAA
          ttl: 120
          values: ["2001:db8:100::10"]
        - name: ns1
          type: A
          values: [198.51.100.53]
        - name: ns1
          type: AAAA
          values: ["2001:db8:100::53"]
        - name: v4only
          type: A
          ttl: 0
          values: [198.51.100.12]
        - name: v6only
          type: AAAA
          ttl: 2147483647
          values: ["2001:db8:100::12"]
        - name: MiXeD.Case
          type: A
          values: [198.51.100.13]
        - name: a.b.c.deep
          type: A
          values: [198.51.100.14]
        - name: many
          type: A
          values: [198.51.100.21, 198.51.100.22, 198.51.100.23, 198.51.100.24,
                   198.51.100.25, 198.51.100.26, 198.51.100.27, 198.51.100.28]
        - name: many
          type: AAAA
          values: ["2001:db8:100::21", "2001:db8:100::22", "2001:db8:100::23",
                   "2001:db8:100::24", "2001:db8:100::25", "2001:db8:100::26",
                   "2001:db8:100::27", "2001:db8:100::28"]
        - name: $(printf 'l%.0s' {1..63}).$(printf 'm%.0s' {1..63}).$(printf 'n%.0s' {1..63}).$(printf 'o%.0s' {1..49})
          type: AAAA
          values: ["2001:db8:100::31", "2001:db8:100::32", "2001:db8:100::33",
                   "2001:db8:100::34", "2001:db8:100::35", "2001:db8:100::36",
                   "2001:db8:100::37", "2001:db8:100::38"]
        - name: under_score
          type: A
          values: [198.51.100.15]
        - name: geo
          type: A
          policy: geo
          geo:
            eu: [fra, iad]
            as: [sin, fra]
          default: [iad, fra]
        - name: geo
          type: AAAA
          policy: geo
          geo:
            eu: [fra, iad]
          default: [iad, fra]
        - name: failover
          type: A
          policy: failover
          pools: [fra, iad]
        - name: weighted
          type: A
          policy: weighted
          weights: {fra: 1, iad: 3}
    - name: example.net
      ttl: 600
      soa:
        mname: ns2.example.net
        rname: dns-admin.example.net
        serial: 7
        minimum: 900
      ns: [ns2.example.net]
      records:
        - name: ns2
          type: A
          values: [198.51.100.54]
        - name: www
          type: AAAA
          values: ["2001:db8:200::1"]
geo:
  regions: [eu, as]
  csv: geo.csv
EOF
	# 198.51.100.0/24 and 203.0.113.0/24 are "eu" and "as" for ECS
	# queries; the clients' own addresses (192.0.2.0/24, 2001:db8::/64)
	# match nothing, so they get the default list.
	cat >"$TMP/geo.csv" <<EOF
198.51.100.0/24,eu
203.0.113.0/24,as
2001:db8:e0::/48,eu
EOF
	echo "$TMP/edge.yaml"
}

test_zone_files_emitted()
{
	local out

	mkdir -p "$TMP/zones"
	out=$("$BUILD/anyedged" -c "$CONFIG" --emit-zone "$TMP/zones" 2>&1) ||
		fail "anyedged --emit-zone: $out" || return
	[ -s "$TMP/zones/example.com.zone" ] && [ -s "$TMP/zones/example.net.zone" ] ||
		fail "zone files missing: $(ls "$TMP/zones")"
}

test_knotd_serves_emitted_zones()
{
	local conf

	need "$KNOTD" kdig || return
	conf=$(write_knot_config "$TMP/knot" "$TMP/zones" "$REF4" "$REF6" "$VIP4" "$VIP6") ||
		fail "cannot write the knotd config" || return
	start_knotd "$NS_S" "$conf" "$TMP/knotd.log" example.com example.net \
		>"$TMP/knot.out" || fail "$(cat "$TMP/knot.out")"
}

test_daemon_starts()
{
	start_daemon "$CONFIG" "$TMP/anyedged.log" >"$TMP/start.out" ||
		fail "$(cat "$TMP/start.out")"
}

test_nsd_serves_emitted_zones()
{
	local conf

	need "$NSD" || return
	conf=$(write_nsd_config "$TMP/nsd" "$TMP/zones" "$NSD4" "$NSD6") ||
		fail "cannot write the nsd config" || return
	start_nsd "$NS_S" "$conf" "$TMP/nsd.log" "$NSD4" example.net >"$TMP/nsd.out" ||
		fail "$(cat "$TMP/nsd.out")"
}

# corpus MODE [knot|nsd]: dns_diff.py prints its own ok/FAIL lines per category.
corpus()
{
	local kind=${2:-knot} r4=$REF4 r6=$REF6

	if [ "$kind" = nsd ]; then
		alive "${NSD_PID:-0}" || return 0 # skipped above
		r4=$NSD4
		r6=$NSD6
	fi
	in_ns "$NS_C" "$PY" "$ROOT/tests/e2e/dns_diff.py" --out-of-zone "$1" --ref-kind "$kind" \
		--anyedge4 "$VIP4" --anyedge6 "$VIP6" --ref4 "$r4" --ref6 "$r6" \
		--anyedgectl "$BUILD/anyedgectl" --pin-path "$PIN"
}

# Every kind of XDP reply and the pass to the fallback were exercised.
test_corpus_exercised_every_path()
{
	local stats r v missing=

	stats=$("$BUILD/anyedgectl" -j --pin-path "$PIN" stats) ||
		fail "anyedgectl stats failed" || return
	for r in dns_answered dns_nodata dns_nxdomain dns_formerr dns_badvers \
		 dns_truncated dns_out_of_zone dns_unsupported; do
		v=$(grep -o "\"reason_$r\":[0-9]*" <<<"$stats")
		[ "${v#*:}" -gt 0 ] 2>/dev/null || missing+=" $r"
	done
	[ -z "$missing" ] || fail "no query took:$missing"
}

test_daemon_restarts_refusing()
{
	stop_daemon || fail "anyedged exited with status $?" || return
	sed -i 's/^  out_of_zone: pass$/  out_of_zone: refuse/' "$CONFIG"
	grep -q 'out_of_zone: refuse' "$CONFIG" || fail "config not rewritten" || return
	start_daemon "$CONFIG" "$TMP/anyedged2.log" >"$TMP/start.out" ||
		fail "$(cat "$TMP/start.out")"
}

# add_ref_addrs V4 V6: addresses of a reference server on the server's lo.
add_ref_addrs()
{
	ip -n "$NS_S" addr add "$1/32" dev lo 2>&1 &&
		ip -n "$NS_S" addr add "$2/128" dev lo nodad 2>&1 &&
		ip -n "$NS_C" route add "$1/32" via 192.0.2.2 2>&1 &&
		ip -n "$NS_C" -6 route add "$2/128" via 2001:db8::2 2>&1
}

TESTS=(
	test_zone_files_emitted
	test_knotd_serves_emitted_zones
	test_nsd_serves_emitted_zones
	test_daemon_starts
)
TESTS2=(
	test_corpus_exercised_every_path
	test_daemon_restarts_refusing
)

for tool in ip nsenter ethtool timeout "$KNOTD"; do
	if ! command -v "$tool" >/dev/null; then
		for t in "${TESTS[@]}" corpus; do echo "skip ${t#test_}: $tool not installed"; done
		exit 0
	fi
done
if ! out=$(setup_two_ns 2>&1 &&
	   add_ref_addrs "$REF4" "$REF6" && add_ref_addrs "$NSD4" "$NSD6"); then
	fail_all "netns setup failed: ${out//$'\n'/ }" "${TESTS[@]}" corpus
	exit 1
fi
CONFIG=$(write_diff_config)
run_tests "${TESTS[@]}" || { echo "skip corpus: setup failed"; exit 1; }
rc=0
corpus pass || rc=1
corpus pass nsd || rc=1
run_tests "${TESTS2[@]}" || exit 1
corpus refuse || rc=1
corpus refuse nsd || rc=1
exit $rc
