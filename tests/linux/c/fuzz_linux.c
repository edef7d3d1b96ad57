/* fuzz_linux: a system-call fuzzer for the Linux personality.
 *
 *   fuzz_linux seed=S calls=N [trace=1]
 *                                 random calls 0..335 with boundary
 *                                 arguments (the MelloOS test); trace=1
 *                                 prints each call (pid, number,
 *                                 arguments) before making it
 *   fuzz_linux                    the oracle run: a short fixed-seed run of
 *                                 the calls with known argument shapes only;
 *                                 prints "OK fuzz_linux" (its checks hold
 *                                 on Linux too: they are Linux's rules)
 *
 * Oracles: a result is >= 0 or -errno with errno 1..133 (the kernel's
 * internal 512.. values must never reach user space); a buffer outside
 * user space is never accepted by read/write/stat-like calls; data written
 * to a file comes back.  Calls that would end or wedge the fuzzer (exit,
 * execve, fork/clone, pause, waits without WNOHANG, sleeps, kill, reboot,
 * unmapping or re-protecting its own memory, arch_prctl(SET_FS), signal
 * return) are not made in-process; when fork works (clone and wait4 exist)
 * a forked child makes fully random calls and its death by a signal is an
 * expected outcome.  Descriptors 0 and 2 are /dev/null and no random call
 * touches 1, the output (nor 0 and 2 while they are the console).  Scratch memory sits below a PROT_NONE guard, so
 * a kernel writing any length there cannot reach the fuzzer's own data. */
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "common.h"

#define SCRATCH (1 << 20)
#define MAX_NR 336

static uint64_t rng;
static unsigned char *scratch;
static long calls, found;
static int oracle_mode, trace;
static int report_fd = 1; /* where findings go: a forked child's fd 1 is /dev/null */

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t n) { return next() % n; }

static const uint64_t ints[] = {
    0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 4095, 4096, 4097, 65536, 0x7fffffff, 0x80000000ull, 0xffffffffull,
    0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull, (uint64_t)-4096, (uint64_t)-100,
};
static const uint64_t bad[] = {
    0, 1, 0xfff, 0x7ffffffff000ull, 0x7ffffffffff8ull, 0x800000000000ull, 0x8000000000000000ull,
    0xffff800000000000ull, 0xffffffff80000000ull, 0xffffffff80100000ull, ~7ull, ~0ull, 0x100000000000ull,
};
static const char *const paths[] = {
    "/", "/bin", "/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", "/proc/self/status", "/proc/meminfo",
    "/tmp", "/nonexistent", "", ".", "..", "/bin/linux/hello/x", "/tmp/fuzzl/f0", "/tmp/fuzzl/f1",
    "/tmp/fuzzl/d0", "/tmp/fuzzl/d0/f0", "/tmp/fuzzl/l0",
};
#define OWN_FIRST 14
#define NPATHS (sizeof paths / sizeof *paths)

static uint64_t pick(const uint64_t *a, size_t n) { return a[below(n)]; }
#define PICK(a) pick(a, sizeof a / sizeof *a)

static uint64_t integer(void)
{
    switch (below(4)) {
    case 0: return next();
    case 1: return below(64);
    default: return PICK(ints);
    }
}

/* A pointer: scratch (any length is safe), or a bad one. */
static uint64_t pointer(int *is_bad)
{
    *is_bad = below(3) == 0;
    return *is_bad ? PICK(bad) : (uint64_t)(scratch + below(SCRATCH - 4096));
}

static uint64_t path(int own_only)
{
    if (below(10) == 0)
        return PICK(bad);
    size_t first = own_only ? OWN_FIRST : 0;
    return (uint64_t)paths[first + below(NPATHS - first)];
}

static int fds[64], nfds;
/* 0 and 2 are /dev/null (if open and dup2 exist); 1 is the output. */
static int std_quiet;
static long fd(void)
{
    long f;
    if (nfds && below(3))
        f = fds[below(nfds)];
    else if (oracle_mode) /* under Linux only ours or none: init's shell may hold others */
        f = below(2) ? 1024 + (long)below(4) : -(long)below(3) - 1;
    else
        f = (long)PICK(ints) ^ (long)below(4);
    /* Linux takes fds as `unsigned int`: 0x100000001 is fd 1 (a read of
     * the console would block the fuzzer for good). */
    uint32_t low = (uint32_t)f;
    return low == 1 || ((low == 0 || low == 2) && !std_quiet) ? 3 : f;
}
static void opened(long r)
{
    if (r > 2 && nfds < 64)
        fds[nfds++] = (int)r;
    else if (r > 2)
        syscall(SYS_close, r);
}

