// libfcgi's threaded request API (fcgiapp.h), the only part Pictor uses, plus what the server
// needs from the system around it: epoll (threads share the wait for connections), accept4
// and mallopt (freed page buffers are kept for the next request).
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
