// Implements the `kv-draft` world (wit/kv-draft.wit): a module built against
// wasi:keyvalue@0.2.0-draft, using its private bucket.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_draft.h"

typedef kv_draft_string_t str_t;

static void set_error(str_t* ret, wasi_keyvalue_store_error_t* error) {
  char text[300];
  if (error->tag == WASI_KEYVALUE_STORE_ERROR_OTHER) {
    snprintf(text, sizeof text, "error: other: %.*s", (int)error->val.other.len,
             (const char*)error->val.other.ptr);
  } else {
    snprintf(text, sizeof text, "error: %d", error->tag);
  }
  wasi_keyvalue_store_error_free(error);
  kv_draft_string_dup(ret, text);
}

static bool open_private(wasi_keyvalue_store_own_bucket_t* bucket, str_t* ret) {
  str_t empty = {(uint8_t*)"", 0};
  wasi_keyvalue_store_error_t error;
  if (wasi_keyvalue_store_open(&empty, bucket, &error)) return true;
  set_error(ret, &error);
  return false;
}

void exports_kv_draft_set_get(str_t* key, str_t* value, str_t* ret) {
  wasi_keyvalue_store_own_bucket_t bucket;
  if (open_private(&bucket, ret)) {
    wasi_keyvalue_store_borrow_bucket_t self = wasi_keyvalue_store_borrow_bucket(bucket);
    kv_draft_list_u8_t bytes = {value->ptr, value->len};
    kv_draft_option_list_u8_t got;
    wasi_keyvalue_store_error_t error;
    if (!wasi_keyvalue_store_method_bucket_set(self, key, &bytes, &error) ||
        !wasi_keyvalue_store_method_bucket_get(self, key, &got, &error)) {
      set_error(ret, &error);
    } else if (!got.is_some) {
      kv_draft_string_dup(ret, "none");
    } else {
      ret->ptr = malloc(got.val.len ? got.val.len : 1);
      memcpy(ret->ptr, got.val.ptr, got.val.len);
      ret->len = got.val.len;
      kv_draft_option_list_u8_free(&got);
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_draft_string_free(key);
  kv_draft_string_free(value);
}

void exports_kv_draft_add(str_t* key, uint64_t delta, str_t* ret) {
  wasi_keyvalue_store_own_bucket_t bucket;
  if (open_private(&bucket, ret)) {
    uint64_t sum = 0;
    wasi_keyvalue_store_error_t error;
    if (!wasi_keyvalue_atomics_increment(wasi_keyvalue_store_borrow_bucket(bucket), key, delta,
                                         &sum, &error)) {
      set_error(ret, &error);
    } else {
      char text[32];
      snprintf(text, sizeof text, "%" PRIu64, sum);
      kv_draft_string_dup(ret, text);
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_draft_string_free(key);
}

void exports_kv_draft_keys(str_t* ret) {
  wasi_keyvalue_store_own_bucket_t bucket;
  if (!open_private(&bucket, ret)) return;
  wasi_keyvalue_store_borrow_bucket_t self = wasi_keyvalue_store_borrow_bucket(bucket);
  uint64_t count = 0, cursor = 0;
  bool has_cursor = false;
  char first[64] = "", last[64] = "";
  while (true) {
    wasi_keyvalue_store_key_response_t page;
    wasi_keyvalue_store_error_t error;
    if (!wasi_keyvalue_store_method_bucket_list_keys(self, has_cursor ? &cursor : NULL, &page,
                                                     &error)) {
      set_error(ret, &error);
      wasi_keyvalue_store_bucket_drop_own(bucket);
      return;
    }
    for (size_t i = 0; i < page.keys.len; ++i, ++count) {
      char* into = count == 0 ? first : last;
      snprintf(into, 64, "%.*s", (int)page.keys.ptr[i].len, (const char*)page.keys.ptr[i].ptr);
      if (count == 0) snprintf(last, 64, "%s", first);
    }
    has_cursor = page.cursor.is_some;
    cursor = page.cursor.val;
    wasi_keyvalue_store_key_response_free(&page);
    if (!has_cursor) break;
  }
  wasi_keyvalue_store_bucket_drop_own(bucket);
  char text[200];
  snprintf(text, sizeof text, "%" PRIu64 " %s %s", count, first, last);
  kv_draft_string_dup(ret, text);
}
