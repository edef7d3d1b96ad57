/* proctest.h - helpers of the process and signal oracle tests
 * (tests/linux/c/proc_*.c, sig_*.c), on top of common.h. */
#ifndef ORACLE_PROCTEST_H
#define ORACLE_PROCTEST_H
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
#endif
