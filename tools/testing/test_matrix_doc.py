#!/usr/bin/env python3
"""The test matrix in tools/testing/README.md (between the
`<!-- matrix:begin -->` and `<!-- matrix:end -->` markers) names exactly the
tests that `tools/testing/run_all.sh --list` defines:
python3 -m unittest discover -s tools/testing -p test_matrix_doc.py"""

import re
import subprocess
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "tools" / "testing" / "README.md"
RUN_ALL = ROOT / "tools" / "testing" / "run_all.sh"


def documented(text):
    """Test names in the README's matrix table, in order."""
    m = re.search(r"<!-- matrix:begin -->(.*?)<!-- matrix:end -->", text, re.S)
    if not m:
        raise AssertionError(f"{README.relative_to(ROOT)}: no matrix:begin/matrix:end markers")
    return re.findall(r"^\|\s*`([^`]+)`\s*\|", m.group(1), re.M)


def defined():
    r = subprocess.run([str(RUN_ALL), "--list"], capture_output=True, text=True, check=True)
    return r.stdout.split()


class MatrixDoc(unittest.TestCase):
    def test_readme_lists_exactly_the_tests_run_all_defines(self):
        doc, real = documented(README.read_text()), defined()
        self.assertTrue(real, "run_all.sh --list printed nothing")
        missing = [t for t in real if t not in doc]
        extra = [t for t in doc if t not in real]
        dups = sorted({t for t in doc if doc.count(t) > 1})
        msg = []
        if missing:
            msg.append(f"defined in run_all.sh but not in the README matrix: {', '.join(missing)}")
        if extra:
            msg.append(f"in the README matrix but not defined in run_all.sh: {', '.join(extra)}")
        if dups:
            msg.append(f"listed twice in the README matrix: {', '.join(dups)}")
        self.assertFalse(msg, "; ".join(msg) + f" ({README.relative_to(ROOT)})")

    def test_parser_sees_a_mismatch(self):
        text = "<!-- matrix:begin -->\n| test | x |\n|---|---|\n| `a` | 1 |\n| `b` | 2 |\n<!-- matrix:end -->"
        self.assertEqual(documented(text), ["a", "b"])


if __name__ == "__main__":
    unittest.main()
