#include "bus/nats_event_bus.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <random>
#include <thread>
#include <utility>

#include "bus/message_check.h"
#include "grants/topic_pattern.h"
#include "registry/sqlite_handle.h"
#include "core/limits.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace orivon::bus {

namespace {

constexpr std::uint8_t kEnvelopeVersion = 1;
// Events from other hosts in flight to this one, and the bytes of those
// waiting in this process (see subscribe_consumer()).
constexpr int kMaxInFlight = 256;
constexpr int kMaxWaitingBytes = 64 << 20;

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

void put_text(std::string& out, std::string_view text) {
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

// Reads an envelope front to back; every read checks what is left.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> body) : body_(body) {}
  Result<std::uint32_t> u32() {
    if (body_.size() - at_ < 4) return truncated();
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value |= std::uint32_t{body_[at_ + i]} << (8 * i);
    at_ += 4;
    return value;
  }
  Result<std::uint8_t> u8() {
    if (at_ >= body_.size()) return truncated();
    return body_[at_++];
  }
  Result<std::span<const std::uint8_t>> bytes() {
    ORIVON_TRY(const std::uint32_t size, u32());
    if (body_.size() - at_ < size) return truncated();
    auto out = body_.subspan(at_, size);
    at_ += size;
    return out;
  }
  Result<std::string> text() {
    ORIVON_TRY(auto span, bytes());
    return std::string(span.begin(), span.end());
  }
  bool done() const { return at_ == body_.size(); }

 private:
  static Error truncated() {
    return Error(ErrorCode::InvalidArgument, "an event from another host is cut short");
  }
  std::span<const std::uint8_t> body_;
  std::size_t at_ = 0;
};

// The stream and consumer names JetStream allows: no dots.
std::string name_token(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '.') c = '_';
  }
  return out;
}

// An event on its way to the server (or waiting in the outbox for it).
// `stored`: through the JetStream stream, acknowledged; otherwise a core
// NATS publish, at most once.
struct Outgoing {
  std::string subject;
  std::string body;
  std::string message_id;
  bool stored = true;
  std::int64_t row = 0;  // its row in the outbox database, 0 when it has none
};

// Rows over this are not events this host wrote (max_payload is far below).
constexpr std::size_t kMaxOutboxRowBytes = std::size_t{64} << 20;

// The outbox on disk: what a host accepted while its server was away, kept
// until sent, so a crash meanwhile loses none of it. Written only while
// the server is away. Thread-safe (one mutex for the one connection).
class OutboxFile {
 public:
  static Result<std::unique_ptr<OutboxFile>> open(const std::filesystem::path& path) {
    ORIVON_TRY(auto db, registry::Database::open(path));
    ORIVON_RETURN_IF_ERROR(db.use_wal());
    ORIVON_RETURN_IF_ERROR(db.exec("PRAGMA synchronous = FULL"));
    ORIVON_RETURN_IF_ERROR(db.exec(
        "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, subject TEXT NOT NULL, "
        "body BLOB NOT NULL, message_id TEXT NOT NULL, stored INTEGER NOT NULL)"));
    return std::unique_ptr<OutboxFile>(new OutboxFile(std::move(db)));
  }

  // Every waiting event, oldest first. The file is untrusted: a row that is
  // not one this host wrote is an error.
  Result<std::vector<Outgoing>> load() {
    MutexLock lock(mutex_);
    ORIVON_TRY(auto statement,
               db_.prepare("SELECT id, subject, body, message_id, stored FROM outbox ORDER BY id"));
    std::vector<Outgoing> out;
    while (true) {
      ORIVON_TRY(bool row, statement.step());
      if (!row) break;
      Outgoing outgoing;
      outgoing.row = statement.integer(0);
      outgoing.subject = statement.text(1);
      const auto body = statement.blob(2);
      if (outgoing.row <= 0 || outgoing.subject.empty() || body.size() > kMaxOutboxRowBytes) {
        return Error(ErrorCode::Internal, "the cluster outbox holds a malformed row");
      }
      outgoing.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
      outgoing.message_id = statement.text(3);
      outgoing.stored = statement.integer(4) != 0;
      out.push_back(std::move(outgoing));
    }
    return out;
  }

