#!/bin/bash
# Rotation by size and by age, --max-files deleting the oldest (their hash
# stays in the manifest), and every file's size, SHA-256 and packet count
# against the manifest.
. "$(dirname "$0")/lib.sh"

# ~4 MB: bulk TCP with 3000 miIO datagrams (bench/mkcapture.py)
$PY "$TESTS/../bench/mkcapture.py" "$T/r.pcap" "$T/tok.txt" 4 3000 >/dev/null ||
	fail "bench/mkcapture.py (needs python3-miio)"

dir=$T/size
start_live "$dir" --rotate-mb 1 --max-files 3 -t "$T/tok.txt"
replay "$T/r.pcap"
sleep 0.3
stop_live
[ "$LIVE_RC" = 0 ] || fail "live exited with $LIVE_RC"
expected=$(count_in "$T/r.pcap" "$(mget "$dir" 'm["capture"]["filter"]')")
$PY - "$dir" "$expected" <<'PY' || fail "size rotation"
import hashlib, json, os, re, sys
d, expected = sys.argv[1], int(sys.argv[2])
m = json.load(open(os.path.join(d, "manifest.json")))
files = m["files"]
bad = []
def check(c, msg):
    if not c:
        bad.append(msg)
check(len(files) >= 4, "only %d files for ~4 MB at 1 MB each" % len(files))
check([f["seq"] for f in files] == list(range(1, len(files) + 1)), "sequence numbers")
on_disk = sorted(x for x in os.listdir(d) if x.endswith(".pcapng"))
kept = [f for f in files if f["state"] != "deleted"]
check(len(kept) == 3 and on_disk == sorted(f["file"] for f in kept),
      "max-files 3: on disk %s, manifest keeps %s" % (on_disk, [f["file"] for f in kept]))
check(all(f["state"] == "deleted" for f in files[:-3]), "the oldest are the deleted ones")
total = 0
for i, f in enumerate(files):
    check(re.fullmatch(r"live-%06d-\d{8}T\d{6}Z\.pcapng" % f["seq"], f["file"]), "name " + f["file"])
    check(re.fullmatch(r"[0-9a-f]{64}", f.get("sha256", "")), f["file"] + ": hash kept")
    check(f["first_packet_ns"] <= f["last_packet_ns"], f["file"] + ": packet times")
    check({"kernel", "interface", "received"} <= set(f["capture_counters"]), f["file"] + ": drops")
    total += f["packets"]
    last = i == len(files) - 1
    check(f["close_reason"] == ("stop" if last else "size"), f["file"] + ": " + f["close_reason"])
    if not last:
        check(1000000 <= f["size"] < 1000000 + 4096, "%s: %d bytes" % (f["file"], f["size"]))
    if f["state"] == "deleted":
        continue
    b = open(os.path.join(d, f["file"]), "rb").read()
    check(len(b) == f["size"], f["file"] + ": size")
    check(hashlib.sha256(b).hexdigest() == f["sha256"], f["file"] + ": SHA-256")
check(total == expected == m["totals"]["packets"],
      "packets: files %d, sent %d, totals %d" % (total, expected, m["totals"]["packets"]))
check(m["totals"]["files_deleted"] == len(files) - 3, "files_deleted")
for b in bad:
    print("  " + b)
print("  size rotation: %d files, %d deleted, %d packets" % (len(files), len(files) - 3, total))
sys.exit(1 if bad else 0)
PY
for f in $(mget "$dir" '" ".join(f["file"] for f in m["files"] if f["state"]!="deleted")'); do
	[ "$(count_in "$dir/$f")" = "$(mget "$dir" "[x['packets'] for x in m['files'] if x['file']=='$f'][0]")" ] ||
		fail "$f: packet count differs from the manifest"
	[ "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" = "$(mget "$dir" "[x['sha256'] for x in m['files'] if x['file']=='$f'][0]")" ] ||
		fail "$f: sha256sum differs from the manifest"
done

# by age: 45 packets over ~3 s, a new file every second
dir=$T/time
start_live "$dir" --rotate-s 1
replay "$TESTS/data/miio/lo.pcap" --pps 15
sleep 0.3
stop_live
[ "$LIVE_RC" = 0 ] || fail "live exited with $LIVE_RC"
n=$(mget "$dir" 'len(m["files"])')
[ "$n" -ge 3 ] || fail "time rotation: $n files in ~3 s with --rotate-s 1"
[ "$(mget "$dir" 'sum(f["packets"] for f in m["files"])')" = 45 ] || fail "time rotation: packets lost"
[ "$(mget "$dir" 'all(f["close_reason"]=="time" for f in m["files"][:-1])')" = True ] ||
	fail "time rotation: close reasons $(mget "$dir" '[f["close_reason"] for f in m["files"]]')"
note "time rotation: $n files"
echo PASS
