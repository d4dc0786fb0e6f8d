#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# GeoDNS end to end: anyedged on the server veth answers from pools chosen
# by the client's region (source address, or EDNS Client Subnet), moves
# answers when a pool goes down (no restart), and answers negatives.
#
#   client ns: 192.0.2.1 (eu: 192.0.2.0/25), 192.0.2.200 (as: 192.0.2.128/25),
#              2001:db8::1 (as: 2001:db8::/64)

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

FRA4=198.51.100.1
IAD4=198.51.100.2
SIN4=198.51.100.3
SIN6=2001:db8:f::3
DIG_OPTS=(+tries=1 +time=2)

write_geo_config()
{
	cat >"$TMP/geo.csv" <<EOF
192.0.2.0/25,eu
192.0.2.128/25,as
2001:db8::/64,SG
EOF
	cat >"$TMP/edge.yaml" <<EOF
pin_path: $PIN
interfaces:
  - name: $IF_S
vips:
  - address: $VIP4
    dns: true
  - address: $VIP6
    dns: true
dns:
  pools:
    - name: fra
      a: [$FRA4]
      aaaa: ["2001:db8:f::1"]
    - name: iad
      a: [$IAD4]
      aaaa: ["2001:db8:f::2"]
    - name: sin
      a: [$SIN4]
      aaaa: ["$SIN6"]
  zones:
    - name: example.com
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
        serial: 42
      ns: [ns1.example.com]
      records:
        - name: www
          type: A
          values: [198.51.100.10]
        - name: geo
          type: A
          policy: geo
          geo:
            eu: [fra, iad]
            as: [sin, fra]
          default: [iad]
        - name: geo
          type: AAAA
          policy: geo
          geo:
            eu: [fra, iad]
            as: [sin, fra]
          default: [iad]
geo:
  regions: [eu, as]
  countries: {SG: as}
  csv: geo.csv
EOF
	echo "$TMP/edge.yaml"
}

