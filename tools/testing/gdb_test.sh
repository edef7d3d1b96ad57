#!/usr/bin/env bash
# gdb_test.sh - `make debug PROG=true` as a newcomer would use it, checked.
#
#   tools/testing/gdb_test.sh [NAME]     (run_all.sh runs it as gdb-smp2)
#
# Boots `init=/bin/true` on 2 CPUs halted with QEMU's GDB server (qemu.sh
# -debug -headless: port 1234, so no other `make debug` may run), and
# drives GDB in batch mode with the script `make debug PROG=true` writes
# (tools/debug/gdb-prog.sh). It must: stop at kernel_main; accept the
# script's own hint `hbreak kernel::sched::schedule` and stop there with a
# backtrace that ends at the entry frame (start64_high, then the null return
# address: no junk frames); then continue into the user program and stop at
# its `entry!` main with the program's symbol. PASS only when every one of
# those lines is in GDB's output and GDB ended the session (`kill`).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
name=${1:-gdb-smp2}
out=build/test
mkdir -p "$out"
log=$out/$name.log gdbout=$out/$name.gdbout
fail() {
    echo "FAIL $name: $*"
    echo "---- GDB output ($gdbout) ----"; sed 's/^/  | /' "$gdbout" 2>/dev/null | tail -40
    echo "---- serial log ($log) ----"; sed 's/^/  | /' "$log" 2>/dev/null | tail -20
    exit 1
}
command -v gdb >/dev/null || fail "gdb is not installed (tools/deps.sh installs it)"
if (exec 3<>/dev/tcp/127.0.0.1/1234) 2>/dev/null; then
    fail "something already listens on 127.0.0.1:1234 (another make debug?): QEMU's GDB server needs it"
fi
tools/mkiso.sh "$out/$name.iso" "init=/bin/true" >"$out/$name.mkiso" 2>&1 || fail "mkiso failed: $(tail -3 "$out/$name.mkiso")"
tools/debug/gdb-prog.sh true >"$out/$name.gdb" || fail "gdb-prog.sh failed"
cat >>"$out/$name.gdb" <<'GDB'
bt
hbreak kernel::sched::schedule
continue
bt
delete 3
continue
bt 3
kill
quit
GDB
timeout 300 tools/qemu/qemu.sh -smp 2 -debug -headless -iso "$out/$name.iso" >"$log" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null; wait $qemu 2>/dev/null' EXIT
# QEMU listens within a moment of starting; connecting first would fail.
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/1234) 2>/dev/null && break
    kill -0 $qemu 2>/dev/null || fail "QEMU exited before its GDB server listened"
    sleep 0.2
done
timeout 300 gdb -nx -batch -x "$out/$name.gdb" >"$gdbout" 2>&1
rc=$?
[ $rc = 0 ] || fail "gdb exited with status $rc"
want=(
    # kernel_main's first statement may be an inlined call: then GDB names
    # that frame, and the backtrace shows kernel_main (no address) under it.
    'hit Breakpoint 1, kernel::kernel_main \(\)|^#[0-9]+ +kernel::kernel_main \(\) at src/main\.rs'
    'Hardware assisted breakpoint 3 at 0x[0-9a-f]+: file src/sched/mod.rs'
    'hit Breakpoint 3, .*'
    '^#[0-9]+ +0x[0-9a-f]+ in kernel::sched::schedule \(\)|^#[0-9]+ +kernel::sched::schedule \(\)'
    '^#[0-9] +0x[0-9a-f]+ in start64_high \(\)$'
    'hit Breakpoint 2, 0x0*4[0-9a-f]{5} in __mello_main \(\)|hit Breakpoint 2, .*__mello_main'
    '^#0 +0x0*4[0-9a-f]{5} in __mello_main \(\)|^#0 .*__mello_main'
    '\[Inferior 1 \(process 1\) killed\]'
)
for re in "${want[@]}"; do
    grep -qE "$re" "$gdbout" || fail "no line matching /$re/ in GDB's output"
done
# The schedule backtrace: the frame after start64_high is the last, the
# null return address (a bounded walk, not 32 frames of junk).
after=$(awk '/in start64_high \(\)$/ {getline; print; exit}' "$gdbout")
[[ $after =~ ^#[0-9]+\ +0x0+\ in\ \?\?\ \(\)$ ]] || fail "the backtrace goes on after start64_high: '$after'"
echo "PASS $name: stopped at kernel_main, kernel::sched::schedule (backtrace ends at start64_high), true's __mello_main"
