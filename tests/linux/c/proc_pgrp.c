/* proc_pgrp: process groups and sessions.  setsid makes a session and
 * group led by the caller (and fails with EPERM for a group leader);
 * setpgid moves a child into a new group and into an existing one, with
 * Linux's errors (EINVAL, ESRCH, EPERM); kill(-pgrp) reaches the whole
 * group and nobody else; kill(0) the caller's own group; getpgid/getsid
 * of other processes and of a nonexistent one. Pids themselves are not
 * printed, only relations. */
#include <signal.h>
#include <sys/wait.h>
#include "proctest.h"

int main(void)
{
    int st;
    /* A child that starts its own session. */
    int p[2];
    pid_t pid = fork();
    if (pid == 0) {
        pid_t me = getpid();
        pid_t s = setsid();
        say("setsid in a child: returns own pid %d, getsid %d, getpgrp %d, getpgid(0) %d\n", s == me,
            getsid(0) == me, getpgrp() == me, getpgid(0) == me);
        report("setsid again (group leader)", setsid());
        report("setpgid of a session leader", setpgid(0, 0));
        _exit(0);
    }
    waitpid(pid, &st, 0);
    say("child exited %d\n", WEXITSTATUS(st));
    (void)p;

    /* Groups: a leader child and a second child moved into its group. */
    pid_t a = fork();
    if (a == 0) {
        for (;;)
            pause();
    }
    CHECK(setpgid(a, a) == 0, "setpgid(a, a): errno %d", errno);
    pid_t b = fork();
    if (b == 0) {
        for (;;)
            pause();
    }
    CHECK(setpgid(b, a) == 0, "setpgid(b, a): errno %d", errno);
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    say("getpgid: a leads its group %d, b in a's group %d, c in ours %d\n", getpgid(a) == a, getpgid(b) == a,
        getpgid(c) == getpgrp());
    say("getsid of a child is ours: %d\n", getsid(a) == getsid(0));
    report("setpgid negative pgid", setpgid(b, -1));
    report("setpgid nonexistent pid", setpgid(99999, 0));
    report("setpgid into a group that does not exist", setpgid(c, 99999));
    report("getpgid nonexistent", getpgid(99999));
    report("getsid nonexistent", getsid(99999));
    report("kill a group", kill(-a, SIGTERM));
    pid_t w1 = waitpid(-a, &st, 0);
    int s1 = WIFSIGNALED(st) ? WTERMSIG(st) : -1;
    pid_t w2 = waitpid(-a, &st, 0);
    int s2 = WIFSIGNALED(st) ? WTERMSIG(st) : -1;
    say("group members reaped by waitpid(-pgrp): %d, both by SIGTERM: %d\n", (w1 == a || w1 == b) && (w2 == a || w2 == b) && w1 != w2,
        s1 == SIGTERM && s2 == SIGTERM);
    report("waitpid(-pgrp) with the group gone", waitpid(-a, &st, WNOHANG));
    report("kill the empty group", kill(-a, SIGTERM));
    say("c still running: %d\n", waitpid(c, &st, WNOHANG) == 0);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    say("c: signaled by %d\n", WTERMSIG(st));

    /* kill(0, sig) reaches the caller's group: done in a child group. */
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        pid_t g = fork();
        if (g == 0) {
            for (;;)
                pause();
        }
        signal(SIGUSR1, SIG_IGN);
        nap(100);
        kill(0, SIGUSR1);
        waitpid(g, &st, 0);
        _exit(WIFSIGNALED(st) ? WTERMSIG(st) : 100);
    }
    waitpid(pid, &st, 0);
    say("kill(0) reached the group's other member: signal %d\n", WEXITSTATUS(st));
    return finish("proc_pgrp");
}
