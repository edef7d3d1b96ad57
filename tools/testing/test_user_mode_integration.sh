#!/usr/bin/env bash
# The user-mode integration suite (/bin/utest as PID 1) on N CPUs (default 4).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
smp=${1:-4}
exec "$root/tools/testing/qemu_test.py" "utest-smp$smp" --cmdline "init=/bin/utest -- cpus=$smp" \
    --smp "$smp" --timeout 300 --expect '^\[UTEST\] [0-9]+ passed, 0 failed$'
