#include "bus/local_event_bus.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bus/event_store.h"
#include "bus/message_check.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "grants/topic_pattern.h"

namespace orivon {

std::string_view event_durability_name(EventDurability durability) {
  return durability == EventDurability::Durable ? "durable" : "ephemeral";
}

namespace bus {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kClient = "client";

// How long a delivery thread that ran out of work polls for more before it
// sleeps. Waking a sleeping thread costs tens of microseconds on a busy or
// virtualized machine (several times a handler's own run), and events tend
// to come in bursts; one thread at a time polls, giving way to others as it
// does, so an idle bus costs this much CPU once per burst and nothing after.
constexpr auto kIdlePoll = std::chrono::microseconds(100);

std::uint64_t event_bytes(const ReceivedEvent& event) {
  std::uint64_t bytes = event.message.data.size() + event.message.topic.size();
  for (const auto& [key, value] : event.message.metadata) bytes += key.size() + value.size();
  return bytes;
}

struct Entry {
  std::shared_ptr<const ReceivedEvent> event;
  std::uint32_t attempts = 0;  // failed deliveries so far
};

// One subscription and its queue. Guarded by the bus's mutex; `handler` is
// only called without it.
struct Lane {
  SubscriptionId id;
  std::optional<ModuleId> module;  // none: the client's own subscription
  std::string subscriber;
  std::string pattern;
  EventDurability durability = EventDurability::Ephemeral;
  std::string source;
  EventHandler handler;
  std::deque<Entry> queue;
  std::uint64_t queued_bytes = 0;
  bool scheduled = false;  // in the ready list or the timers
  bool in_flight = false;
  bool removed = false;
  std::optional<std::multimap<Clock::time_point, std::shared_ptr<Lane>>::iterator> timer;
  std::uint64_t delivered = 0;
  std::uint64_t redelivered = 0;
  std::uint64_t dropped = 0;
};

class LocalEventBus final : public EventBus {
 public:
  LocalEventBus(const LocalBusOptions& options, EventSink& sink,
                std::unique_ptr<EventStore> store)
      : options_(options), sink_(sink), store_(std::move(store)) {}

  ~LocalEventBus() override { shut_down(); }

  Result<void> load() {
    if (!store_) return ok();
    ORIVON_TRY(auto subscriptions, store_->subscriptions());
    ORIVON_TRY(auto pending, store_->pending());
    MutexLock lock(mutex_);
    for (auto& stored : subscriptions) {
      auto module = ModuleId::parse(stored.subscriber);
      if (!module || !grants::check_topic_pattern(stored.pattern)) continue;  // untrusted file
      auto lane = std::make_shared<Lane>();
      lane->id = stored.id;
      lane->module = std::move(*module);
      lane->subscriber = std::move(stored.subscriber);
      lane->pattern = std::move(stored.pattern);
      lane->durability = stored.durability;
      lane->source = stored.source == SubscriptionSource::Manifest ? "manifest" : "client";
      next_id_ = std::max(next_id_, stored.id.value + 1);
      lanes_[lane->id.value] = std::move(lane);
    }
    for (auto& item : pending) {
      auto it = lanes_.find(item.subscription.value);
      if (it == lanes_.end() || it->second->durability != EventDurability::Durable) continue;
      Lane& lane = *it->second;
      auto event = std::make_shared<const ReceivedEvent>(std::move(item.event));
      lane.queued_bytes += event_bytes(*event);
      lane.queue.push_back(Entry{std::move(event), item.attempts});
    }
    for (auto& [id, lane] : lanes_) {
      if (!lane->queue.empty()) schedule_locked(lane);
    }
    return ok();
  }

  void start() {
    const std::size_t count = std::max<std::size_t>(1, options_.delivery_threads);
    for (std::size_t i = 0; i < count; ++i) threads_.emplace_back([this] { deliver_loop(); });
  }

