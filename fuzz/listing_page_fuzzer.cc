// Fuzzes how `orivon list` reads a page of the host's reply without parsing
// it whole (tools/orivon/host/listing_page.cc): the reply comes over the
// control socket, so the reader must stay within the text whatever it holds.
//
// Input: a reply line.
// Properties:
//   - listing_items and pick_members return or refuse; they never read
//     outside the input (ASan) or loop;
//   - every item listing_items cuts lies inside the input and is an object's
//     text, '{' to '}';
//   - when nlohmann parses the whole line, the items are exactly the parsed
//     result's elements;
//   - pick_members of the whole input, when nlohmann reads the input as an
//     object and no key in it is escaped, gives each wanted member's value as
//     nlohmann parsed it, and only wanted ones.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "host/listing_page.h"

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

  constexpr std::string_view kWanted[] = {"id", "state", "size_bytes"};
  auto picked = orivon::cli::pick_members(line, kWanted);
  if (picked && !whole.is_discarded() && whole.is_object() &&
      line.find('\\') == std::string_view::npos) {
    for (const auto& [key, value] : picked->items()) {
      auto it = whole.find(key);
      if (it == whole.end() || *it != value) fail("a picked member is the parsed one", printable(line));
    }
    for (std::string_view key : kWanted) {
      if (whole.contains(key) != picked->contains(key)) {
        fail("every wanted member is picked", printable(line));
      }
    }
    if (picked->size() > std::size(kWanted)) fail("only wanted members", printable(line));
  }
  return 0;
}
