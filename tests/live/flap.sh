#!/bin/bash
# The capture interface goes down during a replay and comes back: the file
# open at that moment is closed (interface_down), the interface is
# re-opened once it is up, and the capture continues in a new file.  Runs
# with -Z nobody: root is dropped after opening (only CAP_NET_RAW kept,
# enough to re-open).
. "$(dirname "$0")/lib.sh"

chmod 755 "$T"      # nobody must reach the evidence folder
dir=$T/ev
start_live "$dir" -Z nobody -t "$TESTS/data/lumi/tokens.txt" --lumi-password 0987654321qwerty
grep -q "^Uid:[[:space:]]*65534[[:space:]]" "/proc/$LIVE_PID/status" || fail "-Z nobody: still uid $(grep ^Uid "/proc/$LIVE_PID/status")"
grep -q "^CapEff:[[:space:]]*0000000000002000" "/proc/$LIVE_PID/status" ||
	fail "-Z nobody: capabilities $(grep ^CapEff "/proc/$LIVE_PID/status") (want only CAP_NET_RAW)"

# 304 packets at 100/s (~3 s); down after 1 s for 1 s.  Packets sent while
# vb is down are lost on the wire: tcpreplay's own failures are expected.
ip netns exec "$NS" tcpreplay -i va --pps 100 "$TESTS/data/lumi/home.pcapng" >"$T/replay.log" 2>&1 &
rp=$!
sleep 1
ip -n "$NS" link set vb down
sleep 1
ip -n "$NS" link set vb up
wait "$rp"
sleep 1.5      # the re-open is tried every second
replay "$TESTS/data/miio/lo.pcap"
sleep 0.3
stop_live
[ "$LIVE_RC" = 0 ] || fail "live exited with $LIVE_RC"

n=$(mget "$dir" 'len(m["files"])')
[ "$n" -ge 2 ] || fail "one file only: the flap was not noticed"
[ "$(mget "$dir" 'm["files"][0]["close_reason"]')" = interface_down ] ||
	fail "first file closed for $(mget "$dir" 'm["files"][0]["close_reason"]')"
[ "$(mget "$dir" '[e["event"] for e in m["log"]][:2]')" = "['interface_down', 'interface_up']" ] ||
	fail "manifest log: $(mget "$dir" 'm["log"]')"
[ "$(mget "$dir" 'm["files"][-1]["packets"] > 0')" = True ] || fail "nothing captured after the flap"
grep -q "went down" "$T/err" && grep -q "back; capturing into a new file" "$T/err" ||
	fail "no message about the flap on stderr"
for f in $(mget "$dir" '" ".join(f["file"] for f in m["files"])'); do
	[ "$(stat -c %U "$dir/$f")" = nobody ] || fail "$f is not owned by nobody"
	[ "$(count_in "$dir/$f")" = "$(mget "$dir" "[x['packets'] for x in m['files'] if x['file']=='$f'][0]")" ] ||
		fail "$f: packet count differs from the manifest"
	[ "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" = "$(mget "$dir" "[x['sha256'] for x in m['files'] if x['file']=='$f'][0]")" ] ||
		fail "$f: SHA-256 differs from the manifest"
done
# events kept coming from the new file
last=$(mget "$dir" 'm["files"][-1]["file"]')
grep -q "\"file\":\"$last\"" "$T/out.jsonl" || fail "no event from $last"
note "flap: $n files, $(mget "$dir" 'm["totals"]["packets"]') packets, log $(mget "$dir" '[e["event"] for e in m["log"]]')"
echo PASS
