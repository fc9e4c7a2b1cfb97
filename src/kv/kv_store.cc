#include "kv/kv_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "kv/jetstream_buckets.h"
#include "orivon/grants.h"
#include "registry/sqlite_handle.h"

namespace orivon {

std::string_view scope_name(Scope scope) {
  switch (scope) {
    case Scope::Local: return "local";
    case Scope::Region: return "region";
    case Scope::Global: return "global";
  }
  return "local";
}

Result<Scope> parse_scope(std::string_view text) {
  if (text == "local") return Scope::Local;
  if (text == "region") return Scope::Region;
  if (text == "global") return Scope::Global;
  return Error(ErrorCode::InvalidArgument,
               "'" + std::string(text) + "' is not a scope; expected local, region or global");
}

}  // namespace orivon

namespace orivon::kv {

using registry::Database;
using registry::Statement;
using registry::Transaction;

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS buckets (
  name TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  max_value_bytes INTEGER NOT NULL,
  max_keys INTEGER NOT NULL,
  max_bytes INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS entries (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  version INTEGER NOT NULL,
  expires_at INTEGER,
  prev_bytes INTEGER,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID, STRICT;
CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
)sql";

// Versions are handed out from memory and reserved in the database this
// many at a time, so a write does not also update a counter row, and a
// version is never handed out twice, even across a crash.
constexpr std::uint64_t kVersionBlock = 1024;

// The read cache: recently read values, so a hot get costs no SQLite
// lookup. Every write goes through this store and drops the key's entry.
constexpr std::size_t kCacheEntries = 4096;
constexpr std::size_t kCacheBytes = 8 << 20;
constexpr std::size_t kCacheMaxValueBytes = 64 << 10;

// Expired keys are swept every this many writes, this many at a time.
constexpr std::uint64_t kSweepEvery = 256;
constexpr std::size_t kSweepBatch = 256;

std::int64_t to_int64(std::uint64_t value) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, INT64_MAX));
}

std::span<const std::byte> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// Resets a cached statement when leaving scope, so it never holds a read
// transaction open (which would keep WAL checkpoints from finishing).
struct ResetOnExit {
  Statement& statement;
  ~ResetOnExit() { statement.reset(); }
};

Error no_bucket(const BucketRef& bucket) {
  return Error(ErrorCode::NotFound,
               "no " + bucket.describe() + ": create it with 'orivon kv create NAME'");
}

}  // namespace

std::string BucketRef::describe() const {
  if (is_private()) return "private bucket of '" + name_.substr(1) + "'";
  return "bucket '" + name_ + "'";
}

struct KvStore::Statements {
  Database db;
  Statement read;
  Statement read_value;
  Statement upsert;
  Statement erase;
  Statement keys_from;
  Statement keys_between;
  Statement expired;
  Statement reserve;
};

