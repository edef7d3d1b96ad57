#!/usr/bin/env bash
# run.sh - Linux half of `make bench`.
#
# Builds tools/bench/linux/bench.c as a static /init (plus the tiny
# /bin/true_static), packs them into an initramfs, boots Debian's stock
# kernel on it in QEMU TCG with `-icount shift=0` (guest rdtsc == executed
# instructions), and extracts the `[BENCH] name=... per_op=...` lines from
# the serial console into a results file.  Installs what is missing
# (linux-image-amd64, gcc, libc6-dev, cpio, qemu-system-x86) with apt-get.
#
# Usage: tools/bench/linux/run.sh [options] [OUT_DIR]
#   OUT_DIR        where results go (default: <repo>/build/bench)
#   --n N          iterations per operation (default 1000)
#   --smoke        quick check: N=10, PVH boot, verify every operation
#                  produced a line; writes OUT_DIR/linux-smoke.txt
#   --boot MODE    bzimage: boot /boot/vmlinuz-* as packaged (default)
#                  pvh:     boot the uncompressed vmlinux extracted from it
#                           through its PVH entry point (skips the ~4.5e9
#                           instructions of XZ decompression; same kernel)
#   -h, --help
# Environment overrides:
#   BENCH_KERNEL   path of the bzImage (default: newest /boot/vmlinuz-*)
#   BENCH_CPU      QEMU -cpu (default max,la57=off,erms=off,fsrm=off; see below)
#   BENCH_ICOUNT   QEMU -icount (default shift=0)
#   BENCH_TIMEOUT  seconds before the guest is declared hung
#                  (default 600 + N/10; smoke 600)
#
# Outputs (OUT_DIR): linux.txt (or linux-smoke.txt): `# key: value` metadata
# lines + the [BENCH] lines; linux-serial.log (linux-smoke-serial.log): the
# whole console log; linux-build/: binaries, initramfs.
#
# Exit status: 0 only if the guest printed `[BENCH] done`, the rdtsc ==
# instruction-count self-check passed, no [ERROR] line appeared and every
# operation has a well-formed line.  Otherwise non-zero and the log is shown.
#
# Why this -cpu: under -icount every iteration of a `rep movs/stos`
# instruction counts as one instruction.  With ERMS/FSRM Linux clears and
# copies pages with byte-granular `rep stosb/movsb` (4096 "instructions" per
# page) instead of `rep stosq/movsq` (512), an artefact of the metric that
# roughly doubles fork/COW counts.  la57=off keeps Linux on 4-level paging
# like MelloOS.  Set BENCH_CPU=max to see the difference.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)

die() { echo "run.sh: error: $*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; }

n=1000
smoke=0
boot=bzimage
out=""
n_given=0
boot_given=0
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --n) [ $# -ge 2 ] || die "--n needs a value"; n=$2; n_given=1; shift ;;
        --n=*) n=${1#--n=}; n_given=1 ;;
        --boot) [ $# -ge 2 ] || die "--boot needs a value"; boot=$2; boot_given=1; shift ;;
        --boot=*) boot=${1#--boot=}; boot_given=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [ -z "$out" ] || die "only one OUT_DIR allowed"; out=$1 ;;
    esac
    shift
done
if [ "$smoke" = 1 ]; then
    [ "$n_given" = 1 ] || n=10
    [ "$boot_given" = 1 ] || boot=pvh   # fastest boot path unless asked otherwise
fi
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "--n must be a positive integer, got '$n'"
case "$boot" in bzimage|pvh) ;; *) die "--boot must be bzimage or pvh, got '$boot'" ;; esac
out=${out:-$repo/build/bench}
mkdir -p "$out"
out=$(cd "$out" && pwd)

cpu=${BENCH_CPU:-max,la57=off,erms=off,fsrm=off}
icount=${BENCH_ICOUNT:-shift=0}
if [ "$smoke" = 1 ]; then
    timeout_s=${BENCH_TIMEOUT:-600}
    tag=linux-smoke
else
    timeout_s=${BENCH_TIMEOUT:-$((600 + n / 10))}
    tag=linux
fi

mapfile -t ops <"$repo/tools/bench/ops.txt"

# ---------------------------------------------------------------- install
# linux_apt_install, linux_find_kernel, linux_pvh_image (shared with the
# Linux oracle, tools/oracle/run_linux.sh).
. "$repo/tools/oracle/linux-kernel.sh"
apt_install() { linux_apt_install "$@"; }

