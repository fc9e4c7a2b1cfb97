#include "grants/service_profile.h"

#include <cstdlib>
#include <system_error>
#include <type_traits>

namespace orivon::grants {
namespace {

// Whether `inner` is `outer` or lies inside it, comparing whole components
// ("/srv/data2" is not inside "/srv/data").
bool is_within(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

// The key two grants must not share with different texts, or empty.
std::string exclusive_key(const Grant& grant) {
  if (std::holds_alternative<StdioGrant>(grant)) return "stdio";
  if (const auto* fs = std::get_if<FsGrant>(&grant)) return "fs guest path " + fs->guest_path;
  if (const auto* env = std::get_if<EnvGrant>(&grant)) return "env " + env->name;
  return {};
}

}  // namespace

Result<std::filesystem::path> check_directory_grant(const FsGrant& grant,
                                                    const std::filesystem::path& state_dir,
                                                    PathCheck check) {
  const std::string shown = grant.host_path.string();
  std::error_code ec;
  std::filesystem::path host;
  if (check == PathCheck::MustExist) {
    host = std::filesystem::canonical(grant.host_path, ec);
    if (ec) {
      return Error(ErrorCode::InvalidArgument,
                   "directory grant '" + shown + "': " + ec.message());
    }
    if (!std::filesystem::is_directory(host, ec)) {
      return Error(ErrorCode::InvalidArgument,
                   "directory grant '" + shown + "': not a directory on the host");
    }
  } else {
    host = std::filesystem::weakly_canonical(grant.host_path, ec);
    if (ec) {
      return Error(ErrorCode::InvalidArgument,
                   "directory grant '" + shown + "': " + ec.message());
    }
  }
  if (!state_dir.empty()) {
    auto state = std::filesystem::weakly_canonical(std::filesystem::absolute(state_dir, ec), ec);
    if (ec) state = std::filesystem::absolute(state_dir).lexically_normal();
    if (is_within(host, state) || is_within(state, host)) {
      const std::string how = host == state         ? "is"
                              : is_within(host, state) ? "lies inside"
                                                       : "contains";
      return Error(ErrorCode::PermissionDenied,
                   "directory grant '" + shown + "' (" + host.string() + ") " + how +
                       " orivon's state directory " + state.string() +
                       ", which holds the database and the control socket; grant a directory "
                       "outside it");
    }
  }
  return host;
}

Result<void> check_compatible(std::string_view text, const Grant& grant,
                              const std::vector<std::string>& allowed) {
  const std::string key = exclusive_key(grant);
  if (key.empty()) return ok();
  for (const auto& other_text : allowed) {
    if (other_text == text) continue;
    auto other = parse_grant(other_text);
    if (!other || exclusive_key(*other) != key) continue;
    return Error(ErrorCode::FailedPrecondition,
                 "'" + std::string(text) + "' contradicts '" + other_text +
                     "', which is already allowed (the same " + key + "); deny that first");
  }
  return ok();
}

std::vector<std::string> covered_by_deny(std::string_view text, const Grant& denied,
                                         const std::vector<std::string>& allowed) {
  std::vector<std::string> covered;
  // Only a variable's name and a directory's guest path have variants; a
  // second stdio mode, say, is another grant, not a variant.
  if (!std::holds_alternative<EnvGrant>(denied) && !std::holds_alternative<FsGrant>(denied)) {
    return covered;
  }
  const std::string key = exclusive_key(denied);
  for (const auto& other_text : allowed) {
    if (other_text == text) continue;
    auto other = parse_grant(other_text);
    if (other && exclusive_key(*other) == key) covered.push_back(other_text);
  }
  return covered;
}

std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<ServiceProfile> build_service_profile(
    const ModuleId& id, const std::vector<std::string>& allowed,
    const std::filesystem::path& state_dir,
    const std::function<std::optional<std::string>(const std::string&)>& environment) {
  ServiceProfile profile;
  profile.wasi.args = {id.str()};
  profile.wasi.stdio = Stdio::Null;
  for (const auto& text : allowed) {
    auto parsed = parse_grant(text);
    if (!parsed) return parsed.error();
    Result<void> applied = ok();
    std::visit(
        [&](const auto& grant) {
          using T = std::decay_t<decltype(grant)>;
          if constexpr (std::is_same_v<T, FsGrant>) {
            auto host = check_directory_grant(grant, state_dir, PathCheck::MustExist);
            if (!host) {
              applied = host.error();
              return;
            }
            profile.wasi.dirs.push_back(DirGrant{*host, grant.guest_path, grant.access});
          } else if constexpr (std::is_same_v<T, EnvGrant>) {
            auto value = grant.value ? grant.value : environment(grant.name);
            if (!value) {
              profile.notes.push_back("grant '" + text + "': orivon has no " + grant.name +
                                      " in its environment, so the module does not either");
              return;
            }
            profile.wasi.env.emplace_back(grant.name, *value);
          } else if constexpr (std::is_same_v<T, ArgGrant>) {
            profile.wasi.args.push_back(grant.value);
          } else if constexpr (std::is_same_v<T, StdioGrant>) {
            profile.stdio = grant.mode;
            profile.wasi.stdio = grant.mode == StdioMode::Inherit ? Stdio::Inherit : Stdio::Null;
          } else if constexpr (std::is_same_v<T, NetGrant>) {
            if (!grant.rule) {
              profile.wasi.network = Network::Full;
              profile.notes.push_back("grant '" + text + "': UNRESTRICTED network access");
            } else {
              if (profile.wasi.network == Network::Denied) profile.wasi.network = Network::Rules;
              profile.wasi.net_rules.push_back(*grant.rule);
            }
          } else if constexpr (std::is_same_v<T, HttpGrant>) {
            profile.wasi.http_origins.push_back(grant.origin);
          }
          // AmbientGrant: always available. HostGrant: checked by the call
          // router on every call; KvGrant: by the key-value host at every
          // operation. Neither is part of WASI.
        },
        *parsed);
    if (!applied) return Error::wrap("grant '" + text + "'", applied.error());
  }
  return profile;
}

}  // namespace orivon::grants
