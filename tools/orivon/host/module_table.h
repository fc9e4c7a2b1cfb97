#pragma once

// The table `orivon list` prints, built from each module's JSON text as the
// host's reply holds it, and the byte sizes orivon's tables show.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orivon::cli {

// "512 B", "58.3 KiB", "1.2 MiB", "3.0 GiB".
std::string size_text(std::uint64_t bytes);

// A table of modules, one line each, with a header, built a page at a time
// from each module's JSON text: a row keeps only the text it shows.
class ModuleTable {
 public:
  ModuleTable();
  // Adds the row of `module`, a module's JSON object as `list` replies hold
  // it. false, adding nothing, when it is not an object or a member the
  // table shows is not valid JSON.
  bool add(std::string_view module);
  std::size_t size() const { return ends_.size() / kColumns - 1; }
  void print(std::ostream& out) const;

 private:
  static constexpr std::size_t kColumns = 10;
  void add_row(std::span<const std::string_view, kColumns> cells);

  std::string text_;                // every cell's text, one after another
  std::vector<std::size_t> ends_;   // where each cell ends in text_; the header first
  std::array<std::size_t, kColumns> widths_{};
};

}  // namespace orivon::cli
