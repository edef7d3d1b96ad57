#!/usr/bin/env bash
# Pack the user programs into the initial ramdisk (cpio newc): mkinitrd.sh OUT.cpio
# Every binary of userspace/programs/* (as tools/check-programs.py --list
# names them) lands in /bin/NAME, from userspace/target/x86_64-unknown-none/release/.
# Only those: a stale binary of a removed or renamed program is left out.
# Fails, saying which and why, if a program's binary was not built, or if
# one lacks libmello's MelloOS brand note (checked with readelf, if present).
# Also makes the mount points the kernel needs: /dev (devfs), /proc (procfs)
# and /tmp (mode 1777, as on Linux).
# With musl-gcc (Debian's musl-tools), the oracle's C programs
# (tests/linux/c/*.c, built by tools/oracle/build_c.sh into build/linux-c/)
# land in /bin/linux/NAME: unbranded static Linux programs. The `#!`
# scripts of the exec tests (tests/scripts/*.sh) land in /test/scripts/.
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/userspace/target/x86_64-unknown-none/release
die() { echo "mkinitrd: $*" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/tmp" "$(dirname "$out")"
chmod 0755 "$stage" "$stage/bin" "$stage/dev" "$stage/proc"
chmod 1777 "$stage/tmp"
if [ -d "$root/userspace/programs" ]; then
    names=$("$root/tools/check-programs.py" --list) || die "tools/check-programs.py failed (above)"
    for name in $names; do
        f=$bin/$name
        [ -f "$f" ] || die "$f missing: the program '$name' was not built (make userspace)"
        [ "$(head -c 4 "$f" | tail -c 3)" = "ELF" ] || die "$f is not an ELF file"
        if command -v readelf >/dev/null && ! readelf -nW "$f" | grep -q '^ *MelloOS '; then
            die "$f has no MelloOS note (.note.mellos from libmello): exec would not give it the native personality"
        fi
        cp "$f" "$stage/bin/"
    done
fi
if command -v musl-gcc >/dev/null && [ -d "$root/tests/linux/c" ]; then
    mkdir -p "$stage/bin/linux"
    "$root/tools/oracle/build_c.sh" "$root/build/linux-c" >/dev/null || die "tools/oracle/build_c.sh failed (above)"
    for c in "$root"/tests/linux/c/*.c; do
        cp "$root/build/linux-c/$(basename "$c" .c)" "$stage/bin/linux/"
    done
fi
if [ -d "$root/tests/scripts" ]; then
    mkdir -p "$stage/test/scripts"
    cp -p "$root"/tests/scripts/*.sh "$stage/test/scripts/"
fi
echo "MelloOS initial ramdisk" > "$stage/README"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out" ||
    die "cpio failed writing $out"