  // Stores it durably; returns its row.
  Result<std::int64_t> add(const Outgoing& outgoing) {
    MutexLock lock(mutex_);
    ORIVON_TRY(auto statement,
               db_.prepare("INSERT INTO outbox(subject, body, message_id, stored) "
                           "VALUES(?1, ?2, ?3, ?4) RETURNING id"));
    statement.bind(1, outgoing.subject)
        .bind_blob(2, std::as_bytes(std::span<const char>(outgoing.body)))
        .bind(3, outgoing.message_id)
        .bind(4, std::int64_t{outgoing.stored ? 1 : 0});
    ORIVON_TRY(bool row, statement.step());
    if (!row) return Error(ErrorCode::Internal, "the cluster outbox returned no row id");
    return statement.integer(0);
  }

  Result<void> remove(std::int64_t row) {
    MutexLock lock(mutex_);
    ORIVON_TRY(auto statement, db_.prepare("DELETE FROM outbox WHERE id = ?1"));
    return statement.bind(1, row).run();
  }

 private:
  explicit OutboxFile(registry::Database db) : db_(std::move(db)) {}
  Mutex mutex_;
  registry::Database db_ ORIVON_GUARDED_BY(mutex_);
};

// The key a host advertises one durable pattern under in the registry
// bucket: "<host>.<hash of the pattern>" (JetStream keys allow neither '*'
// nor '>').
std::string registry_key(const std::string& host, const std::string& pattern) {
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(pattern));
  return host + "." + hash;
}

class NatsEventBus final : public EventBus {
 public:
  NatsEventBus(std::unique_ptr<EventBus> local, std::shared_ptr<cluster::NatsLink> link,
               NatsBusOptions options, std::unique_ptr<OutboxFile> outbox_file)
      : outbox_file_(std::move(outbox_file)),
        local_(std::move(local)),
        link_(std::move(link)),
        options_(options),
        prefix_(link_->options().subject_prefix),
        stream_(name_token(prefix_) + "_events"),
        consumer_("host_" + name_token(link_->host())),
        deliver_subject_("_orivon_deliver." + name_token(prefix_) + "." + link_->host()),
        registry_bucket_(name_token(prefix_) + "_durable") {
    std::random_device random;
    session_ = std::to_string(random()) + std::to_string(random());
  }
  ~NatsEventBus() override { shut_down(); }

  // Takes the events an earlier run of this host left in its outbox.
  Result<void> restore_outbox() {
    if (!outbox_file_) return ok();
    ORIVON_TRY(auto waiting, outbox_file_->load());
    MutexLock lock(mutex_);
    for (Outgoing& outgoing : waiting) {
      outbox_bytes_ += outgoing.body.size();
      outbox_.push_back(std::move(outgoing));
    }
    return ok();
  }

  void start() {
    // Connected already: the consumer exists before the host says it is up,
    // so events published from now on wait for this host even if it stops.
    if (link_->state() == cluster::NatsLink::State::Connected) {
      if (auto made = subscribe_consumer(); !made) note(made.error().message());
    }
    link_->on_connected([this] {
      MutexLock lock(mutex_);
      advertise_dirty_ = true;  // the server may have lost what this host told it
      wake_.notify_all();
    });
    receiver_ = std::thread([this] { receive_loop(); });
    sender_ = std::thread([this] { send_loop(); });
    registry_ = std::thread([this] { registry_loop(); });
  }

  Result<std::uint64_t> publish(std::string_view publisher, EventMessage message,
                                std::uint32_t hops) override {
    ORIVON_RETURN_IF_ERROR(check_message(message));
    bool stored = true;
    {
      MutexLock lock(mutex_);
      stored = !registry_ready_ || remote_durable_match_locked(message.topic);
    }
    Outgoing outgoing{prefix_ + (stored ? ".d." : ".e.") + message.topic,
                      encode_envelope(Envelope{link_->host(), std::string(publisher), hops, message}),
                      next_message_id(), stored};
    if (const std::uint64_t max = link_->max_payload(); max != 0 && outgoing.body.size() > max) {
      return Error(ErrorCode::InvalidArgument,
                   "event on '" + message.topic + "' not published: with its envelope it is " +
                       std::to_string(outgoing.body.size()) +
                       " bytes, over the NATS server's max_payload of " + std::to_string(max));
    }
    {
      MutexLock lock(mutex_);
      if (must_queue_locked() && outbox_full_locked(outgoing.body.size())) {
        return Error(ErrorCode::ResourceExhausted,
                     "event on '" + message.topic +
                         "' not published: the NATS server is away and the outbox is full (" +
                         std::to_string(outbox_.size()) + " events, " +
                         std::to_string(outbox_bytes_) + " bytes)");
      }
    }
    ORIVON_TRY(const std::uint64_t sequence, local_->publish(publisher, std::move(message), hops));
    bool queue = false;
    {
      MutexLock lock(mutex_);
      queue = must_queue_locked();
    }
    if (!queue) {
      if (auto sent = send(outgoing); !sent) queue = true;
    }
    if (queue) {
      if (outbox_file_) {
        if (auto row = outbox_file_->add(outgoing)) {
          outgoing.row = *row;
        } else {
          note("kept an event in memory only: " + row.error().message());
        }
      }
      MutexLock lock(mutex_);
      outbox_bytes_ += outgoing.body.size();
      outbox_.push_back(std::move(outgoing));
      wake_.notify_all();
    }
    return sequence;
  }

