#include "registry/toml_nesting.h"

#include <algorithm>
#include <vector>

#include "orivon/manifest.h"

namespace orivon::registry {
namespace {

bool is_structural(char c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '#': case '"': case '\'':
    case '.': case '=': case ',': case '[': case ']': case '{': case '}':
      return true;
    default:
      return false;
  }
}

// The index just past the string that starts at `i` (any of TOML's four
// kinds). An unterminated string runs to the end of its line, or of the text
// for a multi-line one; toml++ refuses it later either way.
std::size_t skip_string(std::string_view text, std::size_t i) {
  const char quote = text[i];
  const bool basic = quote == '"';
  const std::string_view triple = basic ? R"(""")" : "'''";
  std::size_t j;
  if (text.substr(i, 3) == triple) {
    const auto end = [&](std::size_t from) {
      for (std::size_t k = from; k < text.size(); ++k) {
        if (basic && text[k] == '\\') {
          ++k;
        } else if (text.substr(k, 3) == triple) {
          return k + 3;
        }
      }
      return text.size();
    };
    j = end(i + 3);
    // A closing delimiter may be preceded by up to two more quotes that
    // belong to the string ("""ab""""" ends in two quote characters).
    for (int extra = 0; extra < 2 && j < text.size() && text[j] == quote; ++extra) ++j;
    return j;
  }
  for (j = i + 1; j < text.size() && text[j] != '\n'; ++j) {
    if (basic && text[j] == '\\') {
      ++j;
    } else if (text[j] == quote) {
      return j + 1;
    }
  }
  return j;
}

}  // namespace

std::size_t toml_nesting_depth(std::string_view text, std::size_t stop_above) {
  std::size_t deepest = 0;
  std::size_t table_depth = 0;      // levels of the current [header] or [[header]]
  std::vector<std::size_t> open;    // levels each open '[' value or '{' adds
  std::size_t open_levels = 0;      // their sum
  std::size_t chain = 0;            // segments of the dotted chain being read
  bool after_dot = false;           // the last token was a '.' continuing it
  std::size_t value_of = 0;         // segments of the key whose '=' came last
  bool line_start = true;           // only blanks since a top-level newline
  bool in_header = false;
  bool array_header = false;

  const auto reaches = [&](std::size_t depth) {
    deepest = std::max(deepest, depth);
    return deepest > stop_above;
  };
  const auto end_chain = [&] {
    chain = 0;
    after_dot = false;
  };
  const auto segment = [&] {  // a bare word or a string: one key segment
    chain = after_dot && chain > 0 ? chain + 1 : 1;
    after_dot = false;
    value_of = 0;
    line_start = false;
  };

  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    switch (c) {
      case '"':
      case '\'':
        i = skip_string(text, i);
        segment();
        continue;
      case '#':
        while (i < text.size() && text[i] != '\n') ++i;
        continue;
      case '\n':
        if (open.empty() && !in_header) line_start = true;
        end_chain();
        value_of = 0;
        ++i;
        continue;
      case ' ':
      case '\t':
      case '\r':
        ++i;
        continue;
      case '.':
        after_dot = chain > 0;
        line_start = false;
        ++i;
        continue;
      case '=': {
        const std::size_t key = chain > 0 ? chain : 1;
        if (reaches(table_depth + open_levels + key)) return deepest;
        value_of = key;
        end_chain();
        line_start = false;
        ++i;
        continue;
      }
      case ',':
        end_chain();
        value_of = 0;
        ++i;
        continue;
      case '[':
        if (line_start && open.empty()) {
          in_header = true;
          array_header = i + 1 < text.size() && text[i + 1] == '[';
          i += array_header ? 2 : 1;
          end_chain();
          line_start = false;
          continue;
        }
        [[fallthrough]];
      case '{': {
        const std::size_t levels = value_of + 1;
        open.push_back(levels);
        open_levels += levels;
        value_of = 0;
        end_chain();
        line_start = false;
        ++i;
        if (reaches(table_depth + open_levels)) return deepest;
        continue;
      }
      case ']':
        if (in_header) {
          table_depth = (chain > 0 ? chain : 1) + (array_header ? 1 : 0);
          if (array_header && i + 1 < text.size() && text[i + 1] == ']') ++i;
          in_header = false;
          end_chain();
          ++i;
          if (reaches(table_depth)) return deepest;
          continue;
        }
        [[fallthrough]];
      case '}':
        if (!open.empty()) {
          open_levels -= open.back();
          open.pop_back();
        }
        end_chain();
        value_of = 0;
        ++i;
        continue;
      default:
        while (i < text.size() && !is_structural(text[i])) ++i;
        segment();
        continue;
    }
  }
  return deepest;
}

}  // namespace orivon::registry

namespace orivon {

std::size_t toml_nesting_depth(std::string_view text, std::size_t stop_above) {
  return registry::toml_nesting_depth(text, stop_above);
}

}  // namespace orivon
