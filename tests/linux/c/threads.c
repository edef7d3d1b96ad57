/* threads: musl's POSIX threads over clone(CLONE_THREAD), futex and
 * exit_group: 8 threads adding 100,000 times each under a mutex (the exact
 * total), pthread_join of all, getpid/gettid in threads, __thread variables
 * distinct per thread, a condition-variable producer/consumer of 10,000
 * items in order, pthread_exit and a detached thread, the first thread
 * leaving before the last one (wait4 reports the group once, after the
 * last), exit_group from one thread while the others spin, a fault in one
 * thread killing the whole process, tgkill to one thread, and 1,000
 * create/join cycles leaving MelloOS's free frames and kernel stacks
 * (/proc/mellos/metrics) where they were (no such file under Linux: the
 * check then passes as there is nothing to compare). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "proctest.h"

#define NTHREADS 8
#define ADDS 100000
#define ITEMS 10000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread int tls_id;
static __thread long tls_init = 42;
static pid_t main_pid;

struct result {
    long tid;
    int same_pid, tls_ok;
};

static void *adder(void *arg)
{
    struct result *r = arg;
    tls_id = (int)syscall(SYS_gettid);
    for (int i = 0; i < ADDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    r->tid = syscall(SYS_gettid);
    r->same_pid = getpid() == main_pid;
    r->tls_ok = tls_id == r->tid && tls_init == 42;
    tls_init = r->tid;
    return r;
}

/* A bounded queue under one mutex and two condition variables. */
#define QSIZE 16
static int queue[QSIZE];
static int q_head, q_len;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER, q_nonfull = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QSIZE)
            pthread_cond_wait(&q_nonfull, &q_lock);
        queue[(q_head + q_len) % QSIZE] = i;
        q_len++;
        pthread_cond_signal(&q_nonempty);
        pthread_mutex_unlock(&q_lock);
    }
    return 0;
}

static void *exiter(void *arg)
{
    pthread_exit(arg);
}

static atomic_int detached_ran;
static void *detached(void *arg)
{
    (void)arg;
    atomic_store(&detached_ran, 1);
    return 0;
}

static atomic_int spinning;
static void *spinner(void *arg)
{
    (void)arg;
    atomic_fetch_add(&spinning, 1);
    for (;;)
        ;
    return 0;
}

static void *group_exiter(void *arg)
{
    (void)arg;
    while (atomic_load(&spinning) < 3)
        ;
    syscall(SYS_exit_group, 7);
    return 0;
}

static volatile int *volatile bad_pointer; /* NULL, unknown to the compiler */
static void *faulter(void *arg)
{
    (void)arg;
    while (atomic_load(&spinning) < 2)
        ;
    *bad_pointer = 1;
    return 0;
}

static void *last_one(void *arg)
{
    (void)arg;
    nap(50);
    exit(getpid() == main_pid ? 5 : 6);
}

static volatile sig_atomic_t usr1_tid;
static void on_usr1(int sig)
{
    (void)sig;
    usr1_tid = (sig_atomic_t)syscall(SYS_gettid);
}

static atomic_int target_tid, target_go;
static void *target(void *arg)
{
    (void)arg;
    atomic_store(&target_tid, (int)syscall(SYS_gettid));
    while (!atomic_load(&target_go))
        nap(1);
    return 0;
}

static void *nothing(void *arg)
{
    return arg;
}

static void cycles(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t t;
        void *ret = 0;
        CHECK(pthread_create(&t, 0, nothing, (void *)(long)i) == 0, "pthread_create in cycle %d", i);
        CHECK(pthread_join(t, &ret) == 0 && ret == (void *)(long)i, "join in cycle %d", i);
    }
}

