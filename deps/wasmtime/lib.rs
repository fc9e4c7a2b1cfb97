//! Re-exports Wasmtime's C API so that cargo emits every `wasm*` symbol into
//! one static archive that orivon links.
pub use wasmtime_c_api::*;