static int outside_user(uint64_t p, uint64_t len)
{
    return len && (p >= 0x800000000000ull || p + len < p || p + len > 0x800000000000ull);
}

static void finding(long nr, const uint64_t *a, long r, const char *why)
{
    found++;
    if (found <= 10)
        dprintf(report_fd, "FINDING fuzz_linux call=%ld: syscall %ld (%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld: %s\n", calls, nr,
            (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4],
            (unsigned long)a[5], r, why);
}

static long call(long nr, uint64_t *a)
{
    if (trace) {
        char line[200];
        int n = snprintf(line, sizeof line, "[trace] %d: %ld(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n", (int)getpid(), nr,
                         (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                         (unsigned long long)a[3], (unsigned long long)a[4], (unsigned long long)a[5]);
        (void)!write(report_fd, line, (size_t)n);
    }
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r == -1)
        r = -errno;
    calls++;
    if (r < 0 && (-r < 1 || -r > 133))
        finding(nr, a, r, "not an errno a program can see");
    return r;
}

/* Calls that end, replace, stop or wedge the calling process. */
static int lethal(long nr)
{
    switch (nr) {
    case SYS_rt_sigreturn: case SYS_pause: case SYS_clone: case SYS_fork: case SYS_vfork: case SYS_execve:
    case SYS_exit: case SYS_exit_group: case SYS_kill: case SYS_reboot: case SYS_ptrace: case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait: case SYS_tkill: case SYS_tgkill: case SYS_kexec_load: case SYS_init_module:
    case SYS_finit_module: case SYS_delete_module: case SYS_chroot: case SYS_pivot_root: case SYS_mount:
    case SYS_umount2: case SYS_swapon: case SYS_swapoff: case SYS_unshare: case SYS_setns: case SYS_seccomp:
    case SYS_prctl: case SYS_arch_prctl: case SYS_personality: case SYS_setrlimit: case SYS_prlimit64:
    case SYS_futex: case SYS_poll: case SYS_select: case SYS_pselect6: case SYS_ppoll: case SYS_epoll_wait:
    case SYS_epoll_pwait: case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_wait4: case SYS_waitid:
    case SYS_accept: case SYS_accept4: case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg: case SYS_msgrcv:
    case SYS_msgsnd: case SYS_semop: case SYS_semtimedop: case SYS_io_getevents: case SYS_flock: case SYS_mmap:
    case SYS_mprotect: case SYS_munmap: case SYS_brk: case SYS_mremap: case SYS_madvise: case SYS_remap_file_pages:
    case SYS_rt_sigaction: case SYS_sigaltstack: case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo:
    case SYS_set_tid_address: case SYS_set_robust_list: case SYS_setuid: case SYS_setgid: case SYS_setreuid:
    case SYS_setregid: case SYS_setresuid: case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
    case SYS_capset: case SYS_setgroups: case SYS_setsid: case SYS_setpgid: case SYS_vhangup: case SYS_acct:
    case SYS_settimeofday: case SYS_clock_settime: case SYS_adjtimex: case SYS_clock_adjtime: case SYS_sethostname:
    case SYS_setdomainname: case SYS_iopl: case SYS_ioperm: case SYS_sync: case SYS_syncfs: case SYS_shmat:
    case SYS_userfaultfd: case SYS_pkey_mprotect: case SYS_mlockall: case SYS_read: case SYS_readv:
    case SYS_preadv: case SYS_preadv2: case SYS_write: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
    case SYS_sendfile: case SYS_splice: case SYS_tee: case SYS_vmsplice: case SYS_copy_file_range:
    case SYS_close: case SYS_dup2: case SYS_dup3: case SYS_ioctl: case SYS_fcntl: case SYS_shutdown:
    case SYS_close_range: case SYS_open: case SYS_openat: case SYS_creat: case SYS_openat2: case SYS_pread64:
    case SYS_pwrite64: case SYS_sched_setscheduler: case SYS_sched_setaffinity: case SYS_sched_setparam:
    case SYS_setpriority: case SYS_ioprio_set: case SYS_mbind: case SYS_set_mempolicy: case SYS_migrate_pages:
    case SYS_move_pages: case SYS_process_vm_writev: case SYS_bpf: case SYS_perf_event_open: case SYS_fanotify_init:
    case SYS_quotactl: case SYS_syslog: case SYS_alarm: case SYS_setitimer: case SYS_timer_create: case 334:
    case SYS_mq_timedreceive: case SYS_mq_timedsend: case SYS_connect: case SYS_sendto: case SYS_sendmsg:
    case SYS_sendmmsg:
        return 1;
    }
    return 0;
}

