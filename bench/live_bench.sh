#!/usr/bin/env bash
# Live capture benchmark: replays the bench capture (bench/mkcapture.py:
# bulk TCP with valid miIO datagrams mixed in) into a veth pair inside a
# private network namespace at a fixed packet rate, with `miforensics live`
# capturing on the other end, and reports
#   * packets sent / written to the evidence files / dropped (kernel,
#     interface: pcap_stats, as recorded in the manifest),
#   * the latency from a packet's capture time (the event's ts_epoch) to the
#     moment its event line was read from live's stdout: median, p99, max.
# Issue 7's target: no drops at 100k packets/s, events within 100 ms.
#
# usage: bench/live_bench.sh [pps] [total_MB] [miio_packets] [runs]
#   defaults: 100000 pps, the 400 MB / 300 000 miIO capture of bench/run.sh
# env: MF_BIN (default build-live/cli/miforensics, else build/),
#      EVDIR_PARENT (where the evidence goes; default bench/work),
#      LIVE_OPTS (extra options for `live`, e.g. --immediate).
# Needs root (ip netns, veth) and tcpreplay.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
pps=${1:-100000}; mb=${2:-400}; nmiio=${3:-300000}; runs=${4:-1}
work=$top/bench/work
bin=${MF_BIN:-$top/build-live/cli/miforensics}
[ -x "$bin" ] || bin=$top/build/cli/miforensics
[ -x "$bin" ] || { echo "build miforensics first (cmake --build build)" >&2; exit 1; }
command -v tcpreplay >/dev/null || { echo "tcpreplay is needed (apt-get install tcpreplay)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
mkdir -p "$work"
cap=$work/bench-${mb}MB-${nmiio}.pcap
[ -f "$cap" ] || /usr/bin/python3 "$top/bench/mkcapture.py" "$cap" "$work/tokens.txt" "$mb" "$nmiio"
[ -f "$work/tokens.txt" ] || /usr/bin/python3 "$top/bench/mkcapture.py" "$cap" "$work/tokens.txt" "$mb" "$nmiio"

ns=mf-bench-$$
evparent=${EVDIR_PARENT:-$work}
tmp=$(mktemp -d "$evparent/live-bench.XXXXXX")
livepid=
cleanup() {
	[ -n "$livepid" ] && kill -TERM "$livepid" 2>/dev/null && wait "$livepid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add va type veth peer name vb
ip -n "$ns" link set va up
ip -n "$ns" link set vb up
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true

# Reads event lines as they come; per chunk one clock reading: latency of
# each line = read time - its ts_epoch.  Prints "lines median p99 max" (ms).
reader=$tmp/reader.py
cat > "$reader" <<'PY'
import os, sys, time
out = sys.argv[1]
lat = []
slow = {}          # what the lines over 100 ms are
buf = b""
fd = sys.stdin.fileno()
while True:
    chunk = os.read(fd, 1 << 20)
    if not chunk:
        break
    now = time.time()
    buf += chunk
    lines = buf.split(b"\n")
    buf = lines.pop()
    for ln in lines:
        i = ln.find(b'"ts_epoch":')
        if i < 0:
            continue
        j = ln.find(b",", i)
        try:
            d = now - float(ln[i + 11:j])
        except ValueError:
            continue
        lat.append(d)
        if d > 0.1:
            k = ln.find(b'"kind":')
            r = ln.find(b'"reason":')
            key = (ln[k + 7:ln.find(b",", k)] + (b" " + ln[r + 9:ln.find(b",", r)] if r > 0 else b"")).decode()
            slow[key] = slow.get(key, 0) + 1
lat.sort()
with open(out, "w") as f:
    if lat:
        n = len(lat)
        f.write("%d %.1f %.1f %.1f %d %s\n" % (n, 1000 * lat[n // 2], 1000 * lat[min(n - 1, int(n * 0.99))],
                                         1000 * lat[-1], sum(slow.values()),
                                         ";".join("%s:%d" % kv for kv in sorted(slow.items())).replace(" ", "_") or "-"))
    else:
        f.write("0 0 0 0 0 -\n")
PY

echo "capture: $cap ($(stat -c %s "$cap") bytes), replayed at $pps packets/s, $runs run(s)"
for r in $(seq "$runs"); do
	ev=$tmp/ev$r
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	/usr/bin/python3 "$reader" "$tmp/lat$r" <"$tmp/fifo" &
	readerpid=$!
	# shellcheck disable=SC2086
	ip netns exec "$ns" "$bin" live -i vb -w "$ev" -q -t "$work/tokens.txt" ${LIVE_OPTS:-} \
		>"$tmp/fifo" 2>"$tmp/live$r.err" &
	livepid=$!
	for _ in $(seq 100); do [ -f "$ev/manifest.json" ] && break; sleep 0.05; done
	sleep 0.3
	ip netns exec "$ns" tcpreplay -i va --pps "$pps" "$cap" >"$tmp/replay$r" 2>&1
	sleep 0.5
	kill -TERM "$livepid" 2>/dev/null || true
	wait "$livepid" 2>/dev/null || true
	livepid=
	wait "$readerpid" 2>/dev/null || true
	sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$tmp/replay$r")
	secs=$(sed -n 's/.* sent in \([0-9.]*\) seconds.*/\1/p' "$tmp/replay$r")
	rate=$(sed -n 's/.*Mbps, \([0-9.]*\) pps.*/\1/p' "$tmp/replay$r")
	/usr/bin/python3 - "$ev/manifest.json" "$sent" "$secs" "$rate" "$tmp/lat$r" "$r" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
t = m["totals"]
sent, secs, rate = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
n, med, p99, mx, nslow, slow = open(sys.argv[5]).read().split()
print("run %s: sent %d packets in %.2f s (%.0f pps); written %d; dropped: kernel %d, "
      "interface %d; lost %d" % (sys.argv[6], sent, secs, rate, t["packets"], t["kernel_drops"],
                               t["interface_drops"], sent - t["packets"]))
print("       events %s, latency packet -> event line: median %s ms, p99 %s ms, max %s ms"
      % (n, med, p99, mx))
print("       over 100 ms: %s (%s)" % (nslow, slow.replace("_", " ")))
PY
	rm -rf "$ev"
done
