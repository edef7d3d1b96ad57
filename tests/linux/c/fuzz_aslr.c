/* fuzz_aslr: where the stack, an anonymous mmap and the program break
 * are (the stack: its top page).  Without arguments (the oracle run) it prints only relations that
 * hold with and without randomisation: stack above mmap above break above
 * the program.  With "twice" it re-executes itself with its addresses in
 * argv ("compare S M B"), and the second image prints, for each, whether
 * it "differs" or is the "same": user ASLR on, every one differs; with
 * the kernel option norandmaps, every one is the same. */
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include "common.h"

extern char **environ;

/* The stack's top page: the one holding AT_RANDOM's bytes, which sit at
 * the top of the initial stack (so the length of argv does not move it). */
static void where(uintptr_t out[3])
{
    out[0] = ((uintptr_t)getauxval(AT_RANDOM) + 16 + 4095) & ~(uintptr_t)4095;
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    out[1] = m == MAP_FAILED ? 0 : (uintptr_t)m;
    out[2] = (uintptr_t)sbrk(0);
}

int main(int argc, char **argv)
{
    uintptr_t now[3];
    where(now);
    static const char *names[3] = { "stack", "mmap", "brk" };
    if (argc >= 2 && strcmp(argv[1], "twice") == 0) {
        char s[3][32];
        for (int i = 0; i < 3; i++)
            snprintf(s[i], sizeof s[i], "%lu", (unsigned long)now[i]);
        char *args[] = { argv[0], "compare", s[0], s[1], s[2], NULL };
        execve(argv[0], args, environ);
        say("FAIL fuzz_aslr: execve %s: %s\n", argv[0], strerror(errno));
        return 1;
    }
    if (argc >= 5 && strcmp(argv[1], "compare") == 0) {
        for (int i = 0; i < 3; i++) {
            uintptr_t before = (uintptr_t)strtoul(argv[2 + i], NULL, 10);
            say("%s: %s\n", names[i], before == now[i] ? "same" : "differs");
        }
        return 0;
    }
    uintptr_t text = (uintptr_t)&main;
    say("stack above mmap: %s\n", now[0] > now[1] ? "yes" : "no");
    say("mmap above brk: %s\n", now[1] > now[2] ? "yes" : "no");
    say("brk above the program: %s\n", now[2] > text ? "yes" : "no");
    CHECK(now[1] != 0, "mmap failed");
    CHECK(now[0] > now[1] && now[1] > now[2] && now[2] > text, "unexpected layout");
    return finish("fuzz_aslr");
}
