// app.visits.demo: hears of each visit through an event on visits.* (front
// publishes them) and counts them in its private key-value bucket, so the
// count outlives a restart. One event at a time, on this service's store.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "visits_counter.h"

static char last_name[128] = "";

// The private bucket (open("") needs no grant); false when it cannot be opened.
static bool open_private(wasi_keyvalue_store_own_bucket_t* bucket) {
  visits_counter_string_t empty = {(uint8_t*)"", 0};
  wasi_keyvalue_store_error_t error;
  if (wasi_keyvalue_store_open(&empty, bucket, &error)) return true;
  wasi_keyvalue_store_error_free(&error);
  return false;
}

// Adds `delta` to "seen" and returns the sum (-1 on an error).
static int64_t add_seen(int64_t delta) {
  wasi_keyvalue_store_own_bucket_t bucket;
  if (!open_private(&bucket)) return -1;
  visits_counter_string_t key = {(uint8_t*)"seen", 4};
  int64_t sum = -1;
  wasi_keyvalue_store_error_t error;
  if (!wasi_keyvalue_atomics_increment(wasi_keyvalue_store_borrow_bucket(bucket), &key, delta,
                                       &sum, &error)) {
    wasi_keyvalue_store_error_free(&error);
    sum = -1;
  }
  wasi_keyvalue_store_bucket_drop_own(bucket);
  return sum;
}

bool exports_wasi_messaging_incoming_handler_handle(
    exports_wasi_messaging_incoming_handler_own_message_t message,
    exports_wasi_messaging_incoming_handler_error_t* err) {
  visits_counter_list_u8_t data;
  wasi_messaging_types_method_message_data(wasi_messaging_types_borrow_message(message), &data);
  snprintf(last_name, sizeof last_name, "%.*s", (int)(data.len > 100 ? 100 : data.len),
           (const char*)data.ptr);
  visits_counter_list_u8_free(&data);
  wasi_messaging_types_message_drop_own(message);
  if (add_seen(1) < 0) {
    // Not counted: say so, and the event is not acknowledged.
    err->tag = WASI_MESSAGING_TYPES_ERROR_OTHER;
    visits_counter_string_dup(&err->val.other, "could not count the visit");
    return false;
  }
  return true;
}

int64_t exports_app_demo_visits_seen(void) {
  int64_t seen = add_seen(0);
  return seen < 0 ? 0 : seen;
}

void exports_app_demo_visits_last(visits_counter_string_t* ret) {
  visits_counter_string_dup(ret, last_name);
}
