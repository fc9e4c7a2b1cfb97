#include "orivon/version.h"

#include <wasmtime.h>

namespace orivon {

std::string_view version() { return ORIVON_VERSION_STRING; }
std::string_view wasmtime_version() { return WASMTIME_VERSION; }

}  // namespace orivon
