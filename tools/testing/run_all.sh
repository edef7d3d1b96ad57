#!/usr/bin/env bash
# run_all.sh - everything `make test` runs (after `make build`):
#
#   1. host unit tests: `cargo test` in crates/ (every crate there), the
#      mello runtime's host tests (userspace/libmello), the harness's own
#      verdict tests (tools/testing/test_qemu_test.py), the benchmark
#      report's tests, the program checker's tests
#      (tools/testing/test_check_programs.py), qemu.sh's command lines and
#      `make run` exit status (tools/testing/test_qemu_sh.py) and the check that
#      tools/testing/README.md lists exactly the tests defined here
#      (tools/testing/test_matrix_doc.py);
#   2. the QEMU matrix, through tools/testing/qemu_test.py (one harness),
#      TEST_JOBS at a time (default 2: TCG needs a host core per guest):
#        ktest      in-kernel suite, -smp 1 2 4 8 16 (pc) and 1 4 16 (q35),
#                   BIOS; -smp 2 (pc) and 8 (q35) UEFI
#        init       the spec's example, -smp 4 BIOS and -smp 2 UEFI
#        utest      user-mode suite as PID 1, -smp 1 (under -icount shift=0,
#                   so its syscall latency is in instructions) and -smp 4
#        forkloop   1000 x fork/exit/wait as PID 1, -smp 2
#        threads    native threads as PID 1 (userspace/programs/threads),
#                   -smp 1 and -smp 4
#        tty        the console terminal (ktest=TTY, -smp 2): the harness
#                   types on COM1 and presses PS/2 keys; canonical reads,
#                   echo, erase, ^C, shift/caps lock, raw mode
#        crash      a deliberate kernel page fault (ktest=CRASH) must print a
#                   readable dump and symbolised backtrace, then stop (exit 3)
#        bench      `init=/bin/bench -- 10` under -icount shift=0 -smp 1:
#                   one well-formed [BENCH] line per operation + done
#        shared-bench  the shared benchmark binary (tools/bench/shared) at
#                   N=10 on Debian's Linux and on MelloOS: every row reported
#        fuzz       the system-call fuzzer as init (200,000 calls, leak check)
#        aslr       user ASLR on and off (norandmaps), both personalities
#        fault      the fuzzer under frame-allocation fault injection
#        linux-C    static musl programs of tests/linux/c as init under the
#                   Linux personality (tools/testing/linux_c.py): their
#                   output byte for byte against Linux's expected-linux.txt
#
#        docs       the README's boot transcript against a real boot
#                   (tools/docs/capture.py --check)
#
#   tools/testing/run_all.sh [--build] [--no-host] [--list]
#     --build    run `make build` first (its whole output is kept in
#                build/test/build.log; a failure is reported like a test's)
#     --no-host  skip the host unit tests (tools/testing/repeat.sh)
#     --list     print every test's name (host tests first), run nothing
#
# Prints one line per test (PASS/FAIL and seconds; a failure is followed by
# the end of its log and the path of the whole log), then the total time and
# finally exactly one line `Summary: N passed, M failed`. Exits non-zero if
# anything failed; if the script itself dies early it still says so (and
# where the logs are) before exiting. Ctrl-C (or SIGTERM) stops every
# running test and its QEMU.
# Logs: build/test/NAME.log (whole serial log), build/test/NAME.out (report),
# build/test/NAME.full (a host test's whole output).
#
# Environment: TEST_JOBS (parallel QEMU runs), TEST_ONLY (a regex: run
# only the tests whose names match, e.g. TEST_ONLY='^utest').
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=build/test
jobs=${TEST_JOBS:-2}
only=${TEST_ONLY:-}
t_start=$SECONDS
passed=0 failed=0
do_build=0 do_host=1 list=0
while [ $# -gt 0 ]; do
    case "$1" in
        --build) do_build=1 ;;
        --no-host) do_host=0 ;;
        --list) list=1 ;;
        -h|--help) sed -n '2,/^set -uo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) echo "run_all.sh: unknown option $1 (--build, --no-host, --list)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$list" = 0 ]; then
    mkdir -p "$out" || exit 1
fi

