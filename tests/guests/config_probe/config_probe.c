// Implements the `config-probe` world (wit/probe.wit): reads the module's
// configuration through wasi:config/store and returns it to the caller, and
// records what orivon:config/watch tells it.
// Built twice, against wit/ (wasi:config@0.2.0-rc.1) and wit-draft/
// (@0.2.0-draft, without the hook: CONFIG_PROBE_NO_HOOK): the C bindings of
// what both have are the same. Arguments are owned by
// the callee; returned strings are freed by the generated post-return
// functions.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_probe.h"

// The error as text, "upstream: ..." or "io: ...", into `out`; frees `error`.
static void describe_error(wasi_config_store_error_t* error, config_probe_string_t* out) {
  const char* kind = error->tag == WASI_CONFIG_STORE_ERROR_UPSTREAM ? "upstream: " : "io: ";
  config_probe_string_t* text =
      error->tag == WASI_CONFIG_STORE_ERROR_UPSTREAM ? &error->val.upstream : &error->val.io;
  const size_t kind_length = strlen(kind);
  out->len = kind_length + text->len;
  out->ptr = malloc(out->len);
  memcpy(out->ptr, kind, kind_length);
  memcpy(out->ptr + kind_length, text->ptr, text->len);
  wasi_config_store_error_free(error);
}

bool exports_config_probe_get(config_probe_string_t* key, config_probe_option_string_t* ret,
                              config_probe_string_t* err) {
  wasi_config_store_error_t error;
  const bool found = wasi_config_store_get(key, ret, &error);
  config_probe_string_free(key);
  if (!found) describe_error(&error, err);
  return found;
}

bool exports_config_probe_get_all(config_probe_list_tuple2_string_string_t* ret,
                                  config_probe_string_t* err) {
  wasi_config_store_error_t error;
  if (wasi_config_store_get_all(ret, &error)) return true;
  describe_error(&error, err);
  return false;
}

#ifndef CONFIG_PROBE_NO_HOOK
bool exports_config_probe_get_around_poke(config_probe_string_t* key,
                                          config_probe_tuple2_option_string_option_string_t* ret,
                                          config_probe_string_t* err) {
  wasi_config_store_error_t error;
  bool ok = wasi_config_store_get(key, &ret->f0, &error);
  if (!ok) {
    describe_error(&error, err);
  } else if (!test_config_probe_hook_poke(err)) {
    config_probe_option_string_free(&ret->f0);
    ok = false;
  } else if (!wasi_config_store_get(key, &ret->f1, &error)) {
    config_probe_option_string_free(&ret->f0);
    describe_error(&error, err);
    ok = false;
  }
  config_probe_string_free(key);
  return ok;
}

// orivon:config/watch: what the last on-change saw, for last-change().
static uint32_t g_changes = 0;
static char* g_last_change = NULL;
static size_t g_last_change_length = 0;

static void append(const uint8_t* bytes, size_t length) {
  g_last_change = realloc(g_last_change, g_last_change_length + length);
  memcpy(g_last_change + g_last_change_length, bytes, length);
  g_last_change_length += length;
}

void exports_orivon_config_watch_on_change(config_probe_list_string_t* changed_keys) {
  ++g_changes;
  g_last_change_length = 0;
  for (size_t i = 0; i < changed_keys->len; ++i) {
    config_probe_string_t* key = &changed_keys->ptr[i];
    if (i > 0) append((const uint8_t*)",", 1);
    append(key->ptr, key->len);
    config_probe_option_string_t value;
    wasi_config_store_error_t error;
    if (!wasi_config_store_get(key, &value, &error)) {
      wasi_config_store_error_free(&error);
      append((const uint8_t*)"=<error>", 8);
    } else if (value.is_some) {
      append((const uint8_t*)"=", 1);
      append(value.val.ptr, value.val.len);
      config_probe_option_string_free(&value);
    }
  }
  config_probe_list_string_free(changed_keys);
}

void exports_config_probe_last_change(config_probe_tuple2_u32_string_t* ret) {
  ret->f0 = g_changes;
  config_probe_string_dup_n(&ret->f1, g_last_change_length ? g_last_change : "",
                            g_last_change_length);
}
#endif
