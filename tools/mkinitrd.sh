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
# With Debian's busybox (build/deps/busybox, fetched by tools/deps.sh):
# /bin/busybox and a /bin/APPLET symlink for every applet that no program
# of ours names (ours win: /bin/init, /bin/true), /etc/{passwd,group} (the
# oracle's), /etc/{hostname,motd} (userspace/etc) and /root: init then
# starts busybox's shell on the console after its demo.
# The archive is written by tools/initramfs/mkcpio.py from a manifest
# (OUT.cpio.manifest): deterministic bytes, root-owned entries.
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/userspace/target/x86_64-unknown-none/release
die() { echo "mkinitrd: $*" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

manifest() {
    cat <<MANIFEST
# MelloOS initial ramdisk (tools/mkinitrd.sh)
dir /bin 0755 0 0
dir /dev 0755 0 0
dir /proc 0755 0 0
dir /tmp 1777 0 0
file /README $work/README 0644 0 0
MANIFEST
    local name f c s
    if [ -d "$root/userspace/programs" ]; then
        names=$("$root/tools/check-programs.py" --list) || die "tools/check-programs.py failed (above)"
        for name in $names; do
            f=$bin/$name
            [ -f "$f" ] || die "$f missing: the program '$name' was not built (make userspace)"
            [ "$(head -c 4 "$f" | tail -c 3)" = "ELF" ] || die "$f is not an ELF file"
            if command -v readelf >/dev/null && ! readelf -nW "$f" | grep -q '^ *MelloOS '; then
                die "$f has no MelloOS note (.note.mellos from libmello): exec would not give it the native personality"
            fi
            echo "file /bin/$name $f 0755 0 0"
        done
    fi
    if command -v musl-gcc >/dev/null && [ -d "$root/tests/linux/c" ]; then
        "$root/tools/oracle/build_c.sh" "$root/build/linux-c" >/dev/null || die "tools/oracle/build_c.sh failed (above)"
        for c in "$root"/tests/linux/c/*.c; do
            echo "file /bin/linux/$(basename "$c" .c) $root/build/linux-c/$(basename "$c" .c) 0755 0 0"
        done
    fi
    for s in "$root"/tests/scripts/*.sh; do
        [ -f "$s" ] && echo "file /test/scripts/$(basename "$s") $s 0755 0 0"
    done
    local bb=$root/build/deps/busybox/bin/busybox etc=$root/tools/initramfs/etc
    if [ -x "$bb" ]; then
        # shellcheck source=tools/initramfs/busybox.sh
        . "$root/tools/initramfs/busybox.sh"
        # shellcheck disable=SC2086
        busybox_manifest "$bb" ${names:-} || die "cannot list busybox's applets"
        cat <<ETC
dir /etc 0755 0 0
dir /root 0700 0 0
file /etc/passwd $etc/passwd 0644 0 0
file /etc/group $etc/group 0644 0 0
file /etc/hostname $root/userspace/etc/hostname 0644 0 0
file /etc/motd $root/userspace/etc/motd 0644 0 0
ETC
    else
        echo "mkinitrd: no busybox at $bb (tools/deps.sh fetches it): the initrd has no shell" >&2
    fi
}

echo "MelloOS initial ramdisk" > "$work/README"
manifest > "$out.manifest"
python3 "$root/tools/initramfs/mkcpio.py" -o "$out" "$out.manifest" || die "mkcpio.py failed on $out.manifest"
