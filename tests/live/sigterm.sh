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
	if [ "$sig" = TERM ]; then
		# SIGUSR1 (tcpdump's "print your counts") prints the status line on
		# stderr, not a terminal here, and does not end the run
		replay "$TESTS/data/miio/lo.pcap"
		sleep 0.3
		kill -USR1 "$LIVE_PID"
		sleep 0.3
		kill -0 "$LIVE_PID" 2>/dev/null || { wait "$LIVE_PID"; LIVE_PID=; fail "SIGUSR1 ended live"; }
		grep -q "^vb: 45 packets, .* events, drops 0 kernel / 0 interface, 1 file" "$T/err" ||
			fail "SIGUSR1: no status line on stderr"
	fi
	replay "$T/b.pcap"
	stop_live "$sig"        # at once: no pause after the replay
	[ "$LIVE_RC" = 0 ] || fail "SIG$sig: live exited with $LIVE_RC"
	expected=$(count_in "$T/b.pcap" "$(mget "$dir" 'm["capture"]["filter"]')")
	[ "$sig" = TERM ] && expected=$((expected + 45))
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
