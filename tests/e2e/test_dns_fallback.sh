#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The fallback beside anyedge: knotd listens on the VIPs in the edge
# namespace and serves the zone files `anyedged --emit-zone` writes (plus
# a zone anyedge does not have). A and AAAA over UDP are answered in XDP;
# TCP/53, ANY, NS, SOA, other types and names outside anyedge's zones
# (with dns.out_of_zone: pass) reach knotd through XDP_PASS. Every check
# reads the counter that proves which path took the query.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/knot.sh
. "$(dirname "$0")/knot.sh"

DIG_OPTS=(+tries=1 +time=2)
# With the zone, a 255-byte name: eight AAAA do not fit 512 bytes with ECS.
LONG_REL=$(printf 'l%.0s' {1..63}).$(printf 'm%.0s' {1..63}).$(printf 'n%.0s' {1..63})
LONG_REL=$LONG_REL.$(printf 'o%.0s' {1..49})

write_fallback_config()
{
	config_head >"$TMP/edge.yaml"
	cat >>"$TMP/edge.yaml" <<EOF
dns:
  out_of_zone: pass
  zones:
    - name: example.com
      soa:
        mname: ns1.example.com
        rname: hostmaster.example.com
        serial: 99
      ns: [ns1.example.com, ns2.example.com]
      records:
        - name: www
          type: A
          values: [198.51.100.10]
        - name: www
          type: AAAA
          values: ["2001:db8:100::10"]
        - name: ns1
          type: A
          values: [198.51.100.53]
        - name: $LONG_REL
          type: AAAA
          values: ["2001:db8:100::31", "2001:db8:100::32", "2001:db8:100::33",
                   "2001:db8:100::34", "2001:db8:100::35", "2001:db8:100::36",
                   "2001:db8:100::37", "2001:db8:100::38"]
EOF
	echo "$TMP/edge.yaml"
}

# A zone only the fallback serves: out of zone for anyedge.
write_other_zone()
{
	cat >"$TMP/zones/example.org.zone" <<EOF
\$ORIGIN example.org.
\$TTL 300
@	IN	SOA	ns1.example.org. hostmaster.example.org. 1 3600 600 1209600 300
@	IN	NS	ns1.example.org.
ns1	IN	A	198.51.100.99
www	IN	A	198.51.100.98
EOF
}

# stat NAME: one counter, summed over CPUs.
stat()
{
	"$BUILD/anyedgectl" -j --pin-path "$PIN" stats |
		grep -o "\"$1\":[0-9]*" | cut -d: -f2
}

# ask_counted COUNTER DIG-ARGS...: run dig from the client; sets OUT to
# its output and DELTA to how much COUNTER moved.
ask_counted()
{
	local counter=$1 before after
	shift

	before=$(stat "$counter")
	OUT=$(in_ns "$NS_C" dig "${DIG_OPTS[@]}" "$@" 2>&1)
	after=$(stat "$counter")
	DELTA=$((after - before))
}

# expect COUNTER DELTA GREP-PATTERN DIG-ARGS...
expect()
{
	local counter=$1 want=$2 pattern=$3
	shift 3

	ask_counted "$counter" "$@"
	[ "$DELTA" -eq "$want" ] ||
		fail "dig $*: $counter moved by $DELTA, want $want: $(tr '\n' ' ' <<<"$OUT")" ||
		return
	grep -qE "$pattern" <<<"$OUT" ||
		fail "dig $*: no /$pattern/ in: $(tr '\n' ' ' <<<"$OUT")"
}

test_setup_knotd_on_the_vips()
{
	local conf out

	need "$KNOTD" || return
	mkdir -p "$TMP/zones"
	out=$("$BUILD/anyedged" -c "$CONFIG" --emit-zone "$TMP/zones" 2>&1) ||
		fail "anyedged --emit-zone: $out" || return
	write_other_zone
	conf=$(write_knot_config "$TMP/knot" "$TMP/zones" "$VIP4" "$VIP6") ||
		fail "cannot write the knotd config" || return
	start_knotd "$NS_S" "$conf" "$TMP/knotd.log" example.com example.org \
		>"$TMP/knot.out" || fail "$(cat "$TMP/knot.out")" || return
	start_daemon "$CONFIG" "$TMP/anyedged.log" >"$TMP/start.out" ||
		fail "$(cat "$TMP/start.out")"
}

