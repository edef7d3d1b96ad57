#!/usr/bin/env bash
# run_all.sh - everything `make test` runs (after `make build`):
#
#   1. host unit tests: `cargo test` in crates/ (every crate there), the
#      mello runtime's host tests (userspace/libmello) and the harness's
#      own verdict tests (tools/testing/test_qemu_test.py);
#   2. the QEMU matrix, through tools/testing/qemu_test.py (one harness),
#      TEST_JOBS at a time (default 2: TCG needs a host core per guest):
#        ktest      in-kernel suite, -smp 1 2 4 8 16 (pc) and 1 4 16 (q35),
#                   BIOS; -smp 2 (pc) and 8 (q35) UEFI
#        init       the spec's example, -smp 4 BIOS and -smp 2 UEFI
#        utest      user-mode suite as PID 1, -smp 1 (under -icount shift=0,
#                   so its syscall latency is in instructions) and -smp 4
#        forkloop   1000 x fork/exit/wait as PID 1, -smp 2
#        crash      a deliberate kernel page fault (ktest=CRASH) must print a
#                   readable dump and symbolised backtrace, then stop (exit 3)
#        bench      `init=/bin/bench -- 10` under -icount shift=0 -smp 1:
#                   one well-formed [BENCH] line per operation + done
#        linux      tools/bench/linux/run.sh --smoke, if present
#
# Prints one line per test (PASS/FAIL and seconds; a failure is followed by
# the end of its log), then the total time and finally exactly one line
# `Summary: N passed, M failed`. Exits non-zero if anything failed.
# Logs: build/test/NAME.log (serial) and build/test/NAME.out (report).
#
# Environment: TEST_JOBS (parallel QEMU runs), TEST_ONLY (a regex: run
# only the tests whose names match, e.g. TEST_ONLY='^utest').
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=build/test
mkdir -p "$out"
jobs=${TEST_JOBS:-2}
only=${TEST_ONLY:-}
qemu_test=tools/testing/qemu_test.py
host=$(rustc -vV | sed -n 's/^host: //p')
t_start=$SECONDS
passed=0 failed=0

# The bench smoke needs one well-formed line per operation.
mapfile -t bench_ops <tools/bench/ops.txt
bench_expect=(--expect '^\[BENCH\] done$' --forbid '^\[ERROR\]')
for op in "${bench_ops[@]}"; do
    bench_expect+=(--expect "^\\[BENCH\\] name=$op n=[0-9]+ total=[0-9]+ per_op=[0-9]+\$")
done
init_expect=(--expect '^Hello from userland!$' --expect "^I'm the child!\$")
utest_expect=(--expect '^\[UTEST\] [0-9]+ passed, 0 failed$')

# name | command (run from the repository root). Longest first, so the
# parallel slots stay busy.
tests=()
declare -A cmds names
add() { tests+=("$1"); cmds["$1"]="${*:2}"; }
q() { printf '%q ' "$qemu_test" "$@"; }
add utest-smp1      "$(q utest-smp1 --cmdline 'init=/bin/utest -- cpus=1' --smp 1 --qemu-arg=-icount --qemu-arg=shift=0 \
    "${utest_expect[@]}" --expect '^\[UTEST\] syscall latency: [0-9]+ instructions/call$' --timeout 240)"
add utest-smp4      "$(q utest-smp4 --cmdline 'init=/bin/utest -- cpus=4' --smp 4 "${utest_expect[@]}" --timeout 180)"
if [ -x tools/bench/linux/run.sh ]; then
    add linux-bench-smoke "tools/bench/linux/run.sh --smoke"
