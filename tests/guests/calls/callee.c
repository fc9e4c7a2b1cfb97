// A callee for module-to-module call tests: echoes one value of every
// component-model kind, counts the calls it receives, and can call back into
// whoever it is linked to (to close a call cycle) or spin forever.
#include <stdlib.h>
#include <string.h>

#include <wasi/api.h>

#include "callee.h"

extern char** environ;

static uint32_t calls = 0;
static char self_name[128] = "unknown";

// Exported arguments are owned by the callee: handing them back as the
// result transfers them (the runtime frees results after post-return).
bool exports_orivon_calltest_values_echo_bool(bool v) { ++calls; return v; }
uint8_t exports_orivon_calltest_values_echo_u8(uint8_t v) { ++calls; return v; }
int16_t exports_orivon_calltest_values_echo_s16(int16_t v) { ++calls; return v; }
uint32_t exports_orivon_calltest_values_echo_u32(uint32_t v) { ++calls; return v; }
int64_t exports_orivon_calltest_values_add(int64_t a, int64_t b) { ++calls; return a + b; }
float exports_orivon_calltest_values_echo_f32(float v) { ++calls; return v; }
double exports_orivon_calltest_values_echo_f64(double v) { ++calls; return v; }
uint32_t exports_orivon_calltest_values_echo_char(uint32_t v) { ++calls; return v; }

void exports_orivon_calltest_values_echo_string(callee_string_t* v, callee_string_t* ret) {
  ++calls;
  *ret = *v;
}

void exports_orivon_calltest_values_echo_bytes(callee_list_u8_t* v, callee_list_u8_t* ret) {
  ++calls;
  *ret = *v;
}

void exports_orivon_calltest_values_echo_strings(callee_list_string_t* v, callee_list_string_t* ret) {
  ++calls;
  *ret = *v;
}

void exports_orivon_calltest_values_echo_point(exports_orivon_calltest_values_point_t* v,
                                               exports_orivon_calltest_values_point_t* ret) {
  ++calls;
  *ret = *v;
}

void exports_orivon_calltest_values_echo_shape(exports_orivon_calltest_values_shape_t* v,
                                               exports_orivon_calltest_values_shape_t* ret) {
  ++calls;
  *ret = *v;
}

exports_orivon_calltest_values_color_t exports_orivon_calltest_values_echo_color(
    exports_orivon_calltest_values_color_t v) {
  ++calls;
  return v;
}

exports_orivon_calltest_values_perms_t exports_orivon_calltest_values_echo_perms(
    exports_orivon_calltest_values_perms_t v) {
  ++calls;
  return v;
}

bool exports_orivon_calltest_values_echo_option(callee_string_t* maybe_v, callee_string_t* ret) {
  ++calls;
  if (maybe_v == NULL) return false;
  *ret = *maybe_v;
  return true;
}

bool exports_orivon_calltest_values_echo_result(exports_orivon_calltest_values_result_u32_string_t* v,
                                                uint32_t* ret, callee_string_t* err) {
  ++calls;
  if (v->is_err) {
    *err = v->val.err;
    return false;
  }
  *ret = v->val.ok;
  return true;
}

void exports_orivon_calltest_values_echo_tuple(callee_tuple3_u8_string_f64_t* v,
                                               callee_tuple3_u8_string_f64_t* ret) {
  ++calls;
  *ret = *v;
}

uint32_t exports_orivon_calltest_values_count(void) { return calls; }

// The runtime passes a service its module id as argv[0].
void exports_orivon_calltest_values_whoami(callee_string_t* ret) {
  __wasi_size_t count = 0, size = 0;
  if (__wasi_args_sizes_get(&count, &size) == 0 && count > 0 && size < sizeof(self_name)) {
    char* argv[16];
    if (count <= 16 && __wasi_args_get((uint8_t**)argv, (uint8_t*)self_name) == 0) {
      callee_string_dup(ret, argv[0]);
      return;
    }
  }
  callee_string_dup(ret, "unknown");
}

uint32_t exports_orivon_calltest_values_env_count(void) {
  uint32_t n = 0;
  for (char** e = environ; e != NULL && *e != NULL; ++e) ++n;
  return n;
}

bool exports_orivon_calltest_values_checked(uint32_t v, uint32_t* ret, callee_string_t* err) {
  ++calls;
  if (v == 0) {
    callee_string_dup(err, "zero is not allowed");
    return false;
  }
  *ret = v * 2;
  return true;
}

