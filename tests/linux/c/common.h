/* common.h - shared by the oracle C tests in tests/linux/c/.
 * Built with musl-gcc -static -O2 by tools/oracle/build_c.sh; each program
 * prints deterministic lines (no pids, addresses, times) and ends with
 * "OK <name>" on success, or "FAIL <name>: <why>" and exit status 1. */
#ifndef ORACLE_COMMON_H
#define ORACLE_COMMON_H
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Unbuffered formatted output: one write(2) per call, so nothing is lost
 * or duplicated across fork() and the order on the console is exact. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    (void)!write(1, buf, (size_t)n);
}

static int failures;
#define CHECK(cond, ...)                                      \
    do {                                                      \
        if (!(cond)) {                                        \
            say("FAIL %s:%d: ", __FILE__, __LINE__);          \
            say(__VA_ARGS__);                                 \
            say("\n");                                        \
            failures++;                                       \
        }                                                     \
    } while (0)

static int finish(const char *name)
{
    if (failures) {
        say("FAIL %s: %d check(s) failed\n", name, failures);
        return 1;
    }
    say("OK %s\n", name);
    return 0;
}
#endif
