/* hello: writev(2) of three pieces to stdout, then its return value. */
#include <sys/uio.h>
#include "common.h"

int main(void)
{
    char a[] = "hello, ", b[] = "world", c[] = "\n";
    struct iovec iov[3] = {
        { a, sizeof a - 1 }, { b, sizeof b - 1 }, { c, sizeof c - 1 },
    };
    ssize_t n = writev(1, iov, 3);
    say("writev returned %zd\n", n);
    CHECK(n == 13, "writev returned %zd, want 13", n);
    /* An empty iovec list writes nothing. */
    n = writev(1, iov, 0);
    say("writev of 0 iovecs returned %zd\n", n);
    CHECK(n == 0, "writev(0) returned %zd", n);
    return finish("hello");
}
