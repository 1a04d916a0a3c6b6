#!/usr/bin/env bash
# Messages and camera event lists in `cloud acquire`, against the stand-in:
# the message type list, each type's list and each device's messages
# (paged by timestamp, force_read always false: nothing is marked read),
# the camera event list and alarm playlist of the camera model on the
# region's camera host (GET with the RC4 fields in the query, the full path
# signed, endTime in milliseconds, paged back), what analyze makes of them
# (did, model, time to the millisecond, evidence), and failures of these
# endpoints: reported, the rest of the acquisition goes on (an unreachable
# camera host too; --resume later asks only the missing camera lists).
# usage: messages_cameras.sh BIN
BIN=$1
. "$(dirname "$0")/lib.sh"
start_server
S=$work/session.json
login "$S" 2>/dev/null || { echo "FAIL login"; exit 1; }
statuses() { pyq "$1" "' '.join(e['status'] for e in reqs if e['endpoint'] == '$2')"; }

acquire --session "$S" -o "$work/acq" --region de 2>"$work/acq.err"
check '[ $? -eq 0 ] && [ "$(pyq "$work/acq" "m[\"summary\"][\"status\"]")" = complete ]' \
	"acquire: exit 0, complete"
check '[ "$(state_field bad)" = 0 ] && [ "$(state_field forbidden)" = 0 ]' \
	"the stand-in verified every call (camera host included), no acting endpoint"
check '[ "$(state_field read_marked)" = 0 ]' "no message list asked without force_read:false"
check '[ "$(state_field camera_calls)" -ge 10 ]' "the camera host was asked ($(state_field camera_calls) calls)"

# --- the manifest: order, methods, URLs, parameters
check '"$py" - "$work/acq" <<"PY"
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
reqs = m["requests"]
order = [e["endpoint"] for e in reqs]
first = {}
for i, n in enumerate(order):
    first.setdefault(n, i)
last = {n: i for i, n in enumerate(order)}
# micloud.md section 9: ... scenes -> messages -> per device history -> camera lists
assert last["scene_history"] < first["message_types"] < first["messages"], order
assert last["messages"] < first["device_data"], order
assert last["device_operation_log"] < first["camera_events"], order
assert order[-1] in ("camera_events", "camera_alarms"), order[-1]
for e in reqs:
    d = e["params"]["data"]
    if e["endpoint"] == "messages":
        assert e["method"] == "POST" and d["force_read"] is False, e
        assert e["url"] == "https://de.api.io.mi.com/app/v2/message/v2/list", e["url"]
        assert isinstance(d["timestamp"], int) and d["timestamp"] < 10**11, d
        if d["type"] == 6:
            assert d["did"], d
    if e["endpoint"].startswith("camera_"):
        assert e["method"] == "GET", e
        assert e["url"].startswith("https://de.business.smartcamera.api.io.mi.com/"), e["url"]
        assert "?" not in e["url"] and "ssecurity" not in e["url"], e["url"]
        assert "ssecurity=%5Bredacted%5D" in e["sent"] and "signature=" in e["sent"], e["sent"]
        assert d["did"] == "351254720" and d["region"] == "DE", d
        assert d["beginTime"] == m["since_epoch"] * 1000, d
        assert d["endTime"] > 10**12 and d["endTime"] <= m["reference_epoch"] * 1000 + 999, d
    if e["endpoint"] == "camera_events":
        assert d["model"] == "chuangmi.camera.ipc019" and d["doorBell"] is False, d
        assert d["eventType"] == "Default" and d["needMerge"] is True and d["sortType"] == "DESC", d
types = sorted({e["params"]["data"]["type"] for e in reqs if e["endpoint"] == "messages"})
assert types == [1, 6], types
PY' "manifest: messages after scenes, camera lists last; GET on the camera host, URL without the query, ms window"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"endpoint\"] == \"camera_events\"])")" -ge 10 ]' \
	"camera event list paged by endTime (several pages)"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"endpoint\"] == \"messages\" and e[\"params\"][\"data\"].get(\"did\") == \"351254720\"])")" -ge 3 ]' \
	"a device's messages paged by timestamp"
check '[ "$(pyq "$work/acq" "len([e for e in reqs if e[\"endpoint\"] == \"camera_events\" and e[\"decode\"] == \"rc4+gzip\"])")" -ge 1 ]' \
	"camera replies decoded (RC4, inner gzip)"
