#ifndef RELIEFD_CLIBEDIT_SHIM_H
#define RELIEFD_CLIBEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>

/* libedit's completion settings are C globals, which Swift 6 will not touch directly (shared
   mutable state). The interactive prompt sets and reads them on its one thread through these. */
static inline void reliefd_rl_set_completion(rl_completion_func_t *function) {
    rl_attempted_completion_function = function;
}
static inline void reliefd_rl_completion_over(void) { rl_attempted_completion_over = 1; }
static inline void reliefd_rl_set_append_character(int character) { rl_completion_append_character = character; }
static inline const char *reliefd_rl_line_buffer(void) { return rl_line_buffer; }
#endif
