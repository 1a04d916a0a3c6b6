#!/bin/bash
# The reader of the events (a pipe into a slow program, a terminal) does
# not cost packets: it stops reading for 4 s during a 12 MB burst, with a
# kernel buffer (-B 8M) smaller than the burst; every packet is in the
# evidence, and every event line reaches the reader once it reads again.
# Then a reader that never reads: SIGTERM still ends the run, the manifest
# final at once, after at most 5 s of waiting for the reader.
. "$(dirname "$0")/lib.sh"

$PY "$TESTS/../bench/mkcapture.py" "$T/b.pcap" "$T/tok.txt" 12 20000 >/dev/null ||
	fail "bench/mkcapture.py (needs python3-miio)"

dir=$T/ev
mkfifo "$T/fifo"
(exec 3<"$T/fifo"; sleep 4; cat <&3 >"$T/out.jsonl") &   # opens at once, reads later
reader=$!
OUT=$T/fifo start_live "$dir" -B 8M -t "$T/tok.txt"
replay "$T/b.pcap" --pps 20000
sleep 0.5
stop_live
wait "$reader"
[ "$LIVE_RC" = 0 ] || fail "live exited with $LIVE_RC"
expected=$(count_in "$T/b.pcap" "$(mget "$dir" 'm["capture"]["filter"]')")
drops=$(mget "$dir" 'm["totals"]["kernel_drops"]')
[ "$drops" = 0 ] || fail "$drops packets dropped while the reader did not read"
[ "$(mget "$dir" 'm["totals"]["packets"]')" = "$expected" ] || fail "packets missing"
f=$(mget "$dir" 'm["files"][0]["file"]')
(cd "$dir" && "$MF" packets -q -t "$T/tok.txt" "$f") >"$T/evidence.jsonl"
[ "$(wc -l <"$T/out.jsonl")" = "$(wc -l <"$T/evidence.jsonl")" ] ||
	fail "the reader got $(wc -l <"$T/out.jsonl") lines, the evidence gives $(wc -l <"$T/evidence.jsonl")"
$PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out.jsonl" ||
	fail "a line the reader got is not JSON"
note "reader paused 4 s: $expected packets, 0 drops, $(wc -l <"$T/out.jsonl") event lines"

# a reader that never reads
dir=$T/stuck
rm -f "$T/fifo"
mkfifo "$T/fifo"
sleep 30 <"$T/fifo" &
sleeper=$!
ON_EXIT="kill $sleeper 2>/dev/null"
OUT=$T/fifo start_live "$dir" -t "$T/tok.txt"
replay "$T/b.pcap"
sleep 0.5
start=$(date +%s%N)
kill -TERM "$LIVE_PID"
for _ in $(seq 40); do
	[ "$(mget "$dir" 'm["status"]' 2>/dev/null)" = stopped ] && break
	sleep 0.1
done
[ "$(mget "$dir" 'm["status"]')" = stopped ] || fail "the manifest waited for the reader"
wait "$LIVE_PID"
LIVE_RC=$?
LIVE_PID=
ms=$((($(date +%s%N) - start) / 1000000))
[ "$LIVE_RC" = 0 ] || fail "stuck reader: live exited with $LIVE_RC"
[ "$ms" -lt 9000 ] || fail "stuck reader: live took $ms ms to end"
grep -q "took nothing for 5 s" "$T/err" || fail "stuck reader: no message"
[ "$(mget "$dir" 'm["totals"]["packets"]')" = "$expected" ] || fail "stuck reader: packets missing"
note "reader that never reads: ended $ms ms after SIGTERM, manifest final at once"
echo PASS
