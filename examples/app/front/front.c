// app.front.demo: the service the client calls. It reaches the greeter
// group (one function granted: greet) and the Go stats service (record and
// count granted, reset not), and publishes each visit as an event on
// `visits.hello` for whoever subscribed (app.visits.demo).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

// Publishes `name` on visits.hello. A greeting does not depend on it:
// without the grant the event is not sent, and that goes to the log.
static void publish_visit(const front_string_t* name) {
  front_string_t client_name = {(uint8_t*)"default", 7};
  wasi_messaging_types_own_client_t client;
  wasi_messaging_types_error_t error;
  if (!wasi_messaging_types_static_client_connect(&client_name, &client, &error)) {
    fprintf(stderr, "no visit event: cannot connect (error %d)\n", error.tag);
    wasi_messaging_types_error_free(&error);
    return;
  }
  front_list_u8_t bytes = {name->ptr, name->len};
  wasi_messaging_types_own_message_t message = wasi_messaging_types_constructor_message(&bytes);
  front_string_t topic = {(uint8_t*)"visits.hello", 12};
  if (!wasi_messaging_producer_send(wasi_messaging_types_borrow_client(client), &topic, message,
                                    &error)) {
    fprintf(stderr, "no visit event: publish refused (error %d)\n", error.tag);
    wasi_messaging_types_error_free(&error);
  }
  wasi_messaging_types_client_drop_own(client);
}

bool exports_app_demo_api_hello(front_string_t* name, front_string_t* ret, front_string_t* err) {
  front_string_t greeting;
  if (!app_demo_greeter_greet(name, &greeting, err)) {  // err: the group's, or orivon's refusal
    front_string_free(name);
    return false;
  }
  int64_t visits = app_demo_stats_record((int32_t)name->len);
  publish_visit(name);
  front_string_free(name);
  char text[320];
  snprintf(text, sizeof text, "%.*s (visit %lld)", (int)(greeting.len > 256 ? 256 : greeting.len),
           (char*)greeting.ptr, (long long)visits);
  front_string_free(&greeting);
  front_string_dup(ret, text);
  return true;
}

int64_t exports_app_demo_api_visitors(void) { return app_demo_stats_count(); }
