#!/usr/bin/env bash
# build_c.sh - build the oracle's C test programs (tests/linux/c/*.c) as
# static musl executables: musl-gcc -static -O2, into build/linux-c/NAME.
#
# Usage: tools/oracle/build_c.sh [OUT_DIR]     (default <repo>/build/linux-c)
# Needs musl-tools (tools/deps.sh installs it).  Prints the built paths.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
src=$repo/tests/linux/c
out=${1:-$repo/build/linux-c}
die() { echo "build_c.sh: error: $*" >&2; exit 1; }
command -v musl-gcc >/dev/null || die "musl-gcc missing: run tools/deps.sh (Debian package musl-tools)"
mkdir -p "$out"
for c in "$src"/*.c; do
    name=$(basename "$c" .c)
    musl-gcc -static -O2 -Wall -Wextra -Werror -o "$out/$name.tmp" "$c" || die "building $c failed"
    # Must be a static ET_EXEC without PT_INTERP (musl's -static-pie comes
    # out dynamic).
    [ "$(od -An -tx1 -j16 -N2 "$out/$name.tmp" | tr -d ' ')" = 0200 ] \
        || die "$name is not ET_EXEC"
    if command -v readelf >/dev/null && readelf -lW "$out/$name.tmp" | grep -q INTERP; then
        die "$name has a PT_INTERP (dynamic)"
    fi
    mv "$out/$name.tmp" "$out/$name"
    echo "$out/$name"
done
