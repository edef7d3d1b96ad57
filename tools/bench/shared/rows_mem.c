/*
 * rows_mem.c - memory rows: anonymous mmap+touch+munmap of one page,
 * first-touch (demand-zero) fault, brk grow+shrink by one page; the
 * footprint rows in KiB from the kernel's own /proc/meminfo MemFree
 * (kernel after boot: RAM - MemFree at the top of main; per process: the
 * MemFree drop for 50 idle forked children / 50, and the rise of its
 * PageTables and KernelStack parts).
 */
#include "bench.h"
#include <sys/mman.h>
#include <unistd.h>

#define CHILDREN 50

ROW(mmap_touch_munmap)
{
    for (uint64_t i = 0; i < c->n; i++) {
        uint64_t t0 = rdtsc();
        long a = sys6(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a < 0 && a > -4096)
            return errno = -a, row_fail("mmap");
        *(volatile char *)a = 1;
        long e = sys3(SYS_munmap, a, PAGE, 0);
        r->total += rdtsc() - t0;
        if (e)
            return errno = -e, row_fail("munmap");
    }
    r->n = c->n;
    return 0;
}

/* Touch n fresh anonymous pages, minus the same loop on present pages. */
ROW(first_touch)
{
    uint64_t n = c->n < MAX_PAGES ? c->n : MAX_PAGES;
    size_t len = n * PAGE;
    volatile char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return row_fail("mmap %zu bytes", len);
    madvise((void *)buf, len, MADV_NOHUGEPAGE);
    uint64_t first = touch_pages(buf, len, 1);
    uint64_t second = touch_pages(buf, len, 2);
    int zero_rest = buf[1] == 0 && buf[len - 1] == 0;
    munmap((void *)buf, len);
    if (!zero_rest || first <= second)
        return errno = 0, row_fail("fresh pages not zero or no fault cost");
    r->total = first - second;
    r->n = n;
    return 0;
}

ROW(brk_grow_shrink)
{
    long cur = sys3(SYS_brk, 0, 0, 0);
    for (uint64_t i = 0; i < c->n; i++) {
        uint64_t t0 = rdtsc();
        long up = sys3(SYS_brk, cur + PAGE, 0, 0);
        long down = sys3(SYS_brk, cur, 0, 0);
        r->total += rdtsc() - t0;
        if (up != cur + (long)PAGE || down != cur)
            return errno = 0, row_fail("brk gave %#lx then %#lx (from %#lx)", up, down, cur);
    }
    r->n = c->n;
    return 0;
}

ROW(mem_after_boot_kib)
{
    if (!c->ram_kib || !c->boot_free || c->boot_free >= c->ram_kib)
        return errno = 0, row_fail("RAM %llu KiB (mem_kib=), MemFree %llu KiB at start",
                                   (unsigned long long)c->ram_kib,
                                   (unsigned long long)c->boot_free);
    r->total = c->ram_kib - c->boot_free;
    r->n = 1;
    return 0;
}

/* How the /proc/meminfo field `key` (KiB) changes while CHILDREN forked
 * children sit blocked in read: into r as total = |change|, n = CHILDREN.
 * `drop`: the field falls (MemFree), else it rises (PageTables...). */
static int children_footprint(const char *key, int drop, struct result *r)
{
    int ready[2], hold[2];
    long pids[CHILDREN];
    if (pipe(ready) || pipe(hold))
        return row_fail("pipe");
    long long before = meminfo_kib(key);
    int made = 0, ok = before >= 0;
    for (; made < CHILDREN && ok; made++) {
        long pid = sys0(SYS_fork);
        if (pid == 0) {
            char ch;
            close(hold[1]);
            sys3(SYS_write, ready[1], (long)"r", 1);
            sys3(SYS_read, hold[0], (long)&ch, 1); /* idle until EOF */
            sys3(SYS_exit_group, 0, 0, 0);
        }
        ok = pid > 0;
        pids[made] = pid;
    }
    made -= !ok;
    char ch;
    for (int i = 0; i < made && ok; i++)
        ok = sys3(SYS_read, ready[0], (long)&ch, 1) == 1;
    long long after = meminfo_kib(key);
    close(hold[1]);
    for (int i = 0; i < made; i++)
        ok &= reap(pids[i]);
    close(hold[0]);
    close(ready[0]);
    close(ready[1]);
    if (!ok || after < 0 || (drop ? after > before : after < before))
        return errno = 0, row_fail("%d children, %s %lld -> %lld KiB", made, key, before, after);
    r->total = drop ? before - after : after - before;
    r->n = CHILDREN;
    return 0;
}

ROW(mem_per_process_kib)
{
    (void)c;
    return children_footprint("MemFree", 1, r);
}

/* Two parts of it, as each kernel counts them: page tables and kernel
 * stacks (Linux's PageTables and KernelStack fields). */
ROW(mem_per_process_pagetables_kib)
{
    (void)c;
    return children_footprint("PageTables", 0, r);
}

ROW(mem_per_process_kstack_kib)
{
    (void)c;
    return children_footprint("KernelStack", 0, r);
}