need=()
command -v gcc >/dev/null || need+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
command -v cpio >/dev/null || need+=(cpio)
command -v gzip >/dev/null || need+=(gzip)
command -v timeout >/dev/null || need+=(coreutils)
command -v python3 >/dev/null || need+=(python3)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ ${#need[@]} = 0 ] || apt_install "${need[@]}"

linux_find_kernel "${BENCH_KERNEL:-}"
kernel=$linux_kernel

# ---------------------------------------------------------------- build
bdir=$out/linux-build
rm -rf "$bdir/root"
mkdir -p "$bdir/root/bin" "$bdir/root/proc" "$bdir/root/dev"
gcc -O2 -static -Wall -Wextra -o "$bdir/root/init" "$here/bench.c" \
    || die "building bench.c failed"
gcc -O2 -static -nostdlib -fno-stack-protector -fno-pie -no-pie \
    -o "$bdir/root/bin/true_static" "$here/true_static.c" \
    || die "building true_static.c failed"
(cd "$bdir/root" && find . -print | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
    | gzip -1 > "$bdir/initramfs.cpio.gz" || die "packing the initramfs failed"

boot_image=$kernel
if [ "$boot" = pvh ]; then
    # Uncompressed ELF vmlinux from the bzImage, entered through its PVH
    # note.  Cached per kernel file.
    linux_pvh_image "$kernel" "$bdir"
    boot_image=$linux_boot_image
fi

# ---------------------------------------------------------------- run
log=$out/$tag-serial.log
results=$out/$tag.txt
rm -f "$results"
append="console=ttyS0 mitigations=off quiet panic=-1 bench_n=$n"
qemu=(qemu-system-x86_64 -machine pc -cpu "$cpu" -smp 1 -m 512M -icount "$icount"
      -nographic -no-reboot -nic none
      -kernel "$boot_image" -initrd "$bdir/initramfs.cpio.gz" -append "$append")

show_log_and_die() {
    echo "run.sh: FAILED: $1" >&2
    echo "run.sh: command: ${qemu[*]}" >&2
    echo "----- $log (last 80 lines) -----" >&2
    tr -d '\r' < "$log" | tail -n 80 >&2 || true
    echo "----- end of log -----" >&2
    exit 1
}

echo "run.sh: booting $(basename "$kernel") ($boot), n=$n, -cpu $cpu, -icount $icount, timeout ${timeout_s}s" >&2
start=$(date +%s)
rc=0
timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null >"$log" 2>&1 || rc=$?
wall=$(( $(date +%s) - start ))
echo "run.sh: guest finished in ${wall}s (qemu exit status $rc)" >&2

clean=$(tr -d '\r' < "$log")
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    show_log_and_die "QEMU timed out after ${timeout_s}s (raise BENCH_TIMEOUT if the machine is just slow)"
fi
grep -qx '\[BENCH\] done' <<<"$clean" || show_log_and_die "'[BENCH] done' never appeared (qemu exit status $rc)"
[ "$rc" = 0 ] || show_log_and_die "QEMU exited with status $rc"
grep -qx '\[CALIB\] icount_exact=yes' <<<"$clean" \
    || show_log_and_die "rdtsc is not counting instructions (check -icount $icount): see [CALIB] lines"
if grep -q '^\[ERROR\]' <<<"$clean"; then
    show_log_and_die "the guest reported errors: $(grep '^\[ERROR\]' <<<"$clean" | tr '\n' ' ')"
fi
missing=()
for op in "${ops[@]}"; do
    grep -Eq "^\[BENCH\] name=$op n=[0-9]+ total=[0-9]+ per_op=[0-9]+\$" <<<"$clean" || missing+=("$op")
done
[ ${#missing[@]} = 0 ] || show_log_and_die "no well-formed [BENCH] line for: ${missing[*]}"

kver=$(grep -o '\[INFO\] kernel=.*' <<<"$clean" | head -n 1 | sed 's/^\[INFO\] kernel=//' || true)
{
    echo "# kernel: ${kver:-unknown}"
    echo "# boot: $boot ($(basename "$kernel"))"
    echo "# qemu: $(qemu-system-x86_64 --version | head -n 1)"
    echo "# qemu_args: -machine pc -cpu $cpu -smp 1 -m 512M -icount $icount"
    echo "# append: $append"
    echo "# n: $n"
    sed -n 's/^\[INFO\] cpu_flags:/# guest_cpu_flags:/p' <<<"$clean" | head -n 1
    echo "# wall_seconds: $wall"
    grep '^\[BENCH\] ' <<<"$clean"
} > "$results"

if [ "$smoke" = 1 ]; then
    echo "run.sh: smoke OK: all ${#ops[@]} operations reported (n=$n, ${wall}s): $results" >&2
else
    echo "run.sh: results in $results" >&2
fi
grep '^\[BENCH\] name=' "$results"
