#ifndef ORIVON_ORIVON_H
#define ORIVON_ORIVON_H

/// \file
/// The C API: orivon for programs in C and for any language that can call C
/// (Python's ctypes, Go's cgo, Rust, Java's FFM, ...). It is a thin layer over
/// the C++ Runtime (orivon/runtime.h) and offers the same operations with C
/// types only: opaque handles, pointers with lengths, numbers.
///
/// Conventions (the same for every function):
///
/// * Errors. A function that can fail returns `orivon_error_t*`: NULL on
///   success, otherwise an error the caller owns and frees with
///   orivon_error_delete(). Its code (orivon_error_code()) is one of the
///   ORIVON_ERROR_* values; decide by the code, never by the message, which
///   is for people. On failure, out-parameters are left unchanged.
/// * Arguments. A NULL handle, a NULL out-parameter or a NULL string where a
///   value is required gives ORIVON_ERROR_INVALID_ARGUMENT, never a crash.
///   A handle must otherwise be one orivon made and not yet deleted: a
///   dangling pointer cannot be detected. Strings are NUL-terminated UTF-8;
///   byte strings are a pointer and a length (the pointer may be NULL when
///   the length is 0). orivon copies what it keeps: no argument needs to
///   outlive the call.
/// * Ownership. What a function returns through an out-parameter belongs to
///   the caller, and each kind has exactly one function that frees it:
///     orivon_error_t*         orivon_error_delete()
///     char* (a string)        orivon_string_delete()
///     uint8_t* (bytes)        orivon_bytes_delete()
///     orivon_runtime_t*       orivon_runtime_delete()
///     orivon_runtime_options_t*  orivon_runtime_options_delete()
///     orivon_module_info_t*   orivon_module_info_delete()
///     orivon_module_list_t*   orivon_module_list_delete()
///     orivon_module_details_t*   orivon_module_details_delete()
///     orivon_value_t*         orivon_value_delete()
///     orivon_value_list_t*    orivon_value_list_delete()
///     orivon_string_list_t*   orivon_string_list_delete()
///     orivon_log_list_t*      orivon_log_list_delete()
///   A `const char*` or `const` handle that a function returns is borrowed:
///   it stays valid while the object it was read from is alive, and is never
///   freed by the caller. Every delete function accepts NULL.
/// * Threads. A runtime may be used from several threads at once. Every other
///   object is thread-compatible: use it from one thread at a time.
/// * Callbacks (state changes, events) run on orivon's threads. They must not
///   block for long and must not call orivon_runtime_delete(). Their pointer
///   arguments are valid only during the call.
/// * Nothing crosses this boundary as an exception: an unexpected failure
///   inside orivon becomes ORIVON_ERROR_INTERNAL.
///
///   orivon_runtime_options_t* options = orivon_runtime_options_new();
///   orivon_runtime_options_set_state_dir(options, "/tmp/state");
///   orivon_runtime_t* runtime = NULL;
///   orivon_error_t* error = orivon_runtime_new(options, &runtime);
///   orivon_runtime_options_delete(options);
///   if (error) { puts(orivon_error_message(error)); orivon_error_delete(error); }

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orivon/export.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---- Errors -----------------------------------------------------------------

/// The canonical error codes: the same numbers as orivon::ErrorCode
/// (orivon/error_codes.inc says how each is chosen).
typedef enum orivon_error_code_t {
  ORIVON_ERROR_INVALID_ARGUMENT = 1,
  ORIVON_ERROR_NOT_FOUND = 2,
  ORIVON_ERROR_ALREADY_EXISTS = 3,
  ORIVON_ERROR_PERMISSION_DENIED = 4,
  ORIVON_ERROR_RESOURCE_EXHAUSTED = 5,
  ORIVON_ERROR_FAILED_PRECONDITION = 6,
  ORIVON_ERROR_UNAVAILABLE = 7,
  ORIVON_ERROR_DEADLINE_EXCEEDED = 8,
  ORIVON_ERROR_TRAPPED = 9,
  ORIVON_ERROR_UNIMPLEMENTED = 10,
  ORIVON_ERROR_INTERNAL = 11,
} orivon_error_code_t;

