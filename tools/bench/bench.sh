#!/usr/bin/env bash
# bench.sh - `make bench`: the native rows (/bin/bench on MelloOS, its own
# ABI), the shared binary (tools/bench/shared) on MelloOS and on Debian's
# Linux, profiles of every row that misses a target (tools/bench/profile.py),
# then the report (build/bench/report.md, report.png,
# footprint.png).  Prints its expected duration first and a progress line
# per step with the time it took.  A step that fails (a row missing or
# FAILED on a kernel) is reported loudly; the report is still written from
# what was measured (the missing rows show as n/a / MISSED) and the exit
# status is then 1.
#   tools/bench/bench.sh [--n N]     (N iterations per row, default 1000)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=1000
[ "${1:-}" = --n ] && n=$2
out=$root/build/bench
mkdir -p "$out"
# Measured on this repository's 2-core machine, N=1000 (the native step
# includes building the `fast` kernel): native 31 s, MelloOS shared 47 s,
# Linux shared 30 s, 16 profiles of the rows that missed 276 s, report
# 0 s: 6 min 24 s.
echo "[bench] about 7 minutes at N=1000 (6 min 24 s measured on 2 cores, 4 to 5 of them profiling the rows that miss a target)"
failed=()
step() {
    local i=$1 what=$2; shift 2
    local t0=$SECONDS
    echo "[bench] $i/5 $what ..."
    if "$@"; then
        echo "[bench] $i/5 $what: done in $((SECONDS - t0)) s"
    else
        echo "[bench] $i/5 $what: FAILED after $((SECONDS - t0)) s (above)"
        failed+=("$what")
    fi
}
rm -f "$out/mellos.txt" "$out/shared-mellos.txt" "$out/shared-linux.txt"
step 1 "native /bin/bench on MelloOS" "$root/tools/bench/run_mellos.sh" --n "$n" "$out"
step 2 "shared binary on MelloOS" "$root/tools/bench/shared/run.sh" mellos --n "$n" "$out"
step 3 "shared binary on Linux" "$root/tools/bench/shared/run.sh" linux --n "$n" "$out"
for f in mellos shared-mellos shared-linux; do [ -f "$out/$f.txt" ] || : >"$out/$f.txt"; done
# Where the instructions of every row that misses a target go (N per row
# keeps each execution log to about 2 million instructions).
profiles() {
    rm -rf "$out/profile"
    python3 "$root/tools/bench/profile.py" --missed "$out" --out "$out/profile"
}
step 4 "profiles of the rows that miss a target" profiles
step 5 "report" python3 "$root/tools/bench/report.py" "$out/shared-mellos.txt" \
    "$out/shared-linux.txt" --native "$out/mellos.txt" --out "$out" --profiles "$out/profile"
echo "[bench] total $((SECONDS / 60)) min $((SECONDS % 60)) s"
if [ ${#failed[@]} -gt 0 ]; then
    echo "[bench] FAILED: ${failed[*]}" >&2
    exit 1
fi
