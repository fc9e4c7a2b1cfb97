// Fuzzes application files (`orivon apply APP.toml`, tools/orivon/commands/
// app_file.cc): TOML text a user hands the CLI, often written by someone
// else.
//
// Input: the file's text.
// Properties:
//   - parse_app_text accepts, or refuses with InvalidArgument; it never
//     crashes (toml++ overflows its stack on deep nesting unless the nesting
//     scan refuses it first);
//   - an accepted file lists at least one module; every id and every call
//     target parses as a module id; no id is listed twice; a manifest comes
//     with a file; file and manifest paths are absolute (relative ones are
//     taken from the base directory).

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "commands/app_file.h"
#include "fuzz_check.h"
#include "orivon/ids.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orivon::fuzz;
  const std::string_view text = as_text(data, size);
  auto modules = orivon::cli::parse_app_text(text, "app.toml", "/apps/demo");
  if (!modules) {
    ORIVON_FUZZ_CHECK(modules.error().code() == orivon::ErrorCode::InvalidArgument,
                      "refused with " + modules.error().to_string());
    return 0;
  }
  ORIVON_FUZZ_CHECK(!modules->empty(), "an accepted file lists no module");
  std::set<std::string> ids;
  for (const auto& module : *modules) {
    ORIVON_FUZZ_CHECK(orivon::ModuleId::parse(module.id).has_value(),
                      "accepted the id " + printable(module.id));
    ORIVON_FUZZ_CHECK(ids.insert(module.id).second, printable(module.id) + " is listed twice");
    for (const auto& [target, functions] : module.calls) {
      ORIVON_FUZZ_CHECK(orivon::ModuleId::parse(target).has_value(),
                        "accepted the call target " + printable(target));
    }
    ORIVON_FUZZ_CHECK(module.manifest.empty() || !module.file.empty(),
                      "a manifest without a file for " + printable(module.id));
    ORIVON_FUZZ_CHECK(module.file.empty() || module.file.is_absolute(),
                      "a relative file " + printable(module.file.string()));
    ORIVON_FUZZ_CHECK(module.manifest.empty() || module.manifest.is_absolute(),
                      "a relative manifest " + printable(module.manifest.string()));
  }
  return 0;
}
