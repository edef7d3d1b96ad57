/* errno: the error paths a Linux personality must get right, printed as
 * numbers (Linux's errno values): bad user pointers, bad fds, missing files. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "common.h"

static void report(const char *what, long ret, int want)
{
    int e = ret < 0 ? errno : 0;
    say("%s: ret %ld errno %d\n", what, ret, e);
    CHECK(ret == -1 && e == want, "%s: want errno %d", what, want);
}

int main(void)
{
    char buf[16];
    errno = 0;
    report("write bad pointer", write(1, (void *)1, 10), EFAULT);
    report("write kernel pointer", write(1, (void *)0xffffffff80000000UL, 8), EFAULT);
    report("write non-canonical pointer", write(1, (void *)0x0000900000000000UL, 8), EFAULT);
    int z = open("/dev/zero", O_RDONLY);
    CHECK(z >= 0, "open /dev/zero: errno %d", errno);
    report("read into bad pointer", read(z, (void *)16, 8), EFAULT);
    close(z);
    report("write bad fd", write(99, "x", 1), EBADF);
    report("write negative fd", write(-1, "x", 1), EBADF);
    report("read bad fd", read(1000, buf, sizeof buf), EBADF);
    report("close bad fd", close(77), EBADF);
    report("open missing file", open("/nonexistent/file", O_RDONLY), ENOENT);
    report("open missing file in /tmp", open("/tmp/no-such-file", O_RDONLY), ENOENT);
    report("open bad path pointer", syscall(SYS_open, (void *)8, O_RDONLY), EFAULT);
    struct stat st;
    report("stat missing", stat("/nonexistent", &st), ENOENT);
    report("open dir for writing", open("/", O_WRONLY), EISDIR);
    report("mkdir existing", mkdir("/tmp", 0755), EEXIST);
    report("unknown syscall", syscall(5000), ENOSYS);
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open /tmp O_DIRECTORY: errno %d", errno);
    report("read a directory", read(fd, buf, sizeof buf), EISDIR);
    close(fd);
    report("O_DIRECTORY on a file", open("/init", O_RDONLY | O_DIRECTORY), ENOTDIR);
    report("lseek on a pipe", ({ int p[2]; (void)!pipe(p); long r = lseek(p[0], 0, SEEK_SET);
                                 int e = errno; close(p[0]); close(p[1]); errno = e; r; }), ESPIPE);
    return finish("errno");
}