KvStore::KvStore(KvOptions options) : options_(std::move(options)) {
  if (options_.link) remote_ = std::make_unique<JetStreamBuckets>(options_.link);
  if (!options_.now_ms) {
    options_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

KvStore::~KvStore() = default;

std::int64_t KvStore::now_ms() const { return options_.now_ms(); }

Result<std::unique_ptr<KvStore>> KvStore::open(const std::filesystem::path& path,
                                               KvOptions options) {
  std::unique_ptr<KvStore> store(new KvStore(std::move(options)));
  ORIVON_TRY(auto db, Database::open(path));
  ORIVON_RETURN_IF_ERROR(db.use_wal());
  ORIVON_RETURN_IF_ERROR(db.exec(store->options_.sync == KvSync::Full ? "PRAGMA synchronous = FULL"
                                                                    : "PRAGMA synchronous = NORMAL"));
  ORIVON_RETURN_IF_ERROR(db.exec(kSchema));

  MutexLock lock(store->mutex_);
  {
    ORIVON_TRY(auto rows, db.prepare("SELECT name, scope, max_value_bytes, max_keys, max_bytes "
                                     "FROM buckets"));
    while (true) {
      ORIVON_TRY(bool row, rows.step());
      if (!row) break;
      BucketInfo info;
      info.name = rows.text(0);
      // The file is untrusted input: a scope it does not name is local.
      auto scope = parse_scope(rows.text(1));
      info.scope = scope ? *scope : Scope::Local;
      info.limits.max_value_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, rows.integer(2)));
      info.limits.max_keys = static_cast<std::uint64_t>(std::max<std::int64_t>(0, rows.integer(3)));
      info.limits.max_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, rows.integer(4)));
      std::string name = info.name;
      store->buckets_.emplace(std::move(name), BucketState{std::move(info)});
    }
  }
  {
    // What each bucket holds is counted from the rows themselves (a write
    // then needs no second row to update, and the counts cannot drift from
    // the data, whatever a crash cut short): a scan, about 0.3 s per
    // million keys.
    ORIVON_TRY(auto counts, db.prepare("SELECT bucket, count(*), sum(length(key) + length(value)) "
                                       "FROM entries GROUP BY bucket"));
    while (true) {
      ORIVON_TRY(bool row, counts.step());
      if (!row) break;
      auto found = store->buckets_.find(counts.text(0));
      if (found == store->buckets_.end()) continue;
      found->second.info.keys = static_cast<std::uint64_t>(std::max<std::int64_t>(0, counts.integer(1)));
      found->second.info.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, counts.integer(2)));
    }
  }
  {
    ORIVON_TRY(auto reserved, db.prepare("SELECT value FROM meta WHERE name = 'next_version'"));
    ORIVON_TRY(bool row, reserved.step());
    store->next_version_ = row ? static_cast<std::uint64_t>(std::max<std::int64_t>(1, reserved.integer(0))) : 1;
  }
  auto prepare = [&](std::string_view sql) { return db.prepare(sql); };
  ORIVON_TRY(auto read, prepare("SELECT length(key) + length(value), version, expires_at FROM "
                                "entries WHERE bucket = ?1 AND key = ?2"));
  ORIVON_TRY(auto read_value, prepare("SELECT length(key) + length(value), version, expires_at, "
                                      "value FROM entries WHERE bucket = ?1 AND key = ?2"));
  // Returns the size of the row it replaced (NULL for a new key): the right
  // side of SET reads the old row, so a write needs no read before it.
  ORIVON_TRY(auto upsert, prepare("INSERT INTO entries (bucket, key, value, version, expires_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (bucket, key) DO UPDATE "
                                  "SET prev_bytes = length(entries.key) + length(entries.value), "
                                  "value = excluded.value, version = excluded.version, "
                                  "expires_at = excluded.expires_at RETURNING prev_bytes"));
  ORIVON_TRY(auto erase, prepare("DELETE FROM entries WHERE bucket = ?1 AND key = ?2"));
  ORIVON_TRY(auto keys_from,
             prepare("SELECT key FROM entries WHERE bucket = ?1 AND key > ?2 AND key >= ?3 AND "
                     "(expires_at IS NULL OR expires_at > ?4) ORDER BY key LIMIT ?5"));
  ORIVON_TRY(auto keys_between,
             prepare("SELECT key FROM entries WHERE bucket = ?1 AND key > ?2 AND key >= ?3 AND "
                     "key < ?6 AND (expires_at IS NULL OR expires_at > ?4) ORDER BY key LIMIT ?5"));
  ORIVON_TRY(auto expired, prepare("SELECT bucket, key, length(key) + length(value) FROM entries "
                                   "WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2"));
  ORIVON_TRY(auto reserve, prepare("INSERT INTO meta (name, value) VALUES ('next_version', ?1) "
                                   "ON CONFLICT (name) DO UPDATE SET value = excluded.value"));
  store->sql_.reset(new Statements{std::move(db), std::move(read), std::move(read_value),
                                   std::move(upsert), std::move(erase),
                                   std::move(keys_from), std::move(keys_between),
                                   std::move(expired), std::move(reserve)});
  return store;
}

