// Fuzzes how `orivon list` reads a page of the host's reply without parsing
// it whole (tools/orivon/host/listing_page.cc) and makes its table
// (module_table.cc): the reply comes over the control socket, so the reader
// must stay within the text whatever it holds.
//
// Input: a reply line.
// Properties:
//   - listing_items, for_each_member and ModuleTable::add return or refuse;
//     they never read outside the input (ASan) or loop;
//   - every item listing_items cuts lies inside the input and is an object's
//     text, '{' to '}';
//   - when nlohmann parses the whole line, the items are exactly the parsed
//     result's elements;
//   - for_each_member of the whole input, when nlohmann reads the input as
//     an object and no key in it is escaped, visits each member once, and
//     parse_json_value reads each value as nlohmann parsed it;
//   - ModuleTable::add takes every object nlohmann reads, and adds a row
//     exactly when it says it took one.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "host/listing_page.h"
#include "host/module_table.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orivon::fuzz;
  const std::string_view line = as_text(data, size);
  const auto whole = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);

  if (auto items = orivon::cli::listing_items(line)) {
    for (std::string_view item : *items) {
      if (item.data() < line.data() || item.data() + item.size() > line.data() + line.size()) {
        fail("an item lies inside the line", printable(line));
      }
      if (item.size() < 2 || item.front() != '{' || item.back() != '}') {
        fail("an item is an object's text", printable(item));
      }
    }
    if (!whole.is_discarded()) {
      const auto& result = whole.at("result");
      if (result.size() != items->size()) fail("as many items as elements", printable(line));
      for (std::size_t i = 0; i < items->size(); ++i) {
        if (nlohmann::json::parse((*items)[i]) != result[i]) {
          fail("each item is its element", printable((*items)[i]));
        }
      }
    }
  }

  nlohmann::json members = nlohmann::json::object();
  std::size_t visits = 0;
  const bool whole_object = orivon::cli::for_each_member(
      line, [&](std::string_view key, std::string_view value) {
        if (key.data() < line.data() || value.data() + value.size() > line.data() + line.size()) {
          fail("a member lies inside the line", printable(line));
        }
        ++visits;
        auto parsed = orivon::cli::parse_json_value(value);
        if (!parsed.is_discarded()) members[std::string(key)] = std::move(parsed);
        return true;
      });
  if (whole_object && !whole.is_discarded() && whole.is_object() &&
      line.find('\\') == std::string_view::npos) {
    // nlohmann keeps the last of repeated keys, as the assignment above does.
    if (members != whole) fail("each member is the parsed one", printable(line));
    if (visits < whole.size()) fail("every member is visited", printable(line));
  }

  orivon::cli::ModuleTable table;
  const bool added = table.add(line);
  if (table.size() != (added ? 1u : 0u)) fail("a row exactly when added", printable(line));
  // (nlohmann also skips a byte-order mark, which no host writes.)
  if (!whole.is_discarded() && whole.is_object() && !line.starts_with("\xEF\xBB\xBF") && !added) {
    fail("every object nlohmann reads is added", printable(line));
  }
  return 0;
}
