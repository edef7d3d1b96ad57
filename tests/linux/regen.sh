#!/usr/bin/env bash
# regen.sh - run the Linux oracle tests and store their outputs as the
# references (tests/linux/*/expected-linux.txt), or check them.
#
# Usage: tests/linux/regen.sh [--check] [busybox|c]...   (default: all)
#   --check   do not overwrite: run under Linux into build/oracle/ and compare
#             with the stored references (tools/oracle/compare.sh); exit 1 on
#             any difference.  Shows that Linux's answer is reproducible.
# Each test is one boot of Debian's kernel (tools/oracle/run_linux.sh), a few
# seconds under TCG.  Extra arguments for run_linux.sh: RUN_LINUX_ARGS.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
check=0
tests=()
for a in "$@"; do
    case "$a" in
        --check) check=1 ;;
        busybox|c) tests+=("$a") ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) echo "regen.sh: unknown test '$a' (busybox, c)" >&2; exit 2 ;;
    esac
done
[ ${#tests[@]} -gt 0 ] || tests=(busybox c)
"$repo/tools/deps.sh" >/dev/null

# shellcheck disable=SC2206
extra=(${RUN_LINUX_ARGS:-})
rc=0
for t in "${tests[@]}"; do
    args=()
    if [ "$t" = c ]; then
        for p in $("$repo/tools/oracle/build_c.sh"); do
            args+=(--add "$p:/test/c/$(basename "$p")")
        done
    fi
    ref=$here/$t/expected-linux.txt
    if [ "$check" = 1 ]; then
        got=$repo/build/oracle/check/$t/linux.txt
        "$repo/tools/oracle/run_linux.sh" ${extra[@]+"${extra[@]}"} "${args[@]}" \
            "$here/$t/script.sh" "$got"
        "$repo/tools/oracle/compare.sh" "$ref" "$got" || rc=1
        "$repo/tools/oracle/compare.sh" "$ref.status" "$got.status" || rc=1
    else
        "$repo/tools/oracle/run_linux.sh" ${extra[@]+"${extra[@]}"} "${args[@]}" \
            "$here/$t/script.sh" "$ref"
    fi
done
exit $rc
