#pragma once

// Turns a WasiProfile (what the client granted) into Wasmtime's WasiConfig.
// Only what the profile names is granted; everything else stays denied.

#include <wasmtime.hh>

#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon::wasi {

// Fails with InvalidArgument when a directory grant names no directory on the
// host, or when a value cannot be passed to WASI (for example a NUL byte).
Result<wasmtime::WasiConfig> build_wasi_config(const WasiProfile& profile);

}  // namespace orivon::wasi
