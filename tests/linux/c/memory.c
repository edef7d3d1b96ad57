/* memory: the memory and process-start calls a static musl program uses
 * besides I/O: brk and malloc, anonymous mmap (lazy pages, MAP_FIXED,
 * MAP_FIXED_NOREPLACE), mprotect (PROT_NONE keeps the data), munmap, their
 * error numbers; the auxiliary vector (AT_RANDOM, AT_PAGESZ, AT_EXECFN
 * ...), the TLS pointer (arch_prctl), getrandom, uname's machine, the ids
 * and signal-mask round trips.  Nothing printed depends on addresses,
 * pids or times. */
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include "common.h"

#define PAGE 4096UL

static void report(const char *what, long ret, int want)
{
    int e = ret < 0 ? errno : 0;
    say("%s: ret %ld errno %d\n", what, ret, e);
    CHECK(ret == -1 && e == want, "%s: want errno %d", what, want);
}

int main(void)
{
    /* brk (musl's sbrk only answers sbrk(0)): grows, the new memory is
     * zeroed and writable; shrinks back; below the start it stays. */
    char *b0 = (char *)syscall(SYS_brk, 0);
    char *b1 = (char *)syscall(SYS_brk, b0 + 3 * PAGE + 5);
    say("brk grows: %s\n", b1 == b0 + 3 * PAGE + 5 ? "yes" : "no");
    int zero = 1;
    for (unsigned long i = 0; b1 == b0 + 3 * PAGE + 5 && i < 3 * PAGE + 5; i++)
        zero &= b0[i] == 0, b0[i] = (char)i;
    say("new break memory zeroed: %s\n", zero ? "yes" : "no");
    CHECK(b1 == b0 + 3 * PAGE + 5 && zero, "brk growth");
    say("brk shrinks back: %s\n", (char *)syscall(SYS_brk, b0) == b0 ? "yes" : "no");
    say("brk far below stays: %s\n", (char *)syscall(SYS_brk, 4096) == b0 ? "yes" : "no");

    /* malloc, small (brk or mmap) and large (mmap). */
    char *small = malloc(100), *large = malloc(1 << 20);
    CHECK(small && large, "malloc failed");
    memset(large, 0x5a, 1 << 20);
    say("malloc 100 and 1 MiB: %s, large[1048575] = %#x\n", small && large ? "ok" : "failed",
        large ? (unsigned char)large[(1 << 20) - 1] : 0);
    free(large);
    free(small);

    /* Anonymous private mmap: zero-filled on demand, page aligned. */
    size_t len = 16 * PAGE;
    unsigned char *m = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap: errno %d", errno);
    if (m == MAP_FAILED)
        return finish("memory");
    say("mmap 16 pages: aligned %s, zero %s\n", ((uintptr_t)m & (PAGE - 1)) == 0 ? "yes" : "no",
        m[0] == 0 && m[len - 1] == 0 ? "yes" : "no");
    for (size_t i = 0; i < len; i += PAGE)
        m[i] = (unsigned char)(i / PAGE + 1);
    /* PROT_NONE and back keeps the data. */
    int r = mprotect(m + 4 * PAGE, 2 * PAGE, PROT_NONE);
    say("mprotect PROT_NONE: ret %d\n", r);
    r = mprotect(m + 4 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE);
    say("mprotect back to RW: ret %d, data kept: %s\n", r, m[4 * PAGE] == 5 && m[5 * PAGE] == 6 ? "yes" : "no");
    CHECK(m[4 * PAGE] == 5 && m[5 * PAGE] == 6, "data lost over PROT_NONE");
    /* A read-only page can be read; writing it would kill us. */
    r = mprotect(m, PAGE, PROT_READ);
    say("mprotect read-only: ret %d, still reads %d\n", r, m[0]);
    /* MAP_FIXED over the middle replaces it with zeroes. */
    void *f = mmap(m + 8 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED: at the address %s, fresh zeroes %s, neighbours kept %s\n", f == m + 8 * PAGE ? "yes" : "no",
        m[8 * PAGE] == 0 && m[9 * PAGE] == 0 ? "yes" : "no", m[7 * PAGE] == 8 && m[10 * PAGE] == 11 ? "yes" : "no");
    errno = 0;
    f = mmap(m + 8 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    report("MAP_FIXED_NOREPLACE over a mapping", f == MAP_FAILED ? -1 : 0, EEXIST);
    /* munmap a hole; the rest stays. */
    r = munmap(m + 12 * PAGE, 2 * PAGE);
    say("munmap 2 pages: ret %d, others kept %s\n", r, m[11 * PAGE] == 12 && m[14 * PAGE] == 15 ? "yes" : "no");
    report("mprotect over the hole", mprotect(m + 11 * PAGE, 3 * PAGE, PROT_READ), ENOMEM);
    say("munmap of the hole again: ret %d\n", munmap(m + 12 * PAGE, 2 * PAGE));
    CHECK(munmap(m, len) == 0, "munmap: errno %d", errno);

    /* Error numbers. */
    report("mmap length 0", (long)mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    report("mmap neither private nor shared", (long)mmap(0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    report("mmap unaligned offset", (long)mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1), EINVAL);
    report("mmap bad fd", (long)mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 99, 0), EBADF);
    report("mmap MAP_FIXED unaligned", (long)mmap((void *)0x12345, PAGE, PROT_READ,
                                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    report("munmap unaligned", munmap((void *)0x12345, PAGE), EINVAL);
    report("munmap length 0", munmap((void *)0x10000000, 0), EINVAL);
    report("mprotect unaligned", syscall(SYS_mprotect, 0x12345, PAGE, PROT_READ), EINVAL);
    report("mprotect bad prot", mprotect((void *)0x10000000, PAGE, 0x80), EINVAL);
    report("mprotect unmapped", mprotect((void *)0x10000000, PAGE, PROT_READ), ENOMEM);
    say("mprotect length 0: ret %d\n", mprotect((void *)0x10000000, 0, PROT_READ));

    /* The auxiliary vector. */
    const unsigned char *rnd = (const void *)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; rnd && i < 16; i++)
        nonzero |= rnd[i];
    say("AT_RANDOM: %s, AT_PAGESZ %lu, AT_SECURE %lu, AT_UID %lu\n", rnd && nonzero ? "16 bytes" : "missing",
        getauxval(AT_PAGESZ), getauxval(AT_SECURE), getauxval(AT_UID));
    const char *fn = (const char *)getauxval(AT_EXECFN);
    const char *base = fn ? strrchr(fn, '/') : 0;
    say("AT_EXECFN ends in /memory: %s, AT_ENTRY set: %s, AT_PHNUM %s\n", base && !strcmp(base, "/memory") ? "yes" : "no",
        getauxval(AT_ENTRY) ? "yes" : "no", getauxval(AT_PHNUM) > 0 ? "> 0" : "0");
    say("AT_PLATFORM %s, AT_CLKTCK %lu\n", getauxval(AT_PLATFORM) ? (char *)getauxval(AT_PLATFORM) : "?",
        getauxval(AT_CLKTCK));

    /* TLS: the thread pointer arch_prctl set is where %fs:0 points. */
    unsigned long fs = 0;
    long rr = syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs);
    void *tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    say("arch_prctl ARCH_GET_FS: ret %ld, is the thread pointer: %s\n", rr, fs && (void *)fs == tp ? "yes" : "no");
    report("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);

    /* getrandom. */
    unsigned char g[64];
    memset(g, 0, sizeof g);
    ssize_t n = getrandom(g, sizeof g, 0);
    nonzero = 0;
    for (int i = 0; i < 64; i++)
        nonzero |= g[i];
    say("getrandom 64: ret %zd, nonzero %s\n", n, nonzero ? "yes" : "no");
    report("getrandom bad flags", getrandom(g, 8, 0x100), EINVAL);
    report("getrandom bad pointer", getrandom((void *)8, 8, 0), EFAULT);

    /* uname, ids, clocks, the signal mask. */
    struct utsname u;
    say("uname: ret %d, machine %s\n", uname(&u), u.machine);
    say("ids: uid %d euid %d gid %d egid %d, tid is pid: %s\n", (int)getuid(), (int)geteuid(), (int)getgid(),
        (int)getegid(), syscall(SYS_gettid) == getpid() ? "yes" : "no");
    struct timespec res;
    say("clock_getres MONOTONIC: ret %d, at most 1 ms: %s\n", clock_getres(CLOCK_MONOTONIC, &res),
        res.tv_sec == 0 && res.tv_nsec <= 1000000 ? "yes" : "no");
    report("clock_gettime bad clock", clock_gettime(99, &res), EINVAL);
    report("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8), EFAULT);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGKILL);
    sigprocmask(SIG_BLOCK, &set, 0);
    sigprocmask(SIG_SETMASK, 0, &old);
    say("blocked: SIGUSR1 %d, SIGKILL %d (never blockable)\n", sigismember(&old, SIGUSR1), sigismember(&old, SIGKILL));
    report("rt_sigprocmask bad how", syscall(SYS_rt_sigprocmask, 7, &set, 0, 8), EINVAL);
    report("rt_sigprocmask bad size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, 0, 4), EINVAL);
    return finish("memory");
}
