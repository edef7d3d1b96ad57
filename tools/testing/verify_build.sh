#!/usr/bin/env bash
# Build everything and check the outputs other tools rely on exist and are
# what they claim to be (README "Quick start": build/kernel.elf, build/initrd.cpio, build/mellos.iso).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make build
fail() { echo "verify_build: $*" >&2; exit 1; }
[ "$(head -c 4 build/kernel.elf | tail -c 3)" = ELF ] || fail "build/kernel.elf is not an ELF file"
grep -qa "$(printf '\xd6\x50\x52\xe8')" build/kernel.elf || fail "no Multiboot2 header in build/kernel.elf"
[ "$(head -c 6 build/initrd.cpio)" = 070701 ] || fail "build/initrd.cpio is not a newc cpio archive"
cpio -it < build/initrd.cpio 2>/dev/null | grep -qx 'bin/init' || fail "no /bin/init in the ramdisk"
[ -s build/mellos.iso ] || fail "no build/mellos.iso"
echo "verify_build: build/kernel.elf, build/initrd.cpio and build/mellos.iso look right"
