#pragma once

// Compiled code kept between processes by content hash (see
// include/orivon/code_cache.h for the contract).

#include <filesystem>
#include <string>

#include <wasmtime.hh>

#include "orivon/code_cache.h"
#include "orivon/program.h"
#include "orivon/result.h"

namespace orivon::engine {

// Loads the program at `path` through the cache in `options.dir` (entries
// named by the binary's hash and `fingerprint`). The cache is best effort:
// when it cannot be used (a directory that is not private, a full disk) the
// program is compiled as load_program_file would. Errors are the program's
// own (unreadable file, invalid binary).
Result<Program> load_program_cached(wasmtime::Engine& engine, const std::string& fingerprint,
                                    const std::filesystem::path& path,
                                    const CodeCacheOptions& options);

}  // namespace orivon::engine
