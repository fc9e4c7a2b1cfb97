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


// ---------------------------------------------------------------------------
// Typed forwarders: calls between modules that carry strings and byte lists
// in one bulk copy each.
//
// The C API only has Wasmtime's generic values, one 32-byte value per list
// element, converted element by element several times per call (a 64 KiB
// `list<u8>` took about 9 ms). For the function shapes below, orivon links a
// caller's import with `func_wrap` (arguments read straight from the
// caller's memory) and calls the callee's export through a `TypedFunc`
// (arguments copied into its memory with one memcpy). Everything between the
// two halves (routes, grants, deadlines, cycle detection, errors as values)
// stays in C++: the caller half hands the arguments to a C callback as
// `orivon_fast_val_t`s, and the C++ side calls the callee half.
//
// A shape is the kinds of a function's parameters and of its result, each an
// `orivon_fast_kind_t` code (mirrored in src/engine/typed_calls.h):
// parameters: none, `list<u8>`, `string` or a u32/u64/s32/s64; result:
// none, `list<u8>`, `string`, `result<list<u8>, string>`,
// `result<string, string>` or a u32/u64/s32/s64 (not both scalars or none).
//
// Results may also be `option<list<u8>>`, `option<string>`,
// `result<_, string>`, `result<u32, string>` or `result<u64, string>` (the
// last three only beside a string or list parameter).
//
// Lists of other fixed-size numbers (u32, u64, s32, s64, f32, f64) take part
// in fewer shapes, since each shape is one more pair of monomorphised
// halves: such a list as the parameter with a result of none, the same list
// or a u32/u64, and as the result with a parameter of none or a u32/u64.
//
// Functions of numbers alone take the typed halves too (no generic values,
// no allocation for the arguments): a parameter of none, one u32/u64/s32/s64
// or two of the same kind, and a result of none or one of those four.

use wasmtime::component::{Func, TypedFunc, WasmList, WasmStr};
use wasmtime::AsContextMut;

const KIND_NONE: u8 = 0;
const KIND_BYTES: u8 = 1;
const KIND_STRING: u8 = 2;
const KIND_RESULT_BYTES: u8 = 3;
const KIND_RESULT_STRING: u8 = 4;
// Scalars travel in `len` (their bits, zero- or sign-extended).
const KIND_U32: u8 = 5;
const KIND_U64: u8 = 6;
const KIND_S32: u8 = 7;
const KIND_S64: u8 = 8;
// Lists of fixed-size numbers travel as their little-endian bytes: `data`
// points at the first element (aligned for it), `len` counts bytes.
const KIND_LIST_U32: u8 = 9;
const KIND_LIST_U64: u8 = 10;
const KIND_LIST_S32: u8 = 11;
const KIND_LIST_S64: u8 = 12;
const KIND_LIST_F32: u8 = 13;
const KIND_LIST_F64: u8 = 14;

// Results that may be absent: for these `is_err` says none (or err, for
// the result kinds), and a scalar ok payload travels in `len`.
const KIND_OPTION_BYTES: u8 = 15;
const KIND_OPTION_STRING: u8 = 16;
const KIND_RESULT_UNIT: u8 = 17;
const KIND_RESULT_U32: u8 = 18;
const KIND_RESULT_U64: u8 = 19;
// Two parameters of the same number kind: `(a: u32, b: u32)` and so on. On
// the wire they are two values of the number's own kind.
const KIND_PAIR_U32: u8 = 20;
const KIND_PAIR_U64: u8 = 21;
const KIND_PAIR_S32: u8 = 22;
const KIND_PAIR_S64: u8 = 23;

fn is_pair_kind(kind: u8) -> bool {
    (KIND_PAIR_U32..=KIND_PAIR_S64).contains(&kind)
}

fn is_list_kind(kind: u8) -> bool {
    (KIND_LIST_U32..=KIND_LIST_F64).contains(&kind)
}

// The lists below are handed over as the host's bytes of their elements,
// which are the canonical ABI's only on a little-endian host.
const _: () = assert!(cfg!(target_endian = "little"), "typed list forwarders assume little-endian");

/// One value crossing between C++ and a typed half: `kind` is one of the
/// codes above; for the result kinds `is_err` says which case `data` holds
/// (an error is always a string), for the option kinds that it is none. `data` is borrowed for the duration of the
/// call it is passed to.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct orivon_fast_val_t {
    pub kind: u8,
    pub is_err: bool,
    pub data: *const u8,
    pub len: usize,
}
const _: () = assert!(
    std::mem::size_of::<orivon_fast_val_t>() == 24,
    "orivon_fast_val_t must match src/engine/fast_calls.h"
);

impl orivon_fast_val_t {
    fn new(kind: u8, is_err: bool, data: &[u8]) -> Self {
        orivon_fast_val_t { kind, is_err, data: data.as_ptr(), len: data.len() }
    }
    /// # Safety
    /// `data` must point at `len` readable bytes for `'a`.
    unsafe fn bytes<'a>(&self) -> &'a [u8] {
        if self.len == 0 {
            &[]
        } else {
            unsafe { std::slice::from_raw_parts(self.data, self.len) }
        }
    }
}

fn kind_error(expected: u8, found: &orivon_fast_val_t) -> wasmtime::Error {
    wasmtime::Error::msg(format!(
        "orivon: typed call expected a value of kind {expected}, found kind {}",
        found.kind
    ))
}

/// A result type of a fast shape, as Wasmtime lowers and lifts it.
trait FastResult: Sized + Send + Sync + 'static {
    fn to_wire(&self) -> orivon_fast_val_t;
    /// Takes a value the C++ side pushed (moved, not copied).
    fn from_owned(value: OwnedFast) -> wasmtime::Result<Self>;
}

fn owned_error(expected: u8) -> wasmtime::Error {
    wasmtime::Error::msg(format!("orivon: a typed call's result is not of kind {expected}"))
}

impl FastResult for Vec<u8> {
    fn to_wire(&self) -> orivon_fast_val_t {
        orivon_fast_val_t::new(KIND_BYTES, false, self)
    }
    fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
        match value {
            OwnedFast::Bytes(bytes) => Ok(bytes),
            _ => Err(owned_error(KIND_BYTES)),
        }
    }
}

impl FastResult for String {
    fn to_wire(&self) -> orivon_fast_val_t {
        orivon_fast_val_t::new(KIND_STRING, false, self.as_bytes())
    }
    fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
        match value {
            OwnedFast::String(text) => Ok(text),
            _ => Err(owned_error(KIND_STRING)),
        }
    }
}

macro_rules! result_kind {
    ($ok:ty, $kind:expr) => {
        impl FastResult for Result<$ok, String> {
            fn to_wire(&self) -> orivon_fast_val_t {
                match self {
                    Ok(value) => orivon_fast_val_t::new($kind, false, value.as_ref()),
                    Err(error) => orivon_fast_val_t::new($kind, true, error.as_bytes()),
                }
            }
            fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
                match value {
                    OwnedFast::Err(error) => Ok(Err(error)),
                    other => Ok(Ok(<$ok as FastResult>::from_owned(other)?)),
                }
            }
        }
    };
}
result_kind!(Vec<u8>, KIND_RESULT_BYTES);
result_kind!(String, KIND_RESULT_STRING);

macro_rules! option_kind {
    ($some:ty, $kind:expr) => {
        impl FastResult for Option<$some> {
            fn to_wire(&self) -> orivon_fast_val_t {
                match self {
                    Some(value) => orivon_fast_val_t::new($kind, false, value.as_ref()),
                    None => orivon_fast_val_t::new($kind, true, &[]),
                }
            }
            fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
                match value {
                    OwnedFast::Absent => Ok(None),
                    other => Ok(Some(<$some as FastResult>::from_owned(other)?)),
                }
            }
        }
    };
}
option_kind!(Vec<u8>, KIND_OPTION_BYTES);
option_kind!(String, KIND_OPTION_STRING);

