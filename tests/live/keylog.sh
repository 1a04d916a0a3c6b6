#!/bin/bash
# A TLS key log that grows while capturing is re-read: the new lines go into
# the evidence (a pcapng Decryption Secrets Block at that point of the
# file) and into the key store, so a session whose key arrived before its
# traffic decrypts live, and reading the evidence offline - without any key
# log - gives the same events.
. "$(dirname "$0")/lib.sh"

fx=$TESTS/data/tls/t12_aes128gcm.pcap
keys=$TESTS/data/tls/t12_aes128gcm.keys
decrypts=0
"$MF" packets -q -k "$keys" "$fx" | grep -q '"decrypted":true' && decrypts=1

# 1. the key arrives while capturing, before the traffic
dir=$T/early
: >"$T/early.keys"
OUT=$T/early.jsonl start_live "$dir" -f tcp -k "$T/early.keys"
cat "$keys" >>"$T/early.keys"
sleep 1.2      # inotify tells at once; the 1 s re-read is the fallback
replay "$fx"
sleep 0.3
stop_live
[ "$LIVE_RC" = 0 ] || fail "live exited with $LIVE_RC"
f=$(mget "$dir" 'm["files"][0]["file"]')
[ "$(mget "$dir" 'm["files"][0]["tls_key_blocks"]')" -ge 1 ] || fail "no key block in $f"
grep -aq CLIENT_RANDOM "$dir/$f" || fail "the key log lines are not in $f"
if [ "$decrypts" = 1 ]; then
	grep -q '"decrypted":true' "$T/early.jsonl" || fail "the session did not decrypt live"
	"$MF" analyze -q "$dir" | grep -q '"decrypted":true' ||
		fail "analyze (no --keylog) did not decrypt with the keys inside the evidence"
else
	note "this build does not decrypt the fixture (TLS layer?): decryption not checked"
fi
(cd "$dir" && "$MF" packets -q "$f") >"$T/early.evidence.jsonl"
$PY "$LIVE_DIR/compare.py" exact "$T/early.jsonl" "$T/early.evidence.jsonl" ||
	fail "live events differ from the evidence's (keys read from the file)"

# 2. the key arrives after its traffic, once the session has ended: the
# session waits for it (decode/mf_tls.c lingers), and so does the offline
# reader of the evidence, where the key block follows the packets
dir=$T/late
: >"$T/late.keys"
OUT=$T/late.jsonl start_live "$dir" -f tcp -k "$T/late.keys"
replay "$fx"
sleep 0.3
cat "$keys" >>"$T/late.keys"
sleep 1.2
stop_live
[ "$LIVE_RC" = 0 ] || fail "live exited with $LIVE_RC"
f=$(mget "$dir" 'm["files"][0]["file"]')
grep -aq CLIENT_RANDOM "$dir/$f" || fail "the late key log lines are not in $f"
(cd "$dir" && "$MF" packets -q "$f") >"$T/late.evidence.jsonl"
$PY "$LIVE_DIR/compare.py" exact "$T/late.jsonl" "$T/late.evidence.jsonl" ||
	fail "live events differ from the evidence's (late key)"
if [ "$decrypts" = 1 ]; then
	# the session had ended (FIN) before the key came: it waited for it
	grep -q '"kind":"session".*"decrypted":true' "$T/late.jsonl" ||
		fail "the session that ended before its key arrived was not decrypted live"
	grep -q '"reason":"tls_no_secret"' "$T/late.jsonl" ||
		fail "the missing key at the time of the traffic was not reported"
	grep -q '"kind":"session".*"decrypted":true' "$T/late.evidence.jsonl" ||
		fail "the evidence (key block after the traffic) does not decrypt offline"
fi

# 3. a big key log given from the start (a browser's SSLKEYLOGFILE that grew
# for days, ~340 KB of TLS 1.2 and 1.3 lines of varying length): it is read
# in chunks, and every line must reach the evidence and the key store, also
# those of a chunk that begins inside a line (the fixture's key is there)
dir=$T/big
$PY - "$keys" "$T/big.keys" <<'PY'
import random, sys
r = random.Random(7)
labels = ["CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
          "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"]
def line():
    l = r.choice(labels)
    n = 48 if l == "CLIENT_RANDOM" else r.choice([32, 48])
    return "%s %s %s\n" % (l, r.getrandbits(256).to_bytes(32, "big").hex(),
                           r.getrandbits(n * 8).to_bytes(n, "big").hex())
real = [l for l in open(sys.argv[1]) if l.startswith("CLIENT_RANDOM")]
lines = [line() for _ in range(2000)]
lines[1430:1430] = real           # at ~245 KB: inside the fourth 64 KiB chunk
open(sys.argv[2], "w").write("".join(lines))
PY
OUT=$T/big.jsonl start_live "$dir" -f tcp -k "$T/big.keys"
replay "$fx"
sleep 0.3
stop_live
[ "$LIVE_RC" = 0 ] || fail "live exited with $LIVE_RC"
f=$(mget "$dir" 'm["files"][0]["file"]')
want=$(grep -c . "$T/big.keys")
got=$(strings -n 40 "$dir/$f" | grep -cE '^(CLIENT|SERVER|EXPORTER)_')
[ "$got" = "$want" ] || fail "big key log: $got of its $want lines are in $f"
if [ "$decrypts" = 1 ]; then
	grep -q '"kind":"session".*"decrypted":true' "$T/big.jsonl" ||
		fail "big key log: the session did not decrypt live (its key line lost?)"
fi
note "big key log: all $want lines in the evidence"

# 4. the key log is a FIFO or a pipe (`-k <(adb exec-out ...)`): opening it
# does not wait for a writer, and what is written later (here: after the
# traffic, a last line without its newline) is read as it comes
if [ "$decrypts" = 1 ]; then
	dir=$T/fifo
	mkfifo "$T/keys.fifo"
	OUT=$T/fifo.jsonl start_live "$dir" -f tcp -k "$T/keys.fifo"
	replay "$fx"
	sleep 0.3
	printf '%s' "$(grep CLIENT_RANDOM "$keys")" >"$T/keys.fifo"
	sleep 1.5      # a pipe is read at the once-a-second check
	stop_live
	[ "$LIVE_RC" = 0 ] || fail "fifo: live exited with $LIVE_RC"
	grep -q '"kind":"session".*"decrypted":true' "$T/fifo.jsonl" ||
		fail "fifo: the key written into the FIFO did not decrypt the session"
	f=$(mget "$dir" 'm["files"][0]["file"]')
	grep -aq CLIENT_RANDOM "$dir/$f" || fail "fifo: the key is not in $f"
	note "key log as a FIFO: read, decrypted, in the evidence"
fi
echo PASS
