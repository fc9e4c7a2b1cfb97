#include "orivon/units.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace orivon {
namespace {

// Splits a leading run of digits off `text` into `number`; false on no digits
// or overflow.
bool take_number(std::string_view& text, std::uint64_t& number) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc() || ptr == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  return true;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool checked_multiply_add(std::uint64_t a, std::uint64_t b, std::uint64_t& total) {
  if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) return false;
  std::uint64_t product = a * b;
  if (product > std::numeric_limits<std::uint64_t>::max() - total) return false;
  total += product;
  return true;
}

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorCode::InvalidArgument,
                 "invalid duration '" + std::string(text) +
                     "': expected a number with a unit (ns, us, ms, s, m, h), like 500ms or 1m30s");
  };
  std::string_view rest = text;
  std::uint64_t total_ns = 0;
  int parts = 0;
  while (!rest.empty()) {
    std::uint64_t number = 0;
    if (!take_number(rest, number)) return bad();
    std::size_t unit_length = 0;
    while (unit_length < rest.size() && std::isalpha(static_cast<unsigned char>(rest[unit_length]))) {
      ++unit_length;
    }
    std::string unit = lower(rest.substr(0, unit_length));
    rest.remove_prefix(unit_length);
    std::uint64_t scale = 0;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us") {
      scale = 1'000;
    } else if (unit == "ms") {
      scale = 1'000'000;
    } else if (unit == "s" || (unit.empty() && parts == 0 && rest.empty())) {
      scale = 1'000'000'000;
    } else if (unit == "m") {
      scale = 60'000'000'000;
    } else if (unit == "h") {
      scale = 3'600'000'000'000;
    } else {
      return bad();
    }
    if (!checked_multiply_add(number, scale, total_ns) ||
        total_ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Error(ErrorCode::InvalidArgument, "duration '" + std::string(text) + "' is too long");
    }
    ++parts;
  }
  if (parts == 0) return bad();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total_ns));
}

Result<std::uint64_t> parse_size(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorCode::InvalidArgument,
                 "invalid size '" + std::string(text) +
                     "': expected a number with an optional unit (B, KiB, MiB, GiB, TiB), like 64MiB");
  };
  std::string_view rest = text;
  std::uint64_t number = 0;
  if (!take_number(rest, number)) return bad();
  std::string unit = lower(rest);
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "b") {
    scale = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    scale = 1ull << 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    scale = 1ull << 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    scale = 1ull << 30;
  } else if (unit == "t" || unit == "tb" || unit == "tib") {
    scale = 1ull << 40;
  } else {
    return bad();
  }
  std::uint64_t total = 0;
  if (!checked_multiply_add(number, scale, total)) {
    return Error(ErrorCode::InvalidArgument, "size '" + std::string(text) + "' is too large");
  }
  return total;
}

Result<std::uint64_t> parse_count(std::string_view text) {
  std::string_view rest = text;
  std::uint64_t number = 0;
  if (!take_number(rest, number) || !rest.empty()) {
    return Error(ErrorCode::InvalidArgument,
                 "invalid count '" + std::string(text) + "': expected a non-negative whole number");
  }
  return number;
}

std::string format_count(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace orivon