impl FastResult for Result<(), String> {
    fn to_wire(&self) -> orivon_fast_val_t {
        match self {
            Ok(()) => orivon_fast_val_t::new(KIND_RESULT_UNIT, false, &[]),
            Err(error) => orivon_fast_val_t::new(KIND_RESULT_UNIT, true, error.as_bytes()),
        }
    }
    fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
        match value {
            OwnedFast::Err(error) => Ok(Err(error)),
            OwnedFast::Absent => Ok(Ok(())),
            _ => Err(owned_error(KIND_RESULT_UNIT)),
        }
    }
}

macro_rules! scalar_result_kind {
    ($ok:ty, $kind:expr) => {
        impl FastResult for Result<$ok, String> {
            fn to_wire(&self) -> orivon_fast_val_t {
                match self {
                    Ok(value) => orivon_fast_val_t {
                        kind: $kind,
                        is_err: false,
                        data: std::ptr::null(),
                        len: *value as usize,
                    },
                    Err(error) => orivon_fast_val_t::new($kind, true, error.as_bytes()),
                }
            }
            fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
                match value {
                    OwnedFast::Err(error) => Ok(Err(error)),
                    OwnedFast::Scalar(bits) => Ok(Ok(bits as $ok)),
                    _ => Err(owned_error($kind)),
                }
            }
        }
    };
}
scalar_result_kind!(u32, KIND_RESULT_U32);
scalar_result_kind!(u64, KIND_RESULT_U64);

macro_rules! scalar_kind {
    ($t:ty, $kind:expr) => {
        impl FastResult for $t {
            fn to_wire(&self) -> orivon_fast_val_t {
                orivon_fast_val_t { kind: $kind, is_err: false, data: std::ptr::null(), len: *self as u64 as usize }
            }
            fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
                match value {
                    OwnedFast::Scalar(bits) => Ok(bits as $t),
                    _ => Err(owned_error($kind)),
                }
            }
        }

        impl CallerParams for ($t,) {
            fn to_wire(
                &self,
                _store: &wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
                _keep: &mut Vec<String>,
                out: &mut Vec<orivon_fast_val_t>,
            ) -> wasmtime::Result<()> {
                out.push(FastResult::to_wire(&self.0));
                Ok(())
            }
        }

        impl<'a> CalleeParams<'a> for ($t,) {
            unsafe fn from_wire(values: &'a [orivon_fast_val_t]) -> wasmtime::Result<Self> {
                Ok((one_arg(values, $kind)?.len as u64 as $t,))
            }
        }

        impl CallerParams for ($t, $t) {
            fn to_wire(
                &self,
                _store: &wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
                _keep: &mut Vec<String>,
                out: &mut Vec<orivon_fast_val_t>,
            ) -> wasmtime::Result<()> {
                out.push(FastResult::to_wire(&self.0));
                out.push(FastResult::to_wire(&self.1));
                Ok(())
            }
        }

        impl<'a> CalleeParams<'a> for ($t, $t) {
            unsafe fn from_wire(values: &'a [orivon_fast_val_t]) -> wasmtime::Result<Self> {
                match values {
                    [a, b] if a.kind == $kind && b.kind == $kind => {
                        Ok((a.len as u64 as $t, b.len as u64 as $t))
                    }
                    [a, b] => Err(kind_error($kind, if a.kind != $kind { a } else { b })),
                    _ => Err(wasmtime::Error::msg(format!(
                        "orivon: typed call got {} arguments for two",
                        values.len()
                    ))),
                }
            }
        }
    };
}
scalar_kind!(u32, KIND_U32);
scalar_kind!(u64, KIND_U64);
scalar_kind!(i32, KIND_S32);
scalar_kind!(i64, KIND_S64);

/// The bytes of a slice of numbers (see the endianness assertion above).
fn number_bytes<T: Copy>(numbers: &[T]) -> &[u8] {
    // Any initialised number is readable as bytes, and u8 needs no alignment.
    let size = std::mem::size_of_val(numbers);
    unsafe { std::slice::from_raw_parts(numbers.as_ptr().cast::<u8>(), size) }
}

/// Numbers viewed in `bytes`, which must be whole elements aligned for `T`.
fn bytes_as_numbers<T: Copy>(bytes: &[u8], kind: u8) -> wasmtime::Result<&[T]> {
    // Every bit pattern is a valid u32/u64/i32/i64/f32/f64.
    let (head, numbers, tail) = unsafe { bytes.align_to::<T>() };
    if !head.is_empty() || !tail.is_empty() {
        return Err(wasmtime::Error::msg(format!(
            "orivon: a list of kind {kind} is not whole, aligned elements"
        )));
    }
    Ok(numbers)
}

/// A list of numbers `T` (kind `$kind`): its result type `Vec<T>` and its
/// callee-side parameter `&[T]`. `$caller` is how the caller half lifts
/// it: a `WasmList` viewed in place where Wasmtime can (integers), a `Vec`
/// copied in one pass otherwise (floats).
macro_rules! list_kind {
    ($t:ty, $kind:expr, $caller:ty, |$list:ident, $store:ident| $view:expr) => {
        impl FastResult for Vec<$t> {
            fn to_wire(&self) -> orivon_fast_val_t {
                orivon_fast_val_t::new($kind, false, number_bytes(self))
            }
            fn from_owned(value: OwnedFast) -> wasmtime::Result<Self> {
                const SIZE: usize = std::mem::size_of::<$t>();
                match value {
                    OwnedFast::Bytes(bytes) if bytes.len() % SIZE == 0 => Ok(bytes
                        .chunks_exact(SIZE)
                        .map(|chunk| <$t>::from_le_bytes(chunk.try_into().unwrap()))
                        .collect()),
                    _ => Err(owned_error($kind)),
                }
            }
        }

        impl CallerParams for ($caller,) {
            fn to_wire(
                &self,
                store: &wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
                _keep: &mut Vec<String>,
                out: &mut Vec<orivon_fast_val_t>,
            ) -> wasmtime::Result<()> {
                let $list = &self.0;
                let $store = store;
                let numbers: &[$t] = $view;
                out.push(orivon_fast_val_t::new($kind, false, number_bytes(numbers)));
                Ok(())
            }
        }

        impl<'a> CalleeParams<'a> for (&'a [$t],) {
            unsafe fn from_wire(values: &'a [orivon_fast_val_t]) -> wasmtime::Result<Self> {
                Ok((bytes_as_numbers::<$t>(unsafe { one_arg(values, $kind)?.bytes() }, $kind)?,))
            }
        }
    };
}
list_kind!(u32, KIND_LIST_U32, WasmList<u32>, |list, store| list.as_le_slice(store));
list_kind!(u64, KIND_LIST_U64, WasmList<u64>, |list, store| list.as_le_slice(store));
list_kind!(i32, KIND_LIST_S32, WasmList<i32>, |list, store| list.as_le_slice(store));
list_kind!(i64, KIND_LIST_S64, WasmList<i64>, |list, store| list.as_le_slice(store));
// Wasmtime has no in-place view of float lists; lifting a Vec<f32> is one
// copy loop (its `linear_lift_list_from_memory`).
list_kind!(f32, KIND_LIST_F32, Vec<f32>, |list, store| { let _ = store; list.as_slice() });
list_kind!(f64, KIND_LIST_F64, Vec<f64>, |list, store| { let _ = store; list.as_slice() });

/// The result list of a shape: nothing, or one FastResult.
trait FastResults:
    wasmtime::component::ComponentNamedList
    + wasmtime::component::Lift
    + wasmtime::component::Lower
    + Send
    + Sync
    + 'static
{
    fn to_wire(&self, out: &mut Vec<orivon_fast_val_t>);
    fn from_owned(values: Vec<OwnedFast>) -> wasmtime::Result<Self>;
}

impl FastResults for () {
    fn to_wire(&self, _out: &mut Vec<orivon_fast_val_t>) {}
    fn from_owned(values: Vec<OwnedFast>) -> wasmtime::Result<Self> {
        if !values.is_empty() {
            return Err(wasmtime::Error::msg("orivon: typed call returned a value for none"));
        }
        Ok(())
    }
}

