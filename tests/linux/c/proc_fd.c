/* proc_fd.c - /proc/self/exe, /proc/self/fd and /proc/N/fd against Linux:
 * the exe link (readlink, lstat, stat, open), the fd directory's listing,
 * each link's readlink text (files, directories, devices, pipes) and
 * lstat mode and size, a child's /proc/N/fd and exe (alive, zombie,
 * reaped), reopening /proc/self/fd/N (a new description of the same file),
 * a deleted file's " (deleted)", and the errors for closed or malformed
 * descriptor names. Pids and pipe inode numbers are printed as PID and
 * N, so the text is the same on every run. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include "proctest.h"

static char self_pid[16];

/* readlink(path) into buf (NUL-terminated); its result. */
static long rl(const char *path, char *buf, size_t len)
{
    long n = readlink(path, buf, len - 1);
    buf[n < 0 ? 0 : n] = 0;
    return n;
}

/* text with the decimal pid (as a whole path component) replaced by PID
 * and a pipe's inode number by N. */
static const char *mask(const char *text, const char *pid)
{
    static char out[512];
    char *o = out;
    const char *p = text;
    size_t pl = strlen(pid);
    if (strncmp(p, "pipe:[", 6) == 0)
        return "pipe:[N]";
    while (*p && o < out + sizeof out - 8) {
        if (strncmp(p, pid, pl) == 0 && (p == text || p[-1] == '/') && (p[pl] == '/' || p[pl] == 0)) {
            memcpy(o, "PID", 3);
            o += 3;
            p += pl;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

/* The open descriptors /proc/DIR lists, ascending, space-separated. */
static void list_fds(const char *what, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        report(what, -1);
        return;
    }
    int seen[64] = { 0 }, dots = 0, other = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            dots++;
            continue;
        }
        int fd = atoi(e->d_name);
        if (fd >= 0 && fd < 64 && e->d_type == DT_LNK)
            seen[fd] = 1;
        else
            other++;
    }
    closedir(d);
    say("%s: . and .. %d, others %d, fds:", what, dots, other);
    for (int i = 0; i < 64; i++)
        if (seen[i])
            say(" %d", i);
    say("\n");
}

/* One descriptor link of /proc/PID/fd: its text and its lstat mode/size. */
static void show_link(const char *pid, int fd)
{
    char path[64], buf[256];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%s/fd/%d", pid, fd);
    long n = rl(path, buf, sizeof buf);
    if (n < 0) {
        say("fd %d: readlink -1 errno %s\n", fd, errname(errno));
        return;
    }
    int r = lstat(path, &st);
    say("fd %d -> %s (lstat %d, mode %o, size %ld)\n", fd, mask(buf, self_pid), r, (unsigned)st.st_mode, (long)st.st_size);
}

static void test_exe(const char *argv0)
{
    char buf[256];
    struct stat l, s, a;
    long n = rl("/proc/self/exe", buf, sizeof buf);
    say("readlink /proc/self/exe: %s argv[0]\n", n > 0 && !strcmp(buf, argv0) ? "equals" : "differs from");
    CHECK(n > 0 && !strcmp(buf, argv0), "exe %s, argv[0] %s", buf, argv0);
    lstat("/proc/self/exe", &l);
    say("lstat exe: link %d, mode %o\n", S_ISLNK(l.st_mode), (unsigned)(l.st_mode & 07777));
    stat("/proc/self/exe", &s);
    stat(argv0, &a);
    say("stat exe is the program: %s\n", s.st_ino == a.st_ino && s.st_dev == a.st_dev ? "yes" : "no");
    int fd = open("/proc/self/exe", O_RDONLY);
    char m[4] = { 0 };
    say("open exe: %s, starts with ELF: %s\n", fd >= 0 ? "ok" : "failed",
        fd >= 0 && read(fd, m, 4) == 4 && !memcmp(m, "\177ELF", 4) ? "yes" : "no");
    if (fd >= 0)
        close(fd);
    char link[64];
    snprintf(link, sizeof link, "/proc/%s/exe", self_pid);
    char buf2[256];
    rl(link, buf2, sizeof buf2);
    say("/proc/PID/exe same as /proc/self/exe: %s\n", !strcmp(buf, buf2) ? "yes" : "no");
    char small[4];
    n = readlink("/proc/self/exe", small, sizeof small);
    say("readlink exe into 4 bytes: %ld\n", n);
}

