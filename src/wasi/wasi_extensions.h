#pragma once

// C entry points orivon adds to Wasmtime's C API, implemented in Rust in
// deps/wasmtime/lib.rs and linked into the same static library. Each exists
// because the pinned C API lacks it; each is checked at compile time there
// against the layout it relies on.

#include <stdint.h>
#include <stddef.h>
#include <wasi.h>
#include <wasmtime/component/linker.h>
#include <wasmtime/config.h>
#include <wasmtime/error.h>

extern "C" {

// Allows or denies creating TCP and UDP sockets (both denied by default since
// Wasmtime 46; wasi_config_inherit_network does not change that).
void orivon_wasi_config_allow_sockets(wasi_config_t* config, bool tcp, bool udp);

// An IP socket address: family 4 or 6, the 4 or 16 address bytes in network
// order (the rest zero), the port in host order. Same layout as
// orivon_socket_address_t in lib.rs.
struct orivon_socket_address_t {
  uint8_t family;
  uint8_t address[16];
  uint16_t port;
};
static_assert(sizeof(orivon_socket_address_t) == 20, "must match the size asserted in lib.rs");

// What the address is used for; the values are wasmtime-wasi's SocketAddrUse
// as numbered in lib.rs.
enum orivon_socket_use_t : int {
  ORIVON_SOCKET_TCP_BIND = 0,
  ORIVON_SOCKET_TCP_LISTEN = 1,
  ORIVON_SOCKET_TCP_ACCEPT = 2,
  ORIVON_SOCKET_TCP_CONNECT = 3,
  ORIVON_SOCKET_UDP_BIND = 4,
  ORIVON_SOCKET_UDP_SEND = 5,
  ORIVON_SOCKET_UDP_RECEIVE = 6,
};

// Returns whether the guest may use `address` for `use`. Called from any
// thread, possibly at once; must not throw.
typedef bool (*orivon_socket_check_t)(void* data, const orivon_socket_address_t* address,
                                      orivon_socket_use_t use);

// Replaces the socket address check with `check` (every bind, listen, accept,
// connect, send and receive asks it first; a refusal is access-denied in the
// guest) and allows creating TCP and UDP sockets. `finalizer`, if not null,
// is called with `data` when the check is dropped: after `config` is consumed
// and the last socket using it is gone.
void orivon_wasi_config_set_socket_check(wasi_config_t* config, orivon_socket_check_t check,
                                         void* data, void (*finalizer)(void*));

// Returns whether an outbound HTTP request to `scheme`://`authority` may be
// sent (UTF-8, not NUL-terminated; a request without a scheme is "https").
// Called from any thread, possibly at once; must not throw.
typedef bool (*orivon_http_check_t)(void* data, const uint8_t* scheme, size_t scheme_length,
                                    const uint8_t* authority, size_t authority_length);

// Defines wasi:http/types and a wasi:http/outgoing-handler whose `handle`
// sends a request only when `check` allows it (otherwise the guest gets
// error-code::HTTP-request-denied). Stores instantiated from the linker must
// have had wasmtime_context_set_wasi_http. `finalizer`, if not null, is
// called with `data` when the linker is deleted. Returns an error or null.
wasmtime_error_t* orivon_component_linker_add_wasi_http_checked(
    wasmtime_component_linker_t* linker, orivon_http_check_t check, void* data,
    void (*finalizer)(void*));

// Inbound HTTP (deps/wasmtime/lib.rs has the full contracts).

// A component pre-instantiated for wasi:http/proxy. Thread-safe.
struct orivon_proxy_pre_t;
// One request on its way to a handler; valid during the handler call only.
struct orivon_http_request_t;
// A running server.
struct orivon_http_server_t;

// Pre-instantiates `component` with `linker` and checks it exports
// wasi:http/incoming-handler. *out owns the template (orivon_proxy_pre_delete).
wasmtime_error_t* orivon_proxy_pre_new(const wasmtime_component_linker_t* linker,
                                       const wasmtime_component_t* component,
                                       orivon_proxy_pre_t** out);
void orivon_proxy_pre_delete(orivon_proxy_pre_t* pre);
// Instantiates `pre` in the store and drops the instance (benchmarks).
wasmtime_error_t* orivon_proxy_pre_instantiate(const orivon_proxy_pre_t* pre,
                                               wasmtime_context_t* context);

// Whether the pooling allocator resets a slot's kept-resident memory and
// tables with Linux's PAGEMAP_SCAN ioctl (6.7+), i.e. only the pages the
// instance wrote, instead of memset over all of it. Same values as
// orivon_pagemap_scan_t in lib.rs.
enum orivon_pagemap_scan_t : int {
  // Use it if the kernel has it, else memset as before.
  ORIVON_PAGEMAP_SCAN_AUTO = 0,
  // Use it; creating the engine fails if the kernel lacks it.
  ORIVON_PAGEMAP_SCAN_YES = 1,
  // Never (Wasmtime's default).
  ORIVON_PAGEMAP_SCAN_NO = 2,
};
void orivon_pooling_allocation_config_pagemap_scan_set(
    wasmtime_pooling_allocation_config_t* config, orivon_pagemap_scan_t mode);
// Whether this kernel has PAGEMAP_SCAN, so that AUTO turns it on.
bool orivon_pagemap_scan_is_available();

// Creates an engine with `config`, which it always consumes; *out owns the
// engine (wasm_engine_delete). Unlike wasm_engine_new_with_config, a failure
// (a pooling allocator's reservation that cannot be mapped) is an error, not
// an abort.
wasmtime_error_t* orivon_engine_new(wasm_config_t* config, wasm_engine_t** out);
// Whether *error is a pooling allocator's refusal because every slot of a
// kind is in use (decided by the error's type). *error stays owned by the
// caller; it may be replaced by an equal error at a new address.
bool orivon_error_is_pool_exhausted(wasmtime_error_t** error);

// A component pre-instantiated with a linker (a component InstancePre).
struct orivon_component_pre_t;
// *out owns the template (orivon_component_pre_delete); linker and component
// may be dropped afterwards.
wasmtime_error_t* orivon_component_pre_new(const wasmtime_component_linker_t* linker,
                                           const wasmtime_component_t* component,
                                           orivon_component_pre_t** out);
void orivon_component_pre_delete(orivon_component_pre_t* pre);
// Instantiates `pre` in the store (made with the template's engine) into *out.
wasmtime_error_t* orivon_component_pre_instantiate(const orivon_component_pre_t* pre,
                                                   wasmtime_context_t* context,
                                                   wasmtime_component_instance_t* out);

// Mirrors orivon_http_server_options_t in lib.rs.
struct orivon_http_server_options_t {
  uint64_t max_body_bytes;
  uint64_t body_timeout_ms;
  uint64_t header_timeout_ms;
  uint32_t max_handlers;
  uint32_t max_connections;
  uint32_t max_head_bytes;
  uint32_t max_headers;
};
static_assert(sizeof(orivon_http_server_options_t) == 40, "must match lib.rs");

// Called on a blocking thread per request; answers it with
// orivon_http_request_serve or orivon_http_request_fail. Must not throw.
typedef void (*orivon_http_handler_t)(void* data, orivon_http_request_t* request);

wasmtime_error_t* orivon_http_server_new(const uint8_t* address, size_t address_length,
                                         const orivon_http_server_options_t* options,
                                         orivon_http_handler_t handler, void* data,
                                         void (*finalizer)(void*), orivon_http_server_t** out);
size_t orivon_http_server_address(const orivon_http_server_t* server, uint8_t* buffer,
                                  size_t capacity);
void orivon_http_server_delete(orivon_http_server_t* server);

// The benchmark's baseline (lib.rs): the component at `path` served the way
// `wasmtime serve` does, without orivon.
wasmtime_error_t* orivon_http_baseline_new(const uint8_t* path, size_t path_length,
                                           const uint8_t* address, size_t address_length,
                                           const orivon_http_server_options_t* options,
                                           orivon_http_server_t** out);

void orivon_http_request_host(const orivon_http_request_t* request, const uint8_t** data,
                              size_t* length);
void orivon_http_request_path(const orivon_http_request_t* request, const uint8_t** data,
                              size_t* length);
void orivon_http_request_fail(orivon_http_request_t* request, uint16_t status,
                              const uint8_t* message, size_t length);
// Instantiates `pre` in the store of `context` (which must have
// wasmtime_context_set_wasi_http) and calls its handler with the request.
wasmtime_error_t* orivon_http_request_serve(orivon_http_request_t* request,
                                            const orivon_proxy_pre_t* pre,
                                            wasmtime_context_t* context);

}  // extern "C"
