// Fuzzes the manifest parser (src/registry/manifest_parser.cc). Every input is read both as
// TOML and as JSON. Properties: a refusal is always InvalidArgument with a message; an
// accepted manifest serializes to JSON (manifest_to_json) that parses back to an equal
// Manifest, as manifest.h promises.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "orivon/manifest.h"

namespace orivon::fuzz {
namespace {

void check(std::string_view text, ManifestFormat format) {
  const char* format_name = format == ManifestFormat::Toml ? "TOML" : "JSON";
  auto manifest = parse_manifest(text, format);
  if (!manifest) {
    ORIVON_FUZZ_CHECK(manifest.error().code() == ErrorCode::InvalidArgument &&
                          !manifest.error().message().empty(),
                      std::string(format_name) + " " + printable(text) + " is refused with " +
                          manifest.error().to_string());
    return;
  }
  const std::string json = manifest_to_json(*manifest);
  auto reparsed = parse_manifest(json, ManifestFormat::Json);
  ORIVON_FUZZ_CHECK(reparsed.has_value(), std::string(format_name) + " " + printable(text) +
                                              " serializes to " + printable(json) +
                                              ", which is refused: " +
                                              reparsed.error().to_string());
  ORIVON_FUZZ_CHECK(*reparsed == *manifest, std::string(format_name) + " " + printable(text) +
                                                " changes through its JSON " + printable(json));
  const std::string again = manifest_to_json(*reparsed);
  ORIVON_FUZZ_CHECK(again == json, "serializing is not stable: " + printable(json) + " then " +
                                       printable(again));
}

}  // namespace
}  // namespace orivon::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = orivon::fuzz::as_text(data, size);
  orivon::fuzz::check(text, orivon::ManifestFormat::Toml);
  orivon::fuzz::check(text, orivon::ManifestFormat::Json);
  return 0;
}
