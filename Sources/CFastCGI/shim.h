#ifndef SALES_CFASTCGI_SHIM_H
#define SALES_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/// An anonymous shared-memory file (memfd_create, close-on-exec) for the process pool's status
/// page; -1 with errno on failure. (`syscall` and `prctl` are variadic: not callable from Swift.)
static inline int salesd_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
}

/// Asks the kernel to send `sig` to this process when its parent (the pool master) dies.
static inline int salesd_set_parent_death_signal(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0ul, 0ul, 0ul);
}

/// Relaxed atomic add on a counter in shared memory (the pool's statistics page, written by
/// every worker process at once).
static inline void salesd_atomic_add(int64_t *p, int64_t v) {
    __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static inline int64_t salesd_atomic_load(const int64_t *p) {
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/// sd_notify(3) without libsystemd: one datagram with `state` to $NOTIFY_SOCKET (a path, or an
/// abstract name starting with '@'). Returns 1 sent, 0 no NOTIFY_SOCKET, -1 on error.
static inline int salesd_sd_notify(const char *state) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == 0) return 0;
    size_t len = strlen(path);
    struct sockaddr_un addr;
    if (len >= sizeof(addr.sun_path)) return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@') addr.sun_path[0] = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    close(fd);
    return n < 0 ? -1 : 1;
}
#endif
