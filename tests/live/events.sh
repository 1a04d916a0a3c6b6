#!/bin/bash
# Every miIO / Lumi event of a replayed fixture comes out live; the evidence
# holds every packet sent (count, hash); reading the evidence offline
# (`packets` on the files, `analyze DIR`) gives the same events.
. "$(dirname "$0")/lib.sh"

# one_fixture NAME FIXTURE [decoding options...]
one_fixture() {
	local name=$1 fx=$TESTS/$2 dir=$T/$1 filter expected files f
	shift 2
	OUT=$T/$name.live.jsonl start_live "$dir" "$@"
	replay "$fx"
	sleep 0.3
	stop_live
	[ "$LIVE_RC" = 0 ] || fail "$name: live exited with $LIVE_RC"
	[ "$(mget "$dir" 'm["status"]')" = stopped ] || fail "$name: manifest status is not 'stopped'"

	# the evidence: every packet sent that the filter takes, nothing else
	filter=$(mget "$dir" 'm["capture"]["filter"]')
	expected=$(count_in "$fx" "$filter")
	[ "$expected" -gt 0 ] || fail "$name: no packet of the fixture passes the filter"
	[ "$(mget "$dir" 'm["totals"]["packets"]')" = "$expected" ] ||
		fail "$name: manifest counts $(mget "$dir" 'm["totals"]["packets"]') packets, $expected sent"
	[ "$(mget "$dir" 'm["totals"]["kernel_drops"]')" = 0 ] || fail "$name: kernel drops"
	files=$(mget "$dir" '" ".join(f["file"] for f in m["files"])')
	local n=0
	for f in $files; do
		[ "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" = \
		  "$(mget "$dir" "[x['sha256'] for x in m['files'] if x['file']=='$f'][0]")" ] ||
			fail "$name: $f: SHA-256 differs from the manifest"
		n=$((n + $(count_in "$dir/$f")))
	done
	[ "$n" = "$expected" ] || fail "$name: $n packets in the files, $expected sent"
	note "$name: $expected packets sent, in the evidence, hashes right"

	# live events = the fixture's events
	"$MF" packets -q "$@" "$fx" >"$T/$name.fixture.jsonl" || true
	$PY "$LIVE_DIR/compare.py" fixture "$T/$name.live.jsonl" "$T/$name.fixture.jsonl" ||
		fail "$name: live events differ from the fixture's"
	# = `packets` on the evidence files, line for line
	(cd "$dir" && "$MF" packets -q "$@" $files) >"$T/$name.evidence.jsonl" || true
	$PY "$LIVE_DIR/compare.py" exact "$T/$name.live.jsonl" "$T/$name.evidence.jsonl" ||
		fail "$name: live events differ from the evidence files'"
	# = `analyze DIR` (the folder is recognised by its manifest)
	"$MF" analyze -q "$@" "$dir" >"$T/$name.analyze.jsonl" ||
		fail "$name: analyze on the evidence folder failed"
	$PY "$LIVE_DIR/compare.py" analyze "$T/$name.live.jsonl" "$T/$name.analyze.jsonl" ||
		fail "$name: live events differ from analyze's on the folder"
}

one_fixture miio data/miio/lo.pcap -t "$TESTS/data/miio/tokens.txt" \
	--token "$(cat "$TESTS/data/miio/extra_token.txt")"
one_fixture lumi data/lumi/home.pcapng -t "$TESTS/data/lumi/tokens.txt" \
	--token "$(cat "$TESTS/data/lumi/extra_token.txt")" --lumi-password 0987654321qwerty
echo "PASS"
