#ifndef RELIEFD_CLIBPQ_SHIM_H
#define RELIEFD_CLIBPQ_SHIM_H
// libpq's client API (PGconn, PQconnectStartParams, pipeline mode; libpq 14 or newer).
#include <libpq-fe.h>
#endif
