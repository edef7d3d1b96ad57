/* mem_pressure: running out of memory (MelloOS only: the mem-pressure-smp2
 * test boots it as init with -m 64M; it is not in the Linux oracle's
 * script, whose OOM killer is free to pick init).
 *
 * Three programs at once, each started with vfork+execve so that init's
 * own pages are never shared copy-on-write (init never needs a frame
 * while memory is gone):
 *   hog    touches anonymous memory until MemFree is under 6 MiB, holds it,
 *          then maps 64 GiB regions without touching them until mmap fails
 *          (which must be ENOMEM);
 *   bomb   forks children (each blocks on a gate pipe) until fork fails
 *          (which must be EAGAIN or ENOMEM) or it is killed;
 *   script busybox sh writing, reading and removing files in /tmp, run while
 *          the hog holds the memory and beside the bomb: it may fail, but
 *          only as a process.
 * Then the hog gets SIGKILL, the gate opens, everything exits, and the
 * free-frame count must be back at its baseline exactly; busybox echo must
 * work again. The OOM killer (a user page fault that found no memory:
 * SIGKILL to the largest process, one "[OOM]" line) may end hog, bomb or
 * script; a kernel panic, init being killed or a leaked frame may not. */
#include <sys/mman.h>
#include <sys/wait.h>
#include "proctest.h"

#define MIB (1024L * 1024)

/* MemFree of /proc/meminfo, in KiB (-1 if unreadable). */
static long mem_free_kib(void)
{
    static char buf[4096];
    int fd = open("/proc/meminfo", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strstr(buf, "MemFree:");
    return p ? atol(p + 8) : -1;
}

/* Block until the gate pipe's write end is closed everywhere. */
static void wait_gate(int gate)
{
    char c;
    while (read(gate, &c, 1) > 0)
        ;
}

static int hog(int gate, int out)
{
    long touched = 0;
    for (;;) {
        long free_kib = mem_free_kib();
        if (free_kib >= 0 && free_kib < 6 * 1024)
            break;
        char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            dprintf(out, "hog: mmap of 1 MiB failed with %s after %ld MiB\n", errname(errno), touched);
            break;
        }
        for (long i = 0; i < MIB; i += 4096)
            p[i] = 1;
        touched++;
    }
    long maps = 0;
    while (maps < 1000000 && mmap(NULL, 64L << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) != MAP_FAILED)
        maps++;
    dprintf(out, "hog: held %ld MiB; 64 GiB mmap stopped with %s after %ld\n", touched, errname(errno), maps);
    close(out);
    wait_gate(gate);
    return 0;
}

static int bomb(int gate, int out)
{
    long n = 0;
    for (; n < 100000; n++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(out); /* or init would wait for this child's EOF too */
            wait_gate(gate);
            _exit(0);
        }
        if (pid < 0)
            break;
    }
    dprintf(out, "bomb: fork stopped with %s after %ld children\n", n == 100000 ? "-" : errname(errno), n);
    close(out);
    while (wait(NULL) > 0)
        ;
    return 0;
}

/* Read one child's report from `fd` until EOF into buf; "" if none. */
static void read_report(int fd, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
}

/* A report pipe whose write end is inherited (fd >= 3, no CLOEXEC) and a
 * read end kept by init only. */
static void report_pipe(int p[2])
{
    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    fcntl(p[1], F_SETFD, 0);
}

/* How a child ended, in words. */
static void ended(const char *who, int st)
{
    if (WIFEXITED(st))
        say("%s: exited %d\n", who, WEXITSTATUS(st));
    else
        say("%s: killed by signal %d\n", who, WTERMSIG(st));
}

static int check_report(const char *who, const char *text, const char *allowed[])
{
    if (!*text) {
        say("%s: no report (killed before it wrote one)\n", who);
        return 1;
    }
    say("%s", text);
    for (int i = 0; allowed[i]; i++)
        if (strstr(text, allowed[i]))
            return 1;
    return 0;
}

static char self[] = "/bin/linux/mem_pressure", bb[] = "/bin/busybox";

