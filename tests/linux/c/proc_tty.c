/* proc_tty: the console as a controlling terminal.  Without arguments
 * (the oracle run): not our controlling terminal yet, TIOCGPGRP/TIOCGSID/
 * TIOCSPGRP/TIOCNOTTY are ENOTTY; a child that starts a session acquires
 * the console with TIOCSCTTY, then reads its group and session back,
 * moves the foreground to another group of the session (SIGTTOU ignored,
 * as shells do) and refuses groups that do not exist (ESRCH) or negative
 * ones (EINVAL); a second child, not a session leader, gets EPERM.
 * With the argument "ctrlc" (run as init by the interactive QEMU test): a
 * foreground child waits in pause() until ^C typed on the console kills
 * it (shell status 130), and a second one until ^Z stops it. */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include "proctest.h"

static int ctrlc(void)
{
    CHECK(setsid() == getpid(), "setsid: errno %d", errno);
    CHECK(ioctl(1, TIOCSCTTY, 0) == 0, "TIOCSCTTY: errno %d", errno);
    signal(SIGTTOU, SIG_IGN);
    const char *keys[] = { "^C", "^Z" };
    for (int round = 0; round < 2; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            setpgid(0, 0);
            signal(SIGTTOU, SIG_DFL);
            for (;;)
                pause();
        }
        setpgid(pid, pid);
        CHECK(tcsetpgrp(1, pid) == 0, "tcsetpgrp: errno %d", errno);
        say("[JOBCTL] ready for %s\n", keys[round]);
        int st;
        waitpid(pid, &st, WUNTRACED);
        tcsetpgrp(1, getpgrp());
        if (WIFSIGNALED(st))
            say("[JOBCTL] child killed by signal %d: shell status %d\n", WTERMSIG(st), 128 + WTERMSIG(st));
        else if (WIFSTOPPED(st)) {
            say("[JOBCTL] child stopped by signal %d\n", WSTOPSIG(st));
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            say("[JOBCTL] then killed by signal %d\n", WTERMSIG(st));
        }
    }
    return finish("proc_tty ctrlc");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "ctrlc") == 0)
        return ctrlc();
    pid_t pg;
    report("TIOCGPGRP before any session", ioctl(1, TIOCGPGRP, &pg));
    report("TIOCGSID before any session", ioctl(1, TIOCGSID, &pg));
    pg = getpgrp();
    report("TIOCSPGRP before any session", ioctl(1, TIOCSPGRP, &pg));
    report("TIOCNOTTY before any session", ioctl(1, TIOCNOTTY, 0));
    int st;
    pid_t pid = fork();
    if (pid == 0) {
        report("TIOCSCTTY without being a session leader", ioctl(1, TIOCSCTTY, 0));
        pid_t me = setsid();
        report("TIOCSCTTY as a session leader", ioctl(1, TIOCSCTTY, 0));
        report("TIOCSCTTY again", ioctl(1, TIOCSCTTY, 0));
        pid_t fg = -1, sid = -1;
        ioctl(1, TIOCGPGRP, &fg);
        ioctl(1, TIOCGSID, &sid);
        say("foreground group is ours %d, session is ours %d, tcgetpgrp agrees %d\n", fg == me, sid == me,
            tcgetpgrp(1) == me);
        signal(SIGTTOU, SIG_IGN);
        pid_t g = fork();
        if (g == 0) {
            for (;;)
                pause();
        }
        setpgid(g, g);
        report("TIOCSPGRP to the child's group", ioctl(1, TIOCSPGRP, &g));
        fg = -1;
        ioctl(1, TIOCGPGRP, &fg);
        say("foreground is the child's group: %d\n", fg == g);
        pid_t bad = 99999;
        report("TIOCSPGRP to a group that does not exist", ioctl(1, TIOCSPGRP, &bad));
        bad = -5;
        report("TIOCSPGRP negative", ioctl(1, TIOCSPGRP, &bad));
        report("TIOCSPGRP bad pointer", ioctl(1, TIOCSPGRP, (void *)8));
        report("TIOCGPGRP bad pointer", ioctl(1, TIOCGPGRP, (void *)8));
        report("TIOCSPGRP back to ours", ioctl(1, TIOCSPGRP, &me));
        kill(g, SIGKILL);
        waitpid(g, &st, 0);
        signal(SIGHUP, SIG_IGN); /* TIOCNOTTY sends it to the foreground: us */
        report("TIOCNOTTY as the session leader", ioctl(1, TIOCNOTTY, 0));
        report("TIOCGPGRP after TIOCNOTTY", ioctl(1, TIOCGPGRP, &fg));
        _exit(0);
    }
    waitpid(pid, &st, 0);
    say("session child: exited %d code %d\n", WIFEXITED(st), WEXITSTATUS(st));
    report("TIOCGPGRP in the parent afterwards", ioctl(1, TIOCGPGRP, &pg));
    return finish("proc_tty");
}
