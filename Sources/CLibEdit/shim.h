#ifndef RELIEFD_CLIBEDIT_SHIM_H
#define RELIEFD_CLIBEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
