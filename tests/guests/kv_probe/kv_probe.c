// Implements the `kv-probe` world (wit/kv-probe.wit): wasi:keyvalue as a
// module uses it, one export per thing the tests check. Every export returns
// text; arguments are owned by the export and freed here.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kv_probe.h"

typedef kv_probe_string_t str_t;
typedef wasi_keyvalue_store_own_bucket_t bucket_t;
typedef wasi_keyvalue_store_error_t error_t;

static void set_text(str_t* ret, const char* text) { kv_probe_string_dup(ret, text); }

static void set_bytes(str_t* ret, const uint8_t* bytes, size_t len) {
  ret->ptr = malloc(len ? len : 1);
  memcpy(ret->ptr, bytes, len);
  ret->len = len;
}

static void set_error(str_t* ret, error_t* error) {
  switch (error->tag) {
    case WASI_KEYVALUE_STORE_ERROR_NO_SUCH_STORE: set_text(ret, "error: no-such-store"); break;
    case WASI_KEYVALUE_STORE_ERROR_ACCESS_DENIED: set_text(ret, "error: access-denied"); break;
    default: {
      static const char kPrefix[] = "error: other: ";
      size_t prefix = sizeof kPrefix - 1, len = error->val.other.len;
      ret->ptr = malloc(prefix + len);
      memcpy(ret->ptr, kPrefix, prefix);
      memcpy(ret->ptr + prefix, error->val.other.ptr, len);
      ret->len = prefix + len;
    }
  }
  wasi_keyvalue_store_error_free(error);
}

// Opens `name`; on failure writes the error to `ret` and returns false.
static bool open_bucket(str_t* name, bucket_t* bucket, str_t* ret) {
  error_t error;
  if (!wasi_keyvalue_store_open(name, bucket, &error)) {
    set_error(ret, &error);
    return false;
  }
  return true;
}

static wasi_keyvalue_store_borrow_bucket_t borrow(bucket_t bucket) {
  return wasi_keyvalue_store_borrow_bucket(bucket);
}

static kv_probe_list_u8_t as_list(str_t* text) {
  kv_probe_list_u8_t list = {text->ptr, text->len};
  return list;
}

void exports_kv_probe_open_bucket(str_t* name, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    wasi_keyvalue_store_bucket_drop_own(bucket);
    set_text(ret, "ok");
  }
  kv_probe_string_free(name);
}

static void get_with(wasi_keyvalue_store_borrow_bucket_t bucket, str_t* key, str_t* ret) {
  kv_probe_option_list_u8_t value;
  error_t error;
  if (!wasi_keyvalue_store_method_bucket_get(bucket, key, &value, &error)) {
    set_error(ret, &error);
  } else if (!value.is_some) {
    set_text(ret, "none");
  } else {
    set_bytes(ret, value.val.ptr, value.val.len);
    kv_probe_option_list_u8_free(&value);
  }
}

static void set_with(wasi_keyvalue_store_borrow_bucket_t bucket, str_t* key, str_t* value,
                     str_t* ret) {
  kv_probe_list_u8_t bytes = as_list(value);
  error_t error;
  if (!wasi_keyvalue_store_method_bucket_set(bucket, key, &bytes, &error)) {
    set_error(ret, &error);
  } else {
    set_text(ret, "ok");
  }
}

