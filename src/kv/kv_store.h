#pragma once

// The key-value store behind wasi:keyvalue, `orivon kv` and Runtime's kv_*
// calls: named buckets and one private bucket per module, in a SQLite
// database of its own (kv.db in the state directory, WAL). Every write is
// committed before the call returns (one statement; a batch, one
// transaction): a write acknowledged
// to a guest survives a SIGKILL of the host (and, with Sync::Full, a power
// loss).
//
// Recently read values are kept in memory (a few thousand, a few MiB), so
// a hot get reads no SQLite page; every write drops the key's copy.
//
// Region and global buckets, with a NATS link, are JetStream key-value
// buckets (kv/jetstream_buckets.h): a named bucket this host does not keep
// is looked for there. Their operations never take this store's mutex
// while they wait on the server, so local buckets go on while NATS is slow
// or away.
//
// Owned by the runtime; shared by every store through the key-value host.
// Thread-safe: one mutex serializes every operation on the one connection,
// which also makes increment and compare-and-swap atomic.

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/ids.h"
#include "orivon/kv.h"
#include "orivon/result.h"

namespace orivon::cluster {
class NatsLink;
}

namespace orivon::kv {

class JetStreamBuckets;

// What identifies a bucket in the store: a named bucket ("visits") or a
// module's private one. The private bucket's storage name starts with '@',
// which no bucket name may, so the two never collide.
class BucketRef {
 public:
  static BucketRef named(std::string name) { return BucketRef(std::move(name)); }
  static BucketRef private_of(const ModuleId& module) { return BucketRef("@" + module.str()); }

  const std::string& storage_name() const { return name_; }
  bool is_private() const { return !name_.empty() && name_.front() == '@'; }
  // For messages: "bucket 'visits'" or "the private bucket of 'a.b.c'".
  std::string describe() const;

