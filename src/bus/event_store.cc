#include "bus/event_store.h"

#include <chrono>
#include <limits>
#include <span>

#include "registry/sqlite_handle.h"

namespace orivon::bus {
namespace {

using registry::Database;
using registry::Statement;
using registry::Transaction;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS subscriptions(
  id INTEGER PRIMARY KEY,
  subscriber TEXT NOT NULL,
  pattern TEXT NOT NULL,
  durable INTEGER NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE(subscriber, pattern)) STRICT;
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  publisher TEXT NOT NULL,
  content_type TEXT,
  metadata BLOB NOT NULL,
  data BLOB NOT NULL,
  hops INTEGER NOT NULL,
  published_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS queue(
  subscription INTEGER NOT NULL,
  event INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  PRIMARY KEY(subscription, event)) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS queue_event ON queue(event);
CREATE TABLE IF NOT EXISTS dead(
  id INTEGER PRIMARY KEY,
  subscription INTEGER NOT NULL,
  subscriber TEXT NOT NULL,
  event INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  dead_at INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS dead_event ON dead(event);
)sql";

std::span<const std::byte> as_blob(const std::vector<std::uint8_t>& bytes) {
  return std::as_bytes(std::span<const std::uint8_t>(bytes));
}

std::vector<std::uint8_t> from_blob(std::span<const std::byte> bytes) {
  std::vector<std::uint8_t> out(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) out[i] = static_cast<std::uint8_t>(bytes[i]);
  return out;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Metadata as one blob: for each pair, the key's and the value's length as
// 4 bytes each (little endian), then the bytes. No text format to escape.
std::vector<std::uint8_t> encode_metadata(
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::vector<std::uint8_t> out;
  auto put = [&](const std::string& text) {
    const auto size = static_cast<std::uint32_t>(text.size());
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(size >> shift));
    out.insert(out.end(), text.begin(), text.end());
  };
  for (const auto& [key, value] : metadata) {
    put(key);
    put(value);
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> decode_metadata(
    const std::vector<std::uint8_t>& bytes) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  auto get = [&](std::string& text) -> bool {
    if (bytes.size() - at < 4) return false;
    std::uint32_t size = 0;
    for (int i = 0; i < 4; ++i) size |= std::uint32_t{bytes[at + i]} << (8 * i);
    at += 4;
    if (size > bytes.size() - at) return false;
    text.assign(reinterpret_cast<const char*>(bytes.data() + at), size);
    at += size;
    return true;
  };
  while (at < bytes.size()) {
    std::pair<std::string, std::string> pair;
    if (!get(pair.first) || !get(pair.second)) {
      return Error(ErrorCode::Internal, "events.db: an event's metadata is malformed");
    }
    out.push_back(std::move(pair));
  }
  return out;
}

std::string source_name(SubscriptionSource source) {
  return source == SubscriptionSource::Manifest ? "manifest" : "client";
}

// Columns: id, topic, publisher, content_type, metadata, data, hops (from
// `first` on).
Result<ReceivedEvent> read_event(const Statement& row, int first) {
  ReceivedEvent event;
  const std::int64_t id = row.integer(first);
  const std::int64_t hops = row.integer(first + 6);
  if (id <= 0 || hops < 0 || hops > std::numeric_limits<std::uint32_t>::max()) {
    return Error(ErrorCode::Internal, "events.db: an event row is malformed");
  }
  event.sequence = static_cast<std::uint64_t>(id);
  event.message.topic = row.text(first + 1);
  event.publisher = row.text(first + 2);
  if (!row.is_null(first + 3)) event.message.content_type = row.text(first + 3);
  ORIVON_TRY(event.message.metadata, decode_metadata(from_blob(row.blob(first + 4))));
  event.message.data = from_blob(row.blob(first + 5));
  event.hops = static_cast<std::uint32_t>(hops);
  return event;
}

constexpr std::string_view kEventColumns =
    "e.id, e.topic, e.publisher, e.content_type, e.metadata, e.data, e.hops";

std::uint32_t clamp_attempts(std::int64_t attempts) {
  if (attempts < 0) return 0;
  return attempts > 1'000'000 ? 1'000'000 : static_cast<std::uint32_t>(attempts);
}

}  // namespace

class EventStore::Impl {
 public:
  explicit Impl(Database db) : db(std::move(db)) {}

