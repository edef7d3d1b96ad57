#!/usr/bin/env bash
# run.sh - `make fuzz`: the long system-call fuzzing run (after `make build`).
#
# Boots MelloOS with the native fuzzer as init (userspace/programs/fuzz):
# FUZZ_CALLS calls (default 10,000,000) by FUZZ_PROCS workers (default 4)
# on FUZZ_SMP CPUs (default 2), seed FUZZ_SEED (default: random, printed).
# Then prints the fuzzer's figures: calls, seconds, calls per second, every
# finding (with its seed: rerun with FUZZ_SEED=S to replay it) and the
# leak comparison. Whole serial log: build/test/fuzz-long.log.
# Exit status 0 iff the run ended with 0 findings and 0 leaks.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
calls=${FUZZ_CALLS:-10000000}
procs=${FUZZ_PROCS:-4}
smp=${FUZZ_SMP:-2}
seed=${FUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
# About 1,000 calls/s at worst under TCG, plus boot and warm-up.
timeout=$((calls / 1000 + 600))
echo "[fuzz] seed=$seed calls=$calls procs=$procs smp=$smp (timeout ${timeout}s; log build/test/fuzz-long.log)"
rc=0
tools/testing/qemu_test.py fuzz-long --cmdline "init=/bin/fuzz -- seed=$seed calls=$calls procs=$procs" --smp "$smp" \
    --expect '^\[FUZZ\] done: [0-9]+ calls in [0-9.]+ s \([0-9]+ calls/s\), 0 findings, 0 leaks$' \
    --forbid '^\[FUZZ\] FINDING' --forbid '^\[FAULT\]' --timeout "$timeout" || rc=$?
log=build/test/fuzz-long.log
echo "[fuzz] findings:"
grep -a -E '^\[FUZZ\] FINDING|^\[FAULT\]|^\[PANIC\]' "$log" | tr -d '\r' | sed 's/^/  /' || echo "  none"
grep -a -E '^\[FUZZ\] (leak check|done)' "$log" | tr -d '\r' | sed 's/^\[FUZZ\] /[fuzz] /'
[ "$rc" = 0 ] && echo "[fuzz] PASS (seed $seed)" || echo "[fuzz] FAIL (seed $seed): replay with FUZZ_SEED=$seed make fuzz"
exit "$rc"
