"""The benchmark documents: report.md and the README's benchmark section.

report_markdown gives OUT_DIR/report.md: the two tables (instructions per
operation, memory footprint) with their charts, the rows that miss a
target, the method (QEMU version, kernels, command lines, N) and the
profiles of the rows that miss a target (tools/bench/profile.py outputs, if any);
readme_section the text that replace_section puts between
`<!-- bench:begin -->` and `<!-- bench:end -->` of the README (generated,
never hand-edited). Part of tools/bench/report.py.
"""
import glob
import os
import subprocess

from .results import InputError
from .tables import markdown_table


def host_qemu_version():
    try:
        r = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                           text=True, timeout=30)
        return r.stdout.splitlines()[0].strip() if r.stdout else None
    except (OSError, subprocess.SubprocessError):
        return None


def method_paragraph(paths, metas):
    mmeta, nmeta, lmeta = metas
    qemu = lmeta.get("qemu") or mmeta.get("qemu")
    if not qemu:
        v = host_qemu_version()
        qemu = f"{v} (version on the machine that made this report)" if v else "QEMU (version unknown)"
    others = {m.get("qemu") for m in metas if m.get("qemu")} - {qemu}
    warn = (f" **Warning: another results file records a different QEMU ({', '.join(sorted(others))}).**"
            if others else "")
    parts = [
        "## Method",
        "",
        f"Measured under {qemu} in TCG mode with `-icount shift=0` on one virtual CPU "
        "(`-smp 1`, `-m 512M`)." + warn + " With `shift=0` the guest TSC advances one "
        "tick per executed guest instruction, so `lfence; rdtsc` around N iterations "
        "gives instructions (user + kernel, including timer interrupts that land in the "
        "loop); a row's value is total / N. Every run checks 1 tick = 1 instruction "
        "with a `dec; jnz` loop (`[CALIB]`). Every iteration of a `rep movs/stos` counts "
        "as one instruction, hence `-cpu ...,erms=off,fsrm=off` on both kernels.",
        "",
        "**The same binary on both kernels**: tools/bench/shared (C, `musl-gcc -static`, "
        "raw `syscall` instructions), packed as `/bin/linux/bench` into one initramfs "
        "(MelloOS's initrd: its programs, Debian's busybox) that both kernels boot, so "
        "user space executes the same instructions and the difference is the kernel. "
        f"MelloOS: {mmeta.get('kernel', 'MelloOS')} (kernel profile `fast`), "
        f"`{mmeta.get('append', '')}`. Linux: {lmeta.get('kernel', 'Linux')}, "
        f"`-kernel` bzImage, `-append \"{lmeta.get('append', '')}\"`. "
        f"N = {lmeta.get('n', '?')} (Linux), {mmeta.get('n', '?')} (MelloOS).",
        "",
        "Footprint rows are KiB from each kernel's own `/proc/meminfo` `MemFree`: "
        "`mem_after_boot_kib` = the 512 MiB QEMU gives minus MemFree at the top of "
        "init's `main` (kernel image, its data, page tables, firmware reservations and "
        "the unpacked initramfs: the same archive on both); `mem_per_process_kib` = the "
        "MemFree drop while 50 forked children sit blocked in `read`, / 50. "
        "`boot_to_init` is the TSC at the top of init's `main`: ticks since machine "
        "reset (firmware; GRUB for MelloOS, QEMU's `-kernel` loader and XZ "
        "decompression for Linux; the kernel; libc start-up), halted time included, "
        "so it is not a pure instruction count. `boot_to_prompt` adds busybox "
        "`sh -i` up to its first prompt; `boot_to_kernel` is the TSC at the kernel's "
        "first instruction (firmware and boot loader: GRUB reading the ISO for "
        "MelloOS, QEMU's `-kernel` option ROM for Linux; not the kernel's work), "
        "and `kernel_to_init` the rest of `boot_to_init`.",
        "",
        "MelloOS native: `/bin/bench` (Rust, MelloOS's native ABI; "
        f"{nmeta.get('kernel', 'not run')}); its `ipc_roundtrip` uses native IPC ports, "
        "not pipes. Its rows are shown beside the shared ones of the same name.",
        "",
        "Inputs: " + ", ".join(f"`{p}`" for p in paths if p) + ". Ratio is MelloOS "
        "(shared binary) / Linux. Target: every row at most one third of Linux's "
        "figure; native targets from issue 14. MISSED marks a row over a target.",
    ]
    return "\n".join(parts)


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def replace_section(path, body):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise InputError(f"{path}: want one {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN)
    tail = rest.split(END)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + body + "\n" + END + tail)


def profile_section(directory):
    """Markdown lines for the profiles in `directory` (none if it has none)."""
    files = sorted(glob.glob(os.path.join(directory, "*.txt"))) if directory else []
    if not files:
        return []
    md = ["## Where the instructions go (rows that miss a target, `tools/bench/profile.py`)", "",
          "Each table charges the instructions QEMU executed while the row ran (every "
          "process and the kernel) to the function holding each translated block (QEMU "
          "`-d exec,nochain`), per iteration. For the shared binary, user space is one "
          "line: it runs the same instructions on both kernels, so the rest is what "
          "MelloOS's kernel does differently.", ""]
    for path in files:
        with open(path, encoding="utf-8") as f:
            md += [f.read(), ""]
    return md


def misses_line(misses):
    """The sentence naming the rows that miss a target (or saying none does)."""
    return ("Rows that miss a target: " + ", ".join(f"`{o}`" for o in misses) + "."
            if misses else "Every row meets its targets.")


def report_markdown(speed, foot, misses, paths, metas, profiles):
    """report.md: the tables of the speed and footprint rows, the method
    (results files paths, their metadata metas) and the profiles in the
    directory profiles (None: no profiles)."""
    md = ["# MelloOS vs Linux: the same binary on both kernels", "",
          "## Instructions per operation", "", markdown_table(speed), "",
          "![instructions per operation](report.png)", "",
          "## Memory footprint (KiB)", "", markdown_table(foot), "",
          "![memory footprint](footprint.png)", "",
          misses_line(misses), "",
          method_paragraph(paths, metas), ""]
    md += profile_section(profiles)
    return "\n".join(md)


def readme_section(mmeta, lmeta, speed, foot, misses):
    """The README's benchmark section (between BEGIN and END)."""
    return "\n".join([
        f"Shared binary: {mmeta.get('kernel', 'MelloOS')} vs {lmeta.get('kernel', 'Linux')}, "
        f"N = {lmeta.get('n', '?')}; generated by `tools/bench/report.py` "
        "(instructions per operation; footprint in KiB).", "",
        markdown_table(speed), "", markdown_table(foot), "",
        misses_line(misses)])
