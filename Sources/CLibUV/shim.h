#ifndef RELIEFD_CLIBUV_SHIM_H
#define RELIEFD_CLIBUV_SHIM_H
#include <uv.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

// struct ucred is only declared under _GNU_SOURCE, which would make these headers disagree with
// Swift's Glibc module; the kernel's layout is stable, so spell it out here.
struct reliefd_ucred { pid_t pid; uid_t uid; gid_t gid; };

// The peer's uid on a Unix socket, or -1 when it has no credentials (TCP) or the call fails.
static inline long reliefd_peer_uid(int fd) {
    struct reliefd_ucred cred;
    socklen_t length = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return -1;
    return (long)cred.uid;
}

// Lowers the calling thread's scheduling priority by `increment` (Linux nice values are per
// thread): background work such as a drill at full speed then yields to the event loop.
static inline int reliefd_nice_this_thread(int increment) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), increment);
}
#endif
