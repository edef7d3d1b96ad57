#!/usr/bin/env bash
# run.sh - run the shared benchmark binary (tools/bench/shared/*.c, one
# static musl program) on one kernel, under QEMU TCG with -icount shift=0
# -smp 1 -m 512M (guest rdtsc == executed instructions), from ONE initramfs
# for both kernels: build/initrd.cpio's manifest (MelloOS's initrd: its
# programs, busybox, the oracle's C programs) plus /bin/linux/bench.
#
#   tools/bench/shared/run.sh mellos|linux [--n N] [--smoke] [OUT_DIR]
#
#   mellos  the `fast` kernel profile (--smoke: build/kernel.elf), ISO with
#           `norandmaps abi=linux init=/bin/linux/bench -- N mem_kib=524288`
#   linux   Debian's stock kernel (newest /boot/vmlinuz-*, as
#           tools/oracle/linux-kernel.sh finds it), -kernel bzImage, `-append
#           "console=ttyS0 mitigations=off quiet panic=-1
#           rdinit=/bin/linux/bench -- N mem_kib=524288"`
#   --n N   iterations per row (default 1000); --smoke: N=10
# Writes OUT_DIR (default build/bench)/shared-KERNEL[-smoke].txt: `# key:
# value` metadata + the [BENCH] lines, and the serial log beside it; then
# boots the same command once more, stopped at the kernel's first
# instruction (tools/bench/entry_tsc.py), for two more lines:
# boot_to_kernel (the TSC there) and kernel_to_init (boot_to_init - that).
# Exit status 0 only if `[BENCH] done` appeared, the [CALIB] check passed,
# no [ERROR] line appeared and every row of rows.txt (and the two entry
# rows) has its [BENCH] line;
# otherwise 1, naming the rows that failed and showing the log's tail.
# Needs build/initrd.cpio.manifest (make initrd) and musl-gcc.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
die() { echo "shared/run.sh: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: run.sh mellos|linux [--n N] [--smoke] [OUT_DIR]"
kernel=$1; shift
case "$kernel" in mellos|linux) ;; *) die "kernel must be mellos or linux, got '$kernel'" ;; esac
n=1000 out=$root/build/bench suffix=""
while [ $# -gt 0 ]; do
    case "$1" in
        --n) [ $# -ge 2 ] || die "--n needs a value"; n=$2; shift ;;
        --smoke) n=10; suffix=-smoke ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) out=$1 ;;
    esac
    shift
done
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "--n must be a positive integer, got '$n'"
mkdir -p "$out"
out=$(cd "$out" && pwd)
tag=shared-$kernel$suffix
cpu=${BENCH_CPU:-max,la57=off,erms=off,fsrm=off}
mem_kib=524288
mapfile -t rows <"$here/rows.txt"

# ---------------------------------------------------------------- build
bdir=$out/$tag-build
mkdir -p "$bdir"
command -v musl-gcc >/dev/null || die "musl-gcc missing (tools/deps.sh installs musl-tools)"
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$bdir/bench" "$here"/*.c \
    || die "building tools/bench/shared failed"
base=$root/build/initrd.cpio.manifest
[ -f "$base" ] || die "$base missing (make initrd)"
echo "MelloOS initial ramdisk" > "$bdir/README"
{
    grep -v -e '^file /README ' -e '^file /bin/linux/bench ' "$base"
    echo "file /README $bdir/README 0644 0 0"
    echo "file /bin/linux/bench $bdir/bench 0755 0 0"
} > "$bdir/initrd.manifest"
python3 "$root/tools/initramfs/mkcpio.py" -o "$bdir/initrd.cpio" "$bdir/initrd.manifest" \
    || die "mkcpio.py failed"

# ---------------------------------------------------------------- run
log=$out/$tag-serial.log
args="-- $n mem_kib=$mem_kib"
start=$(date +%s)
if [ "$kernel" = mellos ]; then
    if [ -n "$suffix" ]; then
        elf=$root/build/kernel.elf # smoke: the kernel `make build` made and tests use
        [ -f "$elf" ] || die "$elf missing (make build)"
    else
        (cd "$root/kernel" && cargo build --profile fast --quiet)
        elf=$root/kernel/target/x86_64-unknown-none/fast/kernel
    fi
    iso=$bdir/mellos.iso
    cmdline="norandmaps abi=linux init=/bin/linux/bench $args"
    KERNEL=$elf INITRD=$bdir/initrd.cpio \
        "$root/tools/mkiso.sh" "$iso" "$cmdline"
    qargs="-machine pc -cpu $cpu -smp 1 -m 512M -icount shift=0"
    kname="MelloOS $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
    qemu=("$root/tools/qemu/qemu.sh" -iso "$iso" -smp 1 -m 512M -headless -icount -cpu "$cpu")
    timeout "${BENCH_TIMEOUT:-1800}" "${qemu[@]}" </dev/null >"$log" 2>&1 || true
    # The multiboot2 entry: the kernel ELF's entry point.
    entry=$(python3 -c 'import struct, sys; f = open(sys.argv[1], "rb"); f.seek(24); print(struct.unpack("<Q", f.read(8))[0])' "$elf")
    qemu+=(--)
