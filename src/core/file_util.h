#pragma once

// File helpers for state that must survive a crash of the host.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "orivon/result.h"

namespace orivon {

// Reads a whole regular file of at most `max_bytes`. NotFound if missing;
// InvalidArgument if it is not a regular file or is larger.
Result<std::vector<std::byte>> read_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Writes `bytes` to `path` so that after a crash the file is either absent,
// or complete: write a temporary file beside it, fsync it, rename it over
// `path`, fsync the directory. Creates the file with mode 0600.
Result<void> write_file_durably(const std::filesystem::path& path, std::span<const std::byte> bytes);

// Creates `dir` (and parents) if missing and makes it 0700. Fails with
// PermissionDenied if it belongs to another user.
Result<void> ensure_private_directory(const std::filesystem::path& dir);

}  // namespace orivon
