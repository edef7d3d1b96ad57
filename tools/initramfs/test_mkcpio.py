#!/usr/bin/env python3
"""Host tests for mkcpio.py: python3 -m unittest tools/initramfs/test_mkcpio.py
(or run this file).  Reads archives back with GNU `cpio -itv` and with
mkcpio's own parser; checks types, modes, owners, rdev, symlink targets,
implied parents, errors and byte-for-byte determinism."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkcpio  # noqa: E402

MKCPIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mkcpio.py")


class MkcpioTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mkcpio-test-")
        self.hello = os.path.join(self.tmp, "hello.txt")
        with open(self.hello, "wb") as f:
            f.write(b"hello, world\n")
        self.odd = os.path.join(self.tmp, "odd.bin")
        with open(self.odd, "wb") as f:
            f.write(bytes(range(256)) * 3 + b"xyz")  # length not a multiple of 4
        self.manifest = os.path.join(self.tmp, "m.txt")
        with open(self.manifest, "w") as f:
            f.write("""# test manifest
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/null 0666 c 1 3
nod dev/vda 0660 0 6 b 254 0
dir /bin 0755
file /bin/hello %s 0755
file /etc/odd %s 0640 1000 1000
slink /bin/sh busybox 0777
slink /lib/deep/link ../../etc/odd 0777
pipe /run/fifo 0644
sock /run/sock 0755
dir /tmp 1777 0 0
""" % (self.hello, self.odd))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def make(self, *extra):
        out = os.path.join(self.tmp, "out.cpio")
        subprocess.run([sys.executable, MKCPIO, "-o", out] + list(extra) + [self.manifest],
                       check=True)
        with open(out, "rb") as f:
            return f.read()

    def test_read_back_with_own_parser(self):
        arc = self.make()
        ents = {m["name"]: m for m in mkcpio.read(arc)}
        self.assertEqual(sorted(ents), sorted([
            "bin", "bin/hello", "bin/sh", "dev", "dev/console", "dev/null", "dev/vda",
            "etc", "etc/odd", "lib", "lib/deep", "lib/deep/link", "run", "run/fifo",
            "run/sock", "tmp"]))
        c = ents["dev/console"]
        self.assertEqual(c["mode"], stat.S_IFCHR | 0o600)
        self.assertEqual((c["rmajor"], c["rminor"]), (5, 1))
        v = ents["dev/vda"]
        self.assertEqual(v["mode"], stat.S_IFBLK | 0o660)
        self.assertEqual((v["rmajor"], v["rminor"], v["gid"]), (254, 0, 6))
        self.assertEqual(ents["bin/hello"]["data"], b"hello, world\n")
        self.assertEqual(ents["bin/hello"]["mode"], stat.S_IFREG | 0o755)
        self.assertEqual(ents["etc/odd"]["data"], bytes(range(256)) * 3 + b"xyz")
        self.assertEqual((ents["etc/odd"]["uid"], ents["etc/odd"]["gid"]), (1000, 1000))
        self.assertEqual(ents["bin/sh"]["mode"], stat.S_IFLNK | 0o777)
        self.assertEqual(ents["bin/sh"]["data"], b"busybox")
        self.assertEqual(ents["lib/deep/link"]["data"], b"../../etc/odd")
        self.assertEqual(ents["lib"]["mode"], stat.S_IFDIR | 0o755)  # implied parent
        self.assertEqual(ents["tmp"]["mode"], stat.S_IFDIR | 0o1777)
        self.assertEqual(ents["run/fifo"]["mode"], stat.S_IFIFO | 0o644)
        self.assertEqual(ents["run/sock"]["mode"], stat.S_IFSOCK | 0o755)
        # Inodes in name order from 1, parents before children, fixed mtime.
        names = [m["name"] for m in mkcpio.read(arc)]
        self.assertEqual(names, sorted(names))
        self.assertEqual([m["ino"] for m in mkcpio.read(arc)], list(range(1, len(names) + 1)))
        self.assertTrue(all(m["mtime"] == 0 for m in mkcpio.read(arc)))
        self.assertEqual(len(arc) % 4, 0)

    def test_read_back_with_gnu_cpio(self):
        if shutil.which("cpio") is None:
            self.skipTest("GNU cpio not installed")
        arc = self.make()
        r = subprocess.run(["cpio", "-itv", "--quiet", "--numeric-uid-gid"], input=arc, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=True, env=dict(os.environ, LC_ALL="C",
                                                                         TZ="UTC"))
        lines = {l.split()[-1] if " -> " not in l else l.split(" -> ")[0].split()[-1]: l.split()
                 for l in r.stdout.decode().splitlines()}
        self.assertEqual(lines["dev/console"][0], "crw-------")
        self.assertEqual(lines["dev/console"][4:6], ["5,", "1"])
        self.assertEqual(lines["dev/null"][0], "crw-rw-rw-")
        self.assertEqual(lines["dev/null"][4:6], ["1,", "3"])
        self.assertEqual(lines["dev/vda"][0], "brw-rw----")
        self.assertEqual(lines["dev/vda"][4:6], ["254,", "0"])
        self.assertEqual(lines["bin/hello"][0], "-rwxr-xr-x")
        self.assertEqual(lines["bin/hello"][4], "13")
        self.assertEqual(lines["etc/odd"][2:4], ["1000", "1000"])
        self.assertEqual(lines["bin/sh"][0], "lrwxrwxrwx")
        self.assertEqual(lines["bin/sh"][-2:], ["->", "busybox"])
        self.assertEqual(lines["tmp"][0], "drwxrwxrwt")
        self.assertEqual(lines["run/fifo"][0], "prw-r--r--")
        self.assertEqual(lines["run/sock"][0], "srwxr-xr-x")
        self.assertEqual(len(lines), 16)
        # Extract file contents with GNU cpio too (no device nodes: no root needed).
        d = os.path.join(self.tmp, "x")
        os.mkdir(d)
        subprocess.run(["cpio", "-id", "--quiet", "bin/hello", "etc/odd"], input=arc, cwd=d,
                       check=True)
        with open(os.path.join(d, "etc/odd"), "rb") as f:
            self.assertEqual(f.read(), bytes(range(256)) * 3 + b"xyz")

    def test_deterministic(self):
        a = self.make()
        # Touch and re-own nothing else; change host mtimes: the bytes must not change.
        t = time.time() - 100000
        os.utime(self.hello, (t, t))
        b = self.make()
        self.assertEqual(a, b)
        # Manifest order does not matter either.
        with open(self.manifest) as f:
            lines = f.read().splitlines()
        with open(self.manifest, "w") as f:
            f.write("\n".join(reversed(lines)) + "\n")
        self.assertEqual(a, self.make())
        self.assertNotEqual(a, self.make("--mtime", "1"))

    def test_listing(self):
        lst = mkcpio.listing(self.make())
        self.assertIn("crw------- 0/0      5,1 dev/console", lst)
        self.assertIn("lrwxrwxrwx 0/0        7 bin/sh -> busybox", lst)

    def test_errors(self):
        for bad in ["dir /a 0755\nfile /a/x /nonexistent/file 0644",
                    "dir /a 0755\ndir /a 0755",
                    "file /f %s 0644\nfile /f/g %s 0644" % (self.hello, self.hello),
                    "nod /dev/x 0600 x 1 2",
                    "nod /dev/x 0600 c 1",
                    "dir /x 9",
                    "dir /x 0755 0",
                    "dir / 0755",
                    "dir /../x 0755",
                    "frob /x"]:
            with self.assertRaises(mkcpio.ManifestError, msg=bad):
                mkcpio.build(mkcpio.parse_manifest(bad))
        r = subprocess.run([sys.executable, MKCPIO, "-o", os.path.join(self.tmp, "o"), "-"],
                           input=b"bogus line\n", stderr=subprocess.PIPE)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"<stdin>:1: unknown entry type", r.stderr)


if __name__ == "__main__":
    unittest.main()
