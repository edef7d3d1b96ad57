/* affinity: CPU affinity per thread.  sched_setaffinity pins the calling
 * thread (tid 0 and its own tid) to each online CPU in turn, and
 * sched_getcpu right after the call returns names that CPU; a thread pins
 * itself without changing the main thread's mask; the main thread pins a
 * spinning thread by its tid to each CPU in turn and the thread's next
 * samples are on that CPU; a new thread and a forked child inherit the
 * creator's mask, execve keeps it, and another process's mask is set by
 * its pid.  Then the length rules and errors: a short mask (len 4), a long
 * one (len 128), an empty mask, offline CPUs only, offline plus online
 * (read back as the online CPUs), len 0, EFAULT before ESRCH, ESRCH for a
 * missing or negative tid; sched_getaffinity's EINVAL for a length that is
 * not a multiple of 8 or too short, its result (8, the kernel's mask
 * size, also for len 16), EFAULT, ESRCH.
 *
 * Every line is the same whatever the number of CPUs (the runs are at
 * -smp 1 and -smp 4): per-CPU results are folded into one flag. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "proctest.h"

static unsigned long online; /* the CPUs at start (a one-long mask) */
static int ncpus, first_cpu, last_cpu;

static long set_raw(long tid, unsigned len, const void *mask)
{
    return syscall(SYS_sched_setaffinity, tid, len, mask);
}

static long get_raw(long tid, unsigned len, void *mask)
{
    return syscall(SYS_sched_getaffinity, tid, len, mask);
}

static int pin(long tid, int cpu)
{
    unsigned long m = 1UL << cpu;
    return set_raw(tid, sizeof m, &m) == 0;
}

static unsigned long mask_of(long tid)
{
    unsigned long m = 0;
    return get_raw(tid, sizeof m, &m) == sizeof m ? m : ~0UL;
}

static long gettid_(void)
{
    return syscall(SYS_gettid);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pin thread `tid` (0: the caller) to each online CPU in turn, `rounds`
 * times; the caller checks sched_getcpu right after each call. */
static int pin_self_everywhere(int rounds, int use_tid, int *getcpu_ok, int *mask_ok)
{
    int set_ok = 1;
    *getcpu_ok = *mask_ok = 1;
    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < 64; c++) {
            if (!(online >> c & 1))
                continue;
            set_ok &= pin(use_tid ? gettid_() : 0, c);
            *getcpu_ok &= sched_getcpu() == c;
            *mask_ok &= mask_of(0) == 1UL << c;
        }
    return set_ok;
}

struct self_pin { int set_ok, getcpu_ok, mask_ok; unsigned long inherited; int ran_there; };

static void *thread_self_pin(void *arg)
{
    struct self_pin *r = arg;
    r->inherited = mask_of(0);
    r->ran_there = sched_getcpu() == last_cpu;
    r->set_ok = pin_self_everywhere(2, 1, &r->getcpu_ok, &r->mask_ok);
    return 0;
}

static atomic_long samples;
static atomic_int sampled_cpu, stop;
static atomic_long spinner_tid;

static void *spinner(void *arg)
{
    (void)arg;
    atomic_store(&spinner_tid, gettid_());
    while (!atomic_load(&stop)) {
        atomic_store(&sampled_cpu, sched_getcpu());
        atomic_fetch_add(&samples, 1);
    }
    return 0;
}

/* Wait (yielding, at most 10 s) until the spinner took two more samples. */
static int fresh_sample(void)
{
    long from = atomic_load(&samples);
    double t0 = now_s();
    while (atomic_load(&samples) < from + 2)
        if (sched_yield() != 0 || now_s() - t0 > 10)
            return -1;
    return atomic_load(&sampled_cpu);
}

static void threads(void)
{
    struct self_pin r = { 0 };
    pthread_t t;
    CHECK(pin(0, last_cpu), "pin main to the last CPU");
    CHECK(pthread_create(&t, 0, thread_self_pin, &r) == 0, "pthread_create");
    pthread_join(t, 0);
    say("a new thread inherits its creator's mask: %d, runs there: %d\n", r.inherited == 1UL << last_cpu, r.ran_there);
    say("a thread pinned itself by its tid to each CPU: setaffinity 0: %d, sched_getcpu that CPU: %d, getaffinity that CPU: %d\n",
        r.set_ok, r.getcpu_ok, r.mask_ok);
    say("the main thread's mask is unchanged: %d\n", mask_of(0) == 1UL << last_cpu);
    CHECK(set_raw(0, sizeof online, &online) == 0, "restore the main thread's mask");

    CHECK(pthread_create(&t, 0, spinner, 0) == 0, "pthread_create spinner");
    while (!atomic_load(&spinner_tid))
        sched_yield();
    long tid = atomic_load(&spinner_tid);
    int set_ok = 1, ran_ok = 1, get_ok = 1;
    for (int r2 = 0; r2 < 2; r2++)
        for (int c = 63; c >= 0; c--) {
            if (!(online >> c & 1))
                continue;
            set_ok &= pin(tid, c);
            int on = fresh_sample();
            ran_ok &= on == c;
            get_ok &= mask_of(tid) == 1UL << c;
        }
    atomic_store(&stop, 1);
    pthread_join(t, 0);
    say("a spinning thread pinned by its tid to each CPU: setaffinity 0: %d, its next samples there: %d, getaffinity by tid: %d\n",
        set_ok, ran_ok, get_ok);
}

