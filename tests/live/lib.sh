# tests/live/lib.sh - sourced by the live capture tests (issue 7).  Each test
# makes its own network namespace with a veth pair (va <-> vb; no
# addresses, nothing leaves the namespace), runs `miforensics live -i vb`
# inside it and replays fixtures into va with tcpreplay.
#
# usage of a test: tests/live/NAME.sh MIFORENSICS   (run from tests/)
# Exit 0 pass, 1 fail, 77 skipped: only when no namespace can be made.
# KEEP=1 keeps the work folder for a look afterwards.
set -u
MF=${1:?usage: $0 path/to/miforensics}
case $MF in /*) ;; *) MF=$PWD/$MF ;; esac
LIVE_DIR=$(cd "$(dirname "$0")" && pwd)
TESTS=$(dirname "$LIVE_DIR")
PY=/usr/bin/python3
NS=mf-$(basename "$0" .sh)-$$
T=$(mktemp -d /tmp/mf-live.XXXXXX)
LIVE_PID=
LIVE_RC=

fail() { echo "FAIL: $*" >&2; [ -f "$T/err" ] && sed 's/^/  live stderr: /' "$T/err" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "  $*"; }

cleanup() {
	if [ -n "$LIVE_PID" ]; then
		kill -TERM "$LIVE_PID" 2>/dev/null
		wait "$LIVE_PID" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	[ -n "${ON_EXIT:-}" ] && eval "$ON_EXIT"
	if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

command -v tcpreplay >/dev/null ||
	fail "tcpreplay is not installed (Debian package tcpreplay, in tests/debian-packages.txt)"
[ -x "$MF" ] || fail "$MF: not executable"
command -v ip >/dev/null || skip "no ip(8): network namespaces cannot be made here"
[ "$(id -u)" = 0 ] || skip "network namespaces need root (run ctest as root)"
ip netns add "$NS" 2>"$T/ns.err" || skip "cannot create a network namespace: $(cat "$T/ns.err")"
ip -n "$NS" link add va type veth peer name vb 2>"$T/ns.err" ||
	skip "cannot create a veth pair in a namespace: $(cat "$T/ns.err")"
# loopback fixtures carry frames larger than Ethernet's 1500
ip -n "$NS" link set va mtu 65535 && ip -n "$NS" link set vb mtu 65535 || fail "veth MTU"
ip -n "$NS" link set va up || fail "ip link set va up"
ip -n "$NS" link set vb up || fail "ip link set vb up"
# no router/neighbour solicitations of our own on the wire
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null

# start_live DIR [live options...]: starts `live -i vb -w DIR`; events go to
# $T/out.jsonl (or $OUT), stderr to $T/err; returns once it captures.
start_live() {
	local dir=$1 i
	shift
	: >"$T/err"
	ip netns exec "$NS" "$MF" live -i vb -w "$dir" "$@" >"${OUT:-$T/out.jsonl}" 2>"$T/err" &
	LIVE_PID=$!
	for i in $(seq 100); do
		grep -q "capturing on" "$T/err" && return 0
		kill -0 "$LIVE_PID" 2>/dev/null || { wait "$LIVE_PID"; LIVE_PID=; fail "live exited early"; }
		sleep 0.05
	done
	fail "live did not start capturing within 5 s"
}

# stop_live [SIGNAL]: sends SIGTERM (or SIGNAL) and waits; exit code in LIVE_RC.
stop_live() {
	kill "-${1:-TERM}" "$LIVE_PID"
	wait "$LIVE_PID"
	LIVE_RC=$?
	LIVE_PID=
}

# replay FILE [tcpreplay options...] (default --topspeed); sets SENT.
replay() {
	local f=$1
	shift
	[ $# -gt 0 ] || set -- --topspeed
	ip netns exec "$NS" tcpreplay -i va "$@" "$f" >"$T/replay.log" 2>&1 ||
		{ cat "$T/replay.log" >&2; fail "tcpreplay $f"; }
	SENT=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$T/replay.log")
	grep -q "Failed packets: *0" "$T/replay.log" || { cat "$T/replay.log" >&2; fail "tcpreplay could not send every packet"; }
}

# count_in FILE [FILTER]: packets in a capture (matching FILTER).
count_in() {
	local f=$1
	shift
	tcpdump -nr "$f" "$@" 2>/dev/null | wc -l
}

# mget DIR EXPR: a value from DIR/manifest.json (python expression on m).
mget() {
	$PY -c 'import json,sys; m=json.load(open(sys.argv[1]+"/manifest.json")); print(eval(sys.argv[2]))' "$1" "$2"
}
