#!/usr/bin/env bash
# Boot the ISO on 4 CPUs. Extra args go to qemu.sh.
exec "$(dirname "$0")/qemu.sh" -preset smp4 "$@"
