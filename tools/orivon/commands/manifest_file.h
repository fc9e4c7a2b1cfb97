#pragma once

// Reading a manifest file the user names (`add --manifest`, `update
// --manifest`) into a request member.

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "orivon/result.h"

namespace orivon::cli {

// The manifest's text. Opened without blocking and checked to be a regular
// file first: a FIFO (or a device) given by mistake must not hang the CLI.
// At most 64 KiB.
Result<std::string> read_manifest_file(const std::string& path);

// The manifest at `path` as a request member: {"text": ..., "format":
// "toml"|"json"} (JSON for a .json file).
Result<nlohmann::json> manifest_member(const std::string& path);

// NAME.toml or NAME.json beside NAME.wasm, if there is one: the manifest a
// module file brings with it (`add FILE`, `apply`).
std::optional<std::string> sibling_manifest(const std::filesystem::path& file);

}  // namespace orivon::cli
