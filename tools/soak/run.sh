#!/usr/bin/env bash
# run.sh - `make soak`: the mixed workload for a chosen time (after `make
# build`).
#
# Boots MelloOS on SOAK_SMP CPUs (default 16, -m 1G) with
# tests/linux/c/soak.c as init for SOAK_SECONDS (default 600): rounds of
# the native fuzzer, a busybox script, IPC ping-pong and a pthread mutex
# counter at once, each round's results checked, then a leak check of
# /proc/mellos/metrics against the baseline after the warm-up round.
# Seed SOAK_SEED (default: random, printed; round N fuzzes with seed+N).
# Prints the rounds, every finding and the leak comparison. Whole serial
# log: build/test/soak.log. Exit status 0 iff 0 findings and 0 leaks.
# (Disk writes and network echo join the workload once those exist.)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${SOAK_SECONDS:-600}
smp=${SOAK_SMP:-16}
seed=${SOAK_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
# A round takes 10-40 s under TCG; a hung one is reported after 600 s.
timeout=$((seconds + 1800))
echo "[soak] ${seconds}s on $smp CPUs, seed $seed (timeout ${timeout}s; log build/test/soak.log)"
rc=0
tools/testing/qemu_test.py soak --cmdline "init=/bin/linux/soak abi=linux -- $seconds $seed" --smp "$smp" \
    --qemu-arg=-m --qemu-arg=1G \
    --expect '^\[SOAK\] done: [0-9]+ rounds in [0-9]+ s, 0 findings, 0 leaks$' --expect '^OK soak$' \
    --timeout "$timeout" || rc=$?
grep -a -E '^\[SOAK\]|^\[PANIC\]|^\[OOM\]' build/test/soak.log | tr -d '\r' | sed 's/^\[SOAK\] /[soak] /'
[ "$rc" = 0 ] && echo "[soak] PASS (seed $seed)" || echo "[soak] FAIL (seed $seed): replay with SOAK_SEED=$seed make soak"
exit "$rc"
