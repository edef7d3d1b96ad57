/*
 * main.c - the shared benchmark binary: start-up, calibration, the row
 * table and the output.  See bench.h for the row contract and
 * tools/bench/README.md for what every row measures.
 *
 *   init=/bin/linux/bench -- N [mem_kib=K] [row=NAME]    (MelloOS, abi=linux)
 *   rdinit=/bin/linux/bench -- N [mem_kib=K] [row=NAME]  (Linux, same initramfs)
 *
 * N: iterations per row (default 1000); row=NAME runs only that row.  mem_kib: the RAM QEMU gave the
 * guest, for the mem_after_boot_kib row (RAM - MemFree at the top of main).
 * Output on fd 1 (the console), one write() per line:
 *   [CALIB] ... / [INFO] ... diagnostics
 *   [BENCH] name=<row> n=<N> total=<instructions> per_op=<integer>
 *   [ERROR] name=<row> FAILED: <why>      (a row that could not run)
 *   [BENCH] done
 * then sync and reboot(POWER_OFF) (PID 1 on both kernels); if that
 * returns, exit status = number of failed rows.
 */
#include "bench.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
    const char *name;
    int (*fn)(struct ctx *, struct result *);
} ROWS[] = {
#define R(x) {#x, row_##x}
    R(getpid), R(yield), R(ctx_switch), R(fork_exit_wait), R(fork_exec_wait),
    R(cow_fault), R(open_close), R(stat), R(read_4k), R(write_4k),
    R(getdents64_100), R(ipc_roundtrip), R(pipe_64k), R(mmap_touch_munmap),
    R(first_touch), R(brk_grow_shrink), R(pthread_create_join),
    R(futex_roundtrip), R(signal_self), R(poll_16), R(mem_after_boot_kib),
    R(mem_per_process_kib), R(mem_per_process_pagetables_kib),
    R(mem_per_process_kstack_kib), R(boot_to_init), R(boot_to_prompt),
#undef R
};

static const char *current = "init";
static char why[256];

void out(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof buf)
        len = sizeof buf - 1;
    for (const char *p = buf; len > 0;) {
        ssize_t w = write(1, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        len -= w;
    }
}

int row_fail(const char *fmt, ...)
{
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (len >= 0 && (size_t)len < sizeof why - 40 && e)
        snprintf(why + len, sizeof why - len, " (errno %d %s)", e, strerror(e));
    return -1;
}

int reap(long pid)
{
    int status = 0;
    long r;
    do
        r = sys6(SYS_wait4, pid, (long)&status, 0, 0, 0, 0);
    while (r == -EINTR);
    return r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

long long meminfo_kib(const char *key)
{
    char buf[4096];
    int fd = open("/proc/meminfo", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0)
        return -1;
    buf[len] = 0;
    size_t k = strlen(key);
    for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (!strncmp(p, key, k) && p[k] == ':')
            return atoll(p + k + 1);
    return -1;
}

__attribute__((noinline)) static uint64_t loop_ticks(uint64_t k)
{
    uint64_t t0 = rdtsc();
    __asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(k) : : "cc"); /* 2 per iteration */
    return rdtsc() - t0;
}

/* 1 tick == 1 instruction?  Min over repetitions drops a timer tick. */
static int calibrate(void)
{
    uint64_t d1 = UINT64_MAX, d2 = UINT64_MAX;
    for (int i = 0; i < 20; i++) {
        uint64_t a = loop_ticks(1000), b = loop_ticks(3000);
        d1 = a < d1 ? a : d1;
        d2 = b < d2 ? b : d2;
    }
    int exact = d2 - d1 == 2 * 2000;
    out("[CALIB] dec_jnz 1000: %llu ticks, 3000: %llu ticks: %.4f ticks/iteration (expect 2)\n",
        (unsigned long long)d1, (unsigned long long)d2, (double)(d2 - d1) / 2000.0);
    out("[CALIB] icount_exact=%s\n", exact ? "yes" : "no");
    return exact;
}

static void setup_fs(struct ctx *c)
{
    mkdir("/proc", 0555);
    if (mount("proc", "/proc", "proc", 0, NULL) && errno != EBUSY)
        out("[INFO] mount proc on /proc: %s (kept what is there)\n", strerror(errno));
    if (fcntl(1, F_GETFD) < 0) { /* Linux found no /dev/console in the archive */
        mkdir("/dev", 0755);
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    }
    mkdir("/tmp", 01777);
    if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL))
        out("[INFO] mount tmpfs on /tmp: %s (using the /tmp there is)\n", strerror(errno));
    c->tmp = "/tmp";
}

static void power_off(int failures)
{
    sync();
    reboot(RB_POWER_OFF);
    _exit(failures ? 1 : 0);
}

int main(int argc, char **argv)
{
    struct ctx c = {.n = 1000};
    const char *only = NULL; /* row=NAME: that row alone (tools/bench/profile.py) */
    c.boot_tsc = rdtsc(); /* first thing: ticks since machine reset */
    setup_fs(&c);
    long long mf = meminfo_kib("MemFree");
    c.boot_free = mf > 0 ? (uint64_t)mf : 0;
    c.prompt_tsc = shell_prompt_tsc(); /* boot_to_prompt: before any other row */
    out("\n");
    int failures = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strncmp(argv[i], "mem_kib=", 8)) {
            c.ram_kib = strtoull(argv[i] + 8, &end, 10);
        } else if (!strncmp(argv[i], "row=", 4)) {
            only = argv[i] + 4;
        } else {
            unsigned long long v = strtoull(argv[i], &end, 10);
            if (*end || !v || v > 100000000ULL) {
                out("[ERROR] name=init FAILED: bad argument '%s'\n", argv[i]);
                failures++;
            } else {
                c.n = v;
            }
        }
    }
    struct utsname u;
    if (uname(&u) == 0)
        out("[INFO] kernel=%s %s %s\n", u.sysname, u.release, u.version);
    out("[INFO] bench start n=%llu rows=%zu\n", (unsigned long long)c.n,
        sizeof ROWS / sizeof ROWS[0]);
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        out("[INFO] row %s\n", ROWS[i].name); /* run.sh checks these against rows.txt */
    if (!calibrate()) {
        out("[ERROR] name=calib FAILED: rdtsc does not count instructions (-icount shift=0?)\n");
        failures++;
    }
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        if (only && strcmp(only, ROWS[i].name))
            continue;
        struct result r = {0, 0};
        current = ROWS[i].name;
        why[0] = 0;
        errno = 0;
        if (ROWS[i].fn(&c, &r) == 0 && r.n > 0) {
            out("[BENCH] name=%s n=%llu total=%llu per_op=%llu\n", current,
                (unsigned long long)r.n, (unsigned long long)r.total,
                (unsigned long long)((r.total + r.n / 2) / r.n));
        } else {
            out("[ERROR] name=%s FAILED: %s\n", current, why[0] ? why : "no result");
            failures++;
        }
    }
    if (failures)
        out("[INFO] %d failure(s)\n", failures);
    out("[BENCH] done\n");
    power_off(failures);
    return 0;
}