  // Subscriptions are the local bus's; a change is told to the other hosts
  // (durable patterns, registry_loop) within moments.
  Result<SubscriptionId> subscribe(const ModuleId& subscriber, std::string_view pattern,
                                   EventDurability durability, SubscriptionSource source) override {
    auto made = local_->subscribe(subscriber, pattern, durability, source);
    subscriptions_changed();
    return made;
  }
  Result<void> unsubscribe(const ModuleId& subscriber, std::string_view pattern) override {
    auto done = local_->unsubscribe(subscriber, pattern);
    subscriptions_changed();
    return done;
  }
  Result<void> unsubscribe_all(const ModuleId& subscriber) override {
    auto done = local_->unsubscribe_all(subscriber);
    subscriptions_changed();
    return done;
  }
  std::vector<SubscriptionReport> subscriptions(const ModuleId& subscriber) override {
    return local_->subscriptions(subscriber);
  }
  Result<SubscriptionId> subscribe_client(std::string_view pattern, EventHandler handler) override {
    return local_->subscribe_client(pattern, std::move(handler));
  }
  Result<void> unsubscribe_client(SubscriptionId id) override {
    return local_->unsubscribe_client(id);
  }
  void wake(const ModuleId& subscriber) override { local_->wake(subscriber); }

  EventsReport report() override {
    EventsReport report = local_->report();
    ClusterReport cluster;
    cluster.url = link_->options().nats_url;
    cluster.host = link_->host();
    cluster.state = std::string(cluster::NatsLink::state_name(link_->state()));
    cluster.max_payload = link_->max_payload();
    cluster.sent = sent_.load(std::memory_order_relaxed);
    cluster.sent_core = sent_core_.load(std::memory_order_relaxed);
    cluster.received = received_.load(std::memory_order_relaxed);
    MutexLock lock(mutex_);
    cluster.outbox = outbox_.size();
    cluster.remote_durable_patterns = remote_durable_.size();
    cluster.last_error = last_error_.empty() ? link_->last_error() : last_error_;
    report.cluster = std::move(cluster);
    return report;
  }
  EventCounters counters(std::string_view party) override { return local_->counters(party); }
  Result<std::vector<DeadLetter>> dead_letters(std::size_t max) override {
    return local_->dead_letters(max);
  }
  Result<std::size_t> requeue_dead_letters() override { return local_->requeue_dead_letters(); }
  Result<std::size_t> purge_dead_letters() override { return local_->purge_dead_letters(); }

  void shut_down() override {
    {
      MutexLock lock(mutex_);
      stopping_ = true;
      wake_.notify_all();
    }
    if (receiver_.joinable()) receiver_.join();
    if (sender_.joinable()) sender_.join();
    if (registry_.joinable()) registry_.join();
    drop_subscription();  // the receiver did, unless it never ran
    local_->shut_down();
  }

 private:
  std::string next_message_id() {
    return link_->host() + "-" + session_ + "-" +
           std::to_string(next_id_.fetch_add(1, std::memory_order_relaxed));
  }

  // Events go to the outbox while the server is away, and behind events
  // already there (so they leave in order).
  bool must_queue_locked() ORIVON_REQUIRES(mutex_) {
    return !outbox_.empty() || link_->state() != cluster::NatsLink::State::Connected;
  }
  bool outbox_full_locked(std::size_t bytes) ORIVON_REQUIRES(mutex_) {
    return outbox_.size() >= options_.outbox_events ||
           outbox_bytes_ + bytes > options_.outbox_bytes;
  }

  void note(std::string text) {
    MutexLock lock(mutex_);
    last_error_ = std::move(text);
  }

