// `orivon new KIND NAME`: a module's directory (WIT, source, manifest,
// Makefile) that builds anywhere with `orivon build`, outside this
// repository too.

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "commands/commands.h"
#include "orivon/ids.h"
#include "scaffold/templates.h"

namespace orivon::cli {
namespace {

struct NewOptions {
  std::string kind;
  std::string name;
  std::string lang = "c";
  std::string id;
  std::string dir;
  bool json = false;
};

// WIT keywords, and the interface's own name: a world cannot be called so.
constexpr std::array kReservedNames = {
    "api",    "as",      "bool",     "borrow",    "char",  "constructor", "enum",
    "export", "f32",     "f64",      "flags",     "from",  "func",        "future",
    "import", "include", "interface", "list",     "own",   "package",     "record",
    "resource", "result", "s16",     "s32",       "s64",   "s8",          "static",
    "stream", "string",  "tuple",    "type",      "u16",   "u32",         "u64",
    "u8",     "use",     "variant",  "with",      "world", "option",      "async"};

// NAME becomes a file name, a WIT package and world name and part of C
// identifiers: lowercase letters and digits, starting with a letter.
std::string name_problem(const std::string& name) {
  if (name.empty() || name.size() > 32) return "it must be 1 to 32 characters long";
  if (name[0] < 'a' || name[0] > 'z') return "it must start with a lowercase letter";
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return "only lowercase letters and digits may follow (it names files, a WIT world and C "
             "functions)";
    }
  }
  for (const char* reserved : kReservedNames) {
    if (name == reserved) return "it is a WIT keyword or the name of the module's interface";
  }
  return "";
}

int run_new(const NewOptions& options, std::ostream& out, std::ostream& err) {
  ScaffoldSpec spec;
  if (options.kind == "service") {
    spec.kind = ScaffoldKind::Service;
  } else if (options.kind == "library") {
    spec.kind = ScaffoldKind::Library;
  } else if (options.kind == "function") {
    spec.kind = ScaffoldKind::Function;
  } else {
    err << "error: unknown kind '" << options.kind << "'; expected service, library or function\n";
    return kExitUsage;
  }
  if (options.lang == "go") {
    spec.language = ScaffoldLanguage::Go;
    if (spec.kind != ScaffoldKind::Service) {
      err << "error: a Go module made by 'orivon new' is a service for now (a core module whose "
             "functions take and return numbers); use --lang c for a "
          << options.kind << "\n";
      return kExitUsage;
    }
  } else if (options.lang != "c") {
    err << "error: unknown language '" << options.lang << "'; expected c or go\n";
    return kExitUsage;
  }
  if (std::string problem = name_problem(options.name); !problem.empty()) {
    err << "error: bad module name '" << options.name << "': " << problem << "\n";
    return kExitUsage;
  }
  spec.name = options.name;
  spec.id = options.id;
  if (spec.id.empty()) {
    spec.id = (spec.kind == ScaffoldKind::Library ? "lib." : "app.") + spec.name + ".local";
  }
  auto id = ModuleId::parse(spec.id);
  if (!id) {
    err << "error: " << id.error().message() << "\n";
    return kExitUsage;
  }
  const bool library_id = id->kind() == ModuleKind::Library;
  if (library_id != (spec.kind == ScaffoldKind::Library) || id->kind() == ModuleKind::Group) {
    err << "error: '" << spec.id << "' is not an id for a " << options.kind
        << (spec.kind == ScaffoldKind::Library ? ": a library's id starts with 'lib.'\n"
                                               : ": 'lib.*' and 'group.*' ids are other kinds\n");
    return kExitUsage;
  }

  const std::filesystem::path dir = options.dir.empty() ? options.name : options.dir;
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    err << "error: '" << dir.string() << "' already exists and is not empty; nothing was written\n";
    return kExitError;
  }
  const auto files = scaffold_files(spec);
  for (const auto& file : files) {
    const auto path = dir / file.path;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      err << "error: cannot create '" << path.parent_path().string() << "': " << ec.message()
          << "\n";
      return kExitError;
    }
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    stream << file.text;
    stream.close();
    if (!stream) {
      err << "error: cannot write '" << path.string() << "': " << std::strerror(errno) << "\n";
      return kExitError;
    }
  }
  if (options.json) {
    nlohmann::json made = {{"dir", dir.string()},
                           {"id", spec.id},
                           {"kind", options.kind},
                           {"language", options.lang},
                           {"module", (dir / (spec.name + ".wasm")).string()},
                           {"files", nlohmann::json::array()}};
    for (const auto& file : files) made["files"].push_back(file.path);
    out << made.dump(2) << "\n";
    return 0;
  }
  out << "created " << options.kind << " '" << spec.id << "' in " << dir.string() << "/ ("
      << (spec.language == ScaffoldLanguage::Go ? "Go" : "C") << ")\n"
      << "next:\n"
      << "  cd " << dir.string() << "\n"
      << "  orivon build\n"
      << "  orivon add " << spec.name << ".wasm\n";
  return 0;
}

}  // namespace

CommandAction setup_new(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<NewOptions>();
  CLI::App* command =
      app.add_subcommand("new", "Make a module's directory: WIT, source, manifest, Makefile");
  command->add_option("KIND", options->kind, "service, library or function")->required();
  command->add_option("NAME", options->name,
                      "Lowercase letters and digits: the directory, files, WIT package and world")
      ->required();
  command->add_option("--lang", options->lang, "c (default) or go (a service only)")
      ->type_name("LANG");
  command->add_option("--id", options->id,
                      "The module id in its manifest (default: app.NAME.local, lib.NAME.local "
                      "for a library)")
      ->type_name("ID");
  command->add_option("--dir", options->dir, "Where to write it (default: ./NAME)")
      ->type_name("DIR");
  command->add_flag("--json", options->json, "Print what was made as JSON");
  command->footer(
      "The directory builds anywhere: 'orivon build' in it runs make with the toolchain\n"
      "orivon was set up with (wit-bindgen, clang for wasm32-wasi, wasm-tools, the WASI\n"
      "adapter matching orivon's Wasmtime); 'orivon env' prints it for running make yourself.");
  return [options](std::ostream& out, std::ostream& err) { return run_new(*options, out, err); };
}

}  // namespace orivon::cli
