#!/usr/bin/env python3
"""report.py - MelloOS vs Linux benchmark report (python3 stdlib only).

Reads results files made of `[BENCH] name=<op> n=<N> total=<T> per_op=<P>`
lines (other lines are ignored except `# key: value` metadata such as
`# kernel:` or `# qemu:`):

  SHARED_MELLOS  the shared binary (tools/bench/shared) on MelloOS
  SHARED_LINUX   the same binary on Debian's Linux
  --native FILE  /bin/bench, MelloOS's native ABI (tools/bench/run_mellos.sh)

prints one table

    row | MelloOS | MelloOS native | Linux | ratio (MelloOS/Linux) | target

and writes OUT_DIR/report.md (the tables plus the method), OUT_DIR/report.png
(instructions per operation, log scale, a bar per kernel) and
OUT_DIR/footprint.png (the `*_kib` rows, KiB).  The PNGs are encoded by hand
with zlib + struct and labelled with the bitmap font below.

Targets (issue 14): every shared row at most one third of Linux's figure;
native getpid <= 60, ipc_roundtrip <= 1,200, fork_exit_wait <= 15,000,
fork_exec_wait <= 35,000.  A row that misses a target, or has no MelloOS
number, is marked "missed"/"n/a" in the target column.  A row is its
per-op value, total / n (shown with two decimals below 10, e.g. pipe_64k in
instructions per byte).

Usage: report.py SHARED_MELLOS SHARED_LINUX [--native FILE] [--out DIR]
                 [--check-targets]
  --out DIR          where the report goes (default: the directory of
                     SHARED_LINUX)
  --check-targets    exit 3 if a target is missed or a MelloOS value is n/a
  --readme FILE      also replace the text between `<!-- bench:begin -->` and
                     `<!-- bench:end -->` in FILE with the two tables (the
                     README's benchmark section is regenerated, never
                     hand-edited)
Exit status: 0 ok, 2 bad input (missing file, malformed [BENCH] line,
duplicate operation, no [BENCH] line in any file), 3 targets missed
(only with --check-targets).
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The report's modules (tools/bench/bench_report/). The names not used here
# are report's API too (tools/bench/test_report.py).
from bench_report.charts import (  # noqa: E402,F401
    LINUX_COLOR, MELLO_COLOR, NA_COLOR, NATIVE_COLOR, TARGET_COLOR, render_png, short_num)
from bench_report.documents import readme_section, replace_section, report_markdown  # noqa: E402
from bench_report.font import FONT  # noqa: E402,F401
from bench_report.results import (  # noqa: E402,F401
    NATIVE_TARGETS, OPS, InputError, build_rows, is_footprint, missed, parse_results)
from bench_report.tables import text_table  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mello", help="the shared binary on MelloOS ([BENCH] lines)")
    ap.add_argument("linux", help="the shared binary on Linux ([BENCH] lines)")
    ap.add_argument("--native", help="MelloOS's native /bin/bench results")
    ap.add_argument("--out", help="output directory (default: directory of LINUX)")
    ap.add_argument("--check-targets", action="store_true",
                    help="exit 3 if a target is missed or a MelloOS value is missing")
    ap.add_argument("--readme", help="file whose bench:begin/end section gets the tables")
    ap.add_argument("--profiles", help="directory of tools/bench/profile.py outputs (OP.txt) "
                    "to append: where a missed row's instructions go")
    args = ap.parse_args(argv)
    try:
        mello, mmeta = parse_results(args.mello)
        linux, lmeta = parse_results(args.linux)
        native, nmeta = parse_results(args.native) if args.native else ({}, {})
        if not mello and not linux and not native:
            raise InputError("no [BENCH] lines in any input")
    except InputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    for path, ops in ((args.mello, mello), (args.linux, linux), (args.native, native)):
        if path and not ops:
            print(f"report.py: warning: no [BENCH] lines in {path}; its column is all n/a",
                  file=sys.stderr)
    out_dir = args.out or os.path.dirname(os.path.abspath(args.linux))
    os.makedirs(out_dir, exist_ok=True)

    rows = build_rows(mello, native, linux)
    speed = [r for r in rows if not is_footprint(r["op"])]
    foot = [r for r in rows if is_footprint(r["op"])]
    print(text_table(rows))

    m = re.search(r"Linux (\S+)", lmeta.get("kernel", ""))
    linux_label = f"Linux {m.group(1)}" if m else "Linux"
    series = [("mello", "MelloOS", MELLO_COLOR), ("native", "MelloOS native", NATIVE_COLOR),
              ("linux", linux_label, LINUX_COLOR)]
    misses = [r["op"] for r in rows if missed(r)]
    md = report_markdown(speed, foot, misses, [args.mello, args.native, args.linux],
                         (mmeta, nmeta, lmeta), args.profiles)
    md_path = os.path.join(out_dir, "report.md")
    png_path = os.path.join(out_dir, "report.png")
    foot_path = os.path.join(out_dir, "footprint.png")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(md)
    sub = "QEMU TCG -icount shift=0, -smp 1: rdtsc ticks = executed instructions"
    if speed:
        with open(png_path, "wb") as f:
            f.write(render_png(speed, series, "Guest instructions per operation (log scale)",
                               sub, "instructions per operation", "target (Linux/3; native)"))
    if foot:
        with open(foot_path, "wb") as f:
            f.write(render_png(foot, series, "Memory footprint, KiB (log scale)",
                               "RAM - MemFree after boot; MemFree drop per idle process",
                               "KiB (each kernel's /proc/meminfo MemFree)", "target (Linux/3)"))
    print(f"\nwrote {md_path}, {png_path} and {foot_path}", file=sys.stderr)
    if args.readme:
        section = readme_section(mmeta, lmeta, speed, foot, misses)
        try:
            replace_section(args.readme, section)
        except (OSError, InputError) as e:
            print(f"report.py: error: {e}", file=sys.stderr)
            return 2
        print(f"updated {args.readme}", file=sys.stderr)
    if misses:
        print("report.py: rows missing a target: " + ", ".join(misses), file=sys.stderr)
    if args.check_targets and misses:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
