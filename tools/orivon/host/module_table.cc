#include "host/module_table.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "host/listing_page.h"

namespace orivon::cli {

std::string size_text(std::uint64_t bytes) {
  char out[32];
  if (bytes < 1024) {
    std::snprintf(out, sizeof out, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < (std::uint64_t{1} << 20)) {
    std::snprintf(out, sizeof out, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else if (bytes < (std::uint64_t{1} << 30)) {
    std::snprintf(out, sizeof out, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  } else {
    std::snprintf(out, sizeof out, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  }
  return out;
}

ModuleTable::ModuleTable() {
  constexpr std::string_view kHeader[kColumns] = {"ID",       "KIND",  "TYPE",  "VERSION", "STATE",
                                                  "UPTIME",   "RESTARTS", "CALLS", "TRAPS", "SIZE"};
  add_row(kHeader);
}

bool ModuleTable::add(std::string_view module) {
  // The members shown, by where their value goes; the others are skipped
  // unread (a module's JSON has some 30).
  enum Member { Id, Kind, ProgramKind, Version, State, Autostart, Uptime, Restarts, Calls, Traps,
                Size, kMembers };
  static constexpr std::pair<std::string_view, Member> kMembersByKey[] = {
      {"id", Id},           {"kind", Kind},         {"program_kind", ProgramKind},
      {"version", Version}, {"state", State},       {"autostart", Autostart},
      {"uptime_ms", Uptime}, {"restarts", Restarts}, {"calls", Calls},
      {"traps", Traps},     {"size_bytes", Size}};
  std::array<std::string_view, kMembers> values{};
  const bool whole = for_each_member(module, [&](std::string_view key, std::string_view value) {
    for (const auto& [name, member] : kMembersByKey) {
      if (key == name) {
        values[member] = value;
        break;
      }
    }
    return true;
  });
  if (!whole) return false;

  // Each shown value read as JSON: a string's text (a view when it has no
  // escapes), a number, or nothing for another type, as `inspect` reads them.
  std::array<std::string, kMembers> decoded;
  std::array<std::string_view, kMembers> text{};
  std::array<std::uint64_t, kMembers> number{};
  bool yes = false;
  for (std::size_t m = 0; m < kMembers; ++m) {
    if (values[m].empty()) continue;
    if (auto plain = plain_string(values[m])) {
      text[m] = *plain;
      continue;
    }
    const auto value = parse_json_value(values[m]);
    if (value.is_discarded()) return false;
    if (value.is_string()) {
      decoded[m] = value.get<std::string>();
      text[m] = decoded[m];
    } else if (value.is_number_unsigned()) {
      number[m] = value.get<std::uint64_t>();
    } else if (m == Autostart && value.is_boolean()) {
      yes = value.get<bool>();
    }
  }

  std::string state(text[State]);
  if (yes && state != "running") state += " (autostart)";
  char uptime[32] = "-";
  if (const std::uint64_t seconds = number[Uptime] / 1000; number[Uptime] > 0) {
    std::snprintf(uptime, sizeof uptime, "%lluh%02llum%02llus",
                  static_cast<unsigned long long>(seconds / 3600),
                  static_cast<unsigned long long>(seconds / 60 % 60),
                  static_cast<unsigned long long>(seconds % 60));
  }
  const std::string restarts = std::to_string(number[Restarts]);
  const std::string calls = std::to_string(number[Calls]);
  const std::string traps = std::to_string(number[Traps]);
  const std::string size = size_text(number[Size]);
  const std::string_view cells[kColumns] = {
      text[Id], text[Kind], text[ProgramKind], text[Version].empty() ? "-" : text[Version],
      state,    uptime,     restarts,          calls,
      traps,    size};
  add_row(cells);
  return true;
}

void ModuleTable::add_row(std::span<const std::string_view, kColumns> cells) {
  for (std::size_t i = 0; i < kColumns; ++i) {
    text_ += cells[i];
    ends_.push_back(text_.size());
    widths_[i] = std::max(widths_[i], cells[i].size());
  }
}

void ModuleTable::print(std::ostream& out) const {
  if (size() == 0) {
    out << "no modules installed\n";
    return;
  }
  std::string lines;
  std::size_t begin = 0;
  for (std::size_t cell = 0; cell < ends_.size(); ++cell) {
    const std::size_t column = cell % kColumns;
    const std::size_t length = ends_[cell] - begin;
    lines.append(text_, begin, length);
    if (column + 1 < kColumns) {
      lines.append(widths_[column] - length + 2, ' ');
    } else {
      lines += '\n';
      if (lines.size() >= 64 * 1024) {
        out << lines;
        lines.clear();
      }
    }
    begin = ends_[cell];
  }
  out << lines;
}

}  // namespace orivon::cli
