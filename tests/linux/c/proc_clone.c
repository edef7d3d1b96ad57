/* proc_clone: raw clone(2) with fork semantics (CLONE_CHILD_SETTID,
 * CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, an exit signal other than
 * SIGCHLD), the flag combinations Linux itself refuses (EINVAL; threads
 * are tests/linux/c/threads.c), CLONE_VM|CLONE_VFORK on its own stack as
 * posix_spawn uses it, set_tid_address and gettid, exit_group's status,
 * CPU affinity and reboot's argument checks. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "proctest.h"

#define CSIG 0xff

static long raw_clone(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls)
{
    long ret;
    register long r10 __asm__("r10") = (long)ctid;
    register long r8 __asm__("r8") = (long)tls;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"(SYS_clone), "D"(flags), "S"(stack), "d"(ptid), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static char child_stack[16384] __attribute__((aligned(16)));
static volatile int ctid_word, ptid_word;

int main(void)
{
    int st;
    ctid_word = ptid_word = 0;
    long pid = raw_clone(SIGCHLD | CLONE_CHILD_SETTID | CLONE_PARENT_SETTID, 0, (int *)&ptid_word,
                         (int *)&ctid_word, 0);
    if (pid == 0) {
        /* The child stored its tid in its own memory. */
        _exit(ctid_word == (int)syscall(SYS_gettid) ? 10 : 11);
    }
    CHECK(pid > 0, "clone: %ld", pid);
    waitpid((pid_t)pid, &st, 0);
    say("CLONE_CHILD_SETTID seen by the child: %d\n", WEXITSTATUS(st) == 10);
    say("CLONE_PARENT_SETTID seen by the parent: %d, child's word untouched here: %d\n", ptid_word == pid,
        ctid_word == 0);

    /* An exit signal that is not SIGCHLD, and __WALL to wait for it. */
    signal(SIGUSR2, SIG_IGN);
    pid = raw_clone(SIGUSR2, 0, 0, 0, 0);
    if (pid == 0)
        _exit(4);
    CHECK(waitpid((pid_t)pid, &st, __WALL) == pid, "waitpid __WALL: errno %d", errno);
    say("exit signal SIGUSR2 child: exit %d\n", WEXITSTATUS(st));

    /* vfork on its own stack, as posix_spawn does. */
    pid = raw_clone(SIGCHLD | CLONE_VM | CLONE_VFORK, child_stack + sizeof child_stack, 0, 0, 0);
    if (pid == 0)
        syscall(SYS_exit, 9);
    waitpid((pid_t)pid, &st, 0);
    say("CLONE_VM|CLONE_VFORK child: exit %d\n", WEXITSTATUS(st));

    say("clone CLONE_SIGHAND without CLONE_VM: %ld\n", raw_clone(CLONE_SIGHAND | SIGCHLD, 0, 0, 0, 0));
    say("clone CLONE_THREAD without CLONE_SIGHAND: %ld\n", raw_clone(CLONE_THREAD | SIGCHLD, 0, 0, 0, 0));

    long tid = syscall(SYS_set_tid_address, &ctid_word);
    say("set_tid_address returns the tid: %d, gettid is getpid: %d\n", tid == getpid(), syscall(SYS_gettid) == getpid());
    syscall(SYS_set_tid_address, 0);

    pid = fork();
    if (pid == 0)
        syscall(SYS_exit_group, 300);
    waitpid((pid_t)pid, &st, 0);
    say("exit_group(300): status %d\n", WEXITSTATUS(st));

    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0, "sched_getaffinity: errno %d", errno);
    say("affinity has CPU 0: %d, at least one CPU: %d\n", CPU_ISSET(0, &set) != 0, CPU_COUNT(&set) >= 1);
    long r = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    say("sched_getaffinity returns a whole number of longs: %d\n", r > 0 && r % 8 == 0);
    report("sched_getaffinity bad pointer", syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)8));
    report("sched_getaffinity odd size", syscall(SYS_sched_getaffinity, 0, 3, &set));
    report("sched_getaffinity nonexistent pid", syscall(SYS_sched_getaffinity, 99999, sizeof set, &set));
    CPU_ZERO(&set);
    report("sched_setaffinity empty mask", syscall(SYS_sched_setaffinity, 0, sizeof set, &set));
    CPU_SET(0, &set);
    report("sched_setaffinity CPU 0", syscall(SYS_sched_setaffinity, 0, sizeof set, &set));
    report("reboot bad magic", syscall(SYS_reboot, 0x1234, 0x5678, 0x4321fedc, 0));
    report("reboot bad command", syscall(SYS_reboot, 0xfee1dead, 672274793, 0x777, 0));
    return finish("proc_clone");
}