  Result<std::uint64_t> publish(std::string_view publisher, EventMessage message,
                                std::uint32_t hops) override {
    ORIVON_RETURN_IF_ERROR(check_message(message));
    if (hops >= limits::kEventHopLimit) {
      return Error(ErrorCode::ResourceExhausted,
                   "event on '" + message.topic + "' not published: it is " +
                       std::to_string(hops) + " handlers deep, and the hop limit is " +
                       std::to_string(limits::kEventHopLimit) +
                       " (an event loop between modules?)");
    }
    auto event = std::make_shared<ReceivedEvent>();
    event->message = std::move(message);
    event->publisher = std::string(publisher);
    event->hops = hops;
    const std::uint64_t bytes = event_bytes(*event);

    // Durable copies first: stored (and their lanes filled) under the store
    // mutex, so that publishers' events enter every durable lane in the
    // order of their ids.
    std::optional<std::uint64_t> sequence;
    std::size_t scheduled = 0;  // lanes made ready: delivery threads to wake
    {
      std::vector<std::shared_ptr<Lane>> durable = matching(event->message.topic,
                                                            EventDurability::Durable);
      if (!durable.empty()) {
        if (!store_) return Error(ErrorCode::Internal, "durable subscription without a database");
        ORIVON_RETURN_IF_ERROR(wait_for_room(durable, bytes, event->message.topic));
        MutexLock store_lock(store_mutex_);
        // Lanes may have filled or gone while waiting: look again.
        durable = matching(event->message.topic, EventDurability::Durable);
        std::vector<SubscriptionId> ids;
        {
          MutexLock lock(mutex_);
          for (const auto& lane : durable) {
            if (auto full = full_locked(*lane, bytes)) return *full;
            ids.push_back(lane->id);
          }
        }
        if (!ids.empty()) {
          auto stored = store_->store(*event, ids);
          if (!stored) return Error::wrap("storing the event", stored.error());
          sequence = *stored;
          event->sequence = *stored;
          std::shared_ptr<const ReceivedEvent> shared = event;
          MutexLock lock(mutex_);
          for (const auto& lane : durable) {
            if (lane->removed) continue;
            lane->queue.push_back(Entry{shared, 0});
            lane->queued_bytes += bytes;
            scheduled += schedule_locked(lane) ? 1 : 0;
          }
        }
      }
    }

    std::uint64_t published = 0;
    {
      MutexLock lock(mutex_);
      if (!sequence) event->sequence = next_ephemeral_sequence_++;
      std::shared_ptr<const ReceivedEvent> shared = event;
      for (auto& [id, lane] : lanes_) {
        if (lane->durability != EventDurability::Ephemeral) continue;
        if (!grants::topic_matches(lane->pattern, shared->message.topic)) continue;
        while (!lane->queue.empty() && (lane->queue.size() >= options_.ephemeral_queue_events ||
                                        lane->queued_bytes + bytes > options_.queue_bytes)) {
          // Drop the oldest that is not being delivered right now.
          const std::size_t victim = lane->in_flight ? 1 : 0;
          if (victim >= lane->queue.size()) break;
          lane->queued_bytes -= event_bytes(*lane->queue[victim].event);
          lane->queue.erase(lane->queue.begin() + static_cast<std::ptrdiff_t>(victim));
          ++lane->dropped;
          ++counters_[lane->subscriber].dropped;
        }
        lane->queue.push_back(Entry{shared, 0});
        lane->queued_bytes += bytes;
        scheduled += schedule_locked(lane) ? 1 : 0;
      }
      ++counters_[shared->publisher].published;
      if (topics_.size() < limits::kEventTopicsTracked || topics_.count(shared->message.topic)) {
        ++topics_[shared->message.topic];
      }
      published = shared->sequence;
    }
    wake(scheduled);
    return published;
  }

