#include "engine/code_cache.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/file_util.h"
#include "core/limits.h"
#include "core/sha256.h"
#include "engine/compiled_code.h"
#include "engine/function_type.h"
#include "engine/program_data.h"
#include "engine/program_facts.h"
#include "engine/program_loader.h"

namespace orivon {

std::filesystem::path default_code_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "orivon" / "compiled";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    return std::filesystem::path(home) / ".cache" / "orivon" / "compiled";
  }
  return {};
}

namespace engine {
namespace {

namespace fs = std::filesystem;

// An entry: Wasmtime's serialized code, one byte for the kind, then the
// SHA-256 (64 hex digits) of everything before it.
constexpr std::size_t kDigestChars = 64;
constexpr std::string_view kSuffix = ".cwasm";
constexpr std::byte kCoreModule{'m'};
constexpr std::byte kComponent{'c'};

std::string digest_of(std::span<const std::byte> bytes) { return sha256_hex(bytes); }

// The program in `entry`, or an error when it is missing, damaged or not
// loadable by this engine.
Result<Program> read_entry(wasmtime::Engine& engine, const fs::path& entry,
                           const std::string& name, std::uint64_t size_bytes) {
  ORIVON_TRY(auto bytes, read_file(entry, limits::kMaxBinaryBytes * 4));
  if (bytes.size() < kDigestChars + 2) {
    return Error(ErrorCode::FailedPrecondition, "a truncated cache entry");
  }
  const std::size_t payload = bytes.size() - kDigestChars;
  const std::string_view stored(reinterpret_cast<const char*>(bytes.data() + payload),
                                kDigestChars);
  if (digest_of(std::span(bytes).first(payload)) != stored) {
    return Error(ErrorCode::FailedPrecondition, "a damaged cache entry");
  }
  const std::byte kind = bytes[payload - 1];
  wasmtime::Span<std::uint8_t> code(reinterpret_cast<std::uint8_t*>(bytes.data()), payload - 1);
  auto data = std::make_shared<internal::ProgramData>();
  data->function_types = std::make_shared<FunctionTypeCache>();
  data->name = name;
  data->size_bytes = size_bytes;
  if (kind == kComponent) {
    auto component = wasmtime::component::Component::deserialize(engine, code);
    if (!component) return Error(ErrorCode::FailedPrecondition, component.err().message());
    data->kind = ProgramKind::Component;
    data->component = std::move(component.ok());
  } else if (kind == kCoreModule) {
    auto module = wasmtime::Module::deserialize(engine, code);
    if (!module) return Error(ErrorCode::FailedPrecondition, module.err().message());
    data->kind = ProgramKind::CoreModule;
    data->module = std::move(module.ok());
  } else {
    return Error(ErrorCode::FailedPrecondition, "a cache entry of an unknown kind");
  }
  record_program_facts(engine, *data);
  return Program(std::move(data));
}

// Removes the least recently used entries (by modification time, which a
// hit refreshes) until the others fit in `max_bytes`; `keep` always stays.
void prune(const fs::path& dir, const fs::path& keep, std::uint64_t max_bytes) {
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    std::uint64_t size;
  };
  std::vector<Entry> entries;
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    const fs::path& path = item.path();
    if (path.extension() != kSuffix || !item.is_regular_file(ec)) continue;
    const std::uint64_t size = item.file_size(ec);
    if (ec) continue;
    total += size;
    if (path != keep) entries.push_back({path, item.last_write_time(ec), size});
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const auto& entry : entries) {
    if (total <= max_bytes) break;
    // Another process may have removed it already; either way it is gone.
    fs::remove(entry.path, ec);
    total -= entry.size;
  }
}

}  // namespace

Result<Program> load_program_cached(wasmtime::Engine& engine, const std::string& fingerprint,
                                    const fs::path& path, const CodeCacheOptions& options) {
  ORIVON_TRY(auto bytes, read_file(path, limits::kMaxBinaryBytes));
  const fs::path dir = options.dir.empty() ? default_code_cache_dir() : options.dir;
  if (dir.empty() || !ensure_private_directory(dir)) {
    return load_program(engine, bytes, path.string());
  }
  const fs::path entry = dir / (digest_of(bytes) + "-" + fingerprint + std::string(kSuffix));
  std::error_code ec;
  if (fs::exists(entry, ec)) {
    auto cached = read_entry(engine, entry, path.string(), bytes.size());
    if (cached) {
      fs::last_write_time(entry, fs::file_time_type::clock::now(), ec);  // recently used
      return cached;
    }
    fs::remove(entry, ec);  // damaged or foreign: compiled again below
  }
  ORIVON_TRY(auto program, load_program(engine, bytes, path.string()));
  auto serialized = serialize_program(*program.shared_data());
  if (!serialized) return program;
  std::vector<std::byte> contents(serialized->size() + 1 + kDigestChars);
  std::copy_n(reinterpret_cast<const std::byte*>(serialized->data()), serialized->size(),
              contents.begin());
  contents[serialized->size()] =
      program.kind() == ProgramKind::Component ? kComponent : kCoreModule;
  const std::size_t payload = serialized->size() + 1;
  const std::string digest = digest_of(std::span(contents).first(payload));
  std::copy_n(reinterpret_cast<const std::byte*>(digest.data()), kDigestChars,
              contents.begin() + static_cast<std::ptrdiff_t>(payload));
  if (write_file_durably(entry, contents)) prune(dir, entry, options.max_bytes);
  return program;
}

}  // namespace engine
}  // namespace orivon
