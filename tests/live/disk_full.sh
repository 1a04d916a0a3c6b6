#!/bin/bash
# A full disk: the evidence file ends at its last complete packet (valid,
# hashed, counted), the manifest says "disk_full", live stops with exit 1
# and a message, and no event was printed for a packet that is not in the
# evidence.  The small disk is a 1.5 MB tmpfs in a private mount namespace.
if [ -z "${MF_DISKFULL_NS:-}" ]; then
	command -v unshare >/dev/null || { echo "SKIP: no unshare(1)" >&2; exit 77; }
	MF_DISKFULL_NS=1 exec unshare -m --propagation private "$0" "$@"
	echo "SKIP: cannot create a mount namespace" >&2
	exit 77
fi
. "$(dirname "$0")/lib.sh"

mkdir "$T/small"
ON_EXIT='umount "$T/small" 2>/dev/null'
mount -t tmpfs -o size=1536k tmpfs "$T/small" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs in the mount namespace: $(cat "$T/mount.err")"
$PY "$TESTS/../bench/mkcapture.py" "$T/r.pcap" "$T/tok.txt" 6 3000 >/dev/null ||
	fail "bench/mkcapture.py (needs python3-miio)"

dir=$T/small/ev
start_live "$dir" -t "$T/tok.txt"
replay "$T/r.pcap"
for _ in $(seq 50); do kill -0 "$LIVE_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$LIVE_PID" 2>/dev/null; then stop_live; fail "live did not stop on the full disk"; fi
wait "$LIVE_PID"
LIVE_RC=$?
LIVE_PID=
[ "$LIVE_RC" = 1 ] || fail "exit status $LIVE_RC, expected 1"
grep -q "No space left on device" "$T/err" || fail "no message about the full disk"
[ "$(mget "$dir" 'm["status"]')" = disk_full ] || fail "manifest status $(mget "$dir" 'm["status"]')"
f=$(mget "$dir" 'm["files"][-1]["file"]')
n=$(mget "$dir" 'm["files"][-1]["packets"]')
[ "$n" -gt 100 ] || fail "only $n packets written"
[ "$(count_in "$dir/$f")" = "$n" ] || fail "$f holds $(count_in "$dir/$f") packets, the manifest says $n"
tcpdump -nr "$dir/$f" 2>&1 >/dev/null | grep -qi "truncated\|error" && fail "$f does not read to a clean end"
[ "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" = "$(mget "$dir" 'm["files"][-1]["sha256"]')" ] ||
	fail "$f: SHA-256 differs from the manifest"
[ "$(mget "$dir" 'm["files"][-1]["close_reason"]')" = write_error ] || fail "close reason"
max=$($PY -c 'import json,sys; print(max([json.loads(l)["evidence"]["frame"] for l in open(sys.argv[1])] or [0]))' "$T/out.jsonl")
[ "$max" -le "$n" ] || fail "an event names frame $max, the evidence holds $n"
[ "$max" -gt 0 ] || fail "no events"
[ ! -e "$dir/.manifest.reserve" ] || fail "the manifest's space reserve was left behind"
note "disk full after $n of $SENT packets; file valid and hashed; events up to frame $max"
echo PASS
