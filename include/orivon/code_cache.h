#pragma once

/// \file
/// CodeCacheOptions: where Runtime::load_file keeps compiled code between processes, so a
/// program loaded again (`orivon run` of the same file) skips compilation.
///
/// Entries are keyed by the SHA-256 of the binary and the engine's fingerprint (Wasmtime's
/// version and every setting that changes code generation), and end with a SHA-256 of their
/// own contents: an entry that is damaged, truncated or made by another engine is removed and
/// the program compiled again. Writers use a unique temporary file renamed into place, so
/// concurrent runs never see half an entry. Compiled code is machine code that is loaded
/// without validation, so the directory must be private: it is created 0700 and a directory
/// owned by another user is not used (the program is then compiled, uncached).

#include <cstdint>
#include <filesystem>

#include "orivon/export.h"

namespace orivon {

struct CodeCacheOptions {
  /// The cache directory; empty: default_code_cache_dir().
  std::filesystem::path dir;
  /// The most bytes the entries may take together: after a new entry is written, the least
  /// recently used others are removed until the rest fit (the new one always stays).
  std::uint64_t max_bytes = std::uint64_t{512} << 20;
};

/// `$XDG_CACHE_HOME/orivon/compiled`, else `$HOME/.cache/orivon/compiled`; empty when
/// neither variable is set.
ORIVON_API std::filesystem::path default_code_cache_dir();

}  // namespace orivon
