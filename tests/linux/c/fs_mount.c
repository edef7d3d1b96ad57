/* fs_mount: mount(2) and umount2(2) as root: a fresh tmpfs (its own
 * device, listed in /proc/mounts, empty again after a remount), proc and
 * devtmpfs seen again (the list read from a proc of our own), a bind mount (the same inode, writes visible on
 * both sides), and EBUSY for an open file, a working directory and a
 * mount inside; the errors for a missing or non-directory target, an
 * unknown type, a directory that is not a mount, bad umount2 flags. */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "proctest.h"

static int in_proc_mounts(const char *path, const char *type)
{
    char want[128], buf[4096];
    snprintf(want, sizeof want, " %s %s ", path, type);
    int fd = open("/tmp/pm/mounts", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return strstr(buf, want) != NULL;
}

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s: errno %d", path, errno);
    close(fd);
}

static void tmpfs_mounts(void)
{
    struct stat tmp, m, f;
    mkdir("/tmp/m", 0755);
    stat("/tmp", &tmp);
    report("mount tmpfs on /tmp/m", mount("none", "/tmp/m", "tmpfs", 0, NULL));
    stat("/tmp/m", &m);
    say("  its own device %d, a directory %d, listed in /proc/mounts %d\n", m.st_dev != tmp.st_dev, S_ISDIR(m.st_mode),
        in_proc_mounts("/tmp/m", "tmpfs"));
    put("/tmp/m/f", "in the tmpfs");
    stat("/tmp/m/f", &f);
    say("  a file in it is on that device %d\n", f.st_dev == m.st_dev);
    int fd = open("/tmp/m/f", O_RDONLY);
    report("umount with a file open", umount("/tmp/m"));
    close(fd);
    chdir("/tmp/m");
    report("umount of the working directory", umount("/tmp/m"));
    chdir("/");
    mkdir("/tmp/m/sub", 0755);
    report("mount tmpfs inside it", mount("none", "/tmp/m/sub", "tmpfs", MS_NOSUID | MS_NOATIME, NULL));
    report("umount with a mount inside", umount("/tmp/m"));
    report("umount the inner one", umount("/tmp/m/sub"));
    report("umount /tmp/m", umount2("/tmp/m", 0));
    report("  the file is gone (stat)", stat("/tmp/m/f", &f));
    say("  not listed any more %d\n", in_proc_mounts("/tmp/m", "tmpfs") == 0);
    report("mount tmpfs again", mount("none", "/tmp/m", "tmpfs", 0, NULL));
    report("  it starts empty (stat)", stat("/tmp/m/f", &f));
    report("umount2 with MNT_DETACH", umount2("/tmp/m", MNT_DETACH));
}

static void other_types(void)
{
    mkdir("/tmp/p", 0755);
    report("mount proc on /tmp/p", mount("proc", "/tmp/p", "proc", 0, NULL));
    char link[32] = "";
    ssize_t n = readlink("/tmp/p/self", link, sizeof link - 1);
    say("  /tmp/p/self is a pid %d\n", n > 0 && link[0] >= '1' && link[0] <= '9');
    report("umount it", umount("/tmp/p"));
    mkdir("/tmp/d", 0755);
    report("mount devtmpfs on /tmp/d", mount("devtmpfs", "/tmp/d", "devtmpfs", 0, NULL));
    struct stat st;
    say("  /tmp/d/null is a character device %d\n", stat("/tmp/d/null", &st) == 0 && S_ISCHR(st.st_mode));
    report("umount it", umount("/tmp/d"));

    mkdir("/tmp/src", 0755);
    mkdir("/tmp/b", 0755);
    put("/tmp/src/file", "from the source");
    report("bind /tmp/src on /tmp/b", mount("/tmp/src", "/tmp/b", NULL, MS_BIND, NULL));
    struct stat a, b;
    stat("/tmp/src/file", &a);
    stat("/tmp/b/file", &b);
    say("  the same inode %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    put("/tmp/b/new", "through the bind");
    say("  a file made through it is in the source %d\n", stat("/tmp/src/new", &a) == 0);
    report("umount the bind", umount("/tmp/b"));
    say("  the source keeps it %d\n", stat("/tmp/src/new", &a) == 0);
}

static void errors(void)
{
    report("mount on a missing directory", mount("none", "/tmp/nosuch", "tmpfs", 0, NULL));
    put("/tmp/plain", "x");
    report("mount on a file", mount("none", "/tmp/plain", "tmpfs", 0, NULL));
    report("mount of an unknown type", mount("none", "/tmp/m", "nosuchfs", 0, NULL));
    report("umount of a directory that is not a mount", umount("/tmp/m"));
    report("umount of a missing path", umount("/tmp/nosuch"));
    report("umount2 with unknown flags", umount2("/tmp/m", 0x100));
    report("umount2 with MNT_EXPIRE and MNT_FORCE", umount2("/tmp/m", MNT_EXPIRE | MNT_FORCE));
    report("mount with a bad target pointer", mount("none", (const char *)1, "tmpfs", 0, NULL));
}

int main(void)
{
    /* Our own view of proc: the oracle's Linux has none on /proc. */
    mkdir("/tmp/pm", 0755);
    report("mount proc on /tmp/pm", mount("proc", "/tmp/pm", "proc", 0, NULL));
    tmpfs_mounts();
    other_types();
    errors();
    report("umount /tmp/pm", umount("/tmp/pm"));
    return finish("fs_mount");
}
