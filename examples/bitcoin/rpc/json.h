// Just enough JSON to read a btcd JSON-RPC answer: find a member of an
// object, step through an array, read a string, an integer or a BTC amount.
// Values are spans of the answer's text; nothing is copied until asked.
// Every function takes the end of the text and never reads past it: the text
// comes from the network.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_span {
  const char* begin;
  const char* end;  // one past the value's last character
} json_span;

// The first value in [p, end), leading white space skipped; false when the
// text there is not one JSON value (or nests deeper than 64).
bool json_value(const char* p, const char* end, json_span* out);

// The member `key` of the object `object`; false when `object` is not an
// object or has no such member.
bool json_member(json_span object, const char* key, json_span* out);

// Steps through an array: start with *cursor = NULL; each call gives the next
// element, false at the end (or when `array` is not an array).
bool json_next(json_span array, const char** cursor, json_span* element);

bool json_is_null(json_span value);

// A string's contents, unescaped (\uXXXX outside ASCII becomes '?'), into a
// NUL-terminated buffer the caller frees; NULL when `value` is not a string.
char* json_string(json_span value);

// A non-negative integer; false for anything else or past UINT64_MAX.
bool json_u64(json_span value, uint64_t* out);

// A BTC amount as btcd writes it (a JSON number: 12.5, 0.0001, 1e-07) in
// satoshis; false unless it is a whole number of satoshis from 0 to 21e14.
bool json_satoshis(json_span value, uint64_t* out);