Result<BucketInfo> KvStore::create_bucket(std::string_view name, Scope scope, BucketLimits limits) {
  if (!is_bucket_name(name)) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + std::string(name) +
                     "' is not a bucket name: 1 to 64 characters of A-Z a-z 0-9 _ -");
  }
  if (limits.max_value_bytes == 0 || limits.max_keys == 0 || limits.max_bytes == 0) {
    return Error(ErrorCode::InvalidArgument, "a bucket's limits must be above zero");
  }
  if (scope != Scope::Local) {
    if (!remote_) {
      return Error(ErrorCode::FailedPrecondition,
                   "a " + std::string(scope_name(scope)) +
                       " bucket lives on a NATS server with JetStream, and this host has none: "
                       "create it through a host started with 'orivon up --nats URL', or create "
                       "a local bucket");
    }
    {
      MutexLock lock(mutex_);
      if (buckets_.contains(name)) {
        return Error(ErrorCode::AlreadyExists,
                     "bucket '" + std::string(name) + "' already exists (a local bucket)");
      }
    }
    return remote_->create(name, scope, limits);
  }
  MutexLock lock(mutex_);
  if (buckets_.contains(name)) {
    return Error(ErrorCode::AlreadyExists, "bucket '" + std::string(name) + "' already exists");
  }
  ORIVON_TRY(auto insert, sql_->db.prepare("INSERT INTO buckets (name, scope, max_value_bytes, "
                                           "max_keys, max_bytes) VALUES (?1, ?2, ?3, ?4, ?5)"));
  insert.bind(1, name)
      .bind(2, scope_name(scope))
      .bind(3, to_int64(limits.max_value_bytes))
      .bind(4, to_int64(limits.max_keys))
      .bind(5, to_int64(limits.max_bytes));
  ORIVON_RETURN_IF_ERROR(insert.run());
  BucketInfo info{std::string(name), scope, limits, 0, 0};
  buckets_.emplace(std::string(name), BucketState{info});
  return info;
}

Result<void> KvStore::drop_bucket(std::string_view name) {
  if (auto remote = remote_name(BucketRef::named(std::string(name)))) return remote_->drop(*remote);
  MutexLock lock(mutex_);
  auto found = buckets_.find(name);
  if (found == buckets_.end()) return no_bucket(BucketRef::named(std::string(name)));
  ORIVON_TRY(auto transaction, Transaction::begin(sql_->db));
  ORIVON_TRY(auto entries, sql_->db.prepare("DELETE FROM entries WHERE bucket = ?1"));
  ORIVON_RETURN_IF_ERROR(entries.bind(1, name).run());
  ORIVON_TRY(auto bucket, sql_->db.prepare("DELETE FROM buckets WHERE name = ?1"));
  ORIVON_RETURN_IF_ERROR(bucket.bind(1, name).run());
  ORIVON_RETURN_IF_ERROR(transaction.commit());
  buckets_.erase(found);
  cache_.clear();
  cache_bytes_ = 0;
  return ok();
}

Result<std::vector<BucketInfo>> KvStore::buckets() {
  std::vector<BucketInfo> list;
  {
    MutexLock lock(mutex_);
    for (const auto& [name, state] : buckets_) list.push_back(state.info);
  }
  if (remote_) {
    // With the server away, the ones this host knows (their counts as
    // they were): local buckets are listed either way.
    auto listed = remote_->list();
    std::vector<BucketInfo> remote = listed ? std::move(*listed) : remote_->known();
    for (auto& info : remote) {
      // A local bucket of the same name is the one this host uses.
      const bool shadowed = std::any_of(list.begin(), list.end(), [&](const BucketInfo& local) {
        return local.name == info.name;
      });
      if (!shadowed) list.push_back(std::move(info));
    }
    std::sort(list.begin(), list.end(),
              [](const BucketInfo& a, const BucketInfo& b) { return a.name < b.name; });
  }
  return list;
}

