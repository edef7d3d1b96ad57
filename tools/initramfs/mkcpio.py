#!/usr/bin/env python3
"""mkcpio.py - write a cpio "newc" archive (an initramfs) from a manifest.

No root needed: device nodes are just headers (mode + rdev), so an archive
can carry /dev/console without mknod.  Deterministic: entries are sorted by
name, inode numbers are assigned in that order, every mtime is the same
fixed value, uid/gid come from the manifest -- two runs on the same inputs
give identical bytes, whatever the host files' timestamps or owners.

Manifest: one entry per line, the format of Linux's usr/gen_init_cpio
(uid and gid may be left out, then 0 0); `#` starts a comment line.

    dir   NAME MODE [UID GID]
    file  NAME HOSTPATH MODE [UID GID]
    slink NAME TARGET MODE [UID GID]
    nod   NAME MODE [UID GID] c|b MAJOR MINOR
    pipe  NAME MODE [UID GID]
    sock  NAME MODE [UID GID]

NAME is the path inside the archive (a leading "/" is dropped: "/dev/null"
and "dev/null" are the same entry).  MODE is octal permission bits (the
file type comes from the keyword).  HOSTPATH is relative to the current
directory.  Parent directories that the manifest does not list are added
as `dir NAME 0755 0 0`.  Naming an entry twice is an error.

Usage: mkcpio.py [-o OUT] [--mtime SECONDS] MANIFEST...   (MANIFEST "-": stdin)
       mkcpio.py --list ARCHIVE                           (print entries)
"""
import argparse
import os
import stat
import sys

MAGIC = b"070701"
TRAILER = "TRAILER!!!"

TYPES = {
    "dir": stat.S_IFDIR,
    "file": stat.S_IFREG,
    "slink": stat.S_IFLNK,
    "pipe": stat.S_IFIFO,
    "sock": stat.S_IFSOCK,
}


class ManifestError(Exception):
    pass


class Entry:
    """One archive member. `data` is the file contents or symlink target."""

    __slots__ = ("name", "mode", "uid", "gid", "data", "rmajor", "rminor")

    def __init__(self, name, mode, uid=0, gid=0, data=b"", rmajor=0, rminor=0):
        self.name = norm_name(name)
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.data = data
        self.rmajor = rmajor
        self.rminor = rminor

    def __repr__(self):
        return "Entry(%r, 0o%o)" % (self.name, self.mode)


def norm_name(name):
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ManifestError("bad archive path %r" % name)
    return "/".join(parts)


def _octal(s, what):
    try:
        v = int(s, 8)
    except ValueError:
        raise ManifestError("%s must be octal, got %r" % (what, s))
    if v & ~0o7777:
        raise ManifestError("%s %r has more than permission bits" % (what, s))
    return v


def _int(s, what):
    try:
        v = int(s, 10)
    except ValueError:
        raise ManifestError("%s must be a decimal number, got %r" % (what, s))
    if not 0 <= v <= 0xFFFFFFFF:
        raise ManifestError("%s %r out of range" % (what, s))
    return v


def _owner(rest, what):
    if len(rest) == 0:
        return 0, 0
    if len(rest) == 2:
        return _int(rest[0], "uid"), _int(rest[1], "gid")
    raise ManifestError("%s: expected UID GID or nothing, got %r" % (what, " ".join(rest)))


def parse_line(line):
    """One manifest line -> Entry, or None for blank and comment lines."""
    f = line.split()
    if not f or f[0].startswith("#"):
        return None
    kind, args = f[0], f[1:]
    if kind == "dir" or kind == "pipe" or kind == "sock":
        if len(args) < 2:
            raise ManifestError("%s NAME MODE [UID GID]" % kind)
        uid, gid = _owner(args[2:], kind)
        return Entry(args[0], TYPES[kind] | _octal(args[1], "mode"), uid, gid)
    if kind == "file":
        if len(args) < 3:
            raise ManifestError("file NAME HOSTPATH MODE [UID GID]")
        uid, gid = _owner(args[3:], kind)
        try:
            with open(args[1], "rb") as fh:
                data = fh.read()
        except OSError as e:
            raise ManifestError("file %s: cannot read %s: %s" % (args[0], args[1], e.strerror))
        return Entry(args[0], stat.S_IFREG | _octal(args[2], "mode"), uid, gid, data)
    if kind == "slink":
        if len(args) < 3:
            raise ManifestError("slink NAME TARGET MODE [UID GID]")
        uid, gid = _owner(args[3:], kind)
        return Entry(args[0], stat.S_IFLNK | _octal(args[2], "mode"), uid, gid,
                     args[1].encode())
    if kind == "nod":
        # nod NAME MODE [UID GID] c|b MAJOR MINOR
        if len(args) not in (5, 7):
            raise ManifestError("nod NAME MODE [UID GID] c|b MAJOR MINOR")
        uid, gid = _owner(args[2:-3], kind)
        t, maj, mnr = args[-3:]
        if t not in ("c", "b"):
            raise ManifestError("nod type must be c or b, got %r" % t)
        ifmt = stat.S_IFCHR if t == "c" else stat.S_IFBLK
        return Entry(args[0], ifmt | _octal(args[1], "mode"), uid, gid, b"",
                     _int(maj, "major"), _int(mnr, "minor"))
    raise ManifestError("unknown entry type %r" % kind)


