#pragma once

// Standard base64 (RFC 4648, with padding): how key-value values, which are
// bytes, travel in the control socket's JSON.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orivon::cli {

std::string base64_encode(std::span<const std::byte> bytes);
// Empty for text that is not base64.
std::optional<std::vector<std::byte>> base64_decode(std::string_view text);

}  // namespace orivon::cli