else
    . "$root/tools/oracle/linux-kernel.sh"
    linux_find_kernel "${BENCH_KERNEL:-}"
    cmdline="console=ttyS0 mitigations=off quiet panic=-1 rdinit=/bin/linux/bench $args"
    qargs="-machine pc -cpu $cpu -smp 1 -m 512M -icount shift=0"
    # shellcheck disable=SC2206 # qargs is split into words on purpose
    qemu=(qemu-system-x86_64 $qargs -nographic -no-reboot -nic none -kernel "$linux_kernel"
          -initrd "$bdir/initrd.cpio" -append "$cmdline")
    timeout --kill-after=10 "${BENCH_TIMEOUT:-1800}" "${qemu[@]}" </dev/null >"$log" 2>&1 || true
    kname=""
    # QEMU's -kernel loads a bzImage's real-mode setup at 0x10000 and
    # enters it at 0x10200.
    entry=$((0x10200))
fi
wall=$(( $(date +%s) - start ))
clean=$(tr -d '\r' <"$log")
fail() {
    echo "shared/run.sh: $kernel FAILED: $*" >&2
    echo "----- $log (last 40 lines) -----" >&2
    tail -n 40 <<<"$clean" >&2
    exit 1
}
[ -n "$kname" ] || kname=$(sed -n 's/^\[INFO\] kernel=//p' <<<"$clean" | head -n 1)
listed=$(sed -n 's/^\[INFO\] row //p' <<<"$clean")
[ -z "$listed" ] || [ "$listed" = "$(printf '%s\n' "${rows[@]}")" ] \
    || fail "the binary's rows (main.c ROWS[]) differ from tools/bench/shared/rows.txt"
missing=()
for row in "${rows[@]}"; do
    grep -Eq "^\[BENCH\] name=$row n=[0-9]+ total=[0-9]+ per_op=[0-9]+\$" <<<"$clean" || missing+=("$row")
done
{
    echo "# kernel: ${kname:-unknown}"
    echo "# qemu: $(qemu-system-x86_64 --version | head -n 1)"
    echo "# qemu_args: $qargs"
    echo "# append: $cmdline"
    echo "# n: $n"
    echo "# wall_seconds: $wall"
    grep '^\[BENCH\] ' <<<"$clean" || true
    grep '^\[ERROR\] ' <<<"$clean" | sed 's/^/# /' || true
} >"$out/$tag.txt"
# boot_to_kernel: the TSC at the kernel's first instruction, from a second
# boot of the same command stopped there (tools/bench/entry_tsc.py);
# kernel_to_init: boot_to_init minus that.
boot=$(sed -n 's/^\[BENCH\] name=boot_to_init n=1 total=\([0-9]*\) .*/\1/p' <<<"$clean")
if kentry=$(python3 "$root/tools/bench/entry_tsc.py" "$entry" -- "${qemu[@]}") && [ -n "$boot" ]; then
    {
        echo "[BENCH] name=boot_to_kernel n=1 total=$kentry per_op=$kentry"
        echo "[BENCH] name=kernel_to_init n=1 total=$((boot - kentry)) per_op=$((boot - kentry))"
    } >>"$out/$tag.txt"
else
    missing+=(boot_to_kernel kernel_to_init)
fi
grep -q '^\[ERROR\]' <<<"$clean" && echo "shared/run.sh: $kernel: $(grep '^\[ERROR\]' <<<"$clean" | tr '\n' ' ')" >&2
grep -qx '\[BENCH\] done' <<<"$clean" || fail "no '[BENCH] done' (${wall}s)"
grep -qx '\[CALIB\] icount_exact=yes' <<<"$clean" || fail "rdtsc does not count instructions"
[ ${#missing[@]} = 0 ] || fail "rows missing: ${missing[*]} (results so far in $out/$tag.txt)"
! grep -q '^\[ERROR\]' <<<"$clean" || fail "the guest reported errors"
echo "shared/run.sh: $kernel OK: all ${#rows[@]} rows (n=$n, ${wall}s): $out/$tag.txt" >&2
