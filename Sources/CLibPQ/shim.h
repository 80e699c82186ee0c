// libpq, PostgreSQL's client library (Debian installs it under postgresql/).
#include <postgresql/libpq-fe.h>
