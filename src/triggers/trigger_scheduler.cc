#include "triggers/trigger_scheduler.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/cron_schedule.h"
#include "orivon/units.h"

namespace orivon::triggers {
namespace {

// Threads that make runs: a run that takes long holds one, and the timers of
// other modules keep their times on the rest.
constexpr std::size_t kRunThreads = 4;
// The longest the scheduler sleeps at once, so a wall clock that jumps (a
// suspended machine, a corrected clock) is noticed within this.
constexpr std::chrono::seconds kLongestSleep{30};
// Missed cron runs are counted up to this many (a schedule every second over
// a week-long outage would otherwise be counted one by one).
constexpr int kMaxMissedCounted = 10'000;

std::string describe_schedule(const Trigger& trigger) {
  switch (trigger.kind) {
    case Trigger::Kind::Timer:
      return trigger.every.empty() ? "cron " + trigger.cron : "every " + trigger.every;
    case Trigger::Kind::Event:
      return "topic " + trigger.topic;
    case Trigger::Kind::Http:
      return "route " + trigger.route;
    case Trigger::Kind::Startup:
      return "start-up";
    case Trigger::Kind::Call:
      return "call";
  }
  return "";
}

// How a trigger's record is found in trigger_runs.
std::string record_key(const Trigger& trigger) {
  return std::string(trigger_kind_name(trigger.kind)) + "|" + describe_schedule(trigger) + "|" +
         trigger.call;
}

TriggerInfo info_from(const ModuleId& id, const Trigger& trigger, bool is_function,
                      const registry::TriggerRunRow& record) {
  TriggerInfo info(id);
  info.trigger = trigger;
  info.function = is_function;
  if (trigger.kind == Trigger::Kind::Timer && record.next_run_ms > 0) {
    info.next_run_ms = record.next_run_ms;
  }
  if (record.last_run_ms > 0) info.last_run_ms = record.last_run_ms;
  info.last_result = record.last_result;
  info.runs = static_cast<std::uint64_t>(record.runs);
  info.failures = static_cast<std::uint64_t>(record.failures);
  info.skipped = static_cast<std::uint64_t>(record.skipped);
  return info;
}

}  // namespace

Result<std::vector<TriggerInfo>> stored_triggers(registry::ModuleRegistry& registry,
                                                 const std::optional<ModuleId>& only) {
  std::vector<std::pair<ModuleId, Manifest>> modules;
  if (only) {
    ORIVON_TRY(auto manifest, registry.manifest(*only));
    if (manifest) modules.emplace_back(*only, std::move(*manifest));
  } else {
    ORIVON_TRY(modules, registry.manifests_with_triggers());
  }
  std::vector<TriggerInfo> out;
  for (const auto& [id, manifest] : modules) {
    if (manifest.triggers.empty()) continue;
    ORIVON_TRY(auto rows, registry.trigger_runs(id));
    for (const Trigger& trigger : manifest.triggers) {
      registry::TriggerRunRow record;
      const std::string key = record_key(trigger);
      for (const auto& row : rows) {
        if (row.trigger == key) record = row;
      }
      out.push_back(info_from(id, trigger, manifest.function.has_value(), record));
    }
  }
  return out;
}

std::int64_t system_wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct TriggerScheduler::Entry {
  Entry(ModuleId module_id, Trigger t) : module(std::move(module_id)), trigger(std::move(t)) {}

  const ModuleId module;
  const Trigger trigger;
  bool function = false;
  std::optional<std::int64_t> every_ms;  // timers with `every`
  std::optional<CronSchedule> cron;      // timers with `cron`
  registry::TriggerRunRow record;        // guarded by the scheduler's mutex_
  bool running = false;                  // likewise

  bool is_timer() const { return trigger.kind == Trigger::Kind::Timer; }

  // The first scheduled time after `after`; nothing for a cron day that
  // never comes.
  std::optional<std::int64_t> next_after(std::int64_t after) const {
    if (every_ms) return after + *every_ms;
    if (cron) return cron->next_after(after);
    return std::nullopt;
  }
};

TriggerScheduler::TriggerScheduler(supervisor::Supervisor& supervisor,
                                   registry::ModuleRegistry& registry, Clock& clock,
                                   WallClock wall)
    : supervisor_(supervisor),
      registry_(registry),
      clock_(clock),
      wall_(std::move(wall)),
      pool_(kRunThreads) {}

TriggerScheduler::~TriggerScheduler() {
  stop();
  if (thread_.joinable()) thread_.join();
  // Runs in progress end within their deadline (the host interrupts them
  // when it goes); the pool's destructor below waits for them.
  (void)wait_idle(std::chrono::hours(1));
}

void TriggerScheduler::stop() {
  MutexLock lock(mutex_);
  stopping_ = true;
  wake_.notify_all();
}

Result<std::vector<std::shared_ptr<TriggerScheduler::Entry>>> TriggerScheduler::entries_for(
    const ModuleId& id, const Manifest& manifest, bool is_function) {
  std::vector<std::shared_ptr<Entry>> entries;
  ORIVON_TRY(auto rows, registry_.trigger_runs(id));
  const std::int64_t now = wall_();
  for (const Trigger& trigger : manifest.triggers) {
    auto entry = std::make_shared<Entry>(id, trigger);
    entry->function = is_function;
    entry->record.trigger = record_key(trigger);
    for (const auto& row : rows) {
      if (row.trigger == entry->record.trigger) entry->record = row;
    }
    if (trigger.kind == Trigger::Kind::Timer) {
      if (!trigger.every.empty()) {
        ORIVON_TRY(auto every, parse_duration(trigger.every));
        entry->every_ms = std::max<std::int64_t>(
            1, std::chrono::duration_cast<std::chrono::milliseconds>(every).count());
      } else {
        ORIVON_TRY(entry->cron, CronSchedule::parse(trigger.cron));
      }
      registry::TriggerRunRow& record = entry->record;
      if (record.next_run_ms > now) {
        // Scheduled by an earlier host: kept, so a restart does not run it
        // again before its time.
      } else if (record.next_run_ms > 0) {
        // Fell due while no host ran.
        std::int64_t missed = 1;
        if (entry->every_ms) {
          missed = (now - record.next_run_ms) / *entry->every_ms + 1;
        } else {
          for (auto t = entry->next_after(record.next_run_ms);
               t && *t <= now && missed < kMaxMissedCounted; t = entry->next_after(*t)) {
            ++missed;
          }
        }
        if (trigger.catch_up == "once") {
          record.next_run_ms = now;  // one run now makes up for them
          missed -= 1;
        } else {
          record.next_run_ms = entry->next_after(now).value_or(0);
        }
        record.skipped += missed;
        if (missed > 0) {
          record.last_result = "skipped: " + std::to_string(missed) +
                               " run(s) fell due while no host was running";
        }
      } else {
        record.next_run_ms = entry->next_after(now).value_or(0);
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<void> TriggerScheduler::start() {
  {
    MutexLock lock(mutex_);
    if (started_) return ok();
    started_ = true;
  }
  ORIVON_TRY(auto modules, registry_.manifests_with_triggers());
  std::vector<std::shared_ptr<Entry>> all;
  for (const auto& [id, manifest] : modules) {
    if (manifest.triggers.empty()) continue;
    ORIVON_TRY(auto entries, entries_for(id, manifest, manifest.function.has_value()));
    all.insert(all.end(), entries.begin(), entries.end());
  }
  MutexLock lock(mutex_);
  entries_ = std::move(all);
  const std::int64_t now = wall_();
  for (const auto& entry : entries_) {
    if (entry->is_timer()) save_locked(*entry);
    if (entry->trigger.kind == Trigger::Kind::Startup) launch_locked(entry, now);
  }
  thread_ = std::thread([this] { loop(); });
  return ok();
}

void TriggerScheduler::reload(const ModuleId& id) {
  std::vector<std::shared_ptr<Entry>> fresh;
  auto manifest = registry_.manifest(id);
  if (manifest && *manifest && !(*manifest)->triggers.empty()) {
    auto entries = entries_for(id, **manifest, (*manifest)->function.has_value());
    if (entries) {
      fresh = std::move(*entries);
    } else {
      supervisor_.note(id, "its triggers were not scheduled: " + entries.error().to_string());
    }
  }
  MutexLock lock(mutex_);
  if (!started_) return;
  std::erase_if(entries_, [&](const auto& entry) { return entry->module == id; });
  for (auto& entry : fresh) {
    if (entry->is_timer()) save_locked(*entry);
    entries_.push_back(std::move(entry));
  }
  wake_.notify_all();
}

void TriggerScheduler::loop() noexcept {
  MutexLock lock(mutex_);
  while (!stopping_) {
    const std::int64_t now = wall_();
    fire_due_locked(now);
    std::int64_t next = std::numeric_limits<std::int64_t>::max();
    for (const auto& entry : entries_) {
      if (entry->is_timer() && entry->record.next_run_ms > 0) {
        next = std::min(next, entry->record.next_run_ms);
      }
    }
    const auto sleep = std::chrono::milliseconds(
        std::clamp<std::int64_t>(next == std::numeric_limits<std::int64_t>::max() ? 0 : next - now,
                                 0, std::chrono::milliseconds(kLongestSleep).count()));
    const auto until = clock_.now() + (next == std::numeric_limits<std::int64_t>::max()
                                           ? std::chrono::milliseconds(kLongestSleep)
                                           : std::max(sleep, std::chrono::milliseconds(1)));
    clock_.wait_until(wake_, mutex_, until);
  }
}

void TriggerScheduler::fire_due_locked(std::int64_t now) {
  for (const auto& entry : entries_) {
    if (!entry->is_timer()) continue;
    registry::TriggerRunRow& record = entry->record;
    if (record.next_run_ms == 0 || record.next_run_ms > now) continue;
    const std::int64_t due = record.next_run_ms;
    // The next time is decided (and stored, below) before this run starts.
    if (entry->every_ms) {
      const std::int64_t behind = (now - due) / *entry->every_ms;  // periods passed unrun
      record.skipped += behind;
      record.next_run_ms = due + (behind + 1) * *entry->every_ms;
    } else {
      record.next_run_ms = entry->next_after(now).value_or(0);
    }
    if (entry->running) {
      ++record.skipped;
      record.last_result = "skipped: the previous run had not finished";
      save_locked(*entry);
      continue;
    }
    launch_locked(entry, now);
  }
}

void TriggerScheduler::launch_locked(const std::shared_ptr<Entry>& entry, std::int64_t now) {
  entry->running = true;
  entry->record.last_run_ms = now;
  ++in_flight_;
  save_locked(*entry);
  pool_.post([this, entry] {
    supervisor::Supervisor::CallOptions options;
    options.from = supervisor::Supervisor::CallOptions::From::Client;
    Result<void> outcome = ok();
    try {
      auto returned = supervisor_.call(entry->module, entry->trigger.call, {}, options);
      if (!returned) {
        outcome = returned.error();
      } else if (returned->exit_code && *returned->exit_code != 0) {
        outcome = Error(ErrorCode::FailedPrecondition,
                        "exited with status " + std::to_string(*returned->exit_code));
      }
    } catch (const std::exception& e) {
      outcome = Error(ErrorCode::Internal, std::string("host-side failure: ") + e.what());
    } catch (...) {
      outcome = Error(ErrorCode::Internal, "host-side failure");
    }
    finish(entry, outcome);
  });
}

void TriggerScheduler::finish(const std::shared_ptr<Entry>& entry, const Result<void>& outcome) {
  const std::string what = std::string(trigger_kind_name(entry->trigger.kind)) + " trigger (" +
                           describe_schedule(entry->trigger) + ") calling '" +
                           entry->trigger.call + "'";
  // A run that could not be made (a service not running, a function at its
  // cap, a host going down) is skipped, not failed: the module never ran.
  const bool skipped = !outcome && (outcome.error().tag() == ErrorTag::NotRunning ||
                                    outcome.error().code() == ErrorCode::ResourceExhausted);
  if (!outcome) supervisor_.note(entry->module, what + ": " + outcome.error().to_string());
  MutexLock lock(mutex_);
  registry::TriggerRunRow& record = entry->record;
  if (skipped) {
    ++record.skipped;
    record.last_result = "skipped: " + outcome.error().to_string();
  } else {
    ++record.runs;
    if (outcome) {
      record.last_result = "ok";
    } else {
      ++record.failures;
      record.last_result = "error: " + outcome.error().to_string();
    }
  }
  entry->running = false;
  save_locked(*entry);
  if (--in_flight_ == 0) idle_.notify_all();
}

void TriggerScheduler::save_locked(const Entry& entry) {
  // The module may have gone (NotFound); a record that cannot be written
  // costs at most a repeated or missed run after a restart, so the run goes
  // on either way.
  (void)registry_.save_trigger_run(entry.module, entry.record);
}

std::vector<TriggerInfo> TriggerScheduler::status(const std::optional<ModuleId>& only) {
  MutexLock lock(mutex_);
  std::vector<TriggerInfo> out;
  for (const auto& entry : entries_) {
    if (only && entry->module != *only) continue;
    out.push_back(info_from(entry->module, entry->trigger, entry->function, entry->record));
  }
  return out;
}

bool TriggerScheduler::wait_idle(std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  MutexLock lock(mutex_);
  while (in_flight_ != 0) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    (void)idle_.wait_until(mutex_, give_up);
  }
  return true;
}

}  // namespace orivon::triggers