  // Stores one event in the stream (returns once JetStream acknowledged
  // it), or publishes it on core NATS.
  Result<void> send(const Outgoing& outgoing) {
    if (!outgoing.stored) {
      const natsStatus status =
          natsConnection_Publish(link_->connection(), outgoing.subject.c_str(),
                                 outgoing.body.data(), static_cast<int>(outgoing.body.size()));
      if (status != NATS_OK) {
        Error error = cluster::nats_error(status, "publishing an event on NATS");
        note(error.message());
        return error;
      }
      sent_.fetch_add(1, std::memory_order_relaxed);
      sent_core_.fetch_add(1, std::memory_order_relaxed);
      return ok();
    }
    natsMsg* msg = nullptr;
    natsStatus status = natsMsg_Create(&msg, outgoing.subject.c_str(), nullptr,
                                       outgoing.body.data(), static_cast<int>(outgoing.body.size()));
    if (status != NATS_OK) return cluster::nats_error(status, "preparing an event for NATS");
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = 2000;
    options.MsgId = outgoing.message_id.c_str();
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    status = js_PublishMsg(&ack, link_->jetstream(), msg, &options, &code);
    natsMsg_Destroy(msg);
    if (ack != nullptr) jsPubAck_Destroy(ack);
    if (status == NATS_OK) {
      sent_.fetch_add(1, std::memory_order_relaxed);
      return ok();
    }
    if (code == JSStreamNotFoundErr || status == NATS_NO_RESPONDERS) {
      // No stream yet (a new server, or one that lost its store): make it
      // and let the caller try again.
      (void)ensure_stream();
    }
    Error error = cluster::nats_error(status, "storing an event in the JetStream stream " + stream_);
    note(error.message());
    return error;
  }

  Result<void> ensure_stream() {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status = js_GetStreamInfo(&info, link_->jetstream(), stream_.c_str(), nullptr, &code);
    if (status == NATS_OK) {
      jsStreamInfo_Destroy(info);
      return ok();
    }
    if (code != JSStreamNotFoundErr && status != NATS_NOT_FOUND) {
      return cluster::nats_error(status, "looking up the JetStream stream " + stream_);
    }
    const std::string subjects = prefix_ + ".d.>";
    const char* subject_list[] = {subjects.c_str()};
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = stream_.c_str();
    config.Subjects = subject_list;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Retention = js_InterestPolicy;
    config.Discard = js_DiscardNew;
    config.MaxBytes = static_cast<int64_t>(link_->options().stream_max_bytes);
    status = js_AddStream(&info, link_->jetstream(), &config, nullptr, &code);
    if (info != nullptr) jsStreamInfo_Destroy(info);
    if (status != NATS_OK && code != JSStreamNameExistErr) {
      return cluster::nats_error(status, "creating the JetStream stream " + stream_);
    }
    return ok();
  }

  // This host's durable consumer of the stream, pushing to a subscription
  // whose callback hands each event to this host's bus. Pushed, not pulled:
  // a pull request waits in libnats's write buffer for its flusher, which
  // put a millisecond between consecutive events. In flight at most 256
  // unacknowledged events, and at most 64 MiB waiting in this process (past
  // that libnats drops them as a slow consumer and JetStream redelivers them
  // after the ack wait): a slow host cannot be flooded.
  Result<void> subscribe_consumer() {
    ORIVON_RETURN_IF_ERROR(ensure_consumer());
    const std::string filter = prefix_ + ".d.>";
    jsSubOptions options;
    jsSubOptions_Init(&options);
    // Bound to the consumer made above: a bound subscription leaves the
    // consumer on the server when it ends (one libnats made would be deleted
    // with it, and the events for a stopped host with it).
    options.Stream = stream_.c_str();
    options.Consumer = consumer_.c_str();
    options.ManualAck = true;
    natsSubscription* subscription = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status = js_Subscribe(&subscription, link_->jetstream(), filter.c_str(), on_message,
                                     this, nullptr, &options, &code);
    if (status != NATS_OK) {
      return cluster::nats_error(status, "subscribing to the JetStream stream " + stream_ +
                                             " as consumer " + consumer_);
    }
    natsSubscription_SetPendingLimits(subscription, kMaxInFlight, kMaxWaitingBytes);
    subscription_ = subscription;
    return ok();
  }

