/* fs_fdpipe: descriptors and pipes through Linux's calls: dup/dup2/dup3
 * (lowest free number, shared offset, close-on-exec), fcntl (F_DUPFD,
 * F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_GETPIPE_SZ), ioctl
 * FIOCLEX/FIONCLEX/FIONBIO/FIONREAD, pipe/pipe2 (O_NONBLOCK, O_CLOEXEC, a
 * full pipe's EAGAIN, EOF once the writer is gone, EPIPE once the reader
 * is), the resource limit on descriptors (EMFILE), and the errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include "common.h"

static void report(const char *what, long ret, int want)
{
    int e = ret < 0 ? errno : 0;
    say("%s: ret %ld errno %d\n", what, ret, e);
    CHECK(ret == -1 && e == want, "%s: want errno %d", what, want);
}

int main(void)
{
    char buf[128];
    int r;
    signal(SIGPIPE, SIG_IGN);
    int fd = open("/tmp/fdp", O_CREAT | O_RDWR | O_TRUNC, 0644);
    (void)!write(fd, "0123456789", 10);
    int d1 = dup(fd);
    say("dup is the lowest free: %d\n", d1 == fd + 1);
    lseek(fd, 3, SEEK_SET);
    say("dup shares the offset: %ld\n", (long)lseek(d1, 0, SEEK_CUR));
    say("dup2 to 20: %d\n", dup2(fd, 20));
    say("dup2 same fd: %d\n", dup2(20, 20));
    report("dup2 bad old", dup2(99, 21), EBADF);
    report("dup2 new too big", dup2(fd, 5000), EBADF);
    say("dup3 cloexec to 21: %d\n", dup3(fd, 21, O_CLOEXEC));
    say("F_GETFD 21: %d, F_GETFD 20: %d\n", fcntl(21, F_GETFD), fcntl(20, F_GETFD));
    report("dup3 same fd", syscall(SYS_dup3, 21, 21, 0), EINVAL);
    report("dup3 bad flags", syscall(SYS_dup3, fd, 22, O_NONBLOCK), EINVAL);
    say("F_DUPFD from 30: %d\n", fcntl(fd, F_DUPFD, 30));
    say("F_DUPFD again: %d\n", fcntl(fd, F_DUPFD, 30));
    int c = fcntl(fd, F_DUPFD_CLOEXEC, 40);
    say("F_DUPFD_CLOEXEC: %d cloexec %d\n", c, fcntl(c, F_GETFD));
    fcntl(c, F_SETFD, 0);
    say("after F_SETFD 0: %d\n", fcntl(c, F_GETFD));
    ioctl(c, FIOCLEX);
    say("after FIOCLEX: %d\n", fcntl(c, F_GETFD));
    ioctl(c, FIONCLEX);
    say("after FIONCLEX: %d\n", fcntl(c, F_GETFD));
    report("F_DUPFD past the limit", fcntl(fd, F_DUPFD, 100000), EINVAL);
    report("fcntl bad cmd", fcntl(fd, 9999), EINVAL);
    report("fcntl bad fd", fcntl(77, F_GETFD), EBADF);
    say("F_GETFL O_RDWR: %o\n", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY);
    say("F_SETFL append|nonblock: %o\n", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    say("shared by the dup: %o\n", fcntl(d1, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    int zero = 0;
    ioctl(fd, FIONBIO, &zero);
    say("after FIONBIO 0: %o\n", fcntl(fd, F_GETFL) & (O_APPEND | O_NONBLOCK));
    int avail = -1;
    lseek(fd, 4, SEEK_SET);
    r = ioctl(fd, FIONREAD, &avail);
    say("FIONREAD on a file at 4: %d -> %d\n", r, avail);
    report("TCGETS on a file", ioctl(fd, 0x5401, buf), ENOTTY);
    close(20);
    close(21);
    close(30);
    close(31);
    close(c);
    close(d1);

    /* pipes */
    int p[2];
    say("pipe: %d\n", pipe(p));
    say("write end flags %o read end flags %o\n", fcntl(p[1], F_GETFL) & O_ACCMODE, fcntl(p[0], F_GETFL) & O_ACCMODE);
    say("F_GETPIPE_SZ: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    say("write 5: %ld\n", (long)write(p[1], "hello", 5));
    r = ioctl(p[0], FIONREAD, &avail);
    say("FIONREAD: %d -> %d\n", r, avail);
    memset(buf, 0, sizeof buf);
    say("read: %ld '%s'\n", (long)read(p[0], buf, sizeof buf), buf);
    report("write to the read end", write(p[0], "x", 1), EBADF);
    report("read from the write end", read(p[1], buf, 1), EBADF);
    report("lseek on a pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
    close(p[1]);
    say("read after the writer closed: %ld\n", (long)read(p[0], buf, sizeof buf));
    close(p[0]);

    say("pipe2 nonblock|cloexec: %d\n", pipe2(p, O_NONBLOCK | O_CLOEXEC));
    say("flags: nonblock %d cloexec %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK), fcntl(p[1], F_GETFD));
    report("read empty nonblocking pipe", read(p[0], buf, 1), EAGAIN);
    static char big[70000];
    memset(big, 'z', sizeof big);
    say("nonblocking write of 70000: %ld\n", (long)write(p[1], big, sizeof big));
    report("write to a full pipe", write(p[1], "x", 1), EAGAIN);
    long total = 0, n;
    while ((n = read(p[0], big, sizeof big)) > 0)
        total += n;
    say("drained %ld bytes\n", total);
    close(p[0]);
    report("write without a reader", write(p[1], "x", 1), EPIPE);
    close(p[1]);
    report("pipe2 bad flags", pipe2(p, O_APPEND), EINVAL);
    report("pipe bad pointer", syscall(SYS_pipe, (int *)8), EFAULT);

    /* a named pipe */
    say("mkfifo: %d\n", mkfifo("/tmp/fifo", 0640));
    report("open O_WRONLY|O_NONBLOCK without a reader", open("/tmp/fifo", O_WRONLY | O_NONBLOCK), ENXIO);
    int fr = open("/tmp/fifo", O_RDONLY | O_NONBLOCK);
    say("reader opened without waiting: %d\n", fr >= 0);
    say("read with no writer yet: %ld\n", (long)read(fr, buf, sizeof buf));
    int fw = open("/tmp/fifo", O_WRONLY | O_NONBLOCK);
    say("writer opened: %d\n", fw >= 0);
    say("write 4: %ld\n", (long)write(fw, "fifo", 4));
    memset(buf, 0, sizeof buf);
    say("read: %ld '%s'\n", (long)read(fr, buf, sizeof buf), buf);
    report("read empty with a writer", read(fr, buf, 1), EAGAIN);
    struct stat fst;
    fstat(fw, &fst);
    say("fstat: fifo %d mode %o size %lld\n", S_ISFIFO(fst.st_mode), (unsigned)(fst.st_mode & 0777), (long long)fst.st_size);
    say("F_GETPIPE_SZ: %d\n", fcntl(fr, F_GETPIPE_SZ));
    close(fw);
    say("read after the writer closed: %ld\n", (long)read(fr, buf, sizeof buf));
    close(fr);
    int frw = open("/tmp/fifo", O_RDWR);
    say("O_RDWR open: %d, write %ld\n", frw >= 0, (long)write(frw, "both", 4));
    memset(buf, 0, sizeof buf);
    say("read back: %ld '%s'\n", (long)read(frw, buf, sizeof buf), buf);
    close(frw);
    unlink("/tmp/fifo");

    /* the descriptor limit */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    say("RLIMIT_NOFILE soft %ld\n", (long)rl.rlim_cur);
    struct rlimit small = {8, rl.rlim_max};
    say("setrlimit 8: %d\n", setrlimit(RLIMIT_NOFILE, &small));
    int opened = 0, last;
    while ((last = open("/tmp/fdp", O_RDONLY)) >= 0)
        opened++;
    say("opened until EMFILE: %d more, errno %d\n", opened, errno);
    report("dup2 past the limit", dup2(fd, 9), EBADF);
    for (int i = 3; i < 8; i++)
        if (i != fd)
            close(i);
    say("setrlimit back: %d\n", setrlimit(RLIMIT_NOFILE, &rl));
    struct rlimit inverted = {10, 5};
    report("setrlimit cur > max", setrlimit(RLIMIT_NOFILE, &inverted), EINVAL);
    close(fd);
    unlink("/tmp/fdp");
    return finish("fs_fdpipe");
}
