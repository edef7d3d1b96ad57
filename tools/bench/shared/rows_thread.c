/*
 * rows_thread.c - thread and signal rows: pthread_create+join (musl's
 * clone(CLONE_THREAD|CLONE_VM|...)), futex wake round trip between two
 * threads (ping-pong on two futex words), signal to self with a handler
 * (kill -> handler -> rt_sigreturn).
 */
#include "bench.h"
/* musl has no <linux/futex.h>: Linux's numbers */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#include <pthread.h>
#include <signal.h>
#include <string.h>

static void *thread_nop(void *arg)
{
    return arg;
}

ROW(pthread_create_join)
{
    for (uint64_t i = 0; i < c->n; i++) {
        pthread_t t;
        void *ret = NULL;
        uint64_t t0 = rdtsc();
        int e = pthread_create(&t, NULL, thread_nop, (void *)(uintptr_t)(i + 1));
        if (e)
            return errno = e, row_fail("pthread_create");
        e = pthread_join(t, &ret);
        r->total += rdtsc() - t0;
        if (e || ret != (void *)(uintptr_t)(i + 1))
            return errno = e, row_fail("pthread_join");
    }
    r->n = c->n;
    return 0;
}

static volatile int ping, pong, futex_stop;

static long futex(volatile int *w, int op, int val)
{
    return sys6(SYS_futex, (long)w, op | FUTEX_PRIVATE_FLAG, val, 0, 0, 0);
}

static void *ponger(void *arg)
{
    (void)arg;
    for (;;) {
        while (!__atomic_load_n(&ping, __ATOMIC_ACQUIRE))
            futex(&ping, FUTEX_WAIT, 0);
        __atomic_store_n(&ping, 0, __ATOMIC_RELAXED);
        if (futex_stop)
            return NULL;
        __atomic_store_n(&pong, 1, __ATOMIC_RELEASE);
        futex(&pong, FUTEX_WAKE, 1);
    }
}

/* One op: set ping + FUTEX_WAKE, sleep in FUTEX_WAIT until the other
 * thread sets pong and wakes us. */
static void roundtrip(void)
{
    __atomic_store_n(&ping, 1, __ATOMIC_RELEASE);
    futex(&ping, FUTEX_WAKE, 1);
    while (!__atomic_load_n(&pong, __ATOMIC_ACQUIRE))
        futex(&pong, FUTEX_WAIT, 0);
    __atomic_store_n(&pong, 0, __ATOMIC_RELAXED);
}

ROW(futex_roundtrip)
{
    pthread_t t;
    ping = pong = futex_stop = 0;
    int e = pthread_create(&t, NULL, ponger, NULL);
    if (e)
        return errno = e, row_fail("pthread_create");
    for (int i = 0; i < 16; i++)
        roundtrip();
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n; i++)
        roundtrip();
    r->total = rdtsc() - t0;
    futex_stop = 1;
    __atomic_store_n(&ping, 1, __ATOMIC_RELEASE);
    futex(&ping, FUTEX_WAKE, 1);
    if ((e = pthread_join(t, NULL)))
        return errno = e, row_fail("pthread_join");
    r->n = c->n;
    return 0;
}

static volatile uint64_t handled;

static void on_usr1(int sig)
{
    if (sig == SIGUSR1)
        handled++;
}

ROW(signal_self)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, &old))
        return row_fail("sigaction");
    long pid = sys0(SYS_getpid);
    handled = 0;
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n; i++)
        sys3(SYS_kill, pid, SIGUSR1, 0);
    r->total = rdtsc() - t0;
    sigaction(SIGUSR1, &old, NULL);
    if (handled != c->n)
        return errno = 0, row_fail("handler ran %llu times for %llu kills",
                                   (unsigned long long)handled, (unsigned long long)c->n);
    r->n = c->n;
    return 0;
}
