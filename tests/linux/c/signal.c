/* signal: sigaction round trips.  A SIGUSR1 handler runs on raise() and
 * returns into the program (rt_sigreturn); SA_SIGINFO handlers see the
 * signal number and SI_TKILL; a blocked signal stays pending until
 * unblocked; SIG_IGN discards. */
#include <signal.h>
#include "common.h"

static volatile sig_atomic_t got, info_signo, info_code, depth;

static void on_usr1(int sig)
{
    got = sig;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    info_signo = si->si_signo;
    info_code = si->si_code;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, 0) == 0, "sigaction: errno %d", errno);

    int r = raise(SIGUSR1);
    say("raise SIGUSR1: ret %d, handler saw signal %d\n", r, (int)got);
    CHECK(got == SIGUSR1, "handler did not run");

    /* The old action comes back from sigaction. */
    struct sigaction old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGUSR2, &sa, 0) == 0, "sigaction USR2: errno %d", errno);
    CHECK(sigaction(SIGUSR1, 0, &old) == 0 && old.sa_handler == on_usr1, "old action lost");
    say("old SIGUSR1 action is the handler: %s\n", old.sa_handler == on_usr1 ? "yes" : "no");

    got = 0;
    raise(SIGUSR2);
    say("SA_SIGINFO: signal %d si_signo %d si_code %d (SI_TKILL is %d)\n",
        (int)got, (int)info_signo, (int)info_code, SI_TKILL);
    CHECK(info_signo == SIGUSR2 && info_code == SI_TKILL, "bad siginfo");

    /* Blocked: pending, not delivered; delivered on unblock. */
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, 0) == 0, "sigprocmask: errno %d", errno);
    got = 0;
    raise(SIGUSR1);
    sigpending(&pend);
    say("blocked: delivered %d, pending %d\n", (int)got, sigismember(&pend, SIGUSR1));
    CHECK(got == 0 && sigismember(&pend, SIGUSR1) == 1, "blocked signal misbehaved");
    sigprocmask(SIG_UNBLOCK, &set, 0);
    say("unblocked: delivered %d\n", (int)got);
    CHECK(got == SIGUSR1, "pending signal not delivered on unblock");

    /* Ignored. */
    signal(SIGUSR1, SIG_IGN);
    got = 0;
    raise(SIGUSR1);
    say("ignored: delivered %d\n", (int)got);
    CHECK(got == 0, "ignored signal delivered");

    /* Invalid signal numbers. */
    errno = 0;
    r = sigaction(SIGKILL, &sa, 0);
    say("sigaction SIGKILL: ret %d errno %d\n", r, errno);
    CHECK(r == -1 && errno == EINVAL, "SIGKILL handler accepted");
    errno = 0;
    r = kill(getpid(), 65);
    say("kill with signal 65: ret %d errno %d\n", r, errno);
    CHECK(r == -1 && errno == EINVAL, "signal 65 accepted");
    (void)depth;
    return finish("signal");
}
