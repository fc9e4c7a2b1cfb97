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

/// An IP socket address as orivon's socket check receives it: `family` is 4
/// or 6, `address` holds the 4 or 16 address bytes in network order (the rest
/// zero), `port` is in host order. Mirrored in src/wasi/wasi_extensions.h.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct orivon_socket_address_t {
    pub family: u8,
    pub address: [u8; 16],
    pub port: u16,
}
const _: () = assert!(
    std::mem::size_of::<orivon_socket_address_t>() == 20,
    "orivon_socket_address_t must match src/wasi/wasi_extensions.h"
);

/// What an address is used for; mirrors wasmtime-wasi's `SocketAddrUse` and
/// src/wasi/wasi_extensions.h. The values are part of orivon's C ABI.
#[repr(C)]
#[allow(non_camel_case_types)]
pub enum orivon_socket_use_t {
    TcpBind = 0,
    TcpListen = 1,
    TcpAccept = 2,
    TcpConnect = 3,
    UdpBind = 4,
    UdpSend = 5,
    UdpReceive = 6,
}

// The match has no wildcard arm on purpose: a variant added by an upgrade
// stops the build here, so no new use of an address is silently allowed or
// denied before orivon's policy has been taught about it.
fn socket_use(use_: wasmtime_wasi::sockets::SocketAddrUse) -> orivon_socket_use_t {
    use wasmtime_wasi::sockets::SocketAddrUse as U;
    match use_ {
        U::TcpBind => orivon_socket_use_t::TcpBind,
        U::TcpListen => orivon_socket_use_t::TcpListen,
        U::TcpAccept => orivon_socket_use_t::TcpAccept,
        U::TcpConnect => orivon_socket_use_t::TcpConnect,
        U::UdpBind => orivon_socket_use_t::UdpBind,
        U::UdpSend => orivon_socket_use_t::UdpSend,
        U::UdpReceive => orivon_socket_use_t::UdpReceive,
    }
}

#[allow(non_camel_case_types)]
pub type orivon_socket_check_t = extern "C" fn(
    data: *mut std::ffi::c_void,
    address: *const orivon_socket_address_t,
    use_: orivon_socket_use_t,
) -> bool;

/// A C callback's data and the finalizer that releases it, run when the
/// last holder (a WASI context, a socket, a linker) is gone.
struct CallbackData {
    data: *mut std::ffi::c_void,
    finalizer: Option<extern "C" fn(*mut std::ffi::c_void)>,
}

// Whoever passes the data promises that its callback may be called with it
// from any thread, concurrently, and that the finalizer may run on any thread.
unsafe impl Send for CallbackData {}
unsafe impl Sync for CallbackData {}

impl Drop for CallbackData {
    fn drop(&mut self) {
        if let Some(finalizer) = self.finalizer {
            finalizer(self.data);
        }
    }
}

/// The C callback with its data.
struct SocketCheck {
    check: orivon_socket_check_t,
    data: CallbackData,
}

impl SocketCheck {
    fn allows(&self, addr: std::net::SocketAddr, use_: orivon_socket_use_t) -> bool {
        let mut out = orivon_socket_address_t { family: 4, address: [0; 16], port: addr.port() };
        match addr.ip() {
            std::net::IpAddr::V4(ip) => out.address[..4].copy_from_slice(&ip.octets()),
            std::net::IpAddr::V6(ip) => {
                out.family = 6;
                out.address.copy_from_slice(&ip.octets());
            }
        }
        (self.check)(self.data.data, &out, use_)
    }
}

/// Replaces the socket address check: every address a guest binds, listens
/// on, accepts from, connects or sends to is passed to `check` first, and
/// refused (the guest sees `access-denied`) when it returns false. Also allows
/// creating TCP and UDP sockets, since the check is what restricts them.
/// `finalizer` (optional) is called with `data` once the check is dropped,
/// which may be after `config` is consumed (sockets keep the check alive).
///
/// # Safety
/// `config` must be a valid, exclusively borrowed `wasi_config_t`; `check`
/// must be callable with `data` from any thread and must not unwind.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_wasi_config_set_socket_check(
    config: *mut wasi_config_t,
    check: orivon_socket_check_t,
    data: *mut std::ffi::c_void,
    finalizer: Option<extern "C" fn(*mut std::ffi::c_void)>,
) {
    let builder = unsafe { &mut *config.cast::<WasiCtxBuilder>() };
    let check = std::sync::Arc::new(SocketCheck { check, data: CallbackData { data, finalizer } });
    builder.socket_addr_check(move |addr, use_| {
        let allowed = check.allows(addr, socket_use(use_));
        Box::pin(async move { allowed })
    });
    builder.allow_tcp(true);
    builder.allow_udp(true);
}

