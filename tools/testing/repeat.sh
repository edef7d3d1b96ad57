#!/usr/bin/env bash
# repeat.sh - flake hunting: the QEMU matrix of run_all.sh, N times.
#
#   tools/testing/repeat.sh [-n N] [-load K] [-keep-all]
#   make test-repeat N=20 LOAD=0 [TEST_ONLY=regex] [TEST_JOBS=j]
#
# Builds once (`make build`), runs the host unit tests once (with run 1),
# then the QEMU tests of run_all.sh N times (TEST_ONLY and TEST_JOBS apply
# as in `make test`). With -load K, K busy loops spin on the host for the
# whole time, to make timing bugs likelier (the machine is shared: keep K
# small); they are killed when this script ends, however it ends (Ctrl-C,
# SIGTERM, an error; each loop also stops by itself once this script is
# gone).
#
# Each run's output is kept in build/test/repeat/RUN/run_all.txt; a failing
# run also keeps every log of that run there (NAME.log: the whole serial
# log, NAME.out: the report, NAME.full: a host test's or script's whole
# output); -keep-all keeps them for passing runs too. At the end: a table
# (each test, passes out of the runs it was in, its slowest run: compare
# with its --timeout in run_all.sh), the failing runs' log
# directories, and exit status 1 if any run failed (0 otherwise).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=20 load=0 keep_all=0
while [ $# -gt 0 ]; do
    case "$1" in
        -n) n=$2; shift ;;
        -load) load=$2; shift ;;
        -keep-all) keep_all=1 ;;
        -h|--help) sed -n '2,/^set -uo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) echo "repeat.sh: unknown argument $1 (-n N, -load K, -keep-all)" >&2; exit 2 ;;
    esac
    shift
done
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || { echo "repeat.sh: N must be a positive number (got '$n')" >&2; exit 2; }
[[ $load =~ ^[0-9]+$ ]] || { echo "repeat.sh: LOAD must be a number (got '$load')" >&2; exit 2; }

# pass[NAME], runs[NAME]: NAME's passes and runs; order: names as first seen.
declare -A pass runs slowest
order=() failing=() done_runs=0

out=build/test/repeat
rm -rf "$out"
mkdir -p "$out"

# The busy loops: each is one `sh` that spins while this script is alive
# (kill -0 is a builtin: no fork), so none can outlive us even on SIGKILL.
loads=()
cleanup() {
    local pid
    for pid in "${loads[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${loads[@]}"; do
        wait "$pid" 2>/dev/null
    done
    loads=()
}
rall=""
interrupted() {
    trap '' INT TERM HUP
    echo "repeat.sh: interrupted; stopping run_all.sh and the busy loops"
    [ -z "$rall" ] || { kill -TERM "$rall" 2>/dev/null; wait "$rall"; }
    cleanup
    echo "(the table counts the finished runs only)"
    table
    exit 130
}
trap cleanup EXIT
trap interrupted INT TERM HUP
start_load() {
    local i
    for ((i = 0; i < load; i++)); do
        sh -c 'while kill -0 "$1" 2>/dev/null; do :; done' load "$$" &
        loads+=($!)
    done
    [ "$load" = 0 ] || echo "== $load busy loop(s) on the host: pids ${loads[*]}"
}

echo "== make build (once; output in $out/build.log)"
if ! ${MAKE:-make} --no-print-directory build >"$out/build.log" 2>&1; then
    echo "FAIL build: 'make build' failed"
    echo "---- last 40 lines of $out/build.log ----"
    tail -n 40 "$out/build.log" | sed 's/^/  | /'
    echo "---- whole output: $out/build.log"
    exit 1
fi

# keep_logs DIR RESULTS: copies the logs of the tests named in RESULTS
# ("VERDICT NAME" lines) into DIR.
keep_logs() {
    local dir=$1 verdict name
    while read -r verdict name; do
        [ -n "$name" ] || continue
        cp -p build/test/"$name".{log,out,full} "$dir"/ 2>/dev/null
    done <<<"$2"
}

# The table and the failing runs' log directories; exit status 1 if any
# run failed.
table() {
    local name mark r
    echo
    printf '%-24s %-8s %7s\n' test passes slowest
    for name in "${order[@]}"; do
        mark=""
        [ "${pass[$name]}" = "${runs[$name]}" ] || mark="  <-- failed $((runs[$name] - pass[$name])) time(s)"
        printf '%-24s %-8s %7s%s\n' "$name" "${pass[$name]}/${runs[$name]}" "${slowest[$name]}s" "$mark"
    done
    echo
    if [ "${#failing[@]}" = 0 ]; then
        echo "all $done_runs run(s) passed (each run's output: $out/RUN/run_all.txt)"
        return 0
    fi
    echo "${#failing[@]} of $done_runs run(s) failed; their complete logs:"
    for r in "${failing[@]}"; do
        echo "  run $r: $out/$r/ (run_all.txt and NAME.log/.out/.full of each test)"
        grep -aE '^FAIL ' "$out/$r/run_all.txt" | sed 's/^/    /'
    done
    return 1
}

start_load
for ((r = 1; r <= n; r++)); do
    dir=$out/$r
    mkdir -p "$dir"
    host=--no-host
    [ "$r" = 1 ] && host=
    t0=$SECONDS
    # In the background so that a signal reaches us at once (interrupted).
    tools/testing/run_all.sh $host >"$dir/run_all.txt" 2>&1 &
    rall=$!
    wait "$rall"
    rc=$?
    rall=""
    [ "$rc" -lt 128 ] || exit "$rc" # interrupted: run_all.sh stopped its tests
    results=$(grep -aE '^(PASS|FAIL) [^ ]+ ' "$dir/run_all.txt" | awk '{print $1, $2}')
    while read -r verdict name; do
        [ -n "$name" ] || continue
        if [ -z "${runs[$name]:-}" ]; then order+=("$name"); runs[$name]=0; pass[$name]=0; slowest[$name]=0; fi
        runs[$name]=$((runs[$name] + 1))
        [ "$verdict" = PASS ] && pass[$name]=$((pass[$name] + 1))
        # "PASS name (12.3s)": the slowest run, whole seconds
        secs=$(grep -aoE "^(PASS|FAIL) $name \([0-9]+" "$dir/run_all.txt" | head -n 1 | sed 's/.*(//')
        [ -z "$secs" ] || [ "$secs" -le "${slowest[$name]}" ] || slowest[$name]=$secs
    done <<<"$results"
    done_runs=$r
    summary=$(grep -a '^Summary:' "$dir/run_all.txt" | tail -n 1)
    if [ "$rc" != 0 ]; then
        failing+=("$r")
        # Every log of this run's tests (they are overwritten by the next run).
        keep_logs "$dir" "$results"
        fails=$(grep -aE '^FAIL ' "$dir/run_all.txt" | awk '{print $2}' | tr '\n' ' ')
        echo "run $r/$n: FAIL ($((SECONDS - t0))s) ${summary:-no summary line} -- failed: ${fails:-?}; logs: $dir/"
    else
        [ "$keep_all" = 0 ] || keep_logs "$dir" "$results"
        echo "run $r/$n: pass ($((SECONDS - t0))s) $summary"
    fi
done
cleanup
table
