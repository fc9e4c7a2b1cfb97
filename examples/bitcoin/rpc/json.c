#include "json.h"

#include <stdlib.h>
#include <string.h>

enum { kMaxDepth = 64 };

static const char* skip_space(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  return p;
}

// Past the string starting at p (on its opening quote), or NULL.
static const char* skip_string(const char* p, const char* end) {
  for (++p; p < end; ++p) {
    if (*p == '\\') {
      ++p;
    } else if (*p == '"') {
      return p + 1;
    }
  }
  return NULL;
}

static const char* skip_value(const char* p, const char* end, int depth);

// Past the object or array starting at p, or NULL.
static const char* skip_container(const char* p, const char* end, int depth) {
  const char close = *p == '{' ? '}' : ']';
  const int is_object = *p == '{';
  p = skip_space(p + 1, end);
  if (p < end && *p == close) return p + 1;
  for (;;) {
    if (is_object) {
      if (p >= end || *p != '"') return NULL;
      p = skip_string(p, end);
      if (!p) return NULL;
      p = skip_space(p, end);
      if (p >= end || *p != ':') return NULL;
      p = skip_space(p + 1, end);
    }
    p = skip_value(p, end, depth + 1);
    if (!p) return NULL;
    p = skip_space(p, end);
    if (p >= end) return NULL;
    if (*p == close) return p + 1;
    if (*p != ',') return NULL;
    p = skip_space(p + 1, end);
  }
}

static const char* skip_value(const char* p, const char* end, int depth) {
  if (depth > kMaxDepth || p >= end) return NULL;
  switch (*p) {
    case '"': return skip_string(p, end);
    case '{':
    case '[': return skip_container(p, end, depth);
    default: break;
  }
  // A number or a literal: its characters up to a delimiter.
  const char* start = p;
  while (p < end && (strchr("+-.0123456789eE", *p) || (*p >= 'a' && *p <= 'z'))) ++p;
  return p > start ? p : NULL;
}

bool json_value(const char* p, const char* end, json_span* out) {
  p = skip_space(p, end);
  const char* past = skip_value(p, end, 0);
  if (!past) return false;
  out->begin = p;
  out->end = past;
  return true;
}

bool json_member(json_span object, const char* key, json_span* out) {
  if (object.begin >= object.end || *object.begin != '{') return false;
  const size_t key_length = strlen(key);
  const char* p = skip_space(object.begin + 1, object.end);
  while (p < object.end && *p == '"') {
    const char* name_end = skip_string(p, object.end);
    if (!name_end) return false;
    const int match = (size_t)(name_end - p - 2) == key_length &&
                      memcmp(p + 1, key, key_length) == 0;
    p = skip_space(name_end, object.end);
    if (p >= object.end || *p != ':') return false;
    json_span value;
    if (!json_value(p + 1, object.end, &value)) return false;
    if (match) {
      *out = value;
      return true;
    }
    p = skip_space(value.end, object.end);
    if (p >= object.end || *p != ',') return false;
    p = skip_space(p + 1, object.end);
  }
  return false;
}

bool json_next(json_span array, const char** cursor, json_span* element) {
  if (array.begin >= array.end || *array.begin != '[') return false;
  const char* p = *cursor ? *cursor : array.begin + 1;
  p = skip_space(p, array.end);
  if (*cursor) {  // after an element: a comma or the end
    if (p >= array.end || *p != ',') return false;
    p = skip_space(p + 1, array.end);
  }
  if (p >= array.end || *p == ']') return false;
  if (!json_value(p, array.end, element)) return false;
  *cursor = element->end;
  return true;
}

bool json_is_null(json_span value) {
  return value.end - value.begin == 4 && memcmp(value.begin, "null", 4) == 0;
}

char* json_string(json_span value) {
  if (value.end - value.begin < 2 || *value.begin != '"') return NULL;
  const char* p = value.begin + 1;
  const char* end = value.end - 1;
  char* text = malloc((size_t)(end - p) + 1);
  if (!text) return NULL;
  char* out = text;
  while (p < end) {
    if (*p != '\\') {
      *out++ = *p++;
      continue;
    }
    if (++p >= end) break;
    switch (*p) {
      case 'n': *out++ = '\n'; break;
      case 't': *out++ = '\t'; break;
      case 'r': *out++ = '\r'; break;
      case 'b': *out++ = '\b'; break;
      case 'f': *out++ = '\f'; break;
      case 'u': {
        unsigned code = 0;
        int digits = 0;
        for (; digits < 4 && p + 1 < end; ++digits) {
          const char c = *++p;
          const int v = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
          if (v < 0) break;
          code = code * 16 + (unsigned)v;
        }
        *out++ = digits == 4 && code >= 0x20 && code < 0x80 ? (char)code : '?';
        break;
      }
      default: *out++ = *p; break;  // \" \\ \/
    }
    ++p;
  }
  *out = '\0';
  return text;
}

bool json_u64(json_span value, uint64_t* out) {
  if (value.begin >= value.end) return false;
  uint64_t n = 0;
  for (const char* p = value.begin; p < value.end; ++p) {
    if (*p < '0' || *p > '9') return false;
    const uint64_t digit = (uint64_t)(*p - '0');
    if (n > (UINT64_MAX - digit) / 10) return false;
    n = n * 10 + digit;
  }
  *out = n;
  return true;
}

bool json_satoshis(json_span value, uint64_t* out) {
  const uint64_t kMaxSatoshis = 2100000000000000ull;  // 21 million BTC
  const char* p = value.begin;
  const char* end = value.end;
  // Digits of the mantissa (the point dropped), and where the point was.
  uint64_t mantissa = 0;
  int scale = 0;  // the value is mantissa * 10^scale BTC
  int digits = 0, seen_point = 0;
  for (; p < end && ((*p >= '0' && *p <= '9') || *p == '.'); ++p) {
    if (*p == '.') {
      if (seen_point) return false;
      seen_point = 1;
      continue;
    }
    if (mantissa > kMaxSatoshis) return false;  // far past any amount: no overflow below
    mantissa = mantissa * 10 + (uint64_t)(*p - '0');
    ++digits;
    if (seen_point) --scale;
  }
  if (digits == 0) return false;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    int sign = 1, exponent = 0, exponent_digits = 0;
    if (p < end && (*p == '+' || *p == '-')) sign = *p++ == '-' ? -1 : 1;
    for (; p < end && *p >= '0' && *p <= '9' && exponent < 1000; ++p, ++exponent_digits) {
      exponent = exponent * 10 + (*p - '0');
    }
    if (exponent_digits == 0) return false;
    scale += sign * exponent;
  }
  if (p != end) return false;
  // Satoshis: mantissa * 10^(scale + 8), which must be a whole number.
  int shift = scale + 8;
  for (; shift < 0; ++shift) {
    if (mantissa % 10 != 0) return false;
    mantissa /= 10;
  }
  for (; shift > 0; --shift) {
    if (mantissa > kMaxSatoshis) return false;
    mantissa *= 10;
  }
  if (mantissa > kMaxSatoshis) return false;
  *out = mantissa;
  return true;
}