std::optional<std::string> KvStore::remote_name(const BucketRef& bucket) {
  if (!remote_ || bucket.is_private()) return std::nullopt;
  MutexLock lock(mutex_);
  if (buckets_.contains(bucket.storage_name())) return std::nullopt;
  return bucket.storage_name();
}

Result<BucketInfo> KvStore::bucket_info(const BucketRef& bucket) {
  if (auto remote = remote_name(bucket)) return remote_->info(*remote);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  return state->info;
}

bool KvStore::exists(const BucketRef& bucket) {
  if (bucket.is_private()) return true;
  if (auto remote = remote_name(bucket)) return remote_->find(*remote).has_value();
  MutexLock lock(mutex_);
  return buckets_.contains(bucket.storage_name());
}

Result<KvStore::BucketState*> KvStore::find_locked(const BucketRef& bucket) {
  auto found = buckets_.find(bucket.storage_name());
  if (found != buckets_.end()) return &found->second;
  if (!bucket.is_private()) return no_bucket(bucket);
  // A module's private bucket exists from its first use.
  const BucketLimits& limits = options_.default_limits;
  ORIVON_TRY(auto insert, sql_->db.prepare("INSERT INTO buckets (name, scope, max_value_bytes, "
                                           "max_keys, max_bytes) VALUES (?1, 'local', ?2, ?3, ?4)"));
  insert.bind(1, bucket.storage_name())
      .bind(2, to_int64(limits.max_value_bytes))
      .bind(3, to_int64(limits.max_keys))
      .bind(4, to_int64(limits.max_bytes));
  ORIVON_RETURN_IF_ERROR(insert.run());
  BucketInfo info{bucket.storage_name(), Scope::Local, limits, 0, 0};
  return &buckets_.emplace(bucket.storage_name(), BucketState{std::move(info)}).first->second;
}

Result<void> KvStore::check_key(std::string_view key) const {
  if (key.empty()) return Error(ErrorCode::InvalidArgument, "a key cannot be empty");
  if (key.size() > kMaxKeyBytes) {
    return Error(ErrorCode::InvalidArgument, "a key is at most " + std::to_string(kMaxKeyBytes) +
                                                 " bytes; this one has " +
                                                 std::to_string(key.size()));
  }
  return ok();
}

Result<void> KvStore::check_value(const BucketState& bucket,
                                  std::span<const std::byte> value) const {
  if (value.size() > bucket.info.limits.max_value_bytes) {
    return Error(ErrorCode::InvalidArgument,
                 "a value in " + BucketRef::named(bucket.info.name).describe() + " is at most " +
                     std::to_string(bucket.info.limits.max_value_bytes) + " bytes; this one has " +
                     std::to_string(value.size()));
  }
  return ok();
}

Result<KvStore::Stored> KvStore::read_locked(const std::string& bucket, std::string_view key,
                                             bool with_value) {
  Statement& query = with_value ? sql_->read_value : sql_->read;
  ResetOnExit reset{query};
  query.reset();
  query.bind(1, bucket).bind(2, key);
  ORIVON_TRY(bool row, query.step());
  Stored stored;
  if (!row) return stored;
  stored.present = true;
  stored.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, query.integer(0)));
  stored.version = static_cast<std::uint64_t>(query.integer(1));
  stored.live = query.is_null(2) || query.integer(2) > now_ms();
  if (with_value && stored.live) {
    auto bytes = query.blob(3);
    stored.value.assign(bytes.begin(), bytes.end());
  }
  return stored;
}

