#!/usr/bin/env bash
# The whole test suite: a normal build and an ASan+UBSan build, each running
# every ctest (unit, golden, fuzz-corpus replay, real-peer fixtures).
# Usage: tests/run-all.sh        (from anywhere; build dirs go to build-*/)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
# A fresh machine gets what is missing (the README's first command does the
# same); nothing is installed when everything is there already.
missing=()
while read -r pkg; do
	[ -n "$pkg" ] || continue
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$pkg")
done < "$top/tests/debian-packages.txt"
if [ ${#missing[@]} -gt 0 ]; then
	echo "== installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)

run() {
	local dir=$1; shift
	cmake -S "$top" -B "$top/$dir" "${gen[@]}" "$@" >/dev/null
	cmake --build "$top/$dir" -j "$jobs"
	(cd "$top/$dir" && ctest --output-on-failure -j "$jobs")
}

echo "== release build"
run build -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== ASan + UBSan build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run build-asan -DCMAKE_BUILD_TYPE=Debug -DMF_SANITIZE=ON
