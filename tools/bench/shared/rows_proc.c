/*
 * rows_proc.c - process rows: getpid, sched_yield, context switch,
 * fork+exit+wait4, fork+execve(busybox true)+wait4, copy-on-write fault.
 * All use raw system calls (bench.h) so both kernels run the same user
 * instructions.  Parent/child hand-offs go through pipes: no memory is
 * shared between processes.
 */
#include "bench.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

ROW(getpid)
{
    r->total = time_sys0(SYS_getpid, c->n);
    r->n = c->n;
    return 0;
}

/* sched_yield with nothing else runnable. */
ROW(yield)
{
    r->total = time_sys0(SYS_sched_yield, c->n);
    r->n = c->n;
    return 0;
}

/* Two processes on one CPU alternately yielding: N parent yields = 2N
 * switches; one op = one switch including the yield that causes it.  No
 * memory is shared (MelloOS has no MAP_SHARED|MAP_ANONYMOUS yet).  Warm-up:
 * the child yields WARM times writing a byte into a non-blocking pipe after
 * each; the parent yields until it has read WARM bytes (a new CFS task may
 * first wait a slice), so the two alternate.  Then the child yields
 * K = N + 2*WARM times, stamping rdtsc after each yield into its own array;
 * the parent times N yields, sends the window [t0, t1) through a pipe and
 * the child answers how many of its yields returned inside it: Y.  Each is
 * one switch there and one back, so the row is n = 2Y switches; Y must be
 * at least 90% of N (Linux's CFS now and then returns a yield to its
 * caller: ~1% at N=1000, whose yield-only cost stays in the total) and at
 * most N + 1. */
#define WARM 64
ROW(ctx_switch)
{
    int go[2], back[2], prog[2];
    uint64_t k = c->n + 2 * WARM, win[2], inside = 0;
    if (pipe(go) || pipe(back) || pipe2(prog, O_NONBLOCK))
        return row_fail("pipe");
    uint64_t *stamp = mmap(NULL, k * 8, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stamp == MAP_FAILED)
        return row_fail("mmap");
    for (uint64_t i = 0; i < k; i++)
        stamp[i] = 0; /* fault the array in before the timed window */
    long pid = sys0(SYS_fork);
    if (pid < 0)
        return errno = -pid, row_fail("fork");
    if (pid == 0) {
        for (int i = 0; i < WARM; i++) {
            sys0(SYS_sched_yield);
            sys3(SYS_write, prog[1], (long)"y", 1);
        }
        for (uint64_t i = 0; i < k; i++) {
            sys0(SYS_sched_yield);
            stamp[i] = rdtsc();
        }
        if (sys3(SYS_read, go[0], (long)win, sizeof win) != sizeof win)
            sys3(SYS_exit_group, 1, 0, 0);
        for (uint64_t i = 0; i < k; i++)
            inside += stamp[i] >= win[0] && stamp[i] < win[1];
        sys3(SYS_exit_group, sys3(SYS_write, back[1], (long)&inside, 8) == 8 ? 0 : 2, 0, 0);
    }
    char buf[WARM];
    uint64_t seen = 0, spins = 0;
    while (seen < WARM && spins++ < 1000000) {
        sys0(SYS_sched_yield);
        long got = sys3(SYS_read, prog[0], (long)buf, sizeof buf);
        seen += got > 0 ? (uint64_t)got : 0;
    }
    int ok = seen == WARM;
    for (int i = 0; i < 16; i++)
        sys0(SYS_sched_yield);
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n; i++)
        sys0(SYS_sched_yield);
    uint64_t t1 = rdtsc();
    win[0] = t0;
    win[1] = t1;
    ok = ok && sys3(SYS_write, go[1], (long)win, sizeof win) == sizeof win
         && sys3(SYS_read, back[0], (long)&inside, 8) == 8;
    munmap(stamp, k * 8);
    close(go[0]), close(go[1]), close(back[0]), close(back[1]), close(prog[0]), close(prog[1]);
    if (!reap(pid) || !ok)
        return errno = 0, row_fail("child exit or hand-off failed (warm-up saw %llu of %d "
                                   "child yields)", (unsigned long long)seen, WARM);
    out("[INFO] name=ctx_switch parent_yields=%llu child_yields_inside=%llu\n",
        (unsigned long long)c->n, (unsigned long long)inside);
    if (inside * 10 < c->n * 9 || inside > c->n + 1)
        return errno = 0, row_fail("the two did not alternate: %llu parent, %llu child yields",
                                   (unsigned long long)c->n, (unsigned long long)inside);
    r->total = t1 - t0;
    r->n = 2 * inside;
    return 0;
}

ROW(fork_exit_wait)
{
    for (uint64_t i = 0; i < c->n; i++) {
        uint64_t t0 = rdtsc();
        long pid = sys0(SYS_fork);
        if (pid == 0)
            sys3(SYS_exit_group, 0, 0, 0);
        if (pid < 0)
            return errno = -pid, row_fail("fork");
        if (!reap(pid))
            return errno = 0, row_fail("child did not exit(0)");
        r->total += rdtsc() - t0;
    }
    r->n = c->n;
    return 0;
}

/* fork; the child execve()s Debian's busybox as `true`; wait4. */
ROW(fork_exec_wait)
{
    static char *const argv[] = {"true", NULL};
    static char *const envp[] = {NULL};
    for (uint64_t i = 0; i < c->n; i++) {
        uint64_t t0 = rdtsc();
        long pid = sys0(SYS_fork);
        if (pid == 0) {
            sys3(SYS_execve, (long)BUSYBOX, (long)argv, (long)envp);
            sys3(SYS_exit_group, 127, 0, 0);
        }
        if (pid < 0)
            return errno = -pid, row_fail("fork");
        if (!reap(pid))
            return errno = 0, row_fail("child did not exit(0): execve " BUSYBOX " true failed?");
        r->total += rdtsc() - t0;
    }
    r->n = c->n;
    return 0;
}

/* The child writes one byte to each of n pages shared copy-on-write with
 * the parent, minus the same loop on its then-private pages. */
ROW(cow_fault)
{
    uint64_t n = c->n < MAX_PAGES ? c->n : MAX_PAGES;
    size_t len = n * PAGE;
    uint64_t t[2];
    int p[2];
    if (pipe(p))
        return row_fail("pipe");
    volatile char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return row_fail("mmap %zu bytes", len);
    madvise((void *)buf, len, MADV_NOHUGEPAGE); /* 4 KiB faults only (Linux THP) */
    touch_pages(buf, len, 1);
    long pid = sys0(SYS_fork);
    if (pid < 0) {
        munmap((void *)buf, len);
        return errno = -pid, row_fail("fork");
    }
    if (pid == 0) {
        t[0] = touch_pages(buf, len, 2); /* a COW fault on every page */
        t[1] = touch_pages(buf, len, 3); /* the same, pages now private */
        sys3(SYS_exit_group, sys3(SYS_write, p[1], (long)t, sizeof t) == sizeof t ? 0 : 1, 0, 0);
    }
    int ok = sys3(SYS_read, p[0], (long)t, sizeof t) == sizeof t;
    ok &= reap(pid);
    close(p[0]);
    close(p[1]);
    int intact = buf[0] == 1 && buf[len - PAGE] == 1;
    munmap((void *)buf, len);
    if (!ok || !intact || t[0] <= t[1])
        return errno = 0, row_fail("child failed or the parent's pages changed");
    r->total = t[0] - t[1];
    r->n = n;
    return 0;
}
