/*
 * rows_fs.c - file and pipe rows on tmpfs (c->tmp): open+close, stat,
 * read 4 KiB of a cached file, write 4 KiB, getdents64 of a 100-entry
 * directory, pipe 1-byte round trip between two processes, pipe 64 KiB
 * throughput (one op = one byte), poll on 16 idle pipe fds.  Every row
 * checks each call's result: a wrong answer fails the row.
 */
#include "bench.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char block[65536];

/* A 4 KiB file in tmpfs; returns its path in `path`. */
static int make_file(struct ctx *c, char *path, size_t cap)
{
    snprintf(path, cap, "%s/bench.file", c->tmp);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return row_fail("create %s", path);
    memset(block, 'b', 4096);
    if (write(fd, block, 4096) != 4096) {
        close(fd);
        return row_fail("write %s", path);
    }
    return fd;
}

static int make_closed_file(struct ctx *c, char *path, size_t cap)
{
    int fd = make_file(c, path, cap);
    return fd < 0 ? -1 : close(fd);
}

ROW(open_close)
{
    char path[64];
    if (make_closed_file(c, path, sizeof path))
        return -1;
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n; i++) {
        long f = sys3(SYS_open, (long)path, O_RDONLY, 0);
        if (f < 0 || sys3(SYS_close, f, 0, 0) != 0)
            return errno = f < 0 ? -f : 0, row_fail("open/close %s", path);
    }
    r->total = rdtsc() - t0;
    r->n = c->n;
    return 0;
}

ROW(stat)
{
    char path[64];
    struct stat st;
    if (make_closed_file(c, path, sizeof path))
        return -1;
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n; i++) {
        long e = sys6(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, 0, 0, 0);
        if (e != 0 || st.st_size != 4096)
            return errno = -e, row_fail("newfstatat %s", path);
    }
    r->total = rdtsc() - t0;
    r->n = c->n;
    return 0;
}

/* n pread64/pwrite64 (nr) of 4 KiB at offset 0 of the tmpfs file. */
static int rw_4k(struct ctx *c, struct result *r, long nr)
{
    char path[64];
    int fd = make_file(c, path, sizeof path);
    if (fd < 0)
        return -1;
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n; i++) {
        long got = sys6(nr, fd, (long)block, 4096, 0, 0, 0);
        if (got != 4096)
            return close(fd), errno = got < 0 ? -got : 0, row_fail("4 KiB at 0 gave %ld", got);
    }
    r->total = rdtsc() - t0;
    r->n = c->n;
    close(fd);
    return 0;
}

ROW(read_4k)
{
    return rw_4k(c, r, SYS_pread64);
}

/* Overwrites the same 4 KiB (no growth after the first write). */
ROW(write_4k)
{
    return rw_4k(c, r, SYS_pwrite64);
}

/* One op: lseek to 0, getdents64 until it returns 0; 102 entries seen. */
ROW(getdents64_100)
{
    char dir[64], path[96];
    static char dents[16384];
    snprintf(dir, sizeof dir, "%s/bench.dir", c->tmp);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return row_fail("mkdir %s", dir);
    for (int i = 0; i < 100; i++) {
        snprintf(path, sizeof path, "%s/entry-%03d", dir, i);
        int f = open(path, O_WRONLY | O_CREAT, 0644);
        if (f < 0)
            return row_fail("create %s", path);
        close(f);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return row_fail("open %s", dir);
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n; i++) {
        long got, entries = 0;
        sys3(SYS_lseek, fd, 0, SEEK_SET);
        while ((got = sys3(SYS_getdents64, fd, (long)dents, sizeof dents)) > 0)
            for (long off = 0; off < got; off += *(unsigned short *)(dents + off + 16))
                entries++;
        if (got < 0 || entries != 102)
            return close(fd), errno = got < 0 ? -got : 0,
                   row_fail("getdents64 saw %ld entries (want 102)", entries);
    }
    r->total = rdtsc() - t0;
    r->n = c->n;
    close(fd);
    return 0;
}

