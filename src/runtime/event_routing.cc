#include "runtime/event_routing.h"

#include <exception>
#include <string>

#include "bus/message_check.h"
#include "grants/topic_grants.h"

namespace orivon::runtime {

Result<EventRouting::Grants> EventRouting::allowed(const ModuleId& module) {
  // Read the version first: a change racing with the query leaves an entry
  // tagged with the older version, which the next lookup refreshes.
  const std::uint64_t version = registry_->links_version();
  {
    MutexLock lock(cache_mutex_);
    auto it = cache_.find(module);
    if (it != cache_.end() && it->second.version == version) return it->second.allowed;
  }
  ORIVON_TRY(auto fresh, registry_->allowed_grants(module));
  auto shared = std::make_shared<const std::vector<std::string>>(std::move(fresh));
  MutexLock lock(cache_mutex_);
  // Bounded by the installed modules; entries of removed ones are dropped
  // when the whole cache goes stale at once.
  if (cache_.size() > 100'000) cache_.clear();
  cache_[module] = CachedGrants{version, shared};
  return shared;
}

bus::DeliveryOutcome EventRouting::deliver(const ModuleId& subscriber,
                                           const ReceivedEvent& event) {
  using Kind = bus::DeliveryOutcome::Kind;
  try {
    if (registry_ == nullptr) return {Kind::Refused, "no registry"};
    auto granted = allowed(subscriber);
    if (!granted) {
      // Removed meanwhile (NotFound) or the database failed: nothing to deliver to.
      return {Kind::Refused, granted.error().message()};
    }
    if (!grants::allows_topic(**granted, TopicAccess::Subscribe, event.message.topic)) {
      supervisor::Supervisor* supervisor = supervisor_();
      if (supervisor != nullptr) {
        supervisor->note(subscriber, "event on '" + event.message.topic +
                                         "' not delivered: no grant topic:PATTERN:subscribe "
                                         "covers it");
      }
      return {Kind::Refused, "no subscribe grant covers '" + event.message.topic + "'"};
    }
    supervisor::Supervisor* supervisor = supervisor_();
    if (supervisor == nullptr || !supervisor->is_running(subscriber)) return {Kind::NotRunning, ""};
    auto handled = supervisor->with_instance(subscriber, [&](instance::LiveInstance& live) {
      return messaging_.deliver(live, event);
    });
    if (handled) return {};
    if (handled.error().tag() == ErrorTag::NotRunning) return {Kind::NotRunning, ""};
    supervisor->note(subscriber, "event " + std::to_string(event.sequence) + " on '" +
                                     event.message.topic + "' (delivery " +
                                     std::to_string(event.attempt) +
                                     ") failed: " + handled.error().to_string());
    return {Kind::Failed, handled.error().to_string()};
  } catch (const std::exception& e) {
    return {Kind::Failed, std::string("delivering: ") + e.what()};
  } catch (...) {
    return {Kind::Failed, "delivering: unknown exception"};
  }
}

Result<void> EventRouting::publish_as(const ModuleId& module, EventMessage message,
                                      std::uint32_t hops) {
  bus::EventBus* bus = bus_.load(std::memory_order_acquire);
  if (bus == nullptr || registry_ == nullptr) {
    return Error(ErrorCode::Unavailable, "the event bus is not running");
  }
  ORIVON_RETURN_IF_ERROR(bus::check_message(message));
  ORIVON_TRY(auto granted, allowed(module));
  if (!grants::allows_topic(*granted, TopicAccess::Publish, message.topic)) {
    std::string text = "'" + module.str() + "' may not publish on '" + message.topic +
                       "': no grant topic:PATTERN:publish covers it";
    if (supervisor::Supervisor* supervisor = supervisor_()) supervisor->note(module, text);
    return Error(ErrorCode::PermissionDenied, std::move(text));
  }
  auto published = bus->publish(module.str(), std::move(message), hops);
  if (!published) return published.error();
  return ok();
}

}  // namespace orivon::runtime