Result<std::uint64_t> KvStore::write_locked(BucketState& bucket, std::string_view key,
                                            std::span<const std::byte> value,
                                            std::optional<std::int64_t> expires_at,
                                            const Stored* before) {
  const std::uint64_t bytes = key.size() + value.size();
  // Without `before`, the quota is checked as if the key were new (the
  // most a write can add); only a bucket that close to full needs the read.
  const bool present = before != nullptr && before->present;
  const std::uint64_t replaced = before != nullptr ? before->bytes : 0;
  const std::uint64_t keys_after = bucket.info.keys + (present ? 0 : 1);
  const std::uint64_t bytes_after = bucket.info.bytes - std::min(bucket.info.bytes, replaced) + bytes;
  if (keys_after > bucket.info.limits.max_keys) {
    return Error(ErrorCode::ResourceExhausted,
                 BucketRef::named(bucket.info.name).describe() + " is full: it holds its limit of " +
                     std::to_string(bucket.info.limits.max_keys) + " keys");
  }
  if (bytes_after > bucket.info.limits.max_bytes && bytes_after > bucket.info.bytes) {
    return Error(ErrorCode::ResourceExhausted,
                 BucketRef::named(bucket.info.name).describe() +
                     " is full: this write would take it past its limit of " +
                     std::to_string(bucket.info.limits.max_bytes) + " bytes");
  }
  forget_locked(bucket.info.name, key);
  const std::uint64_t version = next_version_++;
  if (version >= reserved_until_) {
    // Reserve a block before handing out any of it.
    Statement& reserve = sql_->reserve;
    ResetOnExit reset{reserve};
    reserve.reset();
    ORIVON_RETURN_IF_ERROR(reserve.bind(1, to_int64(version + kVersionBlock)).run());
    reserved_until_ = version + kVersionBlock;
  }
  std::optional<std::uint64_t> old_bytes;
  {
    Statement& upsert = sql_->upsert;
    ResetOnExit reset{upsert};
    upsert.reset();
    upsert.bind(1, bucket.info.name).bind(2, key).bind_blob(3, value).bind(4, to_int64(version));
    if (expires_at) {
      upsert.bind(5, *expires_at);
    } else {
      upsert.bind_null(5);
    }
    ORIVON_TRY(bool row, upsert.step());
    if (row && !upsert.is_null(0)) {
      old_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, upsert.integer(0)));
    }
    // Stepped to the end, so the commit (and any error of it) happens here.
    while (row) {
      ORIVON_TRY(row, upsert.step());
    }
  }
  if (old_bytes) {
    bucket.info.bytes = bucket.info.bytes - std::min(bucket.info.bytes, *old_bytes) + bytes;
  } else {
    bucket.info.keys += 1;
    bucket.info.bytes += bytes;
  }
  return version;
}

Result<void> KvStore::erase_locked(BucketState& bucket, std::string_view key,
                                   const Stored& before) {
  if (!before.present) return ok();
  forget_locked(bucket.info.name, key);
  {
    Statement& erase = sql_->erase;
    ResetOnExit reset{erase};
    erase.reset();
    ORIVON_RETURN_IF_ERROR(erase.bind(1, bucket.info.name).bind(2, key).run());
  }
  bucket.info.keys -= std::min<std::uint64_t>(bucket.info.keys, 1);
  bucket.info.bytes -= std::min(bucket.info.bytes, before.bytes);
  return ok();
}

void KvStore::restore_locked(BucketState& state, BucketState saved) {
  state = std::move(saved);
  // The transaction that may have reserved versions was rolled back.
  reserved_until_ = 0;
}

void KvStore::maybe_sweep_locked() {
  if (++writes_ % kSweepEvery != 0) return;
  // Best effort: a failed sweep leaves the keys for the next one.
  (void)sweep_locked(kSweepBatch);
}

std::string KvStore::cache_key(std::string_view bucket, std::string_view key) {
  // No bucket's storage name holds a NUL, so the pair is unambiguous.
  std::string joined;
  joined.reserve(bucket.size() + 1 + key.size());
  joined.append(bucket).push_back('\0');
  joined.append(key);
  return joined;
}

