// The bundled example: a small WASI command that greets whoever its argument
// names, reads a file from a directory it was granted, and shows what happens
// when it tries to write where it was granted read-only access.
//
//   orivon run --env GREETING=Hello --dir-ro DATA::/data hello.core.wasm world /data/message.txt
//   orivon run --dir-ro DATA::/data hello.core.wasm --write /data/new.txt
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int try_write(const char* path) {
  FILE* f = fopen(path, "w");
  if (!f) {
    printf("writing %s was refused: %s\n", path, strerror(errno));
    return 1;
  }
  fputs("hello\n", f);
  fclose(f);
  printf("wrote %s\n", path);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--write") == 0) return try_write(argv[2]);

  const char* greeting = getenv("GREETING");
  printf("%s, %s!\n", greeting ? greeting : "Hi", argc > 1 ? argv[1] : "stranger");
  if (argc > 2) {
    FILE* f = fopen(argv[2], "r");
    if (!f) {
      printf("cannot read %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) printf("%s says: %s", argv[2], line);
    fclose(f);
  }
  printf("environment variables visible to me: ");
  extern char** environ;
  int count = 0;
  for (char** e = environ; *e; ++e) ++count;
  printf("%d\n", count);
  return 0;
}
