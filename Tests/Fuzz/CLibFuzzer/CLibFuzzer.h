// libFuzzer's entry for a program with its own main (compiler-rt's libclang_rt.fuzzer_no_main).
// Only declared: nothing is linked unless deploy/fuzz builds with RELIEF_FUZZ and links that
// library, and only that build calls it (Tests/Fuzz/ReliefFuzz/main.swift).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
