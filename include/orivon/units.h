#pragma once

/// \file
/// Parsers for the human units orivon accepts on its command line and in
/// manifests: durations ("250ms", "2s", "1m30s"), sizes ("64MiB", "1G") and
/// counts ("1000000").

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "orivon/export.h"
#include "orivon/result.h"

namespace orivon {

/// Parses a duration: one or more <number><unit> parts with units ns, us, ms,
/// s, m, h ("1m30s"). A bare number is seconds. Fails with InvalidArgument on
/// anything else, on zero parts, or on overflow.
ORIVON_API Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Parses a byte size: <number>[unit] with units B, K/KB/KiB, M/MB/MiB,
/// G/GB/GiB, T/TB/TiB, all binary (1K = 1024), case-insensitive. Fails with
/// InvalidArgument on anything else or on overflow.
ORIVON_API Result<std::uint64_t> parse_size(std::string_view text);

/// Parses a plain non-negative decimal count ("1000000"): digits only, no
/// sign, no unit. Fails with InvalidArgument on anything else or on overflow.
ORIVON_API Result<std::uint64_t> parse_count(std::string_view text);

/// A count with thousands separators for people to read: 62254 -> "62,254".
ORIVON_API std::string format_count(std::uint64_t value);

}  // namespace orivon