/// An error: a code and a message. Owned by whoever received it.
typedef struct orivon_error orivon_error_t;

/// The error's code; ORIVON_ERROR_INVALID_ARGUMENT for a NULL error.
ORIVON_API orivon_error_code_t orivon_error_code(const orivon_error_t* error);
/// The message, with its causes ("loading 'x.wasm': not found"). Borrowed:
/// valid until the error is deleted. "" for a NULL error.
ORIVON_API const char* orivon_error_message(const orivon_error_t* error);
/// The code's name, for example "NotFound". Static; "Unknown" for a number
/// that is not a code.
ORIVON_API const char* orivon_error_code_name(int code);
ORIVON_API void orivon_error_delete(orivon_error_t* error);

// ---- Strings, bytes and lists of strings -------------------------------------

/// Frees a string orivon returned (a `char*` out-parameter).
ORIVON_API void orivon_string_delete(char* string);
/// Frees bytes orivon returned (a `uint8_t*` out-parameter).
ORIVON_API void orivon_bytes_delete(uint8_t* bytes);

/// A list of strings (imports, exports, keys).
typedef struct orivon_string_list orivon_string_list_t;
ORIVON_API size_t orivon_string_list_size(const orivon_string_list_t* list);
/// The string at `index`, borrowed from the list; NULL past the end.
ORIVON_API const char* orivon_string_list_get(const orivon_string_list_t* list, size_t index);
ORIVON_API void orivon_string_list_delete(orivon_string_list_t* list);

/// orivon's version ("0.1.0"). Static.
ORIVON_API const char* orivon_version(void);

// ---- The runtime ------------------------------------------------------------

/// What a runtime is created with. Owned by the caller; it can be deleted as
/// soon as orivon_runtime_new() returns.
typedef struct orivon_runtime_options orivon_runtime_options_t;
/// Default options: no state directory. NULL only when memory runs out.
ORIVON_API orivon_runtime_options_t* orivon_runtime_options_new(void);
/// Where the registry, key-value buckets and events live (created 0700 if
/// missing). Without one, module, service, key-value and event functions
/// fail with ORIVON_ERROR_FAILED_PRECONDITION.
ORIVON_API orivon_error_t* orivon_runtime_options_set_state_dir(orivon_runtime_options_t* options,
                                                                const char* path);
ORIVON_API void orivon_runtime_options_delete(orivon_runtime_options_t* options);

/// One runtime: the Wasmtime engine, the registry and the running services.
typedef struct orivon_runtime orivon_runtime_t;
/// Creates a runtime; `options` may be NULL for the defaults. On success
/// `*runtime` is owned by the caller.
ORIVON_API orivon_error_t* orivon_runtime_new(const orivon_runtime_options_t* options,
                                              orivon_runtime_t** runtime);
/// Stops every service, ends every subscription (no callback runs after it
/// returns) and frees the runtime.
ORIVON_API void orivon_runtime_delete(orivon_runtime_t* runtime);

// ---- Modules ----------------------------------------------------------------

typedef enum orivon_module_kind_t {
  ORIVON_MODULE_SERVICE = 0,
  ORIVON_MODULE_LIBRARY = 1,
  ORIVON_MODULE_GROUP = 2,
} orivon_module_kind_t;

typedef enum orivon_module_state_t {
  ORIVON_STATE_INSTALLED = 0,
  ORIVON_STATE_STARTING = 1,
  ORIVON_STATE_RUNNING = 2,
  ORIVON_STATE_STOPPING = 3,
  ORIVON_STATE_STOPPED = 4,
  ORIVON_STATE_CRASHED = 5,
} orivon_module_state_t;

/// "installed", "starting", ...; static. "unknown" for another number.
ORIVON_API const char* orivon_module_state_name(int state);