test_a_and_aaaa_answered_in_xdp()
{
	expect reason_dns_answered 1 "IN[[:space:]]+A[[:space:]]+198\.51\.100\.10" \
		"@$VIP4" www.example.com A || return
	expect reason_dns_answered 1 "IN[[:space:]]+AAAA[[:space:]]+2001:db8:100::10" \
		"@$VIP6" www.example.com AAAA || return
	expect reason_dns_nxdomain 1 "status: NXDOMAIN" "@$VIP4" nope.example.com A
}

test_tcp_reaches_knotd()
{
	local vip

	# A connection is several packets (SYN, ACK, data, FIN, ...): at least
	# three reached the stack as TCP to the VIP, none was answered in XDP.
	for vip in "$VIP4" "$VIP6"; do
		ask_counted reason_vip_tcp +tcp "@$vip" www.example.com AAAA
		[ "$DELTA" -ge 3 ] && grep -q "2001:db8:100::10" <<<"$OUT" ||
			fail "TCP to $vip: $DELTA TCP packets; $(tr '\n' ' ' <<<"$OUT")" || return
	done
	expect reason_dns_nxdomain 0 "status: NXDOMAIN" +tcp "@$VIP4" nope.example.com A
}

test_any_ns_soa_reach_knotd()
{
	expect reason_dns_unsupported 1 "IN[[:space:]]+NS[[:space:]]+ns2\.example\.com\." \
		"@$VIP4" example.com NS || return
	expect reason_dns_unsupported 1 "IN[[:space:]]+SOA[[:space:]]+ns1\.example\.com\. .* 99 " \
		"@$VIP6" example.com SOA || return
	# dig asks ANY over TCP unless told not to: force UDP.
	expect reason_dns_unsupported 1 "status: NOERROR" +notcp +ignore "@$VIP4" www.example.com ANY ||
		return
	expect reason_dns_unsupported 1 "status: NOERROR" "@$VIP4" www.example.com MX
}

test_out_of_zone_reaches_knotd()
{
	expect reason_dns_out_of_zone 1 "IN[[:space:]]+A[[:space:]]+198\.51\.100\.98" \
		"@$VIP4" www.example.org A || return
	expect reason_dns_out_of_zone 1 "status: NXDOMAIN.*|example\.org\..*SOA" \
		"@$VIP6" nope.example.org AAAA || return
	expect reason_dns_out_of_zone 1 "status: REFUSED" "@$VIP4" www.example.net A
}

# XDP answers TC=1 when the answer does not fit; dig retries over TCP and
# knotd answers the whole set.
test_truncated_retried_over_tcp()
{
	local tcp

	tcp=$(stat reason_vip_tcp)

	expect reason_dns_truncated 1 "2001:db8:100::38" +bufsize=512 +nocookie \
		+subnet=2001:db8::1/128 "@$VIP4" "$LONG_REL.example.com" AAAA || return
	grep -q "Truncated, retrying in TCP mode" <<<"$OUT" ||
		fail "dig did not retry over TCP: $(tr '\n' ' ' <<<"$OUT")" || return
	[ $(($(stat reason_vip_tcp) - tcp)) -ge 3 ] || fail "no TCP packets reached the stack"
}

test_kdig_tcp_and_udp_agree()
{
	local udp tcp

	need kdig || return
	udp=$(in_ns "$NS_C" kdig +short +retry=0 +timeout=2 "@$VIP4" www.example.com A)
	tcp=$(in_ns "$NS_C" kdig +short +retry=0 +timeout=2 +tcp "@$VIP4" www.example.com A)
	[ -n "$udp" ] && [ "$udp" = "$tcp" ] || fail "kdig UDP '$udp' vs TCP '$tcp'"
}

TESTS=(
	test_setup_knotd_on_the_vips
	test_a_and_aaaa_answered_in_xdp
	test_tcp_reaches_knotd
	test_any_ns_soa_reach_knotd
	test_out_of_zone_reaches_knotd
	test_truncated_retried_over_tcp
	test_kdig_tcp_and_udp_agree
)

for tool in ip nsenter ethtool dig timeout "$KNOTD"; do
	if ! command -v "$tool" >/dev/null; then
		for t in "${TESTS[@]}"; do echo "skip ${t#test_}: $tool not installed"; done
		exit 0
	fi
done
if ! out=$(setup_two_ns 2>&1); then
	fail_all "netns setup failed: ${out//$'\n'/ }" "${TESTS[@]}"
	exit 1
fi
CONFIG=$(write_fallback_config)
run_tests "${TESTS[@]}"
