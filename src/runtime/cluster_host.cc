#include "runtime/cluster_host.h"

#include <cstdio>
#include <random>
#include <span>

#include "core/file_util.h"

namespace orivon::runtime {

namespace {

constexpr std::size_t kMaxHostName = 64;

bool valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostName) return false;
  for (char c : name) {
    const bool fits = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    if (!fits) return false;
  }
  return true;
}

std::string random_host_name() {
  std::random_device random;
  char text[24];
  std::snprintf(text, sizeof text, "h%08x%08x", random(), random());
  return text;
}

}  // namespace

Result<std::string> cluster_host_name(const RuntimeOptions& options) {
  const std::string& given = options.cluster.host_name;
  if (!given.empty()) {
    if (!valid_host_name(given)) {
      return Error(ErrorCode::InvalidArgument,
                   "host name '" + given + "' is not 1 to " + std::to_string(kMaxHostName) +
                       " letters, digits, '_' or '-'");
    }
    return given;
  }
  if (options.state_dir.empty()) return random_host_name();
  const auto file = options.state_dir / "host-id";
  if (auto bytes = read_file(file, kMaxHostName + 2)) {
    std::string kept(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    while (!kept.empty() && (kept.back() == '\n' || kept.back() == '\r')) kept.pop_back();
    if (valid_host_name(kept)) return kept;
    return Error(ErrorCode::FailedPrecondition,
                 file.string() + " does not hold a host name; remove it to get a new one");
  } else if (bytes.error().code() != ErrorCode::NotFound) {
    return bytes.error();
  }
  ORIVON_RETURN_IF_ERROR(ensure_private_directory(options.state_dir));
  std::string made = random_host_name();
  const std::string line = made + "\n";
  ORIVON_RETURN_IF_ERROR(write_file_durably(
      file, std::as_bytes(std::span<const char>(line.data(), line.size()))));
  return made;
}

}  // namespace orivon::runtime
