// A template for an orivon service module in C: a counter with a loop.
// Build it like examples/template/CMakeLists.txt does (or by hand, see
// docs/writing-a-module.md), install it, start it, call it:
//
//   orivon add build/guests/template_counter.component.wasm --id example.counter.demo
//   orivon start example.counter.demo
//   orivon call example.counter.demo 'add(5)'
#include <stdio.h>

#include "counter_service.h"

static uint64_t total = 0;
static uint64_t ticks = 0;

uint64_t exports_example_counter_counter_add(uint32_t n) { return total += n; }

uint64_t exports_example_counter_counter_get(void) { return total; }

bool exports_example_counter_counter_take(uint32_t n, uint64_t* ret, counter_service_string_t* err) {
  if (n > total) {
    counter_service_string_dup(err, "not enough");
    return false;
  }
  *ret = total -= n;
  return true;
}

// The loop: orivon calls tick, then again after the milliseconds it returns.
uint32_t exports_counter_service_tick(void) {
  if (++ticks == 1) {
    printf("counter running\n");  // stdout goes to `orivon logs ID`
    fflush(stdout);
  }
  return 1000;
}

void exports_counter_service_stop(void) {
  printf("counter stopping at %llu\n", (unsigned long long)total);
  fflush(stdout);
}
