#pragma once

// Region and global buckets: JetStream key-value buckets on the host's NATS
// server, shared by every host with the same subject prefix (README "Several
// hosts"). Bucket NAME is the JetStream bucket `<prefix, '.' as '_'>_NAME`
// (stream KV_<that>), created with history 1; its scope is written in the
// stream's description. JetStream itself is the record of which buckets
// exist: a host finds a bucket another host created at its first use, and
// keeps the handle.
//
// An entry's version is its JetStream revision (the stream sequence of its
// last write), so compare-and-swap is a publish that expects that revision.
// A removal purges the key's messages (no delete marker is kept), so a
// removed key is absent to a create-if-absent and counts neither as a key
// nor as bytes.
//
// Differences from a local bucket, each refused or said where it shows:
// no per-key time-to-live (JetStream 2.9 ages a whole bucket only); batches
// are written key by key, not in one transaction; listing keys reads every
// key of the bucket (JetStream keeps no key order). A key that is not a
// JetStream key (see encode_key) is stored encoded and listed decoded.
//
// Every call that reaches the server fails at once with Unavailable while
// the link is down. No lock is held during a call to the server.
// Owned by the KvStore; thread-safe.

#include <nats/nats.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/nats_link.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/kv.h"
#include "orivon/result.h"

namespace orivon::kv {

struct SetOptions;
struct SetOutcome;
struct KeyPage;

// A key as JetStream stores it: unchanged when it is made of
// [A-Za-z0-9_/-.] without a leading, trailing or doubled '.', else '='
// followed by its bytes in unpadded base64url (no JetStream key of the
// first kind starts with '=', so the two never meet).
std::string encode_key(std::string_view key);
// The key encode_key() made `stored` from; nullopt for a stored key no
// orivon host wrote (an '=' key that is not base64url).
std::optional<std::string> decode_key(std::string_view stored);

class JetStreamBuckets {
 public:
  explicit JetStreamBuckets(std::shared_ptr<cluster::NatsLink> link);
  ~JetStreamBuckets();
  JetStreamBuckets(const JetStreamBuckets&) = delete;
  JetStreamBuckets& operator=(const JetStreamBuckets&) = delete;

  // The JetStream bucket that holds bucket `name` ("orivon_visits").
  std::string stream_bucket(std::string_view name) const;

  // Creates the JetStream bucket. AlreadyExists if it exists (whoever made
  // it). A value limit above what the server takes in one message is
  // lowered to it (the returned info says so).
  Result<BucketInfo> create(std::string_view name, Scope scope, const BucketLimits& limits);
  // Deletes the bucket and its keys, for every host.
  Result<void> drop(std::string_view name);
  // Whether the bucket exists (asking the server the first time).
  // NotFound when it does not, Unavailable when the server is away.
  Result<void> find(std::string_view name);
  Result<BucketInfo> info(std::string_view name);
  // Every bucket under this host's prefix.
  Result<std::vector<BucketInfo>> list();
  // The buckets this host has used, as they were when it found them (for a
  // listing while the server is away).
  std::vector<BucketInfo> known() const;

  Result<std::optional<Entry>> get(std::string_view name, std::string_view key);
  Result<SetOutcome> set(std::string_view name, std::string_view key,
                         std::span<const std::byte> value, const SetOptions& options);
  Result<bool> remove(std::string_view name, std::string_view key);
  Result<bool> contains(std::string_view name, std::string_view key);
  Result<KeyPage> keys(std::string_view name, std::string_view prefix,
                       std::optional<std::string_view> cursor, std::size_t limit);
  // A compare-and-swap loop on the key's revision.
  Result<std::int64_t> increment(std::string_view name, std::string_view key, std::int64_t delta,
                                 bool non_negative);
  // Key by key; on a failure, the error says how many were written.
  Result<void> set_many(std::string_view name,
                        std::span<const std::pair<std::string, std::vector<std::byte>>> pairs);
  Result<void> remove_many(std::string_view name, std::span<const std::string> keys);

 private:
  struct KvStoreDeleter {
    void operator()(kvStore* store) const { kvStore_Destroy(store); }
  };
  // One bucket this host has used: libnats's handle (thread-safe) and what
  // the stream said of it when found.
  struct Bucket {
    std::string name;
    std::string subject_prefix;  // "$KV.<stream bucket>."
    std::string stream;          // "KV_<stream bucket>"
    std::unique_ptr<kvStore, KvStoreDeleter> handle;
    BucketInfo info;
  };
  // The last message of a key, delete markers included.
  struct Last {
    bool live = false;
    std::uint64_t revision = 0;  // 0: no message at all
    std::vector<std::byte> value;
  };
  enum class Expect { Anything, Absent, Revision };

  Result<void> check_connected(std::string_view what) const;
  Result<std::shared_ptr<const Bucket>> bucket(std::string_view name);
  Result<Last> last(const Bucket& bucket, const std::string& stored_key);
  // Publishes `value`; nullopt when the expectation did not hold.
  Result<std::optional<std::uint64_t>> publish(const Bucket& bucket, const std::string& stored_key,
                                               std::span<const std::byte> value, Expect expect,
                                               std::uint64_t revision);
  Result<void> purge(const Bucket& bucket, const std::string& stored_key);
  Result<void> check_value(const Bucket& bucket, std::span<const std::byte> value) const;
  void forget(std::string_view name);

  // Shared with the runtime and the event bus; outlives every handle here.
  const std::shared_ptr<cluster::NatsLink> link_;
  const std::string bucket_prefix_;  // "<prefix, '.' as '_'>_"
  mutable Mutex mutex_;
  std::map<std::string, std::shared_ptr<const Bucket>, std::less<>> buckets_
      ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::kv
