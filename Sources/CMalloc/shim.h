#ifndef RELIEFD_CMALLOC_SHIM_H
#define RELIEFD_CMALLOC_SHIM_H
/* glibc's allocator settings (mallopt, malloc_trim), which Swift's Glibc module leaves out. */
#include <malloc.h>
#endif
