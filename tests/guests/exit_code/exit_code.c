// A WASI 0.2 command that exits with the code given as its first argument
// through wasi:cli/exit#exit-with-code, bypassing wasi-libc's exit (which
// goes through the preview1 adapter's proc_exit).
#include <stdlib.h>

#include "exit_code.h"

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  wasi_cli_exit_exit_with_code((uint8_t)atoi(argv[1]));
  return 65;  // not reached: exit-with-code does not return
}