impl<R> FastResults for (R,)
where
    R: FastResult + wasmtime::component::Lift + wasmtime::component::Lower,
{
    fn to_wire(&self, out: &mut Vec<orivon_fast_val_t>) {
        out.push(self.0.to_wire());
    }
    fn from_owned(mut values: Vec<OwnedFast>) -> wasmtime::Result<Self> {
        if values.len() != 1 {
            return Err(wasmtime::Error::msg(format!(
                "orivon: typed call returned {} values for one",
                values.len()
            )));
        }
        Ok((R::from_owned(values.pop().unwrap())?,))
    }
}

/// Parameters as the caller half receives them: views of the caller's memory.
trait CallerParams: wasmtime::component::ComponentNamedList + wasmtime::component::Lift + Send + Sync + 'static {
    /// The arguments as values borrowing the caller's memory (or `keep`,
    /// for a string that had to be transcoded).
    fn to_wire(
        &self,
        store: &wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
        keep: &mut Vec<String>,
        out: &mut Vec<orivon_fast_val_t>,
    ) -> wasmtime::Result<()>;
}

impl CallerParams for () {
    fn to_wire(
        &self,
        _store: &wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
        _keep: &mut Vec<String>,
        _out: &mut Vec<orivon_fast_val_t>,
    ) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl CallerParams for (WasmList<u8>,) {
    fn to_wire(
        &self,
        store: &wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
        _keep: &mut Vec<String>,
        out: &mut Vec<orivon_fast_val_t>,
    ) -> wasmtime::Result<()> {
        out.push(orivon_fast_val_t::new(KIND_BYTES, false, self.0.as_le_slice(store)));
        Ok(())
    }
}

impl CallerParams for (WasmStr,) {
    fn to_wire(
        &self,
        store: &wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
        keep: &mut Vec<String>,
        out: &mut Vec<orivon_fast_val_t>,
    ) -> wasmtime::Result<()> {
        match self.0.to_str(store)? {
            std::borrow::Cow::Borrowed(text) => {
                out.push(orivon_fast_val_t::new(KIND_STRING, false, text.as_bytes()))
            }
            std::borrow::Cow::Owned(text) => {
                keep.push(text);
                out.push(orivon_fast_val_t::new(KIND_STRING, false, keep.last().unwrap().as_bytes()))
            }
        }
        Ok(())
    }
}

/// Parameters as the callee half passes them: borrowed from C++.
trait CalleeParams<'a>: wasmtime::component::ComponentNamedList + wasmtime::component::Lower + Sized {
    /// # Safety
    /// The values' data must be readable for `'a`.
    unsafe fn from_wire(values: &'a [orivon_fast_val_t]) -> wasmtime::Result<Self>;
}

fn one_arg(values: &[orivon_fast_val_t], kind: u8) -> wasmtime::Result<&orivon_fast_val_t> {
    match values {
        [value] if value.kind == kind => Ok(value),
        [value] => Err(kind_error(kind, value)),
        _ => Err(wasmtime::Error::msg(format!(
            "orivon: typed call got {} arguments for one",
            values.len()
        ))),
    }
}

impl<'a> CalleeParams<'a> for () {
    unsafe fn from_wire(values: &'a [orivon_fast_val_t]) -> wasmtime::Result<Self> {
        if !values.is_empty() {
            return Err(wasmtime::Error::msg("orivon: typed call got arguments for none"));
        }
        Ok(())
    }
}

impl<'a> CalleeParams<'a> for (&'a [u8],) {
    unsafe fn from_wire(values: &'a [orivon_fast_val_t]) -> wasmtime::Result<Self> {
        Ok((unsafe { one_arg(values, KIND_BYTES)?.bytes() },))
    }
}

impl<'a> CalleeParams<'a> for (&'a str,) {
    unsafe fn from_wire(values: &'a [orivon_fast_val_t]) -> wasmtime::Result<Self> {
        let bytes = unsafe { one_arg(values, KIND_STRING)?.bytes() };
        Ok((std::str::from_utf8(bytes)
            .map_err(|_| wasmtime::Error::msg("orivon: a string is not valid UTF-8"))?,))
    }
}

/// Calls `$body::<Params, Results>($args)` for the result kind `$result`
/// and the parameter type `$P`; an unknown kind evaluates `$otherwise`.
macro_rules! with_result {
    ($result:expr, $body:ident, $P:ty, ($($args:expr),*), $otherwise:expr) => {
        match $result {
            KIND_NONE => $body::<$P, ()>($($args),*),
            KIND_BYTES => $body::<$P, (Vec<u8>,)>($($args),*),
            KIND_STRING => $body::<$P, (String,)>($($args),*),
            KIND_RESULT_BYTES => $body::<$P, (Result<Vec<u8>, String>,)>($($args),*),
            KIND_RESULT_STRING => $body::<$P, (Result<String, String>,)>($($args),*),
            KIND_U32 => $body::<$P, (u32,)>($($args),*),
            KIND_U64 => $body::<$P, (u64,)>($($args),*),
            KIND_S32 => $body::<$P, (i32,)>($($args),*),
            KIND_S64 => $body::<$P, (i64,)>($($args),*),
            KIND_OPTION_BYTES => $body::<$P, (Option<Vec<u8>>,)>($($args),*),
            KIND_OPTION_STRING => $body::<$P, (Option<String>,)>($($args),*),
            KIND_RESULT_UNIT => $body::<$P, (Result<(), String>,)>($($args),*),
            KIND_RESULT_U32 => $body::<$P, (Result<u32, String>,)>($($args),*),
            KIND_RESULT_U64 => $body::<$P, (Result<u64, String>,)>($($args),*),
            _ => $otherwise,
        }
    };
}

/// Calls `$body::<Params, Results>($args)` for a result of none or one
/// number; another kind evaluates `$otherwise`.
macro_rules! with_number_result {
    ($result:expr, $body:ident, $P:ty, ($($args:expr),*), $otherwise:expr) => {
        match $result {
            KIND_NONE => $body::<$P, ()>($($args),*),
            KIND_U32 => $body::<$P, (u32,)>($($args),*),
            KIND_U64 => $body::<$P, (u64,)>($($args),*),
            KIND_S32 => $body::<$P, (i32,)>($($args),*),
            KIND_S64 => $body::<$P, (i64,)>($($args),*),
            _ => $otherwise,
        }
    };
}

/// Calls `$body::<Params, Results>($args)` for the shape `($param, $result)`,
/// with the parameter types given for none, list<u8> and string; an unknown
/// shape evaluates `$otherwise`.
macro_rules! with_shape {
    ($param:expr, $result:expr, $body:ident, [$P0:ty, $PB:ty, $PS:ty], $args:tt, $otherwise:expr) => {
        match $param {
            KIND_NONE => with_result!($result, $body, $P0, $args, $otherwise),
            KIND_BYTES => with_result!($result, $body, $PB, $args, $otherwise),
            KIND_STRING => with_result!($result, $body, $PS, $args, $otherwise),
            KIND_U32 => with_result!($result, $body, (u32,), $args, $otherwise),
            KIND_U64 => with_result!($result, $body, (u64,), $args, $otherwise),
            KIND_S32 => with_result!($result, $body, (i32,), $args, $otherwise),
            KIND_S64 => with_result!($result, $body, (i64,), $args, $otherwise),
            KIND_PAIR_U32 => with_number_result!($result, $body, (u32, u32), $args, $otherwise),
            KIND_PAIR_U64 => with_number_result!($result, $body, (u64, u64), $args, $otherwise),
            KIND_PAIR_S32 => with_number_result!($result, $body, (i32, i32), $args, $otherwise),
            KIND_PAIR_S64 => with_number_result!($result, $body, (i64, i64), $args, $otherwise),
            _ => $otherwise,
        }
    };
}

/// Calls `$body::<Params, Results>$args` for a shape with a list of numbers
/// (see the top of this section for which); `$table` gives, for each list
/// kind, its element type and its parameter type on this side.
macro_rules! with_list_shape {
    ($param:expr, $result:expr, $body:ident, $args:tt, $otherwise:expr,
     [$(($kind:ident, $T:ty, $P:ty)),*]) => {
        match ($param, $result) {
            $(
                ($kind, KIND_NONE) => $body::<($P,), ()> $args,
                ($kind, $kind) => $body::<($P,), (Vec<$T>,)> $args,
                ($kind, KIND_U32) => $body::<($P,), (u32,)> $args,
                ($kind, KIND_U64) => $body::<($P,), (u64,)> $args,
                (KIND_NONE, $kind) => $body::<(), (Vec<$T>,)> $args,
                (KIND_U32, $kind) => $body::<(u32,), (Vec<$T>,)> $args,
                (KIND_U64, $kind) => $body::<(u64,), (Vec<$T>,)> $args,
            )*
            _ => $otherwise,
        }
    };
}

/// Whether `(param, result)` is a shape the typed halves handle: a
/// parameter kind (none, bytes, string) and a result kind, not both none.
#[unsafe(no_mangle)]
pub extern "C" fn orivon_fast_shape_supported(param: u8, result: u8) -> bool {
    fn yes<P, R>() -> bool {
        true
    }
    if is_list_kind(param) || is_list_kind(result) {
        return with_list_shape!(
            param,
            result,
            yes,
            (),
            false,
            [
                (KIND_LIST_U32, u32, ()),
                (KIND_LIST_U64, u64, ()),
                (KIND_LIST_S32, i32, ()),
                (KIND_LIST_S64, i64, ()),
                (KIND_LIST_F32, f32, ()),
                (KIND_LIST_F64, f64, ())
            ]
        );
    }
    let bulk = |kind: u8| {
        (KIND_BYTES..=KIND_RESULT_STRING).contains(&kind)
            || kind == KIND_OPTION_BYTES
            || kind == KIND_OPTION_STRING
    };
    let number_or_none = |kind: u8| kind == KIND_NONE || (KIND_U32..=KIND_S64).contains(&kind);
    // Without a string or list, only numbers (see the top of this section).
    if !bulk(param) && !bulk(result) && !(number_or_none(result) || is_pair_kind(param)) {
        return false;
    }
    if param > KIND_STRING && !(KIND_U32..=KIND_S64).contains(&param) && !is_pair_kind(param) {
        return false; // a result kind is not a parameter kind
    }
    with_shape!(param, result, yes, [(), (), ()], (), false)
}

/// Where the caller half's callback writes the call's results (or its
/// failure), through `orivon_fast_out_push` and `orivon_fast_out_fail`.
#[allow(non_camel_case_types)]
pub struct orivon_fast_out_t {
    values: Vec<OwnedFast>,
    failure: Option<String>,
}

/// A result the C++ side pushed, owned by Rust.
enum OwnedFast {
    Bytes(Vec<u8>),
    String(String),
    Err(String),
    Scalar(u64),
    /// none, or the ok of `result<_, string>`.
    Absent,
}

/// Copies one result into `out`. Returns false (and keeps nothing) for
/// a string or error that is not UTF-8.
///
/// # Safety
/// `out` must be the pointer the callback received; `value`'s data readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_fast_out_push(
    out: *mut orivon_fast_out_t,
    value: *const orivon_fast_val_t,
) -> bool {
    let out = unsafe { &mut *out };
    let value = unsafe { &*value };
    let scalar_ok = value.kind == KIND_RESULT_U32 || value.kind == KIND_RESULT_U64;
    if (KIND_U32..=KIND_S64).contains(&value.kind) || (scalar_ok && !value.is_err) {
        out.values.push(OwnedFast::Scalar(value.len as u64));
        return true;
    }
    let option = value.kind == KIND_OPTION_BYTES || value.kind == KIND_OPTION_STRING;
    if (option && value.is_err) || (value.kind == KIND_RESULT_UNIT && !value.is_err) {
        out.values.push(OwnedFast::Absent);
        return true;
    }
    let bytes = unsafe { value.bytes() };
    let owned = if value.is_err {
        match std::str::from_utf8(bytes) {
            Ok(text) => OwnedFast::Err(text.to_owned()),
            Err(_) => return false,
        }
    } else if value.kind == KIND_BYTES
        || value.kind == KIND_RESULT_BYTES
        || value.kind == KIND_OPTION_BYTES
        || is_list_kind(value.kind)
    {
        OwnedFast::Bytes(bytes.to_vec())
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => OwnedFast::String(text.to_owned()),
            Err(_) => return false,
        }
    };
    out.values.push(owned);
    true
}

