#!/usr/bin/env bash
# Pack the user programs into the initial ramdisk (cpio newc): mkinitrd.sh OUT.cpio
# Every program built in userspace/ lands in /bin/NAME.
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/userspace/target/x86_64-unknown-none/release
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$(dirname "$out")"
if [ -d "$bin" ]; then
    for f in "$bin"/*; do
        [ -f "$f" ] && [ -x "$f" ] && [ "$(head -c 4 "$f" | tail -c 3)" = "ELF" ] && cp "$f" "$stage/bin/"
    done
fi
echo "MelloOS initial ramdisk" > "$stage/README"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out"