  Result<SubscriptionId> subscribe(const ModuleId& subscriber, std::string_view pattern,
                                   EventDurability durability,
                                   SubscriptionSource source) override {
    ORIVON_RETURN_IF_ERROR(grants::check_topic_pattern(pattern));
    if (!store_) {
      return Error(ErrorCode::FailedPrecondition,
                   "subscriptions of modules need a state directory (events.db)");
    }
    MutexLock store_lock(store_mutex_);
    ORIVON_TRY(auto id, store_->put_subscription(subscriber.str(), pattern, durability, source));
    MutexLock lock(mutex_);
    auto& lane = lanes_[id.value];
    if (!lane) {
      lane = std::make_shared<Lane>();
      lane->id = id;
      lane->module = subscriber;
      lane->subscriber = subscriber.str();
      lane->pattern = std::string(pattern);
    }
    if (lane->durability != durability) {
      // Switching kinds starts the queue afresh: an ephemeral queue has no
      // rows to carry over, and a durable one's rows stay in events.db until
      // the next host start reads them back.
      lane->queue.clear();
      lane->queued_bytes = 0;
    }
    lane->durability = durability;
    lane->source = source == SubscriptionSource::Manifest ? "manifest" : "client";
    next_id_ = std::max(next_id_, id.value + 1);
    return id;
  }

  Result<void> unsubscribe(const ModuleId& subscriber, std::string_view pattern) override {
    std::optional<SubscriptionId> id;
    {
      MutexLock lock(mutex_);
      for (auto& [key, lane] : lanes_) {
        if (lane->module == subscriber && lane->pattern == pattern) id = lane->id;
      }
    }
    if (!id) {
      return Error(ErrorCode::NotFound, "'" + subscriber.str() + "' has no subscription to '" +
                                            std::string(pattern) + "'");
    }
    return remove(*id);
  }

  Result<void> unsubscribe_all(const ModuleId& subscriber) override {
    std::vector<SubscriptionId> ids;
    {
      MutexLock lock(mutex_);
      for (auto& [key, lane] : lanes_) {
        if (lane->module == subscriber) ids.push_back(lane->id);
      }
    }
    for (const auto& id : ids) ORIVON_RETURN_IF_ERROR(remove(id));
    return ok();
  }

  std::vector<SubscriptionReport> subscriptions(const ModuleId& subscriber) override {
    std::vector<SubscriptionReport> out;
    MutexLock lock(mutex_);
    for (auto& [key, lane] : lanes_) {
      if (lane->module == subscriber) out.push_back(report_locked(*lane, 0));
    }
    return out;
  }

  Result<SubscriptionId> subscribe_client(std::string_view pattern,
                                          EventHandler handler) override {
    ORIVON_RETURN_IF_ERROR(grants::check_topic_pattern(pattern));
    if (!handler) return Error(ErrorCode::InvalidArgument, "an event handler is required");
    MutexLock lock(mutex_);
    auto lane = std::make_shared<Lane>();
    // Client ids count down from the top so they never meet persisted ones.
    lane->id = SubscriptionId{next_client_id_--};
    lane->subscriber = std::string(kClient);
    lane->pattern = std::string(pattern);
    lane->source = "api";
    lane->handler = std::move(handler);
    lanes_[lane->id.value] = lane;
    return lane->id;
  }

  Result<void> unsubscribe_client(SubscriptionId id) override {
    MutexLock lock(mutex_);
    auto it = lanes_.find(id.value);
    if (it == lanes_.end() || it->second->module) {
      return Error(ErrorCode::NotFound, "no client subscription " + std::to_string(id.value));
    }
    drop_lane_locked(it);
    return ok();
  }

  // Called at every start of every service: it wakes delivery threads
  // only for lanes it made ready (waking them all for none cost each start
  // a round of futex wake-ups and context switches on a small machine).
  void wake(const ModuleId& subscriber) override {
    std::size_t readied = 0;
    {
      MutexLock lock(mutex_);
      for (auto it = timers_.begin(); it != timers_.end();) {
        auto lane = it->second;
        if (lane->module == subscriber) {
          lane->timer.reset();
          it = timers_.erase(it);
          ready_.push_back(std::move(lane));
          readied_.fetch_add(1, std::memory_order_release);
          ++readied;
        } else {
          ++it;
        }
      }
    }
    wake(readied);
  }

