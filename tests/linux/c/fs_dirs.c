/* fs_dirs: directories, names and links through Linux's *at calls:
 * mkdir/mkdirat, rmdir, unlinkat(AT_REMOVEDIR), rename/renameat2
 * (RENAME_NOREPLACE), link/linkat (link counts), symlink/readlink(at),
 * stat vs lstat vs newfstatat(AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH), statx,
 * statfs, getdents64, chdir/fchdir/getcwd, access/faccessat, chmod/
 * fchmod/chown/utimensat, mknod (FIFO node), and the errors (ENOENT,
 * ENOTDIR, EEXIST, EISDIR, ENOTEMPTY, EINVAL, EBUSY, ELOOP, EBADF). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include "common.h"

static void report(const char *what, long ret, int want)
{
    int e = ret < 0 ? errno : 0;
    say("%s: ret %ld errno %d\n", what, ret, e);
    CHECK(ret == -1 && e == want, "%s: want errno %d", what, want);
}

static void ok(const char *what, long ret)
{
    say("%s: %ld%s\n", what, ret, ret < 0 ? (errno == ENOENT ? " ENOENT" : " (error)") : "");
    CHECK(ret >= 0, "%s: errno %d", what, errno);
}

static void show(const char *path, int follow)
{
    struct stat st;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    if (r != 0) {
        say("%s %s: errno %d\n", follow ? "stat" : "lstat", path, errno);
        return;
    }
    say("%s %s: mode %o nlink %lu size %lld uid %u gid %u\n", follow ? "stat" : "lstat", path,
        (unsigned)st.st_mode, (unsigned long)st.st_nlink, (long long)st.st_size, st.st_uid, st.st_gid);
}

/* musl 1.2.3 has no statx: Linux's struct statx (256 bytes). */
struct statx_ts {
    long long tv_sec;
    unsigned tv_nsec;
    int pad;
};
struct kstatx {
    unsigned stx_mask, stx_blksize;
    unsigned long long stx_attributes;
    unsigned stx_nlink, stx_uid, stx_gid;
    unsigned short stx_mode, pad1;
    unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
    unsigned stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    unsigned long long spare[14];
};
#define STATX_BASIC_STATS 0x7ffu
#define AT_STATX_FORCE_SYNC 0x2000
#define AT_STATX_DONT_SYNC 0x4000
#define statx(d, p, f, m, b) syscall(332, d, p, f, m, b)

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

static void list(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    static char names[64][300];
    static char *sorted[64];
    int count = 0;
    char buf[1024];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, 100)) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (void *)(buf + off);
            if (count < 64) {
                snprintf(names[count], sizeof names[count], "%s(%u)", d->d_name, (unsigned)d->d_type);
                sorted[count] = names[count];
                count++;
            }
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(sorted, (size_t)count, sizeof sorted[0], cmp);
    say("%s:", path);
    for (int i = 0; i < count; i++)
        say(" %s", sorted[i]);
    say("\n");
}

