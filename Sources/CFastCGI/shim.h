#ifndef SALES_CFASTCGI_SHIM_H
#define SALES_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/// An anonymous shared-memory file (memfd_create, close-on-exec) for the process pool's status
/// page; -1 with errno on failure. (`syscall` and `prctl` are variadic: not callable from Swift.)
static inline int salesd_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
}

/// Asks the kernel to send `sig` to this process when its parent (the pool master) dies.
static inline int salesd_set_parent_death_signal(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0ul, 0ul, 0ul);
}
#endif
