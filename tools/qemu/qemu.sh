#!/usr/bin/env bash
# MelloOS QEMU launcher: the one place that knows how to start QEMU.
#
#   tools/qemu/qemu.sh [-smp N] [-uefi] [-machine pc|q35] [-m MEM]
#                      [-iso PATH] [-preset smp2|smp4|debug|single]
#                      [-debug] [-gdb-script FILE] [-enable-kvm] [-icount] [-cpu MODEL]
#                      [-headless] [-log FILE] [-exit-status] [--] [extra QEMU args]
#
# Serial goes to stdout. QEMU exits when the guest powers off (ACPI S5,
# status 0) or when the kernel panics (isa-debug-exit, status 3). KVM is used
# with -enable-kvm only when /dev/kvm actually works; otherwise TCG.
# Interactive (no -headless): serial and the QEMU monitor share this terminal
# (Ctrl-A X quits, Ctrl-A C toggles the monitor, Ctrl-C goes to the guest).
# -headless: serial only (tests; stdin is not read by the guest).
# -log FILE: a copy of the terminal output (what the guest writes to serial,
#   plus the monitor's if you switch to it), in FILE.
# -exit-status: exit with init's code, read from the serial log (-log, by
#   default build/run.log): `[KERNEL] init exited with code N` gives N (a
#   `ktest` run: 0 iff `[KTEST] P passed, 0 failed`); without that line
#   (panic, triple fault, Ctrl-A X) QEMU's status, or 1 if that was 0.
# -debug: halted at the first instruction, GDB server on :1234;
#   -gdb-script FILE only changes the hint printed (default
#   tools/debug/gdb-smp.gdb).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
smp=4 uefi=0 machine=pc mem=512M iso=$root/build/mellos.iso debug=0 kvm=0 icount=0 headless=0 cpu=max
log="" exit_status=0 gdb_script=tools/debug/gdb-smp.gdb
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
        -log) log=$2; shift ;;
        -exit-status) exit_status=1 ;;
        -gdb-script) gdb_script=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        --) shift; extra+=("$@"); break ;;
        *) extra+=("$1") ;;
    esac
    shift
done

[ -f "$iso" ] || { echo "no ISO at $iso: run 'make build' first" >&2; exit 1; }

if [ "$exit_status" = 1 ] && [ -z "$log" ]; then
    log=$root/build/run.log
fi
args=(-machine "$machine" -m "$mem" -smp "$smp" -cdrom "$iso" -boot d -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
logopt=${log:+,logfile=${log//,/,,},logappend=off}
if [ -n "$log" ]; then
    mkdir -p "$(dirname "$log")"
fi
if [ "$headless" = 1 ] && [ -z "$log" ]; then
    args+=(-serial stdio)
elif [ "$headless" = 1 ]; then
    args+=(-chardev "stdio,id=s0,signal=off$logopt" -serial chardev:s0)
else
    # Serial and monitor multiplexed on stdio (what -serial mon:stdio does),
    # spelled out so the serial output can also go to a log file.
    args+=(-chardev "stdio,id=s0,mux=on,signal=off$logopt" -serial chardev:s0
           -mon chardev=s0,mode=readline)
    echo "[qemu] Ctrl-A X quits QEMU; Ctrl-A C toggles the monitor${log:+ (serial log: $log)}" >&2
fi
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
    echo "[qemu] waiting for GDB on :1234 — in another shell: gdb -x $gdb_script" >&2
fi
if [ "$exit_status" = 0 ]; then
    exec qemu-system-x86_64 "${args[@]}" "${extra[@]}"
fi

# -exit-status: run QEMU, then turn the serial log into an exit status.
rc=0
qemu-system-x86_64 "${args[@]}" "${extra[@]}" || rc=$?
serial=$(tr -d '\r' <"$log" 2>/dev/null || true)
init_line=$(grep -aoE '\[KERNEL\] init exited with code -?[0-9]+' <<<"$serial" | tail -n 1 || true)
ktest_line=$(grep -aoE '\[KTEST\] [0-9]+ passed, [0-9]+ failed' <<<"$serial" | tail -n 1 || true)
if [ -n "$init_line" ]; then
    code=${init_line##* }
    status=$(( code & 255 ))
    [ "$code" = 0 ] || [ "$status" != 0 ] || status=1
    echo "[qemu] $init_line (QEMU exit status $rc); serial log: $log; exit status $status" >&2
    exit "$status"
elif [ -n "$ktest_line" ] && [ "$rc" = 0 ]; then
    failed=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$ktest_line")
    status=$([ "$failed" = 0 ] && echo 0 || echo 1)
    echo "[qemu] $ktest_line; serial log: $log; exit status $status" >&2
    exit "$status"
else
    status=$([ "$rc" = 0 ] && echo 1 || echo "$rc")
    why="QEMU exited with status $rc"
    [ "$rc" != 3 ] || why="$why (kernel panic: isa-debug-exit)"
    echo "[qemu] $why without '[KERNEL] init exited with code N'; serial log: $log; exit status $status" >&2
    exit "$status"
fi