/// Makes the call fail (the caller traps) with `message` (UTF-8).
///
/// # Safety
/// `out` must be the pointer the callback received; `message` readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_fast_out_fail(
    out: *mut orivon_fast_out_t,
    message: *const u8,
    len: usize,
) {
    let out = unsafe { &mut *out };
    let bytes = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(message, len) } };
    out.failure = Some(String::from_utf8_lossy(bytes).into_owned());
}

/// The C++ side of a forwarder: gets the caller's store and its arguments
/// (borrowing the caller's memory: it must copy them before it uses the
/// store), carries the call, and writes the results into `out`.
#[allow(non_camel_case_types)]
pub type orivon_fast_forward_t = extern "C" fn(
    data: *mut std::ffi::c_void,
    context: WasmtimeStoreContextMut<'_>,
    args: *const orivon_fast_val_t,
    nargs: usize,
    out: *mut orivon_fast_out_t,
);

struct Forward {
    forward: orivon_fast_forward_t,
    data: CallbackData,
    max_bytes: usize,
}

fn forward_call<P: CallerParams, R: FastResults>(
    forward: &Forward,
    mut store: wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
    params: P,
) -> wasmtime::Result<R> {
    let mut keep = Vec::new();
    let mut args = Vec::with_capacity(1);
    params.to_wire(&store, &mut keep, &mut args)?;
    for arg in &args {
        if arg.len > forward.max_bytes {
            return Err(wasmtime::Error::msg(format!(
                "orivon: an argument of {} bytes is larger than the per-call limit of {} bytes",
                arg.len, forward.max_bytes
            )));
        }
    }
    let mut out = orivon_fast_out_t { values: Vec::new(), failure: None };
    // The arguments point into the caller's memory; the callback copies them
    // before it does anything with the store (see orivon_fast_forward_t).
    (forward.forward)(forward.data.data, store.as_context_mut(), args.as_ptr(), args.len(), &mut out);
    if let Some(message) = out.failure {
        return Err(wasmtime::Error::msg(message));
    }
    R::from_owned(out.values)
}

fn add_forwarder<P: CallerParams, R: FastResults>(
    instance: &mut wasmtime::component::LinkerInstance<'_, WasmtimeStoreData>,
    name: &str,
    forward: std::sync::Arc<Forward>,
) -> wasmtime::Result<()> {
    instance.func_wrap(name, move |store, params: P| -> wasmtime::Result<R> {
        forward_call::<P, R>(&forward, store, params)
    })
}

