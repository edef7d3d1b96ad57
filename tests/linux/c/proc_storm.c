/* proc_storm: many processes at once, on every CPU there is.  Races that
 * a one-process test never meets (the FIFO rendezvous, signals crossing
 * CPUs, a parent's wait against its children's exits) show up here as a
 * wrong count or a hang.
 *   1. exec storm: 4 workers, each 40 rounds of fork + execve(self, "child
 *      K") + wait4; child K exits with K, and every status must say so.
 *   2. FIFO pairs: 4 writer/reader pairs, each opening its own FIFO from
 *      both ends at once (each open waits for the other side), 200 lines
 *      through each, the reader checking their order and the final EOF.
 *   3. signal ping-pong: 4 children, each woken 100 times by SIGUSR1 from
 *      the parent out of sigsuspend, acknowledging each on a pipe.
 *   4. kill storm: 16 spinning children, SIGKILLed together, all reaped
 *      with WTERMSIG == SIGKILL.
 * Only totals are printed, so the output is the same on any CPU count. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "proctest.h"

#define WORKERS 4
#define ROUNDS 40
#define LINES 200
#define PINGS 100
#define SPINNERS 16

static const char *self;

/* Phase 1: one worker's rounds; returns how many statuses were right. */
static int exec_rounds(int w)
{
    int good = 0;
    for (int r = 0; r < ROUNDS; r++) {
        int k = w * ROUNDS + r + 1;
        pid_t pid = fork();
        if (pid == 0) {
            char arg[16];
            snprintf(arg, sizeof arg, "%d", k);
            char *argv[] = { (char *)self, "child", arg, NULL };
            char *envp[] = { NULL };
            execve(self, argv, envp);
            _exit(255);
        }
        int st;
        if (pid > 0 && wait4(pid, &st, 0, NULL) == pid && WIFEXITED(st) && WEXITSTATUS(st) == (k & 255))
            good++;
    }
    return good;
}

static void exec_storm(void)
{
    pid_t w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = fork();
        if (w[i] == 0)
            _exit(exec_rounds(i));
    }
    int total = 0;
    for (int i = 0; i < WORKERS; i++) {
        int st;
        CHECK(w[i] > 0 && waitpid(w[i], &st, 0) == w[i] && WIFEXITED(st), "exec worker %d", i);
        total += WEXITSTATUS(st);
    }
    say("exec storm: %d of %d children exited with their own code\n", total, WORKERS * ROUNDS);
}

/* Phase 2: the reader's side of pair i; exits 0 if all lines came in order. */
static int fifo_reader(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 2;
    FILE *in = fdopen(fd, "r");
    char line[64], want[64];
    int n = 0;
    while (fgets(line, sizeof line, in)) {
        snprintf(want, sizeof want, "line %d\n", n);
        if (strcmp(line, want) != 0)
            return 3;
        n++;
    }
    return n == LINES ? 0 : 4;
}

static int fifo_writer(const char *path)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return 2;
    for (int n = 0; n < LINES; n++) {
        char line[64];
        int len = snprintf(line, sizeof line, "line %d\n", n);
        if (write(fd, line, (size_t)len) != len)
            return 3;
    }
    return close(fd) == 0 ? 0 : 4;
}

static void fifo_pairs(void)
{
    pid_t kids[2 * WORKERS];
    char path[WORKERS][32];
    for (int i = 0; i < WORKERS; i++) {
        snprintf(path[i], sizeof path[i], "/tmp/storm-fifo-%d", i);
        unlink(path[i]);
        CHECK(mkfifo(path[i], 0600) == 0, "mkfifo %d: errno %d", i, errno);
    }
    /* Readers and writers alternate, so each open finds the other side
     * sometimes there already and sometimes not yet. */
    for (int i = 0; i < 2 * WORKERS; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            _exit((i & 1) ? fifo_writer(path[i / 2]) : fifo_reader(path[i / 2]));
    }
    int good = 0;
    for (int i = 0; i < 2 * WORKERS; i++) {
        int st;
        if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            good++;
    }
    for (int i = 0; i < WORKERS; i++)
        unlink(path[i]);
    say("fifo pairs: %d of %d ends finished cleanly (%d lines each way)\n", good, 2 * WORKERS, LINES);
}

static volatile sig_atomic_t pinged;
static void on_usr1(int sig)
{
    (void)sig;
    pinged++;
}

/* Phase 3: a child that acknowledges every SIGUSR1 on `ack`. */
static int ponger(int ack)
{
    sigset_t none;
    sigemptyset(&none);
    for (int n = 0; n < PINGS; n++) {
        while (pinged == n)
            sigsuspend(&none);
        char c = 'p';
        if (write(ack, &c, 1) != 1)
            return 2;
    }
    return pinged == PINGS ? 0 : 3;
}

static void signal_pingpong(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    /* Blocked from before fork until sigsuspend: no ping is lost. */
    sigprocmask(SIG_BLOCK, &usr1, &old);
    pid_t kids[WORKERS];
    int acks[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        int p[2];
        CHECK(pipe(p) == 0, "pipe: errno %d", errno);
        kids[i] = fork();
        if (kids[i] == 0) {
            close(p[0]);
            _exit(ponger(p[1]));
        }
        close(p[1]);
        acks[i] = p[0];
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    int acked = 0;
    for (int n = 0; n < PINGS; n++) {
        for (int i = 0; i < WORKERS; i++)
            kill(kids[i], SIGUSR1);
        for (int i = 0; i < WORKERS; i++) {
            char c;
            if (read(acks[i], &c, 1) == 1)
                acked++;
        }
    }
    int good = 0;
    for (int i = 0; i < WORKERS; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            good++;
        close(acks[i]);
    }
    say("signal ping-pong: %d of %d acknowledged, %d of %d children exited 0\n", acked, WORKERS * PINGS, good, WORKERS);
}

static void kill_storm(void)
{
    pid_t kids[SPINNERS];
    int ready[2];
    CHECK(pipe(ready) == 0, "pipe: errno %d", errno);
    for (int i = 0; i < SPINNERS; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            close(ready[0]);
            (void)!write(ready[1], "r", 1);
            for (volatile unsigned long x = 0;; x++)
                ;
        }
    }
    close(ready[1]);
    for (int i = 0; i < SPINNERS; i++) {
        char c;
        CHECK(read(ready[0], &c, 1) == 1, "spinner %d never started", i);
    }
    close(ready[0]);
    for (int i = 0; i < SPINNERS; i++)
        kill(kids[i], SIGKILL);
    int killed = 0;
    for (int i = 0; i < SPINNERS; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) == kids[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
            killed++;
    }
    int st;
    report("wait with no children left", waitpid(-1, &st, WNOHANG));
    say("kill storm: %d of %d spinners reaped as SIGKILLed\n", killed, SPINNERS);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return atoi(argv[2]) & 255;
    self = argv[0];
    exec_storm();
    fifo_pairs();
    signal_pingpong();
    kill_storm();
    return finish("proc_storm");
}
