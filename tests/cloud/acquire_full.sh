#!/usr/bin/env bash
# A complete acquisition against the stand-in: password login (session file
# 0600), acquire, the evidence folder (manifest, hashes, redaction), what the
# stand-in saw (every call signed correctly, nothing but queries), and the
# folder as an input of analyze and tokens (its tokens decrypt a capture).
# usage: acquire_full.sh BIN
BIN=$1
. "$(dirname "$0")/lib.sh"
start_server

# --- login: the session file is created with mode 0600, even under umask 000
(umask 000; login "$work/session.json" 2>"$work/login.err")
check '[ $? -eq 0 ]' "password login succeeds"
check '[ "$(stat -c %a "$work/session.json")" = 600 ]' "session file has mode 0600 (umask 000)"
check '"$py" -c "import json,sys; s=json.load(open(sys.argv[1])); assert s[\"format\"]==\"miforensics-cloud-session/1\"; assert s[\"userId\"]==\"1234567890\"; assert all(s[k] for k in (\"ssecurity\",\"serviceToken\",\"passToken\"))" "$work/session.json"' \
	"session file holds userId, ssecurity, serviceToken, passToken"
check 'grep -q "logged in as userId 1234567890" "$work/login.err"' "login reports the userId"
check '! grep -q "correct horse" "$work/session.json"' "the password is not stored"
check 'grep -q "\"hash_ok\": true" "$work/server.log" && grep -q "\"sign_ok\": true" "$work/server.log" && grep -q "\"form_ok\": true" "$work/server.log"' \
	"serviceLoginAuth2: MD5 hash, _sign and form as the app sends them"
check 'grep -q "\"clientSign_ok\": true" "$work/server.log"' "STS step with a valid clientSign"
check 'grep -q "\"cookies_ok\": true" "$work/server.log"' "sdkVersion and deviceId cookies pre-set"

# --- acquire
acquire --session "$work/session.json" -o "$work/acq" 2>"$work/acq.err"
rc=$?
check '[ $rc -eq 0 ]' "acquire exits 0 (rc $rc)"
check '[ "$(stat -c %a "$work/acq")" = 700 ]' "evidence folder has mode 0700"
check '[ "$(pyq "$work/acq" "m[\"summary\"][\"status\"]")" = complete ]' "manifest: status complete"
check '[ "$(pyq "$work/acq" "\",\".join(m[\"summary\"][\"regions_with_data\"])")" = de ]' "data found in region de only"
check '[ "$(pyq "$work/acq" "len(m[\"summary\"][\"regions_without_data\"])")" = 7 ]' "the seven other regions probed and empty"
check '[ "$(state_field bad)" = 0 ]' "the stand-in verified every request (signature, rc4_hash__, nonce, headers, cookies)"
check '[ "$(state_field forbidden)" = 0 ]' "no acting endpoint was ever sent"
# every exchange in the manifest, every stored file matches its SHA-256
check '"$py" - "$work/acq" <<"PY"
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
n = 0
for e in m["requests"]:
    for k in ("raw", "decoded"):
        f = e.get(k)
        if f:
            b = open(os.path.join(d, f["file"]), "rb").read()
            assert hashlib.sha256(b).hexdigest() == f["sha256"], f
            assert len(b) == f["size"], f
            n += 1
    for k in ("time", "url", "params", "http_status", "request_id", "status", "nonce"):
        assert k in e, (k, e["seq"])
    assert "ssecurity=%5Bredacted%5D" in e["sent"], e["sent"]
assert n == 2 * len(m["requests"]), n
PY' "every request: time, URL, parameters, status, Request-Id; raw + decoded files match their SHA-256"
ss=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['ssecurity'])" "$work/session.json")
st=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['serviceToken'])" "$work/session.json")
check '! grep -rqF "$ss" "$work/acq" && ! grep -rqF "$st" "$work/acq"' "neither ssecurity nor serviceToken is in the evidence folder"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"status\"] != \"ok\"])")" = 0 ]' "every call answered ok"
check '[ "$(pyq "$work/acq" "\" \".join(sorted(set(e[\"endpoint\"] for e in reqs)))")" = "ble_beaconkey camera_alarms camera_events device_count device_data device_log device_operation_log device_shares devices home_devices home_members homes invitations message_types messages profile received_shares scene_history scenes share_history share_users" ]' \
	"homes, devices, shares, members, invitations, scenes, scene history, messages, device histories, camera lists acquired"
# paging: home devices by start_did, histories by time (several pages each)
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"endpoint\"] == \"home_devices\"])")" -ge 3 ]' "home device list paged (start_did)"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"endpoint\"] == \"device_data\" and \"237670214\" in json.dumps(e[\"params\"])])")" -ge 10 ]' "device_log history paged over the window"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"endpoint\"] == \"scene_history\" and e[\"region\"] == \"de\"])")" -ge 4 ]' "scene history paged (timestamp)"
check 'grep -q "rc4+gzip" "$work/acq/manifest.json"' "inner gzip replies decoded"
check 'grep -q "region de: 2 home(s), 8 device(s)" "$work/acq/acquisition.log"' "acquisition log written"

