/* tty_split.c - /dev/ttyS0 and /dev/tty1 are two terminals.
 *
 * Without arguments (the oracle run, and linux-tty-split-smp1): each has
 * its own termios and window size: their baud rates (the serial console's
 * 9600, a virtual terminal's 38400), raw mode set on one leaves the other
 * canonical, a window size set on ttyS0 is not tty1's, and /dev/console
 * (console=ttyS0 under Linux) shares ttyS0's settings only when it is it.
 *
 * With "split" (tty-split-smp2, booted with console=ttyS0): the harness
 * types on COM1 and presses PS/2 keys after each "ready" line; what was
 * typed on the serial line arrives on ttyS0 only and the keys on tty1
 * only, in canonical and in raw mode. */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include "proctest.h"

static int open_tty(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY);
    if (fd < 0)
        say("open %s: errno %s\n", path, errname(errno));
    return fd;
}

static const char *speed(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0)
        return "error";
    switch (cfgetospeed(&t)) {
    case B9600: return "9600";
    case B38400: return "38400";
    case B115200: return "115200";
    default: return "other";
    }
}

static int canonical(int fd)
{
    struct termios t;
    return tcgetattr(fd, &t) == 0 && (t.c_lflag & ICANON);
}

static void set_raw(int fd)
{
    struct termios t;
    tcgetattr(fd, &t);
    t.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &t);
}

static int pending(int fd)
{
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

/* The oracle part: settings are per terminal. */
static int settings(void)
{
    if (access("/dev/ttyS0", F_OK) != 0) /* the oracle's initramfs */
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int s = open_tty("/dev/ttyS0"), k = open_tty("/dev/tty1");
    if (s < 0 || k < 0)
        return finish("tty_split");
    say("ttyS0 speed %s, tty1 speed %s\n", speed(s), speed(k));
    struct termios saved_s, saved_k;
    tcgetattr(s, &saved_s);
    tcgetattr(k, &saved_k);
    set_raw(k);
    say("tty1 raw: tty1 canonical %d, ttyS0 canonical %d\n", canonical(k), canonical(s));
    tcsetattr(k, TCSANOW, &saved_k);
    set_raw(s);
    say("ttyS0 raw: tty1 canonical %d, ttyS0 canonical %d\n", canonical(k), canonical(s));
    tcsetattr(s, TCSANOW, &saved_s);
    struct winsize ws0, wk0, w = { .ws_row = 33, .ws_col = 77 }, got;
    ioctl(s, TIOCGWINSZ, &ws0);
    ioctl(k, TIOCGWINSZ, &wk0);
    say("ttyS0 window %ux%u, tty1 window nonzero %d\n", ws0.ws_col, ws0.ws_row, wk0.ws_col > 0 && wk0.ws_row > 0);
    ioctl(s, TIOCSWINSZ, &w);
    ioctl(k, TIOCGWINSZ, &got);
    say("ttyS0 set to 77x33: tty1 unchanged %d\n", got.ws_col == wk0.ws_col && got.ws_row == wk0.ws_row);
    ioctl(s, TIOCGWINSZ, &got);
    say("ttyS0 reads back %ux%u\n", got.ws_col, got.ws_row);
    ioctl(s, TIOCSWINSZ, &ws0);
    int both = pending(s) == 0 && pending(k) == 0;
    say("nothing pending on either: %d\n", both);
    return finish("tty_split");
}

/* Read one line (canonical) or n bytes one by one (raw) from fd; print
 * them; check the other terminal got nothing. */
static void take(const char *what, int fd, int other, const char *other_name, int raw_bytes, const char *want)
{
    char buf[64] = { 0 };
    long n = 0;
    if (raw_bytes == 0) {
        n = read(fd, buf, sizeof buf - 1);
    } else {
        while (n < raw_bytes && read(fd, buf + n, 1) == 1)
            n++;
    }
    say("%s read %ld:", what, n);
    for (long i = 0; i < n; i++)
        say(" %02x", (unsigned char)buf[i]);
    say("\n");
    CHECK(n == (long)strlen(want) && !memcmp(buf, want, (size_t)n), "%s: unexpected bytes", what);
    struct pollfd p = { .fd = other, .events = POLLIN };
    int ready = poll(&p, 1, 0);
    int left = pending(other);
    say("%s: %s has %d bytes, poll %d\n", what, other_name, left, ready);
    CHECK(left == 0 && ready == 0, "%s: input reached %s", what, other_name);
}

static int split(void)
{
    int s = open_tty("/dev/ttyS0"), k = open_tty("/dev/tty1");
    if (s < 0 || k < 0)
        return finish("tty_split split");
    /* console=ttyS0: /dev/console (our fd 0) is ttyS0 itself. */
    struct winsize w = { .ws_row = 12, .ws_col = 34 }, got = { 0 };
    ioctl(s, TIOCSWINSZ, &w);
    ioctl(0, TIOCGWINSZ, &got);
    say("[SPLIT] /dev/console is ttyS0: %s\n", got.ws_col == 34 && got.ws_row == 12 ? "yes" : "no");
    tcflush(s, TCIFLUSH);
    tcflush(k, TCIFLUSH);
    say("[SPLIT] ready: serial canonical\n");
    take("[SPLIT] ttyS0 canonical", s, k, "tty1", 0, "hello\n");
    say("[SPLIT] ready: keyboard canonical\n");
    take("[SPLIT] tty1 canonical", k, s, "ttyS0", 0, "hi\n");
    set_raw(s);
    set_raw(k);
    say("[SPLIT] ready: serial raw\n");
    take("[SPLIT] ttyS0 raw", s, k, "tty1", 2, "a\003");
    say("[SPLIT] ready: keyboard raw\n");
    take("[SPLIT] tty1 raw", k, s, "ttyS0", 2, "b\003");
    return finish("tty_split split");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "split"))
        return split();
    return settings();
}
