#pragma once

// Host functions for core modules (WASI preview1 programs), defined on every
// core linker the engine builds:
//
//   orivon:net        TCP under the guest's net: grants (wasi/tcp_table.h)
//   orivon:lifecycle  whether the guest was asked to stop
//
// The guest ABI (all i32; a negative result is a negated WASI errno):
//
//   orivon:net connect(addr_ptr, addr_len) -> handle
//   orivon:net listen(addr_ptr, addr_len) -> handle
//   orivon:net accept(listener) -> handle          -EAGAIN: none waiting
//   orivon:net send(handle, ptr, len) -> sent      -EAGAIN: would block
//   orivon:net recv(handle, ptr, len) -> received  0: end of stream; -EAGAIN
//   orivon:net close(handle) -> 0
//   orivon:net local_port(handle) -> port
//   orivon:net poll(entries_ptr, count, timeout_ms) -> ready entries
//       each entry 8 bytes: i32 handle, u16 interest, u16 ready (written);
//       bits 1 readable, 2 writable, 4 error or closed, 8 not a handle
//   orivon:lifecycle stop_requested() -> 0 or 1
//
// An address is "HOST:PORT" text ("127.0.0.1:18444", "[::1]:80",
// "node.example:8333"). A pointer or length outside the guest's memory is
// -EFAULT (21), never a trap and never a host access outside it.

#include <wasmtime.hh>

#include "orivon/result.h"

namespace orivon::engine {

[[nodiscard]] Result<void> define_core_host(wasmtime::Linker& linker);

}  // namespace orivon::engine
