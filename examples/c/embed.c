// Embedding orivon in a C program through the C API (orivon/orivon.h):
// install a component, run it as a service, watch its state changes, call it
// with WAVE text and with typed values, read its log, and use key-value
// buckets, events and configuration. Every error is printed and freed.
//
//   embed_c STATE_DIR CALLEE.wasm
//
// CALLEE.wasm is build/guests/call_callee.component.wasm (it exports
// add(s64, s64) -> s64, echo-string and echo-bytes).

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>

#include "orivon/orivon.h"

static const char* const kId = "example.c.callee";

// Prints the error, frees it and says whether there was one.
static int failed(orivon_error_t* error, const char* what) {
  if (error == NULL) return 0;
  fprintf(stderr, "%s: %s (%s)\n", what, orivon_error_message(error),
          orivon_error_code_name(orivon_error_code(error)));
  orivon_error_delete(error);
  return 1;
}

// Says so when a result is not what the example expects.
static int wrong(int condition, const char* what) {
  if (condition) fprintf(stderr, "unexpected: %s\n", what);
  return condition;
}

static void on_state(void* user_data, const char* id, orivon_module_state_t from,
                     orivon_module_state_t to, const char* cause) {
  atomic_int* changes = user_data;
  atomic_fetch_add(changes, 1);
  printf("  [%s] %s -> %s%s%s\n", id, orivon_module_state_name(from), orivon_module_state_name(to),
         cause[0] ? ": " : "", cause);
}

static int on_event(void* user_data, const char* topic, const uint8_t* data, size_t size,
                    const char* publisher, uint64_t sequence) {
  (void)sequence;
  atomic_int* received = user_data;
  printf("  event on %s from %s: %.*s\n", topic, publisher, (int)size, (const char*)data);
  atomic_fetch_add(received, 1);
  return 0;
}

