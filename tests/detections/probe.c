/* mamori-probe: single system calls the live detection tests need, in a static binary
 * that also runs inside the busybox test image (which has no compiler or python).
 *
 *   probe unix PATH            connect(2) to a unix socket
 *   probe tcp IP PORT          non-blocking connect(2) (the attempt is the event)
 *   probe finit FILE           finit_module(2) of FILE (fails unless FILE is a module)
 *   probe setuid UID ARGS...   setuid(UID), then print the result
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int unix_connect(const char *path) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
    int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
    printf("connect %s: %d %d\n", path, r, r < 0 ? errno : 0);
    return 0;
}

static int tcp_connect(const char *ip, const char *port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    inet_pton(AF_INET, ip, &sa.sin_addr);
    int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
    printf("connect %s:%s: %d %d\n", ip, port, r, r < 0 ? errno : 0);
    return 0;
}

static int finit(const char *file) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    long r = syscall(SYS_finit_module, fd, "", 0);
    printf("finit_module %s: %ld %d\n", file, r, r < 0 ? errno : 0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "unix") == 0) return unix_connect(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "tcp") == 0) return tcp_connect(argv[2], argv[3]);
    if (argc >= 3 && strcmp(argv[1], "finit") == 0) return finit(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "setuid") == 0) {
        int r = setuid(atoi(argv[2]));
        printf("setuid %s: %d euid=%d\n", argv[2], r, geteuid());
        return 0;
    }
    fprintf(stderr, "usage: probe unix|tcp|finit|setuid ...\n");
    return 2;
}