# what the stand-in saw on the camera host: verified GETs, full path signed
check '"$py" - "$work/server.log" <<"PY"
import json, sys
cam = [json.loads(l) for l in open(sys.argv[1])]
cam = [r for r in cam if r.get("host") == "de.camera"]
assert cam and all(r["method"] == "GET" and r.get("verified") is True for r in cam), cam[:1]
assert {r["endpoint"] for r in cam} == {"/common/app/get/eventlist",
                                         "/miot/camera/app/v1/alarm/playlist/limit"}, cam
assert all(r["variant"] == "app" for r in cam)
PY' "stand-in: every camera GET verified (signature over the full path, rc4_hash__, cookies)"

# --- analyze on the folder
(cd "$work" && "$BIN" analyze acq -o report 2>analyze.err)
check '[ $? -eq 0 ]' "analyze: exit 0"
check '"$py" - "$work/report" "$work/server.log" <<"PY"
import collections, json, sys
ev = [json.loads(l) for l in open(sys.argv[1] + "/events.jsonl")]
assert not [e for e in ev if e["kind"] == "anomaly"]
msg = [e for e in ev if e.get("micloud", {}).get("endpoint") == "messages"]
assert len(msg) == 16, len(msg)           # 4 account (type 1) + 8 camera + 4 motion sensor
assert all(e["kind"] == "data" and e["micloud"]["record"] == "message" for e in msg)
for e in msg:
    assert e["ts_epoch"] == e["raw"]["ctime"], e        # ts = ctime
    assert e["evidence"]["file"].startswith("acq/responses/") and e["evidence"]["file"].endswith("-de-messages.json")
    assert len(e["evidence"]["sha256"]) == 64 and e["evidence"]["request_id"].startswith("req-")
