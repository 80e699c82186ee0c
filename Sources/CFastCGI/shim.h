// libfcgi's threaded request API (fcgiapp.h), the only part Pictor uses.
#include <fcgiapp.h>
