#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace orivon {

// SHA-256 of `bytes` as 64 lowercase hex digits (OpenSSL's implementation).
std::string sha256_hex(std::span<const std::byte> bytes);

}  // namespace orivon
