#define _GNU_SOURCE
/* sig_handler: the signal-frame round trip.  An SA_SIGINFO handler sees
 * si_signo, si_code SI_USER and the sender's pid from kill(); every
 * register the interrupted code had (general, SSE, MXCSR) is back after
 * the handler, which clobbers them; the handler runs with its signal and
 * sa_mask blocked and the old mask returns after it; nested handlers
 * (another signal, and the same one with SA_NODEFER); a signal sent by
 * another process interrupts a busy loop; SA_RESETHAND; and the error
 * paths of rt_sigaction/rt_sigprocmask (EINVAL, EFAULT). */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include "proctest.h"

long sig_regs[16];
long sig_xin[2] = { 0x0123456789abcdefL, 0x0fedcba987654321L };
int sig_pid;

static volatile sig_atomic_t got, si_signo_seen, si_code_seen, si_pid_ok, uc_ok, depth, max_depth, count;
static volatile int mask_self, mask_extra, mask_other;

static void on_info(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    got = sig;
    si_signo_seen = si->si_signo;
    si_code_seen = si->si_code;
    si_pid_ok = si->si_pid == getpid();
    uc_ok = uc->uc_mcontext.gregs[REG_RIP] != 0 && uc->uc_mcontext.fpregs != 0 &&
            !sigismember(&uc->uc_sigmask, SIGUSR1);
    /* Clobber what the interrupted code must get back. */
    unsigned int mx = 0x7f80; /* round toward zero, all masked */
    __asm__ volatile("ldmxcsr %0" : : "m"(mx));
    __asm__ volatile("xorps %%xmm7, %%xmm7; xorps %%xmm0, %%xmm0" ::: "xmm0", "xmm7");
    __asm__ volatile("mov $-1, %%rdx; mov $-1, %%r8; mov $-1, %%r9; mov $-1, %%r10; mov $-1, %%r11"
                     ::: "rdx", "r8", "r9", "r10", "r11");
    sigset_t cur;
    sigprocmask(SIG_BLOCK, 0, &cur);
    mask_self = sigismember(&cur, SIGUSR1);
    mask_extra = sigismember(&cur, SIGTERM);
    mask_other = sigismember(&cur, SIGUSR2);
}

static void on_usr2(int sig)
{
    (void)sig;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    count++;
    depth--;
}

static void on_usr1_nested(int sig)
{
    (void)sig;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    count++;
    if (count == 1)
        raise(SIGUSR2); /* not blocked: runs inside this handler */
    depth--;
}

static void on_nodefer(int sig)
{
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    count++;
    if (count < 3)
        raise(sig);
    depth--;
}

