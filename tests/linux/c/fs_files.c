/* fs_files: regular files through Linux's calls: open/openat/creat flags
 * (O_CREAT, O_EXCL, O_TRUNC, O_APPEND), read/write/lseek, pread/pwrite,
 * readv/writev, preadv/pwritev, truncate/ftruncate, sendfile, fsync, the
 * umask on created modes, stat fields that are deterministic, and the
 * error paths (EBADF, ENOENT, EEXIST, EISDIR, EFAULT, EINVAL, ESPIPE). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "common.h"

static void report(const char *what, long ret, int want)
{
    int e = ret < 0 ? errno : 0;
    say("%s: ret %ld errno %d\n", what, ret, e);
    CHECK(ret == -1 && e == want, "%s: want errno %d", what, want);
}

static void show(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        say("stat %s: errno %d\n", path, errno);
        return;
    }
    say("%s: mode %o nlink %lu uid %u gid %u size %lld blocks %lld blksize %ld\n", path,
        (unsigned)st.st_mode, (unsigned long)st.st_nlink, st.st_uid, st.st_gid,
        (long long)st.st_size, (long long)st.st_blocks, (long)st.st_blksize);
}

int main(void)
{
    char buf[64];
    mkdir("/tmp/ff", 0755);
    int fd = open("/tmp/ff/a", O_CREAT | O_RDWR, 0666);
    CHECK(fd >= 0, "create: errno %d", errno);
    say("write 11: %ld\n", (long)write(fd, "hello world", 11));
    say("lseek cur: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    say("lseek set 6: %ld\n", (long)lseek(fd, 6, SEEK_SET));
    memset(buf, 0, sizeof buf);
    say("read: %ld '%s'\n", (long)read(fd, buf, sizeof buf), buf);
    say("read at end: %ld\n", (long)read(fd, buf, sizeof buf));
    say("lseek end -5: %ld\n", (long)lseek(fd, -5, SEEK_END));
    say("lseek past end +100: %ld\n", (long)lseek(fd, 100, SEEK_END));
    report("lseek negative", lseek(fd, -1000, SEEK_SET), EINVAL);
    report("lseek bad whence", lseek(fd, 0, 99), EINVAL);
    memset(buf, 0, sizeof buf);
    say("pread 5 at 0: %ld '%s'\n", (long)pread(fd, buf, 5, 0), buf);
    say("pwrite at 0: %ld\n", (long)pwrite(fd, "HELLO", 5, 0));
    say("position after pread/pwrite: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    report("pread negative offset", pread(fd, buf, 1, -1), EINVAL);
    show("/tmp/ff/a");

    /* writev / readv with several pieces */
    lseek(fd, 0, SEEK_SET);
    struct iovec wv[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    say("writev: %ld\n", (long)writev(fd, wv, 3));
    char p1[4] = {0}, p2[6] = {0};
    struct iovec rv[2] = {{p1, 3}, {p2, 5}};
    lseek(fd, 0, SEEK_SET);
    say("readv: %ld '%s' '%s'\n", (long)readv(fd, rv, 2), p1, p2);
    memset(p1, 0, sizeof p1);
    struct iovec pv[1] = {{p1, 3}};
    say("preadv at 8: %ld '%s'\n", (long)preadv(fd, pv, 1, 8), p1);
    struct iovec qv[1] = {{"XY", 2}};
    say("pwritev at 1: %ld\n", (long)pwritev(fd, qv, 1, 1));
    memset(buf, 0, sizeof buf);
    say("pread all: %ld '%s'\n", (long)pread(fd, buf, sizeof buf - 1, 0), buf);
    report("readv bad iovec pointer", readv(fd, (void *)8, 1), EFAULT);
    report("writev too many", writev(fd, wv, 5000), EINVAL);

    /* truncation, holes */
    say("ftruncate 3: %d\n", ftruncate(fd, 3));
    show("/tmp/ff/a");
    say("ftruncate 10000: %d\n", ftruncate(fd, 10000));
    memset(buf, 'x', sizeof buf);
    long got = pread(fd, buf, 4, 5000);
    say("pread in hole: %ld first byte %d\n", got, buf[0]);
    show("/tmp/ff/a");
    say("truncate path 2: %d\n", truncate("/tmp/ff/a", 2));
    show("/tmp/ff/a");
    report("ftruncate negative", ftruncate(fd, -1), EINVAL);
    report("truncate a directory", truncate("/tmp/ff", 0), EISDIR);
    say("fsync: %d fdatasync: %d\n", fsync(fd), fdatasync(fd));
    close(fd);

    /* O_APPEND, O_TRUNC, O_EXCL, creat */
    fd = open("/tmp/ff/a", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    say("append write: %ld\n", (long)write(fd, "++", 2));
    say("position after append: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    show("/tmp/ff/a");
    report("O_EXCL on existing", open("/tmp/ff/a", O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
    fd = open("/tmp/ff/a", O_RDWR | O_TRUNC);
    say("O_TRUNC: fd ok %d\n", fd >= 0);
    close(fd);
    show("/tmp/ff/a");
    fd = creat("/tmp/ff/c", 0777);
    say("creat: fd ok %d, write %ld\n", fd >= 0, (long)write(fd, "c", 1));
    report("read from creat fd (O_WRONLY)", read(fd, buf, 1), EBADF);
    close(fd);
    show("/tmp/ff/c");

    /* umask */
    say("umask was %03o\n", (unsigned)umask(077));
    close(open("/tmp/ff/m1", O_CREAT | O_WRONLY, 0666));
    mkdir("/tmp/ff/m2", 0777);
    say("umask now %03o\n", (unsigned)umask(022));
    show("/tmp/ff/m1");
    show("/tmp/ff/m2");
    umask(0);
    close(open("/tmp/ff/m3", O_CREAT | O_WRONLY, 04777));
    umask(022);
    show("/tmp/ff/m3");

    /* openat with a directory descriptor */
    int dir = open("/tmp/ff", O_RDONLY | O_DIRECTORY);
    fd = openat(dir, "c", O_RDONLY);
    memset(buf, 0, sizeof buf);
    say("openat relative: %ld '%s'\n", (long)read(fd, buf, sizeof buf), buf);
    close(fd);
    fd = openat(dir, "/tmp/ff/c", O_RDONLY);
    say("openat absolute ignores dirfd: ok %d\n", fd >= 0);
    close(fd);
    int file = open("/tmp/ff/c", O_RDONLY);
    report("openat with a file as dirfd", openat(file, "x", O_RDONLY), ENOTDIR);
    report("openat with a bad dirfd", openat(555, "x", O_RDONLY), EBADF);
    close(file);
    close(dir);

    /* sendfile */
    fd = open("/tmp/ff/src", O_CREAT | O_RDWR, 0644);
    (void)!write(fd, "0123456789", 10);
    int out = open("/tmp/ff/dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
    off_t off = 2;
    got = sendfile(out, fd, &off, 5);
    say("sendfile with offset: %ld, offset now %ld, src position %ld\n", got, (long)off, (long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 7, SEEK_SET);
    got = sendfile(out, fd, NULL, 100);
    say("sendfile from position: %ld, src position %ld\n", got, (long)lseek(fd, 0, SEEK_CUR));
    memset(buf, 0, sizeof buf);
    say("dst: %ld '%s'\n", (long)pread(out, buf, sizeof buf, 0), buf);
    int pfd[2];
    (void)!pipe(pfd);
    report("sendfile from a pipe", sendfile(out, pfd[0], NULL, 1), EINVAL);
    say("sendfile to a pipe: %ld\n", (long)sendfile(pfd[1], fd, &off, 3));
    memset(buf, 0, sizeof buf);
    say("pipe got: %ld '%s'\n", (long)read(pfd[0], buf, sizeof buf), buf);
    report("pread on a pipe", pread(pfd[0], buf, 1, 0), ESPIPE);
    report("fsync on a pipe", fsync(pfd[0]), EINVAL);
    close(pfd[0]);
    close(pfd[1]);
    close(fd);
    close(out);

    /* error paths */
    report("open missing", open("/tmp/ff/none", O_RDONLY), ENOENT);
    report("open in missing dir", open("/tmp/nodir/x", O_CREAT | O_RDWR, 0644), ENOENT);
    report("open a file as a dir", open("/tmp/ff/c/x", O_RDONLY), ENOTDIR);
    report("open dir O_RDWR", open("/tmp/ff", O_RDWR), EISDIR);
    report("open O_CREAT on a dir", open("/tmp/ff", O_CREAT | O_RDONLY, 0644), EISDIR);
    report("open trailing slash create", open("/tmp/ff/new/", O_CREAT | O_RDWR, 0644), EISDIR);
    report("open bad path pointer", open((char *)16, O_RDONLY), EFAULT);
    report("read bad fd", read(42, buf, 1), EBADF);
    report("write bad fd", write(-5, buf, 1), EBADF);
    report("close bad fd", close(1000), EBADF);
    report("lseek bad fd", lseek(99, 0, SEEK_SET), EBADF);
    fd = open("/tmp/ff/c", O_RDONLY);
    report("write to O_RDONLY", write(fd, "x", 1), EBADF);
    report("read into bad pointer", read(fd, (void *)8, 1), EFAULT);
    report("stat bad buffer", syscall(SYS_stat, "/tmp/ff/c", (void *)8), EFAULT);
    report("fstat bad buffer", syscall(SYS_fstat, fd, (void *)8), EFAULT);
    report("ftruncate O_RDONLY", ftruncate(fd, 0), EINVAL);
    close(fd);
    fd = open("/tmp/ff", O_RDONLY);
    report("read a directory", read(fd, buf, 1), EISDIR);
    close(fd);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    report("name too long", open(longname, O_RDONLY), ENAMETOOLONG);

    /* A read into a buffer that runs into an inaccessible page copies up to
     * the page's first byte and returns that count, whatever the alignment
     * of either side (the kernel copies in words, then bytes). */
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(two != MAP_FAILED && mprotect(two + 4096, 4096, PROT_NONE) == 0, "mmap/mprotect");
    char data[256];
    for (int i = 0; i < 256; i++)
        data[i] = (char)i;
    fd = open("/tmp/ff/edge", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(write(fd, data, sizeof data) == sizeof data, "write edge");
    for (int back = 0; back <= 21; back += 3) {
        memset(two + 4096 - 32, 0, 32);
        long r = pread(fd, two + 4096 - back, 100, 3);
        int e = r < 0 ? errno : 0;
        say("pread %d bytes before a PROT_NONE page: ret %ld errno %d, data %s\n", back, r, e,
            r > 0 && !memcmp(two + 4096 - back, data + 3, r) ? "ok" : "-");
    }
    close(fd);
    munmap(two, 8192);
    return finish("fs_files");
}