# Whatever stops this script, it says so: an early death (a bash error
# under `set -u`, a missing tool) is reported with the step it was in, so
# a failure is never just "exit 2" with nothing printed.
step="starting"
summary_done=0
on_exit() {
    local rc=$?
    [ "$list" = 0 ] && [ "$summary_done" = 0 ] || return 0
    echo "run_all.sh: stopped during $step (exit status $rc) before the summary; logs in $out/"
    echo "Summary: $passed passed, $((failed + 1)) failed"
}
trap on_exit EXIT
# Ctrl-C or SIGTERM: stop the running tests (each in its own session, see
# start_test; qemu_test.py kills its QEMU when it gets SIGTERM), report, exit.
declare -A names
interrupted() {
    trap '' INT TERM
    echo "run_all.sh: interrupted during $step; stopping ${#names[@]} running test(s)"
    local pid
    for pid in "${!names[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    done
    wait
    exit 130
}
trap interrupted INT TERM HUP

# The tests: tools/testing/matrix.sh defines the QEMU matrix (tests, cmds)
# and the host tests (host_tests, host_cmds).
# shellcheck source=tools/testing/matrix.sh
source tools/testing/matrix.sh

if [ "$list" = 1 ]; then
    printf '%s\n' "${host_tests[@]}" "${tests[@]}"
    exit 0
fi

# Prints a finished test's report and counts it.
report() {
    local name=$1 rc=$2
    cat "$out/$name.out" 2>/dev/null || echo "FAIL $name: no report ($out/$name.out missing); exit status $rc"
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
        echo "---- whole output: $out/$name.full"
    fi >"$out/$name.out"
}

# Runs a host command as test NAME; its output goes to build/test/NAME.out.
host_test() {
    local name=$1
    [ -z "$only" ] || [[ $name =~ $only ]] || return 0
    step="host test $name"
    local t0=$SECONDS rc=0
    bash -c "${host_cmds[$name]}" >"$out/$name.full" 2>&1 </dev/null || rc=$?
    verdict "$name" "$rc" "$t0" "'${host_cmds[$name]}'"
    report "$name" "$rc"
}

# A QEMU test in the background: its report lands in build/test/NAME.out.
# The command runs in a session of its own (setsid, so $child is its
# session and process group id), so that stopping it (interrupted) reaches
# all of it, not only its parent.
start_test() {
    local name=$1
    (
        # pkill -s: what left the process group but not the session (GNU
        # timeout, as in linux/run.sh, moves itself and QEMU to a group of its own).
        trap 'kill -TERM -- "-$child" 2>/dev/null; pkill -TERM -s "$child" 2>/dev/null; wait "$child"; exit 143' TERM
        t0=$SECONDS
        setsid bash -c "${cmds[$name]}" >"$out/$name.out" 2>&1 </dev/null &
        child=$!
        wait "$child"
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


# Waits for one running QEMU test and reports it.
reap_one() {
    local done_pid rc
    wait -n -p done_pid; rc=$?
    if [ -z "${done_pid:-}" ] || [ -z "${names[$done_pid]:-}" ]; then
        echo "run_all.sh: wait -n returned $rc for no known test (running: ${names[*]})"
        failed=$((failed + 1))
        running=0
        return
    fi
    report "${names[$done_pid]}" "$rc"
    unset "names[$done_pid]"
    running=$((running - 1))
}

if [ "$do_build" = 1 ]; then
    step="make build"
    echo "== make build (whole output: $out/build.log)"
    t0=$SECONDS rc=0
    ${MAKE:-make} --no-print-directory build 2>&1 | tee "$out/build.log" || rc=$?
    if [ "$rc" != 0 ]; then
        echo "FAIL build ($((SECONDS - t0))s): 'make build' exited with $rc"
        echo "---- last 40 lines of $out/build.log ----"
        tail -n 40 "$out/build.log" | sed 's/^/  | /'
        echo "---- whole output: $out/build.log"
        failed=$((failed + 1))
        echo "Total time: $((SECONDS - t_start))s"
        echo "Summary: $passed passed, $failed failed"
        summary_done=1
        exit 1
    fi
fi

if [ "$do_host" = 1 ]; then
    echo "== host unit tests"
    for name in "${host_tests[@]}"; do
        host_test "$name"
    done
fi

echo "== QEMU tests ($jobs at a time)"
step="the QEMU tests"
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
[ "$failed" = 0 ] || echo "Logs of the failures: the paths above (all logs: $out/)"
echo "Summary: $passed passed, $failed failed"
summary_done=1
[ "$failed" = 0 ]
