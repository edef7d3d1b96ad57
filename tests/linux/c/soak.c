/* soak: a mixed workload for a chosen time, then a leak check (MelloOS
 * only: `make soak` boots it as init on 16 CPUs, the soak-smoke test for
 * a few seconds; it is not in the Linux oracle's script: it reads
 * /proc/mellos/metrics and runs MelloOS's native programs).
 *
 *   init=/bin/linux/soak abi=linux -- SECONDS [SEED]
 *
 * Each round runs four workloads at once and checks each one's result:
 *   fuzz      the native system-call fuzzer (/bin/fuzz, 10,000 calls by 4
 *             workers, seed SEED + round, IPC calls masked out, its own
 *             leak check off): exit status 0 (no finding);
 *   busybox   sh making, hashing, sorting and removing files in /tmp: its
 *             output must be exactly "5";
 *   pingpong  1,000 IPC round trips between two native processes: exit 0;
 *   threads   8 threads adding 10,000 times each under one mutex: 80,000.
 * Rounds repeat until SECONDS have passed (at least one after the warm-up
 * round; a workload still running after 600 s is shown, killed and
 * counted as a finding). Then the resource counters of /proc/mellos/metrics (free frames
 * with kernel page tables, heap bytes free, kernel stacks, open files,
 * processes, inodes) must be back at the baseline taken after the warm-up round
 * (the heap within HEAP_SLACK).
 * Prints "[SOAK] round N: ..." per round, a finding per failed workload,
 * "[SOAK] leak check: ..." lines and
 * "[SOAK] done: R rounds in S s, F findings, L leaks"; exit 0 iff F and L
 * are 0. */
#include <pthread.h>
#include <sys/wait.h>
#include "proctest.h"

#define FUZZ_CALLS 10000
#define PINGPONG_ROUNDS 1000
#define THREADS 8
#define ADDS 10000
/* Seconds a round may take before its stragglers count as hung. */
#define ROUND_LIMIT 600

static char fuzz[] = "/bin/fuzz", pingpong[] = "/bin/pingpong", bb[] = "/bin/busybox";
static char sh[] = "sh", dash_c[] = "-c";
static char script[] =
    "d=/tmp/soak.$$; mkdir -p $d && cd $d || exit 1; i=0; while [ $i -lt 10 ]; do "
    "seq 1 200 | sort -rn | head -n 5 > f$i && md5sum f$i > /dev/null || exit 1; i=$((i+1)); done; "
    "cat f* | sort | uniq | wc -l; cd / && rm -rf $d";

/* The threads workload. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static int threads_child(void)
{
    pthread_t t[THREADS];
    counter = 0;
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, adder, NULL) != 0)
            return 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    return counter == (long)THREADS * ADDS ? 0 : 2;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for `pid` until `deadline` (CLOCK_MONOTONIC seconds); a child
 * still running then is shown (/proc/PID/stat), killed and reaped, and
 * the result is 0. */
static int reap(pid_t pid, int *st, double deadline)
{
    while (now_s() < deadline) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid)
            return 1;
        if (r < 0)
            return 0;
        nap(50);
    }
    char path[32], line[256] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t k = read(fd, line, sizeof line - 1);
        line[k > 0 ? k : 0] = 0;
        close(fd);
    }
    say("[SOAK] still running: %s", line);
    kill(pid, SIGKILL);
    waitpid(pid, st, 0);
    return 0;
}

