// `orivon add FILE [--id ID] [--manifest FILE]`: installs a module.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "commands/module_text.h"
#include "orivon/manifest.h"
#include "orivon/result.h"

namespace orivon::cli {
namespace {

// Named apart from orivon::AddOptions, which the request becomes in the runtime.
struct AddCommandOptions {
  std::string file;
  std::string id;
  std::string manifest;
  bool json = false;
};

// Manifests are small; a larger file is refused before it is read whole.
constexpr off_t kMaxManifestBytes = 64 * 1024;

// The manifest's text. Opened without blocking and checked to be a regular
// file first: a FIFO (or a device) given by mistake must not hang the CLI.
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

int run_add(const GlobalOptions& global, const AddCommandOptions& options, std::ostream& out,
            std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Add);
  request["file"] = absolute_path(options.file);
  if (!options.id.empty()) {
    if (!are_valid_ids({options.id}, err)) return kExitUsage;
    request["id"] = options.id;
  }
  if (!options.manifest.empty()) {
    auto text = read_manifest_file(options.manifest);
    if (!text) {
      err << "error: " << text.error().message() << "\n";
      return kExitError;
    }
    const bool is_json = manifest_format_for(options.manifest) == ManifestFormat::Json;
    request["manifest"] = {{"text", *text}, {"format", is_json ? "json" : "toml"}};
  }
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& module, std::ostream& text) {
        text << "added " << module_summary(module) << "\n";
      },
      out, err);
}

}  // namespace

CommandAction setup_add(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<AddCommandOptions>();
  CLI::App* command = app.add_subcommand("add", "Install a module (core module or component)");
  command->add_option("FILE", options->file, "The module's WebAssembly binary")->required();
  command->add_option("--id", options->id, "Install under this id (else the manifest's)")
      ->type_name("ID");
  command->add_option("--manifest", options->manifest, "The module's manifest (TOML or .json)")
      ->type_name("FILE");
  command->add_flag("--json", options->json, "Print the installed module as JSON");
  command->footer("Ids are reverse-DNS: 'bitcoin.node.metamask'; 'lib.*' is a library, "
                  "'group.*' a group.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_add(global, *options, out, err);
  };
}

}  // namespace orivon::cli
