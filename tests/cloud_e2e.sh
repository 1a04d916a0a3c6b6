#!/usr/bin/env bash
# End to end with real peers, started and stopped here: the local Mi cloud
# stand-in (tests/fixtures/micloud_standin.py, HTTPS on 127.0.0.1, RC4 mode)
# driven by curl with SSLKEYLOGFILE over HTTP/1.1 and HTTP/2, captured with
# tcpdump on loopback (tests/fixtures/make_cloud_capture.sh), then decoded
# and checked against the same expectations as the committed captures.
# usage: tests/cloud_e2e.sh BIN        exit 77 = skipped (no root / tools)
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
for t in tcpdump curl openssl nghttpx; do
	command -v "$t" >/dev/null 2>&1 || { echo "skip: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "skip: capturing on loopback needs root"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$here/fixtures/make_cloud_capture.sh" "$tmp" > "$tmp/make.log" 2>&1; then
	cat "$tmp/make.log"
	echo "cloud_e2e: making the capture failed"
	exit 1
fi
# the expectations of this run come from the stand-in's own record of
# what it was asked and answered (the same generator as the committed ones)
mkdir -p "$tmp/golden"
/usr/bin/python3 "$here/fixtures/micloud_standin.py" expect "$tmp/truth.json" \
	--golden "$tmp/golden" >/dev/null || exit 1
status=0
cd "$here"
for h in h1 h2; do
	"$bin" packets -q -k "$tmp/$h.keys" "$tmp/$h.pcap" > "$tmp/$h.jsonl" || status=1
	/usr/bin/python3 golden/check.py "$tmp/golden/cloud_$h.expect" "$tmp/$h.jsonl" || status=1
done
exit $status
