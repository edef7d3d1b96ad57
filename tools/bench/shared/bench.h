/*
 * bench.h - the shared benchmark binary's framework: one static C program
 * (musl-gcc -static) that runs unmodified as PID 1 on MelloOS (Linux
 * personality) and on Debian's stock Linux kernel, under QEMU TCG with
 * `-icount shift=0 -smp 1`, where `lfence; rdtsc` deltas are executed guest
 * instructions (main.c checks that claim with a dec/jnz loop: [CALIB]).
 *
 * A row is one function in the table of main.c:
 *     static int row_NAME(struct ctx *c, struct result *r);
 * It times its operation N (= c->n, or a bounded multiple/fraction that it
 * states) times and fills r->n and r->total; it returns 0 on success or -1
 * after calling row_fail() with the reason.  main.c prints
 *     [BENCH] name=<row> n=<r->n> total=<r->total> per_op=<round(total/n)>
 * for a success and `[ERROR] name=<row> FAILED: <why>` for a failure (the
 * harness refuses a run with an [ERROR] line or a row missing: a row the
 * kernel cannot run yet fails loudly, it is never skipped).
 * Sockets and storage rows are added the same way: a function in a
 * rows_*.c file, declared here, one line in main.c's table, one line in
 * tools/bench/shared/rows.txt.
 *
 * Rows share nothing but struct ctx (read-only).  Processes hand results
 * to each other through pipes: MelloOS has no MAP_SHARED|MAP_ANONYMOUS.
 */
#ifndef BENCH_H
#define BENCH_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/syscall.h>

#define PAGE 4096UL
#define MAX_PAGES 16384 /* fault rows touch at most 64 MiB whatever N is */

struct ctx {
    uint64_t n;          /* iterations per row */
    uint64_t boot_tsc;   /* rdtsc at the top of main */
    uint64_t prompt_tsc; /* rdtsc at the shell's first prompt (0: none) */
    uint64_t boot_free;  /* MemFree (KiB) at the top of main */
    uint64_t ram_kib;    /* RAM QEMU gave the guest (argv mem_kib=), 0 unknown */
    const char *tmp;     /* a tmpfs directory */
};

struct result {
    uint64_t n;
    uint64_t total;
};

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Raw system calls: no libc wrapper, no caching, same instructions on both
 * kernels. */
static inline long sys0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static inline long sys3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Ticks for writing `val` to the first byte of every page of buf[0, len). */
static inline uint64_t touch_pages(volatile char *buf, size_t len, char val)
{
    uint64_t t0 = rdtsc();
    for (size_t i = 0; i < len; i += PAGE)
        buf[i] = val;
    return rdtsc() - t0;
}

/* Ticks for n raw system calls `nr` without arguments (after one warm-up). */
static inline uint64_t time_sys0(long nr, uint64_t n)
{
    sys0(nr);
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < n; i++)
        sys0(nr);
    return rdtsc() - t0;
}

/* main.c */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int row_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int reap(long pid);                 /* wait4 pid; 1 iff it exited with 0 */
long long meminfo_kib(const char *key); /* /proc/meminfo field, -1 on error */

#define ROW(name) int row_##name(struct ctx *c, struct result *r)
/* rows_proc.c */
ROW(getpid); ROW(yield); ROW(ctx_switch); ROW(fork_exit_wait);
ROW(fork_exec_wait); ROW(cow_fault);
/* rows_fs.c */
ROW(open_close); ROW(stat); ROW(read_4k); ROW(write_4k); ROW(getdents64_100);
ROW(ipc_roundtrip); ROW(pipe_64k); ROW(poll_16);
/* rows_mem.c */
ROW(mmap_touch_munmap); ROW(first_touch); ROW(brk_grow_shrink);
ROW(mem_after_boot_kib); ROW(mem_per_process_kib); ROW(mem_per_process_pagetables_kib);
ROW(mem_per_process_kstack_kib);
/* rows_boot.c */
ROW(boot_to_init); ROW(boot_to_prompt);
uint64_t shell_prompt_tsc(void);
/* rows_thread.c */
ROW(pthread_create_join); ROW(futex_roundtrip); ROW(signal_self);

#endif
