#include "core/strings.h"
#include "orivon/ids.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace orivon {
namespace {

constexpr std::string_view kIdRules =
    "ids are reverse-DNS like 'bitcoin.node.metamask': at least 3 dot-separated segments of "
    "a-z, 0-9 and '-', each starting with a letter or digit, at most 255 characters";

Error invalid(std::string_view text, std::string_view problem) {
  return Error(ErrorCode::InvalidArgument, "invalid module id '" + printable(text) + "': " +
                                               std::string(problem) + "; " + std::string(kIdRules));
}

bool is_id_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// Names what is wrong with a byte that is not allowed in an id.
std::string describe_bad_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c >= 'A' && c <= 'Z') return std::string("an uppercase letter '") + c + "'";
  if (c == '_') return "an underscore";
  if (c == ' ') return "a space";
  if (byte == 0) return "a NUL byte";
  if (byte >= 0x80) return "a non-ASCII byte (only ASCII a-z, 0-9 and '-' are allowed)";
  if (byte < 0x20 || byte == 0x7f) return "a control character";
  return std::string("the character '") + c + "'";
}

}  // namespace

std::string_view module_kind_name(ModuleKind kind) {
  switch (kind) {
    case ModuleKind::Service:
      return "service";
    case ModuleKind::Library:
      return "library";
    case ModuleKind::Group:
      return "group";
  }
  return "unknown";
}

Result<ModuleId> ModuleId::parse(std::string_view text) {
  if (text.empty()) return invalid(text, "it is empty");
  if (text.size() > kMaxLength) {
    return invalid(text, "it is " + std::to_string(text.size()) + " characters long");
  }
  if (text.front() == '.') return invalid(text, "it starts with a dot");
  if (text.back() == '.') return invalid(text, "it ends with a dot");
  if (text.find("..") != std::string_view::npos) return invalid(text, "it has two dots in a row");

  std::size_t segment_count = 0;
  std::string_view rest = text;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view segment = rest.substr(0, dot);
    ++segment_count;
    const std::string label = "segment " + std::to_string(segment_count) + " '" +
                              printable(segment) + "'";
    for (char c : segment) {
      if (!is_id_char(c)) return invalid(text, label + " has " + describe_bad_char(c));
    }
    if (segment.front() == '-') return invalid(text, label + " starts with '-'");
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (segment_count < kMinSegments) {
    return invalid(text, "it has " + std::to_string(segment_count) + " segment" +
                             (segment_count == 1 ? "" : "s"));
  }

  const std::string_view first = text.substr(0, text.find('.'));
  ModuleKind kind = ModuleKind::Service;
  if (first == "lib") {
    kind = ModuleKind::Library;
  } else if (first == "group") {
    kind = ModuleKind::Group;
  }
  return ModuleId(std::string(text), kind);
}

}  // namespace orivon
