/* forkwait: pipe + fork + wait.  The child writes through the pipe and
 * exits 42; the parent reads it, sees EOF once the child is gone, and
 * waitpid reports the status; a child killed by SIGKILL reports the signal;
 * wait with no children is ECHILD. */
#include <signal.h>
#include <sys/wait.h>
#include "common.h"

int main(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        const char msg[] = "message from the child";
        (void)!write(p[1], msg, sizeof msg - 1);
        _exit(42);
    }
    CHECK(pid > 0, "fork: errno %d", errno);
    close(p[1]);
    char buf[64];
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    say("parent read %zu bytes: %s (then read returned %zd)\n", got, buf, n);
    CHECK(n == 0, "no EOF on the pipe");
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    say("waitpid: same pid %s, exited %d, status %d\n", w == pid ? "yes" : "no",
        WIFEXITED(st), WEXITSTATUS(st));
    CHECK(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 42, "bad status 0x%x", st);

    /* Killed by a signal. */
    pid = fork();
    if (pid == 0) {
        raise(SIGKILL);
        _exit(1);
    }
    w = waitpid(pid, &st, 0);
    say("killed child: signaled %d, signal %d\n", WIFSIGNALED(st), WTERMSIG(st));
    CHECK(w == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "bad status 0x%x", st);

    /* Many children, reaped in any order, each status seen once. */
    int seen = 0;
    for (int i = 0; i < 5; i++)
        if (fork() == 0)
            _exit(10 + i);
    for (int i = 0; i < 5; i++) {
        if (wait(&st) > 0 && WIFEXITED(st))
            seen |= 1 << (WEXITSTATUS(st) - 10);
    }
    say("five children reaped, statuses 10..14 all seen: %s\n", seen == 31 ? "yes" : "no");
    CHECK(seen == 31, "seen mask 0x%x", seen);

    /* Writing to a pipe with no reader: EPIPE once SIGPIPE is ignored. */
    signal(SIGPIPE, SIG_IGN);
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    close(p[0]);
    errno = 0;
    n = write(p[1], "x", 1);
    say("write to a pipe without reader: ret %zd errno %d\n", n, errno);
    CHECK(n == -1 && errno == EPIPE, "want EPIPE");
    close(p[1]);

    errno = 0;
    w = wait(&st);
    say("wait with no children: ret %d errno %d\n", (int)w, errno);
    CHECK(w == -1 && errno == ECHILD, "want ECHILD");
    return finish("forkwait");
}
