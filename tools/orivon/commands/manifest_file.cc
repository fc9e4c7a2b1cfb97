#include "commands/manifest_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "orivon/manifest.h"

namespace orivon::cli {
namespace {

// Manifests are small; a larger file is refused before it is read whole.
constexpr off_t kMaxManifestBytes = 64 * 1024;

}  // namespace

Result<std::string> read_manifest_file(const std::string& path) {
  const std::string name = "manifest '" + path + "'";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error(ErrorCode::NotFound, name + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return Error(ErrorCode::InvalidArgument, name + ": not a regular file");
  }
  if (info.st_size > kMaxManifestBytes) {
    return Error(ErrorCode::InvalidArgument, name + " is larger than 64 KiB");
  }
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error(ErrorCode::Unavailable, name + ": " + std::strerror(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

Result<nlohmann::json> manifest_member(const std::string& path) {
  ORIVON_TRY(auto text, read_manifest_file(path));
  const bool is_json = manifest_format_for(path) == ManifestFormat::Json;
  return nlohmann::json{{"text", std::move(text)}, {"format", is_json ? "json" : "toml"}};
}

std::optional<std::string> sibling_manifest(const std::filesystem::path& file) {
  const std::string stem = (file.parent_path() / file.stem()).string();
  for (const char* extension : {".toml", ".json"}) {
    std::error_code ec;
    if (std::filesystem::exists(stem + extension, ec)) return stem + extension;
  }
  return std::nullopt;
}

}  // namespace orivon::cli