void KvStore::forget_locked(std::string_view bucket, std::string_view key) {
  if (cache_.empty()) return;
  auto found = cache_.find(cache_key(bucket, key));
  if (found == cache_.end()) return;
  cache_bytes_ -= found->second.value.size();
  cache_.erase(found);
}

void KvStore::remember_locked(std::string key, const Entry& entry) {
  if (entry.value.size() > kCacheMaxValueBytes) return;
  if (cache_.size() >= kCacheEntries || cache_bytes_ + entry.value.size() > kCacheBytes) {
    // Full: start over rather than track recency; hot keys come back at once.
    cache_.clear();
    cache_bytes_ = 0;
  }
  cache_bytes_ += entry.value.size();
  cache_.insert_or_assign(std::move(key), entry);
}

Result<std::optional<Entry>> KvStore::get(const BucketRef& bucket, std::string_view key) {
  ORIVON_RETURN_IF_ERROR(check_key(key));
  if (auto remote = remote_name(bucket)) return remote_->get(*remote, key);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  std::string cached_key = cache_key(state->info.name, key);
  if (auto found = cache_.find(cached_key); found != cache_.end()) {
    const Entry& entry = found->second;
    if (entry.expires_at_ms && *entry.expires_at_ms <= now_ms()) return std::optional<Entry>();
    return std::optional<Entry>(entry);
  }
  Statement& query = sql_->read_value;
  ResetOnExit reset{query};
  query.reset();
  query.bind(1, state->info.name).bind(2, key);
  ORIVON_TRY(bool row, query.step());
  if (!row) return std::optional<Entry>();
  std::optional<std::int64_t> expires_at;
  if (!query.is_null(2)) {
    expires_at = query.integer(2);
    if (*expires_at <= now_ms()) return std::optional<Entry>();
  }
  auto bytes = query.blob(3);
  Entry entry{std::vector<std::byte>(bytes.begin(), bytes.end()),
              static_cast<std::uint64_t>(query.integer(1)), expires_at};
  remember_locked(std::move(cached_key), entry);
  return std::optional<Entry>(std::move(entry));
}

Result<SetOutcome> KvStore::set(const BucketRef& bucket, std::string_view key,
                                std::span<const std::byte> value, const SetOptions& options) {
  ORIVON_RETURN_IF_ERROR(check_key(key));
  if (auto remote = remote_name(bucket)) return remote_->set(*remote, key, value, options);
  std::optional<std::int64_t> expires_at;
  if (options.ttl) {
    if (options.ttl->count() <= 0) {
      return Error(ErrorCode::InvalidArgument, "a time-to-live must be above zero");
    }
    expires_at = now_ms() + std::min<std::int64_t>(options.ttl->count(), INT64_MAX / 4);
  }
  // One write statement, committed on its own: the mutex keeps the read and
  // the write together (every writer of this database is this store).
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  ORIVON_RETURN_IF_ERROR(check_value(*state, value));
  const BucketLimits& limits = state->info.limits;
  const bool far_from_full = state->info.keys < limits.max_keys &&
                             state->info.bytes + key.size() + value.size() <= limits.max_bytes;
  if (!options.if_absent && !options.if_version && far_from_full) {
    // Nothing to compare and room even for a new key: write without a read.
    ORIVON_TRY(auto version, write_locked(*state, key, value, expires_at, nullptr));
    maybe_sweep_locked();
    return SetOutcome{true, version};
  }
  ORIVON_TRY(auto before, read_locked(state->info.name, key, false));
  if (options.if_absent && before.live) return SetOutcome{false, before.version};
  if (options.if_version && (!before.live || before.version != *options.if_version)) {
    return SetOutcome{false, before.live ? before.version : 0};
  }
  ORIVON_TRY(auto version, write_locked(*state, key, value, expires_at, &before));
  maybe_sweep_locked();
  return SetOutcome{true, version};
}

