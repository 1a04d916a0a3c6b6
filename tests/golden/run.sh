#!/usr/bin/env bash
# One golden test: tests/golden/run.sh BIN NAME
#
# Looks NAME up in tests/golden/TESTLIST ("NAME INPUT EXPECT [options...]"),
# runs "BIN packets INPUT [options...]" from the tests/ directory, checks the
# exit status (0, or N given as an option "exit=N", which is not passed on),
# (an option "cmd=NAME", not passed on either, runs "BIN NAME ..." instead of
# packets: cmd=phone, cmd=tokens),
# then checks the JSON lines against EXPECT with golden/check.py.
# cmd=analyze: the runner adds "-o DIR" (a fresh folder), requires the four
# report files there and checks DIR/events.jsonl, or DIR/NAME with "file=NAME"
# (e.g. file=case.json, checked with "doc" filters).  "repeat=N" runs the
# command N times and requires byte-identical output (stdout, and for analyze
# every report file) before the check.  file= and repeat= are not passed on.
# Further inputs can follow as plain options (analyze A.pcapng B.tar.gz).
# An option "@FILE" is replaced by the first non-comment word of FILE
# (e.g. --token @data/miio/extra_token.txt), paths relative to tests/.
# JSON-lines outputs (packets, analyze's events.jsonl, --format jsonl) are
# also checked line by line against the event envelope (golden/envelope.py).
# MF_GOLDEN_KEEP=DIR keeps the output in DIR/NAME.jsonl (analyze: the checked file).
set -euo pipefail
if [ $# -ne 2 ]; then
	echo "usage: $0 BIN NAME" >&2
	exit 2
fi
bin=$1
name=$2
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
cd "$(dirname "$0")/.."   # tests/
export TZ=UTC LC_ALL=C

line=$(awk -v n="$name" '$1 == n && $0 !~ /^#/ { print; exit }' golden/TESTLIST)
if [ -z "$line" ]; then
	echo "golden: no test '$name' in golden/TESTLIST" >&2
	exit 2
fi
read -r -a f <<<"$line"
input=${f[1]:-}
expect=${f[2]:-}
if [ -z "$input" ] || [ -z "$expect" ]; then
	echo "golden: TESTLIST line for '$name' needs INPUT and EXPECT" >&2
	exit 2
fi
want_rc=0
cmd=packets
file=
repeat=1
opts=()
for o in "${f[@]:3}"; do
	case $o in
	exit=*) want_rc=${o#exit=} ;;
	cmd=*) cmd=${o#cmd=} ;;
	file=*) file=${o#file=} ;;
	repeat=*) repeat=${o#repeat=} ;;
	@*)
		v=$(grep -v '^[[:space:]]*#' "${o#@}" | awk 'NF { print $1; exit }')
		[ -n "$v" ] || { echo "golden: ${o#@} holds no value" >&2; exit 2; }
		opts+=("$v")
		;;
	*) opts+=("$o") ;;
	esac
done

py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run k (1..repeat): stdout in $tmp/out.k, an analyze report in $tmp/report.k
run() {
	local k=$1 extra=()
	[ "$cmd" = analyze ] && extra=(-o "$tmp/report.$k")
	rc=0
	"$bin" "$cmd" "$input" "${opts[@]}" "${extra[@]}" >"$tmp/out.$k" 2>"$tmp/err" || rc=$?
}
status=0
run 1
for ((k = 2; k <= repeat; k++)); do
	run "$k"
	if ! cmp -s "$tmp/out.1" "$tmp/out.$k"; then
		echo "FAIL run $k: stdout differs from run 1"
		status=1
	fi
	if [ "$cmd" = analyze ]; then
		for f in events.jsonl timeline.csv report.html case.json; do
			if ! cmp -s "$tmp/report.1/$f" "$tmp/report.$k/$f"; then
				echo "FAIL run $k: $f differs from run 1"
				diff "$tmp/report.1/$f" "$tmp/report.$k/$f" | head -6 | sed 's/^/    /'
				status=1
			fi
		done
	fi
done
out=$tmp/out.1
if [ "$cmd" = analyze ]; then
	extra_shown=" -o DIR"
	for f in events.jsonl timeline.csv report.html case.json; do
		if [ ! -s "$tmp/report.1/$f" ]; then
			echo "FAIL report file $f missing or empty"
			status=1
		fi
	done
	out=$tmp/report.1/${file:-events.jsonl}
	[ -f "$out" ] || out=/dev/null
elif [ -n "$file" ]; then
	echo "golden: file= needs cmd=analyze" >&2
	exit 2
fi
if [ -n "${MF_GOLDEN_KEEP:-}" ]; then
	mkdir -p "$MF_GOLDEN_KEEP"
	cp "$out" "$MF_GOLDEN_KEEP/$name.jsonl"
fi
if [ "$rc" -ne "$want_rc" ]; then
	echo "FAIL exit status $rc, want $want_rc: $bin $cmd $input ${opts[*]}"
	sed 's/^/    stderr: /' "$tmp/err" | head -20
	status=1
fi
"$py" golden/check.py "$expect" "$out" || status=1
# every event line keeps the envelope (golden/envelope.py): packets, an
# analyze events.jsonl, and phone / tokens with --format jsonl
envelope=0
case $cmd in
packets) envelope=1 ;;
analyze) [ -z "$file" ] && envelope=1 ;;
esac
for o in "${opts[@]}"; do [ "$o" = jsonl ] && envelope=1; done
if [ "$envelope" = 1 ] && [ -s "$out" ]; then
	"$py" golden/envelope.py "$out" || status=1
fi
if [ "$status" -ne 0 ]; then
	echo "command: (cd tests && $bin $cmd $input ${opts[*]}${extra_shown:-})"
fi
exit "$status"
