/* proctest.h - helpers of the process and signal oracle tests
 * (tests/linux/c/proc_*.c, sig_*.c), on top of common.h. */
#ifndef ORACLE_PROCTEST_H
#define ORACLE_PROCTEST_H
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common.h"

/* The symbolic name of errno value e (the ones these tests expect). */
__attribute__((unused)) static const char *errname(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    case EPIPE: return "EPIPE";
    case ENOSYS: return "ENOSYS";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return "other";
    }
}

/* Print "WHAT: R errno NAME" for a call's result R (errno is read after
 * the call, which is evaluated before this function runs). */
__attribute__((unused)) static void report(const char *what, long r)
{
    int e = errno;
    say("%s: %ld errno %s\n", what, r, r < 0 ? errname(e) : "-");
    errno = 0;
}

/* Sleep ms milliseconds (restarting after handled signals). */
__attribute__((unused)) static void nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
/* res.NAME of /proc/mellos/metrics, or -1 (read without stdio, so that
 * reading allocates nothing). */
__attribute__((unused)) static char metrics[16384];
__attribute__((unused)) static long metric(const char *name)
{
    /* Every page of the buffer touched each time: a reply that grows past
     * a page boundary must not count as a frame the kernel lost. */
    memset(metrics, 0, sizeof metrics);
    int fd = open("/proc/mellos/metrics", O_RDONLY);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t n;
    while (len < sizeof metrics - 1 && (n = read(fd, metrics + len, sizeof metrics - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    metrics[len] = 0;
    size_t k = strlen(name);
    for (char *line = metrics; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : 0)
        if (strncmp(line, name, k) == 0 && line[k] == ' ')
            return atol(line + k + 1);
    return -1;
}

extern char **environ;

/* vfork+execve argv; the child's stdout goes to `out` (if >= 0). */
__attribute__((unused)) static pid_t spawn(char *const argv[], int out)
{
    pid_t pid = vfork();
    if (pid == 0) {
        if (out >= 0)
            dup2(out, 1);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    return pid;
}

/* Free frames, plus the kernel's own page tables (never freed: the
 * tables of the kernel-stack area grow with the most processes there
 * have been, as Linux's vmalloc tables do). */
__attribute__((unused)) static long frames(void)
{
    long free = metric("res.free_frames"), tables = metric("res.kernel_tables");
    return free < 0 || tables < 0 ? -1 : free + tables;
}

/* frames() once it has stopped moving (a reaped process's last frames
 * are freed after wait returns, on whichever CPU ran it): the same value
 * five times 20 ms apart, or the last one after 5 s. */
__attribute__((unused)) static long settled_frames(void)
{
    long last = frames();
    for (int same = 0, i = 0; same < 5 && i < 250; i++) {
        nap(20);
        long now = frames();
        same = now == last ? same + 1 : 0;
        last = now;
    }
    return last;
}

#endif
