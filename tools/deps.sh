#!/usr/bin/env bash
# Install what `make build`, `make run`, `make test`, `make bench` and the
# Linux oracle tests need on a Debian machine, or say exactly what is missing.
# Idempotent and quick when all is present (no apt, no network).
#
# Also fetches Debian's busybox-static WITHOUT installing it (installing it
# would replace the host's own busybox): `apt-get download` into
# build/deps/ (the cache), `dpkg-deb -x` into build/deps/busybox/, so that
# build/deps/busybox/bin/busybox exists.  Once the cache is there nothing
# touches the network.
#
# Usage: tools/deps.sh
# Environment: DEPS_DIR  cache directory (default <repo>/build/deps)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps_dir=${DEPS_DIR:-$root/build/deps}

is_root() { [ "$(id -u)" = 0 ]; }
have() { command -v "$1" >/dev/null 2>&1; }

need_pkgs=()
have qemu-system-x86_64 || need_pkgs+=(qemu-system-x86)
have grub-mkrescue || need_pkgs+=(grub-common)
[ -d /usr/lib/grub/i386-pc ] || need_pkgs+=(grub-pc-bin)
[ -d /usr/lib/grub/x86_64-efi ] || need_pkgs+=(grub-efi-amd64-bin)
have xorriso || need_pkgs+=(xorriso)
have mformat || need_pkgs+=(mtools)
have cpio || need_pkgs+=(cpio)
[ -f /usr/share/OVMF/OVMF_CODE.fd ] || [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || need_pkgs+=(ovmf)
have python3 || need_pkgs+=(python3)
# Linux personality: C test programs, disk images, network tests.
have musl-gcc || need_pkgs+=(musl-tools)
have mkfs.ext2 || need_pkgs+=(e2fsprogs)
have mkfs.fat || need_pkgs+=(dosfstools)
have socat || need_pkgs+=(socat)
have gdb || need_pkgs+=(gdb)
have dpkg-deb || need_pkgs+=(dpkg)
# Bench and the Linux oracle: Debian's stock kernel (booted, never run on
# the host), gcc (under musl-gcc, for the shared benchmark and the Linux
# tests), gzip for the initramfs.
compgen -G '/boot/vmlinuz-*' >/dev/null || need_pkgs+=(linux-image-amd64)
have gcc || need_pkgs+=(gcc)
have gzip || need_pkgs+=(gzip)

if [ ${#need_pkgs[@]} -gt 0 ]; then
    if is_root && have apt-get; then
        echo "[deps] installing: ${need_pkgs[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    else
        echo "[deps] missing Debian packages: ${need_pkgs[*]}" >&2
        echo "[deps] install them with: sudo apt-get install --no-install-recommends ${need_pkgs[*]}" >&2
        exit 1
    fi
fi

if ! have cargo; then
    echo "[deps] Rust is missing: install it from https://rustup.rs (stable toolchain)" >&2
    exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -q x86_64-unknown-none; then
    echo "[deps] adding the rustup target x86_64-unknown-none"
    rustup target add x86_64-unknown-none
fi

# ------------------------------------------------------------ busybox-static
bb_dir=$deps_dir/busybox
bb=$bb_dir/bin/busybox
bb_ok() { [ -x "$bb" ] && "$bb" true >/dev/null 2>&1; }
bb_fail() {
    echo "[deps] error: cannot fetch Debian's busybox-static: $*" >&2
    echo "[deps] it is needed in $bb (for the initrd and the Linux oracle tests)." >&2
    echo "[deps] fetch it by hand (network to Debian's archive needed once):" >&2
    echo "[deps]   mkdir -p $deps_dir && cd $deps_dir && apt-get download busybox-static \\" >&2
    echo "[deps]     && dpkg-deb -x busybox-static_*.deb busybox" >&2
    exit 1
}
if ! bb_ok; then
    mkdir -p "$deps_dir"
    deb=$(compgen -G "$deps_dir/busybox-static_*_amd64.deb" | sort -V | tail -n 1 || true)
    if [ -z "$deb" ]; then
        have apt-get || bb_fail "apt-get is not available (not a Debian host?)"
        echo "[deps] downloading busybox-static into $deps_dir"
        dl_log=$deps_dir/apt-download.log
        if ! (cd "$deps_dir" && apt-get download -q busybox-static) >"$dl_log" 2>&1; then
            # Stale or missing package lists: refresh them once (root only).
            if is_root; then
                apt-get update -qq >>"$dl_log" 2>&1 || true
                (cd "$deps_dir" && apt-get download -q busybox-static) >>"$dl_log" 2>&1 \
                    || bb_fail "apt-get download failed (no network?); see $dl_log"
            else
                bb_fail "apt-get download failed (no network, or stale package lists: run 'sudo apt-get update'); see $dl_log"
            fi
        fi
        deb=$(compgen -G "$deps_dir/busybox-static_*_amd64.deb" | sort -V | tail -n 1 || true)
        [ -n "$deb" ] || bb_fail "apt-get download left no busybox-static_*_amd64.deb in $deps_dir"
    fi
    rm -rf "$bb_dir.tmp"
    dpkg-deb -x "$deb" "$bb_dir.tmp" || bb_fail "dpkg-deb -x $deb failed (corrupt download? delete it)"
    rm -rf "$bb_dir"
    mv "$bb_dir.tmp" "$bb_dir"
    bb_ok || bb_fail "$bb does not run after unpacking $deb"
fi
echo "[deps] busybox: $("$bb" --help 2>&1 | head -n 1 || true)"
