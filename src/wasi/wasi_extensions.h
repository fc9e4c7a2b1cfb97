#pragma once

// C entry points orivon adds to Wasmtime's C API, implemented in Rust in
// deps/wasmtime/lib.rs and linked into the same static library. Each exists
// because the pinned C API lacks it; each is checked at compile time there
// against the layout it relies on.

#include <wasi.h>

extern "C" {

// Allows or denies creating TCP and UDP sockets (both denied by default since
// Wasmtime 46; wasi_config_inherit_network does not change that).
void orivon_wasi_config_allow_sockets(wasi_config_t* config, bool tcp, bool udp);

}  // extern "C"