/// Defines `name` in `instance` as a typed forwarder of shape
/// `(param, result)`: each call hands its arguments to `forward(data, ...)`.
/// Arguments longer than `max_bytes` fail the call before the callback runs.
/// `finalizer` (optional) is called with `data` when the linker is dropped.
/// An unsupported shape is an error (check with orivon_fast_shape_supported).
///
/// # Safety
/// `instance` must be a valid, exclusively borrowed linker instance; `forward`
/// must be callable with `data` from any thread and must not unwind.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_component_linker_instance_add_forwarder(
    instance: *mut wasmtime_component_linker_instance_t<'_>,
    name: *const u8,
    name_len: usize,
    param: u8,
    result: u8,
    max_bytes: usize,
    forward: orivon_fast_forward_t,
    data: *mut std::ffi::c_void,
    finalizer: Option<extern "C" fn(*mut std::ffi::c_void)>,
) -> Option<Box<wasmtime_error_t>> {
    let forward = std::sync::Arc::new(Forward { forward, data: CallbackData { data, finalizer }, max_bytes });
    let instance = unsafe {
        &mut *instance.cast::<wasmtime::component::LinkerInstance<'_, WasmtimeStoreData>>()
    };
    let name = unsafe { std::slice::from_raw_parts(name, name_len) };
    let result = match std::str::from_utf8(name) {
        Err(_) => Err(wasmtime::Error::msg("orivon: a function name is not UTF-8")),
        Ok(name) if is_list_kind(param) || is_list_kind(result) => with_list_shape!(
            param,
            result,
            add_forwarder,
            (instance, name, forward),
            Err(wasmtime::Error::msg("orivon: no typed forwarder for this shape")),
            [
                (KIND_LIST_U32, u32, WasmList<u32>),
                (KIND_LIST_U64, u64, WasmList<u64>),
                (KIND_LIST_S32, i32, WasmList<i32>),
                (KIND_LIST_S64, i64, WasmList<i64>),
                (KIND_LIST_F32, f32, Vec<f32>),
                (KIND_LIST_F64, f64, Vec<f64>)
            ]
        ),
        Ok(name) => with_shape!(
            param,
            result,
            add_forwarder,
            [(), (WasmList<u8>,), (WasmStr,)],
            (instance, name, forward),
            Err(wasmtime::Error::msg("orivon: no typed forwarder for this shape"))
        ),
    };
    match result {
        Ok(()) => None,
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

const _: () = assert!(
    std::mem::size_of::<wasmtime_component_linker_instance_t<'static>>()
        == std::mem::size_of::<wasmtime::component::LinkerInstance<'static, WasmtimeStoreData>>(),
    "wasmtime_component_linker_instance_t no longer wraps exactly one LinkerInstance"
);

/// Receives a typed call's results (borrowed for the duration of the call).
#[allow(non_camel_case_types)]
pub type orivon_fast_sink_t =
    extern "C" fn(data: *mut std::ffi::c_void, results: *const orivon_fast_val_t, count: usize);

fn call_typed<'a, P: CalleeParams<'a>, R: FastResults>(
    func: &Func,
    mut store: wasmtime::StoreContextMut<'_, WasmtimeStoreData>,
    args: &'a [orivon_fast_val_t],
    sink: orivon_fast_sink_t,
    sink_data: *mut std::ffi::c_void,
) -> wasmtime::Result<()> {
    let params = unsafe { P::from_wire(args) }?;
    let typed: TypedFunc<P, R> = func.typed(&store)?;
    let results = typed.call(&mut store, params)?;
    let mut wire = Vec::with_capacity(1);
    results.to_wire(&mut wire);
    sink(sink_data, wire.as_ptr(), wire.len());
    Ok(())
}

/// Calls the component function `func` of shape `(param, result)` with
/// `args`, and hands its results to `sink(sink_data, ...)` before they are
/// dropped. Returns an error (a trap, a type mismatch, an unsupported
/// shape) or null.
///
/// # Safety
/// `func` must belong to `context`'s store; the arguments' data readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_component_func_call_typed(
    func: &Func,
    context: WasmtimeStoreContextMut<'_>,
    param: u8,
    result: u8,
    args: *const orivon_fast_val_t,
    nargs: usize,
    sink: orivon_fast_sink_t,
    sink_data: *mut std::ffi::c_void,
) -> Option<Box<wasmtime_error_t>> {
    let args = if nargs == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(args, nargs) } };
    let outcome = if is_list_kind(param) || is_list_kind(result) {
        with_list_shape!(
            param,
            result,
            call_typed,
            (func, context, args, sink, sink_data),
            Err(wasmtime::Error::msg("orivon: no typed call for this shape")),
            [
                (KIND_LIST_U32, u32, &[u32]),
                (KIND_LIST_U64, u64, &[u64]),
                (KIND_LIST_S32, i32, &[i32]),
                (KIND_LIST_S64, i64, &[i64]),
                (KIND_LIST_F32, f32, &[f32]),
                (KIND_LIST_F64, f64, &[f64])
            ]
        )
    } else {
        with_shape!(
            param,
            result,
            call_typed,
            [(), (&[u8],), (&str,)],
            (func, context, args, sink, sink_data),
            Err(wasmtime::Error::msg("orivon: no typed call for this shape"))
        )
    };
    match outcome {
        Ok(()) => None,
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

/// Sets how many bytes a guest may pass to the host in one call (Wasmtime's
/// "hostcall fuel"; the default is 128 MiB).
///
/// # Safety
/// `context` must be a valid store context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_context_set_hostcall_fuel(
    mut context: WasmtimeStoreContextMut<'_>,
    fuel: usize,
) {
    context.set_hostcall_fuel(fuel);
}

// ---------------------------------------------------------------------------
// Inbound HTTP: `wasi:http/incoming-handler` components behind a hyper server.
//
// The C API cannot create an `incoming-request` or a `response-outparam`
// (both are resources in wasmtime-wasi-http's table), so the server lives
// here. Everything that is policy stays in C++: for each request the server
// calls a C handler on a blocking thread with an `orivon_http_request_t`; the
// handler picks the route, checks caps, makes the store (grants, limits,
// deadline) and calls `orivon_http_request_serve` with a pre-instantiated
// template (`orivon_proxy_pre_t`) and that store, or answers with
// `orivon_http_request_fail`. The response's body streams from the guest to
// the client as the guest writes it, and the request's body from the client
// to the guest as it reads it.

use bytes::Bytes;
use std::sync::Arc;
use http_body_util::BodyExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

const _: () = assert!(
    std::mem::size_of::<wasmtime_component_t>()
        == std::mem::size_of::<wasmtime::component::Component>(),
    "wasmtime_component_t no longer wraps exactly one Component: revisit orivon's inbound HTTP"
);

/// A component pre-instantiated for `wasi:http/proxy`: its imports resolved
/// and type-checked once, so each request only creates an instance.
#[allow(non_camel_case_types)]
pub struct orivon_proxy_pre_t {
    pre: wasmtime_wasi_http::p2::bindings::sync::ProxyPre<WasmtimeStoreData>,
}

/// Pre-instantiates `component` with `linker`'s definitions and checks that
/// it exports `wasi:http/incoming-handler`. On success `*out` owns a new
/// template (free it with `orivon_proxy_pre_delete`); the linker and the
/// component may be dropped afterwards.
///
/// # Safety
/// `linker` and `component` must be valid; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_proxy_pre_new(
    linker: *const wasmtime_component_linker_t,
    component: *const wasmtime_component_t,
    out: *mut *mut orivon_proxy_pre_t,
) -> Option<Box<wasmtime_error_t>> {
    let linker = unsafe { &*linker.cast::<wasmtime::component::Linker<WasmtimeStoreData>>() };
    let component = unsafe { &*component.cast::<wasmtime::component::Component>() };
    let made = linker
        .instantiate_pre(component)
        .and_then(wasmtime_wasi_http::p2::bindings::sync::ProxyPre::new);
    match made {
        Ok(pre) => {
            unsafe { *out = Box::into_raw(Box::new(orivon_proxy_pre_t { pre })) };
            None
        }
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

/// Frees a template made by `orivon_proxy_pre_new` (null: nothing).
#[unsafe(no_mangle)]
pub extern "C" fn orivon_proxy_pre_delete(_pre: Option<Box<orivon_proxy_pre_t>>) {}

/// Creates an instance of `pre` in `context`'s store and drops it: what a
/// request costs before the guest runs (for benchmarks).
///
/// # Safety
/// `pre` must be valid and made with the engine of `context`'s store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_proxy_pre_instantiate(
    pre: *const orivon_proxy_pre_t,
    mut context: WasmtimeStoreContextMut<'_>,
) -> Option<Box<wasmtime_error_t>> {
    let pre = unsafe { &*pre };
    match pre.pre.instantiate(&mut context) {
        Ok(_) => None,
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

/// The server's limits, set by C++ (src/core/limits.h says why each is what
/// it is). Mirrored in src/wasi/wasi_extensions.h.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct orivon_http_server_options_t {
    /// A request body longer than this is refused: 413 when its
    /// Content-Length says so, else the guest's read fails past it.
    pub max_body_bytes: u64,
    /// How long the whole request body may take to arrive, in ms.
    pub body_timeout_ms: u64,
    /// How long a client may take to send the request's head, in ms.
    pub header_timeout_ms: u64,
    /// Handlers running at once; more requests wait for a place.
    pub max_handlers: u32,
    /// Connections open at once; more wait in the listen queue.
    pub max_connections: u32,
    /// Bytes hyper buffers for a request's head (at least 8192); a longer
    /// head gets 431.
    pub max_head_bytes: u32,
    /// Header fields per request; more get 431.
    pub max_headers: u32,
}

/// Called on a blocking thread once per routed request. It must answer it,
/// with `orivon_http_request_serve` or `orivon_http_request_fail` (a request
/// it leaves unanswered gets 500), and must not unwind. `request` is valid
/// only during the call.
#[allow(non_camel_case_types)]
pub type orivon_http_handler_t =
    extern "C" fn(data: *mut std::ffi::c_void, request: *mut orivon_http_request_t);

/// What the hyper side waits for: the guest's response channel once the
/// guest runs, or a failure decided before it could.
enum Reply {
    Guest(
        tokio::sync::oneshot::Receiver<
            Result<hyper::Response<HyperOutgoingBody>, http_types::ErrorCode>,
        >,
    ),
    Failed(u16, String),
}

/// One request on its way to a handler.
#[allow(non_camel_case_types)]
pub struct orivon_http_request_t {
    request: Option<hyper::Request<LimitedBody>>,
    host: String,
    path: String,
    reply: Option<tokio::sync::oneshot::Sender<Reply>>,
    // A failure decided after the guest started (a trap, the deadline):
    // answered when the guest set no response.
    late_failure: Option<(u16, String)>,
}

/// The request's Host (as sent, port included) in `*data`/`*len`: valid
/// for the handler call.
///
/// # Safety
/// `request` is the handler's argument; the outputs writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_http_request_host(
    request: *const orivon_http_request_t,
    data: *mut *const u8,
    len: *mut usize,
) {
    let request = unsafe { &*request };
    unsafe {
        *data = request.host.as_ptr();
        *len = request.host.len();
    }
}

/// The request's path (no query), as `orivon_http_request_host`.
///
/// # Safety
/// As `orivon_http_request_host`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_http_request_path(
    request: *const orivon_http_request_t,
    data: *mut *const u8,
    len: *mut usize,
) {
    let request = unsafe { &*request };
    unsafe {
        *data = request.path.as_ptr();
        *len = request.path.len();
    }
}