/* One call of a known shape: descriptors, buffers, paths where they go. */
static void shaped(void)
{
    uint64_t a[6] = { 0 };
    int b = 0;
    long r;
    switch (below(12)) {
    case 0: case 1: { /* read or write: never fd 1, never from the console */
        long nr = below(2) ? SYS_read : SYS_write;
        a[0] = fd(); a[1] = pointer(&b); a[2] = below(2) ? below(8192) : PICK(ints);
        if (a[0] == 0 && nr == SYS_read)
            a[0] = 3; /* never read the console */
        r = call(nr, a);
        if (r >= 0 && a[2] && outside_user(a[1], a[2]))
            finding(nr, a, r, "accepted a buffer outside user space");
        if (r > (long)a[2] && a[2] < 0x7fffffff)
            finding(nr, a, r, "more bytes than asked");
        break;
    }
    case 2: /* openat, creating only in our directory */
        a[0] = (uint64_t)AT_FDCWD; a[1] = path(0); a[2] = integer() | O_NONBLOCK; a[3] = 0644;
        if ((const char *)a[1] < paths[OWN_FIRST] || (const char *)a[1] > paths[NPATHS - 1])
            a[2] &= ~(uint64_t)(O_CREAT | O_TRUNC | O_ACCMODE);
        opened(call(SYS_openat, a));
        break;
    case 3: { /* close one of ours */
        if (!nfds)
            break;
        int i = (int)below(nfds);
        a[0] = fds[i];
        call(SYS_close, a);
        fds[i] = fds[--nfds];
        a[0] = below(2) ? a[0] : 1025;
        r = call(SYS_close, a);
        if (r != -EBADF)
            finding(SYS_close, a, r, "closing a closed descriptor is not EBADF");
        break;
    }
    case 4: /* fstat / newfstatat */
        a[0] = fd(); a[1] = pointer(&b);
        if (below(2)) {
            r = call(SYS_fstat, a);
        } else {
            a[0] = (uint64_t)AT_FDCWD; a[1] = path(0); a[2] = pointer(&b); a[3] = below(2) ? 0 : AT_SYMLINK_NOFOLLOW;
            r = call(SYS_newfstatat, a);
        }
        if (r == 0 && b && outside_user(a[2] ? a[2] : a[1], 144))
            finding(SYS_fstat, a, r, "stat wrote through a bad pointer");
        break;
    case 5: /* directory calls in our directory */
        a[0] = path(1); a[1] = path(1);
        call(PICK(((const uint64_t[]){ SYS_mkdir, SYS_rmdir, SYS_unlink, SYS_rename, SYS_symlink })), a);
        break;
    case 6: /* getdents64 */
        a[0] = fd(); a[1] = pointer(&b); a[2] = PICK(ints);
        call(SYS_getdents64, a);
        break;
    case 7: /* dup into our range */
        a[0] = fd();
        opened(call(SYS_dup, a));
        break;
    case 8: /* lseek */
        a[0] = fd(); a[1] = integer(); a[2] = below(6);
        call(SYS_lseek, a);
        break;
    case 9: { /* a file round trip */
        long f = syscall(SYS_openat, AT_FDCWD, "/tmp/fuzzl/f1", O_CREAT | O_RDWR | O_TRUNC, 0644);
        if (f < 0)
            break;
        struct stat st;
        if (fstat((int)f, &st) == 0 && S_ISREG(st.st_mode)) {
            size_t n = 1 + below(5000);
            long w = write((int)f, scratch, n);
            lseek((int)f, 0, SEEK_SET);
            long got = read((int)f, scratch + 8192, n);
            calls += 4;
            uint64_t x[6] = { (uint64_t)f, n, (uint64_t)w, (uint64_t)got, 0, 0 };
            if (w != (long)n || got != (long)n || memcmp(scratch, scratch + 8192, n))
                finding(SYS_read, x, got, "a file did not give back what was written");
        }
        close((int)f);
        break;
    }
    case 10: /* getrandom, uname, clock_gettime, gettimeofday with any pointer */
        a[0] = pointer(&b); a[1] = below(2) ? below(300) : PICK(ints); a[2] = below(8) | 1; /* GRND_NONBLOCK: Linux may not be seeded yet */
        r = call(PICK(((const uint64_t[]){ SYS_getrandom, SYS_uname, SYS_gettimeofday, SYS_getcwd, SYS_sysinfo })), a);
        break;
    default: /* clock calls with any clock and pointer */
        a[0] = below(2) ? below(12) : integer(); a[1] = pointer(&b);
        call(below(2) ? SYS_clock_gettime : SYS_clock_getres, a);
        break;
    }
}