  EventsReport report() override {
    std::map<std::uint64_t, std::uint64_t> dead;
    std::uint64_t dead_total = 0;
    if (store_) {
      MutexLock store_lock(store_mutex_);
      if (auto counts = store_->dead_counts()) dead = std::move(*counts);
      if (auto count = store_->dead_count()) dead_total = *count;
    }
    EventsReport report;
    MutexLock lock(mutex_);
    for (auto& [key, lane] : lanes_) {
      auto found = dead.find(lane->id.value);
      report.subscriptions.push_back(report_locked(*lane, found == dead.end() ? 0 : found->second));
    }
    for (const auto& [topic, published] : topics_) report.topics.push_back({topic, published});
    report.dead_letters = dead_total;
    return report;
  }

  EventCounters counters(std::string_view party) override {
    MutexLock lock(mutex_);
    auto it = counters_.find(std::string(party));
    return it == counters_.end() ? EventCounters{} : it->second;
  }

  Result<std::vector<DeadLetter>> dead_letters(std::size_t max) override {
    if (!store_) return std::vector<DeadLetter>{};
    MutexLock store_lock(store_mutex_);
    return store_->dead_letters(max);
  }

  Result<std::size_t> requeue_dead_letters() override {
    if (!store_) return std::size_t{0};
    MutexLock store_lock(store_mutex_);
    ORIVON_TRY(auto requeued, store_->requeue_dead());
    MutexLock lock(mutex_);
    for (auto& item : requeued) {
      auto it = lanes_.find(item.subscription.value);
      if (it == lanes_.end()) continue;
      auto& lane = it->second;
      auto event = std::make_shared<const ReceivedEvent>(std::move(item.event));
      const bool already = std::any_of(lane->queue.begin(), lane->queue.end(), [&](const Entry& e) {
        return e.event->sequence == event->sequence;
      });
      if (already) continue;
      lane->queued_bytes += event_bytes(*event);
      lane->queue.push_back(Entry{std::move(event), 0});
      schedule_locked(lane);
    }
    work_.notify_all();
    return requeued.size();
  }

  Result<std::size_t> purge_dead_letters() override {
    if (!store_) return std::size_t{0};
    MutexLock store_lock(store_mutex_);
    return store_->purge_dead();
  }

