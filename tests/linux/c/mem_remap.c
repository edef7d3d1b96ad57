/* mem_remap: private file mappings (contents, offsets, the zeroes after
 * the end of the file, copy-on-write that leaves the file alone, a
 * read-only MAP_SHARED), mremap (shrink, grow in place, move with
 * MREMAP_MAYMOVE keeping the data, ENOMEM without it) and madvise
 * (MADV_DONTNEED gives zeroes, hints), with the error numbers Linux gives
 * for each.  Nothing printed depends on addresses. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "proctest.h"

#define PAGE 4096UL
#define FILE_LEN 10000

static const char *path = "/tmp/mem_remap.dat";

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 7 + i / 251);
}

/* Raw syscalls: the C library's wrappers may check arguments themselves. */
static long sys_mremap(void *old, size_t old_len, size_t new_len, long flags, void *new_addr)
{
    long r = syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
    return r == -1 ? -1 : 0;
}

static void *mmap_or_null(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    void *p = mmap(addr, len, prot, flags, fd, off);
    return p == MAP_FAILED ? NULL : p;
}

static void file_mappings(void)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "create: errno %d", errno);
    unsigned char buf[FILE_LEN];
    for (size_t i = 0; i < FILE_LEN; i++)
        buf[i] = pattern(i);
    CHECK(write(fd, buf, FILE_LEN) == FILE_LEN, "write");

    unsigned char *m = mmap_or_null(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != NULL, "mmap file: errno %d", errno);
    if (m) {
        say("private map: bytes equal %d, zero after end %d\n", memcmp(m, buf, FILE_LEN) == 0,
            m[FILE_LEN] == 0 && m[3 * PAGE - 1] == 0);
        munmap(m, 3 * PAGE);
    }
    m = mmap_or_null(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    say("offset map: first byte is file byte 4096 %d\n", m && m[0] == pattern(PAGE) && m[PAGE - 1] == pattern(2 * PAGE - 1));
    if (m)
        munmap(m, PAGE);

    m = mmap_or_null(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m) {
        m[0] = 'X';
        m[5000] = 'Y';
        unsigned char back[2];
        pread(fd, &back[0], 1, 0);
        pread(fd, &back[1], 1, 5000);
        say("private write: mapping %c%c, file unchanged %d\n", m[0], m[5000], back[0] == pattern(0) && back[1] == pattern(5000));
        munmap(m, 2 * PAGE);
    }
    m = mmap_or_null(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    say("shared read-only map: bytes equal %d\n", m && memcmp(m, buf, PAGE) == 0);
    if (m)
        munmap(m, PAGE);

    errno = 0;
    report("mmap of fd -1 without MAP_ANONYMOUS", (long)mmap_or_null(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0) ? 0 : -1);
    report("mmap of a closed fd", (long)mmap_or_null(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0) ? 0 : -1);
    report("mmap at an unaligned offset", (long)mmap_or_null(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100) ? 0 : -1);
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    report("mmap of a pipe", (long)mmap_or_null(NULL, PAGE, PROT_READ, MAP_PRIVATE, p[0], 0) ? 0 : -1);
    close(p[0]);
    close(p[1]);
    int wo = open(path, O_WRONLY);
    report("mmap of a write-only fd", (long)mmap_or_null(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0) ? 0 : -1);
    close(wo);
    int ro = open(path, O_RDONLY);
    report("shared writable map of a read-only fd", (long)mmap_or_null(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) ? 0 : -1);
    close(ro);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    report("mmap of a directory", (long)mmap_or_null(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0) ? 0 : -1);
    close(dir);
    close(fd);
    unlink(path);
}

static void remaps(void)
{
    /* Three pages and, after them, a read-only one of its own (another
     * region): growing in place is impossible. */
    unsigned char *a = mmap_or_null(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != NULL, "mmap anon");
    if (!a)
        return;
    for (size_t i = 0; i < 3 * PAGE; i++)
        a[i] = pattern(i);
    unsigned char *guard = a + 3 * PAGE;
    report("guard page made read-only", mprotect(guard, PAGE, PROT_READ));
    report("grow without MREMAP_MAYMOVE", sys_mremap(a, 3 * PAGE, 6 * PAGE, 0, NULL));
    unsigned char *b = (unsigned char *)syscall(SYS_mremap, a, 3 * PAGE, 6 * PAGE, MREMAP_MAYMOVE, NULL);
    int ok = b != MAP_FAILED;
    say("grow with MREMAP_MAYMOVE: moved %d\n", ok && b != a);
    if (ok) {
        int same = 1;
        for (size_t i = 0; i < 3 * PAGE; i++)
            same &= b[i] == pattern(i);
        say("  data kept %d, new pages zero %d\n", same, b[3 * PAGE] == 0 && b[6 * PAGE - 1] == 0);
        b[6 * PAGE - 1] = 1;
        report("  old range is gone (madvise)", madvise(a, PAGE, MADV_NORMAL));
        report("shrink to one page", sys_mremap(b, 6 * PAGE, PAGE, 0, NULL));
        report("  the cut pages are gone (madvise)", madvise(b + PAGE, PAGE, MADV_NORMAL));
        say("  first page kept %d\n", b[0] == pattern(0) && b[PAGE - 1] == pattern(PAGE - 1));
        munmap(b, PAGE);
    }
    munmap(guard, PAGE);
    unsigned char *c = mmap_or_null(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c) {
        munmap(c + 2 * PAGE, 2 * PAGE);
        c[0] = 'c';
        report("grow in place into a free range", syscall(SYS_mremap, c, 2 * PAGE, 4 * PAGE, 0, NULL) == (long)c ? 0 : -1);
        c[4 * PAGE - 1] = 'd';
        say("  first byte %c, last byte %c\n", c[0], c[4 * PAGE - 1]);
        munmap(c, 4 * PAGE);
    }
    report("mremap of an unmapped range", sys_mremap(c, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL));
    report("mremap at an unaligned address", sys_mremap((char *)c + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL));
    report("mremap to length 0", sys_mremap(c, PAGE, 0, MREMAP_MAYMOVE, NULL));
    report("mremap with unknown flags", sys_mremap(c, PAGE, PAGE, 0x100, NULL));
    report("MREMAP_FIXED without MREMAP_MAYMOVE", sys_mremap(c, PAGE, PAGE, MREMAP_FIXED, NULL));
}

static void advice(void)
{
    unsigned char *a = mmap_or_null(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != NULL, "mmap anon");
    if (!a)
        return;
    a[0] = 'x';
    a[PAGE] = 'y';
    report("MADV_DONTNEED on the first page", madvise(a, PAGE, MADV_DONTNEED));
    say("  first page reads %d, second still %c\n", a[0], a[PAGE]);
    report("MADV_WILLNEED", madvise(a, 2 * PAGE, MADV_WILLNEED));
    report("MADV_SEQUENTIAL", madvise(a, 2 * PAGE, MADV_SEQUENTIAL));
    report("MADV_FREE", madvise(a, 2 * PAGE, MADV_FREE));
    report("madvise of length 0", madvise(a, 0, MADV_DONTNEED));
    report("madvise at an unaligned address", madvise(a + 1, PAGE, MADV_DONTNEED));
    report("madvise with an unknown advice", madvise(a, PAGE, 12345));
    munmap(a, 2 * PAGE);
    report("madvise of an unmapped range", madvise(a, PAGE, MADV_DONTNEED));
}

int main(void)
{
    file_mappings();
    remaps();
    advice();
    return finish("mem_remap");
}