Result<bool> KvStore::remove(const BucketRef& bucket, std::string_view key) {
  ORIVON_RETURN_IF_ERROR(check_key(key));
  if (auto remote = remote_name(bucket)) return remote_->remove(*remote, key);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  ORIVON_TRY(auto before, read_locked(state->info.name, key, false));
  if (!before.present) return false;
  ORIVON_RETURN_IF_ERROR(erase_locked(*state, key, before));
  return before.live;
}

Result<bool> KvStore::contains(const BucketRef& bucket, std::string_view key) {
  ORIVON_RETURN_IF_ERROR(check_key(key));
  if (auto remote = remote_name(bucket)) return remote_->contains(*remote, key);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  ORIVON_TRY(auto stored, read_locked(state->info.name, key, false));
  return stored.live;
}

Result<KeyPage> KvStore::keys(const BucketRef& bucket, std::string_view prefix,
                              std::optional<std::string_view> cursor, std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, 10'000);
  // The first string after every string starting with `prefix`: the prefix
  // with its last byte below 0xff incremented (none if all are 0xff).
  std::optional<std::string> upper;
  if (!prefix.empty()) {
    std::string next(prefix);
    while (!next.empty() && static_cast<unsigned char>(next.back()) == 0xff) next.pop_back();
    if (!next.empty()) {
      next.back() = static_cast<char>(static_cast<unsigned char>(next.back()) + 1);
      upper = std::move(next);
    }
  }
  if (auto remote = remote_name(bucket)) return remote_->keys(*remote, prefix, cursor, limit);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  Statement& query = upper ? sql_->keys_between : sql_->keys_from;
  ResetOnExit reset{query};
  query.reset();
  query.bind(1, state->info.name)
      .bind(2, cursor.value_or(std::string_view()))
      .bind(3, prefix)
      .bind(4, now_ms())
      .bind(5, static_cast<std::int64_t>(limit));
  if (upper) query.bind(6, *upper);
  KeyPage page;
  while (true) {
    ORIVON_TRY(bool row, query.step());
    if (!row) break;
    page.keys.push_back(query.text(0));
  }
  if (page.keys.size() == limit) page.cursor = page.keys.back();
  return page;
}

Result<std::int64_t> KvStore::increment(const BucketRef& bucket, std::string_view key,
                                        std::int64_t delta, Sum kind) {
  ORIVON_RETURN_IF_ERROR(check_key(key));
  if (auto remote = remote_name(bucket)) {
    return remote_->increment(*remote, key, delta, kind == Sum::NonNegative);
  }
  MutexLock lock(mutex_);  // with one write statement, the increment is atomic
  ORIVON_TRY(auto* state, find_locked(bucket));
  ORIVON_TRY(auto before, read_locked(state->info.name, key, true));
  std::int64_t current = 0;
  if (before.live) {
    const char* first = reinterpret_cast<const char*>(before.value.data());
    const char* last = first + before.value.size();
    auto [end, error] = std::from_chars(first, last, current);
    if (error != std::errc() || end != last || first == last) {
      return Error(ErrorCode::InvalidArgument,
                   "the value of '" + std::string(key) + "' in " + bucket.describe() +
                       " is not a decimal integer, so it cannot be incremented");
    }
  }
  std::int64_t sum = 0;
  if (__builtin_add_overflow(current, delta, &sum)) {
    return Error(ErrorCode::InvalidArgument, "incrementing '" + std::string(key) + "' by " +
                                            std::to_string(delta) + " overflows 64 bits");
  }
  if (kind == Sum::NonNegative && sum < 0) {
    return Error(ErrorCode::InvalidArgument,
                 "the value of '" + std::string(key) + "' would be negative, not an unsigned number");
  }
  const std::string text = std::to_string(sum);
  // An increment keeps no time-to-live: the counter lives until deleted.
  ORIVON_RETURN_IF_ERROR(write_locked(*state, key, as_bytes(text), std::nullopt, &before));
  maybe_sweep_locked();
  return sum;
}