/// One installed module, as listed.
typedef struct orivon_module_info orivon_module_info_t;
/// The id, version, description, content hash (SHA-256, hex) and crash cause
/// are borrowed from the info. All accessors give 0 or "" for NULL.
ORIVON_API const char* orivon_module_info_id(const orivon_module_info_t* info);
ORIVON_API orivon_module_kind_t orivon_module_info_kind(const orivon_module_info_t* info);
ORIVON_API orivon_module_state_t orivon_module_info_state(const orivon_module_info_t* info);
ORIVON_API const char* orivon_module_info_state_cause(const orivon_module_info_t* info);
ORIVON_API const char* orivon_module_info_version(const orivon_module_info_t* info);
ORIVON_API const char* orivon_module_info_description(const orivon_module_info_t* info);
ORIVON_API const char* orivon_module_info_content_hash(const orivon_module_info_t* info);
ORIVON_API uint64_t orivon_module_info_size(const orivon_module_info_t* info);
/// True for a component, false for a core module.
ORIVON_API bool orivon_module_info_is_component(const orivon_module_info_t* info);
ORIVON_API void orivon_module_info_delete(orivon_module_info_t* info);

/// Installs the binary `code` under `id` (see orivon/ids.h for ids).
/// `info` may be NULL; otherwise it receives the new module's info.
/// ALREADY_EXISTS if the id is taken; INVALID_ARGUMENT for a bad id or binary.
ORIVON_API orivon_error_t* orivon_module_add(orivon_runtime_t* runtime, const char* id,
                                             const uint8_t* code, size_t code_size,
                                             orivon_module_info_t** info);
/// The same, reading the binary from the file `path`. `manifest_path` may be
/// NULL; otherwise the manifest (TOML or JSON, by its extension) is installed
/// with the module, and `id` may then be NULL to take the manifest's id.
ORIVON_API orivon_error_t* orivon_module_add_file(orivon_runtime_t* runtime, const char* id,
                                                  const char* path, const char* manifest_path,
                                                  orivon_module_info_t** info);
/// Replaces the code of an installed module; grants, configuration and
/// manifest stay. `info` may be NULL. NOT_FOUND if absent.
ORIVON_API orivon_error_t* orivon_module_update(orivon_runtime_t* runtime, const char* id,
                                                const uint8_t* code, size_t code_size,
                                                orivon_module_info_t** info);
ORIVON_API orivon_error_t* orivon_module_update_file(orivon_runtime_t* runtime, const char* id,
                                                     const char* path,
                                                     orivon_module_info_t** info);
/// Uninstalls a module with its grants and configuration. FAILED_PRECONDITION,
/// naming each one, while other modules hold call grants on it (revoke them
/// first, with orivon_calls_revoke); NOT_FOUND if absent.
ORIVON_API orivon_error_t* orivon_module_remove(orivon_runtime_t* runtime, const char* id);

/// Installed modules, ordered by id.
typedef struct orivon_module_list orivon_module_list_t;
ORIVON_API size_t orivon_module_list_size(const orivon_module_list_t* list);
/// The module at `index`, borrowed from the list; NULL past the end.
ORIVON_API const orivon_module_info_t* orivon_module_list_get(const orivon_module_list_t* list,
                                                              size_t index);
ORIVON_API void orivon_module_list_delete(orivon_module_list_t* list);
/// The installed modules after the id `after` (NULL or "": from the first),
/// at most `limit` of them (0: all).
ORIVON_API orivon_error_t* orivon_module_list(orivon_runtime_t* runtime, const char* after,
                                              size_t limit, orivon_module_list_t** list);

/// One module in full (what `orivon inspect` shows).
typedef struct orivon_module_details orivon_module_details_t;
/// Borrowed from the details.
ORIVON_API const orivon_module_info_t* orivon_module_details_info(
    const orivon_module_details_t* details);
/// Its imports and exports, one line each ("func add(a: s32, b: s32) -> s32"),
/// borrowed from the details.
ORIVON_API const orivon_string_list_t* orivon_module_details_imports(
    const orivon_module_details_t* details);
