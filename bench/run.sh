#!/usr/bin/env bash
# Benchmark: `miforensics packets` against `tshark -Y udp.port==54321` on the
# same large capture (bench/mkcapture.py), in one run: each tool N times
# alternately, medians and ratios (this machine is shared and noisy).
# usage: bench/run.sh [total_MB] [miio_packets] [runs]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/bench/work
mb=${1:-400}; nmiio=${2:-300000}; runs=${3:-3}
bin=$top/build/cli/miforensics
mkdir -p "$work"
[ -x "$bin" ] || { cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null; cmake --build "$top/build" -j >/dev/null; }
cap=$work/bench-${mb}MB-${nmiio}.pcap
[ -f "$cap" ] || /usr/bin/python3 "$top/bench/mkcapture.py" "$cap" "$work/tokens.txt" "$mb" "$nmiio"
size=$(stat -c %s "$cap")

# One timed run: prints "seconds maxrss_kB" for the command.
timed() {
	/usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
dt = time.perf_counter() - t
print("%.4f %d" % (dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}

bulk=$work/bulk-${mb}MB.pcap
[ -f "$bulk" ] || /usr/bin/python3 "$top/bench/mkcapture.py" "$bulk" "$work/tokens-bulk.txt" "$mb" 0
bsize=$(stat -c %s "$bulk")
mf=(); ts=(); bk=(); rss=0
cat "$cap" > /dev/null   # page cache warm for both
for i in $(seq "$runs"); do
	read -r s r < <(timed "$bin" packets -q -t "$work/tokens.txt" "$cap")
	mf+=("$s"); [ "$r" -gt "$rss" ] && rss=$r
	read -r s _ < <(timed tshark -n -r "$cap" -Y "udp.port==54321")
	ts+=("$s")
	read -r s r < <(timed "$bin" packets -q "$bulk")
	bk+=("$s"); [ "$r" -gt "$rss" ] && rss=$r
done
# events really decoded (not a no-op run)
ev=$("$bin" packets -q -t "$work/tokens.txt" "$cap" | grep -c '"kind":"\(command\|response\)"' || true)
/usr/bin/python3 - "$size" "$rss" "$ev" "${mf[*]}" "${ts[*]}" "$bsize" "${bk[*]}" <<'PY'
import statistics, sys
size, rss, ev = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
mf = [float(x) for x in sys.argv[4].split()]
ts = [float(x) for x in sys.argv[5].split()]
bsize = int(sys.argv[6])
bk = [float(x) for x in sys.argv[7].split()]
m, t = statistics.median(mf), statistics.median(ts)
print("capture             %.0f MB" % (size / 1e6))
print("miIO messages out   %d" % ev)
print("miforensics median  %.3f s  (%.2f GB/s)  runs %s" % (m, size / m / 1e9, mf))
print("tshark median       %.3f s  (%.3f GB/s)  runs %s" % (t, size / t / 1e9, ts))
print("ratio               %.1fx faster than tshark" % (t / m))
b = statistics.median(bk)
print("bulk-only capture   %.0f MB in %.3f s median (%.2f GB/s per core)" % (bsize / 1e6, b, bsize / b / 1e9))
print("peak RSS            %.1f MB" % (rss / 1024))
PY