/* Two pipes, then fork: the pid (0 in the child), or -1 after row_fail. */
static long pipes_fork(int a[2], int b[2])
{
    if (pipe(a) || pipe(b))
        return row_fail("pipe");
    long pid = sys0(SYS_fork);
    if (pid < 0)
        return errno = -pid, row_fail("fork");
    return pid;
}

/* 1-byte ping-pong over two pipes between two processes: one round trip. */
ROW(ipc_roundtrip)
{
    int a[2], b[2];
    long pid = pipes_fork(a, b);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char ch;
        close(a[1]);
        close(b[0]);
        for (;;) {
            long got = sys3(SYS_read, a[0], (long)&ch, 1);
            if (got != 1)
                sys3(SYS_exit_group, got == 0 ? 0 : 1, 0, 0);
            if (sys3(SYS_write, b[1], (long)&ch, 1) != 1)
                sys3(SYS_exit_group, 2, 0, 0);
        }
    }
    close(a[0]);
    close(b[1]);
    char ch = 'x';
    int ok = 1;
    for (int i = 0; i < 16 && ok; i++) /* warm-up */
        ok = sys3(SYS_write, a[1], (long)&ch, 1) == 1 && sys3(SYS_read, b[0], (long)&ch, 1) == 1;
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n && ok; i++)
        ok = sys3(SYS_write, a[1], (long)&ch, 1) == 1 && sys3(SYS_read, b[0], (long)&ch, 1) == 1;
    r->total = rdtsc() - t0;
    close(a[1]);
    close(b[0]);
    if (!reap(pid) || !ok)
        return errno = 0, row_fail("ping-pong or the child's exit failed");
    r->n = c->n;
    return 0;
}

/* The parent writes n/16 (at least 4) blocks of 64 KiB into a pipe, a child
 * reads them in 64 KiB reads and answers one byte at the end; one op = one
 * byte moved (report.py shows this row with decimals). */
ROW(pipe_64k)
{
    uint64_t blocks = c->n / 16 < 4 ? 4 : c->n / 16;
    int p[2], ack[2];
    long pid = pipes_fork(p, ack);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        uint64_t want = blocks * sizeof block, got = 0;
        close(p[1]);
        while (got < want) {
            long k = sys3(SYS_read, p[0], (long)block, sizeof block);
            if (k <= 0)
                sys3(SYS_exit_group, 1, 0, 0);
            got += k;
        }
        sys3(SYS_exit_group, sys3(SYS_write, ack[1], (long)"k", 1) == 1 ? 0 : 2, 0, 0);
    }
    close(p[0]);
    char ch = 0;
    int ok = 1;
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < blocks && ok; i++) {
        for (size_t done = 0; done < sizeof block && ok;) {
            long k = sys3(SYS_write, p[1], (long)block + done, sizeof block - done);
            ok = k > 0;
            done += ok ? k : 0;
        }
    }
    ok = ok && sys3(SYS_read, ack[0], (long)&ch, 1) == 1 && ch == 'k';
    r->total = rdtsc() - t0;
    close(p[1]);
    close(ack[0]);
    close(ack[1]);
    if (!reap(pid) || !ok)
        return errno = 0, row_fail("transfer or the child's exit failed");
    r->n = blocks * sizeof block;
    return 0;
}

ROW(poll_16)
{
    struct pollfd fds[16];
    int w[16];
    for (int i = 0; i < 16; i++) {
        int p[2];
        if (pipe(p))
            return row_fail("pipe %d", i);
        fds[i] = (struct pollfd){.fd = p[0], .events = POLLIN};
        w[i] = p[1];
    }
    int bad = 0;
    uint64_t t0 = rdtsc();
    for (uint64_t i = 0; i < c->n && !bad; i++)
        bad = sys3(SYS_poll, (long)fds, 16, 0) != 0;
    r->total = rdtsc() - t0;
    for (int i = 0; i < 16; i++) {
        close(fds[i].fd);
        close(w[i]);
    }
    if (bad)
        return errno = 0, row_fail("poll on 16 idle pipes did not return 0");
    r->n = c->n;
    return 0;
}
