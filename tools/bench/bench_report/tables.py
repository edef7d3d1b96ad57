"""The benchmark tables: plain text (stdout) and markdown (report, README).

One row per operation: MelloOS, MelloOS native, Linux, the ratio
MelloOS/Linux and the target cell (the limit and met/MISSED); values are
per operation, with two decimals below 10. The markdown table names each
row with its label (LABELS: add one for a new row). Part of
tools/bench/report.py.
"""
from .results import LINUX_FRACTION, NATIVE_TARGETS, NO_TARGET

LABELS = {
    "getpid": "getpid (raw syscall)",
    "yield": "sched_yield, nothing else runnable",
    "ctx_switch": "context switch (incl. its yield)",
    "fork_exit_wait": "fork + exit + wait4",
    "fork_exec_wait": "fork + execve(busybox true) + wait4",
    "cow_fault": "copy-on-write fault",
    "open_close": "open + close (tmpfs)",
    "stat": "stat (newfstatat)",
    "read_4k": "read 4 KiB of a cached file",
    "write_4k": "write 4 KiB to tmpfs",
    "getdents64_100": "getdents64 of a 100-entry directory",
    "ipc_roundtrip": "pipe 1-byte round trip, 2 processes (native: IPC ports)",
    "pipe_64k": "pipe 64 KiB writes, per byte",
    "mmap_touch_munmap": "mmap + touch + munmap, one page",
    "first_touch": "first-touch (zero-fill) fault",
    "brk_grow_shrink": "brk grow + shrink one page",
    "pthread_create_join": "pthread_create + join (native: thread::spawn + join)",
    "futex_roundtrip": "futex wake round trip, 2 threads",
    "signal_self": "signal to self (kill, handler, sigreturn)",
    "poll_16": "poll on 16 idle pipe fds",
    "mem_after_boot_kib": "KiB used after boot (RAM - MemFree)",
    "mem_per_process_kib": "KiB per idle forked process (50)",
    "mem_per_process_pagetables_kib": "of which page tables (PageTables)",
    "mem_per_process_kstack_kib": "of which kernel stacks (KernelStack)",
    "boot_to_init": "boot: reset to init's main",
    "boot_to_prompt": "boot: reset to the shell's first prompt",
    "boot_to_kernel": "boot: reset to the kernel's first instruction (firmware, loader)",
    "kernel_to_init": "boot: kernel entry to init's main (libc start-up included)",
}


def fmt_val(v):
    if v is None:
        return "n/a"
    if v < 10:
        return f"{v:.2f}"
    return f"{round(v):,}"


def fmt_ratio(m, l):
    if m is None or l is None or l == 0:
        return "n/a"
    r = m / l
    if r >= 100:
        return f"{r:,.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x" if r >= 0.01 else f"{r:.4f}x"


def target_cell(row, markdown):
    le = "≤" if markdown else "<="
    parts = []
    if row["op"] in NO_TARGET:
        return f"none ({NO_TARGET[row['op']]})"
    if row["linux"] is not None:
        verdict = "n/a" if row["mello"] is None else (
            "met" if row["mello"] <= row["linux"] * LINUX_FRACTION else "MISSED")
        parts.append(f"{le} {fmt_val(row['linux'] * LINUX_FRACTION)} ({verdict})")
    elif row["mello"] is None:
        parts.append("MISSED (no result)")
    t = NATIVE_TARGETS.get(row["op"])
    if t is not None:
        nv = row["native"]
        verdict = "n/a" if nv is None else ("met" if nv <= t else "MISSED")
        parts.append(f"native {le} {t:,} ({verdict})")
    return "; ".join(parts) if parts else "-"


HEADERS = ["row", "MelloOS", "MelloOS native", "Linux",
           "ratio (MelloOS/Linux)", "target"]
RIGHT = [False, True, True, True, True, False]


def table_cells(rows, markdown):
    return [[r["op"], fmt_val(r["mello"]), fmt_val(r["native"]) if r["native"] is not None else "-",
             fmt_val(r["linux"]), fmt_ratio(r["mello"], r["linux"]),
             target_cell(r, markdown)] for r in rows]


def text_table(rows):
    cells = table_cells(rows, markdown=False)
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]

    def fmt(row):
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(row, widths, RIGHT)).rstrip()
    out = [fmt(HEADERS), "  ".join("-" * w for w in widths)]
    out += [fmt(c) for c in cells]
    return "\n".join(out)


def markdown_table(rows):
    cells = table_cells(rows, markdown=True)
    out = ["| " + " | ".join(HEADERS) + " |",
           "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r, c in zip(rows, cells):
        c = list(c)
        c[0] = f"`{c[0]}` {LABELS[r['op']]}" if r["op"] in LABELS else f"`{c[0]}`"
        out.append("| " + " | ".join(c) + " |")
    return "\n".join(out)
