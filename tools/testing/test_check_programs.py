#!/usr/bin/env python3
"""Tests of tools/check-programs.py and tools/new-program.sh on throw-away
user-space workspaces (no cargo, no QEMU):
python3 -m unittest discover -s tools/testing -p test_check_programs.py"""

import os
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tools" / "check-programs.py"
NEW = ROOT / "tools" / "new-program.sh"

WORKSPACE = """[workspace]
resolver = "2"
members = [MEMBERS]
"""

MAIN = """#![no_std]
#![no_main]
mello::entry!(main);
fn main(_args: mello::Args) -> i32 { 0 }
"""


def program(ws, dirname, package=None, bins=None, main=MAIN):
    """programs/DIRNAME with package PACKAGE and [[bin]] names BINS."""
    d = ws / "programs" / dirname
    (d / "src").mkdir(parents=True)
    toml = f'[package]\nname = "{package or dirname}"\nversion.workspace = true\n'
    for b in bins or []:
        toml += f'\n[[bin]]\nname = "{b}"\npath = "src/main.rs"\n'
    toml += "\n[dependencies]\nmello.workspace = true\n"
    (d / "Cargo.toml").write_text(toml)
    (d / "src" / "main.rs").write_text(main)
    return d


class CheckPrograms(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.ws = Path(self.tmp.name) / "userspace"
        self.ws.mkdir()
        self.members('"libmello", "programs/*"')

    def tearDown(self):
        self.tmp.cleanup()

    def members(self, members):
        (self.ws / "Cargo.toml").write_text(WORKSPACE.replace("MEMBERS", members))

    def check(self):
        r = subprocess.run([str(CHECK), "--userspace", str(self.ws)],
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    def test_good_programs_pass_silently(self):
        program(self.ws, "init", bins=["init"])
        program(self.ws, "echo-args")  # no [[bin]]: the package name
        self.assertEqual(self.check(), (0, ""))

    def test_the_real_userspace_passes(self):
        r = subprocess.run([str(CHECK)], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_two_programs_with_one_binary_name_fail(self):
        program(self.ws, "hello", bins=["hello"])
        program(self.ws, "hello2", bins=["hello"])
        rc, out = self.check()
        self.assertEqual(rc, 1)
        lines = out.strip().splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertIn("programs/hello and programs/hello2 both build a binary named 'hello'", out)

    def test_package_name_clash_without_bin_sections_fails(self):
        program(self.ws, "a", package="same")
        program(self.ws, "b", package="same")
        rc, out = self.check()
        self.assertEqual(rc, 1)
        self.assertIn("named 'same'", out)

    def test_main_without_entry_fails_with_one_clear_line(self):
        program(self.ws, "noentry", main="#![no_std]\n#![no_main]\nfn main() {}\n")
        rc, out = self.check()
        self.assertEqual(rc, 1)
        self.assertEqual(len(out.strip().splitlines()), 1, out)
        self.assertIn("programs/noentry/src/main.rs has no `mello::entry!(main);`", out)
        self.assertIn("__mello_main", out)

    def test_entry_only_in_a_comment_fails(self):
        program(self.ws, "commented", main="// mello::entry!(main);\n/* entry!(main) */\nfn main() {}\n")
        rc, out = self.check()
        self.assertEqual(rc, 1)
        self.assertIn("has no `mello::entry!", out)

    def test_program_outside_the_workspace_fails(self):
        self.members('"libmello", "programs/init"')
        program(self.ws, "init")
        program(self.ws, "stray")
        rc, out = self.check()
        self.assertEqual(rc, 1)
        self.assertIn("programs/stray is not a workspace member", out)
        self.assertNotIn("programs/init is not", out)


class NewProgram(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.ws = Path(self.tmp.name) / "userspace"
        self.ws.mkdir()

    def tearDown(self):
        self.tmp.cleanup()

    def new(self, name):
        env = dict(os.environ, MELLO_USERSPACE=str(self.ws))
        r = subprocess.run([str(NEW), name], capture_output=True, text=True, env=env)
        return r.returncode, r.stdout + r.stderr

    def test_creates_a_crate_named_like_its_binary(self):
        (self.ws / "Cargo.toml").write_text(WORKSPACE.replace("MEMBERS", '"libmello", "programs/*"'))
        rc, out = self.new("hello")
        self.assertEqual(rc, 0, out)
        toml = (self.ws / "programs/hello/Cargo.toml").read_text()
        self.assertIn('[package]\nname = "hello"', toml)
        self.assertIn('[[bin]]\nname = "hello"', toml)
        self.assertIn("mello.workspace = true", toml)
        main = (self.ws / "programs/hello/src/main.rs").read_text()
        self.assertIn("mello::entry!(main);", main)
        self.assertIn("fn main(args: Args) -> i32", main)
        self.assertIn("make run CMDLINE='init=/bin/hello'", out)
        # the glob covers it: the workspace file is unchanged
        self.assertNotIn("programs/hello", (self.ws / "Cargo.toml").read_text())

    def test_adds_itself_to_explicit_members(self):
        (self.ws / "Cargo.toml").write_text(WORKSPACE.replace("MEMBERS", '"libmello", "programs/init"'))
        program(self.ws, "init")
        rc, out = self.new("hello")
        self.assertEqual(rc, 0, out)
        ws = (self.ws / "Cargo.toml").read_text()
        self.assertIn('"programs/init", "programs/hello"]', ws)

    def test_refuses_a_taken_binary_name_and_undoes_everything(self):
        (self.ws / "Cargo.toml").write_text(WORKSPACE.replace("MEMBERS", '"programs/*"'))
        program(self.ws, "greeter", bins=["hello"])
        rc, out = self.new("hello")
        self.assertEqual(rc, 1)
        self.assertIn("both build a binary named 'hello'", out)
        self.assertFalse((self.ws / "programs/hello").exists())

    def test_refuses_bad_and_existing_names(self):
        (self.ws / "Cargo.toml").write_text(WORKSPACE.replace("MEMBERS", '"programs/*"'))
        program(self.ws, "init")
        for bad in ["", "Hello", "9lives", "a b", "../x", "mello", "init"]:
            rc, out = self.new(bad)
            self.assertEqual(rc, 1, (bad, out))
            self.assertTrue(out.startswith("new-program: "), (bad, out))


if __name__ == "__main__":
    unittest.main()
