// app.greeter.en and app.greeter.fr: two members of group.greeter.demo,
// built from this one source (GREETING_FR picks the language). Each uses the
// library lib.text.demo to shout the name, and counts its greetings in the
// key-value bucket `visits` (granted with kv:visits:rw), shared by both.
#include <stdio.h>
#include <stdlib.h>

#include "greeter_member.h"

#ifdef GREETING_FR
#define GREETING "Bonjour, %.*s !"
#define LANGUAGE_KEY "greetings-fr"
#else
#define GREETING "Hello, %.*s!"
#define LANGUAGE_KEY "greetings-en"
#endif

// Adds one to `key` in the bucket `visits`. A greeting does not depend on
// it: without the grant (or the bucket) the count is skipped, and said in
// the module's log.
static void count(const char* key) {
  greeter_member_string_t bucket_name = {(uint8_t*)"visits", 6};
  wasi_keyvalue_store_own_bucket_t bucket;
  wasi_keyvalue_store_error_t error;
  if (!wasi_keyvalue_store_open(&bucket_name, &bucket, &error)) {
    fprintf(stderr, "not counting: bucket 'visits' cannot be opened (error %d)\n", error.tag);
    wasi_keyvalue_store_error_free(&error);
    return;
  }
  greeter_member_string_t name;
  greeter_member_string_dup(&name, key);
  int64_t sum = 0;
  if (!wasi_keyvalue_atomics_increment(wasi_keyvalue_store_borrow_bucket(bucket), &name, 1, &sum,
                                       &error)) {
    fprintf(stderr, "not counting: increment failed (error %d)\n", error.tag);
    wasi_keyvalue_store_error_free(&error);
  }
  greeter_member_string_free(&name);
  wasi_keyvalue_store_bucket_drop_own(bucket);
}

bool exports_app_demo_greeter_greet(greeter_member_string_t* name, greeter_member_string_t* ret,
                                    greeter_member_string_t* err) {
  if (name->len == 0) {
    greeter_member_string_free(name);
    greeter_member_string_dup(err, "a name, please");
    return false;
  }
  greeter_member_string_t loud;
  app_demo_format_shout(name, &loud);
  greeter_member_string_free(name);
  char text[256];
  snprintf(text, sizeof text, GREETING, (int)(loud.len > 200 ? 200 : loud.len), (char*)loud.ptr);
  greeter_member_string_free(&loud);
  greeter_member_string_dup(ret, text);
  count("greetings");
  count(LANGUAGE_KEY);
  return true;
}
