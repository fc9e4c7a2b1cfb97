// `orivon add FILE [--id ID] [--manifest FILE]`: installs a module.
// `orivon add FILE|DIR...`: installs many, a batch per request and
// transaction; each NAME.wasm takes its manifest from NAME.toml or
// NAME.json beside it, or else is installed under the id NAME.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "commands/manifest_file.h"
#include "commands/module_text.h"
#include "host/requests.h"
#include "host/session.h"
#include "orivon/manifest.h"
#include "orivon/result.h"

namespace orivon::cli {
namespace {

// Named apart from orivon::AddOptions, which the request becomes in the runtime.
struct AddCommandOptions {
  std::vector<std::string> files;
  std::string id;
  std::string manifest;
  bool json = false;
};

int add_one(const GlobalOptions& global, const AddCommandOptions& options, std::ostream& out,
            std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Add);
  request["file"] = absolute_path(options.files.front());
  if (!options.id.empty()) {
    if (!are_valid_ids({options.id}, err)) return kExitUsage;
    request["id"] = options.id;
  }
  if (!options.manifest.empty()) {
    auto manifest = manifest_member(options.manifest);
    if (!manifest) {
      err << "error: " << noted(manifest.error()).message() << "\n";
      return kExitError;
    }
    request["manifest"] = std::move(*manifest);
  }
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& module, std::ostream& text) {
        text << "added " << module_summary(module) << "\n";
      },
      out, err);
}

// What one module of a bulk install sends: its file, and its manifest from
// beside it or else the id its file name spells.
Result<nlohmann::json> bulk_item(const std::filesystem::path& file) {
  nlohmann::json item = {{"file", absolute_path(file.string())}};
  if (auto manifest = sibling_manifest(file)) {
    ORIVON_TRY(item["manifest"], manifest_member(*manifest));
    return item;
  }
  auto id = ModuleId::parse(file.stem().string());
  if (!id) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + file.string() + "': no manifest beside it (" + file.stem().string() +
                     ".toml or .json) and its name is no module id: " + id.error().message());
  }
  item["id"] = id->str();
  return item;
}

