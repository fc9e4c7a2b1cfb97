// A caller for module-to-module call tests: its `driver` functions call the
// imported `values` interface (linked by orivon to whichever module the
// caller was granted) and report what came back.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caller.h"

static bool fail(caller_string_t* err, const char* what) {
  caller_string_dup(err, what);
  return false;
}

static bool same_string(const caller_string_t* a, const char* b) {
  return a->len == strlen(b) && memcmp(a->ptr, b, a->len) == 0;
}

bool exports_orivon_calltest_driver_round_trip(caller_string_t* ret, caller_string_t* err) {
  int checked = 0;
  if (orivon_calltest_values_echo_bool(true) != true) return fail(err, "bool");
  ++checked;
  if (orivon_calltest_values_echo_u8(250) != 250) return fail(err, "u8");
  ++checked;
  if (orivon_calltest_values_echo_s16(-12345) != -12345) return fail(err, "s16");
  ++checked;
  if (orivon_calltest_values_echo_u32(4000000000u) != 4000000000u) return fail(err, "u32");
  ++checked;
  if (orivon_calltest_values_add(-5000000000LL, 7) != -4999999993LL) return fail(err, "s64");
  ++checked;
  if (orivon_calltest_values_echo_f32(1.5f) != 1.5f) return fail(err, "f32");
  ++checked;
  if (orivon_calltest_values_echo_f64(-2.25e100) != -2.25e100) return fail(err, "f64");
  ++checked;
  if (orivon_calltest_values_echo_char(0x1F600) != 0x1F600) return fail(err, "char");
  ++checked;

  caller_string_t text, text_back;
  caller_string_set(&text, "h\xc3\xa9llo, world");
  orivon_calltest_values_echo_string(&text, &text_back);
  bool ok = same_string(&text_back, "h\xc3\xa9llo, world");
  caller_string_free(&text_back);
  if (!ok) return fail(err, "string");
  ++checked;

  uint8_t raw[5] = {0, 1, 2, 254, 255};
  caller_list_u8_t bytes = {raw, 5}, bytes_back;
  orivon_calltest_values_echo_bytes(&bytes, &bytes_back);
  ok = bytes_back.len == 5 && memcmp(bytes_back.ptr, raw, 5) == 0;
  caller_list_u8_free(&bytes_back);
  if (!ok) return fail(err, "list<u8>");
  ++checked;

  caller_string_t items[2];
  caller_string_set(&items[0], "a");
  caller_string_set(&items[1], "");
  caller_list_string_t strings = {items, 2}, strings_back;
  orivon_calltest_values_echo_strings(&strings, &strings_back);
  ok = strings_back.len == 2 && same_string(&strings_back.ptr[0], "a") &&
       same_string(&strings_back.ptr[1], "");
  caller_list_string_free(&strings_back);
  if (!ok) return fail(err, "list<string>");
  ++checked;

  orivon_calltest_values_point_t point = {-3, 4}, point_back;
  orivon_calltest_values_echo_point(&point, &point_back);
  if (point_back.x != -3 || point_back.y != 4) return fail(err, "record");
  ++checked;

  orivon_calltest_values_shape_t shape, shape_back;
  shape.tag = ORIVON_CALLTEST_VALUES_SHAPE_RECT;
  shape.val.rect = point;
  orivon_calltest_values_echo_shape(&shape, &shape_back);
  if (shape_back.tag != ORIVON_CALLTEST_VALUES_SHAPE_RECT || shape_back.val.rect.y != 4) {
    return fail(err, "variant");
  }
  ++checked;

  if (orivon_calltest_values_echo_color(ORIVON_CALLTEST_VALUES_COLOR_BLUE) !=
      ORIVON_CALLTEST_VALUES_COLOR_BLUE) {
    return fail(err, "enum");
  }
  ++checked;

  orivon_calltest_values_perms_t perms = ORIVON_CALLTEST_VALUES_PERMS_READ | ORIVON_CALLTEST_VALUES_PERMS_EXEC;
  if (orivon_calltest_values_echo_perms(perms) != perms) return fail(err, "flags");
  ++checked;

  caller_string_t maybe, maybe_back;
  caller_string_set(&maybe, "some");
  if (!orivon_calltest_values_echo_option(&maybe, &maybe_back) || !same_string(&maybe_back, "some")) {
    return fail(err, "option some");
  }
  caller_string_free(&maybe_back);
  if (orivon_calltest_values_echo_option(NULL, &maybe_back)) return fail(err, "option none");
  ++checked;

  orivon_calltest_values_result_u32_string_t result;
  uint32_t result_ok = 0;
  caller_string_t result_err;
  result.is_err = true;
  caller_string_set(&result.val.err, "bad");
  if (orivon_calltest_values_echo_result(&result, &result_ok, &result_err) ||
      !same_string(&result_err, "bad")) {
    return fail(err, "result err");
  }
  caller_string_free(&result_err);
  result.is_err = false;
  result.val.ok = 77;
  if (!orivon_calltest_values_echo_result(&result, &result_ok, &result_err) || result_ok != 77) {
    return fail(err, "result ok");
  }
  ++checked;

  caller_tuple3_u8_string_f64_t tuple, tuple_back;
  tuple.f0 = 9;
  caller_string_set(&tuple.f1, "t");
  tuple.f2 = 0.5;
  orivon_calltest_values_echo_tuple(&tuple, &tuple_back);
  ok = tuple_back.f0 == 9 && same_string(&tuple_back.f1, "t") && tuple_back.f2 == 0.5;
  caller_tuple3_u8_string_f64_free(&tuple_back);
  if (!ok) return fail(err, "tuple");
  ++checked;

  char summary[64];
  snprintf(summary, sizeof summary, "%d kinds ok", checked);
  caller_string_dup(ret, summary);
  return true;
}