ORIVON_API const orivon_string_list_t* orivon_module_details_exports(
    const orivon_module_details_t* details);
/// The client's grant decisions: grant texts allowed and grant texts denied,
/// borrowed from the details.
ORIVON_API const orivon_string_list_t* orivon_module_details_allowed(
    const orivon_module_details_t* details);
ORIVON_API const orivon_string_list_t* orivon_module_details_denied(
    const orivon_module_details_t* details);
ORIVON_API void orivon_module_details_delete(orivon_module_details_t* details);
/// NOT_FOUND if the module is absent.
ORIVON_API orivon_error_t* orivon_module_inspect(orivon_runtime_t* runtime, const char* id,
                                                 orivon_module_details_t** details);

// ---- Grants -----------------------------------------------------------------

/// Records the client's decision on one OS grant of a module (the syntax is
/// in orivon/grants.h: "dir:/data:/data:ro", "env:NAME=value", "stdio:capture",
/// "topic:orders.>:publish", "host:example:log/sink", ...). A service gets its
/// WASI grants at its next start. NOT_FOUND for an absent module,
/// INVALID_ARGUMENT for a malformed grant.
ORIVON_API orivon_error_t* orivon_grant_allow(orivon_runtime_t* runtime, const char* id,
                                              const char* grant);
ORIVON_API orivon_error_t* orivon_grant_deny(orivon_runtime_t* runtime, const char* id,
                                             const char* grant);
/// Lets `caller` call the functions named in `functions` (`function_count`
/// of them) of `target`; every function when `function_count` is 0
/// (`functions` may then be NULL). Takes effect on the next call.
ORIVON_API orivon_error_t* orivon_calls_grant(orivon_runtime_t* runtime, const char* caller,
                                              const char* target, const char* const* functions,
                                              size_t function_count);
/// Takes those functions back (all grants from caller to target when
/// `function_count` is 0). NOT_FOUND if there was nothing to take back.
ORIVON_API orivon_error_t* orivon_calls_revoke(orivon_runtime_t* runtime, const char* caller,
                                               const char* target, const char* const* functions,
                                               size_t function_count);

// ---- Services ---------------------------------------------------------------

/// Starts a service module and waits until it runs (already running: ok).
/// FAILED_PRECONDITION for a library, a group, or a start that failed.
ORIVON_API orivon_error_t* orivon_service_start(orivon_runtime_t* runtime, const char* id);
/// Stops it gracefully (not running: ok).
ORIVON_API orivon_error_t* orivon_service_stop(orivon_runtime_t* runtime, const char* id);
ORIVON_API orivon_error_t* orivon_service_restart(orivon_runtime_t* runtime, const char* id);

/// Called after each state change of each service. `id` and `cause` (empty
/// unless it crashed) are valid during the call only.
typedef void (*orivon_state_callback_t)(void* user_data, const char* id,
                                        orivon_module_state_t from, orivon_module_state_t to,
                                        const char* cause);
/// Subscribes `callback` (called with `user_data`, which orivon does not
/// touch) to every state change; `*subscription` receives its id.
ORIVON_API orivon_error_t* orivon_state_subscribe(orivon_runtime_t* runtime,
                                                  orivon_state_callback_t callback,
                                                  void* user_data, uint64_t* subscription);
/// Ends a subscription. `user_data` must stay valid until then (or until
/// the runtime is deleted).
ORIVON_API orivon_error_t* orivon_state_unsubscribe(orivon_runtime_t* runtime,
                                                    uint64_t subscription);