int main(void)
{
    char buf[256];
    ok("mkdir /tmp/d", mkdir("/tmp/d", 0755));
    show("/tmp/d", 1);
    ok("mkdir sub", mkdir("/tmp/d/sub", 0700));
    show("/tmp/d", 1);
    int d = open("/tmp/d", O_RDONLY | O_DIRECTORY);
    ok("mkdirat", mkdirat(d, "sub2", 0755));
    ok("write file", close(open("/tmp/d/f", O_CREAT | O_WRONLY, 0644)));
    show("/tmp/d", 1);
    report("mkdir existing", mkdir("/tmp/d/sub", 0755), EEXIST);
    report("mkdir over a file", mkdir("/tmp/d/f", 0755), EEXIST);
    report("mkdir missing parent", mkdir("/tmp/nope/x", 0755), ENOENT);
    report("mkdir under a file", mkdir("/tmp/d/f/x", 0755), ENOTDIR);
    report("rmdir non-empty", rmdir("/tmp/d"), ENOTEMPTY);
    report("rmdir a file", rmdir("/tmp/d/f"), ENOTDIR);
    report("rmdir dot", rmdir("/tmp/d/sub/."), EINVAL);
    report("unlink a dir", unlink("/tmp/d/sub"), EISDIR);
    report("unlinkat bad flag", unlinkat(d, "sub2", 0x1), EINVAL);
    ok("unlinkat AT_REMOVEDIR", unlinkat(d, "sub2", AT_REMOVEDIR));
    report("unlinkat dir without flag", unlinkat(d, "sub", 0), EISDIR);
    report("unlinkat file with AT_REMOVEDIR", unlinkat(d, "f", AT_REMOVEDIR), ENOTDIR);
    list("/tmp/d");

    /* hard links */
    int fd = open("/tmp/d/f", O_WRONLY);
    (void)!write(fd, "linked", 6);
    close(fd);
    ok("link", link("/tmp/d/f", "/tmp/d/g"));
    ok("linkat", linkat(d, "g", AT_FDCWD, "/tmp/d/sub/h", 0));
    show("/tmp/d/f", 1);
    struct stat a, b;
    stat("/tmp/d/f", &a);
    stat("/tmp/d/sub/h", &b);
    say("same inode: %d\n", a.st_ino == b.st_ino);
    report("link existing", link("/tmp/d/f", "/tmp/d/g"), EEXIST);
    report("link a directory", link("/tmp/d/sub", "/tmp/d/sub-l"), EPERM);
    report("link missing", link("/tmp/d/zz", "/tmp/d/zz2"), ENOENT);
    report("linkat bad flags", linkat(d, "f", d, "q", 0x8), EINVAL);
    ok("unlink f", unlink("/tmp/d/f"));
    show("/tmp/d/g", 1);

    /* symlinks */
    ok("symlink", symlink("g", "/tmp/d/s"));
    ok("symlinkat", symlinkat("/tmp/d/sub", d, "sl"));
    ok("symlink dangling", symlink("nowhere", "/tmp/d/dang"));
    show("/tmp/d/s", 1);
    show("/tmp/d/s", 0);
    memset(buf, 0, sizeof buf);
    say("readlink: %ld '%s'\n", (long)readlink("/tmp/d/s", buf, sizeof buf), buf);
    memset(buf, 0, sizeof buf);
    say("readlinkat short buffer: %ld '%s'\n", (long)readlinkat(d, "sl", buf, 4), buf);
    report("readlink not a link", readlink("/tmp/d/g", buf, sizeof buf), EINVAL);
    report("readlink size 0", syscall(SYS_readlink, "/tmp/d/s", buf, 0), EINVAL);
    report("stat dangling", stat("/tmp/d/dang", &a), ENOENT);
    ok("lstat dangling", lstat("/tmp/d/dang", &a));
    report("symlink existing", symlink("x", "/tmp/d/s"), EEXIST);
    report("open O_NOFOLLOW on a link", open("/tmp/d/s", O_RDONLY | O_NOFOLLOW), ELOOP);
    ok("symlink loop a", symlink("loop-b", "/tmp/d/loop-a"));
    ok("symlink loop b", symlink("loop-a", "/tmp/d/loop-b"));
    report("open a loop", open("/tmp/d/loop-a", O_RDONLY), ELOOP);
    fd = open("/tmp/d/sl/h", O_RDONLY);
    memset(buf, 0, sizeof buf);
    say("read through a dir link: %ld '%s'\n", (long)read(fd, buf, sizeof buf), buf);
    close(fd);

    /* fstatat flags */
    struct stat st;
    ok("newfstatat nofollow", fstatat(d, "s", &st, AT_SYMLINK_NOFOLLOW));
    say("  is link %d\n", S_ISLNK(st.st_mode));
    ok("newfstatat follow", fstatat(d, "s", &st, 0));
    say("  is reg %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    ok("newfstatat AT_EMPTY_PATH", fstatat(d, "", &st, AT_EMPTY_PATH));
    say("  is dir %d\n", S_ISDIR(st.st_mode));
    report("newfstatat empty without flag", fstatat(d, "", &st, 0), ENOENT);
    report("newfstatat bad flags", fstatat(d, "s", &st, 0x4), EINVAL);
    int p[2];
    (void)!pipe(p);
    ok("fstat pipe", fstat(p[0], &st));
    say("  is fifo %d mode %o\n", S_ISFIFO(st.st_mode), (unsigned)(st.st_mode & 0777));
    close(p[0]);
    close(p[1]);

    /* statx */
    struct kstatx sx;
    CHECK(sizeof sx == 256, "statx size");
    memset(&sx, 0, sizeof sx);
    ok("statx", statx(d, "g", 0, STATX_BASIC_STATS, &sx));
    say("  basic mask %x mode %o nlink %u size %llu blksize %u\n", sx.stx_mask & STATX_BASIC_STATS,
        (unsigned)sx.stx_mode, sx.stx_nlink, (unsigned long long)sx.stx_size, sx.stx_blksize);
    fstat(open("/tmp/d/g", O_RDONLY), &st);
    say("  ino matches stat: %d\n", sx.stx_ino == st.st_ino);
    report("statx reserved mask", statx(d, "g", 0, 0x80000000u, &sx), EINVAL);
    report("statx both sync flags", statx(d, "g", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, 0, &sx), EINVAL);

    /* statfs */
    struct statfs sf;
    ok("statfs /tmp", statfs("/tmp", &sf));
    say("  type %lx bsize %ld namelen %ld frsize %ld\n", (long)sf.f_type, (long)sf.f_bsize, (long)sf.f_namelen,
        (long)sf.f_frsize);
    ok("fstatfs", fstatfs(d, &sf));
    say("  type %lx\n", (long)sf.f_type);
    report("statfs missing", statfs("/tmp/none", &sf), ENOENT);

    /* rename */
    ok("rename file", rename("/tmp/d/g", "/tmp/d/g2"));
    report("rename missing", rename("/tmp/d/g", "/tmp/d/g3"), ENOENT);
    ok("renameat2 plain", syscall(SYS_renameat2, d, "g2", d, "g3", 0));
    ok("touch k", close(open("/tmp/d/k", O_CREAT | O_WRONLY, 0644)));
    report("renameat2 NOREPLACE onto existing", syscall(SYS_renameat2, d, "g3", d, "k", 1), EEXIST);
    ok("renameat2 NOREPLACE to new", syscall(SYS_renameat2, d, "g3", d, "g4", 1));
    report("renameat2 bad flags", syscall(SYS_renameat2, d, "g4", d, "g5", 8), EINVAL);
    ok("rename over a file", renameat(d, "k", d, "g4"));
    report("rename dir over file", rename("/tmp/d/sub", "/tmp/d/g4"), ENOTDIR);
    report("rename file over dir", rename("/tmp/d/g4", "/tmp/d/sub"), EISDIR);
    report("rename dir into itself", rename("/tmp/d/sub", "/tmp/d/sub/x"), EINVAL);
    ok("mkdir e", mkdir("/tmp/d/e", 0755));
    ok("rename dir over empty dir", rename("/tmp/d/e", "/tmp/d/sub2"));
    list("/tmp/d");

    /* mknod: a FIFO node, a regular file */
    ok("mknod fifo", mknod("/tmp/d/fifo", S_IFIFO | 0644, 0));
    show("/tmp/d/fifo", 0);
    ok("mknodat regular", mknodat(d, "plain", S_IFREG | 0600, 0));
    show("/tmp/d/plain", 0);
    report("mknod a directory", mknod("/tmp/d/dd", S_IFDIR | 0755, 0), EPERM);
    report("mknod existing", mknod("/tmp/d/plain", S_IFREG | 0600, 0), EEXIST);

    /* cwd */
    ok("chdir", chdir("/tmp/d/sub"));
    say("getcwd: '%s'\n", getcwd(buf, sizeof buf));
    ok("fchdir", fchdir(d));
    say("getcwd: '%s'\n", getcwd(buf, sizeof buf));
    fd = open("h-rel", O_CREAT | O_WRONLY, 0644);
    say("relative create in cwd: ok %d\n", fd >= 0);
    close(fd);
    show("/tmp/d/h-rel", 1);
    ok("chdir ..", chdir(".."));
    say("getcwd: '%s'\n", getcwd(buf, sizeof buf));
    report("getcwd small buffer", (long)(getcwd(buf, 3) ? 0 : -1), ERANGE);
    report("chdir a file", chdir("/tmp/d/plain"), ENOTDIR);
    report("chdir missing", chdir("/tmp/d/none"), ENOENT);
    fd = open("/tmp/d/plain", O_RDONLY);
    report("fchdir a file", fchdir(fd), ENOTDIR);
    close(fd);
    ok("chdir /", chdir("/"));

    /* access */
    ok("access F_OK", access("/tmp/d/plain", F_OK));
    ok("access R_OK|W_OK", access("/tmp/d/plain", R_OK | W_OK));
    report("access X_OK no exec bit", access("/tmp/d/plain", X_OK), EACCES);
    ok("access X_OK dir", access("/tmp/d", X_OK));
    report("access missing", access("/tmp/d/none", F_OK), ENOENT);
    report("access bad mode", access("/tmp/d/plain", 8), EINVAL);
    ok("faccessat", faccessat(d, "plain", R_OK, 0));
    report("faccessat2 nofollow dangling", syscall(439, d, "dang", F_OK, 0), ENOENT);
    ok("faccessat2 AT_SYMLINK_NOFOLLOW", syscall(439, d, "dang", F_OK, AT_SYMLINK_NOFOLLOW));

    /* chmod, chown, utimensat */
    ok("chmod", chmod("/tmp/d/plain", 04755));
    show("/tmp/d/plain", 1);
    ok("access X_OK after chmod", access("/tmp/d/plain", X_OK));
    ok("chown", chown("/tmp/d/plain", 1000, 100));
    show("/tmp/d/plain", 1);
    fd = open("/tmp/d/plain", O_RDONLY);
    ok("fchmod", fchmod(fd, 02755));
    ok("fchown gid only", fchown(fd, -1, 50));
    show("/tmp/d/plain", 1);
    ok("fchmodat", fchmodat(d, "plain", 0640, 0));
    ok("lchown on a link", lchown("/tmp/d/s", 7, 8));
    show("/tmp/d/s", 0);
    show("/tmp/d/s", 1);
    ok("fchownat nofollow", fchownat(d, "sl", 9, 9, AT_SYMLINK_NOFOLLOW));
    show("/tmp/d/sl", 0);
    show("/tmp/d/sub", 1);
    struct timespec ts[2] = {{1000000000, 5}, {1200000000, 123456789}};
    ok("utimensat", utimensat(d, "plain", ts, 0));
    stat("/tmp/d/plain", &st);
    say("  atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
        (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {0, 0}};
    ok("utimensat omit atime", utimensat(d, "plain", omit, 0));
    stat("/tmp/d/plain", &st);
    say("  atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    ok("utimensat now", futimens(fd, now));
    stat("/tmp/d/plain", &st);
    say("  mtime later than the epoch: %d, atime == mtime: %d\n", st.st_mtim.tv_sec > 0 || st.st_mtim.tv_nsec > 0,
        st.st_atim.tv_sec == st.st_mtim.tv_sec && st.st_atim.tv_nsec == st.st_mtim.tv_nsec);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    report("utimensat bad nsec", utimensat(d, "plain", bad, 0), EINVAL);
    struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    ok("utimensat both omit on a missing file", utimensat(d, "none", both_omit, 0));
    report("utimensat missing", utimensat(d, "none", NULL, 0), ENOENT);
    close(fd);
    close(d);
    return finish("fs_dirs");
}
