#!/usr/bin/env bash
# `cloud login` against the stand-in: captcha (87001), two-factor (the code
# sent once; a wrong code is not retried), QR login, a wrong password
# (70016), passToken refresh of a saved session, an expired passToken.
# usage: login.sh BIN
BIN=$1
. "$(dirname "$0")/lib.sh"
start_server
pw='correct horse battery staple'

# --- TLS verification is on: the stand-in's certificate is refused without
# its CA (--ca-file)
printf '%s\n' "$pw" | "$BIN" cloud login --base-url "$base" --user owner@example.com \
	--session "$work/v.json" --password-stdin 2>"$work/v.err"
check '[ $? -eq 1 ] && grep -qi "certificate" "$work/v.err" && [ ! -e "$work/v.json" ]' \
	"an unknown certificate is refused (TLS verification on)"

# --- captcha: the image is saved next to the session, the code is asked
ctl '{"clear":true,"fail":["captcha"]}'
mkdir "$work/c"
printf '%s\nK7W3P\n' "$pw" | cloud login --user owner@example.com --session "$work/c/s.json" \
	--password-stdin 2>"$work/c.err"
check '[ $? -eq 0 ]' "captcha login succeeds"
check 'grep -q "captcha (code 87001)" "$work/c.err" && grep -q "Characters shown in $work/c/captcha-" "$work/c.err"' \
	"captcha: image path shown and the code asked"
check 'ls "$work"/c/captcha-*.png >/dev/null 2>&1' "captcha image saved"
check '[ "$(stat -c %a "$work/c/s.json")" = 600 ]' "session file 0600"
check 'grep -q "\"captcha_ok\": true" "$work/server.log"' "stand-in: captCode + ick cookie accepted"

# --- two-factor: right code
ctl '{"clear":true,"fail":["twofa"]}'
printf '%s\n424242\n' "$pw" | cloud login --user owner@example.com --session "$work/t.json" \
	--password-stdin 2>"$work/t.err"
check '[ $? -eq 0 ]' "two-factor login succeeds"
check 'grep -q "two-factor verification" "$work/t.err" && grep -q "Code from the SMS" "$work/t.err"' \
	"two-factor: warning shown and the code asked"
check 'grep -q "sign the account out everywhere" "$work/t.err"' "two-factor: the lock-out risk is explained"
check '"$py" -c "import json,sys; s=json.load(open(sys.argv[1])); assert s[\"ssecurity\"] and s[\"passToken\"] and s[\"serviceToken\"]" "$work/t.json"' \
	"two-factor: ssecurity from extension-pragma, passToken and serviceToken from the hops"
n0=$(state_field twofa_attempts)
# --- two-factor: wrong code, exactly one attempt
printf '%s\n000000\n' "$pw" | cloud login --user owner@example.com --session "$work/t2.json" \
	--password-stdin 2>"$work/t2.err"
check '[ $? -eq 1 ]' "wrong two-factor code: exit 1"
check 'grep -q "not retried" "$work/t2.err"' "wrong two-factor code: says it is not retried"
check '[ $(( $(state_field twofa_attempts) - n0 )) = 1 ]' "wrong two-factor code: exactly one attempt sent"
check '[ ! -e "$work/t2.json" ]' "no session file after a failed login"

# --- wrong password: 70016 and the advice to use --qr
ctl '{"clear":true}'
printf 'wrong\n' | cloud login --user owner@example.com --session "$work/w.json" --password-stdin \
	2>"$work/w.err"
check '[ $? -eq 1 ] && grep -q "70016" "$work/w.err" && grep -q -- "--qr" "$work/w.err"' \
	"wrong password: code 70016, QR login suggested"
"$BIN" cloud login --user owner@example.com --session "$work/x.json" --base-url "$base" \
	--ca-file "$work/ca.pem" </dev/null 2>"$work/x.err"
check '[ $? -eq 2 ] && grep -q -- "--password-stdin" "$work/x.err"' "no terminal and no --password-stdin: usage error"

# --- QR login
ctl '{"clear":true,"fail":["qr_pending=3"]}'
cloud login --qr --session "$work/q.json" --retry-ms 1 </dev/null 2>"$work/q.err"
check '[ $? -eq 0 ]' "QR login succeeds after the long polls"
check 'grep -q "login URL: https://account.xiaomi.com/longPolling/login?ticket=" "$work/q.err"' \
	"QR: the login URL is printed"
check '[ "$(stat -c %a "$work/q.json")" = 600 ]' "QR: session file 0600"

# --- refresh through the passToken (the default for an existing file)
old=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['serviceToken'])" "$work/q.json")
cloud login --session "$work/q.json" 2>"$work/r.err"
check '[ $? -eq 0 ] && grep -q "session renewed" "$work/r.err"' "refresh of a saved session"
new=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['serviceToken'])" "$work/q.json")
check '[ -n "$new" ] && [ "$new" != "$old" ]' "refresh: a new serviceToken"
check '[ "$(stat -c %a "$work/q.json")" = 600 ]' "refresh: the rewritten file is still 0600"
check '"$py" -c "import json,sys; s=json.load(open(sys.argv[1])); assert s[\"refreshed\"]" "$work/q.json"' \
	"refresh: time recorded"

# --- the passToken no longer works
ctl '{"clear":true,"fail":["passtoken_expired"]}'
cloud login --session "$work/q.json" --refresh 2>"$work/e.err"
check '[ $? -eq 1 ] && grep -q "passToken no longer works" "$work/e.err"' \
	"expired passToken: a clear message"
check '[ "$(stat -c %a "$work/q.json")" = 600 ]' "the old session file is left as it was"
check '[ "$(state_field bad)" = 0 ] && [ "$(state_field forbidden)" = 0 ]' "stand-in: nothing unexpected"
finish
