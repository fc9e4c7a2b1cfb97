// A command guest whose behaviour is chosen by its first argument, so one
// source exercises every `orivon run` option as a core module and as a
// component. Hostile modes (trap, loop, membomb, recurse) are here too.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr, "usage: cli_probe echo|env|read|write|exit|trap|loop|membomb|recurse|recurse-deep-frames ...\n");
  return 64;
}

static int read_file(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    printf("read failed: %s\n", strerror(errno));
    return 1;
  }
  char buffer[256];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, f)) > 0) fwrite(buffer, 1, n, stdout);
  fclose(f);
  return 0;
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("write failed: %s\n", strerror(errno));
    return 1;
  }
  ssize_t written = write(fd, text, strlen(text));
  close(fd);
  if (written != (ssize_t)strlen(text)) {
    printf("write failed: short write\n");
    return 1;
  }
  printf("wrote %s\n", path);
  return 0;
}

// Grows the heap 1 MiB at a time, touching every page, until malloc fails,
// then frees it all and reports. Blocks are chained through their first bytes,
// so the compiler cannot elide the allocations; freeing before printing
// matters for components, whose WASI adapter needs heap for each write.
static int memory_bomb(void) {
  printf("starting memory bomb\n");  // lets a component's adapter set up first
  fflush(stdout);
  void* chain = NULL;
  unsigned long mebibytes = 0;
  for (;;) {
    void** block = malloc(1 << 20);
    if (!block) break;
    memset(block, 0xab, 1 << 20);
    *block = chain;
    chain = block;
    ++mebibytes;
  }
  while (chain) {
    void* next = *(void**)chain;
    free(chain);
    chain = next;
  }
  printf("allocated %lu MiB before malloc failed\n", mebibytes);
  return 1;
}

// Recurses until the wasm call stack is exhausted: small frames that live in
// wasm locals only. The volatile read after the call keeps the compiler from
// turning the recursion into a loop; the never-true condition keeps it from
// proving the recursion endless at compile time.
static volatile int stop_depth = -1;
__attribute__((noinline)) static int recurse(int depth) {
  if (depth == stop_depth) return 0;
  return recurse(depth + 1) + stop_depth;
}

// Recurses with large frames on the C stack, which lives in linear memory:
// that stack runs out before the wasm call stack does.
__attribute__((noinline)) static int recurse_deep_frames(int depth) {
  volatile char frame[4096];
  frame[0] = (char)depth;
  if (depth == stop_depth) return frame[0];
  return recurse_deep_frames(depth + 1) + frame[0];
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const char* mode = argv[1];
  if (strcmp(mode, "echo") == 0) {
    for (int i = 2; i < argc; ++i) printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    return 0;
  }
  if (strcmp(mode, "args") == 0) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
  }
  if (strcmp(mode, "env") == 0 && argc == 3) {
    const char* value = getenv(argv[2]);
    printf("%s=%s\n", argv[2], value ? value : "<unset>");
    return 0;
  }
  if (strcmp(mode, "env-count") == 0) {
    extern char** environ;
    int count = 0;
    for (char** e = environ; *e; ++e) ++count;
    printf("%d\n", count);
    return 0;
  }
  if (strcmp(mode, "read") == 0 && argc == 3) return read_file(argv[2]);
  if (strcmp(mode, "write") == 0 && argc == 4) return write_file(argv[2], argv[3]);
  if (strcmp(mode, "exit") == 0 && argc == 3) exit(atoi(argv[2]));
  if (strcmp(mode, "trap") == 0) __builtin_trap();
  if (strcmp(mode, "loop") == 0) {
    for (volatile unsigned long i = 0;; ++i) {
    }
  }
  if (strcmp(mode, "membomb") == 0) return memory_bomb();
  if (strcmp(mode, "recurse") == 0) return recurse(0);
  if (strcmp(mode, "recurse-deep-frames") == 0) return recurse_deep_frames(0);
  return usage();
}