/* One round; returns its findings. */
static int round_once(int n, unsigned long seed)
{
    double t0 = now_s();
    char seed_arg[32], calls_arg[32], rounds_arg[16];
    static char procs_arg[] = "procs=4", leaks_arg[] = "leaks=0", mask_arg[] = "mask=0xffffffffffffffe7";
    static char port_arg[] = "100"; /* the fuzzer's workers use 200.. */
    snprintf(seed_arg, sizeof seed_arg, "seed=%lu", seed + (unsigned long)n);
    snprintf(calls_arg, sizeof calls_arg, "calls=%d", FUZZ_CALLS);
    snprintf(rounds_arg, sizeof rounds_arg, "%d", PINGPONG_ROUNDS);
    char *fuzz_argv[] = { fuzz, seed_arg, calls_arg, procs_arg, leaks_arg, mask_arg, NULL };
    char *pp_argv[] = { pingpong, port_arg, rounds_arg, NULL };
    char *sh_argv[] = { bb, sh, dash_c, script, NULL };
    int out[2], null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK(null >= 0 && pipe2(out, O_CLOEXEC) == 0, "pipes");

    pid_t f = spawn(fuzz_argv, null), p = spawn(pp_argv, null), s = spawn(sh_argv, out[1]);
    close(out[1]);
    close(null);
    pid_t t = fork();
    if (t == 0)
        _exit(threads_child());

    char text[64];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof text - 1 && (r = read(out[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)r;
    text[len] = 0;
    close(out[0]);

    int findings = 0, st;
    struct { pid_t pid; const char *name; } kids[] = { { f, "fuzz" }, { p, "pingpong" }, { s, "busybox" }, { t, "threads" } };
    for (int i = 0; i < 4; i++) {
        if (kids[i].pid <= 0 || !reap(kids[i].pid, &st, t0 + ROUND_LIMIT)) {
            say("[SOAK] FINDING round %d: %s could not be started, or was still running after %d s\n", n, kids[i].name, ROUND_LIMIT);
            findings++;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            say("[SOAK] FINDING round %d: %s ended with status %d%s\n", n, kids[i].name, st,
                kids[i].pid == f ? " (replay: make fuzz FUZZ_SEED=<seed of this round>)" : "");
            findings++;
        }
    }
    if (strcmp(text, "5\n") != 0) {
        say("[SOAK] FINDING round %d: busybox printed \"%s\", not \"5\"\n", n, text);
        findings++;
    }
    if (findings == 0)
        say("[SOAK] round %d: fuzz seed %lu, busybox, pingpong, threads ok (%.1f s; heap free %ld)\n", n,
            seed + (unsigned long)n, now_s() - t0, metric("res.heap_free"));
    return findings;
}

/* The kernel's queues and tables keep the capacity they grew to (run
 * queues, wait queues, futex waiters: as many as were ever waiting at
 * once), which depends on timing: the heap may end up to this much lower
 * than at the baseline (measured: 256 to 1,280 bytes in 4-CPU runs). */
#define HEAP_SLACK (64 * 1024)

/* The counters of the leak check; frames() counts kernel page tables in. */
static const char *names[] = { "frames", "res.heap_free", "res.kstacks", "res.open_files", "res.processes", "res.inodes" };
#define NCOUNTERS 6

static void counters(long c[NCOUNTERS])
{
    c[0] = settled_frames();
    for (int i = 1; i < NCOUNTERS; i++)
        c[i] = metric(names[i]);
}

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? atol(argv[1]) : 60;
    unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 20261203;
    say("[SOAK] %ld s, seed %lu\n", seconds, seed);
    int findings = round_once(0, seed);
    long base[NCOUNTERS], after[NCOUNTERS];
    counters(base);
    double t0 = now_s();
    int rounds = 0;
    do
        findings += round_once(++rounds, seed);
    while (now_s() - t0 < seconds);
    double took = now_s() - t0;
    counters(after);
    int leaks = 0;
    for (int i = 0; i < NCOUNTERS; i++) {
        /* Fewer free frames or heap bytes, more stacks, files or processes;
         * the heap may be up to HEAP_SLACK lower. */
        long slack = i == 1 ? HEAP_SLACK : 0;
        int leaked = base[i] < 0 || (i < 2 ? after[i] < base[i] - slack : after[i] > base[i]);
        leaks += leaked;
        say("[SOAK] leak check: %s %ld -> %ld%s\n", names[i], base[i], after[i], leaked ? "  LEAK" : "");
    }
    say("[SOAK] done: %d rounds in %.0f s, %d findings, %d leaks\n", rounds, took, findings, leaks);
    CHECK(findings == 0 && leaks == 0, "soak");
    return finish("soak");
}
