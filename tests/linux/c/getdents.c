/* getdents: getdents64(2) of "/" with a small buffer (several calls),
 * names sorted, with their d_type; then of an empty directory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "common.h"

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *path, size_t bufsize)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open %s: errno %d", path, errno);
    if (fd < 0)
        return -1;
    static char names[256][300];
    static char *sorted[256];
    int count = 0, calls = 0;
    char buf[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, bufsize);
        CHECK(n >= 0, "getdents64: errno %d", errno);
        if (n <= 0)
            break;
        calls++;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (void *)(buf + off);
            CHECK(d->d_reclen % 8 == 0 && d->d_reclen > 19, "bad d_reclen %u", d->d_reclen);
            if (count < 256) {
                snprintf(names[count], sizeof names[count], "%s type %u", d->d_name,
                         (unsigned)d->d_type);
                sorted[count] = names[count];
                count++;
            }
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(sorted, (size_t)count, sizeof sorted[0], cmp);
    say("%s: %d entries, more than one call: %s\n", path, count, calls > 1 ? "yes" : "no");
    for (int i = 0; i < count; i++)
        say("  %s\n", sorted[i]);
    return count;
}

int main(void)
{
    int n = list("/", 128);
    CHECK(n >= 10, "/ has only %d entries", n);
    CHECK(mkdir("/tmp/emptydir", 0755) == 0, "mkdir: errno %d", errno);
    n = list("/tmp/emptydir", sizeof(char[4096]));
    CHECK(n == 2, "empty dir has %d entries", n);
    rmdir("/tmp/emptydir");
    /* A buffer too small for one entry is EINVAL; a file is ENOTDIR. */
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    char tiny[8];
    errno = 0;
    long r = syscall(SYS_getdents64, fd, tiny, sizeof tiny);
    say("getdents64 with an 8-byte buffer: ret %ld errno %d\n", r, errno);
    CHECK(r == -1 && errno == EINVAL, "want EINVAL");
    close(fd);
    fd = open("/init", O_RDONLY);
    errno = 0;
    r = syscall(SYS_getdents64, fd, tiny, sizeof tiny);
    say("getdents64 of a file: ret %ld errno %d\n", r, errno);
    CHECK(r == -1 && errno == ENOTDIR, "want ENOTDIR");
    close(fd);
    return finish("getdents");
}