/* Any number with any arguments (the MelloOS run). */
static void generic(int child)
{
    long nr = below(8) ? (long)below(MAX_NR) : (long)PICK(((const uint64_t[]){ 336, 400, 511, 512, 547, 1000, 0x40000000 }));
    if (!child && lethal(nr))
        return;
    /* Not even in a child: kill(-1) would take the fuzzer too, and syslog's
     * CONSOLE_OFF/CONSOLE_LEVEL silence the kernel's console, the power-off
     * line the test harness waits for included (Linux does the same). */
    if (nr == SYS_reboot || nr == SYS_kill || nr == SYS_tkill || nr == SYS_tgkill || nr == SYS_syslog)
        return;
    uint64_t a[6];
    for (int i = 0; i < 6; i++) {
        int b;
        switch (below(4)) {
        case 0: a[i] = pointer(&b); break;
        case 1: a[i] = fd(); break;
        default: a[i] = integer(); break;
        }
    }
    if ((nr == SYS_exit || nr == SYS_exit_group) && (a[0] & 0xff) == 250)
        a[0] = 0; /* 250 is the child's "I had a finding" status */
    call(nr, a);
}

static int fork_works;

/* Reap a fuzzing child within about a second: its random calls may block
 * for good (pause, a futex wait, a read of an empty pipe), so after 50 ms
 * its process group gets SIGKILL, which must end any of them; a child that
 * outlives that by a second is a finding. */
static void reap_bounded(long pid, uint64_t *z)
{
    struct timespec ms = { 0, 1000000 };
    int st = 0;
    for (int i = 0; i < 1050; i++) {
        long r = waitpid((pid_t)pid, &st, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(st) && WEXITSTATUS(st) == 250)
                found++;
            return;
        }
        if (r < 0) {
            finding(SYS_wait4, z, r, "wait did not return the child");
            return;
        }
        if (i == 50) {
            kill(-(pid_t)pid, SIGKILL);
            kill((pid_t)pid, SIGKILL);
        }
        nanosleep(&ms, NULL);
    }
    finding(SYS_kill, z, pid, "a child outlived SIGKILL by a second");
}

static void in_child(void)
{
    uint64_t z[6] = { 0 };
    long pid = call(SYS_fork, z);
    if (pid == 0) {
        setpgid(0, 0); /* its own group: the parent can kill all it forks */
        found = 0;     /* its exit status tells of its own findings only */
        /* Its random writes to fd 1 go nowhere; its findings to the console. */
        int quiet = open("/dev/null", O_WRONLY);
        report_fd = fcntl(1, F_DUPFD, 900);
        if (quiet >= 0 && report_fd >= 0)
            dup2(quiet, 1);
        else
            report_fd = 1;
        if (quiet >= 0)
            close(quiet);
        rng = next();
        for (int i = 0; i < 24; i++)
            generic(1);
        _exit(found ? 250 : 0);
    }
    if (pid > 0)
        reap_bounded(pid, z);
}

int main(int argc, char **argv)
{
    long total = 20000;
    rng = 20261202;
    oracle_mode = argc < 2;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "seed=", 5))
            rng = strtoull(argv[i] + 5, NULL, 0);
        else if (!strcmp(argv[i], "trace=1"))
            trace = 1;
        else if (!strncmp(argv[i], "calls=", 6))
            total = strtol(argv[i] + 6, NULL, 0);
    }
    uint64_t seed = rng;
    unsigned char *m = mmap(NULL, SCRATCH + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m + SCRATCH, 4096, PROT_NONE)) {
        say("FAIL fuzz_linux: cannot set up memory: %s\n", strerror(errno));
        return 1;
    }
    scratch = m;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        std_quiet = dup2(null, 0) == 0 && dup2(null, 2) == 2;
        close(null);
    }
    mkdir("/tmp", 01777);
    mkdir("/tmp/fuzzl", 0755);
    (void)!chdir("/tmp/fuzzl"); /* what random paths create lands here */
    fork_works = !oracle_mode && syscall(SYS_getpid) > 0 && syscall(SYS_wait4, -1, 0, WNOHANG, 0) == -1 && errno == ECHILD;
    if (!oracle_mode)
        say("fuzz_linux: seed=%llu calls=%ld (forked children: %s)\n", (unsigned long long)seed, total,
            fork_works ? "yes" : "no");
    while (calls < total && found < 10) {
        /* Fully random calls may block for good now that the calls exist
         * (a FIFO open, pause, a futex wait): with fork they run only in
         * children, which are killed when they do. */
        if (oracle_mode || below(3))
            shaped();
        else if (fork_works)
            in_child();
        else
            generic(0);
        while (nfds > 32) {
            close(fds[--nfds]);
        }
    }
    if (!oracle_mode)
        say("fuzz_linux: done: %ld calls, %ld findings\n", calls, found);
    if (found)
        failures++;
    return finish("fuzz_linux");
}
