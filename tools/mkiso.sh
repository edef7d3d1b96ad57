#!/usr/bin/env bash
# Build a hybrid BIOS/UEFI GRUB ISO: mkiso.sh OUT.iso "KERNEL CMDLINE"
# Uses build/kernel.elf (or $KERNEL) and build/initrd.cpio.
set -euo pipefail
out=$1
cmdline=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "${KERNEL:-$root/build/kernel.elf}" "$stage/boot/kernel.elf"
cp "$root/build/initrd.cpio" "$stage/boot/initrd.cpio"
sed "s|@CMDLINE@|$cmdline|" "$root/boot/grub.cfg" > "$stage/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$stage" >/dev/null 2>"$stage.log" || { cat "$stage.log" >&2; rm -f "$stage.log"; exit 1; }
rm -f "$stage.log"
