// A reactor service for supervisor tests: healthy exports, and hostile ones
// that trap, spin, exhaust memory or the stack, or exit.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t calls = 0;

__attribute__((export_name("ping"))) int32_t ping(void) { return 42; }
__attribute__((export_name("add"))) int32_t add(int32_t a, int32_t b) { return a + b; }
__attribute__((export_name("calls"))) int32_t count_calls(void) { return ++calls; }

__attribute__((export_name("say"))) int32_t say(int32_t n) {
  printf("hello %d\n", (int)n);
  fprintf(stderr, "warning %d\n", (int)n);
  fflush(stdout);
  fflush(stderr);
  return n;
}

__attribute__((export_name("trap"))) int32_t trap(void) { __builtin_trap(); }

// Says so first (flushed), so a test can wait until the loop runs.
__attribute__((export_name("spin"))) int32_t spin(void) {
  printf("spinning\n");
  fflush(stdout);
  for (volatile unsigned long i = 0;; ++i) {
  }
}

// Allocates until the memory limit, then aborts as an out-of-memory handler
// would.
static char* volatile last_block;
__attribute__((export_name("membomb"))) int32_t membomb(void) {
  for (;;) {
    char* block = malloc(1 << 20);
    if (!block) abort();
    memset(block, 1, 1 << 20);
    last_block = block;
  }
}

static volatile int stop_depth = -1;
__attribute__((noinline)) static int deeper(int depth) {
  if (depth == stop_depth) return 0;
  return deeper(depth + 1) + stop_depth;
}
__attribute__((export_name("recurse"))) int32_t recurse(void) { return deeper(0); }

__attribute__((export_name("quit"))) int32_t quit(void) { exit(3); }
