#!/usr/bin/env bash
# MelloOS QEMU launcher: the one place that knows how to start QEMU.
#
#   tools/qemu/qemu.sh [-smp N] [-uefi] [-machine pc|q35] [-m MEM]
#                      [-iso PATH] [-preset smp2|smp4|debug|single]
#                      [-debug] [-enable-kvm] [-icount] [-cpu MODEL] [-headless] [--] [extra QEMU args]
#
# Serial goes to stdout. QEMU exits when the guest powers off (ACPI S5,
# status 0) or when the kernel panics (isa-debug-exit, status 3). KVM is used
# with -enable-kvm only when /dev/kvm actually works; otherwise TCG.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
smp=4 uefi=0 machine=pc mem=512M iso=$root/build/mellos.iso debug=0 kvm=0 icount=0 headless=0 cpu=max
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        -smp) smp=$2; shift ;;
        -uefi) uefi=1 ;;
        -machine) machine=$2; shift ;;
        -m) mem=$2; shift ;;
        -iso) iso=$2; shift ;;
        -preset)
            case "$2" in
                smp2) smp=2 ;; smp4) smp=4 ;; single) smp=1 ;;
                debug) smp=2; debug=1 ;;
                *) echo "unknown preset $2 (smp2, smp4, debug, single)" >&2; exit 2 ;;
            esac; shift ;;
        -debug) debug=1 ;;
        -enable-kvm) kvm=1 ;;
        -icount) icount=1 ;;
        -cpu) cpu=$2; shift ;;
        -headless) headless=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        --) shift; extra+=("$@"); break ;;
        *) extra+=("$1") ;;
    esac
    shift
done

[ -f "$iso" ] || { echo "no ISO at $iso: run 'make build' first" >&2; exit 1; }

args=(-machine "$machine" -m "$mem" -smp "$smp" -cdrom "$iso" -boot d
      -serial stdio -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
if [ "$headless" = 1 ]; then
    args+=(-display none)
elif [ -z "${DISPLAY:-}" ]; then
    args+=(-display none)
    echo "[qemu] no \$DISPLAY: the screen is not shown (serial output below)" >&2
fi
# KVM works if a paused QEMU with it is still alive after a moment (without
# it, QEMU exits at once with an error; `timeout` exits 124 on a live one).
kvm_works() {
    [ -w /dev/kvm ] || return 1
    timeout 1 qemu-system-x86_64 -accel kvm -machine none -display none -S -monitor none </dev/null >/dev/null 2>&1
    [ $? = 124 ]
}
if [ "$kvm" = 1 ] && kvm_works; then
    args+=(-accel kvm -cpu host)
else
    args+=(-accel tcg -cpu "$cpu")
fi
if [ "$icount" = 1 ]; then
    args+=(-icount shift=0)
fi
if [ "$uefi" = 1 ]; then
    code=""
    for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd /usr/share/ovmf/OVMF.fd; do
        [ -f "$f" ] && { code=$f; break; }
    done
    [ -n "$code" ] || { echo "OVMF not found: apt-get install ovmf" >&2; exit 1; }
    args+=(-drive "if=pflash,format=raw,readonly=on,file=$code")
fi
if [ "$debug" = 1 ]; then
    args+=(-s -S)
    echo "[qemu] waiting for GDB on :1234 — in another shell: gdb -x tools/debug/gdb-smp.gdb" >&2
fi
exec qemu-system-x86_64 "${args[@]}" "${extra[@]}"