static void on_busy(int sig)
{
    got = sig;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    CHECK(sigaction(SIGUSR1, &sa, 0) == 0, "sigaction: errno %d", errno);

    /* kill(self) from inside an asm block that holds known registers. */
    sig_pid = getpid();
    unsigned int mx_before, mx_after;
    __asm__ volatile("stmxcsr %0" : "=m"(mx_before));
    __asm__ volatile(
        "mov $0x1111, %%rbx\n\t"
        "mov $0x2222, %%rdx\n\t"
        "mov $0x8888, %%r8\n\t"
        "mov $0x9999, %%r9\n\t"
        "mov $0xaaaa, %%r10\n\t"
        "mov $0xcccc, %%r12\n\t"
        "mov $0xdddd, %%r13\n\t"
        "mov $0xeeee, %%r14\n\t"
        "mov $0xffff, %%r15\n\t"
        "movdqu sig_xin(%%rip), %%xmm7\n\t"
        "mov $62, %%eax\n\t"
        "mov sig_pid(%%rip), %%edi\n\t"
        "mov $10, %%esi\n\t"
        "syscall\n\t"
        "mov %%rbx, sig_regs+0(%%rip)\n\t"
        "mov %%rdx, sig_regs+8(%%rip)\n\t"
        "mov %%r8, sig_regs+16(%%rip)\n\t"
        "mov %%r9, sig_regs+24(%%rip)\n\t"
        "mov %%r10, sig_regs+32(%%rip)\n\t"
        "mov %%r12, sig_regs+40(%%rip)\n\t"
        "mov %%r13, sig_regs+48(%%rip)\n\t"
        "mov %%r14, sig_regs+56(%%rip)\n\t"
        "mov %%r15, sig_regs+64(%%rip)\n\t"
        "mov %%rdi, sig_regs+72(%%rip)\n\t"
        "mov %%rsi, sig_regs+80(%%rip)\n\t"
        "mov %%rax, sig_regs+88(%%rip)\n\t"
        "movdqu %%xmm7, sig_regs+96(%%rip)\n\t"
        :
        :
        : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "xmm7",
          "memory");
    __asm__ volatile("stmxcsr %0" : "=m"(mx_after));
    say("handler ran: signal %d si_signo %d si_code %d (SI_USER %d) si_pid is ours %d ucontext sane %d\n", (int)got,
        (int)si_signo_seen, (int)si_code_seen, SI_USER, (int)si_pid_ok, (int)uc_ok);
    int regs_ok = sig_regs[0] == 0x1111 && sig_regs[1] == 0x2222 && sig_regs[2] == 0x8888 && sig_regs[3] == 0x9999 &&
                  sig_regs[4] == 0xaaaa && sig_regs[5] == 0xcccc && sig_regs[6] == 0xdddd && sig_regs[7] == 0xeeee &&
                  sig_regs[8] == 0xffff && sig_regs[9] == sig_pid && sig_regs[10] == 10 && sig_regs[11] == 0;
    say("general registers preserved: %d (kill returned %ld)\n", regs_ok, sig_regs[11]);
    say("xmm7 preserved: %d, mxcsr preserved: %d\n", sig_regs[12] == sig_xin[0] && sig_regs[13] == sig_xin[1],
        mx_before == mx_after);
    say("mask in handler: own signal %d, sa_mask SIGTERM %d, SIGUSR2 %d\n", mask_self, mask_extra, mask_other);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, 0, &cur);
    say("mask after handler: SIGUSR1 %d SIGTERM %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGTERM));

    /* Nested: USR2 inside USR1. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1_nested;
    sigaction(SIGUSR1, &sa, 0);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, 0);
    depth = max_depth = count = 0;
    raise(SIGUSR1);
    say("nested: handlers run %d, deepest %d\n", (int)count, (int)max_depth);
    /* The same signal is deferred without SA_NODEFER, nested with it. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_nodefer;
    sigaction(SIGUSR2, &sa, 0);
    depth = max_depth = count = 0;
    raise(SIGUSR2);
    say("deferred: handlers run %d, deepest %d\n", (int)count, (int)max_depth);
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR2, &sa, 0);
    depth = max_depth = count = 0;
    raise(SIGUSR2);
    say("SA_NODEFER: handlers run %d, deepest %d\n", (int)count, (int)max_depth);

    /* Another process interrupts a busy loop. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_busy;
    sigaction(SIGUSR1, &sa, 0);
    got = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        nap(100);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    unsigned long spins = 0;
    while (!got)
        spins++;
    say("busy loop interrupted by the child's SIGUSR1: %d\n", (int)got);
    int st;
    waitpid(pid, &st, 0);

    /* SA_RESETHAND: the second signal takes the default action. */
    pid = fork();
    if (pid == 0) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_busy;
        sa.sa_flags = SA_RESETHAND;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        (void)!write(1, "first SIGUSR1 handled\n", 22);
        raise(SIGUSR1);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    say("SA_RESETHAND child: signaled %d by %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);

    /* Error paths (raw calls: libc checks some itself). */
    report("rt_sigaction signal 0", syscall(SYS_rt_sigaction, 0, 0, 0, 8));
    report("rt_sigaction signal 65", syscall(SYS_rt_sigaction, 65, 0, 0, 8));
    report("rt_sigaction SIGSTOP", syscall(SYS_rt_sigaction, SIGSTOP, &sa, 0, 8));
    report("rt_sigaction bad sigsetsize", syscall(SYS_rt_sigaction, SIGUSR1, 0, 0, 4));
    report("rt_sigaction bad act pointer", syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, 0, 8));
    report("rt_sigaction bad oldact pointer", syscall(SYS_rt_sigaction, SIGUSR1, 0, (void *)8, 8));
    report("rt_sigprocmask bad how", syscall(SYS_rt_sigprocmask, 7, &cur, 0, 8));
    report("rt_sigprocmask bad set pointer", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, 0, 8));
    report("rt_sigpending bad pointer", syscall(SYS_rt_sigpending, (void *)8, 8));
    report("tgkill bad tgid", syscall(SYS_tgkill, -1, getpid(), SIGUSR1));
    report("tkill nonexistent", syscall(SYS_tkill, 99999, SIGUSR1));
    report("tgkill bad signal", syscall(SYS_tgkill, getpid(), getpid(), 99));
    (void)spins;
    return finish("sig_handler");
}
