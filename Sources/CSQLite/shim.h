#ifndef RELIEFD_CSQLITE_SHIM_H
#define RELIEFD_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import; wrap it.
static inline sqlite3_destructor_type reliefd_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
