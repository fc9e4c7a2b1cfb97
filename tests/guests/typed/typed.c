// Implements the `typed` world (wit/typed.wit): one export per kind of
// component value, for `orivon run --invoke` with WAVE arguments. Bindings
// come from wit-bindgen at build time. Arguments are owned by the callee;
// returned strings are freed by the generated post-return functions.
#include <stdlib.h>
#include <string.h>

#include "typed.h"

void exports_typed_greet(typed_string_t* name, typed_string_t* ret) {
  static const char kPrefix[] = "hello, ";
  const size_t prefix_length = sizeof kPrefix - 1;
  ret->len = prefix_length + name->len;
  ret->ptr = malloc(ret->len);
  memcpy(ret->ptr, kPrefix, prefix_length);
  memcpy(ret->ptr + prefix_length, name->ptr, name->len);
  typed_string_free(name);
}

int64_t exports_typed_sum(typed_list_s32_t* values) {
  int64_t total = 0;
  for (size_t i = 0; i < values->len; ++i) total += values->ptr[i];
  typed_list_s32_free(values);
  return total;
}

void exports_typed_translate(typed_point_t* p, int32_t dx, int32_t dy, typed_point_t* ret) {
  ret->x = p->x + dx;
  ret->y = p->y + dy;
}

bool exports_typed_checked_div(int32_t a, int32_t b, int32_t* ret, typed_string_t* err) {
  if (b == 0) {
    typed_string_dup(err, "division by zero");
    return false;
  }
  *ret = a / b;
  return true;
}

bool exports_typed_first_word(typed_string_t* text, typed_string_t* ret) {
  size_t length = 0;
  while (length < text->len && text->ptr[length] != ' ') ++length;
  bool found = length > 0;
  if (found) typed_string_dup_n(ret, (const char*)text->ptr, length);
  typed_string_free(text);
  return found;
}

typed_color_t exports_typed_next_color(typed_color_t c) { return (typed_color_t)((c + 1) % 3); }

void exports_typed_spin(void) {
  for (volatile unsigned long i = 0;; ++i) {
  }
}

// The echo functions hand their argument back: ownership of its strings and lists moves to
// the result, which the post-return functions free.
void exports_typed_echo_scalars(typed_scalars_t* s, typed_scalars_t* ret) { *ret = *s; }

void exports_typed_echo_bundle(typed_bundle_t* b, typed_bundle_t* ret) { *ret = *b; }

void exports_typed_echo_shape(typed_shape_t* s, typed_shape_t* ret) { *ret = *s; }

typed_permissions_t exports_typed_echo_permissions(typed_permissions_t p) { return p; }

void exports_typed_swap(typed_tuple2_char32_u64_t* pair, typed_tuple2_u64_char32_t* ret) {
  ret->f0 = pair->f1;
  ret->f1 = pair->f0;
}
