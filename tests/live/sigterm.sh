#!/bin/bash
# SIGTERM (and SIGINT) right after a burst loses nothing: every packet sent
# is in the evidence, the file is closed and hashed, the manifest final.
. "$(dirname "$0")/lib.sh"

# ~12 MB burst: bulk TCP with 20000 miIO datagrams (bench/mkcapture.py)
$PY "$TESTS/../bench/mkcapture.py" "$T/b.pcap" "$T/tok.txt" 12 20000 >/dev/null ||
	fail "bench/mkcapture.py (needs python3-miio)"

for sig in TERM INT; do
	dir=$T/$sig
	start_live "$dir" -t "$T/tok.txt"
	replay "$T/b.pcap"
	stop_live "$sig"        # at once: no pause after the replay
	[ "$LIVE_RC" = 0 ] || fail "SIG$sig: live exited with $LIVE_RC"
	expected=$(count_in "$T/b.pcap" "$(mget "$dir" 'm["capture"]["filter"]')")
	f=$(mget "$dir" 'm["files"][0]["file"]')
	got=$(count_in "$dir/$f")
	drops=$(mget "$dir" 'm["totals"]["kernel_drops"] + m["totals"]["interface_drops"]')
	[ "$drops" = 0 ] || fail "SIG$sig: $drops packets dropped by the kernel (machine too busy?)"
	[ "$got" = "$expected" ] || fail "SIG$sig: $got packets in the evidence, $expected sent"
	[ "$(mget "$dir" 'm["totals"]["packets"]')" = "$expected" ] || fail "SIG$sig: manifest count"
	[ "$(mget "$dir" 'm["status"] + " " + m["reason"]')" = "stopped signal $sig" ] ||
		fail "SIG$sig: manifest status $(mget "$dir" 'm["status"]')"
	[ "$(mget "$dir" 'm["files"][0]["close_reason"]')" = stop ] || fail "SIG$sig: close reason"
	[ "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" = "$(mget "$dir" 'm["files"][0]["sha256"]')" ] ||
		fail "SIG$sig: SHA-256"
	# the last miIO datagram sent was decoded too
	last=$($PY -c 'import json,sys; print(max(json.loads(l)["evidence"]["frame"] for l in open(sys.argv[1]) if "\"miio\"" in l))' "$T/out.jsonl")
	[ "$last" -gt $((expected - 100)) ] || fail "SIG$sig: last decoded frame $last of $expected"
	note "SIG$sig: $expected packets sent, $got in the evidence, 0 drops"
done
echo PASS
