#pragma once

// Where the event bus meets the rest of the runtime: grants and services.
// As the bus's EventSink it delivers an event to a module (its subscribe
// grant checked again at each delivery, so a deny applies at once; its
// handler run on the service's own store through the supervisor, one at a
// time); as the messaging interface's EventGateway it publishes for a module
// (its publish grant checked at each publish).
//
// Owned by RuntimeImpl; thread-safe. The registry, supervisor lookup and
// messaging host must outlive it; the bus is attached once it exists.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bus/event_bus.h"
#include "bus/messaging_host.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "registry/module_registry.h"
#include "supervisor/supervisor.h"

namespace orivon::runtime {

class EventRouting final : public bus::EventSink, public bus::EventGateway {
 public:
  // `supervisor` returns the running supervisor, or null when none runs.
  EventRouting(registry::ModuleRegistry* registry,
               std::function<supervisor::Supervisor*()> supervisor,
               bus::MessagingHost& messaging)
      : registry_(registry), supervisor_(std::move(supervisor)), messaging_(messaging) {}

  void attach(bus::EventBus* bus) { bus_.store(bus, std::memory_order_release); }

  bus::DeliveryOutcome deliver(const ModuleId& subscriber, const ReceivedEvent& event) override;
  Result<void> publish_as(const ModuleId& module, EventMessage message,
                          std::uint32_t hops) override;

 private:
  using Grants = std::shared_ptr<const std::vector<std::string>>;
  // The module's allowed grants, read from the registry once per version of
  // its grants (ModuleRegistry::links_version changes with every topic
  // grant decision and every install or removal), not once per event.
  Result<Grants> allowed(const ModuleId& module);

  registry::ModuleRegistry* registry_;  // null without a state directory
  std::function<supervisor::Supervisor*()> supervisor_;
  bus::MessagingHost& messaging_;
  std::atomic<bus::EventBus*> bus_{nullptr};
  struct CachedGrants {
    std::uint64_t version = 0;
    Grants allowed;
  };
  Mutex cache_mutex_;
  std::unordered_map<ModuleId, CachedGrants> cache_ ORIVON_GUARDED_BY(cache_mutex_);
};

}  // namespace orivon::runtime
