#!/usr/bin/env bash
# Build a hybrid BIOS/UEFI GRUB ISO: mkiso.sh OUT.iso "KERNEL CMDLINE"
# Uses build/kernel.elf (or $KERNEL) and build/initrd.cpio (or $INITRD, e.g.
# an oracle archive from tools/initramfs/mkroot.sh). The command line
# replaces @CMDLINE@ in boot/grub.cfg as is (any character but a newline).
set -euo pipefail
out=${1:?usage: mkiso.sh OUT.iso "KERNEL CMDLINE"}
cmdline=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
kernel=${KERNEL:-$root/build/kernel.elf}
initrd=${INITRD:-$root/build/initrd.cpio}
die() { echo "mkiso: $*" >&2; exit 1; }
[ -f "$kernel" ] || die "$kernel missing (make kernel)"
[ -f "$initrd" ] || die "$initrd missing (make initrd)"
[[ $cmdline != *$'\n'* ]] || die "the kernel command line has a newline in it"
stage=$(mktemp -d)
trap 'rm -rf "$stage" "$stage.log"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/kernel.elf"
cp "$initrd" "$stage/boot/initrd.cpio"
# sed's replacement text: \, & and the | delimiter must be escaped.
esc=$(printf '%s' "$cmdline" | sed -e 's/[\\&|]/\\&/g')
sed "s|@CMDLINE@|$esc|" "$root/boot/grub.cfg" > "$stage/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$stage" >/dev/null 2>"$stage.log" ||
    { cat "$stage.log" >&2; die "grub-mkrescue failed writing $out (its output is above)"; }