static int run(orivon_runtime_t* runtime, const char* module_path) {
  atomic_int changes = 0;
  uint64_t state_subscription = 0;
  if (failed(orivon_state_subscribe(runtime, on_state, &changes, &state_subscription),
             "subscribing")) {
    return 1;
  }

  orivon_module_info_t* info = NULL;
  if (failed(orivon_module_add_file(runtime, kId, module_path, NULL, &info), "adding")) return 1;
  printf("installed %s (%s, %llu bytes)\n", orivon_module_info_id(info),
         orivon_module_info_is_component(info) ? "component" : "core module",
         (unsigned long long)orivon_module_info_size(info));
  orivon_module_info_delete(info);

  if (failed(orivon_service_start(runtime, kId), "starting")) return 1;

  // A call written as text, results as WAVE text.
  char* results = NULL;
  if (failed(orivon_call_text(runtime, kId, "add(40, 2)", 0, &results, NULL), "calling")) return 1;
  printf("add(40, 2) = %s\n", results);
  const int sum_wrong = strcmp(results, "42") != 0;
  orivon_string_delete(results);
  if (wrong(sum_wrong, "add(40, 2) is not 42")) return 1;

  // The same kind of call with typed values: a string and bytes.
  orivon_value_t* text = orivon_value_new_string("hello from C", strlen("hello from C"));
  orivon_value_list_t* echoed = NULL;
  const orivon_value_t* args[] = {text};
  orivon_error_t* error = orivon_call_values(runtime, kId, "echo-string", args, 1, 0, &echoed);
  orivon_value_delete(text);
  if (failed(error, "echo-string")) return 1;
  const char* echoed_text = NULL;
  size_t echoed_size = 0;
  if (failed(orivon_value_get_string(orivon_value_list_get(echoed, 0), &echoed_text, &echoed_size),
             "reading the string")) {
    orivon_value_list_delete(echoed);
    return 1;
  }
  printf("echo-string: %.*s\n", (int)echoed_size, echoed_text);
  const int echo_wrong = echoed_size != strlen("hello from C");
  orivon_value_list_delete(echoed);
  if (wrong(echo_wrong, "echo-string changed the text")) return 1;

  const uint8_t bytes[] = {0, 1, 255};
  orivon_value_t* bytes_value = orivon_value_new_bytes(bytes, sizeof bytes);
  const orivon_value_t* bytes_args[] = {bytes_value};
  error = orivon_call_values(runtime, kId, "echo-bytes", bytes_args, 1, 0, &echoed);
  orivon_value_delete(bytes_value);
  if (failed(error, "echo-bytes")) return 1;
  char* wave = NULL;
  if (failed(orivon_value_to_wave(orivon_value_list_get(echoed, 0), &wave), "wave")) return 1;
  printf("echo-bytes: %s\n", wave);
  const int bytes_wrong = strcmp(wave, "[0, 1, 255]") != 0;
  orivon_string_delete(wave);
  orivon_value_list_delete(echoed);
  if (wrong(bytes_wrong, "echo-bytes changed the bytes")) return 1;

  // A missing grant or a bad argument is an error, never a crash.
  error = orivon_call_text(runtime, "not an id", "add(1, 2)", 0, &results, NULL);
  printf("a bad id is %s\n", orivon_error_code_name(orivon_error_code(error)));
  const int code = orivon_error_code(error);
  orivon_error_delete(error);
  if (wrong(code != ORIVON_ERROR_INVALID_ARGUMENT, "a bad id is not INVALID_ARGUMENT")) return 1;

  if (failed(orivon_service_restart(runtime, kId), "restarting")) return 1;

  // Key-value, events and configuration.
  if (failed(orivon_kv_create_bucket(runtime, "example"), "creating a bucket")) return 1;
  const uint8_t value[] = "blue";
  if (failed(orivon_kv_set(runtime, "example", "color", value, 4, NULL), "kv set")) return 1;
  bool found = false;
  uint8_t* read = NULL;
  size_t read_size = 0;
  if (failed(orivon_kv_get(runtime, "example", "color", &found, &read, &read_size), "kv get")) {
    return 1;
  }
  printf("kv color = %.*s\n", (int)read_size, (const char*)read);
  const int kv_wrong = !found || read_size != 4 || memcmp(read, "blue", 4) != 0;
  orivon_bytes_delete(read);
  if (wrong(kv_wrong, "the key-value bucket lost the value")) return 1;

  atomic_int received = 0;
  uint64_t event_subscription = 0;
  if (failed(orivon_event_subscribe(runtime, "example.>", on_event, &received,
                                    &event_subscription),
             "subscribing to events")) {
    return 1;
  }
  const char payload[] = "an event";
  if (failed(orivon_event_publish(runtime, "example.c.hello", (const uint8_t*)payload,
                                  strlen(payload), "text/plain", NULL),
             "publishing")) {
    return 1;
  }
  // Events arrive on a delivery thread; wait for this one (at most 10 s).
  for (int i = 0; i < 1000 && atomic_load(&received) == 0; ++i) {
    thrd_sleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
  }
  printf("%d event(s) received\n", atomic_load(&received));
  if (wrong(atomic_load(&received) != 1, "the event did not arrive once")) return 1;

  if (failed(orivon_config_set(runtime, kId, "greeting", "hi"), "config set")) return 1;
  char* greeting = NULL;
  if (failed(orivon_config_get(runtime, kId, "greeting", &greeting), "config get")) return 1;
  printf("config greeting = %s\n", greeting);
  const int config_wrong = strcmp(greeting, "hi") != 0;
  orivon_string_delete(greeting);
  if (wrong(config_wrong, "the configuration value changed")) return 1;

  orivon_log_list_t* logs = NULL;
  if (failed(orivon_service_logs(runtime, kId, 0, 100, &logs), "logs")) return 1;
  printf("%zu log line(s)\n", orivon_log_list_size(logs));
  orivon_log_list_delete(logs);

  if (failed(orivon_service_stop(runtime, kId), "stopping")) return 1;
  if (failed(orivon_event_unsubscribe(runtime, event_subscription), "unsubscribing")) return 1;
  if (failed(orivon_state_unsubscribe(runtime, state_subscription), "unsubscribing")) return 1;
  printf("%d state change(s) seen\n", atomic_load(&changes));
  return wrong(atomic_load(&changes) == 0, "no state change was seen");
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s STATE_DIR CALLEE.wasm\n", argv[0]);
    return 2;
  }
  printf("orivon %s\n", orivon_version());
  orivon_runtime_options_t* options = orivon_runtime_options_new();
  orivon_runtime_t* runtime = NULL;
  orivon_error_t* error = orivon_runtime_options_set_state_dir(options, argv[1]);
  if (error == NULL) error = orivon_runtime_new(options, &runtime);
  orivon_runtime_options_delete(options);
  if (failed(error, "creating the runtime")) return 1;
  const int status = run(runtime, argv[2]);
  orivon_runtime_delete(runtime);
  return status;
}