void exports_kv_probe_get(str_t* name, str_t* key, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    get_with(borrow(bucket), key, ret);
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

void exports_kv_probe_set(str_t* name, str_t* key, str_t* value, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    set_with(borrow(bucket), key, value, ret);
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
  kv_probe_string_free(value);
}

void exports_kv_probe_remove(str_t* name, str_t* key, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    error_t error;
    if (!wasi_keyvalue_store_method_bucket_delete(borrow(bucket), key, &error)) {
      set_error(ret, &error);
    } else {
      set_text(ret, "ok");
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

void exports_kv_probe_exists(str_t* name, str_t* key, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    bool found = false;
    error_t error;
    if (!wasi_keyvalue_store_method_bucket_exists(borrow(bucket), key, &found, &error)) {
      set_error(ret, &error);
    } else {
      set_text(ret, found ? "true" : "false");
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

void exports_kv_probe_increment(str_t* name, str_t* key, int64_t delta, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    int64_t sum = 0;
    error_t error;
    if (!wasi_keyvalue_atomics_increment(borrow(bucket), key, delta, &sum, &error)) {
      set_error(ret, &error);
    } else {
      char text[32];
      snprintf(text, sizeof text, "%" PRId64, sum);
      set_text(ret, text);
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

void exports_kv_probe_increment_many(str_t* name, str_t* key, uint32_t times, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    set_text(ret, "ok");
    for (uint32_t i = 0; i < times; ++i) {
      int64_t sum = 0;
      error_t error;
      if (!wasi_keyvalue_atomics_increment(borrow(bucket), key, 1, &sum, &error)) {
        kv_probe_string_free(ret);
        set_error(ret, &error);
        break;
      }
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

void exports_kv_probe_cas_append(str_t* name, str_t* key, str_t* suffix, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    wasi_keyvalue_atomics_own_cas_t cas;
    error_t error;
    if (!wasi_keyvalue_atomics_static_cas_new(borrow(bucket), key, &cas, &error)) {
      set_error(ret, &error);
    } else {
      kv_probe_option_list_u8_t current;
      if (!wasi_keyvalue_atomics_method_cas_current(wasi_keyvalue_atomics_borrow_cas(cas), &current,
                                                    &error)) {
        set_error(ret, &error);
        wasi_keyvalue_atomics_cas_drop_own(cas);
      } else {
        size_t old = current.is_some ? current.val.len : 0;
        kv_probe_list_u8_t next = {malloc(old + suffix->len + 1), old + suffix->len};
        if (old) memcpy(next.ptr, current.val.ptr, old);
        memcpy(next.ptr + old, suffix->ptr, suffix->len);
        kv_probe_option_list_u8_free(&current);
        wasi_keyvalue_atomics_cas_error_t failed;
        if (wasi_keyvalue_atomics_swap(cas, &next, &failed)) {
          set_text(ret, "won");
        } else if (failed.tag == WASI_KEYVALUE_ATOMICS_CAS_ERROR_CAS_FAILED) {
          wasi_keyvalue_atomics_cas_drop_own(failed.val.cas_failed);
          set_text(ret, "lost");
        } else {
          set_error(ret, &failed.val.store_error);
        }
        free(next.ptr);
      }
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
  kv_probe_string_free(suffix);
}

// Appends the keys of `response` to `out` (comma-separated).
static void append_keys(char** out, size_t* len, kv_probe_list_string_t* keys) {
  for (size_t i = 0; i < keys->len; ++i) {
    size_t add = keys->ptr[i].len + 1;
    *out = realloc(*out, *len + add + 1);
    if (*len) (*out)[(*len)++] = ',';
    memcpy(*out + *len, keys->ptr[i].ptr, keys->ptr[i].len);
    *len += keys->ptr[i].len;
  }
}

void exports_kv_probe_list_keys(str_t* name, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    char* out = malloc(1);
    size_t len = 0;
    kv_probe_option_string_t cursor = {false};
    bool failed = false;
    while (true) {
      wasi_keyvalue_store_key_response_t page;
      error_t error;
      bool ok = wasi_keyvalue_store_method_bucket_list_keys(
          borrow(bucket), cursor.is_some ? &cursor.val : NULL, &page, &error);
      kv_probe_option_string_free(&cursor);
      if (!ok) {
        set_error(ret, &error);
        failed = true;
        break;
      }
      append_keys(&out, &len, &page.keys);
      cursor = page.cursor;
      page.cursor.is_some = false;
      wasi_keyvalue_store_key_response_free(&page);
      if (!cursor.is_some) break;
    }
    if (!failed) set_bytes(ret, (const uint8_t*)out, len);
    free(out);
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
}

void exports_kv_probe_list_prefix(str_t* name, str_t* prefix, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    char* out = malloc(1);
    size_t len = 0;
    kv_probe_option_string_t cursor = {false};
    bool failed = false;
    while (true) {
      orivon_keyvalue_ext_key_response_t page;
      error_t error;
      bool ok = orivon_keyvalue_ext_list_keys_with_prefix(
          borrow(bucket), prefix, cursor.is_some ? &cursor.val : NULL, 2, &page, &error);
      kv_probe_option_string_free(&cursor);
      if (!ok) {
        set_error(ret, &error);
        failed = true;
        break;
      }
      append_keys(&out, &len, &page.keys);
      cursor = page.cursor;
      page.cursor.is_some = false;
      orivon_keyvalue_ext_key_response_free(&page);
      if (!cursor.is_some) break;
    }
    if (!failed) set_bytes(ret, (const uint8_t*)out, len);
    free(out);
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(prefix);
}

void exports_kv_probe_fill(str_t* name, str_t* prefix, uint32_t count, uint32_t batch,
                           uint32_t value_bytes, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    if (batch == 0) batch = 1;
    kv_probe_tuple2_string_list_u8_t* pairs = calloc(batch, sizeof *pairs);
    uint8_t* value = calloc(value_bytes ? value_bytes : 1, 1);
    memset(value, 'v', value_bytes);
    set_text(ret, "ok");
    for (uint32_t done = 0; done < count;) {
      uint32_t n = count - done < batch ? count - done : batch;
      for (uint32_t i = 0; i < n; ++i) {
        char key[64];
        int key_len = snprintf(key, sizeof key, "%.*s%u", (int)prefix->len, (const char*)prefix->ptr,
                               done + i);
        pairs[i].f0.ptr = malloc(key_len);
        memcpy(pairs[i].f0.ptr, key, key_len);
        pairs[i].f0.len = key_len;
        pairs[i].f1.ptr = value;
        pairs[i].f1.len = value_bytes;
      }
      kv_probe_list_tuple2_string_list_u8_t list = {pairs, n};
      error_t error;
      bool ok = wasi_keyvalue_batch_set_many(borrow(bucket), &list, &error);
      for (uint32_t i = 0; i < n; ++i) free(pairs[i].f0.ptr);
      if (!ok) {
        kv_probe_string_free(ret);
        set_error(ret, &error);
        break;
      }
      done += n;
    }
    free(pairs);
    free(value);
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(prefix);
}

void exports_kv_probe_get_many(str_t* name, str_t* keys, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    // Split `keys` on commas.
    kv_probe_list_string_t list = {calloc(keys->len + 1, sizeof(str_t)), 0};
    size_t start = 0;
    for (size_t i = 0; i <= keys->len; ++i) {
      if (i == keys->len || keys->ptr[i] == ',') {
        list.ptr[list.len].ptr = keys->ptr + start;
        list.ptr[list.len].len = i - start;
        ++list.len;
        start = i + 1;
      }
    }
    kv_probe_list_option_tuple2_string_list_u8_t found;
    error_t error;
    if (!wasi_keyvalue_batch_get_many(borrow(bucket), &list, &found, &error)) {
      set_error(ret, &error);
    } else {
      char* out = malloc(1);
      size_t len = 0;
      for (size_t i = 0; i < found.len; ++i) {
        const uint8_t* bytes = (const uint8_t*)"-";
        size_t n = 1;
        if (found.ptr[i].is_some) {
          bytes = found.ptr[i].val.f1.ptr;
          n = found.ptr[i].val.f1.len;
        }
        out = realloc(out, len + n + 2);
        if (i) out[len++] = ',';
        memcpy(out + len, bytes, n);
        len += n;
      }
      set_bytes(ret, (const uint8_t*)out, len);
      free(out);
      kv_probe_list_option_tuple2_string_list_u8_free(&found);
    }
    free(list.ptr);
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(keys);
}

void exports_kv_probe_set_with(str_t* name, str_t* key, str_t* value, uint64_t* ttl_ms,
                               bool if_absent, uint64_t* if_version, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    orivon_keyvalue_ext_set_options_t options;
    options.ttl_ms.is_some = ttl_ms != NULL;
    options.ttl_ms.val = ttl_ms ? *ttl_ms : 0;
    options.if_absent = if_absent;
    options.if_version.is_some = if_version != NULL;
    options.if_version.val = if_version ? *if_version : 0;
    kv_probe_list_u8_t bytes = as_list(value);
    kv_probe_option_u64_t version;
    error_t error;
    if (!orivon_keyvalue_ext_set_with_options(borrow(bucket), key, &bytes, &options, &version,
                                              &error)) {
      set_error(ret, &error);
    } else if (!version.is_some) {
      set_text(ret, "not written");
    } else {
      char text[32];
      snprintf(text, sizeof text, "%" PRIu64, version.val);
      set_text(ret, text);
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
  kv_probe_string_free(value);
}

void exports_kv_probe_entry(str_t* name, str_t* key, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    orivon_keyvalue_ext_option_entry_t entry;
    error_t error;
    if (!orivon_keyvalue_ext_get_entry(borrow(bucket), key, &entry, &error)) {
      set_error(ret, &error);
    } else if (!entry.is_some) {
      set_text(ret, "none");
    } else {
      char head[64];
      int head_len = snprintf(head, sizeof head, "%" PRIu64 " ", entry.val.version);
      size_t len = head_len + entry.val.value.len;
      ret->ptr = malloc(len);
      memcpy(ret->ptr, head, head_len);
      memcpy(ret->ptr + head_len, entry.val.value.ptr, entry.val.value.len);
      ret->len = len;
      orivon_keyvalue_ext_option_entry_free(&entry);
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

void exports_kv_probe_set_size(str_t* name, str_t* key, uint32_t value_bytes, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    str_t value = {malloc(value_bytes ? value_bytes : 1), value_bytes};
    memset(value.ptr, 'x', value_bytes);
    set_with(borrow(bucket), key, &value, ret);
    free(value.ptr);
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

static bool g_held = false;
static bucket_t g_bucket;

void exports_kv_probe_hold(str_t* name, str_t* ret) {
  if (g_held) wasi_keyvalue_store_bucket_drop_own(g_bucket);
  g_held = open_bucket(name, &g_bucket, ret);
  if (g_held) set_text(ret, "ok");
  kv_probe_string_free(name);
}

void exports_kv_probe_held_get(str_t* key, str_t* ret) {
  if (!g_held) {
    set_text(ret, "error: nothing held");
  } else {
    get_with(borrow(g_bucket), key, ret);
  }
  kv_probe_string_free(key);
}

void exports_kv_probe_held_set(str_t* key, str_t* value, str_t* ret) {
  if (!g_held) {
    set_text(ret, "error: nothing held");
  } else {
    set_with(borrow(g_bucket), key, value, ret);
  }
  kv_probe_string_free(key);
  kv_probe_string_free(value);
}

void exports_kv_probe_open_many(uint32_t count, str_t* ret) {
  bucket_t* buckets = calloc(count ? count : 1, sizeof *buckets);
  uint32_t opened = 0;
  char text[256] = "";
  str_t empty = {(uint8_t*)"", 0};
  for (; opened < count; ++opened) {
    error_t error;
    if (!wasi_keyvalue_store_open(&empty, &buckets[opened], &error)) {
      str_t message;
      set_error(&message, &error);
      snprintf(text, sizeof text, "%u %.*s", opened, (int)message.len, (const char*)message.ptr);
      kv_probe_string_free(&message);
      break;
    }
  }
  if (opened == count) snprintf(text, sizeof text, "%u", opened);
  for (uint32_t i = 0; i < opened; ++i) wasi_keyvalue_store_bucket_drop_own(buckets[i]);
  free(buckets);
  set_text(ret, text);
}

void exports_kv_probe_cas_rounds(str_t* key, uint32_t rounds, str_t* ret) {
  bucket_t bucket;
  str_t empty = {(uint8_t*)"", 0};
  if (open_bucket(&empty, &bucket, ret)) {
    set_text(ret, "ok");
    for (uint32_t i = 0; i < rounds; ++i) {
      wasi_keyvalue_atomics_own_cas_t cas;
      error_t error;
      if (!wasi_keyvalue_atomics_static_cas_new(borrow(bucket), key, &cas, &error)) {
        kv_probe_string_free(ret);
        set_error(ret, &error);
        break;
      }
      uint8_t byte = (uint8_t)i;
      kv_probe_list_u8_t value = {&byte, 1};
      wasi_keyvalue_atomics_cas_error_t failed;
      if (!wasi_keyvalue_atomics_swap(cas, &value, &failed)) {
        kv_probe_string_free(ret);
        if (failed.tag == WASI_KEYVALUE_ATOMICS_CAS_ERROR_CAS_FAILED) {
          wasi_keyvalue_atomics_cas_drop_own(failed.val.cas_failed);
          set_text(ret, "error: lost a swap nobody raced");
        } else {
          set_error(ret, &failed.val.store_error);
        }
        break;
      }
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(key);
}

static bool g_cas_held = false;
static wasi_keyvalue_atomics_own_cas_t g_cas;

void exports_kv_probe_cas_begin(str_t* name, str_t* key, str_t* ret) {
  bucket_t bucket;
  if (open_bucket(name, &bucket, ret)) {
    error_t error;
    if (g_cas_held) wasi_keyvalue_atomics_cas_drop_own(g_cas);
    g_cas_held = wasi_keyvalue_atomics_static_cas_new(borrow(bucket), key, &g_cas, &error);
    if (g_cas_held) {
      set_text(ret, "ok");
    } else {
      set_error(ret, &error);
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(name);
  kv_probe_string_free(key);
}

void exports_kv_probe_cas_finish(str_t* value, str_t* ret) {
  if (!g_cas_held) {
    set_text(ret, "error: no CAS begun");
  } else {
    g_cas_held = false;
    kv_probe_list_u8_t bytes = as_list(value);
    wasi_keyvalue_atomics_cas_error_t failed;
    if (wasi_keyvalue_atomics_swap(g_cas, &bytes, &failed)) {
      set_text(ret, "won");
    } else if (failed.tag == WASI_KEYVALUE_ATOMICS_CAS_ERROR_CAS_FAILED) {
      wasi_keyvalue_atomics_cas_drop_own(failed.val.cas_failed);
      set_text(ret, "lost");
    } else {
      set_error(ret, &failed.val.store_error);
    }
  }
  kv_probe_string_free(value);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void exports_kv_probe_timed(str_t* op, str_t* name, uint32_t n, kv_probe_list_u64_t* ret) {
  ret->ptr = NULL;
  ret->len = 0;
  bucket_t bucket;
  str_t ignored;
  if (!open_bucket(name, &bucket, &ignored)) {
    kv_probe_string_free(&ignored);
  } else {
    uint64_t* times = malloc(sizeof(uint64_t) * (n ? n : 1));
    uint8_t value[16];
    memset(value, 'v', sizeof value);
    kv_probe_list_u8_t bytes = {value, sizeof value};
    char key_text[32];
    str_t key = {(uint8_t*)"hot", 3};
    error_t error;
    bool ok = true;
    const bool is_get = op->len == 3 && memcmp(op->ptr, "get", 3) == 0;
    const bool is_set = op->len == 3 && memcmp(op->ptr, "set", 3) == 0;
    if (is_get) ok = wasi_keyvalue_store_method_bucket_set(borrow(bucket), &key, &bytes, &error);
    for (uint32_t i = 0; ok && i < n; ++i) {
      uint64_t start = now_ns();
      if (is_get) {
        kv_probe_option_list_u8_t got;
        ok = wasi_keyvalue_store_method_bucket_get(borrow(bucket), &key, &got, &error);
        if (ok) kv_probe_option_list_u8_free(&got);
      } else if (is_set) {
        str_t k = {(uint8_t*)key_text, (size_t)snprintf(key_text, sizeof key_text, "k%u", i % 1000)};
        ok = wasi_keyvalue_store_method_bucket_set(borrow(bucket), &k, &bytes, &error);
      } else {
        int64_t sum;
        str_t counter = {(uint8_t*)"counter", 7};
        ok = wasi_keyvalue_atomics_increment(borrow(bucket), &counter, 1, &sum, &error);
      }
      times[i] = now_ns() - start;
    }
    if (ok) {
      ret->ptr = times;
      ret->len = n;
    } else {
      wasi_keyvalue_store_error_free(&error);
      free(times);
    }
    wasi_keyvalue_store_bucket_drop_own(bucket);
  }
  kv_probe_string_free(op);
  kv_probe_string_free(name);
}
