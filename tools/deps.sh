#!/usr/bin/env bash
# Install what `make build`, `make run` and `make test` need on a Debian
# machine, or say exactly what is missing. Idempotent and quick when all is
# present.
set -euo pipefail

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need_pkgs+=(qemu-system-x86)
have grub-mkrescue || need_pkgs+=(grub-common)
[ -d /usr/lib/grub/i386-pc ] || need_pkgs+=(grub-pc-bin)
[ -d /usr/lib/grub/x86_64-efi ] || need_pkgs+=(grub-efi-amd64-bin)
have xorriso || need_pkgs+=(xorriso)
have mformat || need_pkgs+=(mtools)
have cpio || need_pkgs+=(cpio)
[ -f /usr/share/OVMF/OVMF_CODE.fd ] || [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || need_pkgs+=(ovmf)
have python3 || need_pkgs+=(python3)

if [ ${#need_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && have apt-get; then
        echo "[deps] installing: ${need_pkgs[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
    else
        echo "[deps] missing Debian packages: ${need_pkgs[*]}" >&2
        echo "[deps] install them with: sudo apt-get install ${need_pkgs[*]}" >&2
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