void exports_orivon_calltest_driver_relay_string(caller_string_t* v, caller_string_t* ret) {
  orivon_calltest_values_echo_string(v, ret);
  caller_string_free(v);
}

void exports_orivon_calltest_driver_relay_point(exports_orivon_calltest_driver_point_t* v,
                                                exports_orivon_calltest_driver_point_t* ret) {
  orivon_calltest_values_echo_point(v, ret);
}

bool exports_orivon_calltest_driver_relay_checked(uint32_t v, uint32_t* ret, caller_string_t* err) {
  return orivon_calltest_values_checked(v, ret, err);
}

uint32_t exports_orivon_calltest_driver_relay_count(void) { return orivon_calltest_values_count(); }

void exports_orivon_calltest_driver_relay_whoami(caller_string_t* ret) {
  orivon_calltest_values_whoami(ret);
}

uint32_t exports_orivon_calltest_driver_relay_env_count(void) {
  return orivon_calltest_values_env_count();
}

bool exports_orivon_calltest_driver_relay_call_back(caller_string_t* ret, caller_string_t* err) {
  return orivon_calltest_values_call_back(ret, err);
}

void exports_orivon_calltest_driver_relay_spin(void) { orivon_calltest_values_spin(); }

uint32_t exports_orivon_calltest_driver_relay_size(uint32_t size) {
  caller_string_t text, back;
  text.ptr = malloc(size ? size : 1);
  text.len = size;
  memset(text.ptr, 'x', size);
  orivon_calltest_values_echo_string(&text, &back);
  uint32_t length = (uint32_t)back.len;
  caller_string_free(&back);
  free(text.ptr);
  return length;
}

int64_t exports_orivon_calltest_driver_bench_add(uint32_t n) {
  int64_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) sum += orivon_calltest_values_add(i, 1);
  return sum;
}

uint64_t exports_orivon_calltest_driver_bench_echo(uint32_t size, uint32_t n) {
  caller_list_u8_t payload = {malloc(size ? size : 1), size}, back;
  memset(payload.ptr, 7, size);
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    orivon_calltest_values_echo_bytes(&payload, &back);
    total += back.len;
    caller_list_u8_free(&back);
  }
  free(payload.ptr);
  return total;
}

bool exports_orivon_calltest_back_ping(caller_string_t* ret, caller_string_t* err) {
  caller_string_dup(ret, "pong");
  return true;
}

bool exports_orivon_calltest_driver_relay_bytes(uint32_t size, uint32_t* ret, caller_string_t* err) {
  caller_list_u8_t payload = {malloc(size ? size : 1), size}, back;
  for (uint32_t i = 0; i < size; ++i) payload.ptr[i] = (uint8_t)(i % 251);
  bool ok = orivon_calltest_values_checked_bytes(&payload, &back, err);
  if (ok) {
    bool same = back.len == size && memcmp(back.ptr, payload.ptr, size) == 0;
    caller_list_u8_free(&back);
    if (!same) {
      caller_string_dup(err, "the bytes came back changed");
      ok = false;
    } else {
      *ret = size;
    }
  }
  free(payload.ptr);
  return ok;
}