/// Recent lines of a service's output and orivon's notes about it, oldest
/// first: those with sequence numbers above `after`, at most `max`.
typedef struct orivon_log_list orivon_log_list_t;
ORIVON_API size_t orivon_log_list_size(const orivon_log_list_t* list);
/// 0 past the end.
ORIVON_API uint64_t orivon_log_list_sequence(const orivon_log_list_t* list, size_t index);
/// Unix time in milliseconds; 0 past the end.
ORIVON_API int64_t orivon_log_list_time_ms(const orivon_log_list_t* list, size_t index);
/// "out", "err" or "orivon"; borrowed; NULL past the end.
ORIVON_API const char* orivon_log_list_stream(const orivon_log_list_t* list, size_t index);
/// The line, borrowed; NULL past the end.
ORIVON_API const char* orivon_log_list_text(const orivon_log_list_t* list, size_t index);
ORIVON_API void orivon_log_list_delete(orivon_log_list_t* list);
ORIVON_API orivon_error_t* orivon_service_logs(orivon_runtime_t* runtime, const char* id,
                                               uint64_t after, size_t max,
                                               orivon_log_list_t** logs);

// ---- Calls ------------------------------------------------------------------

/// Calls an export of an installed module, written as text: `name(args)` with
/// WAVE arguments ("greet(\"world\")", "add(40, 2)"; components may name
/// "interface#function"). A running service answers in its live instance, a
/// library in a fresh one, a group through a running member. `timeout_ms` 0
/// means the service's own call deadline. `*results` receives the results as
/// text (WAVE for components, space-separated numbers for core modules, ""
/// for none); free it with orivon_string_delete(). `exit_code` may be NULL;
/// otherwise it receives -1, or the guest's status when it called exit()
/// instead of returning. FAILED_PRECONDITION for a service that is not
/// running; TRAPPED for a trap (the service then restarts by its policy).
ORIVON_API orivon_error_t* orivon_call_text(orivon_runtime_t* runtime, const char* id,
                                            const char* call, uint32_t timeout_ms,
                                            char** results, int32_t* exit_code);

/// One typed value: a number, a string, bytes (a `list<u8>`), or a value of
/// another kind that came back from a call (readable as WAVE text).
typedef struct orivon_value orivon_value_t;
typedef enum orivon_value_kind_t {
  ORIVON_VALUE_BOOL = 0,
  ORIVON_VALUE_S8 = 1,
  ORIVON_VALUE_U8 = 2,
  ORIVON_VALUE_S16 = 3,
  ORIVON_VALUE_U16 = 4,
  ORIVON_VALUE_S32 = 5,
  ORIVON_VALUE_U32 = 6,
  ORIVON_VALUE_S64 = 7,
  ORIVON_VALUE_U64 = 8,
  ORIVON_VALUE_F32 = 9,
  ORIVON_VALUE_F64 = 10,
  ORIVON_VALUE_STRING = 11,
  ORIVON_VALUE_BYTES = 12,
  /// A char, list, record, tuple, variant, enum, option, result or flags:
  /// read it with orivon_value_to_wave().
  ORIVON_VALUE_OTHER = 13,
} orivon_value_kind_t;

