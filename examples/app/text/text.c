// lib.text.demo: a library. It has no state of its own that outlives a
// call and runs in the store of the module that uses it.
#include <ctype.h>
#include <stdlib.h>

#include "text.h"

void exports_app_demo_format_shout(text_string_t* text, text_string_t* ret) {
  for (size_t i = 0; i < text->len; ++i) text->ptr[i] = (uint8_t)toupper(text->ptr[i]);
  *ret = *text;  // the argument is ours: hand it back as the result
}