def parse_manifest(text, source="<manifest>"):
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            e = parse_line(line)
        except ManifestError as err:
            raise ManifestError("%s:%d: %s" % (source, n, err))
        if e is not None:
            entries.append(e)
    return entries


def complete(entries):
    """Check for duplicates, add missing parent directories, sort by name."""
    by_name = {}
    for e in entries:
        if e.name in by_name:
            raise ManifestError("%s is named twice" % e.name)
        by_name[e.name] = e
    for e in list(by_name.values()):
        parts = e.name.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            p = by_name.get(parent)
            if p is None:
                by_name[parent] = Entry(parent, stat.S_IFDIR | 0o755)
            elif not stat.S_ISDIR(p.mode):
                raise ManifestError("%s is inside %s, which is not a directory" % (e.name, parent))
    # Sorting by the bytes of the name puts every directory before what is
    # in it (a prefix sorts first), as Linux's unpacker needs.
    return [by_name[k] for k in sorted(by_name, key=lambda s: s.encode())]


def _header(ino, e, nlink, mtime, namesize):
    fields = (ino, e.mode, e.uid, e.gid, nlink, mtime, len(e.data), 0, 0,
              e.rmajor, e.rminor, namesize, 0)
    return MAGIC + b"".join(b"%08X" % v for v in fields)


def _pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def build(entries, mtime=0):
    """Entries (any order) -> archive bytes. Inodes 1, 2, ... in name order."""
    out = bytearray()
    ents = complete(entries)
    for ino, e in enumerate(ents, 1):
        name = e.name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(e.mode) else 1
        out += _header(ino, e, nlink, mtime, len(name)) + name
        out += _pad(len(out))
        out += e.data
        out += _pad(len(out))
    name = TRAILER.encode() + b"\0"
    out += _header(0, Entry("x", 0), 1, 0, len(name))  # ino, mode, size 0
    out += name + _pad(len(out) + len(name))
    return bytes(out)


def read(archive):
    """Archive bytes -> list of dicts (name, mode, uid, gid, nlink, mtime,
    ino, rmajor, rminor, data), trailer excluded. Raises ValueError."""
    res = []
    off = 0
    while True:
        h = archive[off:off + 110]
        if len(h) < 110 or h[:6] not in (b"070701", b"070702"):
            raise ValueError("bad header at offset %d" % off)
        v = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        namesize, size = v[11], v[6]
        name = archive[off + 110:off + 110 + namesize - 1].decode()
        off += 110 + namesize
        off += (4 - off % 4) % 4
        data = archive[off:off + size]
        off += size
        off += (4 - off % 4) % 4
        if name == TRAILER:
            return res
        res.append(dict(name=name, ino=v[0], mode=v[1], uid=v[2], gid=v[3],
                        nlink=v[4], mtime=v[5], rmajor=v[9], rminor=v[10], data=data))


def listing(archive):
    """One stable line per entry: type+mode uid/gid size-or-rdev name [-> target]."""
    lines = []
    for m in read(archive):
        mode = m["mode"]
        kind = stat.filemode(mode)
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            size = "%d,%d" % (m["rmajor"], m["rminor"])
        else:
            size = str(len(m["data"]))
        line = "%s %d/%d %8s %s" % (kind, m["uid"], m["gid"], size, m["name"])
        if stat.S_ISLNK(mode):
            line += " -> " + m["data"].decode()
        lines.append(line)
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write a deterministic cpio newc archive from gen_init_cpio-style manifests.")
    ap.add_argument("-o", "--output", help="archive to write (default: stdout)")
    ap.add_argument("--mtime", type=int, default=0, help="mtime of every entry (default 0)")
    ap.add_argument("--list", metavar="ARCHIVE", help="print the entries of ARCHIVE and exit")
    ap.add_argument("manifest", nargs="*", help="manifest files ('-' for stdin)")
    a = ap.parse_args(argv)
    try:
        if a.list:
            with open(a.list, "rb") as fh:
                print("\n".join(listing(fh.read())))
            return 0
        if not a.manifest:
            ap.error("no manifest given")
        entries = []
        for path in a.manifest:
            if path == "-":
                entries += parse_manifest(sys.stdin.read(), "<stdin>")
            else:
                with open(path) as fh:
                    entries += parse_manifest(fh.read(), path)
        data = build(entries, a.mtime)
    except (ManifestError, ValueError, OSError) as e:
        print("mkcpio.py: error: %s" % e, file=sys.stderr)
        return 1
    if a.output:
        tmp = a.output + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, a.output)
    else:
        sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
