# busybox.sh - sourced by mkroot.sh and mkinitrd.sh: the manifest lines
# (tools/initramfs/mkcpio.py syntax) that put Debian's busybox into an
# archive, so both archives get it the same way.
#
#   busybox_manifest BUSYBOX [NAME...]
#
# prints `file /bin/busybox` and one `slink /bin/APPLET busybox` for every
# applet `BUSYBOX --list` names, except the NAMEs given (programs of the
# archive's own that take those /bin names).

busybox_manifest() {
    local busybox=$1 applets a skip
    shift
    applets=$("$busybox" --list) || { echo "busybox.sh: $busybox --list failed (not a busybox for this host?)" >&2; return 1; }
    echo "file /bin/busybox $busybox 0755 0 0"
    for a in $applets; do
        [ "$a" = busybox ] && continue
        for skip in "$@"; do
            [ "$a" = "$skip" ] && continue 2
        done
        echo "slink /bin/$a busybox 0777 0 0"
    done
}
