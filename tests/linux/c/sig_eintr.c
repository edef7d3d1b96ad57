/* sig_eintr: blocking calls and signals.  A handler without SA_RESTART
 * makes pause, nanosleep (with the time left), wait4 and a futex wait
 * fail with EINTR; with SA_RESTART wait4 restarts and returns the child;
 * sigsuspend returns EINTR after the handler with the old mask back; a
 * SIGCHLD handler runs for each child; SIGCHLD set to SIG_IGN reaps
 * children (wait4 then fails with ECHILD); rt_sigtimedwait takes a blocked
 * signal (with the sender's pid) or times out with EAGAIN. */
#define _GNU_SOURCE
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "proctest.h"

static volatile sig_atomic_t got, chld;

static void on_usr1(int sig)
{
    got = sig;
}

static void on_chld(int sig)
{
    (void)sig;
    chld++;
}

/* A child that sends `sig` to the parent after `ms`, then lives `live` ms. */
static pid_t poke(int sig, long ms, long live)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        nap(ms);
        kill(parent, sig);
        nap(live);
        _exit(0);
    }
    return pid;
}

static void handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, 0);
}

int main(void)
{
    int st;
    handle(SIGUSR1, on_usr1, 0);

    pid_t pid = poke(SIGUSR1, 200, 0);
    got = 0;
    report("pause", pause());
    say("pause woke with handler run: %d\n", got == SIGUSR1);
    waitpid(pid, &st, 0);

    pid = poke(SIGUSR1, 200, 0);
    struct timespec req = { 30, 0 }, rem = { 0, 0 };
    got = 0;
    report("nanosleep 30 s", nanosleep(&req, &rem));
    say("time left reported: %d (less than asked: %d)\n", rem.tv_sec > 0 || rem.tv_nsec > 0, rem.tv_sec < 30);
    waitpid(pid, &st, 0);

    pid = poke(SIGUSR1, 200, 600);
    got = 0;
    report("wait4 without SA_RESTART", wait4(pid, &st, 0, 0));
    report("wait4 again", wait4(pid, &st, 0, 0) == pid);

    handle(SIGUSR1, on_usr1, SA_RESTART);
    pid = poke(SIGUSR1, 200, 600);
    got = 0;
    pid_t w = wait4(pid, &st, 0, 0);
    say("wait4 with SA_RESTART returned the child: %d, handler ran: %d, errno %s\n", w == pid, got == SIGUSR1,
        w < 0 ? errname(errno) : "-");

    handle(SIGUSR1, on_usr1, 0);
    static int word = 0;
    pid = poke(SIGUSR1, 200, 0);
    report("futex wait", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0));
    waitpid(pid, &st, 0);
    struct timespec tmo = { 0, 100000000 };
    report("futex wait 100 ms", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &tmo, 0, 0));
    report("futex wait on a changed word", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, 0, 0, 0));
    report("futex wake with no waiter", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
    report("futex misaligned", syscall(SYS_futex, (char *)&word + 1, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0));
    report("futex bad address", syscall(SYS_futex, (void *)8, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0));
    report("futex bad timeout", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, (void *)8, 0, 0));

    /* sigsuspend: USR1 blocked, waited for with an empty mask. */
    sigset_t block, empty, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, 0);
    pid = poke(SIGUSR1, 200, 0);
    got = 0;
    report("sigsuspend", sigsuspend(&empty));
    sigprocmask(SIG_BLOCK, 0, &cur);
    say("sigsuspend: handler ran %d, SIGUSR1 blocked again %d\n", got == SIGUSR1, sigismember(&cur, SIGUSR1));
    waitpid(pid, &st, 0);

    /* rt_sigtimedwait on the blocked SIGUSR1. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    pid = poke(SIGUSR1, 200, 0);
    got = 0;
    int s = sigwaitinfo(&block, &si);
    say("sigwaitinfo: %d si_code %d (SI_USER) sender is the child %d, handler ran %d\n", s, si.si_code,
        si.si_pid == pid, (int)got);
    waitpid(pid, &st, 0);
    struct timespec short_wait = { 0, 100000000 };
    report("sigtimedwait 100 ms", sigtimedwait(&block, &si, &short_wait));
    sigprocmask(SIG_UNBLOCK, &block, 0);

    /* SIGCHLD handler, then SIG_IGN auto-reaping. */
    handle(SIGCHLD, on_chld, SA_RESTART);
    chld = 0;
    for (int i = 0; i < 2; i++) {
        pid = fork();
        if (pid == 0)
            _exit(i);
        waitpid(pid, &st, 0);
    }
    say("SIGCHLD handler ran for both children: %d\n", chld == 2);
    handle(SIGCHLD, SIG_IGN, 0);
    pid = fork();
    if (pid == 0)
        _exit(5);
    nap(200);
    report("wait4 with SIGCHLD ignored", wait4(-1, &st, 0, 0));
    return finish("sig_eintr");
}
