// The events probe: publishes through wasi:messaging/producer and receives
// through its exported incoming-handler. Installed twice in tests (a
// publisher and a subscriber) and told how its handler behaves.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events_probe.h"

static uint32_t mode = 0;
static uint32_t received = 0;
static uint32_t attempts = 0;
static char last[4096] = "";

static void set_error_text(const wasi_messaging_types_error_t* error, events_probe_string_t* out) {
  char text[1024];
  switch (error->tag) {
    case WASI_MESSAGING_TYPES_ERROR_TIMEOUT:
      snprintf(text, sizeof text, "timeout");
      break;
    case WASI_MESSAGING_TYPES_ERROR_CONNECTION:
      snprintf(text, sizeof text, "connection: %.*s", (int)error->val.connection.len,
               (const char*)error->val.connection.ptr);
      break;
    case WASI_MESSAGING_TYPES_ERROR_PERMISSION_DENIED:
      snprintf(text, sizeof text, "permission-denied: %.*s",
               (int)error->val.permission_denied.len, (const char*)error->val.permission_denied.ptr);
      break;
    default:
      snprintf(text, sizeof text, "other: %.*s", (int)error->val.other.len,
               (const char*)error->val.other.ptr);
      break;
  }
  events_probe_string_dup(out, text);
}

// Sends one message; false with the error text in `err`.
static bool send(events_probe_string_t* topic, const uint8_t* data, size_t len,
                 events_probe_string_t* err) {
  events_probe_string_t name;
  events_probe_string_set(&name, "default");
  wasi_messaging_types_own_client_t client;
  wasi_messaging_types_error_t error;
  if (!wasi_messaging_types_static_client_connect(&name, &client, &error)) {
    set_error_text(&error, err);
    wasi_messaging_types_error_free(&error);
    return false;
  }
  events_probe_list_u8_t bytes = {(uint8_t*)data, len};
  wasi_messaging_types_own_message_t message = wasi_messaging_types_constructor_message(&bytes);
  wasi_messaging_types_borrow_message_t borrowed = wasi_messaging_types_borrow_message(message);
  events_probe_string_t content_type, key, value;
  events_probe_string_set(&content_type, "text/plain");
  events_probe_string_set(&key, "k");
  events_probe_string_set(&value, "v");
  wasi_messaging_types_method_message_set_content_type(borrowed, &content_type);
  wasi_messaging_types_method_message_add_metadata(borrowed, &key, &value);
  bool sent = wasi_messaging_producer_send(wasi_messaging_types_borrow_client(client), topic,
                                           message, &error);
  if (!sent) {
    set_error_text(&error, err);
    wasi_messaging_types_error_free(&error);
  }
  wasi_messaging_types_client_drop_own(client);
  return sent;
}

bool exports_orivon_eventstest_probe_publish(events_probe_string_t* topic,
                                             events_probe_list_u8_t* data,
                                             events_probe_string_t* err) {
  bool sent = send(topic, data->ptr, data->len, err);
  events_probe_string_free(topic);
  events_probe_list_u8_free(data);
  return sent;
}

bool exports_orivon_eventstest_probe_publish_many(events_probe_string_t* topic, uint32_t count,
                                                  uint32_t* ret, events_probe_string_t* err) {
  char number[16];
  for (uint32_t i = 0; i < count; ++i) {
    int len = snprintf(number, sizeof number, "%u", i);
    if (!send(topic, (const uint8_t*)number, (size_t)len, err)) {
      events_probe_string_free(topic);
      return false;
    }
  }
  *ret = count;
  events_probe_string_free(topic);
  return true;
}

bool exports_orivon_eventstest_probe_publish_size(events_probe_string_t* topic, uint32_t size,
                                                  events_probe_string_t* err) {
  uint8_t* data = malloc(size ? size : 1);
  if (data == NULL) {
    events_probe_string_dup(err, "out of guest memory");
    events_probe_string_free(topic);
    return false;
  }
  memset(data, 'x', size);
  bool sent = send(topic, data, size, err);
  free(data);
  events_probe_string_free(topic);
  return sent;
}

uint32_t exports_orivon_eventstest_probe_received(void) { return received; }
uint32_t exports_orivon_eventstest_probe_attempts(void) { return attempts; }

void exports_orivon_eventstest_probe_last(events_probe_string_t* ret) {
  events_probe_string_dup(ret, last);
}

void exports_orivon_eventstest_probe_set_mode(uint32_t new_mode) { mode = new_mode; }

bool exports_wasi_messaging_incoming_handler_handle(
    exports_wasi_messaging_incoming_handler_own_message_t message,
    exports_wasi_messaging_incoming_handler_error_t* err) {
  ++attempts;
  wasi_messaging_types_borrow_message_t borrowed = wasi_messaging_types_borrow_message(message);
  wasi_messaging_types_topic_t topic = {0};
  bool has_topic = wasi_messaging_types_method_message_topic(borrowed, &topic);
  events_probe_list_u8_t data;
  wasi_messaging_types_method_message_data(borrowed, &data);
  // Mode 1, or an event whose payload is "trap" (a poison event: it traps
  // even in a freshly restarted instance).
  if (mode == 1 || (data.len == 4 && memcmp(data.ptr, "trap", 4) == 0)) __builtin_trap();
  if (mode == 2) {
    err->tag = WASI_MESSAGING_TYPES_ERROR_OTHER;
    events_probe_string_dup(&err->val.other, "refused on purpose");
    if (has_topic) wasi_messaging_types_topic_free(&topic);
    events_probe_list_u8_free(&data);
    wasi_messaging_types_message_drop_own(message);
    return false;
  }
  if (mode == 3) {
    for (volatile int spin = 1; spin;) {
    }
  }
  events_probe_string_t content_type = {0};
  bool has_type = wasi_messaging_types_method_message_content_type(borrowed, &content_type);
  wasi_messaging_types_metadata_t metadata = {0};
  bool has_metadata = wasi_messaging_types_method_message_metadata(borrowed, &metadata);
  int at = snprintf(last, sizeof last, "%.*s|%.*s|%.*s|", has_topic ? (int)topic.len : 0,
                    has_topic ? (const char*)topic.ptr : "", (int)data.len, (const char*)data.ptr,
                    has_type ? (int)content_type.len : 0,
                    has_type ? (const char*)content_type.ptr : "");
  for (size_t i = 0; has_metadata && i < metadata.len && at > 0 && (size_t)at < sizeof last; ++i) {
    at += snprintf(last + at, sizeof last - (size_t)at, "%s%.*s=%.*s", i ? "," : "",
                   (int)metadata.ptr[i].f0.len, (const char*)metadata.ptr[i].f0.ptr,
                   (int)metadata.ptr[i].f1.len, (const char*)metadata.ptr[i].f1.ptr);
  }
  bool ok = true;
  if (mode == 4 && has_topic) {
    events_probe_string_t error_text = {0};
    ok = send(&topic, data.ptr, data.len, &error_text);
    if (!ok) {
      // The hop limit stops the loop: acknowledge, and remember why.
      snprintf(last, sizeof last, "loop stopped: %.*s", (int)error_text.len,
               (const char*)error_text.ptr);
      events_probe_string_free(&error_text);
      ok = true;
    }
  }
  ++received;
  events_probe_list_u8_free(&data);
  if (has_topic) wasi_messaging_types_topic_free(&topic);
  if (has_type) events_probe_string_free(&content_type);
  if (has_metadata) wasi_messaging_types_metadata_free(&metadata);
  wasi_messaging_types_message_drop_own(message);
  return ok;
}