/// Constructors: each returns a new value owned by the caller (NULL only
/// when memory runs out).
ORIVON_API orivon_value_t* orivon_value_new_bool(bool value);
ORIVON_API orivon_value_t* orivon_value_new_s8(int8_t value);
ORIVON_API orivon_value_t* orivon_value_new_u8(uint8_t value);
ORIVON_API orivon_value_t* orivon_value_new_s16(int16_t value);
ORIVON_API orivon_value_t* orivon_value_new_u16(uint16_t value);
ORIVON_API orivon_value_t* orivon_value_new_s32(int32_t value);
ORIVON_API orivon_value_t* orivon_value_new_u32(uint32_t value);
ORIVON_API orivon_value_t* orivon_value_new_s64(int64_t value);
ORIVON_API orivon_value_t* orivon_value_new_u64(uint64_t value);
ORIVON_API orivon_value_t* orivon_value_new_f32(float value);
ORIVON_API orivon_value_t* orivon_value_new_f64(double value);
/// `size` bytes of UTF-8 text (copied; not checked until a call checks it).
/// `text` may be NULL when `size` is 0.
ORIVON_API orivon_value_t* orivon_value_new_string(const char* text, size_t size);
/// A `list<u8>` (copied). `data` may be NULL when `size` is 0.
ORIVON_API orivon_value_t* orivon_value_new_bytes(const uint8_t* data, size_t size);
/// ORIVON_VALUE_OTHER for NULL.
ORIVON_API orivon_value_kind_t orivon_value_kind(const orivon_value_t* value);
/// Readers: INVALID_ARGUMENT when the value is of another kind (there are no
/// conversions: an S32 value is not read as S64) or an argument is NULL.
ORIVON_API orivon_error_t* orivon_value_get_bool(const orivon_value_t* value, bool* out);
/// Reads S8, S16, S32 and S64 values.
ORIVON_API orivon_error_t* orivon_value_get_signed(const orivon_value_t* value, int64_t* out);
/// Reads U8, U16, U32 and U64 values.
ORIVON_API orivon_error_t* orivon_value_get_unsigned(const orivon_value_t* value, uint64_t* out);
/// Reads F32 and F64 values.
ORIVON_API orivon_error_t* orivon_value_get_float(const orivon_value_t* value, double* out);
/// A STRING's text (not NUL-terminated) or BYTES' bytes, borrowed from the
/// value: valid while it lives.
ORIVON_API orivon_error_t* orivon_value_get_string(const orivon_value_t* value,
                                                   const char** text, size_t* size);
ORIVON_API orivon_error_t* orivon_value_get_bytes(const orivon_value_t* value,
                                                  const uint8_t** data, size_t* size);
/// Any value as WAVE text ("42", "\"hi\"", "{x: 1, y: 2}"), owned by the
/// caller (orivon_string_delete()).
ORIVON_API orivon_error_t* orivon_value_to_wave(const orivon_value_t* value, char** wave);
ORIVON_API void orivon_value_delete(orivon_value_t* value);

/// Values a call returned.
typedef struct orivon_value_list orivon_value_list_t;
ORIVON_API size_t orivon_value_list_size(const orivon_value_list_t* list);
/// Borrowed from the list; NULL past the end.
ORIVON_API const orivon_value_t* orivon_value_list_get(const orivon_value_list_t* list,
                                                       size_t index);
ORIVON_API void orivon_value_list_delete(orivon_value_list_t* list);

/// Calls `function` ("name" or "interface#name") of an installed module with
/// `arg_count` typed arguments (checked against its parameter types: kinds
/// must match exactly; core modules take numbers). The arguments stay the
/// caller's. `*results` receives the results (at most one for components).
/// `timeout_ms` and errors as for orivon_call_text().
ORIVON_API orivon_error_t* orivon_call_values(orivon_runtime_t* runtime, const char* id,
                                              const char* function,
                                              const orivon_value_t* const* args,
                                              size_t arg_count, uint32_t timeout_ms,
                                              orivon_value_list_t** results);

// ---- Events -----------------------------------------------------------------

/// Publishes an event as the client (no grant needed) on `topic`
/// ("orders.eu.created"), with `data_size` bytes of data and an optional
/// `content_type` (NULL for none). `sequence` may be NULL; otherwise it
/// receives the event's sequence number. INVALID_ARGUMENT for a topic with
/// wildcards or a payload over 1 MiB.
ORIVON_API orivon_error_t* orivon_event_publish(orivon_runtime_t* runtime, const char* topic,
                                                const uint8_t* data, size_t data_size,
                                                const char* content_type, uint64_t* sequence);
/// Receives one event: its topic, data, publisher ("client" or a module id)
/// and sequence number, all valid during the call only. Return 0 when it was
/// handled; anything else counts as a failed delivery (client subscriptions
/// are at-most-once: the event is not delivered again).
typedef int (*orivon_event_callback_t)(void* user_data, const char* topic, const uint8_t* data,
                                       size_t data_size, const char* publisher,
                                       uint64_t sequence);
/// Subscribes the client to the topics `pattern` matches (`*` one token, a
/// final `>` the rest). Events arrive on a delivery thread, one at a time.
ORIVON_API orivon_error_t* orivon_event_subscribe(orivon_runtime_t* runtime, const char* pattern,
                                                  orivon_event_callback_t callback,
                                                  void* user_data, uint64_t* subscription);
