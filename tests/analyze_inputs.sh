#!/usr/bin/env bash
# Acceptance checks of `analyze` on its inputs and report folder:
# tests/analyze_inputs.sh BIN
#
# On the demo case (pcaps/demo), copied to a temporary folder with a link, a
# byte-identical copy, the extraction unpacked into a read-only folder:
#  * the report is byte-identical whatever order the inputs are named in;
#  * an input named twice (same path, a symbolic link, a copy) is analysed
#    once and listed as a duplicate (case.json), nothing doubled;
#  * case.json: every input's size and SHA-256 as sha256sum(1) says; a folder's
#    as the listing one-liner documented in cli.h (cli_sha256_tree);
#  * capture events carry evidence.sha256 of their capture;
#  * the inputs are unchanged (SHA-256 of every file before and after);
#  * -o inside an input folder, or onto a report, is a usage error (2) and
#    writes nothing; --format jsonl/csv on stdout equal the report's files;
#  * timeline.csv parses (Python csv), Timesketch columns, a row per event
#    plus one per logged_ts;
#  * --tz puts local times in report.html only; an unknown zone is refused;
#  * a case folder's captures are read (beside its extraction).
# Exit 0 pass, 1 fail.
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 BIN" >&2
	exit 2
fi
bin=$1
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/pcaps/demo
export TZ=UTC LC_ALL=C
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
status=0
fail() {
	echo "FAIL $*"
	status=1
}

cd "$tmp"
mkdir ev
cp "$demo/home.pcapng" "$demo/extraction.tar.gz" ev/
cp ev/home.pcapng ev/copy.pcapng
ln -s home.pcapng ev/link.pcapng
mkdir ev/unpacked
tar -xzf ev/extraction.tar.gz -C ev/unpacked
app=ev/unpacked/data/data/com.xiaomi.smarthome
chmod -R a-w ev
find ev -type f -exec sha256sum {} + | sort >before.sha

opts=(--tokens "$demo/tokens.txt" --lumi-password 0987654321qwerty -q)
run() {
	local out=$1 rc=0
	shift
	"$bin" analyze "$@" "${opts[@]}" -o "$out" 2>"$out.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "analyze $* exited $rc"
		sed 's/^/    /' "$out.err" | head -5
	fi
}
run r1 ev/home.pcapng ev/extraction.tar.gz "$app" ev/home.pcapng ev/link.pcapng ev/copy.pcapng
run r2 ev/copy.pcapng "$app" ev/link.pcapng ev/extraction.tar.gz ev/home.pcapng ev/home.pcapng
run r3 "$app" ev/home.pcapng ev/link.pcapng ev/copy.pcapng ev/home.pcapng ev/extraction.tar.gz
for f in events.jsonl timeline.csv report.html case.json; do
	for r in r2 r3; do
		cmp -s "r1/$f" "$r/$f" || fail "$f differs with the inputs in another order ($r)"
	done
done

"$py" - r1 "$app" <<'PYEOF' || status=1
import csv, hashlib, json, os, subprocess, sys

rep, app = sys.argv[1], sys.argv[2]
bad = []
case = json.load(open(os.path.join(rep, "case.json")))
ins = case["inputs"]
dups = [i for i in ins if i.get("status") == "duplicate"]
if len(dups) != 3:
    bad.append("want 3 duplicates (same path, link, copy), got %d" % len(dups))
for i in ins:
    p = i["path"]
    if os.path.isfile(p):
        data = open(p, "rb").read()
        if i["sha256"] != hashlib.sha256(data).hexdigest() or i["size"] != len(data):
            bad.append("case.json input %s: size/sha256 differ from the file" % p)
    elif os.path.isdir(p):
        one = subprocess.run("find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"
                             " | sha256sum", shell=True, cwd=p, capture_output=True,
                             text=True).stdout.split()[0]
        if i["sha256"] != one:
            bad.append("folder %s: sha256 %s, the listing one-liner says %s" % (p, i["sha256"], one))
        if i.get("files", 0) <= 0 or i["size"] <= 0:
            bad.append("folder %s: no size / files" % p)
    else:
        bad.append("input %s is not there" % p)
cap = hashlib.sha256(open("ev/home.pcapng", "rb").read()).hexdigest()
evs = [json.loads(l) for l in open(os.path.join(rep, "events.jsonl"))]
pcap = [e for e in evs if e["source"] == "pcap"]
if len(pcap) != 302:
    bad.append("%d pcap events, want 302 (the capture once)" % len(pcap))
if any(e["evidence"].get("sha256") != cap for e in pcap):
    bad.append("a capture event without the capture's evidence.sha256")
ts = [e["ts_epoch"] for e in evs if e["ts_epoch"] is not None]
if ts != sorted(ts):
    bad.append("events.jsonl not ordered by time")