Result<void> KvStore::set_many(
    const BucketRef& bucket, std::span<const std::pair<std::string, std::vector<std::byte>>> pairs) {
  for (const auto& [key, value] : pairs) ORIVON_RETURN_IF_ERROR(check_key(key));
  if (auto remote = remote_name(bucket)) return remote_->set_many(*remote, pairs);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  for (const auto& [key, value] : pairs) ORIVON_RETURN_IF_ERROR(check_value(*state, value));
  ORIVON_TRY(auto transaction, Transaction::begin(sql_->db));
  BucketState saved = *state;
  for (const auto& [key, value] : pairs) {
    auto before = read_locked(state->info.name, key, false);
    Result<std::uint64_t> written =
        before ? write_locked(*state, key, value, std::nullopt, &*before)
               : Result<std::uint64_t>(before.error());
    if (!written) {
      restore_locked(*state, std::move(saved));
      return written.error();
    }
  }
  if (auto committed = transaction.commit(); !committed) {
    restore_locked(*state, std::move(saved));
    return committed.error();
  }
  maybe_sweep_locked();
  return ok();
}

Result<void> KvStore::remove_many(const BucketRef& bucket, std::span<const std::string> keys) {
  for (const auto& key : keys) ORIVON_RETURN_IF_ERROR(check_key(key));
  if (auto remote = remote_name(bucket)) return remote_->remove_many(*remote, keys);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto* state, find_locked(bucket));
  ORIVON_TRY(auto transaction, Transaction::begin(sql_->db));
  BucketState saved = *state;
  for (const auto& key : keys) {
    auto before = read_locked(state->info.name, key, false);
    Result<void> erased = before ? erase_locked(*state, key, *before) : Result<void>(before.error());
    if (!erased) {
      restore_locked(*state, std::move(saved));
      return erased.error();
    }
  }
  if (auto committed = transaction.commit(); !committed) {
    restore_locked(*state, std::move(saved));
    return committed.error();
  }
  return ok();
}

Result<std::size_t> KvStore::sweep_expired(std::size_t limit) {
  MutexLock lock(mutex_);
  return sweep_locked(limit);
}

Result<std::size_t> KvStore::sweep_locked(std::size_t limit) {
  struct Expired {
    std::string bucket, key;
    std::uint64_t bytes;
  };
  std::vector<Expired> expired;
  {
    Statement& query = sql_->expired;
    ResetOnExit reset{query};
    query.reset();
    query.bind(1, now_ms()).bind(2, static_cast<std::int64_t>(limit));
    while (true) {
      ORIVON_TRY(bool row, query.step());
      if (!row) break;
      expired.push_back({query.text(0), query.text(1),
                         static_cast<std::uint64_t>(std::max<std::int64_t>(0, query.integer(2)))});
    }
  }
  if (expired.empty()) return std::size_t{0};
  ORIVON_TRY(auto transaction, Transaction::begin(sql_->db));
  std::map<std::string, BucketState> saved;
  Result<void> outcome = ok();
  for (const auto& item : expired) {
    auto found = buckets_.find(item.bucket);
    if (found == buckets_.end()) continue;
    saved.try_emplace(item.bucket, found->second);
    Stored before;
    before.present = true;
    before.bytes = item.bytes;
    outcome = erase_locked(found->second, item.key, before);
    if (!outcome) break;
  }
  if (outcome) outcome = transaction.commit();
  if (!outcome) {
    // Rolled back: the counts go back to what they were.
    for (auto& [name, state] : saved) restore_locked(buckets_[name], std::move(state));
    return outcome.error();
  }
  return expired.size();
}

}  // namespace orivon::kv
