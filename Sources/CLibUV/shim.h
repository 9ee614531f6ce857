#ifndef RELIEFD_CLIBUV_SHIM_H
#define RELIEFD_CLIBUV_SHIM_H
#include <uv.h>
#endif