// ---------------------------------------------------------------------------
// Outbound HTTP (wasi:http) with an origin check.
//
// The C API's `wasmtime_component_linker_add_wasi_http` links
// `wasi:http/outgoing-handler#handle` with Wasmtime's default hooks, which
// send any request anywhere. orivon instead links the `wasi:http/types`
// interface as it is and its own `handle`, which asks a C callback whether
// the request's origin is granted before handing the request to Wasmtime's
// implementation. A refused request never leaves the host: the guest gets
// `error-code::HTTP-request-denied`.

use wasmtime::component::Resource;
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types as http_types};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::WasiHttpView;

// `wasmtime_component_linker_t` is `#[repr(transparent)]` over the linker,
// so a pointer to it points at the linker (checked by size and alignment).
const _: () = assert!(
    std::mem::size_of::<wasmtime_component_linker_t>()
        == std::mem::size_of::<wasmtime::component::Linker<WasmtimeStoreData>>(),
    "wasmtime_component_linker_t no longer wraps exactly one Linker: revisit orivon's wasi:http"
);
const _: () = assert!(
    std::mem::align_of::<wasmtime_component_linker_t>()
        == std::mem::align_of::<wasmtime::component::Linker<WasmtimeStoreData>>(),
    "wasmtime_component_linker_t alignment changed: revisit orivon's wasi:http"
);

/// The version of `wasi:http` that wasmtime-wasi-http 48 implements. Guests
/// importing any 0.2.x up to it link (Wasmtime matches semver-compatible
/// imports); the tests build a guest against the crate's own WIT, so an
/// upgrade that moves the version fails them instead of linking nothing.
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";

#[allow(non_camel_case_types)]
pub type orivon_http_check_t = extern "C" fn(
    data: *mut std::ffi::c_void,
    scheme: *const u8,
    scheme_len: usize,
    authority: *const u8,
    authority_len: usize,
) -> bool;

struct HttpCheck {
    check: orivon_http_check_t,
    data: CallbackData,
}

impl HttpCheck {
    fn allows(&self, request: &HostOutgoingRequest) -> bool {
        // A request without a scheme goes out as HTTPS (the default hooks'
        // `default_scheme`), so that is the scheme it is checked as.
        let scheme = match &request.scheme {
            None | Some(http_types::Scheme::Https) => "https",
            Some(http_types::Scheme::Http) => "http",
            Some(http_types::Scheme::Other(other)) => other.as_str(),
        };
        let authority = request.authority.as_deref().unwrap_or("");
        let data = self.data.data;
        (self.check)(data, scheme.as_ptr(), scheme.len(), authority.as_ptr(), authority.len())
    }
}

/// Adds `wasi:http/types` and a `wasi:http/outgoing-handler` whose `handle`
/// sends a request only when `check(data, scheme, authority)` returns true
/// (strings are UTF-8, not NUL-terminated). The store must also have had
/// `wasmtime_context_set_wasi_http` called. `finalizer` (optional) is called
/// with `data` when the linker is dropped.
///
/// # Safety
/// `linker` must be a valid, exclusively borrowed component linker; `check`
/// must be callable with `data` from any thread and must not unwind.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_component_linker_add_wasi_http_checked(
    linker: *mut wasmtime_component_linker_t,
    check: orivon_http_check_t,
    data: *mut std::ffi::c_void,
    finalizer: Option<extern "C" fn(*mut std::ffi::c_void)>,
) -> Option<Box<wasmtime_error_t>> {
    let check = std::sync::Arc::new(HttpCheck { check, data: CallbackData { data, finalizer } });
    let linker =
        unsafe { &mut *linker.cast::<wasmtime::component::Linker<WasmtimeStoreData>>() };
    let result = (|| -> wasmtime::Result<()> {
        let options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
        wasmtime_wasi_http::p2::bindings::sync::http::types::add_to_linker::<
            _,
            wasmtime_wasi_http::WasiHttp,
        >(linker, &options.into(), WasmtimeStoreData::http)?;
        let mut handler = linker.instance(OUTGOING_HANDLER)?;
        handler.func_wrap(
            "handle",
            move |mut store: wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
                  (request, options): (
                Resource<HostOutgoingRequest>,
                Option<Resource<wasmtime_wasi_http::RequestOptions>>,
            )|
                  -> wasmtime::Result<(
                Result<Resource<HostFutureIncomingResponse>, http_types::ErrorCode>,
            )> {
                let mut view = store.data_mut().http();
                if !check.allows(view.table.get(&request)?) {
                    view.table.delete(request)?;
                    if let Some(options) = options {
                        view.table.delete(options)?;
                    }
                    return Ok((Err(http_types::ErrorCode::HttpRequestDenied),));
                }
                match outgoing_handler::Host::handle(&mut view, request, options) {
                    Ok(response) => Ok((Ok(response),)),
                    // An `ErrorCode` goes back to the guest; anything else traps.
                    Err(error) => Ok((Err(error.downcast()?),)),
                }
            },
        )?;
        Ok(())
    })();
    match result {
        Ok(()) => None,
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

