#!/usr/bin/env bash
# run_linux.sh - the Linux oracle: run a busybox sh test script as init under
# Debian's stock kernel (the one `make bench` boots) in QEMU TCG and capture
# exactly what it printed.
#
# Usage: tools/oracle/run_linux.sh [options] SCRIPT OUT
#        tools/oracle/run_linux.sh [options] --initrd ARCHIVE OUT
#   SCRIPT          the test (busybox sh); packed with tools/initramfs/mkroot.sh
#                   into the oracle initramfs as /test/script
#   --initrd FILE   boot this archive (made by mkroot.sh) instead of packing one
#   OUT             gets the bytes the test printed between the markers, with
#                   the serial console's CR-before-LF removed (nothing else);
#                   OUT.status gets the test's exit status
#   --add HOST:GUEST[:MODE], --manifest FILE   extra archive entries (mkroot.sh)
#   --smp N         QEMU -smp (default 1)
#   --boot MODE     pvh (default: the vmlinux extracted from the bzImage,
#                   entered through its PVH note; same kernel, faster) or bzimage
#   --timeout S     seconds before QEMU is killed (default 300)
#   --work DIR      initramfs, serial log, QEMU stderr (default
#                   build/oracle/PARENT-NAME for OUT = .../PARENT/NAME.txt)
#   -q              no progress lines on stderr
#   -h, --help
# Environment: ORACLE_KERNEL  bzImage to boot (default newest /boot/vmlinuz-*)
#
# QEMU: -machine pc -cpu max,la57=off -smp N -m 256M, serial console to a file,
# no NIC; kernel command line
#   console=ttyS0 rdinit=/init quiet loglevel=1 panic=-1 mitigations=off
# (loglevel=1 shows KERN_EMERG only: nothing on a good boot.  Not 0: with
# console_loglevel 0, panic()'s console_verbose() stays silent, and a panic
# would look like silence.)
# Exit status: 0 when the end marker was seen (whatever the test's own status,
# which is printed and stored in OUT.status); non-zero, with the log's path and
# tail, on a timeout, a kernel panic or oops, a missing or doubled marker.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "run_linux.sh: error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; }
say() { [ "$quiet" = 1 ] || echo "run_linux.sh: $*" >&2; }

smp=1 boot=pvh timeout_s=300 work="" initrd="" quiet=0
pos=() root_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smp) [ $# -ge 2 ] || die "--smp needs a value"; smp=$2; shift ;;
        --boot) [ $# -ge 2 ] || die "--boot needs a value"; boot=$2; shift ;;
        --timeout) [ $# -ge 2 ] || die "--timeout needs a value"; timeout_s=$2; shift ;;
        --work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift ;;
        --initrd) [ $# -ge 2 ] || die "--initrd needs a value"; initrd=$2; shift ;;
        --add|--manifest) [ $# -ge 2 ] || die "$1 needs a value"; root_args+=("$1" "$2"); shift ;;
        -q) quiet=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) pos+=("$1") ;;
    esac
    shift
done
if [ -n "$initrd" ]; then
    [ ${#pos[@]} = 1 ] || die "with --initrd give only OUT (see --help)"
    out=${pos[0]} script=""
    [ ${#root_args[@]} = 0 ] || die "--add/--manifest do not apply to a given --initrd"
    [ -r "$initrd" ] || die "cannot read $initrd"
else
    [ ${#pos[@]} = 2 ] || die "expected SCRIPT OUT (see --help)"
    script=${pos[0]} out=${pos[1]}
    [ -r "$script" ] || die "cannot read $script"
fi
[[ "$smp" =~ ^[1-9][0-9]*$ ]] || die "--smp must be a positive integer, got '$smp'"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer, got '$timeout_s'"
case "$boot" in bzimage|pvh) ;; *) die "--boot must be pvh or bzimage, got '$boot'" ;; esac
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run tools/deps.sh"
command -v python3 >/dev/null || die "python3 missing: run tools/deps.sh"

name=$(basename "$(dirname "$(realpath -m "$out")")")-$(basename "$out" .txt)
work=${work:-$repo/build/oracle/$name}
mkdir -p "$work" "$(dirname "$out")"

. "$here/linux-kernel.sh"
linux_find_kernel "${ORACLE_KERNEL:-}"
kernel=$linux_kernel
image=$kernel
if [ "$boot" = pvh ]; then
    linux_pvh_image "$kernel" "$repo/build/oracle"
    image=$linux_boot_image
fi

if [ -z "$initrd" ]; then
    initrd=$work/initramfs.cpio
    "$repo/tools/initramfs/mkroot.sh" -o "$initrd" ${root_args[@]+"${root_args[@]}"} "$script" \
        || die "building the initramfs failed"
fi

log=$work/serial.log
qlog=$work/qemu.stderr
rm -f "$log" "$qlog" "$out" "$out.status"
append="console=ttyS0 rdinit=/init quiet loglevel=1 panic=-1 mitigations=off"
qemu=(qemu-system-x86_64 -machine pc -cpu max,la57=off -smp "$smp" -m 256M
      -display none -monitor none -serial "file:$log" -no-reboot -nic none
      -kernel "$image" -initrd "$initrd" -append "$append")

fail() {
    echo "run_linux.sh: FAILED: $1" >&2
    echo "run_linux.sh: serial log: $log" >&2
    echo "run_linux.sh: command: ${qemu[*]}" >&2
    if [ -s "$qlog" ]; then echo "----- QEMU stderr -----" >&2; tail -n 20 "$qlog" >&2; fi
    echo "----- $log (last 40 lines) -----" >&2
    tr -d '\r' < "$log" 2>/dev/null | tail -n 40 >&2 || true
    echo "----- end of log -----" >&2
    exit 1
}

say "booting $(basename "$kernel") ($boot), -smp $smp, timeout ${timeout_s}s"
start=$(date +%s)
rc=0
timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null >"$qlog" 2>&1 || rc=$?
wall=$(( $(date +%s) - start ))
[ "$rc" != 124 ] && [ "$rc" != 137 ] || fail "QEMU killed after ${timeout_s}s (the guest hung, or raise --timeout)"
[ -f "$log" ] || fail "QEMU wrote no serial log (exit status $rc)"

# Byte-exact extraction: undo the tty's ONLCR (LF -> CR LF) only.
if ! status=$(python3 "$here/extract.py" "$log" "$out" 2>"$work/extract.err"); then
    rm -f "$out"
    fail "$(cat "$work/extract.err") (QEMU exit status $rc, ${wall}s)"
fi
[ "$rc" = 0 ] || fail "QEMU exited with status $rc after the test finished"
echo "$status" > "$out.status"
say "test exited with status $status after ${wall}s; output: $out ($(wc -c < "$out") bytes), log: $log"
