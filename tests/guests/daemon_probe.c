// A daemon service: the runtime calls `tick` as its main loop; `ticks` and
// `stopped` can be queried between ticks; `stop` is the graceful-stop hook.
#include <stdint.h>
#include <stdio.h>

static int32_t ticks = 0;
static int32_t stop_requested = 0;

// One step of the main loop; returns the milliseconds until the next one.
__attribute__((export_name("tick"))) int32_t tick(void) {
  ++ticks;
  if (ticks == 1) {
    printf("daemon running\n");
    fflush(stdout);
  }
  return 5;
}

__attribute__((export_name("ticks"))) int32_t tick_count(void) { return ticks; }

__attribute__((export_name("stop"))) void stop(void) {
  stop_requested = 1;
  printf("daemon stopping after %d ticks\n", (int)ticks);
  fflush(stdout);
}
