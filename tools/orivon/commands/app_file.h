#pragma once

// Application files (`orivon apply APP.toml`): [[module]] tables naming each
// module, its code, grants, calls, configuration, subscriptions, routes and
// whether it runs. Parsing only; commands/apply.cc plans and applies them.
// The text is untrusted: anything malformed is an InvalidArgument error that
// says where, never a crash.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/result.h"

namespace orivon::cli {

// An application file is read whole; anything larger is not one.
inline constexpr std::uintmax_t kMaxAppFileBytes = 4 << 20;
// [[module]] tables hold a table or two: far deeper is not an application
// file, and toml++ would overflow its stack on it.
inline constexpr std::size_t kMaxAppFileNesting = 32;

struct AppModule {
  std::string id;
  std::filesystem::path file;      // absolute; empty: the module must already be installed
  std::filesystem::path manifest;  // absolute; empty: the one beside the file, or none
  std::set<std::string> allow;
  std::map<std::string, std::set<std::string>> calls;  // target -> functions (empty: all)
  std::map<std::string, std::string> config;
  std::set<std::string> subscribe;  // topic patterns, ephemeral
  std::set<std::string> routes;     // inbound HTTP, [HOST]/PREFIX
  std::optional<bool> start;
};

// The modules `text` lists. `name` names the file in errors; relative
// `file` and `manifest` paths are taken from `base` (made absolute).
Result<std::vector<AppModule>> parse_app_text(std::string_view text, const std::string& name,
                                              const std::filesystem::path& base);

// Reads the file at `path` (at most kMaxAppFileBytes) and parses it, with
// paths relative to its directory.
Result<std::vector<AppModule>> parse_app(const std::filesystem::path& path);

}  // namespace orivon::cli