with open(os.path.join(rep, "timeline.csv"), newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
for c in ("message", "datetime", "timestamp_desc", "timestamp"):
    if rows and c not in rows[0]:
        bad.append("timeline.csv has no column " + c)
want = len(evs) + sum(1 for e in evs if e.get("logged_ts"))
if len(rows) != want:
    bad.append("timeline.csv has %d rows, want %d" % (len(rows), want))
for b in bad:
    print("FAIL " + b)
sys.exit(1 if bad else 0)
PYEOF

# the report folder: never inside an input, never over a report
rc=0
"$bin" analyze "$app" ev/home.pcapng -q -o "$app/report" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "-o inside an input folder exited $rc, want 2"
rc=0
"$bin" analyze ev/home.pcapng -q -o r1 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "-o onto a report exited $rc, want 2"

# stdout formats equal the files
"$bin" analyze ev/home.pcapng ev/extraction.tar.gz "${opts[@]}" >out.jsonl 2>/dev/null || true
"$bin" analyze ev/home.pcapng ev/extraction.tar.gz "${opts[@]}" --format csv >out.csv 2>/dev/null || true
run r4 ev/home.pcapng ev/extraction.tar.gz
cmp -s out.jsonl r4/events.jsonl || fail "--format jsonl differs from events.jsonl"
cmp -s out.csv r4/timeline.csv || fail "--format csv differs from timeline.csv"

# a case folder: the captures in it are read too (they were silently left
# out), beside the extraction found in it; a folder of captures alone is fine
mkdir -p case/sub capsonly
cp ev/home.pcapng case/sub/
cp ev/extraction.tar.gz case/
cp ev/home.pcapng capsonly/
run r7 case
run r8 capsonly
"$py" - r7 r8 <<'PYEOF' || status=1
import json, sys
for rep, phone in ((sys.argv[1], True), (sys.argv[2], False)):
    evs = [json.loads(l) for l in open(rep + "/events.jsonl")]
    n = sum(1 for e in evs if e["source"] == "pcap")
    logs = sum(1 for e in evs if e.get("artifact") == "device-log" and e["kind"] == "device_event")
    if n != 302:
        print("FAIL %s: %d capture events from the folder, want 302" % (rep, n))
        sys.exit(1)
    if phone and logs < 60:
        print("FAIL %s: %d device-log events from the folder's extraction" % (rep, logs))
        sys.exit(1)
    if not phone and any(e["kind"] == "anomaly" and e["source"] != "pcap" for e in evs):
        print("FAIL %s: a folder of captures is reported as a bad input" % rep)
        sys.exit(1)
PYEOF

# a capture through a pipe (/dev/stdin) is read once, as a capture (the
# input was classified by reading it twice: the second read saw other bytes
# and the input was dropped from the run, a crash); an extraction through a
# pipe is a bad input (1), not a crash
rc=0
cat ev/home.pcapng | "$bin" analyze /dev/stdin -q >pipe.jsonl 2>/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "a capture on /dev/stdin: exit $rc"
[ "$(grep -c '"source":"pcap"' pipe.jsonl)" -eq 302 ] || fail "a capture on /dev/stdin: not 302 events"
rc=0
cat ev/extraction.tar.gz | "$bin" analyze /dev/stdin -q >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "an extraction on /dev/stdin: exit $rc, want 1"

# --tz: local times in report.html (summary, commands, chart axis), data UTC
"$bin" analyze ev/home.pcapng ev/extraction.tar.gz "${opts[@]}" --tz Asia/Shanghai \
	-o r5 2>/dev/null || fail "analyze --tz exited non-zero"
grep -q '2024-05-01 17:00:05.800 CST (UTC+08:00)' r5/report.html ||
	fail "report.html with --tz Asia/Shanghai: no local time of the first command"
grep -q '17:02:10 CST' r5/report.html || fail "report.html: no local time on the chart axis"
grep -q 'UTC+08:00' r4/report.html && fail "report.html without --tz shows local times"
cmp -s r4/events.jsonl r5/events.jsonl || fail "--tz changed events.jsonl"
# a zone name is text in the page like any other (a POSIX rule passes the check)
"$bin" analyze ev/home.pcapng -q --tz '<img src=x onerror=alert(1)>' -o r6 2>/dev/null ||
	fail "analyze --tz <img...> exited non-zero"
grep -q '<img' r6/report.html && fail "report.html: --tz written unescaped"
rc=0
"$bin" analyze ev/home.pcapng -q --tz PST >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--tz PST (no such zone: glibc would show UTC) exited $rc, want 2"
rc=0
"$bin" analyze ev/home.pcapng -q --ssecurity 'not*base64' >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--ssecurity that is not base64 exited $rc, want 2"

chmod -R u+w ev
find ev -type f -exec sha256sum {} + | sort >after.sha
cmp -s before.sha after.sha || fail "an input changed"
[ -e "$app/report" ] && fail "a folder was created inside an input"
[ "$status" -eq 0 ] && echo "analyze inputs: all checks passed"
exit "$status"