bool exports_orivon_calltest_values_call_back(callee_string_t* ret, callee_string_t* err) {
  ++calls;
  return orivon_calltest_back_ping(ret, err);
}

void exports_orivon_calltest_values_spin(void) {
  volatile uint64_t n = 0;
  for (;;) ++n;
}


bool exports_orivon_calltest_values_checked_bytes(callee_list_u8_t* v, callee_list_u8_t* ret,
                                                  callee_string_t* err) {
  ++calls;
  if (v->len == 0) {
    callee_list_u8_free(v);
    callee_string_dup(err, "empty");
    return false;
  }
  *ret = *v;
  return true;
}

void exports_orivon_calltest_values_make_bytes(uint32_t size, callee_list_u8_t* ret) {
  ++calls;
  ret->ptr = malloc(size ? size : 1);
  ret->len = size;
  for (uint32_t i = 0; i < size; ++i) ret->ptr[i] = (uint8_t)(i % 251);
}

bool exports_orivon_calltest_values_lie_bytes(uint32_t len, callee_list_u8_t* ret,
                                              callee_string_t* err) {
  (void)err;
  ++calls;
  // A pointer near the end of the address space and a length past it: the
  // host must refuse to read it, not crash.
  ret->ptr = (uint8_t*)(uintptr_t)0xFFFFFF00u;
  ret->len = len;
  return true;
}

// Lists of numbers: echoed, weighed and made, so a forwarder that changed an
// element, their order or their number is seen.
#define ECHO_LIST(name, type)                                                    \
  void exports_orivon_calltest_values_echo_##name(callee_list_##type##_t* v,     \
                                                  callee_list_##type##_t* ret) { \
    ++calls;                                                                     \
    *ret = *v;                                                                   \
  }
ECHO_LIST(u32s, u32)
ECHO_LIST(u64s, u64)
ECHO_LIST(s32s, s32)
ECHO_LIST(s64s, s64)
ECHO_LIST(f32s, f32)
ECHO_LIST(f64s, f64)

uint64_t exports_orivon_calltest_values_weigh_u32s(callee_list_u32_t* v) {
  ++calls;
  uint64_t sum = 0;
  for (size_t i = 0; i < v->len; ++i) sum += (uint64_t)v->ptr[i] * (i + 1);
  callee_list_u32_free(v);
  return sum;
}

void exports_orivon_calltest_values_make_u64s(uint32_t n, callee_list_u64_t* ret) {
  ++calls;
  ret->ptr = malloc(n ? n * sizeof(uint64_t) : 1);
  ret->len = n;
  for (uint32_t i = 0; i < n; ++i) ret->ptr[i] = (uint64_t)i * 0x9e3779b97f4a7c15ull;
}

// Options and results beside a string or list: every case, with values that
// depend on every byte.
static bool empty_error(size_t len, callee_string_t* err) {
  if (len != 0) return false;
  callee_string_dup(err, "empty");
  return true;
}

bool exports_orivon_calltest_values_find_bytes(callee_string_t* key, callee_list_u8_t* ret) {
  ++calls;
  if (key->len == 0) {
    callee_string_free(key);
    return false;
  }
  ret->ptr = malloc(key->len);
  ret->len = key->len;
  for (size_t i = 0; i < key->len; ++i) ret->ptr[i] = key->ptr[key->len - 1 - i];
  callee_string_free(key);
  return true;
}

bool exports_orivon_calltest_values_find_string(callee_list_u8_t* block, callee_string_t* ret) {
  ++calls;
  if (block->len == 0) {
    callee_list_u8_free(block);
    return false;
  }
  ret->ptr = block->ptr;  // the test sends UTF-8
  ret->len = block->len;
  return true;
}

bool exports_orivon_calltest_values_submit(callee_list_u8_t* block, callee_string_t* err) {
  ++calls;
  const bool empty = empty_error(block->len, err);
  callee_list_u8_free(block);
  return !empty;
}

bool exports_orivon_calltest_values_checksum(callee_list_u8_t* block, uint32_t* ret,
                                             callee_string_t* err) {
  ++calls;
  const bool empty = empty_error(block->len, err);
  *ret = 0;
  for (size_t i = 0; i < block->len; ++i) *ret += block->ptr[i];
  callee_list_u8_free(block);
  return !empty;
}

bool exports_orivon_calltest_values_measure(callee_string_t* text, uint64_t* ret,
                                            callee_string_t* err) {
  ++calls;
  const bool empty = empty_error(text->len, err);
  *ret = (uint64_t)text->len << 33;
  callee_string_free(text);
  return !empty;
}
