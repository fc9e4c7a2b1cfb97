// app.front.demo: the service the client calls. It reaches the greeter
// group (one function granted: greet) and the Go stats service (record and
// count granted, reset not).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

bool exports_app_demo_api_hello(front_string_t* name, front_string_t* ret, front_string_t* err) {
  front_string_t greeting;
  if (!app_demo_greeter_greet(name, &greeting, err)) {  // err: the group's, or orivon's refusal
    front_string_free(name);
    return false;
  }
  int64_t visits = app_demo_stats_record((int32_t)name->len);
  front_string_free(name);
  char text[320];
  snprintf(text, sizeof text, "%.*s (visit %lld)", (int)(greeting.len > 256 ? 256 : greeting.len),
           (char*)greeting.ptr, (long long)visits);
  front_string_free(&greeting);
  front_string_dup(ret, text);
  return true;
}

int64_t exports_app_demo_api_visitors(void) { return app_demo_stats_count(); }