dev = collections.Counter(e.get("did") for e in msg)
assert dev == {"351254720": 8, "237670214": 4, None: 4}, dev
cm = [e for e in msg if e.get("did") == "351254720"]
assert all(e["model"] == "chuangmi.camera.ipc019" and e["device_name"] == "Hall camera" for e in cm), cm[0]
assert {e["content"] for e in cm} == {"Someone is moving in the hall", "Motion stopped"}
acc = [e for e in msg if "did" not in e]
assert all(e["type"] == 1 and e["title"] == "Device shared" for e in acc), acc
latest = [e for e in ev if e.get("micloud", {}).get("endpoint") == "message_types"]
assert len(latest) == 2 and sorted(e["type"] for e in latest) == [1, 6], latest
cam = [e for e in ev if e.get("micloud", {}).get("endpoint") == "camera_events"]
alm = [e for e in ev if e.get("micloud", {}).get("endpoint") == "camera_alarms"]
assert len(cam) == 30 and len(alm) == 15, (len(cam), len(alm))   # 90 days: every 3 / 6 days
for e in cam + alm:
    assert e["kind"] == "device_event" and e["source"] == "cloud"
    assert e["did"] == "351254720" and e["model"] == "chuangmi.camera.ipc019", e
    assert e["ts_unit"] == "ms"
    ms = e["raw"]["createTime"]
    assert ms % 1000 != 0 and round(e["ts_epoch"] * 1000) == ms, (e["ts"], ms)   # the ms kept
    assert e["ts"][:19] == __import__("datetime").datetime.utcfromtimestamp(ms // 1000).strftime("%Y-%m-%dT%H:%M:%S")
    assert e["ts"].endswith(".%03dZ" % (ms % 1000)), (e["ts"], ms)
    assert e["evidence"]["file"].endswith("-de-" + e["micloud"]["endpoint"] + ".json")
assert len({e["file_id"] for e in cam}) == 30           # overlapping pages not doubled
assert collections.Counter(e["event"] for e in cam) == {"PeopleMotion": 15, "Default": 15}
assert all(e["event"] == "PeopleMotion" and e["is_alarm"] is True for e in alm)
case = json.load(open(sys.argv[1] + "/case.json"))
d = [x for x in case["devices"] if x["did"] == "351254720"][0]
assert d["model"] == "chuangmi.camera.ipc019" and d["name"] == "Hall camera", d
PY' "analyze: messages (did, model, ctime) and camera events (did, model, ms time, evidence) on the timeline"

# --- failures of these endpoints: reported, the rest goes on
ctl '{"clear":true,"fail":["http5xx=/common/app/get/eventlist:always"]}'
acquire --session "$S" -o "$work/ev5xx" --region de --retries 1 2>"$work/ev5xx.err"
check '[ $? -eq 1 ] && [ "$(pyq "$work/ev5xx" "m[\"summary\"][\"status\"]")" = incomplete ]' \
	"eventlist 503: exit 1, manifest incomplete"
check 'grep -q "eventlist: HTTP 503" "$work/ev5xx.err"' "eventlist 503: reported"
check '[ "$(statuses "$work/ev5xx" camera_alarms | wc -w)" -ge 3 ] && [ "$(statuses "$work/ev5xx" device_data | wc -w)" -ge 10 ]' \
	"eventlist 503: the alarm playlist and the histories still acquired"
(cd "$work" && "$BIN" analyze ev5xx >ev5xx.jsonl 2>/dev/null)
check '[ $? -eq 1 ] && [ "$(grep -c "cloud_request_failed" "$work/ev5xx.jsonl")" = 1 ] && [ "$(grep -c "\"camera_alarms\"" "$work/ev5xx.jsonl")" = 15 ]' \
	"eventlist 503: one anomaly, the alarms on the timeline"

ctl '{"clear":true,"fail":["camera_down"]}'
acquire --session "$S" -o "$work/camdown" --region de --retries 1 2>"$work/camdown.err"
check '[ $? -eq 1 ] && [ "$(pyq "$work/camdown" "m[\"summary\"][\"status\"]")" = incomplete ]' \
	"camera host unreachable: exit 1, incomplete (not interrupted)"
check 'grep -q "camera host is out of reach" "$work/camdown.err"' "camera host unreachable: reported"
check '[ "$(statuses "$work/camdown" camera_events)" = "network_error network_error" ] && [ -z "$(statuses "$work/camdown" camera_alarms)" ]' \
	"camera host unreachable: retried once, then the region's camera lists skipped"
check '[ "$(pyq "$work/camdown" "len([e for e in reqs if e[\"status\"] == \"ok\"])")" -ge 100 ]' \
	"camera host unreachable: everything else acquired"
(cd "$work" && "$BIN" analyze camdown >camdown.jsonl 2>/dev/null)
check '[ "$(grep -c "cloud_request_failed" "$work/camdown.jsonl")" = 1 ] && [ "$(grep -c "\"micloud\":{\"endpoint\":\"messages\"" "$work/camdown.jsonl")" = 16 ]' \
	"camera host unreachable: one anomaly (network_error), the messages are there"

# the camera host is back: --resume asks the missing camera lists only
ctl '{"clear":true}'
before=$(state_field api_calls)
cbefore=$(state_field camera_calls)
acquire --session "$S" -o "$work/camdown" --resume 2>/dev/null
check '[ $? -eq 0 ] && [ "$(pyq "$work/camdown" "m[\"summary\"][\"status\"]")" = complete ]' \
	"camera host back: --resume completes the acquisition"
sent=$(( $(state_field api_calls) - before ))
csent=$(( $(state_field camera_calls) - cbefore ))
check '[ "$sent" -ge 10 ] && [ "$sent" = "$csent" ]' \
	"--resume: only the camera lists asked again ($csent of $sent calls)"
(cd "$work" && "$BIN" analyze camdown >camdown2.jsonl 2>/dev/null)
check '[ $? -eq 0 ] && [ "$(grep -c "\"camera_events\"" "$work/camdown2.jsonl")" = 30 ] && [ "$(grep -c "\"camera_alarms\"" "$work/camdown2.jsonl")" = 15 ]' \
	"--resume: the camera events are there, no anomaly left (exit 0)"

ctl '{"clear":true,"fail":["http5xx=/v2/message/v2/list:always","malformed=/miot/camera/app/v1/alarm/playlist/limit:badb64"]}'
acquire --session "$S" -o "$work/msgbad" --region de --retries 0 2>"$work/msgbad.err"
check '[ $? -eq 1 ] && [ "$(statuses "$work/msgbad" camera_events | wc -w)" -ge 10 ] && [ "$(statuses "$work/msgbad" device_data | wc -w)" -ge 10 ]' \
	"message lists 503 and a camera reply that does not decode: exit 1, the rest acquired"
check '[ "$(statuses "$work/msgbad" camera_alarms)" = malformed ] && ls "$work"/msgbad/responses/*-de-camera_alarms.raw >/dev/null' \
	"the undecodable camera reply kept raw"
(cd "$work" && "$BIN" analyze msgbad >msgbad.jsonl 2>/dev/null)
check '[ "$(grep -c "cloud_reply_malformed" "$work/msgbad.jsonl")" = 1 ] && [ "$(grep -c "cloud_request_failed" "$work/msgbad.jsonl")" = 9 ] && [ "$(grep -c "\"camera_events\"" "$work/msgbad.jsonl")" = 30 ]' \
	"analyze: each failed message list (type 1, 8 devices) and the malformed reply reported, camera events there"
check '[ "$(state_field bad)" = 0 ] && [ "$(state_field forbidden)" = 0 ] && [ "$(state_field read_marked)" = 0 ]' \
	"stand-in: every call verified, nothing acting, nothing marked read"
finish
