/*
 * rows_boot.c - boot rows: reset to the top of init's main, and reset
 * to the first prompt of Debian's busybox shell.
 *
 * Both are TSC readings (ticks since machine reset, halted time included:
 * see tools/bench/README.md), taken by main() before any other row runs:
 * c->boot_tsc at the top of main, c->prompt_tsc by shell_prompt_tsc()
 * right after the file systems are mounted.  The kernel-entry rows
 * (boot_to_kernel, kernel_to_init) are measured from outside the guest
 * by tools/bench/entry_tsc.py.
 */
#include "bench.h"
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the shell is told to print as its prompt: unmistakable in its
 * output (which may start with a job-control warning). */
#define PROMPT "bench-prompt$ "

/* rdtsc at the top of main: ticks since machine reset (firmware, boot
 * loader, kernel, libc start-up), halted time included. */
ROW(boot_to_init)
{
    r->total = c->boot_tsc;
    r->n = 1;
    return 0;
}

/* Start busybox's shell as a console would (interactive, PS1 set, its
 * output on a pipe) and return rdtsc once its first prompt has arrived;
 * 0 if it never did.  Then tell it to exit and reap it. */
uint64_t shell_prompt_tsc(void)
{
    int in[2], sh_out[2];
    if (pipe(in) || pipe(sh_out))
        return 0;
    long pid = sys0(SYS_fork);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(sh_out[1], 1);
        dup2(sh_out[1], 2);
        close(in[0]), close(in[1]), close(sh_out[0]), close(sh_out[1]);
        char *argv[] = {"sh", "-i", NULL};
        char *envp[] = {"PS1=" PROMPT, "PATH=/bin", "HOME=/", NULL};
        sys3(SYS_execve, (long)"/bin/busybox", (long)argv, (long)envp);
        _exit(127);
    }
    close(in[0]);
    close(sh_out[1]);
    uint64_t at = 0;
    char buf[1024];
    size_t len = 0;
    while (pid > 0 && len < sizeof buf - 1) {
        ssize_t k = read(sh_out[0], buf + len, sizeof buf - 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        len += k;
        buf[len] = 0;
        if (strstr(buf, PROMPT)) {
            at = rdtsc();
            break;
        }
    }
    if (write(in[1], "exit\n", 5) != 5)
        at = 0;
    close(in[1]);
    while (read(sh_out[0], buf, sizeof buf) > 0)
        ;
    close(sh_out[0]);
    if (pid > 0 && !reap(pid))
        at = 0;
    return at;
}

/* c->prompt_tsc: reset to the shell's first prompt (init's start-up and
 * the shell's fork, exec and start-up on top of boot_to_init). */
ROW(boot_to_prompt)
{
    if (!c->prompt_tsc)
        return errno = 0, row_fail("busybox sh -i never printed its prompt, or did not exit(0)");
    r->total = c->prompt_tsc;
    r->n = 1;
    return 0;
}