  // Deletes the event if nothing refers to it any more.
  Result<void> collect(std::uint64_t event) {
    ORIVON_TRY(auto statement,
               db.prepare("DELETE FROM events WHERE id = ?1 AND NOT EXISTS "
                          "(SELECT 1 FROM queue WHERE event = ?1) AND NOT EXISTS "
                          "(SELECT 1 FROM dead WHERE event = ?1)"));
    return statement.bind(1, static_cast<std::int64_t>(event)).run();
  }

  Database db;
};

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;

Result<std::unique_ptr<EventStore>> EventStore::open(const std::filesystem::path& file) {
  ORIVON_TRY(auto db, Database::open(file));
  ORIVON_RETURN_IF_ERROR(db.use_wal());
  // FULL: a commit is durable when it returns, which is what "stored before
  // publish returns" and "never delivered after its ack" promise.
  ORIVON_RETURN_IF_ERROR(db.exec("PRAGMA synchronous = FULL"));
  ORIVON_RETURN_IF_ERROR(db.exec(kSchema));
  return std::unique_ptr<EventStore>(new EventStore(std::make_unique<Impl>(std::move(db))));
}

Result<std::vector<EventStore::StoredSubscription>> EventStore::subscriptions() {
  ORIVON_TRY(auto statement,
             impl_->db.prepare("SELECT id, subscriber, pattern, durable, source FROM "
                               "subscriptions ORDER BY id"));
  std::vector<StoredSubscription> out;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    StoredSubscription s;
    const std::int64_t id = statement.integer(0);
    if (id <= 0) return Error(ErrorCode::Internal, "events.db: a subscription id is malformed");
    s.id = SubscriptionId{static_cast<std::uint64_t>(id)};
    s.subscriber = statement.text(1);
    s.pattern = statement.text(2);
    s.durability = statement.integer(3) != 0 ? EventDurability::Durable : EventDurability::Ephemeral;
    s.source = statement.text(4) == "manifest" ? SubscriptionSource::Manifest
                                               : SubscriptionSource::Client;
    out.push_back(std::move(s));
  }
  return out;
}

Result<SubscriptionId> EventStore::put_subscription(std::string_view subscriber,
                                                    std::string_view pattern,
                                                    EventDurability durability,
                                                    SubscriptionSource source) {
  ORIVON_TRY(auto statement,
             impl_->db.prepare(
                 "INSERT INTO subscriptions(subscriber, pattern, durable, source, created_at) "
                 "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(subscriber, pattern) DO UPDATE SET "
                 "durable = excluded.durable, source = excluded.source RETURNING id"));
  statement.bind(1, subscriber)
      .bind(2, pattern)
      .bind(3, std::int64_t{durability == EventDurability::Durable ? 1 : 0})
      .bind(4, source_name(source))
      .bind(5, now_seconds());
  ORIVON_TRY(bool row, statement.step());
  if (!row) return Error(ErrorCode::Internal, "events.db: storing a subscription returned no id");
  return SubscriptionId{static_cast<std::uint64_t>(statement.integer(0))};
}

Result<void> EventStore::remove_subscription(SubscriptionId id) {
  ORIVON_TRY(auto transaction, Transaction::begin(impl_->db));
  const auto raw = static_cast<std::int64_t>(id.value);
  for (std::string_view sql : {"DELETE FROM queue WHERE subscription = ?1",
                               "DELETE FROM dead WHERE subscription = ?1",
                               "DELETE FROM subscriptions WHERE id = ?1"}) {
    ORIVON_TRY(auto statement, impl_->db.prepare(sql));
    ORIVON_RETURN_IF_ERROR(statement.bind(1, raw).run());
  }
  ORIVON_RETURN_IF_ERROR(impl_->db.exec(
      "DELETE FROM events WHERE NOT EXISTS (SELECT 1 FROM queue WHERE event = events.id) AND "
      "NOT EXISTS (SELECT 1 FROM dead WHERE event = events.id)"));
  return transaction.commit();
}

Result<std::uint64_t> EventStore::store(const ReceivedEvent& event,
                                        std::span<const SubscriptionId> subscriptions) {
  ORIVON_TRY(auto transaction, Transaction::begin(impl_->db));
  ORIVON_TRY(auto insert,
             impl_->db.prepare("INSERT INTO events(topic, publisher, content_type, metadata, data, "
                               "hops, published_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  insert.bind(1, event.message.topic).bind(2, event.publisher);
  if (event.message.content_type) {
    insert.bind(3, *event.message.content_type);
  } else {
    insert.bind_null(3);
  }
  const std::vector<std::uint8_t> metadata = encode_metadata(event.message.metadata);
  insert.bind_blob(4, as_blob(metadata))
      .bind_blob(5, as_blob(event.message.data))
      .bind(6, static_cast<std::int64_t>(event.hops))
      .bind(7, now_seconds());
  ORIVON_RETURN_IF_ERROR(insert.run());
  const auto id = sqlite3_last_insert_rowid(impl_->db.raw());
  ORIVON_TRY(auto queue, impl_->db.prepare(
                             "INSERT INTO queue(subscription, event, attempts) VALUES(?1, ?2, 0)"));
  for (const SubscriptionId& subscription : subscriptions) {
    queue.reset();
    queue.bind(1, static_cast<std::int64_t>(subscription.value)).bind(2, id);
    ORIVON_RETURN_IF_ERROR(queue.run());
  }
  ORIVON_RETURN_IF_ERROR(transaction.commit());
  return static_cast<std::uint64_t>(id);
}

Result<std::vector<EventStore::Pending>> EventStore::pending() {
  ORIVON_TRY(auto statement,
             impl_->db.prepare("SELECT q.subscription, q.attempts, " + std::string(kEventColumns) +
                               " FROM queue q JOIN events e ON e.id = q.event "
                               "ORDER BY q.subscription, q.event"));
  std::vector<Pending> out;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    Pending pending;
    pending.subscription = SubscriptionId{static_cast<std::uint64_t>(statement.integer(0))};
    pending.attempts = clamp_attempts(statement.integer(1));
    ORIVON_TRY(pending.event, read_event(statement, 2));
    out.push_back(std::move(pending));
  }
  return out;
}

Result<void> EventStore::acknowledge(SubscriptionId subscription, std::uint64_t event) {
  ORIVON_TRY(auto transaction, Transaction::begin(impl_->db));
  ORIVON_TRY(auto statement,
             impl_->db.prepare("DELETE FROM queue WHERE subscription = ?1 AND event = ?2"));
  ORIVON_RETURN_IF_ERROR(statement.bind(1, static_cast<std::int64_t>(subscription.value))
                             .bind(2, static_cast<std::int64_t>(event))
                             .run());
  ORIVON_RETURN_IF_ERROR(impl_->collect(event));
  return transaction.commit();
}

Result<void> EventStore::record_failure(SubscriptionId subscription, std::uint64_t event,
                                        std::uint32_t attempts) {
  ORIVON_TRY(auto statement,
             impl_->db.prepare(
                 "UPDATE queue SET attempts = ?3 WHERE subscription = ?1 AND event = ?2"));
  return statement.bind(1, static_cast<std::int64_t>(subscription.value))
      .bind(2, static_cast<std::int64_t>(event))
      .bind(3, static_cast<std::int64_t>(attempts))
      .run();
}

Result<void> EventStore::bury(SubscriptionId subscription, std::string_view subscriber,
                              std::uint64_t event, std::uint32_t attempts,
                              std::string_view reason) {
  ORIVON_TRY(auto transaction, Transaction::begin(impl_->db));
  ORIVON_TRY(auto remove,
             impl_->db.prepare("DELETE FROM queue WHERE subscription = ?1 AND event = ?2"));
  ORIVON_RETURN_IF_ERROR(remove.bind(1, static_cast<std::int64_t>(subscription.value))
                             .bind(2, static_cast<std::int64_t>(event))
                             .run());
  ORIVON_TRY(auto insert,
             impl_->db.prepare("INSERT INTO dead(subscription, subscriber, event, attempts, "
                               "reason, dead_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  ORIVON_RETURN_IF_ERROR(insert.bind(1, static_cast<std::int64_t>(subscription.value))
                             .bind(2, subscriber)
                             .bind(3, static_cast<std::int64_t>(event))
                             .bind(4, static_cast<std::int64_t>(attempts))
                             .bind(5, reason.substr(0, 4096))
                             .bind(6, now_seconds())
                             .run());
  return transaction.commit();
}

Result<std::vector<DeadLetter>> EventStore::dead_letters(std::size_t max) {
  ORIVON_TRY(auto statement,
             impl_->db.prepare("SELECT d.id, d.subscription, d.subscriber, d.attempts, d.reason, "
                               "d.dead_at, " + std::string(kEventColumns) +
                               " FROM dead d JOIN events e ON e.id = d.event ORDER BY d.id "
                               "LIMIT ?1"));
  statement.bind(1, static_cast<std::int64_t>(
                        std::min<std::size_t>(max, std::numeric_limits<std::int64_t>::max())));
  std::vector<DeadLetter> out;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    DeadLetter dead;
    dead.id = static_cast<std::uint64_t>(statement.integer(0));
    dead.subscription = static_cast<std::uint64_t>(statement.integer(1));
    dead.subscriber = statement.text(2);
    dead.attempts = clamp_attempts(statement.integer(3));
    dead.reason = statement.text(4);
    dead.dead_at = statement.integer(5);
    ORIVON_TRY(dead.event, read_event(statement, 6));
    dead.event.attempt = dead.attempts;
    out.push_back(std::move(dead));
  }
  return out;
}

Result<std::uint64_t> EventStore::dead_count() {
  ORIVON_TRY(auto statement, impl_->db.prepare("SELECT count(*) FROM dead"));
  ORIVON_TRY(bool row, statement.step());
  if (!row) return std::uint64_t{0};
  return static_cast<std::uint64_t>(statement.integer(0));
}

Result<std::map<std::uint64_t, std::uint64_t>> EventStore::dead_counts() {
  ORIVON_TRY(auto statement,
             impl_->db.prepare("SELECT subscription, count(*) FROM dead GROUP BY subscription"));
  std::map<std::uint64_t, std::uint64_t> out;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    out[static_cast<std::uint64_t>(statement.integer(0))] =
        static_cast<std::uint64_t>(statement.integer(1));
  }
  return out;
}

Result<std::vector<EventStore::Pending>> EventStore::requeue_dead() {
  ORIVON_TRY(auto transaction, Transaction::begin(impl_->db));
  ORIVON_TRY(auto select,
             impl_->db.prepare("SELECT d.subscription, " + std::string(kEventColumns) +
                               " FROM dead d JOIN events e ON e.id = d.event "
                               "JOIN subscriptions s ON s.id = d.subscription ORDER BY d.id"));
  std::vector<Pending> out;
  while (true) {
    ORIVON_TRY(bool row, select.step());
    if (!row) break;
    Pending pending;
    pending.subscription = SubscriptionId{static_cast<std::uint64_t>(select.integer(0))};
    ORIVON_TRY(pending.event, read_event(select, 1));
    out.push_back(std::move(pending));
  }
  // INSERT OR IGNORE: an event buried twice for one subscription is queued once.
  ORIVON_RETURN_IF_ERROR(impl_->db.exec(
      "INSERT OR IGNORE INTO queue(subscription, event, attempts) SELECT d.subscription, d.event, "
      "0 FROM dead d JOIN subscriptions s ON s.id = d.subscription ORDER BY d.id"));
  ORIVON_RETURN_IF_ERROR(impl_->db.exec("DELETE FROM dead"));
  ORIVON_RETURN_IF_ERROR(impl_->db.exec(
      "DELETE FROM events WHERE NOT EXISTS (SELECT 1 FROM queue WHERE event = events.id)"));
  ORIVON_RETURN_IF_ERROR(transaction.commit());
  return out;
}

Result<std::size_t> EventStore::purge_dead() {
  ORIVON_TRY(auto transaction, Transaction::begin(impl_->db));
  ORIVON_RETURN_IF_ERROR(impl_->db.exec("DELETE FROM dead"));
  const auto purged = static_cast<std::size_t>(impl_->db.changes());
  ORIVON_RETURN_IF_ERROR(impl_->db.exec(
      "DELETE FROM events WHERE NOT EXISTS (SELECT 1 FROM queue WHERE event = events.id)"));
  ORIVON_RETURN_IF_ERROR(transaction.commit());
  return purged;
}

}  // namespace orivon::bus