/// Answers `status` with `message` (UTF-8, lossy) as a text body, unless the
/// guest already set a response (then nothing changes: its response is on
/// its way, and a failure only cuts its body short).
///
/// # Safety
/// `request` is the handler's argument; `message` readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_http_request_fail(
    request: *mut orivon_http_request_t,
    status: u16,
    message: *const u8,
    len: usize,
) {
    let request = unsafe { &mut *request };
    let bytes = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(message, len) } };
    let text = String::from_utf8_lossy(bytes).into_owned();
    match request.reply.take() {
        Some(reply) => {
            let _ = reply.send(Reply::Failed(status, text));
        }
        None => request.late_failure = Some((status, text)),
    }
}

/// Instantiates `pre` in `context`'s store and calls its
/// `wasi:http/incoming-handler#handle` with the request. Returns when the
/// guest returns (its response may still be streaming out of the body
/// channel), with the guest's failure, or null. The store must have had
/// `wasmtime_context_set_wasi_http` called. A request is served once.
///
/// # Safety
/// `request` is the handler's argument; `pre` valid and made with the
/// engine of `context`'s store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_http_request_serve(
    request: *mut orivon_http_request_t,
    pre: *const orivon_proxy_pre_t,
    mut context: WasmtimeStoreContextMut<'_>,
) -> Option<Box<wasmtime_error_t>> {
    let request = unsafe { &mut *request };
    let pre = unsafe { &*pre };
    let result = (|| -> wasmtime::Result<()> {
        let incoming = request
            .request
            .take()
            .ok_or_else(|| wasmtime::Error::msg("orivon: an HTTP request was served twice"))?;
        let proxy = pre.pre.instantiate(&mut context)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (incoming, outparam) = {
            let mut view = context.data_mut().http();
            let incoming = view.new_incoming_request(http_types::Scheme::Http, incoming)?;
            (incoming, view.new_response_outparam(sender)?)
        };
        if let Some(reply) = request.reply.take() {
            let _ = reply.send(Reply::Guest(receiver));
        }
        proxy.wasi_http_incoming_handler().call_handle(&mut context, incoming, outparam)
    })();
    match result {
        Ok(()) => None,
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

/// A request body with a length limit and a deadline: past either, the
/// guest's next read fails (and the server answers 413 for the length when
/// the guest set no response).
struct LimitedBody {
    inner: hyper::body::Incoming,
    remaining: u64,
    limit: u64,
    exceeded: Arc<AtomicBool>,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for LimitedBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(wasmtime_wasi_http::Error::ConnectionReadTimeout)));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > this.remaining {
                        this.exceeded.store(true, Ordering::Relaxed);
                        return Poll::Ready(Some(Err(
                            wasmtime_wasi_http::Error::HttpRequestBodySize(Some(this.limit)),
                        )));
                    }
                    this.remaining -= len;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// hyper's timers on tokio's (for the request head's timeout).
#[derive(Clone)]
struct TokioTimer;

struct TokioSleep(Pin<Box<tokio::time::Sleep>>);

impl Future for TokioSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for TokioSleep {}

impl hyper::rt::Timer for TokioTimer {
    fn sleep(&self, duration: std::time::Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(TokioSleep(Box::pin(tokio::time::sleep(duration))))
    }
    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(TokioSleep(Box::pin(tokio::time::sleep_until(deadline.into()))))
    }
}

/// Who answers the server's requests: orivon's C++ (always), or the
/// benchmark's baseline (see `orivon_http_baseline_new`).
enum Handler {
    C { handler: orivon_http_handler_t, data: CallbackData },
    Baseline(Arc<Baseline>),
}

struct ServerState {
    handler: Handler,
    options: orivon_http_server_options_t,
    handlers: Arc<tokio::sync::Semaphore>,
}

fn text_response(status: u16, text: &str) -> hyper::Response<HyperOutgoingBody> {
    let body = http_body_util::Full::new(Bytes::from(format!("{text}\n")))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn handle_request(
    state: Arc<ServerState>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<HyperOutgoingBody>, std::convert::Infallible> {
    // The route is chosen by the Host header (or an absolute URI's
    // authority, which wins, as in RFC 9112 3.2.2).
    let host = match request.uri().authority() {
        Some(authority) => authority.as_str().to_owned(),
        None => match request.headers().get(http::header::HOST).map(|h| h.to_str()) {
            Some(Ok(host)) => host.to_owned(),
            Some(Err(_)) => return Ok(text_response(400, "bad request: the Host header is not text")),
            None => return Ok(text_response(400, "bad request: no Host header")),
        },
    };
    if request.headers().get_all(http::header::HOST).iter().count() > 1 {
        return Ok(text_response(400, "bad request: more than one Host header"));
    }
    let limit = state.options.max_body_bytes;
    if let Some(length) = request.headers().get(http::header::CONTENT_LENGTH) {
        match length.to_str().ok().and_then(|text| text.parse::<u64>().ok()) {
            Some(length) if length > limit => {
                return Ok(text_response(
                    413,
                    &format!("request body too large: the limit is {limit} bytes"),
                ));
            }
            Some(_) => {}
            None => return Ok(text_response(400, "bad request: bad Content-Length")),
        }
    }
    let path = request.uri().path().to_owned();
    let exceeded = Arc::new(AtomicBool::new(false));
    let (parts, body) = request.into_parts();
    let body = LimitedBody {
        inner: body,
        remaining: limit,
        limit,
        exceeded: exceeded.clone(),
        deadline: Box::pin(tokio::time::sleep(std::time::Duration::from_millis(
            state.options.body_timeout_ms,
        ))),
    };
    let request = hyper::Request::from_parts(parts, body);

    let permit = match state.handlers.clone().acquire_owned().await {
        Ok(permit) => permit,
        Err(_) => return Ok(text_response(503, "service unavailable: the server is stopping")),
    };
    let (reply, replied) = tokio::sync::oneshot::channel();
    let mut request = Box::new(orivon_http_request_t {
        request: Some(request),
        host,
        path,
        reply: Some(reply),
        late_failure: None,
    });
    let handler_state = state.clone();
    let handled = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match &handler_state.handler {
            Handler::C { handler, data } => handler(data.data, &mut *request),
            Handler::Baseline(baseline) => baseline.serve(&mut request),
        }
        request.late_failure.take()
    });
    let finish = |late: Option<(u16, String)>| {
        if exceeded.load(Ordering::Relaxed) {
            return text_response(413, &format!("request body too large: the limit is {limit} bytes"));
        }
        match late {
            Some((status, text)) => text_response(status, &text),
            None => text_response(500, "internal error: the handler set no response"),
        }
    };
    let response = match replied.await {
        Ok(Reply::Failed(status, text)) => text_response(status, &text),
        Ok(Reply::Guest(guest)) => match guest.await {
            Ok(Ok(response)) => response,
            Ok(Err(code)) => {
                text_response(500, &format!("internal error: the handler answered {code:?}"))
            }
            Err(_) => finish(handled.await.ok().flatten()),
        },
        Err(_) => finish(handled.await.ok().flatten()),
    };
    Ok(response)
}