int main(void)
{
    int st;
    main_pid = getpid();

    /* The counter. */
    pthread_t t[NTHREADS];
    struct result res[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], 0, adder, &res[i]) == 0, "pthread_create %d", i);
    int joined = 0, distinct = 1, same_pid = 1, tls_ok = 1;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret = 0;
        joined += pthread_join(t[i], &ret) == 0 && ret == &res[i];
    }
    for (int i = 0; i < NTHREADS; i++) {
        distinct &= res[i].tid > 0 && res[i].tid != main_pid;
        for (int j = 0; j < i; j++)
            distinct &= res[i].tid != res[j].tid;
        same_pid &= res[i].same_pid;
        tls_ok &= res[i].tls_ok;
    }
    say("counter: %ld (expected %d)\n", counter, NTHREADS * ADDS);
    say("joined: %d, tids distinct and not the pid: %d, getpid the same in every thread: %d\n", joined, distinct,
        same_pid);
    say("__thread variables per thread: %d, main thread's untouched: %d\n", tls_ok, tls_init == 42 && tls_id == 0);
    say("gettid of the main thread is the pid: %d\n", syscall(SYS_gettid) == main_pid);

    /* Producer/consumer. */
    pthread_t prod;
    CHECK(pthread_create(&prod, 0, producer, 0) == 0, "pthread_create producer");
    int in_order = 1;
    long sum = 0;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0)
            pthread_cond_wait(&q_nonempty, &q_lock);
        int v = queue[q_head];
        q_head = (q_head + 1) % QSIZE;
        q_len--;
        pthread_cond_signal(&q_nonfull);
        pthread_mutex_unlock(&q_lock);
        in_order &= v == i;
        sum += v;
    }
    pthread_join(prod, 0);
    say("condvar queue: %d items in order: %d, sum %ld\n", ITEMS, in_order, sum);

    /* pthread_exit's value, and a detached thread. */
    pthread_t ex, det;
    void *ret = 0;
    pthread_create(&ex, 0, exiter, (void *)1234);
    pthread_join(ex, &ret);
    say("pthread_exit value: %ld\n", (long)ret);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    CHECK(pthread_create(&det, &attr, detached, 0) == 0, "detached thread");
    for (int i = 0; i < 1000 && !atomic_load(&detached_ran); i++)
        nap(1);
    say("detached thread ran: %d\n", atomic_load(&detached_ran));

    /* tgkill: a handler runs in the thread it was sent to. */
    signal(SIGUSR1, on_usr1);
    pthread_t tg;
    pthread_create(&tg, 0, target, 0);
    while (!atomic_load(&target_tid))
        nap(1);
    int tt = atomic_load(&target_tid);
    report("tgkill to the thread", syscall(SYS_tgkill, main_pid, tt, SIGUSR1));
    for (int i = 0; i < 1000 && !usr1_tid; i++)
        nap(1);
    say("the handler ran in that thread: %d\n", usr1_tid == tt);
    report("tgkill with the wrong group", syscall(SYS_tgkill, main_pid + 100000, tt, 0));
    atomic_store(&target_go, 1);
    pthread_join(tg, 0);
    nap(20);
    report("tgkill to a thread that ended", syscall(SYS_tgkill, main_pid, tt, 0));

    /* The first thread leaves first; the last one's exit is the status. */
    pid_t pid = fork();
    if (pid == 0) {
        main_pid = getpid();
        pthread_t lt;
        pthread_create(&lt, 0, last_one, 0);
        pthread_exit(0);
    }
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid first-leaves child");
    say("first thread left before the last: exited %d, code %d\n", WIFEXITED(st), WEXITSTATUS(st));

    /* exit_group from one thread while three others spin. */
    pid = fork();
    if (pid == 0) {
        pthread_t s;
        for (int i = 0; i < 3; i++)
            pthread_create(&s, 0, spinner, 0);
        pthread_create(&s, 0, group_exiter, 0);
        for (;;)
            ;
    }
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid exit_group child");
    say("exit_group(7) from a thread: exited %d, code %d\n", WIFEXITED(st), WEXITSTATUS(st));
    report("its status seen once (second waitpid)", waitpid(pid, &st, WNOHANG));

    /* A fault in one thread kills the process. */
    atomic_store(&spinning, 0);
    pid = fork();
    if (pid == 0) {
        pthread_t s;
        for (int i = 0; i < 2; i++)
            pthread_create(&s, 0, spinner, 0);
        pthread_create(&s, 0, faulter, 0);
        for (;;)
            nap(10);
    }
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid fault child");
    say("fault in one thread: killed %d by SIGSEGV %d\n", WIFSIGNALED(st), WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);

    /* Leaks: 1,000 create/join cycles after a warm-up. */
    cycles(20);
    nap(50);
    long before = frames(), stacks = metric("res.kstacks"), tables = metric("res.kernel_tables");
    cycles(1000);
    long frames2 = -1, stacks2 = -1;
    for (int i = 0; i < 100; i++) {
        nap(10);
        frames2 = frames();
        stacks2 = metric("res.kstacks");
        if (frames2 == before && stacks2 == stacks)
            break;
    }
    if (frames2 == before && stacks2 == stacks)
        say("leak check after 1000 create/join cycles: ok\n");
    else
        say("leak check after 1000 create/join cycles: free frames + kernel tables %ld -> %ld (tables %ld -> %ld), "
            "kernel stacks %ld -> %ld\n", before, frames2, tables, metric("res.kernel_tables"), stacks, stacks2);
    return finish("threads");
}
