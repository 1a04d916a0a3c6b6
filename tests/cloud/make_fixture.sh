#!/usr/bin/env bash
# Makes the committed acquisition folders of the golden tests
# (tests/data/cloudacq/) with the stand-in:
#   complete/      login + acquire --region cn,de (cn holds nothing; de the
#                  synthetic home: 8 devices, 7 with the tokens of
#                  data/miio/lo.pcap and a camera, device_log / property /
#                  operation history, scenes and runs, shares, messages,
#                  the camera's event list and alarm playlist)
#   interrupted/   the same, the network gone for good after 30 calls
# Nonces, keys and times differ on every run (the history is relative to
# the time of making): regenerate the expectations' counts, not bytes.
# usage: make_fixture.sh BIN [OUTDIR]
BIN=$1
. "$(dirname "$0")/lib.sh"
out=${2:-$tests/data/cloudacq}
start_server
login "$work/s.json" 2>/dev/null || { echo "login failed" >&2; exit 1; }
rm -rf "$out/complete" "$out/interrupted"
mkdir -p "$out"
acquire --session "$work/s.json" -o "$out/complete" --region cn,de -q || exit 1
calls=$(state_field api_calls)
ctl "{\"clear\":true,\"fail\":[\"drop_after=$((calls + 30))\"]}"
acquire --session "$work/s.json" -o "$out/interrupted" --region cn,de --retries 1 -q
[ $? -eq 1 ] || { echo "the interrupted acquisition did not fail" >&2; exit 1; }
# the evidence folders are private (0700/0600) when made; the committed
# copies are ordinary files
chmod -R u=rwX,go=rX "$out/complete" "$out/interrupted"
echo "made $out/complete and $out/interrupted"
