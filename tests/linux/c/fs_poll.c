/* fs_poll: readiness through Linux's poll, ppoll, select and pselect6 on
 * pipes and files: timeouts that really wait (elapsed time measured with
 * CLOCK_MONOTONIC), POLLIN once data is there, POLLOUT on a writable end
 * and not on a full one, POLLHUP once the writer is gone, POLLERR once the
 * reader is, POLLNVAL for a closed descriptor, select's result sets and
 * EBADF, timeouts written back; then the system-information calls a
 * shell needs: sysinfo, getrlimit/prlimit64, syslog. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include "common.h"

static void report(const char *what, long ret, int want)
{
    int e = ret < 0 ? errno : 0;
    say("%s: ret %ld errno %d\n", what, ret, e);
    CHECK(ret == -1 && e == want, "%s: want errno %d", what, want);
}

static long ms_since(struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    (void)!pipe(p);
    struct pollfd fds[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}};
    struct timespec t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = poll(fds, 1, 200);
    long el = ms_since(&t0);
    say("poll empty pipe, 200 ms: %d revents %x, waited >= 200 ms: %s, < 2 s: %s\n", r, fds[0].revents,
        el >= 200 ? "yes" : "no", el < 2000 ? "yes" : "no");
    say("poll zero timeout: %d\n", poll(fds, 1, 0));
    r = poll(fds, 3, 0);
    say("poll both ends + negative fd: %d revents %x %x %x\n", r, fds[0].revents, fds[1].revents, fds[2].revents);
    (void)!write(p[1], "x", 1);
    r = poll(fds, 2, -1);
    say("poll after a write: %d revents %x %x\n", r, fds[0].revents, fds[1].revents);
    struct pollfd rd = {p[0], POLLIN | POLLRDNORM | POLLOUT, 0};
    r = poll(&rd, 1, 0);
    say("poll read end asking POLLOUT too: %d revents %x\n", r, rd.revents);

    /* ppoll with a timespec, written back */
    char c;
    (void)!read(p[0], &c, 1);
    struct timespec ts = {0, 150000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = ppoll(fds, 1, &ts, NULL);
    el = ms_since(&t0);
    say("ppoll 150 ms: %d, waited >= 150 ms: %s, time left %ld.%09ld\n", r, el >= 150 ? "yes" : "no",
        (long)ts.tv_sec, ts.tv_nsec);
    struct timespec bad = {0, 2000000000};
    report("ppoll bad timespec", ppoll(fds, 1, &bad, NULL), EINVAL);
    sigset_t mask;
    sigemptyset(&mask);
    struct timespec z = {0, 0};
    say("ppoll with a signal mask: %d\n", ppoll(fds, 1, &z, &mask));
    report("ppoll bad sigsetsize", syscall(SYS_ppoll, fds, 1, &z, &mask, 4), EINVAL);
    report("poll bad pointer", poll((void *)8, 1, 0), EFAULT);
    report("poll too many", poll(fds, 100000, 0), EINVAL);

    /* a full pipe is not writable; room makes it writable */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    static char big[65536];
    long put = 0, n;
    while ((n = write(p[1], big, sizeof big)) > 0)
        put += n;
    say("filled %ld bytes\n", put);
    struct pollfd wr = {p[1], POLLOUT, 0};
    say("poll full pipe for POLLOUT: %d\n", poll(&wr, 1, 50));
    (void)!read(p[0], big, 8192);
    r = poll(&wr, 1, 0);
    say("after reading 8192: %d revents %x\n", r, wr.revents);
    while (read(p[0], big, sizeof big) == (long)sizeof big)
        ;

    /* hang-up and error */
    close(p[1]);
    fds[0].revents = 0;
    r = poll(fds, 1, -1);
    say("read end after the writer closed: %d revents %x\n", r, fds[0].revents);
    close(p[0]);
    r = poll(fds, 1, 0);
    say("closed fd: %d revents %x\n", r, fds[0].revents);
    (void)!pipe(p);
    close(p[0]);
    struct pollfd er = {p[1], POLLOUT, 0};
    r = poll(&er, 1, 0);
    say("write end without a reader: %d revents %x\n", r, er.revents);
    close(p[1]);

    /* a regular file is always ready */
    int f = open("/tmp/pollfile", O_CREAT | O_RDWR, 0644);
    struct pollfd pf = {f, POLLIN | POLLOUT, 0};
    r = poll(&pf, 1, -1);
    say("regular file: %d revents %x\n", r, pf.revents);

    /* select */
    (void)!pipe(p);
    fd_set rs, ws;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_SET(p[0], &rs);
    struct timeval tv = {0, 120000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = select(p[0] + 1, &rs, NULL, NULL, &tv);
    el = ms_since(&t0);
    say("select empty pipe 120 ms: %d, waited >= 120 ms: %s, set cleared: %s, tv left %ld.%06ld\n", r,
        el >= 120 ? "yes" : "no", FD_ISSET(p[0], &rs) ? "no" : "yes", (long)tv.tv_sec, (long)tv.tv_usec);
    (void)!write(p[1], "y", 1);
    FD_SET(p[0], &rs);
    FD_SET(p[1], &ws);
    FD_SET(f, &ws);
    int maxfd = (p[1] > f ? p[1] : f) + 1;
    r = select(maxfd, &rs, &ws, NULL, NULL);
    say("select with data: %d, read %d, write pipe %d, write file %d\n", r, FD_ISSET(p[0], &rs),
        FD_ISSET(p[1], &ws), FD_ISSET(f, &ws));
    FD_ZERO(&rs);
    FD_SET(40, &rs);
    report("select on a closed fd", select(41, &rs, NULL, NULL, NULL), EBADF);
    report("select negative nfds", select(-1, NULL, NULL, NULL, NULL), EINVAL);
    struct timeval badtv = {-1, 0};
    report("select bad timeval", select(1, NULL, NULL, NULL, &badtv), EINVAL);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timespec pts = {1, 0};
    r = pselect(p[0] + 1, &rs, NULL, NULL, &pts, &mask);
    say("pselect with data: %d, read %d\n", r, FD_ISSET(p[0], &rs));
    (void)!read(p[0], &c, 1);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    pts.tv_sec = 0;
    pts.tv_nsec = 100000000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = pselect(p[0] + 1, &rs, NULL, NULL, &pts, NULL);
    el = ms_since(&t0);
    say("pselect empty 100 ms: %d, waited >= 100 ms: %s\n", r, el >= 100 ? "yes" : "no");
    close(p[0]);
    close(p[1]);
    close(f);
    unlink("/tmp/pollfile");

    /* sysinfo, limits, the kernel log */
    struct sysinfo si;
    say("sysinfo: %d\n", sysinfo(&si));
    say("  mem_unit %u, total > free > 0: %s, procs >= 1: %s, uptime below a day: %s, no swap: %s\n", si.mem_unit,
        si.totalram > si.freeram && si.freeram > 0 ? "yes" : "no", si.procs >= 1 ? "yes" : "no",
        si.uptime < 86400 ? "yes" : "no", si.totalswap == 0 ? "yes" : "no");
    report("sysinfo bad pointer", sysinfo((void *)8), EFAULT);
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    say("RLIMIT_STACK %ld, hard infinite: %s\n", (long)rl.rlim_cur, rl.rlim_max == RLIM_INFINITY ? "yes" : "no");
    getrlimit(RLIMIT_CORE, &rl);
    say("RLIMIT_CORE soft %ld\n", (long)rl.rlim_cur);
    getrlimit(RLIMIT_AS, &rl);
    say("RLIMIT_AS infinite: %s\n", rl.rlim_cur == RLIM_INFINITY && rl.rlim_max == RLIM_INFINITY ? "yes" : "no");
    struct rlimit old, set = {1 << 20, RLIM_INFINITY};
    say("prlimit64 set FSIZE: %ld\n", (long)syscall(SYS_prlimit64, 0, RLIMIT_FSIZE, &set, &old));
    say("  old infinite: %s\n", old.rlim_cur == RLIM_INFINITY ? "yes" : "no");
    getrlimit(RLIMIT_FSIZE, &rl);
    say("  now %ld\n", (long)rl.rlim_cur);
    report("getrlimit bad resource", getrlimit(99, &rl), EINVAL);
    report("getrlimit bad pointer", getrlimit(RLIMIT_CORE, (void *)8), EFAULT);
    int size = klogctl(10, NULL, 0);
    say("syslog buffer size > 0: %s\n", size > 0 ? "yes" : "no");
    static char logbuf[1 << 18];
    int got = klogctl(3, logbuf, sizeof logbuf);
    say("syslog READ_ALL > 0: %s, starts with '<': %s\n", got > 0 ? "yes" : "no", logbuf[0] == '<' ? "yes" : "no");
    got = klogctl(3, logbuf, 20);
    say("syslog READ_ALL of 20 bytes: at most 20: %s\n", got >= 0 && got <= 20 ? "yes" : "no");
    report("syslog bad type", klogctl(99, logbuf, 1), EINVAL);
    report("syslog negative length", klogctl(3, logbuf, -1), EINVAL);
    say("syslog open/close: %d %d\n", klogctl(1, NULL, 0), klogctl(0, NULL, 0));
    return finish("fs_poll");
}
