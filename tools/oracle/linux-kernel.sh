# linux-kernel.sh - sourced by tools/bench/shared/run.sh and
# tools/oracle/run_linux.sh: find Debian's stock kernel and make the image
# QEMU boots.  Not executable on its own.
#
# The caller defines die() (prints its message and exits non-zero).
#
#   linux_apt_install PKG...        apt-get install (root only, else die);
#                                   apt-get update once per script run
#   linux_find_kernel [OVERRIDE]    sets linux_kernel: OVERRIDE if non-empty
#                                   (must be readable), else the newest
#                                   /boot/vmlinuz-*, installing
#                                   linux-image-amd64 if there is none
#   linux_pvh_image KERNEL DIR      sets linux_boot_image: the uncompressed
#                                   ELF vmlinux extracted from the bzImage
#                                   KERNEL, cached as DIR/vmlinux-NAME.
#                                   QEMU -kernel enters it through its
#                                   XEN_ELFNOTE_PHYS32_ENTRY (PVH) note,
#                                   skipping the bzImage's ~4.5e9
#                                   instructions of XZ decompression.

linux_apt_updated=0
linux_apt_install() {
    [ "$(id -u)" = 0 ] || die "missing $*; install it (apt-get install $*) or run as root"
    echo "$(basename "$0"): installing $* ..." >&2
    if [ "$linux_apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
        linux_apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 \
        || die "apt-get install $* failed"
}

linux_find_kernel() {
    local override=${1:-}
    if [ -n "$override" ]; then
        linux_kernel=$override
        [ -r "$linux_kernel" ] || die "kernel $linux_kernel is not readable"
        return 0
    fi
    if ! compgen -G '/boot/vmlinuz-*' >/dev/null; then
        linux_apt_install linux-image-amd64
    fi
    linux_kernel=$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -n 1)
    [ -n "$linux_kernel" ] || die "no /boot/vmlinuz-* even after installing linux-image-amd64"
    [ -r "$linux_kernel" ] || die "$linux_kernel is not readable"
}

linux_pvh_image() {
    local kernel=$1 dir=$2
    linux_boot_image=$dir/vmlinux-$(basename "$kernel")
    if [ -s "$linux_boot_image" ] && [ ! "$linux_boot_image" -ot "$kernel" ]; then
        return 0
    fi
    mkdir -p "$dir"
    python3 - "$kernel" "$linux_boot_image.tmp" <<'PY' || die "cannot extract vmlinux from $kernel"
import gzip, lzma, sys
data = open(sys.argv[1], "rb").read()
for magic, unpack in ((b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(b)),
                      (b"\x1f\x8b\x08\x00", lambda b: gzip.GzipFile(fileobj=__import__("io").BytesIO(b)).read())):
    i = data.find(magic)
    while i >= 0:
        try:
            out = unpack(data[i:])
        except Exception:
            out = b""
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
        i = data.find(magic, i + 1)
sys.exit("no xz- or gzip-compressed ELF payload found (extract-vmlinux needed)")
PY
    mv "$linux_boot_image.tmp" "$linux_boot_image"
}
