/*
 * true_static.c - the smallest possible static program: exit(0).
 * Target of the fork_exec_wait benchmark (/bin/true_static in the
 * initramfs).  Build: gcc -O2 -static -nostdlib -o true_static true_static.c
 */
void _start(void)
{
    __asm__ volatile("mov $60, %eax\n\t" /* SYS_exit */
                     "xor %edi, %edi\n\t"
                     "syscall");
    __builtin_unreachable();
}