ORIVON_API orivon_error_t* orivon_event_unsubscribe(orivon_runtime_t* runtime,
                                                    uint64_t subscription);
/// Subscribes an installed service module to `pattern` (it must hold a
/// `topic:PATTERN:subscribe` grant covering it); durable subscriptions keep
/// events for it while it is stopped and survive a restart of the host.
ORIVON_API orivon_error_t* orivon_event_subscribe_module(orivon_runtime_t* runtime,
                                                         const char* id, const char* pattern,
                                                         bool durable);
ORIVON_API orivon_error_t* orivon_event_unsubscribe_module(orivon_runtime_t* runtime,
                                                           const char* id, const char* pattern);

// ---- Key-value buckets --------------------------------------------------------

/// Creates a local bucket with the default limits. ALREADY_EXISTS if it does.
ORIVON_API orivon_error_t* orivon_kv_create_bucket(orivon_runtime_t* runtime, const char* bucket);
/// Drops a bucket with every key in it. NOT_FOUND if absent.
ORIVON_API orivon_error_t* orivon_kv_drop_bucket(orivon_runtime_t* runtime, const char* bucket);
/// Writes `value`; `version` may be NULL, otherwise it receives the key's new
/// version.
ORIVON_API orivon_error_t* orivon_kv_set(orivon_runtime_t* runtime, const char* bucket,
                                         const char* key, const uint8_t* value,
                                         size_t value_size, uint64_t* version);
/// Reads a key. `*found` tells whether it exists; if so `*value` receives
/// its bytes (owned by the caller: orivon_bytes_delete(); NULL for an empty
/// value) and `*value_size` their number; otherwise both are NULL and 0.
ORIVON_API orivon_error_t* orivon_kv_get(orivon_runtime_t* runtime, const char* bucket,
                                         const char* key, bool* found, uint8_t** value,
                                         size_t* value_size);
/// Deletes a key; `existed` may be NULL, otherwise it tells whether it was there.
ORIVON_API orivon_error_t* orivon_kv_delete(orivon_runtime_t* runtime, const char* bucket,
                                            const char* key, bool* existed);
/// Keys starting with `prefix` (NULL: all), in order, after the key `after`
/// (NULL: from the first), at most `limit` (1 to 10,000).
ORIVON_API orivon_error_t* orivon_kv_keys(orivon_runtime_t* runtime, const char* bucket,
                                          const char* prefix, const char* after, size_t limit,
                                          orivon_string_list_t** keys);

// ---- Configuration ------------------------------------------------------------

/// Sets the client's value of a module's configuration key (what the module
/// reads through wasi:config/store), in place of its manifest's. Its next
/// call sees it.
ORIVON_API orivon_error_t* orivon_config_set(orivon_runtime_t* runtime, const char* id,
                                             const char* key, const char* value);
/// Takes the client's value back (the manifest's applies again). NOT_FOUND if
/// the client set none.
ORIVON_API orivon_error_t* orivon_config_unset(orivon_runtime_t* runtime, const char* id,
                                               const char* key);
/// The value the module sees for `key` (the client's, else the manifest's),
/// owned by the caller (orivon_string_delete()). NOT_FOUND if it has none.
ORIVON_API orivon_error_t* orivon_config_get(orivon_runtime_t* runtime, const char* id,
                                             const char* key, char** value);

// ---- Triggers ---------------------------------------------------------------

/// Starts the triggers of every installed module (README "Functions and
/// triggers"): timers and start-up triggers run from now until the runtime is
/// deleted, and function modules' event triggers are subscribed. Modules
/// added later have their timers scheduled as they arrive. A second call does
/// nothing. FAILED_PRECONDITION without a state directory.
ORIVON_API orivon_error_t* orivon_triggers_start(orivon_runtime_t* runtime);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // ORIVON_ORIVON_H
