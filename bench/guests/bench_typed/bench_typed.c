// Implements the `bench-typed` world (wit/bench.wit) for the component-call
// benchmarks. Each function touches its argument's length only, so a
// benchmark measures the call and the copy of the argument into the guest,
// not guest work. Arguments are owned by the callee and freed here.
#include "bench_typed.h"

void exports_bench_typed_noop(void) {}

uint32_t exports_bench_typed_string_length(bench_typed_string_t* text) {
  uint32_t length = (uint32_t)text->len;
  bench_typed_string_free(text);
  return length;
}

uint32_t exports_bench_typed_list_length(bench_typed_list_u8_t* bytes) {
  uint32_t length = (uint32_t)bytes->len;
  bench_typed_list_u8_free(bytes);
  return length;
}

// Ownership passes back to the caller, which frees it after post-return.
void exports_bench_typed_echo_string(bench_typed_string_t* text, bench_typed_string_t* ret) {
  *ret = *text;
}

void exports_bench_typed_echo_bytes(bench_typed_list_u8_t* bytes, bench_typed_list_u8_t* ret) {
  *ret = *bytes;
}
