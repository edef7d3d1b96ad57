#!/usr/bin/env bash
# Run the MelloOS half of the benchmarks: boot build/kernel.elf with
# /bin/bench as init under QEMU TCG with -icount shift=0 -smp 1 (the guest's
# rdtsc then counts instructions) and collect its [BENCH] lines.
#
#   tools/bench/run_mellos.sh [--n N] [--smoke] [OUT_DIR]
#
# Writes OUT_DIR/mellos.txt (default build/bench) in the format report.py
# reads. Uses the same CPU model as the Linux run (BENCH_CPU). Fails (and
# shows the log) unless every operation reported and init exited with 0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=1000 out=$root/build/bench name=mellos
while [ $# -gt 0 ]; do
    case "$1" in
        --n) n=$2; shift ;;
        --smoke) n=10; name=mellos-smoke ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) out=$1 ;;
    esac
    shift
done
cpu=${BENCH_CPU:-max,la57=off,erms=off,fsrm=off}
mapfile -t ops <"$root/tools/bench/ops.txt"
mkdir -p "$out"
# Benchmarks run the kernel without debug assertions (profile `fast`).
(cd "$root/kernel" && cargo build --profile fast --quiet)
iso=$out/$name.iso
log=$out/$name-serial.log
KERNEL=$root/kernel/target/x86_64-unknown-none/fast/kernel "$root/tools/mkiso.sh" "$iso" "norandmaps init=/bin/bench -- $n"
timeout "${BENCH_TIMEOUT:-900}" "$root/tools/qemu/qemu.sh" -iso "$iso" -smp 1 -headless -icount \
    -cpu "$cpu" < /dev/null > "$log" 2>&1 || true
fail() { echo "run_mellos: $*" >&2; tail -n 60 "$log" >&2; exit 1; }
grep -q '^\[BENCH\] done' "$log" || fail "no '[BENCH] done' in $log"
grep -q 'init exited with code 0' "$log" || fail "bench did not exit with code 0"
for op in "${ops[@]}"; do
    grep -q "^\[BENCH\] name=$op " "$log" || fail "missing result for $op"
done
{
    echo "# kernel: MelloOS $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "# qemu: $(qemu-system-x86_64 --version | head -1)"
    echo "# qemu_args: -machine pc -cpu $cpu -smp 1 -m 512M -icount shift=0"
    echo "# n: $n"
    grep '^\[BENCH\]' "$log" | tr -d '\r'
} > "$out/$name.txt"
echo "run_mellos: results in $out/$name.txt"
