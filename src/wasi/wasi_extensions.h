#pragma once

// C entry points orivon adds to Wasmtime's C API, implemented in Rust in
// deps/wasmtime/lib.rs and linked into the same static library. Each exists
// because the pinned C API lacks it; each is checked at compile time there
// against the layout it relies on.

#include <stdint.h>
#include <stddef.h>
#include <wasi.h>
#include <wasmtime/component/linker.h>
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

}  // extern "C"
