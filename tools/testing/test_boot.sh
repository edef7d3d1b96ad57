#!/usr/bin/env bash
# Boot test: boot build/mellos.iso's kernel with the default init on N CPUs
# and require the spec's boot log and a clean power-off.
#   tools/testing/test_boot.sh [-smp N] [-timeout SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
smp=1 timeout=120
while [ $# -gt 0 ]; do
    case "$1" in
        -smp) smp=$2; shift ;;
        -timeout) timeout=$2; shift ;;
        *) echo "usage: $0 [-smp N] [-timeout SECONDS]" >&2; exit 2 ;;
    esac
    shift
done
exec "$root/tools/testing/qemu_test.py" "boot-smp$smp" --cmdline '' --smp "$smp" --timeout "$timeout" \
    --expect '^\[KERNEL\] MelloOS starting\.\.\.$' \
    --expect "^\[SMP\] SMP initialization complete: $smp CPUs online\$" \
    --expect '^Hello from userland!$'
