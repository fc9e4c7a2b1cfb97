#pragma once

/// \file
/// Key-value buckets: what Runtime's kv_* calls and `orivon kv` take and
/// return. Guests reach the same buckets through wasi:keyvalue.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/export.h"
#include "orivon/result.h"

namespace orivon {

/// How each key-value commit reaches the disk. Either way a write is
/// committed before it is acknowledged, so it survives a crash of the host
/// process; only Full also survives a power loss (an fsync per commit).
enum class KvSync { Normal, Full };

/// Where a bucket's data lives: this host's kv.db (Local), or a JetStream
/// key-value bucket on the NATS server the host was given (Region, Global:
/// shared by every host on that server; refused without one). JetStream on
/// one server does not tell the two apart: the scope is a label.
enum class Scope { Local, Region, Global };

ORIVON_API std::string_view scope_name(Scope scope);
/// "local", "region" or "global"; InvalidArgument otherwise.
[[nodiscard]] ORIVON_API Result<Scope> parse_scope(std::string_view text);

/// What one bucket may hold. A write past a limit fails with a clear error
/// and changes nothing.
struct BucketLimits {
  std::uint64_t max_value_bytes = 1 << 20;         ///< per value (1 MiB)
  std::uint64_t max_keys = 1'000'000;              ///< keys in the bucket
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  ///< keys and values in the bucket (1 GiB)
  friend bool operator==(const BucketLimits&, const BucketLimits&) = default;
};

/// Longest key, in bytes (UTF-8), in every bucket.
inline constexpr std::size_t kMaxKeyBytes = 1024;

struct BucketInfo {
  std::string name;  ///< a bucket name, or "@MODULE-ID" for a module's private bucket
  Scope scope = Scope::Local;
  BucketLimits limits;
  std::uint64_t keys = 0;   ///< stored keys (expired ones until they are swept)
  std::uint64_t bytes = 0;  ///< their keys' and values' bytes
};

/// One stored value with its version: a number that changes on every write
/// of the key, usable for compare-and-swap.
struct Entry {
  std::vector<std::byte> value;
  std::uint64_t version = 0;
  std::optional<std::int64_t> expires_at_ms;  ///< wall-clock ms since the epoch
};

/// One page of a bucket's keys, in key order. `next`, when set, is the
/// cursor that continues after the last key.
struct KeyList {
  std::vector<std::string> keys;
  std::optional<std::string> next;
};

}  // namespace orivon
