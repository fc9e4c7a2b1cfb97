// A WASI command run as a command service: its main runs for the service's
// whole life. What it does comes from the variable MODE (granted with
// env:MODE=...):
//   wait     prints "started", sleeps in orivon:net poll until
//            orivon:lifecycle says a stop was asked, prints "stop seen",
//            returns 0 (a graceful stop)
//   spin     prints "started" and loops forever without looking (a stop is
//            interrupted after its grace period)
//   exit-N   prints "started" and returns N
//   trap     prints "started" and traps
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("orivon:net"), import_name("poll")))
int32_t net_poll(void* entries, int32_t count, int32_t timeout_ms);
__attribute__((import_module("orivon:lifecycle"), import_name("stop_requested")))
int32_t lifecycle_stop_requested(void);

int main(void) {
  const char* mode = getenv("MODE");
  if (mode == NULL) mode = "wait";
  printf("started %s\n", mode);
  fflush(stdout);
  if (strcmp(mode, "wait") == 0) {
    unsigned long rounds = 0;
    while (!lifecycle_stop_requested()) {
      net_poll(NULL, 0, 1000);  // an interruptible sleep: nothing to wait on
      ++rounds;
    }
    printf("stop seen\n");
    fflush(stdout);
    return 0;
  }
  if (strcmp(mode, "spin") == 0) {
    volatile unsigned long counter = 0;
    for (;;) ++counter;
  }
  if (strncmp(mode, "exit-", 5) == 0) return atoi(mode + 5);
  if (strcmp(mode, "trap") == 0) __builtin_trap();
  printf("unknown mode\n");
  return 2;
}