static void test_self_fds(void)
{
    int f = open("/tmp/pf_a", O_CREAT | O_RDWR | O_TRUNC, 0644); /* 3 */
    int null = open("/dev/null", O_WRONLY);                      /* 4 */
    int p[2];
    (void)!pipe(p);                                              /* 5, 6 */
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);             /* 7 */
    int rel = open("../tmp/./pf_a", O_RDONLY);                  /* 8: chdir("/") first */
    say("opened: %d %d %d %d %d %d\n", f, null, p[0], p[1], dir, rel);
    list_fds("/proc/self/fd", "/proc/self/fd");
    /* fd 0 differs by design (the oracle's script gives its programs
     * /dev/null, MelloOS's init has the console): not shown. */
    for (int fd = 1; fd <= 8; fd++)
        show_link("self", fd);
    DIR *d = opendir("/proc/self/fd"); /* its own descriptor is listed */
    int dfd = dirfd(d);
    show_link("self", dfd);
    closedir(d);
    char buf[64];
    report("readlink closed fd 99", rl("/proc/self/fd/99", buf, sizeof buf));
    report("readlink fd name 03", rl("/proc/self/fd/03", buf, sizeof buf));
    report("readlink fd name +3", rl("/proc/self/fd/+3", buf, sizeof buf));
    report("readlink /proc/self/fd", rl("/proc/self/fd", buf, sizeof buf));
    struct stat st;
    int r = stat("/proc/self/fd", &st);
    say("stat fd dir: %d mode %o nlink-ok %d\n", r, (unsigned)st.st_mode, st.st_nlink >= 2);
    r = lstat("/proc/self/fd/99", &st);
    report("lstat closed fd 99", r);

    /* Reopen: a new description of the same file, at offset 0. */
    (void)!write(f, "hello", 5);
    int again = open("/proc/self/fd/3", O_RDONLY);
    long off0 = lseek(again, 0, SEEK_CUR);
    char got[8] = { 0 };
    long n = read(again, got, sizeof got - 1);
    struct stat s1, s2;
    fstat(f, &s1);
    fstat(again, &s2);
    long off = lseek(f, 0, SEEK_CUR);
    say("reopen fd 3: fd %d at offset %ld (fd 3 at %ld), read %ld \"%s\", same inode %s\n", again, off0, off, n, got,
        s1.st_ino == s2.st_ino ? "yes" : "no");
    close(again);
    int dn = open("/proc/self/fd/4", O_WRONLY);
    fstat(dn, &s2);
    long w = write(dn, "x", 1);
    say("reopen /dev/null: write %ld, char device %d %u:%u\n", w, S_ISCHR(s2.st_mode),
        major(s2.st_rdev), minor(s2.st_rdev));
    close(dn);
    int dd = open("/proc/self/fd/7", O_RDONLY | O_DIRECTORY);
    say("reopen directory fd 7: %s\n", dd >= 0 ? "ok" : errname(errno));
    if (dd >= 0)
        close(dd);

    /* A deleted file keeps its link, marked. */
    unlink("/tmp/pf_a");
    show_link("self", 3);
    close(f);
    close(rel);
    close(null);
    close(p[0]);
    close(p[1]);
    close(dir);
    list_fds("after closing", "/proc/self/fd");
}

static void test_child(const char *argv0)
{
    int ready[2], go[2];
    (void)!pipe(ready);
    (void)!pipe(go);
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        int f = open("/tmp/pf_child", O_CREAT | O_WRONLY, 0600);
        dup2(f, 9);
        close(f);
        (void)!write(ready[1], "r", 1);
        char c;
        (void)!read(go[0], &c, 1);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c, path[64], buf[256], pidstr[16];
    (void)!read(ready[0], &c, 1);
    snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    list_fds("child's /proc/N/fd", path);
    for (int fd = 1; fd <= 9; fd++) {
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
        if (rl(path, buf, sizeof buf) >= 0)
            say("child fd %d -> %s\n", fd, mask(buf, pidstr));
    }
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    rl(path, buf, sizeof buf);
    say("child exe is argv[0]: %s\n", !strcmp(buf, argv0) ? "yes" : "no");

    /* Let it exit; look at the zombie (its files are gone), then reap. */
    (void)!write(go[1], "g", 1);
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    long n = rl(path, buf, sizeof buf);
    say("zombie exe: %ld errno %s\n", n, n < 0 ? errname(errno) : "-");
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    list_fds("zombie's /proc/N/fd", path);
    waitpid(pid, NULL, 0);
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    n = rl(path, buf, sizeof buf);
    say("reaped exe: %ld errno %s\n", n, n < 0 ? errname(errno) : "-");
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    say("reaped fd dir: %s\n", d ? "opened" : errname(errno));
    if (d)
        closedir(d);
    close(ready[0]);
    close(go[1]);
    unlink("/tmp/pf_child");
}

int main(int argc, char **argv)
{
    (void)argc;
    snprintf(self_pid, sizeof self_pid, "%d", (int)getpid());
    (void)!chdir("/");
    mkdir("/tmp", 0777);
    /* The oracle's initramfs has no /proc mounted; MelloOS's has one. */
    if (access("/proc/self", F_OK) != 0) {
        mkdir("/proc", 0555);
        mount("proc", "/proc", "proc", 0, NULL);
    }
    test_exe(argv[0]);
    test_self_fds();
    test_child(argv[0]);
    return finish("proc_fd");
}