  void shut_down() override {
    {
      MutexLock lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    work_.notify_all();
    room_.notify_all();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  // The subscriptions of `durability` that `topic` matches.
  std::vector<std::shared_ptr<Lane>> matching(const std::string& topic,
                                              EventDurability durability) {
    std::vector<std::shared_ptr<Lane>> out;
    MutexLock lock(mutex_);
    for (auto& [id, lane] : lanes_) {
      if (lane->durability == durability && grants::topic_matches(lane->pattern, topic)) {
        out.push_back(lane);
      }
    }
    return out;
  }

  std::optional<Error> full_locked(const Lane& lane, std::uint64_t bytes)
      ORIVON_REQUIRES(mutex_) {
    if (lane.queue.size() < options_.durable_queue_events &&
        lane.queued_bytes + bytes <= options_.queue_bytes) {
      return std::nullopt;
    }
    return Error(ErrorCode::ResourceExhausted,
                 "the durable subscription of '" + lane.subscriber + "' to '" + lane.pattern +
                     "' is full (" + std::to_string(lane.queue.size()) + " events, " +
                     std::to_string(lane.queued_bytes) +
                     " bytes waiting); the event was not published");
  }

  // Waits up to publish_wait for every lane to have room for `bytes`.
  Result<void> wait_for_room(const std::vector<std::shared_ptr<Lane>>& lanes,
                             std::uint64_t bytes, const std::string& topic) {
    const auto deadline = Clock::now() + options_.publish_wait;
    MutexLock lock(mutex_);
    while (true) {
      std::optional<Error> full;
      for (const auto& lane : lanes) {
        if (lane->removed) continue;
        if (auto error = full_locked(*lane, bytes)) {
          full = std::move(error);
          break;
        }
      }
      if (!full) return ok();
      if (stopping_ || Clock::now() >= deadline) return *full;
      room_.wait_until(mutex_, deadline);
    }
  }

  Result<void> remove(SubscriptionId id) {
    if (store_) {
      MutexLock store_lock(store_mutex_);
      ORIVON_RETURN_IF_ERROR(store_->remove_subscription(id));
    }
    MutexLock lock(mutex_);
    auto it = lanes_.find(id.value);
    if (it != lanes_.end()) drop_lane_locked(it);
    return ok();
  }

  void drop_lane_locked(std::map<std::uint64_t, std::shared_ptr<Lane>>::iterator it)
      ORIVON_REQUIRES(mutex_) {
    auto& lane = it->second;
    lane->removed = true;
    if (lane->timer) {
      timers_.erase(*lane->timer);
      lane->timer.reset();
    }
    lane->queue.clear();
    lane->queued_bytes = 0;
    lanes_.erase(it);
    room_.notify_all();
  }

  SubscriptionReport report_locked(const Lane& lane, std::uint64_t dead) ORIVON_REQUIRES(mutex_) {
    SubscriptionReport report;
    report.id = lane.id.value;
    report.subscriber = lane.subscriber;
    report.pattern = lane.pattern;
    report.durability = lane.durability;
    report.source = lane.source;
    report.pending = lane.queue.size();
    report.delivered = lane.delivered;
    report.redelivered = lane.redelivered;
    report.dropped = lane.dropped;
    report.dead = dead;
    return report;
  }

  // Puts a lane with events on the ready list, unless it is already
  // scheduled or being delivered (the delivering thread reschedules it).
  // Whether it did.
  bool schedule_locked(const std::shared_ptr<Lane>& lane) ORIVON_REQUIRES(mutex_) {
    if (lane->scheduled || lane->in_flight || lane->removed || lane->queue.empty()) return false;
    lane->scheduled = true;
    ready_.push_back(lane);
    readied_.fetch_add(1, std::memory_order_release);
    return true;
  }

  // Wakes a delivery thread per lane made ready, after the mutex is let go:
  // one event for one subscriber wakes one thread, which then finds the
  // mutex free, instead of every thread contending for it. A thread polling
  // for work (idle_poll_locked) takes one lane without being woken.
  void wake(std::size_t ready_lanes) ORIVON_EXCLUDES(mutex_) {
    if (ready_lanes == 1) {
      if (!polling_.load(std::memory_order_acquire)) work_.notify_one();
    } else if (ready_lanes > 1) {
      work_.notify_all();
    }
  }

  // Lets the mutex go and polls for a lane made ready for up to kIdlePoll,
  // unless another thread already polls; holds the mutex again on return.
  // The caller looks at ready_ again before it sleeps: `polling_` is cleared
  // under the mutex, so a publisher that saw it set made its lane ready
  // before this thread looks (and did not wake anyone for it).
  void idle_poll_locked() ORIVON_REQUIRES(mutex_) {
    if (polling_.load(std::memory_order_relaxed)) return;
    polling_.store(true, std::memory_order_relaxed);
    const std::uint64_t seen = readied_.load(std::memory_order_acquire);
    mutex_.unlock();
    const auto until = Clock::now() + kIdlePoll;
    while (readied_.load(std::memory_order_acquire) == seen && Clock::now() < until) {
      std::this_thread::yield();
    }
    mutex_.lock();
    polling_.store(false, std::memory_order_relaxed);
    // Lanes made ready meanwhile woke nobody: this thread takes one.
    if (ready_.size() > 1) work_.notify_all();
  }

  void schedule_at_locked(const std::shared_ptr<Lane>& lane, Clock::time_point when)
      ORIVON_REQUIRES(mutex_) {
    if (lane->removed) return;
    lane->scheduled = true;
    lane->timer = timers_.emplace(when, lane);
  }

  std::chrono::milliseconds backoff(std::uint32_t failures) const {
    auto delay = options_.initial_backoff;
    for (std::uint32_t i = 1; i < failures && delay < options_.max_backoff; ++i) delay *= 2;
    return std::min(delay, options_.max_backoff);
  }

  void deliver_loop() noexcept {
    while (true) {
      std::shared_ptr<Lane> lane;
      Entry entry;
      EventDurability durability = EventDurability::Ephemeral;
      {
        MutexLock lock(mutex_);
        bool polled = false;
        while (!stopping_) {
          const auto now = Clock::now();
          while (!timers_.empty() && timers_.begin()->first <= now) {
            auto due = timers_.begin()->second;
            due->timer.reset();
            timers_.erase(timers_.begin());
            ready_.push_back(std::move(due));
          }
          if (!ready_.empty()) break;
          if (!polled) {
            polled = true;
            idle_poll_locked();
            continue;
          }
          if (timers_.empty()) {
            work_.wait(mutex_);
          } else {
            work_.wait_until(mutex_, timers_.begin()->first);
          }
        }
        if (stopping_) return;
        lane = std::move(ready_.front());
        ready_.pop_front();
        lane->scheduled = false;
        if (lane->removed || lane->queue.empty() || lane->in_flight) continue;
        lane->in_flight = true;
        entry = lane->queue.front();
        durability = lane->durability;  // subscribe() may change it meanwhile
      }
      const DeliveryOutcome outcome = deliver(*lane, entry);
      settle(lane, entry, durability, outcome);
    }
  }

  // Runs the handler; never holds a lock.
  DeliveryOutcome deliver(const Lane& lane, const Entry& entry) noexcept {
    try {
      ReceivedEvent event = *entry.event;
      event.attempt = entry.attempts + 1;
      if (lane.module) return sink_.deliver(*lane.module, event);
      auto handled = lane.handler(event);
      if (handled) return {};
      return {DeliveryOutcome::Kind::Failed, handled.error().message()};
    } catch (const std::exception& e) {
      return {DeliveryOutcome::Kind::Failed, std::string("handler threw: ") + e.what()};
    } catch (...) {
      return {DeliveryOutcome::Kind::Failed, "handler threw"};
    }
  }

  // Applies the outcome of one delivery: to events.db first (outside the
  // bus mutex), then to the lane.
  void settle(const std::shared_ptr<Lane>& lane, const Entry& entry, EventDurability durability,
              const DeliveryOutcome& outcome) noexcept {
    using Kind = DeliveryOutcome::Kind;
    const bool durable = durability == EventDurability::Durable && lane->module;
    const std::uint64_t sequence = entry.event->sequence;
    const std::uint32_t failures = entry.attempts + 1;
    bool bury = false;
    if (durable) {
      MutexLock store_lock(store_mutex_);
      Result<void> written = ok();
      if (outcome.kind == Kind::Acknowledged || outcome.kind == Kind::Refused) {
        written = store_->acknowledge(lane->id, sequence);
      } else if (outcome.kind == Kind::Failed) {
        bury = failures >= options_.max_deliveries;
        written = bury ? store_->bury(lane->id, lane->subscriber, sequence, failures, outcome.reason)
                       : store_->record_failure(lane->id, sequence, failures);
      }
      // A failed write leaves events.db behind memory: the event comes back
      // at the next start (at-least-once still holds). Nothing else to do.
      (void)written;
    }
    MutexLock lock(mutex_);
    lane->in_flight = false;
    if (lane->removed || lane->queue.empty() || lane->queue.front().event != entry.event) {
      return;  // unsubscribed meanwhile
    }
    auto pop = [&] {
      lane->queued_bytes -= event_bytes(*lane->queue.front().event);
      lane->queue.pop_front();
      room_.notify_all();
    };
    EventCounters& counters = counters_[lane->subscriber];
    switch (outcome.kind) {
      case Kind::Acknowledged:
        ++lane->delivered;
        ++counters.delivered;
        if (entry.attempts > 0) ++lane->redelivered;
        pop();
        break;
      case Kind::Refused:
        ++lane->dropped;
        ++counters.dropped;
        pop();
        break;
      case Kind::Failed:
        ++counters.failed;
        if (entry.attempts > 0) ++lane->redelivered;
        if (!durable || bury) {
          pop();
        } else {
          lane->queue.front().attempts = failures;
          schedule_at_locked(lane, Clock::now() + backoff(failures));
          work_.notify_one();
          return;
        }
        break;
      case Kind::NotRunning:
        if (!durable) {
          ++lane->dropped;
          ++counters.dropped;
          pop();
          break;
        }
        schedule_at_locked(lane, Clock::now() + options_.idle_poll);
        work_.notify_one();
        return;
    }
    // This thread looks at the ready list next; another is woken only when
    // there is more than it can take.
    if (schedule_locked(lane) && ready_.size() > 1) work_.notify_one();
  }

  const LocalBusOptions options_;
  EventSink& sink_;
  // Taken before mutex_ when both are needed. Serializes events.db and
  // durable publishers (so lanes receive events in id order).
  Mutex store_mutex_;
  const std::unique_ptr<EventStore> store_;  // null without a state directory

  Mutex mutex_;
  CondVar work_;  // a lane became ready, a timer moved earlier, or stopping
  CondVar room_;  // a durable lane lost an event
  bool stopping_ ORIVON_GUARDED_BY(mutex_) = false;
  // Lanes ever made ready (read without the mutex by a polling thread), and
  // whether a thread polls; both written under the mutex.
  std::atomic<std::uint64_t> readied_{0};
  std::atomic<bool> polling_{false};
  std::map<std::uint64_t, std::shared_ptr<Lane>> lanes_ ORIVON_GUARDED_BY(mutex_);
  std::deque<std::shared_ptr<Lane>> ready_ ORIVON_GUARDED_BY(mutex_);
  std::multimap<Clock::time_point, std::shared_ptr<Lane>> timers_ ORIVON_GUARDED_BY(mutex_);
  std::map<std::string, EventCounters> counters_ ORIVON_GUARDED_BY(mutex_);
  std::map<std::string, std::uint64_t> topics_ ORIVON_GUARDED_BY(mutex_);
  std::uint64_t next_id_ ORIVON_GUARDED_BY(mutex_) = 1;
  std::uint64_t next_client_id_ ORIVON_GUARDED_BY(mutex_) = ~std::uint64_t{0};
  std::uint64_t next_ephemeral_sequence_ ORIVON_GUARDED_BY(mutex_) = 1;

  std::vector<std::thread> threads_;  // declared last: joined before the rest goes
};

}  // namespace

Result<std::unique_ptr<EventBus>> make_local_event_bus(const LocalBusOptions& options,
                                                       EventSink& sink) {
  std::unique_ptr<EventStore> store;
  if (!options.database.empty()) {
    auto opened = EventStore::open(options.database);
    if (!opened) return Error::wrap("opening " + options.database.string(), opened.error());
    store = std::move(*opened);
  }
  auto bus = std::make_unique<LocalEventBus>(options, sink, std::move(store));
  ORIVON_RETURN_IF_ERROR(bus->load());
  bus->start();
  return std::unique_ptr<EventBus>(std::move(bus));
}

}  // namespace bus
}  // namespace orivon