 private:
  explicit BucketRef(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

struct KvOptions {
  KvSync sync = KvSync::Normal;  // SQLite's `synchronous` in WAL mode: NORMAL or FULL
  // Limits for buckets created without their own, and for private buckets.
  BucketLimits default_limits;
  // Wall-clock milliseconds since the epoch, for time-to-live.
  std::function<std::int64_t()> now_ms;
  // The host's link to NATS: region and global buckets live there. None:
  // they are refused.
  std::shared_ptr<cluster::NatsLink> link;
};

// What set() was asked to check and do besides writing.
struct SetOptions {
  std::optional<std::chrono::milliseconds> ttl;  // none: no expiry
  bool if_absent = false;                        // write only when the key is absent
  std::optional<std::uint64_t> if_version;       // write only when the key has this version
};

// A write's outcome: written with `version`, or not written because a
// condition did not hold.
struct SetOutcome {
  bool written = false;
  std::uint64_t version = 0;
};

// One page of keys in key order; `cursor` (the last key) continues after it.
struct KeyPage {
  std::vector<std::string> keys;
  std::optional<std::string> cursor;
};

class KvStore {
 public:
  // Opens (creating) `path`.
  static Result<std::unique_ptr<KvStore>> open(const std::filesystem::path& path,
                                               KvOptions options = {});
  ~KvStore();

  // Named buckets. InvalidArgument for a bad name, AlreadyExists, NotFound.
  // A region or global bucket is a JetStream bucket, made on the NATS server
  // (Unavailable while it is away); without a link it is refused
  // (FailedPrecondition).
  Result<BucketInfo> create_bucket(std::string_view name, Scope scope, BucketLimits limits);
  // The limits of private buckets, and of named buckets made without their own.
  const BucketLimits& default_limits() const { return options_.default_limits; }
  Result<void> drop_bucket(std::string_view name);  // and every key in it
  Result<std::vector<BucketInfo>> buckets();
  Result<BucketInfo> bucket_info(const BucketRef& bucket);
  // Whether a named bucket exists (private buckets always do). A region or
  // global bucket that cannot be looked up now (NATS away) does not.
  bool exists(const BucketRef& bucket);

  // Each operation fails with NotFound when a named bucket does not exist
  // (or was dropped), InvalidArgument for a key or value over the limits,
  // ResourceExhausted past the bucket's quota.
  Result<std::optional<Entry>> get(const BucketRef& bucket, std::string_view key);
  Result<SetOutcome> set(const BucketRef& bucket, std::string_view key,
                         std::span<const std::byte> value, const SetOptions& options = {});
  // Whether the key existed.
  Result<bool> remove(const BucketRef& bucket, std::string_view key);
  Result<bool> contains(const BucketRef& bucket, std::string_view key);
  // Keys starting with `prefix` after `cursor`, at most `limit`.
  Result<KeyPage> keys(const BucketRef& bucket, std::string_view prefix,
                       std::optional<std::string_view> cursor, std::size_t limit);
  // Adds `delta` to the key's value, a decimal integer (absent counts as 0),
  // and returns the sum. InvalidArgument when the value is not an integer,
  // OutOfRange on overflow.
  // With Sum::NonNegative a sum below zero is refused the same way (for
  // callers whose values are unsigned), and nothing is written.
  enum class Sum { Signed, NonNegative };
  Result<std::int64_t> increment(const BucketRef& bucket, std::string_view key,
                                 std::int64_t delta, Sum sum = Sum::Signed);
  // Writes every pair in one transaction: all or none. In a region or
  // global bucket, key by key: a failure leaves the keys before it written
  // (the error says how many).
  Result<void> set_many(const BucketRef& bucket,
                        std::span<const std::pair<std::string, std::vector<std::byte>>> pairs);
  Result<void> remove_many(const BucketRef& bucket, std::span<const std::string> keys);

  // Deletes up to `limit` expired keys; returns how many. Writes call it
  // now and then, so expired keys do not pile up.
  Result<std::size_t> sweep_expired(std::size_t limit);

 private:
  struct Statements;
  struct BucketState {
    BucketInfo info;
  };
  KvStore(KvOptions options);

  // The region or global bucket `bucket` names: its name, or none when it
  // is a local bucket (or a private one, or there is no link).
  std::optional<std::string> remote_name(const BucketRef& bucket);

  Result<BucketState*> find_locked(const BucketRef& bucket) ORIVON_REQUIRES(mutex_);
  Result<void> check_key(std::string_view key) const;
  Result<void> check_value(const BucketState& bucket, std::span<const std::byte> value) const;
  // The live entry's size and version, if any (expired entries count as
  // absent, but their bytes are still stored).
  struct Stored {
    bool present = false;  // a row exists (maybe expired)
    bool live = false;     // and has not expired
    std::uint64_t bytes = 0;
    std::uint64_t version = 0;
    std::vector<std::byte> value;
  };
  Result<Stored> read_locked(const std::string& bucket, std::string_view key, bool with_value)
      ORIVON_REQUIRES(mutex_);
  Result<std::uint64_t> write_locked(BucketState& bucket, std::string_view key,
                                     std::span<const std::byte> value,
                                     std::optional<std::int64_t> expires_at, const Stored* before)
      ORIVON_REQUIRES(mutex_);
  Result<void> erase_locked(BucketState& bucket, std::string_view key, const Stored& before)
      ORIVON_REQUIRES(mutex_);
  // Undoes a failed write's changes to `state` (the transaction rolled back).
  void restore_locked(BucketState& state, BucketState saved) ORIVON_REQUIRES(mutex_);
  Result<std::size_t> sweep_locked(std::size_t limit) ORIVON_REQUIRES(mutex_);
  void maybe_sweep_locked() ORIVON_REQUIRES(mutex_);
  std::int64_t now_ms() const;
  static std::string cache_key(std::string_view bucket, std::string_view key);
  void forget_locked(std::string_view bucket, std::string_view key) ORIVON_REQUIRES(mutex_);
  void remember_locked(std::string key, const Entry& entry) ORIVON_REQUIRES(mutex_);

  KvOptions options_;
  // With a link: region and global buckets. Thread-safe on its own.
  std::unique_ptr<JetStreamBuckets> remote_;
  Mutex mutex_;
  std::unique_ptr<Statements> sql_ ORIVON_GUARDED_BY(mutex_);
  std::map<std::string, BucketState, std::less<>> buckets_ ORIVON_GUARDED_BY(mutex_);
  std::uint64_t next_version_ ORIVON_GUARDED_BY(mutex_) = 1;
  // Versions below this one are reserved in the database (see kVersionBlock).
  std::uint64_t reserved_until_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::uint64_t writes_ ORIVON_GUARDED_BY(mutex_) = 0;
  // Recently read entries by cache_key(); see kCacheEntries in the .cc.
  std::unordered_map<std::string, Entry> cache_ ORIVON_GUARDED_BY(mutex_);
  std::size_t cache_bytes_ ORIVON_GUARDED_BY(mutex_) = 0;
};

}  // namespace orivon::kv
