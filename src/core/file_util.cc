#include "core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace orivon {
namespace {

std::string quote(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

Error errno_error(const std::filesystem::path& path, std::string_view what) {
  const int saved = errno;
  const ErrorCode code = saved == ENOENT ? ErrorCode::NotFound
                         : (saved == EACCES || saved == EPERM) ? ErrorCode::PermissionDenied
                         : ErrorCode::Internal;
  return Error(code, quote(path) + ": " + std::string(what) + ": " + std::strerror(saved));
}

std::string file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a file";
}

// Closes on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::vector<std::byte>> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
  // forever, before fstat could tell it is not a file. It changes nothing for
  // a regular file, whose reads never block.
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) {
    if (errno == ENOENT) return Error(ErrorCode::NotFound, quote(path) + ": no such file");
    return errno_error(path, "cannot open");
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return errno_error(path, "cannot stat");
  if (!S_ISREG(info.st_mode)) {
    return Error(ErrorCode::InvalidArgument,
                 quote(path) + ": not a regular file (" + file_type_name(info.st_mode) + ")");
  }
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    return Error(ErrorCode::InvalidArgument, quote(path) + ": larger than the " +
                                                 std::to_string(max_bytes >> 20) +
                                                 " MiB orivon accepts");
  }
  std::vector<std::byte> bytes(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(file.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(path, "cannot read");
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

Result<void> write_file_durably(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  // A unique temporary name: several writers (threads or processes) may
  // store the same content at once, and each must rename a whole file.
  std::string temporary = path.string() + ".tmp.XXXXXX";
  {
    Fd file{::mkostemp(temporary.data(), O_CLOEXEC)};  // mode 0600
    if (file.fd < 0) return errno_error(temporary, "cannot create");
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(file.fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Error error = errno_error(temporary, "cannot write");
        ::unlink(temporary.c_str());
        return error;
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(file.fd) != 0) {
      Error error = errno_error(temporary, "cannot sync");
      ::unlink(temporary.c_str());
      return error;
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    Error error = errno_error(path, "cannot rename into place");
    ::unlink(temporary.c_str());
    return error;
  }
  Fd dir{::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || ::fsync(dir.fd) != 0) return errno_error(path.parent_path(), "cannot sync");
  return ok();
}

Result<void> ensure_private_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrorCode::PermissionDenied, quote(dir) + ": cannot create: " + ec.message());
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) return errno_error(dir, "cannot stat");
  if (!S_ISDIR(info.st_mode)) return Error(ErrorCode::InvalidArgument, quote(dir) + ": not a directory");
  if (info.st_uid != ::geteuid()) {
    return Error(ErrorCode::PermissionDenied,
                 quote(dir) + ": belongs to another user (uid " + std::to_string(info.st_uid) + ")");
  }
  if ((info.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) {
    return errno_error(dir, "cannot make private (0700)");
  }
  return ok();
}

}  // namespace orivon