/* Steps 1-4 for the steps named (h, s, b), with fresh pipes each time. */
static void pressure(const char *steps)
{
    static char sh[] = "sh", dash_c[] = "-c";
    static char script[] = "i=0; while [ $i -lt 40 ]; do echo line$i > /tmp/p$i && cat /tmp/p$i >/dev/null; "
                           "i=$((i+1)); done; rm -f /tmp/p*; echo script done";
    static char gate_arg[16], out_arg[16], hog_arg[] = "hog", bomb_arg[] = "bomb";
    static char report[2][512];
    int st, gate[2], rep[2][2];
    pid_t pid;
    memset(report, 0, sizeof report);
    CHECK(pipe2(gate, O_CLOEXEC) == 0, "gate pipe");
    fcntl(gate[0], F_SETFD, 0);
    snprintf(gate_arg, sizeof gate_arg, "%d", gate[0]);

    /* 1. The hog saturates memory and holds it. */
    report_pipe(rep[0]);
    snprintf(out_arg, sizeof out_arg, "%d", rep[0][1]);
    char *hog_argv[] = { self, hog_arg, gate_arg, out_arg, NULL };
    pid_t hog_pid = strchr(steps, 'h') ? spawn(hog_argv, -1) : 0;
    close(rep[0][1]);
    read_report(rep[0][0], report[0], sizeof report[0]);
    close(rep[0][0]);
    if (hog_pid)
        say("under pressure: MemFree %s\n", mem_free_kib() < 6 * 1024 ? "under 6 MiB" : "6 MiB or more");

    /* 2 and 3. The busybox script and the fork bomb together, while the
     * hog holds its memory; the bomb's children hold theirs until the gate
     * opens. */
    char *script_argv[] = { bb, sh, dash_c, script, NULL };
    pid_t script_pid = strchr(steps, 's') ? spawn(script_argv, -1) : 0;
    report_pipe(rep[1]);
    snprintf(out_arg, sizeof out_arg, "%d", rep[1][1]);
    char *bomb_argv[] = { self, bomb_arg, gate_arg, out_arg, NULL };
    pid_t bomb_pid = strchr(steps, 'b') ? spawn(bomb_argv, -1) : 0;
    close(rep[1][1]);
    read_report(rep[1][0], report[1], sizeof report[1]);
    close(rep[1][0]);
    if (script_pid > 0 && waitpid(script_pid, &st, 0) == script_pid)
        ended("script", st);
    else if (script_pid < 0)
        say("script: could not start (%s)\n", errname(errno));

    /* The hog, if the OOM killer has not taken it, dies of SIGKILL while
     * it blocks (the kill path gives back everything too). */
    if (hog_pid > 0 && strchr(steps, 'k'))
        kill(hog_pid, SIGKILL);

    /* 4. Open the gate; reap everything (orphans of a killed bomb too). */
    close(gate[1]);
    close(gate[0]);
    long reaped = 0;
    while ((pid = wait(&st)) > 0) {
        reaped++;
        if (pid == hog_pid)
            ended("hog", st);
        else if (pid == bomb_pid)
            ended("bomb", st);
    }
    CHECK(errno == ECHILD, "wait ended with %s, not ECHILD", errname(errno));
    CHECK(reaped >= (long)!!strchr(steps, 'h') + !!strchr(steps, 'b'), "reaped %ld processes", reaped);

    static const char *hog_ok[] = { "stopped with ENOMEM", NULL };
    static const char *bomb_ok[] = { "fork stopped with EAGAIN", "fork stopped with ENOMEM", NULL };
    if (strchr(steps, 'h'))
        CHECK(check_report("hog", report[0], hog_ok), "hog's result is not an ENOMEM");
    if (strchr(steps, 'b'))
        CHECK(check_report("bomb", report[1], bomb_ok), "bomb's fork failure is not EAGAIN/ENOMEM");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "hog") == 0)
        return hog(atoi(argv[2]), atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "bomb") == 0)
        return bomb(atoi(argv[2]), atoi(argv[3]));

    /* argv[1] "steps=..." runs only some of h(og), s(cript), b(omb) and
     * k(ill the hog), to narrow down a finding. */
    const char *steps = argc == 2 && strncmp(argv[1], "steps=", 6) == 0 ? argv[1] + 6 : "hsbk";
    static char echo[] = "echo", after[] = "memory is back";

    /* Warm up: the first exec of busybox fills caches that stay, and a
     * pass with the bomb alone touches every page of init's own that the
     * real pass will (its stack, buffers and pipes). Then the baseline. */
    char *warm[] = { bb, echo, after, NULL };
    int st;
    pid_t pid = spawn(warm, -1);
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "warm-up busybox");
    say("warm-up:\n");
    pressure("b");
    say("memory before: MemFree %ld KiB\n", mem_free_kib());
    long base = settled_frames();

    pressure(steps);

    /* A script killed half-way leaves its files behind: they hold pages
     * rightly, so remove them before counting. */
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof name, "/tmp/p%d", i);
        unlink(name);
    }

    /* 5. Every frame back (exits finish asynchronously: wait a little). */
    long now = -1;
    for (int i = 0; i < 500 && now != base; i++) {
        nap(10);
        now = frames();
    }
    CHECK(base > 0 && now == base, "free frames %ld before, %ld after", base, now);
    if (base > 0 && now == base)
        say("leak check: every frame is back\n");
    char *again[] = { bb, echo, after, NULL };
    pid = spawn(again, -1);
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "busybox echo afterwards");
    return finish("mem_pressure");
}
