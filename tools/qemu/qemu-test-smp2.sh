#!/usr/bin/env bash
# Boot the ISO on 2 CPUs (the spec's quick SMP test). Extra args go to qemu.sh.
exec "$(dirname "$0")/qemu.sh" -preset smp2 "$@"
