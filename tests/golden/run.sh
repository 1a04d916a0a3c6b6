#!/usr/bin/env bash
# One golden test: tests/golden/run.sh BIN NAME
#
# Looks NAME up in tests/golden/TESTLIST ("NAME INPUT EXPECT [options...]"),
# runs "BIN packets INPUT [options...]" from the tests/ directory, checks the
# exit status (0, or N given as an option "exit=N", which is not passed on),
# then checks the JSON lines against EXPECT with golden/check.py.
# An option "@FILE" is replaced by the first non-comment word of FILE
# (e.g. --token @data/miio/extra_token.txt), paths relative to tests/.
# MF_GOLDEN_KEEP=DIR keeps the output in DIR/NAME.jsonl.
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
opts=()
for o in "${f[@]:3}"; do
	case $o in
	exit=*) want_rc=${o#exit=} ;;
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

rc=0
"$bin" packets "$input" "${opts[@]}" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ -n "${MF_GOLDEN_KEEP:-}" ]; then
	mkdir -p "$MF_GOLDEN_KEEP"
	cp "$tmp/out" "$MF_GOLDEN_KEEP/$name.jsonl"
fi
status=0
if [ "$rc" -ne "$want_rc" ]; then
	echo "FAIL exit status $rc, want $want_rc: $bin packets $input ${opts[*]}"
	sed 's/^/    stderr: /' "$tmp/err" | head -20
	status=1
fi
"$py" golden/check.py "$expect" "$tmp/out" || status=1
if [ "$status" -ne 0 ]; then
	echo "command: (cd tests && $bin packets $input ${opts[*]})"
fi
exit "$status"
