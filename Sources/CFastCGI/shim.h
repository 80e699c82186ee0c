// libfcgi's FCGX_OpenSocket (fcgiapp.h), the only part Pictor uses (records are read and written
// by FastCGI/Records.swift and Server.swift, with every length bounded), plus what the server
// needs from the system around it: epoll (threads share the wait for connections), accept4,
// mallopt (freed page buffers are kept for the next request), and memfd with atomic counters
// for the scoreboard the pool's processes share.
#include <fcgiapp.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/// accept4(2) is a GNU extension the Glibc module does not show: accepts a connection that is
/// closed on exec, in one call.
static inline int pictor_accept_cloexec(int listen_fd) {
    extern int accept4(int, struct sockaddr *, socklen_t *, int);
    return accept4(listen_fd, 0, 0, SOCK_CLOEXEC);
}

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/// memfd_create(2), which the Glibc module does not show: the pool's shared scoreboard is an
/// anonymous file the master creates and its workers inherit and map.
static inline int pictor_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
}

/// Counters in memory shared between processes, where Swift's Atomic cannot be placed.
static inline void pictor_counter_add(uint64_t *counter, uint64_t amount) {
    __atomic_fetch_add(counter, amount, __ATOMIC_RELAXED);
}
static inline void pictor_counter_sub(uint64_t *counter, uint64_t amount) {
    __atomic_fetch_sub(counter, amount, __ATOMIC_RELAXED);
}
static inline uint64_t pictor_counter_load(const uint64_t *counter) {
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}
static inline void pictor_counter_store(uint64_t *counter, uint64_t value) {
    __atomic_store_n(counter, value, __ATOMIC_RELAXED);
}