uint32_t exports_orivon_calltest_driver_relay_make(uint32_t size) {
  caller_list_u8_t back;
  orivon_calltest_values_make_bytes(size, &back);
  uint32_t length = (uint32_t)back.len;
  for (uint32_t i = 0; i < back.len; ++i) {
    if (back.ptr[i] != (uint8_t)(i % 251)) length = 0;
  }
  caller_list_u8_free(&back);
  return length;
}

bool exports_orivon_calltest_driver_relay_lie(uint32_t len, uint32_t* ret, caller_string_t* err) {
  caller_list_u8_t back;
  if (!orivon_calltest_values_lie_bytes(len, &back, err)) return false;
  *ret = (uint32_t)back.len;
  caller_list_u8_free(&back);
  return true;
}

uint64_t exports_orivon_calltest_driver_bench_echo_string(uint32_t size, uint32_t n) {
  caller_string_t text = {malloc(size ? size : 1), size}, back;
  memset(text.ptr, 'x', size);
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    orivon_calltest_values_echo_string(&text, &back);
    total += back.len;
    caller_string_free(&back);
  }
  free(text.ptr);
  return total;
}

// Lists of numbers through the imports (the arguments are this export's to free).
#define RELAY_LIST(name, type)                                                     \
  void exports_orivon_calltest_driver_relay_##name(caller_list_##type##_t* v,      \
                                                   caller_list_##type##_t* ret) {  \
    orivon_calltest_values_echo_##name(v, ret);                                    \
    caller_list_##type##_free(v);                                                  \
  }
RELAY_LIST(u32s, u32)
RELAY_LIST(u64s, u64)
RELAY_LIST(s32s, s32)
RELAY_LIST(s64s, s64)
RELAY_LIST(f32s, f32)
RELAY_LIST(f64s, f64)

uint64_t exports_orivon_calltest_driver_relay_weigh_u32s(caller_list_u32_t* v) {
  uint64_t weight = orivon_calltest_values_weigh_u32s(v);
  caller_list_u32_free(v);
  return weight;
}

void exports_orivon_calltest_driver_relay_make_u64s(uint32_t n, caller_list_u64_t* ret) {
  orivon_calltest_values_make_u64s(n, ret);
}

#define BENCH_LIST(name, type, ctype)                                                   \
  uint64_t exports_orivon_calltest_driver_bench_echo_##name(uint32_t size, uint32_t n) { \
    caller_list_##type##_t payload = {malloc(size ? size : 1), size / sizeof(ctype)};    \
    caller_list_##type##_t back;                                                         \
    memset(payload.ptr, 7, size);                                                        \
    uint64_t total = 0;                                                                  \
    for (uint32_t i = 0; i < n; ++i) {                                                   \
      orivon_calltest_values_echo_##name(&payload, &back);                              \
      total += back.len * sizeof(ctype);                                                 \
      caller_list_##type##_free(&back);                                                  \
    }                                                                                    \
    free(payload.ptr);                                                                   \
    return total;                                                                        \
  }
BENCH_LIST(u32s, u32, uint32_t)
BENCH_LIST(u64s, u64, uint64_t)

bool exports_orivon_calltest_driver_relay_find_bytes(caller_string_t* key, caller_list_u8_t* ret) {
  bool some = orivon_calltest_values_find_bytes(key, ret);
  caller_string_free(key);
  return some;
}

bool exports_orivon_calltest_driver_relay_find_string(caller_list_u8_t* block,
                                                      caller_string_t* ret) {
  bool some = orivon_calltest_values_find_string(block, ret);
  caller_list_u8_free(block);
  return some;
}

bool exports_orivon_calltest_driver_relay_submit(caller_list_u8_t* block, caller_string_t* err) {
  bool ok = orivon_calltest_values_submit(block, err);
  caller_list_u8_free(block);
  return ok;
}

bool exports_orivon_calltest_driver_relay_checksum(caller_list_u8_t* block, uint32_t* ret,
                                                   caller_string_t* err) {
  bool ok = orivon_calltest_values_checksum(block, ret, err);
  caller_list_u8_free(block);
  return ok;
}

bool exports_orivon_calltest_driver_relay_measure(caller_string_t* text, uint64_t* ret,
                                                  caller_string_t* err) {
  bool ok = orivon_calltest_values_measure(text, ret, err);
  caller_string_free(text);
  return ok;
}
