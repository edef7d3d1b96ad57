#!/usr/bin/env bash
# mkroot.sh - the oracle initramfs: one layout for Linux and for MelloOS.
#
# Usage: tools/initramfs/mkroot.sh -o OUT.cpio [options] SCRIPT
#   SCRIPT              the test, a busybox sh script; stored as /test/script
#                       and run by /init (tools/initramfs/init), which frames
#                       its output with @@ORACLE-BEGIN@@ / @@ORACLE-END status=N@@
#                       and powers off
#   -o OUT.cpio         the archive (uncompressed newc); OUT.cpio.manifest
#                       gets the manifest it was built from
#   --add HOST:GUEST[:MODE]  add a host file at GUEST (MODE octal, default
#                       0755 if HOST is executable, else 0644); repeatable
#   --manifest FILE     extra manifest lines (tools/initramfs/mkcpio.py
#                       syntax); repeatable
#   --busybox PATH      busybox binary (default build/deps/busybox/bin/busybox,
#                       fetched by tools/deps.sh)
#   --print-manifest    write the manifest to stdout instead of an archive
#
# Layout: /init; /bin/busybox and /bin/APPLET -> busybox for every applet
# that `busybox --list` names; /dev/{console 5:1, tty 5:0, ttyS0 4:64,
# tty1 4:1, null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9};
# /etc/{passwd,group,hostname}; empty /proc /sys /tmp (1777) /root (0700)
# /mnt; /test/script.  Everything root-owned; deterministic bytes.
# Boot it with Linux `rdinit=/init`, with MelloOS `init=/init`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "mkroot.sh: error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; }

out="" script="" busybox=$repo/build/deps/busybox/bin/busybox print=0
adds=() manifests=()
while [ $# -gt 0 ]; do
    case "$1" in
        -o) [ $# -ge 2 ] || die "-o needs a value"; out=$2; shift ;;
        --add) [ $# -ge 2 ] || die "--add needs HOST:GUEST[:MODE]"; adds+=("$2"); shift ;;
        --manifest) [ $# -ge 2 ] || die "--manifest needs a file"; manifests+=("$2"); shift ;;
        --busybox) [ $# -ge 2 ] || die "--busybox needs a path"; busybox=$2; shift ;;
        --print-manifest) print=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [ -z "$script" ] || die "only one SCRIPT allowed"; script=$1 ;;
    esac
    shift
done
[ -n "$script" ] || die "no SCRIPT given (see --help)"
[ -r "$script" ] || die "cannot read $script"
[ "$print" = 1 ] || [ -n "$out" ] || die "no -o OUT.cpio given"
[ -x "$busybox" ] || die "no busybox at $busybox: run tools/deps.sh (it fetches Debian's busybox-static)"
# shellcheck source=tools/initramfs/busybox.sh
. "$here/busybox.sh"

abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
# Manifest paths may not contain white space (one entry per line, split on blanks).
check_path() { case "$1" in *[[:space:]]*) die "path with white space not supported: '$1'" ;; esac; }

manifest() {
    cat <<MANIFEST
# oracle initramfs (tools/initramfs/mkroot.sh)
dir /bin 0755 0 0
dir /dev 0755 0 0
dir /etc 0755 0 0
dir /mnt 0755 0 0
dir /proc 0555 0 0
dir /root 0700 0 0
dir /sys 0555 0 0
dir /test 0755 0 0
dir /tmp 1777 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/tty 0666 0 0 c 5 0
nod /dev/ttyS0 0660 0 5 c 4 64
nod /dev/tty1 0620 0 5 c 4 1
nod /dev/null 0666 0 0 c 1 3
nod /dev/zero 0666 0 0 c 1 5
nod /dev/full 0666 0 0 c 1 7
nod /dev/random 0666 0 0 c 1 8
nod /dev/urandom 0666 0 0 c 1 9
file /etc/passwd $here/etc/passwd 0644 0 0
file /etc/group $here/etc/group 0644 0 0
file /etc/hostname $here/etc/hostname 0644 0 0
file /init $here/init 0755 0 0
file /test/script $(abs "$script") 0755 0 0
MANIFEST
    busybox_manifest "$(abs "$busybox")" || die "cannot list busybox's applets"
    local spec host guest mode
    for spec in ${adds[@]+"${adds[@]}"}; do
        IFS=: read -r host guest mode <<<"$spec"
        [ -n "$host" ] && [ -n "$guest" ] || die "--add wants HOST:GUEST[:MODE], got '$spec'"
        [ -r "$host" ] || die "--add: cannot read $host"
        check_path "$host"; check_path "$guest"
        if [ -z "$mode" ]; then
            if [ -x "$host" ]; then mode=0755; else mode=0644; fi
        fi
        echo "file $guest $(abs "$host") $mode 0 0"
    done
    local m
    for m in ${manifests[@]+"${manifests[@]}"}; do
        [ -r "$m" ] || die "--manifest: cannot read $m"
        cat "$m"
    done
}

check_path "$busybox"; check_path "$script"; check_path "$here"
if [ "$print" = 1 ]; then
    manifest
    exit 0
fi
mkdir -p "$(dirname "$out")"
manifest > "$out.manifest"
python3 "$here/mkcpio.py" -o "$out" "$out.manifest" || die "mkcpio.py failed on $out.manifest"
