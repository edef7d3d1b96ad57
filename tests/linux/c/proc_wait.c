/* proc_wait: fork + wait4/waitpid/waitid statuses as Linux encodes them:
 * a normal exit, death by SIGKILL, by SIGSEGV and by SIGABRT (the core
 * bit as Linux sets it with its default RLIMIT_CORE), a child stopped by
 * SIGSTOP and continued by SIGCONT (WUNTRACED, WCONTINUED), WNOHANG while
 * the child runs, vfork + _exit, a killable vfork wait, waitid with siginfo and WNOWAIT, and the
 * error paths: ECHILD, EINVAL options, EFAULT status pointer, ESRCH and
 * EINVAL from kill. */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "proctest.h"

static void show(const char *what, int st)
{
    say("%s: exited %d code %d, signaled %d sig %d core %d, stopped %d sig %d, continued %d\n", what,
        WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st),
        WIFSIGNALED(st) ? WTERMSIG(st) : -1, WIFSIGNALED(st) ? (WCOREDUMP(st) ? 1 : 0) : -1,
        WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : -1, WIFCONTINUED(st));
}

int main(void)
{
    int st;
    pid_t pid = fork();
    if (pid == 0)
        _exit(42);
    CHECK(pid > 0, "fork: errno %d", errno);
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid exit");
    show("exit 42", st);
    say("raw status of exit 42: %#x\n", st);

    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    CHECK(kill(pid, SIGKILL) == 0, "kill: errno %d", errno);
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid kill");
    show("SIGKILL", st);

    pid = fork();
    if (pid == 0) {
        *(volatile int *)0 = 1;
        _exit(0);
    }
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid segv");
    show("SIGSEGV", st);

    pid = fork();
    if (pid == 0)
        abort();
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid abort");
    show("abort", st);

    /* Stop and continue. */
    pid = fork();
    if (pid == 0) {
        for (;;)
            nap(20);
    }
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG on a running child");
    say("WNOHANG while running: 0\n");
    CHECK(kill(pid, SIGSTOP) == 0, "SIGSTOP");
    CHECK(waitpid(pid, &st, WUNTRACED) == pid, "WUNTRACED");
    show("SIGSTOP", st);
    say("raw status of stop: %#x\n", st);
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED) == 0, "stop reported twice");
    CHECK(kill(pid, SIGCONT) == 0, "SIGCONT");
    CHECK(waitpid(pid, &st, WCONTINUED) == pid, "WCONTINUED");
    show("SIGCONT", st);
    say("raw status of continue: %#x\n", st);
    CHECK(kill(pid, SIGTERM) == 0, "SIGTERM");
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid term");
    show("SIGTERM", st);

    /* vfork: the parent waits until the child has exited. */
    pid = vfork();
    if (pid == 0) {
        (void)!write(1, "vfork child runs first\n", 23);
        _exit(7);
    }
    say("vfork parent resumes\n");
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid vfork");
    show("vfork", st);

    /* waitid with siginfo, WNOWAIT leaves the child waitable. */
    pid = fork();
    if (pid == 0)
        _exit(3);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0, "waitid WNOWAIT: errno %d", errno);
    say("waitid WNOWAIT: signo %d code %d (CLD_EXITED %d) status %d pid matches %d\n", si.si_signo, si.si_code,
        CLD_EXITED, si.si_status, si.si_pid == pid);
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_ALL, 0, &si, WEXITED) == 0, "waitid: errno %d", errno);
    say("waitid again: code %d status %d pid matches %d\n", si.si_code, si.si_status, si.si_pid == pid);
    pid = fork();
    if (pid == 0) {
        raise(SIGKILL);
        _exit(0);
    }
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED) == 0, "waitid killed");
    say("waitid killed: code %d (CLD_KILLED %d) status %d\n", si.si_code, CLD_KILLED, si.si_status);

    /* vfork's wait is killable: a parent whose vfork child neither execs
     * nor exits still dies of SIGKILL at once. */
    int hold[2], ran[2];
    CHECK(pipe(hold) == 0 && pipe(ran) == 0, "pipe: errno %d", errno);
    pid = fork();
    if (pid == 0) {
        if (vfork() == 0) {
            char c = 'r';
            (void)!write(ran[1], &c, 1);
            (void)!read(hold[0], &c, 1); /* until the test lets it go */
            _exit(0);
        }
        _exit(1); /* not before the vfork child has gone */
    }
    char c;
    CHECK(read(ran[0], &c, 1) == 1, "vfork child did not run");
    nap(50);
    CHECK(kill(pid, SIGKILL) == 0, "kill vfork parent");
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid vfork parent");
    show("vfork parent killed", st);
    CHECK(write(hold[1], &c, 1) == 1, "release vfork child");
    while (wait(0) > 0) /* the orphan, if it came to us (we are init) */
        ;
    close(hold[0]); close(hold[1]); close(ran[0]); close(ran[1]);

    /* Error paths. */
    report("wait with no children", wait(&st));
    report("waitpid bad options", waitpid(-1, &st, 0x10000));
    pid = fork();
    if (pid == 0)
        _exit(1);
    nap(100);
    report("wait4 bad status pointer", syscall(SYS_wait4, pid, (void *)8, 0, 0));
    while (wait(0) > 0)
        ;
    report("waitid no flags", waitid(P_ALL, 0, &si, 0));
    report("kill nonexistent pid", kill(99999, SIGTERM));
    report("kill bad signal", kill(getpid(), 65));
    report("kill signal 0 to self", kill(getpid(), 0));
    return finish("proc_wait");
}
