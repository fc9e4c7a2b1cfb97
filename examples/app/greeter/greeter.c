// app.greeter.en and app.greeter.fr: two members of group.greeter.demo,
// built from this one source (GREETING_FR picks the language). Each uses the
// library lib.text.demo to shout the name.
#include <stdio.h>
#include <stdlib.h>

#include "greeter_member.h"

#ifdef GREETING_FR
#define GREETING "Bonjour, %.*s !"
#else
#define GREETING "Hello, %.*s!"
#endif

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
  return true;
}