fi
add ktest-smp16     "$(q ktest-smp16 --cmdline ktest --smp 16 --expect '^\[KTEST\] smp: 16 CPUs online' --timeout 240)"
add bench-smoke     "$(q bench-smoke --cmdline 'init=/bin/bench -- 10' --smp 1 --qemu-arg=-icount --qemu-arg=shift=0 "${bench_expect[@]}" --timeout 240)"
add ktest-smp8      "$(q ktest-smp8 --cmdline ktest --smp 8 --expect '^\[KTEST\] smp: 8 CPUs online' --timeout 150)"
add ktest-uefi-smp2 "$(q ktest-uefi-smp2 --cmdline ktest --smp 2 --firmware uefi --expect '^\[KTEST\] smp: 2 CPUs online' --timeout 150)"
add init-uefi-smp2  "$(q init-uefi-smp2 --cmdline '' --smp 2 --firmware uefi "${init_expect[@]}" --timeout 120)"
add ktest-q35-smp4  "$(q ktest-q35-smp4 --cmdline ktest --smp 4 --machine q35 --expect '^\[KTEST\] smp: 4 CPUs online' --timeout 150)"
add ktest-q35-smp16 "$(q ktest-q35-smp16 --cmdline ktest --smp 16 --machine q35 --expect '^\[KTEST\] smp: 16 CPUs online' --timeout 240)"
add ktest-q35-smp1  "$(q ktest-q35-smp1 --cmdline ktest --smp 1 --machine q35 --expect '^\[KTEST\] smp: 1 CPUs online' --timeout 150)"
add ktest-uefi-q35-smp8 "$(q ktest-uefi-q35-smp8 --cmdline ktest --smp 8 --machine q35 --firmware uefi --expect '^\[KTEST\] smp: 8 CPUs online' --timeout 240)"
add ktest-smp4      "$(q ktest-smp4 --cmdline ktest --smp 4 --expect '^\[KTEST\] smp: 4 CPUs online' --timeout 150)"
add ktest-smp2      "$(q ktest-smp2 --cmdline ktest --smp 2 --expect '^\[KTEST\] smp: 2 CPUs online' --timeout 150)"
add ktest-smp1      "$(q ktest-smp1 --cmdline ktest --smp 1 --expect '^\[KTEST\] smp: 1 CPUs online' --timeout 150)"
add init-smp4       "$(q init-smp4 --cmdline '' --smp 4 "${init_expect[@]}" --timeout 120)"
add crash-smp4      "$(q crash-smp4 --cmdline 'ktest=CRASH' --smp 4 --expect-panic \
    --expect '^\[FAULT\] KERNEL EXCEPTION: Page Fault \(vector 14\) on CPU [0-9]+$' \
    --expect '^\[FAULT\] CR2=0xffffafffffe00000 error=0x2 \(page not present, write, kernel mode\)$' \
    --expect '^\[FAULT\] RIP=0x[0-9a-f]+ ' \
    --expect '^\[PANIC\] =+ KERNEL PANIC on CPU [0-9]+ =+$' \
    --expect 'kernel::ktest::crash_tests::write_unmapped' --timeout 120)"
add forkloop-smp2   "$(q forkloop-smp2 --cmdline 'init=/bin/forkloop' --smp 2 --expect '^\[FORKLOOP\] 1000 rounds, 0 errors$' --timeout 150)"

# Prints a finished test's report and counts it.
report() {
    local name=$1 rc=$2
    cat "$out/$name.out"
    if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# Writes NAME's verdict to build/test/NAME.out: PASS, or FAIL with the end
# of its full log (build/test/NAME.full); WHAT names what exited with RC.
verdict() {
    local name=$1 rc=$2 t0=$3 what=$4
    if [ "$rc" = 0 ]; then
        echo "PASS $name ($((SECONDS - t0))s)"
    else
        echo "FAIL $name ($((SECONDS - t0))s): $what exited with $rc"
        echo "---- last 60 lines of $out/$name.full ----"
        tail -n 60 "$out/$name.full" | sed 's/^/  | /'
        echo "----"
    fi >"$out/$name.out"
}

# Runs a host command as test NAME; its output goes to build/test/NAME.out.
host_test() {
    local name=$1; shift
    [ -z "$only" ] || [[ $name =~ $only ]] || return 0
    local t0=$SECONDS rc=0
    "$@" >"$out/$name.full" 2>&1 || rc=$?
    verdict "$name" "$rc" "$t0" "'$*'"
    report "$name" "$rc"
}

# A QEMU test in the background: its report lands in build/test/NAME.out.
start_test() {
    local name=$1
    (
        t0=$SECONDS
        bash -c "${cmds[$name]}" >"$out/$name.out" 2>&1
        rc=$?
        # run.sh (linux bench) prints its own log, not a PASS/FAIL line.
        if ! head -n 1 "$out/$name.out" | grep -Eq "^(PASS|FAIL) $name "; then
            mv "$out/$name.out" "$out/$name.full"
            verdict "$name" "$rc" "$t0" "the command"
        fi
        exit "$rc"
    ) &
    names[$!]=$name
}

echo "== host unit tests"
host_test unit-crates bash -c "cd crates && cargo test"
host_test unit-userspace bash -c "cd userspace && cargo test -p mello --target $host"
host_test unit-harness python3 -m unittest discover -s tools/testing -p 'test_*.py'
host_test unit-bench-report python3 tools/bench/test_report.py

# Waits for one running QEMU test and reports it.
reap_one() {
    local done_pid rc
    wait -n -p done_pid; rc=$?
    report "${names[$done_pid]}" "$rc"
    running=$((running - 1))
}

echo "== QEMU tests ($jobs at a time)"
running=0
for name in "${tests[@]}"; do
    [ -z "$only" ] || [[ $name =~ $only ]] || continue
    [ "$running" -lt "$jobs" ] || reap_one
    start_test "$name"
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    reap_one
done

echo "Total time: $((SECONDS - t_start))s"
echo "Summary: $passed passed, $failed failed"
[ "$failed" = 0 ]