# --- analyze on the folder
(cd "$work" && "$BIN" analyze acq -o report 2>analyze.err)
check '[ $? -eq 0 ]' "analyze on the folder exits 0"
check '"$py" - "$work/report" <<"PY"
import collections, json, sys
ev = [json.loads(l) for l in open(sys.argv[1] + "/events.jsonl")]
assert all(e["source"] == "cloud" for e in ev)
c = collections.Counter(e["kind"] for e in ev)
assert c["device_event"] == 80 + 45, c  # 40 motion + 40 no_motion (no page overlap twice), 30 + 15 camera
assert c["property"] == 27, c
assert c["home"] == 2 and c["room"] == 4, c
assert c["scene"] == 14, c               # 2 definitions + 12 runs
assert c["anomaly"] == 0, c
ev0 = [e for e in ev if e["kind"] == "device_event" and e["micloud"]["endpoint"] == "device_data"][0]
assert ev0["did"] == "237670214" and ev0["evidence"]["file"].startswith("acq/responses/")
assert len(ev0["evidence"]["sha256"]) == 64 and ev0["evidence"]["request_id"].startswith("req-")
case = json.load(open(sys.argv[1] + "/case.json"))
devs = {d["did"]: d for d in case["devices"]}
assert len(devs) == 8, devs.keys()
p = devs["42688810"]
assert p["model"] == "chuangmi.plug.m1" and p["name"] == "Desk plug", p
assert p["mac"] == "04:CF:8C:11:00:0A" and p["ip"] == "127.0.0.11", p
tok = [e for e in ev if e["kind"] == "token"]
assert tok and all("redacted" in e["token"] for e in tok), tok[0]
PY' "analyze: cloud history on the timeline, devices in the registry (did/model/name/mac/ip), tokens redacted"
check '"$py" -c "
import json,sys
c=json.load(open(sys.argv[1]+\"/case.json\"))
i=[x for x in c[\"inputs\"] if x.get(\"type\")==\"cloud-acquisition\"]
assert i and len(i[0][\"sha256\"])==64, c[\"inputs\"]
" "$work/report"' "case.json lists the folder as a cloud-acquisition input with the manifest's SHA-256"

# --- tokens on the folder, and the folder's tokens decrypting a capture
"$BIN" tokens -q "$work/acq" >"$work/tokens.txt"
check 'grep -q "^42688810 509cd46147f2c367da006fda76a48f5f" "$work/tokens.txt"' "tokens: device tokens in clear with their did"
check 'grep -q "^# BLE beacon key" "$work/tokens.txt"' "tokens: the BLE beacon key listed as a comment"
(cd "$tests" && "$BIN" analyze data/miio/lo.pcap "$work/acq" >"$work/lo.jsonl" 2>"$work/lo.err")
check 'grep -q "(31 decrypted)" "$work/lo.err"' "cloud tokens decrypt the capture (given after it on the command line)"

# --- --since narrows the history window; an existing folder is refused
since=$(date -u -d '-10 days' +%Y-%m-%d)
acquire --session "$work/session.json" -o "$work/acq_since" --region de --since "$since" 2>/dev/null
check '[ $? -eq 0 ]' "acquire --since --region de exits 0"
check '[ "$(pyq "$work/acq_since" "len([e for e in reqs if e[\"region\"] != \"de\"])")" = 0 ]' "--region de asks de only"
(cd "$work" && "$BIN" analyze acq_since >since.jsonl 2>/dev/null)
check '"$py" - "$work/since.jsonl" "$since" <<"PY"
import datetime, json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
since = datetime.datetime.strptime(sys.argv[2], "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc).timestamp()
log = [e for e in ev if e["kind"] == "device_event" and e["micloud"]["endpoint"] == "device_data"]
cam = [e for e in ev if e["kind"] == "device_event" and e["micloud"]["endpoint"].startswith("camera_")]
assert len(log) <= 12, len(log)
assert 0 < len(cam) <= 6 and all(e["ts_epoch"] >= since for e in cam), [e["ts"] for e in cam]
PY' "--since: only the last days of history (device log; camera lists from beginTime in ms)"
acquire --session "$work/session.json" -o "$work/acq" 2>"$work/again.err"
check '[ $? -eq 2 ] && grep -q "already holds an acquisition" "$work/again.err"' "an existing acquisition folder is refused (use --resume)"

# --- HTTP/2 where the server offers it (nghttpd from nghttp2-server: a
# static h2 server on 127.0.0.1 with the same certificate; POST to a file
# answers the file, a plain-JSON reply)
if command -v nghttpd >/dev/null; then
	mkdir -p "$work/h2docs/app/v2/homeroom"
	echo '{"code":0,"message":"ok","result":{"homelist":[]}}' >"$work/h2docs/app/v2/homeroom/gethome"
	h2port=$("$py" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
	nghttpd -a 127.0.0.1 -d "$work/h2docs" "$h2port" "$work/key.pem" "$work/ca.pem" >/dev/null 2>&1 &
	h2pid=$!
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$h2port") 2>/dev/null && break
		sleep 0.05
	done
	"$BIN" cloud acquire --base-url "https://127.0.0.1:$h2port" --ca-file "$work/ca.pem" \
		--session "$work/session.json" -o "$work/h2" --region de --delay-ms 0 --retries 0 2>/dev/null
	kill "$h2pid" 2>/dev/null
	wait "$h2pid" 2>/dev/null
	check '[ "$(pyq "$work/h2" "reqs[0][\"http_version\"] + \" \" + reqs[0][\"status\"]")" = "2 ok" ]' \
		"HTTP/2 negotiated where the server offers it (nghttpd), plain-JSON reply read"
else
	echo "skip HTTP/2 check (no nghttpd: nghttp2-server)"
fi
finish