  // Makes this host's durable consumer unless the server has it.
  Result<void> ensure_consumer() {
    ORIVON_RETURN_IF_ERROR(ensure_stream());
    if (consumer_found()) return ok();
    const std::string filter = prefix_ + ".d.>";
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = consumer_.c_str();
    // A fixed subject to push to, so a restarted host subscribes where its
    // consumer already sends.
    config.DeliverSubject = deliver_subject_.c_str();
    config.FilterSubject = filter.c_str();
    config.AckPolicy = js_AckExplicit;
    config.DeliverPolicy = js_DeliverNew;  // a new host starts from now
    config.AckWait = std::int64_t{30} * 1'000'000'000;
    config.MaxAckPending = kMaxInFlight;
    config.FlowControl = true;
    config.Heartbeat = std::int64_t{5} * 1'000'000'000;
    jsConsumerInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status =
        js_AddConsumer(&info, link_->jetstream(), stream_.c_str(), &config, nullptr, &code);
    if (info != nullptr) jsConsumerInfo_Destroy(info);
    if (status != NATS_OK) {
      return cluster::nats_error(status, "creating consumer " + consumer_ + " of stream " + stream_);
    }
    return ok();
  }

  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    static_cast<NatsEventBus*>(closure)->take(msg, /*stored=*/true);
    natsMsg_Destroy(msg);
  }
  static void on_core_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    static_cast<NatsEventBus*>(closure)->take(msg, /*stored=*/false);
    natsMsg_Destroy(msg);
  }

  // Whether this host's consumer still exists on the server (a server that
  // lost its store has none; then it is made again).
  bool consumer_found() {
    jsConsumerInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_GetConsumerInfo(&info, link_->jetstream(), stream_.c_str(),
                                                 consumer_.c_str(), nullptr, &code);
    if (info != nullptr) jsConsumerInfo_Destroy(info);
    return status == NATS_OK || (code != JSConsumerNotFoundErr && code != JSStreamNotFoundErr);
  }

  void drop_subscription() {
    if (subscription_ == nullptr) return;
    // Waits for a callback in progress; what is still waiting is not
    // acknowledged, so JetStream sends it again.
    if (natsSubscription_Drain(subscription_) == NATS_OK) {
      natsSubscription_WaitForDrainCompletion(subscription_, 5000);
    }
    natsSubscription_Destroy(subscription_);
    subscription_ = nullptr;
  }

  bool stopping() {
    MutexLock lock(mutex_);
    return stopping_;
  }
  // Waits up to `time`, or until stopping or a (re)connection.
  void pause(std::chrono::milliseconds time) {
    MutexLock lock(mutex_);
    if (!stopping_) wake_.wait_until(mutex_, std::chrono::steady_clock::now() + time);
  }

  // Keeps the subscription: made once connected, made again when the
  // server lost the consumer. libnats itself resubscribes after a reconnect.
  void receive_loop() {
    while (!stopping()) {
      if (link_->state() == cluster::NatsLink::State::Connected) {
        if (subscription_ != nullptr && !consumer_found()) {
          note("the NATS server lost consumer " + consumer_ + "; subscribing again");
          drop_subscription();
        }
        if (subscription_ == nullptr) {
          if (auto made = subscribe_consumer(); !made) note(made.error().message());
        }
      }
      pause(std::chrono::seconds(2));
    }
    drop_subscription();
  }

  // Hands one message to this host's bus and, for one from the stream,
  // settles it with JetStream. A core NATS message is at most once: what
  // this host cannot take is dropped (and noted).
  void take(natsMsg* msg, bool stored) {
    auto settle = [&](void (*how)(natsMsg*)) {
      if (stored) how(msg);
    };
    auto ack = [](natsMsg* m) { natsMsg_Ack(m, nullptr); };
    auto term = [](natsMsg* m) { natsMsg_Term(m, nullptr); };
    if (stopping()) {  // not acknowledged: JetStream keeps it for this host's next run
      settle([](natsMsg* m) { natsMsg_Nak(m, nullptr); });
      return;
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(natsMsg_GetData(msg));
    const std::size_t size = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
    auto envelope = decode_envelope(std::span<const std::uint8_t>(data, size));
    if (!envelope) {
      note("dropped a message from NATS: " + envelope.error().message());
      settle(term);
      return;
    }
    if (envelope->origin == link_->host()) {  // this host's own, delivered when published
      settle(ack);
      return;
    }
    if (envelope->hops >= limits::kEventHopLimit) {
      settle(term);
      return;
    }
    auto published = local_->publish(envelope->publisher, std::move(envelope->message),
                                      envelope->hops);
    if (published) {
      received_.fetch_add(1, std::memory_order_relaxed);
      settle(ack);
      return;
    }
    if (stored && published.error().code() == ErrorCode::ResourceExhausted) {
      // This host's queues are full: JetStream sends it again in a second,
      // and this callback slows the flow meanwhile.
      natsMsg_NakWithDelay(msg, 1000, nullptr);
      note("event from host '" + envelope->origin + "' put back: " + published.error().message());
      pause(std::chrono::milliseconds(50));
      return;
    }
    note("dropped an event from host '" + envelope->origin + "': " + published.error().message());
    settle(term);
  }

  // ---- Which events must be stored: the registry of durable patterns ----
  //
  // An event goes through the stream only when a durable subscription on
  // another host may want it; otherwise it is a core NATS publish, at most
  // once like any ephemeral event. Each host advertises its durable
  // subscriptions' patterns in a JetStream key-value bucket and watches
  // everyone's. Until this host has read the whole bucket, every event is
  // stored (the safe side). A pattern subscribed a moment ago may not be
  // known to a publisher yet: its events then come by core NATS, which a
  // host that is up (it just subscribed) takes and stores like any other.

  void subscriptions_changed() {
    MutexLock lock(mutex_);
    advertise_dirty_ = true;
    wake_.notify_all();
  }

  bool remote_durable_match_locked(const std::string& topic) ORIVON_REQUIRES(mutex_) {
    for (const auto& [key, pattern] : remote_durable_) {
      if (grants::topic_matches(pattern, topic)) return true;
    }
    return false;
  }

  Result<void> open_registry() {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = registry_bucket_.c_str();
    config.History = 1;
    config.StorageType = js_FileStorage;
    natsStatus status = js_CreateKeyValue(&kv_, link_->jetstream(), &config);
    if (status != NATS_OK) {
      kv_ = nullptr;
      return cluster::nats_error(status, "opening the key-value bucket " + registry_bucket_);
    }
    return ok();
  }

  // Makes the registry's keys of this host those of its durable patterns now.
  Result<void> advertise() {
    std::set<std::string> patterns;
    for (const SubscriptionReport& subscription : local_->report().subscriptions) {
      if (subscription.durability == EventDurability::Durable) patterns.insert(subscription.pattern);
    }
    std::map<std::string, std::string> wanted;
    for (const std::string& pattern : patterns) {
      wanted.emplace(registry_key(link_->host(), pattern), pattern);
    }
    for (const auto& [key, pattern] : wanted) {
      if (advertised_.count(key) != 0) continue;
      std::uint64_t revision = 0;
      const natsStatus status = kvStore_PutString(&revision, kv_, key.c_str(), pattern.c_str());
      if (status != NATS_OK) return cluster::nats_error(status, "advertising a durable pattern");
      advertised_.insert(key);
    }
    // Keys of patterns gone, including any an earlier run left behind.
    std::set<std::string> stale;
    for (const std::string& key : advertised_) {
      if (wanted.count(key) == 0) stale.insert(key);
    }
    kvKeysList keys{};
    if (kvStore_Keys(&keys, kv_, nullptr) == NATS_OK) {
      const std::string mine = link_->host() + ".";
      for (int i = 0; i < keys.Count; ++i) {
        const std::string key = keys.Keys[i];
        if (key.starts_with(mine) && wanted.count(key) == 0) stale.insert(key);
      }
      kvKeysList_Destroy(&keys);
    }
    for (const std::string& key : stale) {
      const natsStatus status = kvStore_Delete(kv_, key.c_str());
      if (status != NATS_OK) return cluster::nats_error(status, "withdrawing a durable pattern");
      advertised_.erase(key);
    }
    return ok();
  }

  void apply(kvEntry* entry) {
    const std::string key = kvEntry_Key(entry);
    const bool mine = key.starts_with(link_->host() + ".");
    const kvOperation operation = kvEntry_Operation(entry);
    MutexLock lock(mutex_);
    if (operation == kvOp_Put && !mine) {
      const char* value = kvEntry_ValueString(entry);
      std::string pattern = value != nullptr ? value : "";
      if (grants::check_topic_pattern(pattern)) {
        remote_durable_[key] = std::move(pattern);
      } else {
        // Not a pattern: store every event rather than miss one.
        remote_durable_[key] = ">";
      }
    } else {
      remote_durable_.erase(key);
    }
  }

  void subscribe_core() {
    const std::string subject = prefix_ + ".e.>";
    natsSubscription* subscription = nullptr;
    const natsStatus status = natsConnection_Subscribe(&subscription, link_->connection(),
                                                       subject.c_str(), on_core_message, this);
    if (status != NATS_OK) {
      note(cluster::nats_error(status, "subscribing to " + subject).message());
      return;
    }
    // At most once: past this, libnats drops (a slow consumer), never grows.
    natsSubscription_SetPendingLimits(subscription, 4 * kMaxInFlight, kMaxWaitingBytes);
    core_subscription_ = subscription;
  }

  void registry_loop() {
    kvWatcher* watcher = nullptr;
    while (!stopping()) {
      if (link_->state() != cluster::NatsLink::State::Connected) {
        pause(std::chrono::milliseconds(250));
        continue;
      }
      if (core_subscription_ == nullptr) subscribe_core();
      if (kv_ == nullptr) {
        if (auto opened = open_registry(); !opened) {
          note(opened.error().message());
          pause(std::chrono::seconds(1));
          continue;
        }
      }
      if (watcher == nullptr) {
        if (natsStatus status = kvStore_WatchAll(&watcher, kv_, nullptr); status != NATS_OK) {
          watcher = nullptr;
          note(cluster::nats_error(status, "watching " + registry_bucket_).message());
          pause(std::chrono::seconds(1));
          continue;
        }
        MutexLock lock(mutex_);
        remote_durable_.clear();
        registry_ready_ = false;
      }
      bool dirty = false;
      {
        MutexLock lock(mutex_);
        dirty = advertise_dirty_;
        advertise_dirty_ = false;
      }
      if (dirty) {
        if (auto told = advertise(); !told) {
          note(told.error().message());
          MutexLock lock(mutex_);
          advertise_dirty_ = true;
        }
      }
      kvEntry* entry = nullptr;
      const natsStatus status = kvWatcher_Next(&entry, watcher, 100);
      if (status == NATS_TIMEOUT) continue;
      if (status != NATS_OK) {
        note(cluster::nats_error(status, "watching " + registry_bucket_).message());
        kvWatcher_Destroy(watcher);
        watcher = nullptr;
        pause(std::chrono::milliseconds(250));
        continue;
      }
      if (entry == nullptr) {  // every key there was is read: from now on, updates
        MutexLock lock(mutex_);
        registry_ready_ = true;
        continue;
      }
      apply(entry);
      kvEntry_Destroy(entry);
    }
    if (watcher != nullptr) {
      kvWatcher_Stop(watcher);
      kvWatcher_Destroy(watcher);
    }
    if (core_subscription_ != nullptr) {
      if (natsSubscription_Drain(core_subscription_) == NATS_OK) {
        natsSubscription_WaitForDrainCompletion(core_subscription_, 5000);
      }
      natsSubscription_Destroy(core_subscription_);
      core_subscription_ = nullptr;
    }
    if (kv_ != nullptr) {
      kvStore_Destroy(kv_);
      kv_ = nullptr;
    }
  }

  void send_loop() {
    while (true) {
      Outgoing next;
      {
        MutexLock lock(mutex_);
        while (!stopping_ &&
               (outbox_.empty() || link_->state() != cluster::NatsLink::State::Connected)) {
          wake_.wait_until(mutex_, std::chrono::steady_clock::now() + std::chrono::milliseconds(250));
        }
        if (stopping_) return;
        next = outbox_.front();  // stays queued until stored, so publishers queue behind it
      }
      if (auto sent = send(next); !sent) {
        pause(std::chrono::milliseconds(250));
        continue;
      }
      if (outbox_file_ && next.row != 0) {
        // Sent but not forgotten: sent again after a crash, and JetStream
        // drops the copy by its message id (a core event arrives twice).
        if (auto removed = outbox_file_->remove(next.row); !removed) {
          note(removed.error().message());
        }
      }
      MutexLock lock(mutex_);
      outbox_bytes_ -= outbox_.front().body.size();
      outbox_.pop_front();
    }
  }

  std::unique_ptr<OutboxFile> outbox_file_;  // may be null: the outbox is in memory only
  std::unique_ptr<EventBus> local_;
  std::shared_ptr<cluster::NatsLink> link_;
  const NatsBusOptions options_;
  const std::string prefix_;
  const std::string stream_;
  const std::string consumer_;
  const std::string deliver_subject_;
  const std::string registry_bucket_;
  // The registry thread's (registry_loop).
  kvStore* kv_ = nullptr;
  natsSubscription* core_subscription_ = nullptr;
  std::set<std::string> advertised_;  // this host's keys in the registry
  std::string session_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> sent_core_{0};
  std::atomic<std::uint64_t> received_{0};
  // The receiver thread's (and start()'s, before that thread exists).
  natsSubscription* subscription_ = nullptr;

  Mutex mutex_;
  CondVar wake_;
  bool stopping_ ORIVON_GUARDED_BY(mutex_) = false;
  std::deque<Outgoing> outbox_ ORIVON_GUARDED_BY(mutex_);
  std::uint64_t outbox_bytes_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::string last_error_ ORIVON_GUARDED_BY(mutex_);
  // Other hosts' durable patterns by registry key, once read whole.
  std::map<std::string, std::string> remote_durable_ ORIVON_GUARDED_BY(mutex_);
  bool registry_ready_ ORIVON_GUARDED_BY(mutex_) = false;
  bool advertise_dirty_ ORIVON_GUARDED_BY(mutex_) = true;
  std::thread registry_;
  std::thread receiver_;
  std::thread sender_;
};

}  // namespace