/* A child that checks its own mask and CPU against `cpu`: exit 0 if both match. */
static int child_checks(int cpu)
{
    return mask_of(0) == 1UL << cpu && sched_getcpu() == cpu ? 0 : 1;
}

static int status_of(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void processes(const char *self)
{
    CHECK(pin(0, last_cpu), "pin to the last CPU");
    pid_t pid = fork();
    if (pid == 0)
        _exit(child_checks(last_cpu));
    say("a forked child inherits the mask: exit %d\n", status_of(pid));

    pid = fork();
    if (pid == 0) {
        char arg[16];
        snprintf(arg, sizeof arg, "%d", last_cpu);
        execl(self, "affinity", "exec-check", arg, (char *)0);
        _exit(99);
    }
    say("the mask survives execve: exit %d\n", status_of(pid));

    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid = fork();
    if (pid == 0) {
        char b;
        close(p[1]);
        (void)!read(p[0], &b, 1);
        _exit(child_checks(first_cpu));
    }
    close(p[0]);
    int pinned = pin(pid, first_cpu);
    say("setaffinity of another process by its pid: %d, getaffinity by pid: %d\n", pinned, mask_of(pid) == 1UL << first_cpu);
    (void)!write(p[1], "x", 1);
    close(p[1]);
    say("that process runs there: exit %d\n", status_of(pid));
    CHECK(set_raw(0, sizeof online, &online) == 0, "restore the mask");
}

static void errors(void)
{
    unsigned long m = 0, big[16];
    report("setaffinity empty mask", set_raw(0, sizeof m, &m));
    m = 1UL << 63;
    report("setaffinity only an offline CPU", set_raw(0, sizeof m, &m));
    m = online | 1UL << 63;
    report("setaffinity online plus an offline CPU", set_raw(0, sizeof m, &m));
    say("read back as the online CPUs: %d\n", mask_of(0) == online);
    report("setaffinity len 0", set_raw(0, 0, &online));
    report("setaffinity len 0, bad pointer", set_raw(0, 0, (void *)8));
    unsigned long word = 0xffffffff00000001UL;
    report("setaffinity len 4 (CPU 0, high bytes ignored)", set_raw(0, 4, &word));
    say("read back as CPU 0: %d\n", mask_of(0) == 1);
    memset(big, 0xff, sizeof big);
    report("setaffinity len 128, all bits", set_raw(0, sizeof big, big));
    say("read back as the online CPUs: %d\n", mask_of(0) == online);
    report("setaffinity bad pointer", set_raw(0, sizeof m, (void *)8));
    report("setaffinity bad pointer, no such tid", set_raw(99999, sizeof m, (void *)8));
    report("setaffinity no such tid", set_raw(99999, sizeof online, &online));
    report("setaffinity tid -1", set_raw(-1, sizeof online, &online));
    report("getaffinity len 4", get_raw(0, 4, &m));
    report("getaffinity len 0", get_raw(0, 0, &m));
    report("getaffinity len 12", get_raw(0, 12, &m));
    memset(big, 0, sizeof big);
    report("getaffinity len 16", get_raw(0, 16, big));
    say("the first long is the online CPUs: %d, the second untouched: %d\n", big[0] == online, big[1] == 0);
    report("getaffinity bad pointer", get_raw(0, sizeof m, (void *)8));
    report("getaffinity no such tid", get_raw(99999, sizeof m, &m));
    report("getaffinity tid -1", get_raw(-1, sizeof m, &m));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exec-check") == 0)
        return child_checks(atoi(argv[2]));
    online = mask_of(0);
    ncpus = __builtin_popcountl(online);
    first_cpu = __builtin_ctzl(online);
    last_cpu = 63 - __builtin_clzl(online);
    say("getaffinity: 8 bytes: %d, CPU 0 in the mask: %d, CPUs 0..N-1: %d\n", get_raw(0, 8, &(unsigned long){ 0 }) == 8,
        (int)(online & 1), online == (ncpus == 64 ? ~0UL : (1UL << ncpus) - 1));

    int getcpu_ok, mask_ok;
    int set_ok = pin_self_everywhere(3, 0, &getcpu_ok, &mask_ok);
    say("pinned itself (tid 0) to each online CPU: setaffinity 0: %d, sched_getcpu that CPU: %d, getaffinity that CPU: %d\n",
        set_ok, getcpu_ok, mask_ok);
    set_ok = pin_self_everywhere(1, 1, &getcpu_ok, &mask_ok);
    say("pinned itself by its tid: setaffinity 0: %d, sched_getcpu that CPU: %d, getaffinity that CPU: %d\n", set_ok, getcpu_ok,
        mask_ok);
    CHECK(set_raw(0, sizeof online, &online) == 0, "restore the mask");

    threads();
    processes(argv[0]);
    errors();
    CHECK(set_raw(0, sizeof online, &online) == 0 && mask_of(0) == online, "final mask");
    return finish("affinity");
}
