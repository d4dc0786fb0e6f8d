#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Top-level test runner (`make test` calls it after building).
#
#   tests/run.sh [unit|prog|e2e ...]    default: all three, in that order
#
# Every test program prints `ok NAME`, `FAIL NAME: reason` or
# `skip NAME: reason` per test; other lines are log and passed through.
# A program that exits non-zero without any FAIL line (a crash, a timeout)
# counts as one failure named after it. Each program runs under
# `timeout 600` (TEST_TIMEOUT overrides). The last line is
# `N passed, N failed, N skipped`.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
PY=/usr/bin/python3	# Debian's, with dnspython; not a pyenv shim
LIMIT=${TEST_TIMEOUT:-600}	# seconds per test program

usage()
{
	echo "usage: $0 [unit|prog|e2e ...]" >&2
	exit 2
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit prog e2e)
for s in "${suites[@]}"; do
	case $s in
	unit | prog | e2e) ;;
	*) usage ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/run.sh: must run as root (BPF and network namespace tests);" \
		"try: sudo $0 $*" >&2
	exit 2
fi

passed=0
failed=0
skipped=0

# run_prog NAME CMD...: run one test program, echo and tally its lines.
run_prog()
{
	local name=$1 line nfail=0 rc
	shift

	echo "# $name"
	while IFS= read -r line; do
		echo "$line"
		case $line in
		"ok "*) passed=$((passed + 1)) ;;
		"FAIL "*) failed=$((failed + 1)); nfail=$((nfail + 1)) ;;
		"skip "*) skipped=$((skipped + 1)) ;;
		esac
	done < <(timeout -k 30 "$LIMIT" "$@" 2>&1 </dev/null)
	wait $!
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL $name: timed out after $LIMIT s"
		else
			echo "FAIL $name: exited with status $rc"
		fi
		failed=$((failed + 1))
	fi
}

# run_each SUITE GLOB CMD...: run CMD FILE for every file matching GLOB.
run_each()
{
	local suite=$1 glob=$2 f found=0
	shift 2

	for f in $glob; do
		[ -f "$f" ] || continue
		found=1
		run_prog "$suite/$(basename "$f")" "$@" "$f"
	done
	[ "$found" -eq 1 ] || echo "# $suite: no tests ($glob)"
}

for s in "${suites[@]}"; do
	case $s in
	unit)
		if [ -x "$BUILD/test_unit" ]; then
			run_prog unit "$BUILD/test_unit"
		else
			echo "FAIL unit: $BUILD/test_unit not built (run make)"
			failed=$((failed + 1))
		fi
		;;
	prog) run_each prog 'tests/prog/test_*.py' "$PY" ;;
	e2e) run_each e2e 'tests/e2e/test_*.sh' bash ;;
	esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
