/* nanosleep: a short sleep lasts at least as long as asked (measured with
 * CLOCK_MONOTONIC, printed only as yes/no); bad arguments are EINVAL/EFAULT. */
#include <time.h>
#include <sys/syscall.h>
#include "common.h"

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
    struct timespec req = { 0, 20 * 1000 * 1000 }, rem = { 7, 7 };
    long long t0 = now_ns();
    int r = nanosleep(&req, &rem);
    long long dt = now_ns() - t0;
    say("nanosleep 20ms: ret %d, lasted at least 20ms: %s\n", r, dt >= 20000000LL ? "yes" : "no");
    CHECK(r == 0 && dt >= 20000000LL, "slept %lld ns", dt);
    say("rem untouched on success: %s\n", rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "no");

    req.tv_sec = 0;
    req.tv_nsec = 0;
    r = nanosleep(&req, 0);
    say("nanosleep 0: ret %d\n", r);
    CHECK(r == 0, "nanosleep 0 failed: errno %d", errno);

    req.tv_nsec = 1000000000L;
    errno = 0;
    r = nanosleep(&req, 0);
    say("tv_nsec 1e9: ret %d errno %d\n", r, errno);
    CHECK(r == -1 && errno == EINVAL, "want EINVAL");
    req.tv_sec = -1;
    req.tv_nsec = 0;
    errno = 0;
    r = nanosleep(&req, 0);
    say("tv_sec -1: ret %d errno %d\n", r, errno);
    CHECK(r == -1 && errno == EINVAL, "want EINVAL");
    errno = 0;
    long rr = syscall(SYS_nanosleep, (void *)8, 0);
    say("bad pointer: ret %ld errno %d\n", rr, errno);
    CHECK(rr == -1 && errno == EFAULT, "want EFAULT");

    /* CLOCK_MONOTONIC never goes back. */
    long long a = now_ns(), b = now_ns();
    say("monotonic: %s\n", b >= a ? "yes" : "no");
    CHECK(b >= a, "clock went back");
    return finish("nanosleep");
}
