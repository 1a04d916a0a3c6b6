#!/usr/bin/env bash
# A network failure in the middle of an acquisition: the stand-in drops
# every connection after a number of calls; acquire retries, stops as
# interrupted with a valid manifest; --resume continues from the manifest
# without asking answered calls again, and the result reads like an
# uninterrupted acquisition.  Also: a dropped connection that comes back
# within the retries, and an evidence file altered after the acquisition.
# usage: resume.sh BIN
BIN=$1
. "$(dirname "$0")/lib.sh"
start_server
S=$work/session.json
login "$S" 2>/dev/null || { echo "FAIL login"; exit 1; }

# reference: one uninterrupted acquisition
acquire --session "$S" -o "$work/full" --region de 2>/dev/null
check '[ $? -eq 0 ]' "reference acquisition"

# one dropped connection: retried
calls=$(state_field api_calls)
ctl "{\"clear\":true,\"fail\":[\"drop_once=$((calls + 20))\"]}"
acquire --session "$S" -o "$work/once" --region de 2>/dev/null
# (libcurl itself re-sends a request once on a fresh connection when a
# reused one dies before any answer; otherwise acquire's retry does it)
check '[ $? -eq 0 ] && grep -q "\"dropped\": true" "$work/server.log" && [ "$(pyq "$work/once" "m[\"summary\"][\"status\"]")" = complete ]' \
	"a single dropped connection: the call is sent again, exit 0"

# the network goes away for good after 40 more calls
calls=$(state_field api_calls)
ctl "{\"clear\":true,\"fail\":[\"drop_after=$((calls + 40))\"]}"
acquire --session "$S" -o "$work/acq" --region de --retries 2 2>"$work/int.err"
check '[ $? -eq 1 ]' "interrupted acquisition: exit 1"
check 'grep -q "interrupted" "$work/int.err" && grep -q -- "--resume" "$work/int.err"' "interrupted: says to use --resume"
check '"$py" -c "import json,sys; json.load(open(sys.argv[1]))" "$work/acq/manifest.json"' "interrupted: manifest.json is valid JSON"
check '[ "$(pyq "$work/acq" "m[\"summary\"][\"status\"]")" = interrupted ]' "interrupted: manifest status"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"status\"] == \"network_error\"])")" = 3 ]' \
	"interrupted: the failed attempts are in the manifest"
n1=$(pyq "$work/acq" "len([e for e in reqs if e['status'] == 'ok'])")

# the network is back: resume
ctl '{"clear":true}'
before=$(state_field api_calls)
acquire --session "$S" -o "$work/acq" --resume 2>"$work/res.err"
check '[ $? -eq 0 ]' "--resume: exit 0"
check '[ "$(pyq "$work/acq" "m[\"summary\"][\"status\"]")" = complete ]' "--resume: manifest complete"
check '[ "$(pyq "$work/acq" "len(m[\"runs\"])")" = 2 ] && [ "$(pyq "$work/acq" "m[\"runs\"][1][\"resumed\"]")" = True ]' \
	"--resume: a second run recorded"
check '[ "$(pyq "$work/acq" "m[\"runs\"][1][\"reused\"]")" = "$n1" ]' "--resume: every answered call reused from the folder ($n1)"
sent=$(( $(state_field api_calls) - before ))
total=$(pyq "$work/full" "len(reqs)")
check '[ $((n1 + sent)) = "$total" ]' "--resume: only the missing calls were sent ($n1 + $sent = $total)"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"status\"] == \"ok\"]) - len(set(e[\"request_key\"] for e in reqs if e[\"status\"] == \"ok\"))")" = 0 ]' \
	"--resume: no call answered twice"
check '[ "$(pyq "$work/acq" "len(set(e[\"seq\"] for e in reqs)) == len(reqs) and sorted(e[\"seq\"] for e in reqs) == [e[\"seq\"] for e in reqs]")" = True ]' \
	"--resume: sequence numbers continue"
(cd "$work" && "$BIN" analyze full >full.jsonl 2>/dev/null && "$BIN" analyze acq >acq.jsonl 2>/dev/null)
check '[ $? -eq 0 ]' "analyze on the resumed folder: exit 0"
kinds() { "$py" -c "
import collections, json, sys
c = collections.Counter((e['kind'], e.get('did'), e.get('event'), e.get('ts')) for e in map(json.loads, open(sys.argv[1])) if e['kind'] not in ('session',))
print(sorted(c.items(), key=str))" "$1"; }
check '[ "$(kinds "$work/full.jsonl" | sed "s/[0-9:T.-]*Z//g")" = "$(kinds "$work/acq.jsonl" | sed "s/[0-9:T.-]*Z//g")" ]' \
	"the resumed acquisition gives the same records as the uninterrupted one"

# a stored file altered afterwards: reported by analyze
cp -a "$work/full" "$work/tampered"
f=$(ls "$work"/tampered/responses/*-de-devices.json | head -1)
sed -i 's/Desk plug/Desk pluG/' "$f"
(cd "$work" && "$BIN" analyze tampered >t.jsonl 2>t.err)
check '[ $? -eq 1 ] && grep -q "evidence_hash_mismatch" "$work/t.jsonl"' "an altered reply file: hash mismatch reported, exit 1"
# a manifest cut by a crash: the complete lines are read
cp -a "$work/full" "$work/cut"
head -c $(( $(stat -c %s "$work/cut/manifest.json") * 2 / 3 )) "$work/full/manifest.json" >"$work/cut/manifest.json"
(cd "$work" && "$BIN" analyze cut >c.jsonl 2>c.err)
check '[ $? -eq 1 ] && grep -q "acquisition_incomplete" "$work/c.jsonl" && grep -q "\"kind\":\"device\"" "$work/c.jsonl"' \
	"a manifest cut short: what it lists is read, the input is marked unfinished"
finish
