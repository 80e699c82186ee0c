// libfcgi's threaded request API (fcgiapp.h), the only part Pictor uses, and glibc's mallopt,
// which the server uses to keep freed page buffers for the next request.
#include <fcgiapp.h>
#include <malloc.h>
