#!/usr/bin/env bash
# Renders the demo case's report.html in headless Chromium: tests/report_render.sh BIN
#
# Runs "BIN analyze" on pcaps/demo (as the README's first command does) into a
# temporary folder, takes a screenshot of report.html and checks that it is
# not blank (PNG decoded with the Python standard library: enough non-white
# pixels and colours), and that the rendered DOM holds the "Device timelines"
# section and an <svg> chart.  Exit 0 pass, 1 fail, 77 skip (no chromium).
# MF_RENDER_KEEP=DIR keeps report folder, shot.png and dom.html in DIR.
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 BIN" >&2
	exit 2
fi
bin=$1
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
	echo "SKIP: chromium not installed"
	exit 77
fi
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/pcaps/demo
export TZ=UTC LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rc=0
"$bin" analyze "$demo/home.pcapng" "$demo/extraction.tar.gz" --tokens "$demo/tokens.txt" \
	--token "$(cat "$demo/extra_token.txt")" --lumi-password 0987654321qwerty -q \
	-o "$tmp/report" 2>"$tmp/analyze.err" || rc=$?
# 1 = an input was incomplete (the demo extraction holds damaged files on purpose)
if [ "$rc" -gt 1 ] || [ ! -s "$tmp/report/report.html" ]; then
	echo "FAIL analyze exited $rc without report.html"
	sed 's/^/    /' "$tmp/analyze.err" | head -20
	exit 1
fi

chrome() {
	timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$(mktemp -d "$tmp/profile.XXXX")" "$@"
}
status=0
chrome --screenshot="$tmp/shot.png" --window-size=1280,2000 \
	"file://$tmp/report/report.html" >"$tmp/chrome.out" 2>&1 || true
chrome --dump-dom "file://$tmp/report/report.html" >"$tmp/dom.html" 2>"$tmp/chrome.err" || true
if [ -n "${MF_RENDER_KEEP:-}" ]; then
	mkdir -p "$MF_RENDER_KEEP"
	cp -r "$tmp/report" "$tmp/dom.html" "$MF_RENDER_KEEP/"
	[ -f "$tmp/shot.png" ] && cp "$tmp/shot.png" "$MF_RENDER_KEEP/"
fi

if [ ! -s "$tmp/shot.png" ]; then
	echo "FAIL no screenshot"
	sed 's/^/    /' "$tmp/chrome.out" | tail -5
	status=1
else
	"$py" - "$tmp/shot.png" <<'EOF' || status=1
import struct, sys, zlib

def decode(path):
    """RGB(A) 8-bit PNG -> (width, height, bytes per pixel, rows)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat.append(body)
        elif typ == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG: depth %d colour type %d interlace %d"
                         % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

path = sys.argv[1]
w, h, bpp, rows = decode(path)
ink, colours = 0, set()
for y in range(0, h, 2):
    r = rows[y]
    for x in range(0, w * bpp, 2 * bpp):
        px = r[x:x + 3]
        if min(px) < 200:
            ink += 1
        colours.add(px)
total = ((h + 1) // 2) * ((w + 1) // 2)
share = ink / total
ok = share > 0.01 and len(colours) > 16
print("%s screenshot %dx%d: %.1f %% non-white pixels, %d colours"
      % ("ok" if ok else "FAIL", w, h, 100 * share, len(colours)))
sys.exit(0 if ok else 1)
EOF
fi
for want in "Device timelines" "<svg"; do
	if grep -q -- "$want" "$tmp/dom.html"; then
		echo "ok dom holds '$want'"
	else
		echo "FAIL rendered DOM lacks '$want'"
		status=1
	fi
done
exit "$status"
