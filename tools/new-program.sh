#!/usr/bin/env bash
# new-program.sh - create a user program: tools/new-program.sh NAME
# (or `make new-program NAME=NAME`).
#
# Creates userspace/programs/NAME, a crate whose package and binary are both
# named NAME (so the ramdisk gets /bin/NAME), with the shape of
# userspace/programs/true: Cargo.toml (depends on mello) and src/main.rs
# (`mello::entry!(main)` and `fn main(args: Args) -> i32`). Adds it to the
# workspace members of userspace/Cargo.toml unless a glob there already
# covers it, then runs tools/check-programs.py (and undoes everything if
# that fails, e.g. another program already builds a binary named NAME).
#
# MELLO_USERSPACE=DIR works on another user-space workspace (tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
userspace=${MELLO_USERSPACE:-$root/userspace}
name=${1:-}

die() { echo "new-program: $*" >&2; exit 1; }
[ -n "$name" ] || die "usage: make new-program NAME=name (or tools/new-program.sh name)"
[[ $name =~ ^[a-z][a-z0-9_-]*$ ]] ||
    die "'$name' is not a good program name: lower-case letters, digits, '-' and '_', starting with a letter"
case "$name" in
    mello|libmello|core|alloc|std|test|proc_macro|build|target|programs)
        die "'$name' is reserved (a crate or directory name the build already uses)" ;;
esac
dir=$userspace/programs/$name
[ -e "$dir" ] && die "$dir already exists"
[ -f "$userspace/Cargo.toml" ] || die "$userspace/Cargo.toml missing"

mkdir -p "$dir/src"
cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$name"
description = "TODO: what $name does"
version.workspace = true
edition.workspace = true
license.workspace = true

[[bin]]
name = "$name"
path = "src/main.rs"

[dependencies]
mello.workspace = true
EOF
cat >"$dir/src/main.rs" <<EOF
//! \`$name\`: TODO: what it does, and its exit status.
#![no_std]
#![no_main]

use mello::{println, Args};

mello::entry!(main);

fn main(args: Args) -> i32 {
    println!("hello from $name: pid {:?}, {} argument(s)", mello::getpid(), args.len());
    0 // the exit status: \`[KERNEL] init exited with code 0\` when run as init
}
EOF

# Workspace membership: nothing to do if a members glob covers programs/NAME.
manifest_backup=$(mktemp)
cp "$userspace/Cargo.toml" "$manifest_backup"
python3 - "$userspace/Cargo.toml" "programs/$name" <<'EOF'
import fnmatch, re, sys
path, member = sys.argv[1], sys.argv[2]
text = open(path).read()
m = re.search(r"^members\s*=\s*\[(.*?)\]", text, re.S | re.M)
if not m:
    sys.exit(f"new-program: no `members = [...]` in {path}")
members = re.findall(r'"([^"]*)"', m.group(1))
if not any(fnmatch.fnmatchcase(member, g) for g in members):
    body = m.group(1).rstrip()
    sep = "" if not body.strip() else ("" if body.endswith(",") else ",")
    new = f'members = [{body}{sep} "{member}"]'
    text = text[:m.start()] + new + text[m.end():]
    open(path, "w").write(text)
    print(f"new-program: added \"{member}\" to the workspace members of {path}")
EOF

if ! "$root/tools/check-programs.py" --userspace "$userspace"; then
    rm -rf "$dir"
    cp "$manifest_backup" "$userspace/Cargo.toml"
    rm -f "$manifest_backup"
    die "not created (see above)"
fi
rm -f "$manifest_backup"

rel=${dir#"$root"/}
cat <<EOF
new-program: created $rel (Cargo.toml, src/main.rs): binary /bin/$name
  build:  make build
  run:    make run CMDLINE='init=/bin/$name'      (exits with $name's exit status)
  debug:  make debug PROG=$name CMDLINE='init=/bin/$name'
See docs/tutorial.md.
EOF
