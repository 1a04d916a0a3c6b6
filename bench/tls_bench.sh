#!/usr/bin/env bash
# TLS decryption benchmark: one large TLS 1.3 AES-128-GCM session captured on
# loopback (openssl s_client pushing MB megabytes to s_server, tcpdump -s 0),
# then `miforensics packets -k KEYS` (median of RUNS) against one run of
# `tshark -o tls.keylog_file:KEYS -q -z io,stat,0`, on the same file; and
# miforensics without the key log (everything but the decryption), so the
# difference shows what decrypting costs.
# usage: bench/tls_bench.sh [MB] [RUNS] [SUITE]     (default 300, 3, TLS_AES_128_GCM_SHA256)
# Needs root (tcpdump on lo), openssl, tcpdump, tshark.  Loopback only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/bench/work
mb=${1:-300}; runs=${2:-3}; suite=${3:-TLS_AES_128_GCM_SHA256}
bin=${MF_BIN:-$top/build-tls/cli/miforensics}
mkdir -p "$work"
if [ ! -x "$bin" ]; then
	cmake -S "$top" -B "$top/build-tls" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$top/build-tls" -j2 --target miforensics >/dev/null
fi
cap=$work/tls-${mb}MB-$suite.pcap
keys=$work/tls-${mb}MB-$suite.keys

make_capture() {
	local tmp port=44499 tpid spid
	tmp=$(mktemp -d)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" \
		-days 30 -subj /CN=bench.test 2>/dev/null
	rm -f "$keys"
	tcpdump -i lo -B 524288 -U -s 0 -w "$cap" "tcp port $port" 2>"$tmp/tcpdump.err" &
	tpid=$!
	sleep 1
	( sleep 600 ) | openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/c.pem" \
		-key "$tmp/k.pem" -naccept 1 -quiet >/dev/null 2>&1 &
	spid=$!
	sleep 0.5
	head -c "${mb}M" /dev/zero | openssl s_client -connect "127.0.0.1:$port" \
		-servername bench.test -keylogfile "$keys" -quiet -no_ign_eof -tls1_3 \
		-ciphersuites "$suite" >/dev/null 2>&1
	sleep 1
	kill "$spid" 2>/dev/null || true
	kill -INT "$tpid"
	wait "$tpid" 2>/dev/null || true
	if ! grep -q '^0 packets dropped by kernel' "$tmp/tcpdump.err"; then
		cat "$tmp/tcpdump.err" >&2
		rm -rf "$tmp" "$cap"
		echo "tls_bench: tcpdump dropped packets; try a smaller MB" >&2
		exit 1
	fi
	rm -rf "$tmp"
}
[ -f "$cap" ] && [ -f "$keys" ] || make_capture
size=$(stat -c %s "$cap")

timed() {
	/usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
dt = time.perf_counter() - t
print("%.4f %d" % (dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}

cat "$cap" >/dev/null   # page cache warm
session=$("$bin" packets -q -k "$keys" "$cap" | grep '"kind":"session"' || true)
case $session in
*'"decrypted":true'*) ;;
*) echo "tls_bench: the session did not decrypt: $session" >&2; exit 1 ;;
esac
plain=$(printf '%s' "$session" | /usr/bin/python3 -c '
import json, sys
t = json.loads(sys.stdin.read())["tls"]["plaintext_bytes"]
print(t["client_to_server"] + t["server_to_client"])')
# alternately: with the key log, and without it (same pipeline, no decryption)
mf=(); nk=(); rss=0
for i in $(seq "$runs"); do
	read -r s r < <(timed "$bin" packets -q -k "$keys" "$cap")
	mf+=("$s"); [ "$r" -gt "$rss" ] && rss=$r
	read -r s _ < <(timed "$bin" packets -q "$cap")
	nk+=("$s")
done
read -r ts _ < <(timed tshark -n -o "tls.keylog_file:$keys" -r "$cap" -q -z io,stat,0)
/usr/bin/python3 - "$size" "$plain" "$rss" "${mf[*]}" "$ts" "$suite" "${nk[*]}" <<'PY'
import statistics, sys
size, plain, rss = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
mf = [float(x) for x in sys.argv[4].split()]
ts, suite = float(sys.argv[5]), sys.argv[6]
nk = [float(x) for x in sys.argv[7].split()]
m, n = statistics.median(mf), statistics.median(nk)
print("capture             %.0f MB, one TLS 1.3 session (%s), %.0f MB plaintext" %
      (size / 1e6, suite, plain / 1e6))
print("miforensics median  %.3f s  (%.2f GB/s capture, %.2f GB/s plaintext)  runs %s" %
      (m, size / m / 1e9, plain / m / 1e9, mf))
print("tshark (one run)    %.3f s  (%.3f GB/s)" % (ts, size / ts / 1e9))
print("ratio               %.1fx faster than tshark" % (ts / m))
print("without the key log %.3f s median (reading, SHA-256 of the file, TCP): decryption adds"
      " %.3f s = %s" % (n, m - n, "%.1f GB/s of plaintext" % (plain / (m - n) / 1e9)
                        if m - n > 0.005 else "too little to measure"))
print("peak RSS            %.1f MB" % (rss / 1024))
PY
