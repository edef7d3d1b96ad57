#!/usr/bin/env python3
"""check-programs.py - checks userspace/programs before cargo builds them.

    tools/check-programs.py [--userspace DIR] [--list]

Run by `make userspace` (so by `make build`). Each program crate
(programs/NAME/Cargo.toml) builds one or more binaries, and each binary
lands in the ramdisk as /bin/BINNAME (tools/mkinitrd.sh), so:

  * two programs must not build binaries of the same name (one would
    silently replace the other in /bin);
  * each binary's source must use `mello::entry!(main);` (without it the
    link fails with a bare `undefined symbol: __mello_main`);
  * each program directory must be a member of the workspace
    (userspace/Cargo.toml `members`), or cargo never builds it.

Prints one line per problem, `check-programs: ...`, and exits 1 if there is
any; prints nothing and exits 0 otherwise. With --list (and no problem) it
prints the binary names, one a line: what tools/mkinitrd.sh puts in /bin.
"""

import argparse
import fnmatch
import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11: the small subset Cargo.toml files here use
    tomllib = None

ROOT = Path(__file__).resolve().parents[1]
ENTRY = re.compile(r"\bentry!\s*[({\[]")


def parse_toml(text):
    """Cargo.toml as a dict: tomllib, or a minimal fallback that knows
    [table], [[array-of-tables]] and `key = "string"` / string lists."""
    if tomllib:
        return tomllib.loads(text)
    doc, cur = {}, None
    cur = doc
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"\[\[([\w.-]+)\]\]", line)
        if m:
            cur = {}
            doc.setdefault(m.group(1), []).append(cur)
            continue
        m = re.fullmatch(r"\[([\w.-]+)\]", line)
        if m:
            cur = doc.setdefault(m.group(1), {})
            continue
        m = re.fullmatch(r'([\w.-]+)\s*=\s*"([^"]*)"', line)
        if m:
            cur[m.group(1)] = m.group(2)
            continue
        m = re.fullmatch(r"([\w.-]+)\s*=\s*\[(.*)\]", line)
        if m:
            cur[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    return doc


def binaries(prog_dir, manifest):
    """(bin name, source path) of every binary the crate builds."""
    package = manifest.get("package", {}).get("name", prog_dir.name)
    bins = []
    for b in manifest.get("bin", []):
        name = b.get("name", package)
        bins.append((name, prog_dir / b.get("path", "src/main.rs")))
    explicit = {n for n, _ in bins}
    autobins = manifest.get("package", {}).get("autobins", True)
    if not bins and (prog_dir / "src" / "main.rs").is_file():
        bins.append((package, prog_dir / "src" / "main.rs"))
    if autobins and (prog_dir / "src" / "bin").is_dir():
        for f in sorted((prog_dir / "src" / "bin").glob("*.rs")):
            if f.stem not in explicit:
                bins.append((f.stem, f))
    return bins


def strip_comments(src):
    """Rust source without // and /* */ comments (good enough for a check)."""
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)


def check(userspace, names=None):
    """Returns the list of problems (one line each); appends the binary
    names to `names` if given."""
    problems = []
    programs = userspace / "programs"
    workspace = parse_toml((userspace / "Cargo.toml").read_text())
    members = workspace.get("workspace", {}).get("members", [])
    seen = {}  # bin name -> program dir
    for prog_dir in sorted(p for p in programs.iterdir() if p.is_dir()) if programs.is_dir() else []:
        rel = prog_dir.relative_to(userspace)
        manifest_path = prog_dir / "Cargo.toml"
        if not manifest_path.is_file():
            problems.append(f"{rel}: no Cargo.toml (a program is a crate: see userspace/README.md)")
            continue
        try:
            manifest = parse_toml(manifest_path.read_text())
        except Exception as e:  # tomllib.TOMLDecodeError
            problems.append(f"{rel}/Cargo.toml: cannot parse it: {e}")
            continue
        if not any(fnmatch.fnmatchcase(str(rel), m) for m in members):
            problems.append(f"{rel} is not a workspace member: add \"{rel}\" to members "
                            "in userspace/Cargo.toml")
        bins = binaries(prog_dir, manifest)
        if not bins:
            problems.append(f"{rel}: builds no binary (no src/main.rs, no [[bin]])")
        for name, src in bins:
            if name in seen:
                problems.append(f"{seen[name]} and {rel} both build a binary named '{name}' "
                                f"(/bin/{name}): rename one ([[bin]] name in its Cargo.toml)")
            else:
                seen[name] = rel
                if names is not None:
                    names.append(name)
            if not src.is_file():
                problems.append(f"{src.relative_to(userspace)}: missing (binary '{name}')")
            elif not ENTRY.search(strip_comments(src.read_text(errors="replace"))):
                problems.append(f"{src.relative_to(userspace)} has no `mello::entry!(main);` "
                                "(without it the link fails: undefined symbol: __mello_main)")
    return problems


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--userspace", type=Path, default=ROOT / "userspace",
                   help="the user-space workspace (default: %(default)s)")
    p.add_argument("--list", action="store_true", help="print the binary names")
    args = p.parse_args(argv)
    if not (args.userspace / "Cargo.toml").is_file():
        print(f"check-programs: {args.userspace}/Cargo.toml missing", file=sys.stderr)
        return 1
    names = []
    problems = check(args.userspace, names)
    for line in problems:
        print(f"check-programs: {line}", file=sys.stderr)
    if args.list and not problems:
        print("\n".join(sorted(names)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