// The files named: each FILE, and every *.wasm of each DIR (by name).
Result<std::vector<std::filesystem::path>> expand(const std::vector<std::string>& names) {
  std::vector<std::filesystem::path> files;
  for (const auto& name : names) {
    std::error_code ec;
    if (!std::filesystem::is_directory(name, ec)) {
      files.emplace_back(name);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::directory_iterator(name, ec)) {
      if (entry.path().extension() == ".wasm") found.push_back(entry.path());
    }
    if (ec) return Error(ErrorCode::NotFound, "reading directory '" + name + "': " + ec.message());
    if (found.empty()) return Error(ErrorCode::NotFound, "no .wasm file in '" + name + "'");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// A batch is one request and one transaction: at most this many modules,
// within the bounds the host reads a request in (values and bytes, with
// room to spare), so a batch is never refused for its size.
constexpr std::size_t kBatchModules = 1000;
constexpr std::size_t kBatchBytes = 2 << 20;
constexpr std::size_t kBatchValues = kMaxRequestValues - 64;

// How many JSON values `value` is, as the host counts them (a key is one).
std::size_t value_count(const nlohmann::json& value) {
  std::size_t count = 1;
  if (value.is_object()) {
    for (const auto& member : value.items()) count += 1 + value_count(member.value());
  } else if (value.is_array()) {
    for (const auto& item : value) count += value_count(item);
  }
  return count;
}

int add_many(const GlobalOptions& global, const AddCommandOptions& options, std::ostream& out,
             std::ostream& err) {
  if (!options.id.empty() || !options.manifest.empty()) {
    err << "error: --id and --manifest name one module; with several, each NAME.wasm takes "
           "NAME.toml or NAME.json beside it\n";
    return kExitUsage;
  }
  auto fail = [&](const Error& error) {
    err << "error: " << noted(error).message() << "\n";
    return kExitError;
  };
  auto files = expand(options.files);
  if (!files) return fail(files.error());
  std::vector<nlohmann::json> items;
  items.reserve(files->size());
  for (const auto& file : *files) {
    auto item = bulk_item(file);
    if (!item) return fail(item.error());
    items.push_back(std::move(*item));
  }
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) return fail(state_dir.error());
  auto session = Session::open(*state_dir, err);
  if (!session) return fail(session.error());
  note_responder(global, session->via_host(), err);
  std::size_t installed = 0;
  if (options.json) out << "[";
  for (std::size_t first = 0; first < items.size();) {
    nlohmann::json request = make_request(ManagementOperation::Add);
    request["modules"] = nlohmann::json::array();
    std::size_t bytes = 0;
    std::size_t values = 0;
    std::size_t end = first;
    while (end < items.size() && end - first < kBatchModules) {
      const std::size_t item_bytes = items[end].dump().size();
      const std::size_t item_values = value_count(items[end]);
      if (end > first && (bytes + item_bytes > kBatchBytes || values + item_values > kBatchValues)) {
        break;
      }
      bytes += item_bytes;
      values += item_values;
      request["modules"].push_back(items[end]);
      ++end;
    }
    auto reply = session->perform(request);
    const bool ok = reply && reply->reply.value("ok", false);
    if (!ok) {
      if (options.json) out << "]\n";
      err << "error: " << (reply ? error_from_reply(reply->reply).message() : reply.error().message())
          << "\n";
      err << "installed " << installed << " of " << items.size()
          << " modules; none of the batch that failed (modules " << first + 1 << " to " << end
          << ")\n";
      return kExitError;
    }
    for (const auto& module : field(reply->reply, "result")) {
      if (options.json) {
        out << (installed > 0 ? "," : "") << module.dump();
      } else {
        out << "added " << module_summary(module) << "\n";
      }
      ++installed;
    }
    if (items.size() > kBatchModules) {  // progress, on stderr
      err << "installed " << installed << " of " << items.size() << "\n";
    }
    first = end;
  }
  if (options.json) out << "]\n";
  return 0;
}

int run_add(const GlobalOptions& global, const AddCommandOptions& options, std::ostream& out,
            std::ostream& err) {
  std::error_code ec;
  if (options.files.size() > 1 || std::filesystem::is_directory(options.files.front(), ec)) {
    return add_many(global, options, out, err);
  }
  if (!options.id.empty() || !options.manifest.empty()) return add_one(global, options, out, err);
  // One file alone: the manifest beside it, or its name as the id; with
  // neither, the host says an id is missing.
  AddCommandOptions found = options;
  const std::filesystem::path file = options.files.front();
  if (auto manifest = sibling_manifest(file)) {
    found.manifest = *manifest;
  } else if (auto id = ModuleId::parse(file.stem().string())) {
    found.id = id->str();
  }
  return add_one(global, found, out, err);
}

}  // namespace

CommandAction setup_add(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<AddCommandOptions>();
  CLI::App* command = app.add_subcommand("add", "Install a module (core module or component)");
  command->add_option("FILE", options->files,
                      "The module's WebAssembly binary; or several, or directories of *.wasm")
      ->required();
  command->add_option("--id", options->id, "Install under this id (else the manifest's)")
      ->type_name("ID");
  command->add_option("--manifest", options->manifest, "The module's manifest (TOML or .json)")
      ->type_name("FILE");
  command->add_flag("--json", options->json, "Print the installed module as JSON");
  command->footer(
      "Ids are reverse-DNS: 'bitcoin.node.metamask'; 'lib.*' is a library, 'group.*' a group.\n"
      "Without --id or --manifest, each NAME.wasm takes its manifest from NAME.toml or\n"
      "NAME.json beside it, or else is installed as NAME. Many modules go in batches of\n"
      "up to 1,000, each one request and one transaction: all of a batch or none.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_add(global, *options, out, err);
  };
}

}  // namespace orivon::cli
