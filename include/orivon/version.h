#pragma once

/// \file
/// Versions of orivon and of the Wasmtime it embeds.

#include <string_view>

#include "orivon/export.h"

namespace orivon {

/// orivon's version, "MAJOR.MINOR.PATCH".
ORIVON_API std::string_view version();
/// The version of the embedded Wasmtime C API, for example "48.0.8".
ORIVON_API std::string_view wasmtime_version();

}  // namespace orivon
