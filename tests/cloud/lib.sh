# Shared by tests/cloud/*.sh: a fresh work folder, a certificate made with
# `openssl req`, the stand-in (tests/fixtures/micloud_server.py) on
# 127.0.0.1, helpers.  Source it with BIN (the miforensics binary) set.
#
#   start_server [--fail MODE]...   starts the stand-in (stopped on exit)
#   ctl '{"fail":[...],"clear":true}'   changes its failure modes
#   state                          its counters (JSON)
#   mf ARGS...                     miforensics with --base-url/--ca-file for cloud
#   check COND MESSAGE             fails the test (after all checks) unless COND
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tests=$(dirname "$here")
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
server_py=$tests/fixtures/micloud_server.py
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
export TZ=UTC LC_ALL=C
work=$(mktemp -d "${TMPDIR:-/tmp}/mfcloud.XXXXXX")
server_pid=
failures=0

cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	if [ "$failures" -eq 0 ] && [ -z "${MF_CLOUD_KEEP:-}" ]; then
		rm -rf "$work"
	else
		echo "work folder kept: $work" >&2
	fi
}
trap cleanup EXIT

make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$work/key.pem" -out "$work/ca.pem" -days 2 -subj "/CN=micloud stand-in" \
		-addext "subjectAltName=DNS:account.xiaomi.com,DNS:*.account.xiaomi.com,DNS:*.lp.account.xiaomi.com,DNS:api.io.mi.com,DNS:*.api.io.mi.com,DNS:business.smartcamera.api.io.mi.com,DNS:*.business.smartcamera.api.io.mi.com,IP:127.0.0.1" \
		2>/dev/null
}

start_server() {
	[ -f "$work/ca.pem" ] || make_cert || { echo "FAIL openssl req" >&2; exit 1; }
	rm -f "$work/port"
	"$py" "$server_py" serve --cert "$work/ca.pem" --key "$work/key.pem" \
		--port-file "$work/port" --log "$work/server.log" "$@" 2>"$work/server.err" &
	server_pid=$!
	for _ in $(seq 1 100); do
		[ -s "$work/port" ] && break
		sleep 0.05
	done
	[ -s "$work/port" ] || { echo "FAIL the stand-in did not start" >&2; cat "$work/server.err" >&2; exit 1; }
	port=$(cat "$work/port")
	base=https://127.0.0.1:$port
}

stop_server() {
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
}

ctl() { "$py" "$server_py" ctl --port-file "$work/port" --ca "$work/ca.pem" "$1" >/dev/null; }
state() { "$py" "$server_py" state --port-file "$work/port" --ca "$work/ca.pem"; }
# a field of the stand-in's state
state_field() { state | "$py" -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

mf() { "$BIN" "$@"; }
cloud() {
	local sub=$1
	shift
	"$BIN" cloud "$sub" --base-url "$base" --ca-file "$work/ca.pem" "$@"
}

check() {
	if eval "$1"; then
		echo "ok   $2"
	else
		echo "FAIL $2"
		failures=$((failures + 1))
	fi
}

# login with the stand-in's synthetic password; extra args passed on
login() {
	local sess=$1
	shift
	printf 'correct horse battery staple\n' | cloud login --user owner@example.com \
		--session "$sess" --password-stdin "$@"
}

# acquisition with tiny delays
acquire() {
	cloud acquire --delay-ms 0 --retry-ms 1 "$@"
}

# python one-liner on the manifest: pyq DIR 'expr using m (manifest) and reqs'
pyq() {
	"$py" - "$1" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
reqs = m["requests"]
print(eval(sys.argv[2]))
PY
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