std::string encode_envelope(const Envelope& envelope) {
  const EventMessage& message = envelope.message;
  std::string out;
  out.reserve(64 + envelope.origin.size() + envelope.publisher.size() + message.topic.size() +
              message.data.size());
  out.push_back(static_cast<char>(kEnvelopeVersion));
  put_text(out, envelope.origin);
  put_text(out, envelope.publisher);
  put_u32(out, envelope.hops);
  put_text(out, message.topic);
  out.push_back(message.content_type ? 1 : 0);
  if (message.content_type) put_text(out, *message.content_type);
  put_u32(out, static_cast<std::uint32_t>(message.metadata.size()));
  for (const auto& [key, value] : message.metadata) {
    put_text(out, key);
    put_text(out, value);
  }
  put_text(out, std::string_view(reinterpret_cast<const char*>(message.data.data()),
                                 message.data.size()));
  return out;
}

Result<Envelope> decode_envelope(std::span<const std::uint8_t> body) {
  Reader reader(body);
  ORIVON_TRY(const std::uint8_t version, reader.u8());
  if (version != kEnvelopeVersion) {
    return Error(ErrorCode::InvalidArgument,
                 "an event from another host has envelope version " + std::to_string(version) +
                     "; this host reads version " + std::to_string(kEnvelopeVersion));
  }
  Envelope envelope;
  ORIVON_TRY(envelope.origin, reader.text());
  ORIVON_TRY(envelope.publisher, reader.text());
  ORIVON_TRY(envelope.hops, reader.u32());
  ORIVON_TRY(envelope.message.topic, reader.text());
  ORIVON_TRY(const std::uint8_t has_type, reader.u8());
  if (has_type > 1) return Error(ErrorCode::InvalidArgument, "an event from another host is garbled");
  if (has_type == 1) {
    ORIVON_TRY(std::string type, reader.text());
    envelope.message.content_type = std::move(type);
  }
  ORIVON_TRY(const std::uint32_t entries, reader.u32());
  if (entries > limits::kMaxEventMetadataEntries) {
    return Error(ErrorCode::InvalidArgument, "an event from another host has too much metadata");
  }
  for (std::uint32_t i = 0; i < entries; ++i) {
    ORIVON_TRY(std::string key, reader.text());
    ORIVON_TRY(std::string value, reader.text());
    envelope.message.metadata.emplace_back(std::move(key), std::move(value));
  }
  ORIVON_TRY(auto data, reader.bytes());
  envelope.message.data.assign(data.begin(), data.end());
  if (!reader.done()) {
    return Error(ErrorCode::InvalidArgument, "an event from another host has bytes past its end");
  }
  ORIVON_RETURN_IF_ERROR(check_message(envelope.message));
  return envelope;
}

Result<std::unique_ptr<EventBus>> make_nats_event_bus(std::unique_ptr<EventBus> local,
                                                      std::shared_ptr<cluster::NatsLink> link,
                                                      NatsBusOptions options) {
  std::unique_ptr<OutboxFile> outbox_file;
  if (!options.outbox_database.empty()) {
    auto opened = OutboxFile::open(options.outbox_database);
    if (!opened) {
      return Error(opened.error().code(), "opening the cluster outbox " +
                                              options.outbox_database.string() + ": " +
                                              opened.error().message());
    }
    outbox_file = std::move(*opened);
  }
  auto bus = std::make_unique<NatsEventBus>(std::move(local), std::move(link), options,
                                            std::move(outbox_file));
  ORIVON_RETURN_IF_ERROR(bus->restore_outbox());
  bus->start();
  return std::unique_ptr<EventBus>(std::move(bus));
}

}  // namespace orivon::bus
