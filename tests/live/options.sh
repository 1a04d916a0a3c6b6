#!/bin/bash
# Options and refusals: exit 2 for a usage error, 1 for an interface or
# folder that cannot be used, each with a message, and no half-made
# evidence folder left behind by a run that could not start.
. "$(dirname "$0")/lib.sh"

# expect RC NAME DIR [live options...]: live -w DIR ... exits RC with a
# message and leaves no DIR
expect() {
	local want=$1 name=$2 dir=$3 rc
	shift 3
	timeout -s TERM 10 ip netns exec "$NS" "$MF" live -w "$dir" "$@" >"$T/out" 2>"$T/msg"
	rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want ($(head -c 300 "$T/msg"))"
	grep -q "miforensics\|live:" "$T/msg" || fail "$name: no message"
	[ ! -e "$dir" ] || fail "$name: $dir was left behind: $(ls -A "$dir")"
	[ ! -s "$T/out" ] || fail "$name: something on stdout"
	note "$name: exit $rc, $(grep -v '^usage\|^$\|^ \|^[A-Z]' "$T/msg" | head -1)"
}

"$MF" live --help >"$T/help" 2>&1 || fail "--help: exit $?"
grep -q -- "--rotate-mb" "$T/help" || fail "--help does not list the options"
expect 2 "no -i" "$T/a" -t /dev/null
expect 2 "unknown option" "$T/a" -i vb --no-such-option
expect 2 "stray argument" "$T/a" -i vb extra.pcap
expect 2 "snap length below 64" "$T/a" -i vb -s 10
expect 2 "rotate-s too large" "$T/a" -i vb --rotate-s 99999999999
expect 2 "invalid BPF" "$T/a" -i vb -f "port nonsense"
expect 2 "-Z unknown user" "$T/a" -i vb -Z no-such-user-here
expect 1 "no such interface" "$T/a" -i mf-nonexistent0
ip -n "$NS" link set va down
ip -n "$NS" link set vb down
expect 1 "interface down" "$T/a" -i vb
ip -n "$NS" link set va up
ip -n "$NS" link set vb up
# -Z: a folder the user cannot reach (every folder above it searchable) is
# refused before anything is made: once root is dropped it could not be
# cleaned up
mkdir -m 700 "$T/private"
chmod 755 "$T"
expect 1 "-Z nobody, folder not reachable" "$T/private/ev" -i vb -Z nobody
# a folder that already holds a live capture
mkdir "$T/used"
echo '{"format":"miforensics-live-evidence/1"}' >"$T/used/manifest.json"
ip netns exec "$NS" "$MF" live -i vb -w "$T/used" >/dev/null 2>"$T/msg"
rc=$?
[ "$rc" = 2 ] && grep -q "already holds a live capture" "$T/msg" ||
	fail "a used folder: exit $rc ($(cat "$T/msg"))"
[ "$(ls -A "$T/used")" = manifest.json ] || fail "a used folder was written to"
echo PASS
