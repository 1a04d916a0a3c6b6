#!/usr/bin/env bash
# `cloud acquire` meeting the failures users meet: an expired serviceToken
# (401 and "auth err"), renewed through the passToken; a dead passToken (a
# clear message, then login + --resume); 5xx (retried with backoff, or given
# up and reported while the rest goes on); 429 and "sds throttle"; replies
# that do not decode (kept raw, reported); data in another region; a region
# redirect.
# usage: failures.sh BIN
BIN=$1
. "$(dirname "$0")/lib.sh"
start_server
S=$work/session.json
login "$S" 2>/dev/null || { echo "FAIL login"; exit 1; }
field() { "$py" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
statuses() { pyq "$1" "' '.join(e['status'] for e in reqs if e['endpoint'] == '$2')"; }

# --- an unknown region is a usage error, and no evidence folder is begun
acquire --session "$S" -o "$work/badregion" --region de,zz 2>"$work/badregion.err"
check '[ $? -eq 2 ] && [ ! -e "$work/badregion" ] && grep -q "zz" "$work/badregion.err"' \
	"--region zz: exit 2, nothing written"

# --- expired serviceToken, HTTP 401: renewed, the call repeated
ctl '{"clear":true,"fail":["expire_after=20"]}'
old=$(field "$S" serviceToken)
acquire --session "$S" -o "$work/exp401" --region de 2>"$work/exp401.err"
check '[ $? -eq 0 ]' "401 expired token: the acquisition completes"
check '[ "$(field "$S" serviceToken)" != "$old" ] && [ "$(stat -c %a "$S")" = 600 ]' \
	"401: the renewed session is saved (mode 0600)"
check 'grep -q "session renewed" "$work/exp401/acquisition.log"' "401: the renewal is logged"
check '[ "$(pyq "$work/exp401" "len([e for e in reqs if e[\"status\"] == \"auth_error\"])")" -ge 1 ]' \
	"401: the refused call is in the manifest"
check '[ "$(pyq "$work/exp401" "m[\"summary\"][\"status\"]")" = complete ]' "401: manifest complete"

# --- expired serviceToken, {"code":3,"message":"auth err"}
ctl '{"clear":true,"fail":["expire_code=15"]}'
acquire --session "$S" -o "$work/expcode" --region de 2>/dev/null
check '[ $? -eq 0 ] && grep -q "session renewed" "$work/expcode/acquisition.log"' \
	"code 3 auth err: renewed and completed"

# --- the passToken is dead too: a clear message; login again, then --resume
ctl '{"clear":true,"fail":["expire_after=10","passtoken_expired"]}'
acquire --session "$S" -o "$work/dead" --region de 2>"$work/dead.err"
check '[ $? -eq 1 ] && grep -q "log in again" "$work/dead.err" && grep -q -- "--resume" "$work/dead.err"' \
	"dead passToken: exit 1, says to log in again and resume"
check '[ "$(pyq "$work/dead" "m[\"summary\"][\"status\"]")" = interrupted ]' "dead passToken: manifest says interrupted"
ctl '{"clear":true}'
login "$S" 2>/dev/null
acquire --session "$S" -o "$work/dead" --resume 2>"$work/dead2.err"
check '[ $? -eq 0 ] && [ "$(pyq "$work/dead" "m[\"summary\"][\"status\"]")" = complete ]' \
	"after a new login, --resume completes it"

# --- 5xx: retried with backoff
ctl '{"clear":true,"fail":["http5xx=/v2/homeroom/invite_history:2","ratelimit=/home/profile:1","throttle=/v2/user/get_device_cnt:1"]}'
acquire --session "$S" -o "$work/retry" --region de 2>/dev/null
check '[ $? -eq 0 ]' "503 twice, 429 once, sds throttle once: retried, exit 0"
check '[ "$(statuses "$work/retry" invitations)" = "http_error http_error ok" ]' "503: two failed attempts then ok, all in the manifest"
check '[ "$(statuses "$work/retry" profile)" = "http_error ok" ]' "429: retried"
check '[ "$(statuses "$work/retry" device_count)" = "throttled ok" ]' "sds throttle: retried"
(cd "$work" && "$BIN" analyze retry >retry.jsonl 2>/dev/null)
check '[ $? -eq 0 ] && ! grep -q "\"kind\":\"anomaly\"" "$work/retry.jsonl"' "analyze: answered retries are no anomalies"

# --- 5xx for good: given up, reported, the rest goes on
ctl '{"clear":true,"fail":["http5xx=/share/device_share_list:always"]}'
acquire --session "$S" -o "$work/gone" --region de --retries 2 2>"$work/gone.err"
check '[ $? -eq 1 ] && grep -q "given up after 3 attempt" "$work/gone.err"' "503 always: given up after the retries, exit 1"
check '[ "$(pyq "$work/gone" "m[\"summary\"][\"status\"]")" = incomplete ]' "503 always: manifest incomplete"
check '[ "$(statuses "$work/gone" scene_history | wc -w)" -ge 4 ]' "503 always: the acquisition went on (scene history)"
(cd "$work" && "$BIN" analyze gone >gone.jsonl 2>/dev/null)
check '[ $? -eq 1 ] && [ "$(grep -c "cloud_request_failed" "$work/gone.jsonl")" = 1 ]' \
	"analyze: one anomaly for the lost call, input marked incomplete"

# --- malformed replies: kept raw, reported, the acquisition goes on
ctl '{"clear":true,"fail":["malformed=/v2/homeroom/invite_history:html","malformed=/share/receive_share_list:badb64","malformed=/share/share_history_query:badjson","malformed=/v2/homeroom/member_list:badkey"]}'
acquire --session "$S" -o "$work/bad" --region de 2>"$work/bad.err"
check '[ $? -eq 1 ]' "malformed replies: exit 1 (incomplete)"
check '[ "$(pyq "$work/bad" "len([e for e in reqs if e[\"status\"] == \"malformed\" and \"raw\" in e and \"decoded\" not in e])")" = 5 ]' \
	"malformed: 5 replies kept raw only (HTML, bad base64, RC4 not JSON, wrong key x2)"
check '[ "$(pyq "$work/bad" "\" \".join(sorted(set(e.get(\"reason\",\"\") for e in reqs if e[\"status\"] == \"malformed\")))")" = "bad_base64 rc4_not_json" ]' \
	"malformed: reasons recorded"
check 'grep -q "The quick\|gateway error" "$work/bad/responses/"*invitations.raw' "malformed: the HTML body stored as received"
check '[ "$(statuses "$work/bad" device_data | wc -w)" -ge 10 ]' "malformed: the acquisition went on"
(cd "$work" && "$BIN" analyze bad >bad.jsonl 2>/dev/null)
check '[ "$(grep -c "cloud_reply_malformed" "$work/bad.jsonl")" = 5 ]' "analyze: one anomaly per malformed reply"
check '[ "$(grep -c "\"kind\":\"device_event\",\"did\":\"237670214\"" "$work/bad.jsonl")" = 80 ] && [ "$(grep -c "\"camera_events\"" "$work/bad.jsonl")" = 30 ]' \
	"analyze: the rest of the evidence is there"

# --- data only in another region; a region redirect
ctl '{"clear":true,"fail":["data_region=sg"]}'
acquire --session "$S" -o "$work/sg" 2>/dev/null
check '[ $? -eq 0 ] && [ "$(pyq "$work/sg" "\",\".join(m[\"summary\"][\"regions_with_data\"])")" = sg ]' \
	"data in sg: every region tried, found in sg"
ctl '{"clear":true,"fail":["data_region=sg","redirect=de>sg"]}'
acquire --session "$S" -o "$work/red" --region de 2>"$work/red.err"
check '[ "$(pyq "$work/red" "\",\".join(m[\"summary\"][\"regions_with_data\"])")" = sg ]' \
	"redirect de>sg: sg added to the plan and acquired"
check 'grep -q "redirects to https://sg.api.io.mi.com" "$work/red.err"' "redirect: reported"
ctl '{"clear":true,"fail":["data_region=us"]}'
acquire --session "$S" -o "$work/none" --region de 2>"$work/none.err"
check '[ $? -eq 0 ] && grep -q "no region holds homes or devices" "$work/none.err"' \
	"no data in the regions asked: a warning"
check '[ "$(state_field bad)" = 0 ] && [ "$(state_field forbidden)" = 0 ]' "stand-in: every call verified, no acting endpoint"
finish
