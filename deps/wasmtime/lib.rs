//! Re-exports Wasmtime's C API so that cargo emits every `wasm*` symbol into
//! one static archive that orivon links, plus the few C entry points orivon
//! needs that the pinned C API lacks (declared in src/wasi/wasi_extensions.h).

pub use wasmtime_c_api::*;

use wasmtime_wasi::WasiCtxBuilder;

// `wasi_config_t` is `#[repr(C)] struct { builder: WasiCtxBuilder }`, so a
// pointer to it points at its builder. This breaks loudly if an upgrade
// changes that shape: the sizes must match, and the field must be the only
// one (checked by size, since a second field would make it larger).
const _: () = assert!(
    std::mem::size_of::<wasi_config_t>() == std::mem::size_of::<WasiCtxBuilder>(),
    "wasi_config_t no longer wraps exactly one WasiCtxBuilder: revisit orivon's WASI extensions"
);
const _: () = assert!(
    std::mem::align_of::<wasi_config_t>() == std::mem::align_of::<WasiCtxBuilder>(),
    "wasi_config_t alignment changed: revisit orivon's WASI extensions"
);

/// Allows or denies creating TCP and UDP sockets. Since Wasmtime 46
/// (PR #13936) both are denied by default, and the C API's
/// `wasi_config_inherit_network` only opens the address check, so without
/// this a component granted the network still cannot create a socket.
///
/// # Safety
/// `config` must be a valid, exclusively borrowed `wasi_config_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_wasi_config_allow_sockets(
    config: *mut wasi_config_t,
    tcp: bool,
    udp: bool,
) {
    let builder = unsafe { &mut *config.cast::<WasiCtxBuilder>() };
    builder.allow_tcp(tcp);
    builder.allow_udp(udp);
}