/// A running server: its own tokio runtime (two threads for connections,
/// blocking threads for handlers).
#[allow(non_camel_case_types)]
pub struct orivon_http_server_t {
    runtime: Option<tokio::runtime::Runtime>,
    accept: Option<tokio::task::JoinHandle<()>>,
    address: String,
}

async fn accept_loop(listener: tokio::net::TcpListener, state: Arc<ServerState>) {
    let connections =
        Arc::new(tokio::sync::Semaphore::new(state.options.max_connections.max(1) as usize));
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else { return };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of descriptors, say: wait instead of spinning.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let options = state.options;
            let service = hyper::service::service_fn(move |request| {
                handle_request(state.clone(), request)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer)
                .header_read_timeout(std::time::Duration::from_millis(options.header_timeout_ms))
                .max_buf_size((options.max_head_bytes as usize).max(8192))
                .max_headers(options.max_headers.max(1) as usize)
                .serve_connection(wasmtime_wasi_http::io::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds `address` ("IP:PORT"; port 0 picks one) and serves it until
/// `orivon_http_server_delete`. Each request goes to `handler(data, ...)`.
/// `finalizer` (optional) is called with `data` once the server is gone.
///
/// # Safety
/// `address` readable; `options` valid; `handler` callable with `data` from
/// any thread, concurrently, and must not unwind; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_http_server_new(
    address: *const u8,
    address_len: usize,
    options: *const orivon_http_server_options_t,
    handler: orivon_http_handler_t,
    data: *mut std::ffi::c_void,
    finalizer: Option<extern "C" fn(*mut std::ffi::c_void)>,
    out: *mut *mut orivon_http_server_t,
) -> Option<Box<wasmtime_error_t>> {
    let handler = Handler::C { handler, data: CallbackData { data, finalizer } };
    let options = unsafe { *options };
    let address = unsafe { std::slice::from_raw_parts(address, address_len) };
    match start_server(address, options, handler) {
        Ok(server) => {
            unsafe { *out = Box::into_raw(Box::new(server)) };
            None
        }
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

fn start_server(
    address: &[u8],
    options: orivon_http_server_options_t,
    handler: Handler,
) -> wasmtime::Result<orivon_http_server_t> {
    let result = (|| -> wasmtime::Result<orivon_http_server_t> {
        let address: std::net::SocketAddr = std::str::from_utf8(address)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| wasmtime::Error::msg("not an IP:PORT address"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(options.max_handlers.max(1) as usize)
            .thread_name("orivon-http")
            .enable_all()
            .build()?;
        let listener = runtime.block_on(async {
            let socket = if address.is_ipv4() {
                tokio::net::TcpSocket::new_v4()?
            } else {
                tokio::net::TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.bind(address)?;
            socket.listen(1024)
        })?;
        let bound = listener.local_addr()?.to_string();
        let state = Arc::new(ServerState {
            handler,
            options,
            handlers: Arc::new(tokio::sync::Semaphore::new(options.max_handlers.max(1) as usize)),
        });
        let accept = runtime.spawn(accept_loop(listener, state));
        Ok(orivon_http_server_t { runtime: Some(runtime), accept: Some(accept), address: bound })
    })();
    result
}

/// The address the server listens on ("127.0.0.1:PORT"), copied into
/// `buffer` (up to `capacity` bytes); returns its full length.
///
/// # Safety
/// `server` valid; `buffer` writable for `capacity` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_http_server_address(
    server: *const orivon_http_server_t,
    buffer: *mut u8,
    capacity: usize,
) -> usize {
    let address = unsafe { &(*server).address };
    let n = address.len().min(capacity);
    unsafe { std::ptr::copy_nonoverlapping(address.as_ptr(), buffer, n) };
    address.len()
}

/// Stops accepting, closes every connection and waits (up to 5 s) for
/// handlers still running, then frees the server (null: nothing). The
/// caller stops its guests first (their deadlines would, in time). Must not
/// be called from one of the server's own threads.
#[unsafe(no_mangle)]
pub extern "C" fn orivon_http_server_delete(server: Option<Box<orivon_http_server_t>>) {
    let Some(mut server) = server else { return };
    if let Some(accept) = server.accept.take() {
        accept.abort();
    }
    if let Some(runtime) = server.runtime.take() {
        runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    }
}

// ---------------------------------------------------------------------------
// The benchmark's baseline: what `wasmtime serve` does for a WASIp2 proxy,
// with none of orivon. Its own engine (Wasmtime's defaults with the pooling
// allocator, as `wasmtime serve` uses when it can), a linker with WASI and
// wasi:http, one ProxyPre, and per request a fresh store with an empty WASI
// context: no grants, caps, deadline or logs. Served by the same hyper
// server as orivon's, so the difference measured is orivon's policy and
// C++ path. Only scripts/bench.sh uses it (bench/http_baseline.cc).

struct BaselineState {
    ctx: wasmtime_wasi::WasiCtx,
    http: wasmtime_wasi_http::WasiHttpCtx,
    table: wasmtime::component::ResourceTable,
}

impl wasmtime_wasi::WasiView for BaselineState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }
}

impl WasiHttpView for BaselineState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: wasmtime_wasi_http::default_hooks(),
        }
    }
}

struct Baseline {
    engine: wasmtime::Engine,
    pre: wasmtime_wasi_http::p2::bindings::sync::ProxyPre<BaselineState>,
}

impl Baseline {
    fn serve(&self, request: &mut orivon_http_request_t) {
        let mut store = wasmtime::Store::new(
            &self.engine,
            BaselineState {
                ctx: wasmtime_wasi::WasiCtx::builder().build(),
                http: wasmtime_wasi_http::WasiHttpCtx::new(),
                table: wasmtime::component::ResourceTable::new(),
            },
        );
        let result = (|| -> wasmtime::Result<()> {
            let incoming = request
                .request
                .take()
                .ok_or_else(|| wasmtime::Error::msg("served twice"))?;
            let proxy = self.pre.instantiate(&mut store)?;
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let (incoming, outparam) = {
                let mut view = store.data_mut().http();
                let incoming = view.new_incoming_request(http_types::Scheme::Http, incoming)?;
                (incoming, view.new_response_outparam(sender)?)
            };
            if let Some(reply) = request.reply.take() {
                let _ = reply.send(Reply::Guest(receiver));
            }
            proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, outparam)
        })();
        if let Err(error) = result {
            request.late_failure = Some((500, format!("{error:?}")));
        }
    }
}

