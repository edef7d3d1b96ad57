/* sig_forge: hostile rt_sigreturn frames.  A handler rewrites the saved
 * context it returns through: a kernel RIP, a non-canonical RIP, a kernel
 * code segment, a kernel stack segment, a bogus FPU-state pointer, IOPL
 * bits in RFLAGS (which must not grant port access: the child then tries
 * `cli`). Each child may only die by SIGSEGV; the kernel and this process
 * carry on. A frame redirected to a valid function works (control case). */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>
#include <ucontext.h>
#include "proctest.h"

static int mode;

static void landing(void)
{
    (void)!write(1, "  landed in the redirected function\n", 36);
    _exit(42);
}

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    unsigned short *seg = (unsigned short *)&g[REG_CSGSFS];
    switch (mode) {
    case 0: g[REG_RIP] = (greg_t)landing; break;
    case 1: g[REG_RIP] = (greg_t)0xffffffff80100000UL; break;
    case 2: g[REG_RIP] = (greg_t)0x8000000000001000UL; break;
    case 3: seg[0] = 0x08; break;              /* kernel CS */
    case 4: seg[3] = 0x10; break;              /* kernel SS */
    case 5: uc->uc_mcontext.fpregs = (void *)8; break;
    case 6: g[REG_EFL] |= 0x3000; break;       /* IOPL 3 */
    case 7: g[REG_RSP] = (greg_t)0x8000000000000000UL; break;
    }
}

static const char *names[] = {
    "redirect to a function", "kernel RIP", "non-canonical RIP", "kernel CS", "kernel SS",
    "bad fpstate pointer", "IOPL 3 in RFLAGS", "non-canonical RSP",
};

int main(void)
{
    for (mode = 0; mode < 8; mode++) {
        pid_t pid = fork();
        if (pid == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_usr1;
            sa.sa_flags = SA_SIGINFO;
            sigaction(SIGUSR1, &sa, 0);
            raise(SIGUSR1);
            (void)!write(1, "  returned from the handler\n", 28);
            if (mode == 6)
                __asm__ volatile("cli; sti");
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st))
            say("%s: killed by signal %d\n", names[mode], WTERMSIG(st));
        else
            say("%s: exit %d\n", names[mode], WEXITSTATUS(st));
    }
    say("still running after the forged frames: yes\n");
    return finish("sig_forge");
}
