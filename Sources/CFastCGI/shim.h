// libfcgi's threaded request API (fcgiapp.h), the only part Pictor uses, plus what the server
// needs from the system around it: epoll (one process wakes per connection) and mallopt
// (freed page buffers are kept for the next request).
#include <fcgiapp.h>
#include <malloc.h>
#include <sys/epoll.h>