/// Starts the baseline server for the component at `path` (UTF-8) on
/// `address`, with `options` (as orivon's). Benchmarks only.
///
/// # Safety
/// `path` and `address` readable; `options` valid; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_http_baseline_new(
    path: *const u8,
    path_len: usize,
    address: *const u8,
    address_len: usize,
    options: *const orivon_http_server_options_t,
    out: *mut *mut orivon_http_server_t,
) -> Option<Box<wasmtime_error_t>> {
    let path = unsafe { std::slice::from_raw_parts(path, path_len) };
    let address = unsafe { std::slice::from_raw_parts(address, address_len) };
    let options = unsafe { *options };
    let result = (|| -> wasmtime::Result<orivon_http_server_t> {
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
            wasmtime::PoolingAllocationConfig::default(),
        ));
        let engine = wasmtime::Engine::new(&config)?;
        let path = std::str::from_utf8(path).map_err(|_| wasmtime::Error::msg("path not UTF-8"))?;
        let component = wasmtime::component::Component::from_file(&engine, path)?;
        let mut linker = wasmtime::component::Linker::<BaselineState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
        let pre = wasmtime_wasi_http::p2::bindings::sync::ProxyPre::new(
            linker.instantiate_pre(&component)?,
        )?;
        let baseline = Arc::new(Baseline { engine, pre });
        start_server(address, options, Handler::Baseline(baseline))
    })();
    match result {
        Ok(server) => {
            unsafe { *out = Box::into_raw(Box::new(server)) };
            None
        }
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

// ---------------------------------------------------------------------------
// Engines whose creation may fail. The C API's `wasm_engine_new_with_config`
// unwraps `Engine::new`, so a pooling allocator whose reservation cannot be
// mapped (RLIMIT_AS, an overcommit policy) would abort the host: orivon's
// function engine is made here instead, and its failure is an error.

const _: () = assert!(
    std::mem::size_of::<wasm_engine_t>() == std::mem::size_of::<wasmtime::Engine>()
        && std::mem::align_of::<wasm_engine_t>() == std::mem::align_of::<wasmtime::Engine>(),
    "wasm_engine_t no longer wraps exactly one Engine: revisit orivon_engine_new"
);
const _: () = assert!(
    std::mem::size_of::<wasm_config_t>() == std::mem::size_of::<wasmtime::Config>()
        && std::mem::align_of::<wasm_config_t>() == std::mem::align_of::<wasmtime::Config>(),
    "wasm_config_t no longer wraps exactly one Config: revisit orivon_engine_new"
);

/// Creates an engine with `config`, which it always consumes. On success
/// `*out` owns the engine (free it with `wasm_engine_delete`).
///
/// # Safety
/// `config` must be an owned `wasm_config_t`; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_engine_new(
    config: *mut wasm_config_t,
    out: *mut *mut wasm_engine_t,
) -> Option<Box<wasmtime_error_t>> {
    // `wasm_config_t` is `#[repr(C)] struct { config: Config }` (checked above).
    let config = unsafe { Box::from_raw(config.cast::<wasmtime::Config>()) };
    match wasmtime::Engine::new(&config) {
        Ok(engine) => {
            unsafe { *out = Box::into_raw(Box::new(engine)).cast::<wasm_engine_t>() };
            None
        }
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

// `wasmtime_pooling_allocation_config_t` is `#[repr(C)] struct { config:
// PoolingAllocationConfig }` (its field is crate-private), so a pointer to it
// points at its config. As above, an upgrade that changes the shape stops the
// build here.
const _: () = assert!(
    std::mem::size_of::<wasmtime_pooling_allocation_config_t>()
        == std::mem::size_of::<wasmtime::PoolingAllocationConfig>()
        && std::mem::align_of::<wasmtime_pooling_allocation_config_t>()
            == std::mem::align_of::<wasmtime::PoolingAllocationConfig>(),
    "wasmtime_pooling_allocation_config_t no longer wraps exactly one \
     PoolingAllocationConfig: revisit orivon_pooling_allocation_config_pagemap_scan_set"
);

/// Whether the pooling allocator uses Linux's `PAGEMAP_SCAN` ioctl (6.7+) to
/// reset only the pages of a slot's kept-resident memory and tables that were
/// written, instead of `memset`ting all of it on every reuse. Mirrors
/// `wasmtime::Enabled` and src/wasi/wasi_extensions.h; the values are part of
/// orivon's C ABI.
#[repr(C)]
#[allow(non_camel_case_types)]
pub enum orivon_pagemap_scan_t {
    /// Use it if the kernel has it, else fall back to `memset`.
    Auto = 0,
    /// Use it; creating the engine fails if the kernel lacks it.
    Yes = 1,
    /// Never use it (Wasmtime's default).
    No = 2,
}

/// Sets `PoolingAllocationConfig::pagemap_scan` (the 48 C API has no setter).
///
/// # Safety
/// `config` must be a valid, exclusively borrowed
/// `wasmtime_pooling_allocation_config_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_pooling_allocation_config_pagemap_scan_set(
    config: *mut wasmtime_pooling_allocation_config_t,
    mode: orivon_pagemap_scan_t,
) {
    let config = unsafe { &mut *config.cast::<wasmtime::PoolingAllocationConfig>() };
    config.pagemap_scan(match mode {
        orivon_pagemap_scan_t::Auto => wasmtime::Enabled::Auto,
        orivon_pagemap_scan_t::Yes => wasmtime::Enabled::Yes,
        orivon_pagemap_scan_t::No => wasmtime::Enabled::No,
    });
}

/// Whether this host's kernel supports `PAGEMAP_SCAN`, i.e. whether
/// `orivon_pagemap_scan_t::Auto` turns it on.
#[unsafe(no_mangle)]
pub extern "C" fn orivon_pagemap_scan_is_available() -> bool {
    wasmtime::PoolingAllocationConfig::is_pagemap_scan_available()
}

/// Whether `*error` (kept, possibly at a new address written back) is a
/// pooling allocator's refusal because every slot of some kind is in use:
/// an exhausted pool, which the host answers as "busy", not as a failure of
/// the guest. Decided by the error's type, never by its text.
///
/// # Safety
/// `*error` must be an owned, valid `wasmtime_error_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_error_is_pool_exhausted(error: *mut *mut wasmtime_error_t) -> bool {
    let boxed = unsafe { Box::from_raw(*error) };
    let inner = wasmtime::Error::from(*boxed);
    let exhausted = inner.is::<wasmtime::PoolConcurrencyLimitError>();
    unsafe { *error = Box::into_raw(Box::new(wasmtime_error_t::from(inner))) };
    exhausted
}

// ---------------------------------------------------------------------------
// A component pre-instantiated with a linker (the 48 C API has no component
// InstancePre): imports resolved and type-checked once, so an invocation of
// a function module only creates an instance.

#[allow(non_camel_case_types)]
pub struct orivon_component_pre_t {
    pre: wasmtime::component::InstancePre<WasmtimeStoreData>,
}

/// Pre-instantiates `component` with `linker`'s definitions. On success
/// `*out` owns a new template (free it with `orivon_component_pre_delete`);
/// the linker and the component may be dropped afterwards.
///
/// # Safety
/// `linker` and `component` must be valid; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_component_pre_new(
    linker: *const wasmtime_component_linker_t,
    component: *const wasmtime_component_t,
    out: *mut *mut orivon_component_pre_t,
) -> Option<Box<wasmtime_error_t>> {
    let linker = unsafe { &*linker.cast::<wasmtime::component::Linker<WasmtimeStoreData>>() };
    let component = unsafe { &*component.cast::<wasmtime::component::Component>() };
    match linker.instantiate_pre(component) {
        Ok(pre) => {
            unsafe { *out = Box::into_raw(Box::new(orivon_component_pre_t { pre })) };
            None
        }
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}

/// Frees a template made by `orivon_component_pre_new` (null: nothing).
#[unsafe(no_mangle)]
pub extern "C" fn orivon_component_pre_delete(_pre: Option<Box<orivon_component_pre_t>>) {}

/// Instantiates `pre` in `context`'s store into `*out`.
///
/// # Safety
/// `pre` must be valid and made with the engine of `context`'s store; `out`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn orivon_component_pre_instantiate(
    pre: *const orivon_component_pre_t,
    mut context: WasmtimeStoreContextMut<'_>,
    out: *mut wasmtime::component::Instance,
) -> Option<Box<wasmtime_error_t>> {
    let pre = unsafe { &*pre };
    match pre.pre.instantiate(&mut context) {
        Ok(instance) => {
            unsafe { *out = instance };
            None
        }
        Err(error) => Some(Box::new(wasmtime_error_t::from(error))),
    }
}
