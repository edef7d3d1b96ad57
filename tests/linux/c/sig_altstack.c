/* sig_altstack: sigaltstack and SA_ONSTACK (the handler runs on the
 * alternate stack, which reports SS_ONSTACK there and cannot be changed
 * while in use), its error paths (ENOMEM, EINVAL, EPERM, EFAULT), and
 * SIGSEGV/SIGFPE/SIGILL handlers that siglongjmp out of a fault (si_code,
 * si_addr, the mask restored by siglongjmp). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include "proctest.h"

static char altstack[65536] __attribute__((aligned(16)));
static volatile int on_alt, flags_in_handler, change_errno, aligned_ok;
static sigjmp_buf env;
static volatile int fault_sig, fault_code;
static volatile uintptr_t fault_addr;

static void on_usr1(int sig)
{
    (void)sig;
    char local;
    uintptr_t a = (uintptr_t)&local;
    on_alt = a > (uintptr_t)altstack && a < (uintptr_t)altstack + sizeof altstack;
    stack_t now;
    sigaltstack(0, &now);
    flags_in_handler = now.ss_flags;
    stack_t other = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    errno = 0;
    change_errno = sigaltstack(&other, 0) == 0 ? 0 : errno;
    /* At handler entry (rsp + 8) is 16-aligned; the compiler keeps 16 here. */
    aligned_ok = ((uintptr_t)__builtin_frame_address(0) & 15) == 0;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(env, 1);
}

int main(void)
{
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    stack_t old;
    CHECK(sigaltstack(&ss, &old) == 0, "sigaltstack: errno %d", errno);
    say("initial altstack disabled: %d\n", (old.ss_flags & SS_DISABLE) != 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    say("handler on the alternate stack: %d, ss_flags there SS_ONSTACK: %d, change while on it: %s\n", on_alt,
        flags_in_handler == SS_ONSTACK, errname(change_errno));
    say("handler frame aligned: %d\n", aligned_ok);
    stack_t now;
    sigaltstack(0, &now);
    say("after the handler: flags %d size matches %d\n", now.ss_flags, now.ss_size == sizeof altstack);
    /* Without SA_ONSTACK the handler stays on the normal stack. */
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    say("without SA_ONSTACK on the alternate stack: %d\n", on_alt);

    stack_t tiny = { .ss_sp = altstack, .ss_size = 100, .ss_flags = 0 };
    report("sigaltstack too small", syscall(SYS_sigaltstack, &tiny, 0));
    stack_t bad = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0x55 };
    report("sigaltstack bad flags", syscall(SYS_sigaltstack, &bad, 0));
    report("sigaltstack bad pointer", syscall(SYS_sigaltstack, (void *)8, 0));
    stack_t off = { .ss_flags = SS_DISABLE };
    report("sigaltstack disable", syscall(SYS_sigaltstack, &off, 0));
    sigaltstack(0, &now);
    say("disabled now: %d\n", (now.ss_flags & SS_DISABLE) != 0);

    /* Faults caught by handlers that jump out. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGFPE, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    for (int round = 0; round < 2; round++) {
        if (sigsetjmp(env, 1) == 0) {
            volatile uintptr_t where = 0x10;
            *(volatile int *)where = 1;
            say("no fault?\n");
        } else {
            say("SIGSEGV round %d: signal %d code %d (SEGV_MAPERR %d) addr %#lx\n", round, fault_sig, fault_code,
                SEGV_MAPERR, (unsigned long)fault_addr);
        }
    }
    static const char ro[8] = "ro";
    if (sigsetjmp(env, 1) == 0) {
        *(volatile char *)ro = 'x';
        say("no fault on a read-only page?\n");
    } else {
        say("write to read-only data: signal %d code %d (SEGV_ACCERR %d) addr is it %d\n", fault_sig, fault_code,
            SEGV_ACCERR, fault_addr == (uintptr_t)ro);
    }
    if (sigsetjmp(env, 1) == 0) {
        volatile int zero = 0;
        volatile int x = 10 / zero;
        (void)x;
        say("no SIGFPE?\n");
    } else {
        say("divide by zero: signal %d code %d (FPE_INTDIV %d)\n", fault_sig, fault_code, FPE_INTDIV);
    }
    if (sigsetjmp(env, 1) == 0) {
        __asm__ volatile("ud2");
        say("no SIGILL?\n");
    } else {
        say("ud2: signal %d code %d (ILL_ILLOPN %d)\n", fault_sig, fault_code, ILL_ILLOPN);
    }
    sigset_t cur;
    sigprocmask(SIG_BLOCK, 0, &cur);
    say("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
    return finish("sig_altstack");
}