# ask [dig args...]: +short answer from the client namespace.
ask()
{
	in_ns "$NS_C" dig "${DIG_OPTS[@]}" +short "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}

test_daemon_starts_with_geo_config()
{
	start_daemon "$CONFIG" "$TMP/anyedged.log" >"$TMP/start.out" ||
		fail "$(cat "$TMP/start.out")"
}

test_client_in_eu_gets_fra()
{
	local got

	got=$(ask "@$VIP4" geo.example.com A)
	[ "$got" = "$FRA4" ] || fail "from 192.0.2.1 got '$got', want $FRA4"
}

test_client_in_as_gets_sin()
{
	local got

	got=$(ask -b 192.0.2.200 "@$VIP4" geo.example.com A)
	[ "$got" = "$SIN4" ] || fail "from 192.0.2.200 got '$got', want $SIN4"
}

test_ipv6_client_gets_its_region()
{
	local got

	got=$(ask "@$VIP6" geo.example.com AAAA)
	[ "$got" = "$SIN6" ] || fail "from 2001:db8::1 got '$got', want $SIN6"
}

test_ecs_subnet_decides_and_scope_is_echoed()
{
	local out

	out=$(in_ns "$NS_C" dig "${DIG_OPTS[@]}" "@$VIP4" geo.example.com A \
		+subnet=192.0.2.128/25)
	grep -q "IN[[:space:]]*A[[:space:]]*$SIN4" <<<"$out" ||
		fail "ECS 192.0.2.128/25 did not answer sin: $out" || return
	grep -q "CLIENT-SUBNET: 192.0.2.128/25/25" <<<"$out" ||
		fail "no ECS echo with scope 25: $out"
}

test_kdig_ecs_agrees()
{
	local got

	need kdig || return
	got=$(in_ns "$NS_C" kdig +short +retry=0 +timeout=2 "@$VIP4" geo.example.com A \
		+subnet=192.0.2.0/24)
	[ "$got" = "$FRA4" ] || fail "kdig +subnet=192.0.2.0/24 got '$got'"
}

test_pool_down_moves_answers_without_restart()
{
	local got pid=$DAEMON_PID out

	out=$("$BUILD/anyedgectl" --pin-path "$PIN" -c "$CONFIG" pool fra down 2>&1) ||
		fail "anyedgectl pool fra down: $out" || return
	got=$(ask "@$VIP4" geo.example.com A)
	[ "$got" = "$IAD4" ] || fail "fra down: eu client got '$got', want $IAD4" || return
	got=$(ask -b 192.0.2.200 "@$VIP4" geo.example.com A)
	[ "$got" = "$SIN4" ] || fail "fra down: as client got '$got', want $SIN4" || return
	"$BUILD/anyedgectl" --pin-path "$PIN" -c "$CONFIG" pool fra up >/dev/null 2>&1
	got=$(ask "@$VIP4" geo.example.com A)
	[ "$got" = "$FRA4" ] || fail "fra up again: got '$got'" || return
	[ "$DAEMON_PID" = "$pid" ] && daemon_running || fail "the daemon restarted"
}

test_nxdomain_with_soa()
{
	local out

	out=$(in_ns "$NS_C" dig "${DIG_OPTS[@]}" "@$VIP4" nope.example.com A)
	grep -q "status: NXDOMAIN" <<<"$out" || fail "no NXDOMAIN: $out" || return
	grep -q "flags: qr aa" <<<"$out" || fail "not authoritative: $out" || return
	grep -qE "^example\.com\..*SOA.*ns1\.example\.com\. hostmaster\.example\.com\. 42 " \
		<<<"$out" || fail "no SOA in authority: $out"
}

test_nodata_with_soa()
{
	local out

	out=$(in_ns "$NS_C" dig "${DIG_OPTS[@]}" "@$VIP4" www.example.com AAAA)
	grep -q "status: NOERROR" <<<"$out" || fail "not NOERROR: $out" || return
	grep -q "ANSWER: 0" <<<"$out" || fail "answers present: $out" || return
	grep -q "SOA" <<<"$out" || fail "no SOA: $out"
}

test_out_of_zone_refused()
{
	local out

	out=$(in_ns "$NS_C" dig "${DIG_OPTS[@]}" "@$VIP4" www.example.org A)
	grep -q "status: REFUSED" <<<"$out" || fail "not REFUSED: $out"
}

# SIGHUP onto a config whose regions come from an MMDB database instead of
# the CSV: the database's networks answer (scope = network length), and the
# CSV's prefixes are gone from the maps (stale entries deleted).
test_reload_to_mmdb_replaces_csv_regions()
{
	local got out n

	"$PY" - "$TMP/geo.mmdb" <<EOF || fail "cannot write the MMDB" || return
import sys
sys.path.insert(0, "$ROOT/tests/prog")
from mmdb_writer import MMDBWriter
w = MMDBWriter()
w.insert("203.0.113.0/24", {"country": {"iso_code": "DE"}, "continent": {"code": "EU"}})
w.insert("198.51.100.0/23", {"country_code": "SG"})
w.insert("2001:db8:ff::/48", {"continent": {"code": "AS"}})
open(sys.argv[1], "wb").write(w.to_bytes())
EOF
	sed -e 's/^  csv: geo.csv$/  continents: {AS: as}\n  mmdb: geo.mmdb/' \
		-e 's/^  countries: {SG: as}$/  countries: {SG: as, DE: eu}/' "$CONFIG" >"$TMP/mmdb.yaml"
	grep -q 'mmdb: geo.mmdb' "$TMP/mmdb.yaml" || fail "config not rewritten" || return
	cp "$CONFIG" "$TMP/csv.yaml"
	cp "$TMP/mmdb.yaml" "$CONFIG"
	n=$(grep -c 'anyedged: reloaded' "$TMP/anyedged.log")
	kill -HUP "$DAEMON_PID"
	for _ in $(seq 100); do
		[ "$(grep -c 'anyedged: reloaded' "$TMP/anyedged.log")" -gt "$n" ] && break
		sleep 0.1
	done
	cp "$TMP/csv.yaml" "$CONFIG"
	[ "$(grep -c 'anyedged: reloaded' "$TMP/anyedged.log")" -gt "$n" ] ||
		fail "no reload: $(tail -n 3 "$TMP/anyedged.log")" || return

	out=$(in_ns "$NS_C" dig "${DIG_OPTS[@]}" "@$VIP4" geo.example.com A +subnet=203.0.113.0/24)
	grep -q "IN[[:space:]]*A[[:space:]]*$FRA4" <<<"$out" &&
		grep -q "CLIENT-SUBNET: 203.0.113.0/24/24" <<<"$out" ||
		fail "DE network: $(tr '\n' ' ' <<<"$out")" || return
	out=$(in_ns "$NS_C" dig "${DIG_OPTS[@]}" "@$VIP4" geo.example.com A +subnet=198.51.100.0/24)
	grep -q "IN[[:space:]]*A[[:space:]]*$SIN4" <<<"$out" &&
		grep -q "CLIENT-SUBNET: 198.51.100.0/24/23" <<<"$out" ||
		fail "SG /23: $(tr '\n' ' ' <<<"$out")" || return
	got=$(ask "@$VIP6" geo.example.com AAAA +subnet=2001:db8:ff::/56)
	[ "$got" = "$SIN6" ] || fail "continent AS over IPv6: got '$got'" || return
	# 192.0.2.0/25 was eu in the CSV only: now the default pool.
	got=$(ask "@$VIP4" geo.example.com A)
	[ "$got" = "$IAD4" ] || fail "CSV prefix still mapped: got '$got', want $IAD4"
}

TESTS=(
	test_daemon_starts_with_geo_config
	test_client_in_eu_gets_fra
	test_client_in_as_gets_sin
	test_ipv6_client_gets_its_region
	test_ecs_subnet_decides_and_scope_is_echoed
	test_kdig_ecs_agrees
	test_pool_down_moves_answers_without_restart
	test_nxdomain_with_soa
	test_nodata_with_soa
	test_out_of_zone_refused
	test_reload_to_mmdb_replaces_csv_regions
)

for tool in ip nsenter ethtool dig timeout; do
	if ! command -v "$tool" >/dev/null; then
		for t in "${TESTS[@]}"; do echo "skip ${t#test_}: $tool not installed"; done
		exit 0
	fi
done
if ! out=$(setup_two_ns 2>&1 && ip -n "$NS_C" addr add 192.0.2.200/24 dev "$IF_C" 2>&1); then
	fail_all "netns setup failed: ${out//$'\n'/ }" "${TESTS[@]}"
	exit 1
fi
CONFIG=$(write_geo_config)
run_tests "${TESTS[@]}"
