#!/bin/sh
# Oracle test: the static musl programs of tests/linux/c (built by
# tools/oracle/build_c.sh, packed as /test/c/NAME by tests/linux/regen.sh),
# each run in name order with its exit status.  Linux's output is
# tests/linux/c/expected-linux.txt.
for p in $(ls /test/c | sort); do
    # MelloOS's own checks (they read /proc/mellos/metrics): no Linux answer.
    case $p in mem_pressure|soak) continue ;; esac
    echo "== $p"
    /test/c/$p 2>&1
    echo "exit $?"
done
