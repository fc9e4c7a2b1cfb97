#pragma once

// wasi:messaging@0.2.0-draft for components (WIT: wit/messaging), as a
// host interface (engine/host_interface.h): the guest's side of the event
// bus. This file is marshalling only: component values in and out, handle
// tables per store. What a publish means (grants, the bus) is the
// EventGateway's business; delivering to a module is deliver().
//
// Guests import `types` (resources `client` and `message`) and `producer`
// (`send`), and export `incoming-handler.handle(message)` to receive.
// `client.connect("default")` (or "") opens the host's bus; other names are
// connection errors. Handles live in a per-store table (at most
// limits::kMaxMessagingHandles; past it a constructor traps), dropped with
// the store.
//
// Thread-safe: its functions run on many stores' threads at once, each
// touching only its own store's table.

#include <atomic>
#include <cstdint>
#include <string_view>

#include "engine/host_interface.h"
#include "instance/live_instance.h"
#include "orivon/events.h"
#include "orivon/ids.h"
#include "orivon/result.h"

namespace orivon::bus {

// What a guest's publish reaches. Implemented by the runtime.
class EventGateway {
 public:
  virtual ~EventGateway() = default;
  // Publishes `message` as `module`, whose handler is `hops` deep (0 when it
  // is not handling an event). PermissionDenied without a publish grant;
  // InvalidArgument for a bad topic or size; ResourceExhausted for a full
  // durable subscription or the hop limit.
  virtual Result<void> publish_as(const ModuleId& module, EventMessage message,
                                  std::uint32_t hops) = 0;
};

class MessagingHost final : public engine::HostInterface {
 public:
  static constexpr std::string_view kHandlerExport =
      "wasi:messaging/incoming-handler@0.2.0-draft#handle";

  Result<void> define(wasmtime::component::Linker& linker) override;
  // For core modules, which cannot import wasi:messaging:
  //   orivon:events publish(topic_ptr, topic_len, data_ptr, data_len) -> i32
  // 0 when published; a negated WASI errno otherwise: -2 no publish grant
  // for the topic, -28 a bad topic or an oversized payload, -42 a full
  // durable subscription or the hop limit, -21 a buffer outside the
  // guest's memory, -29 the bus is not running. Checked like any publish.
  Result<void> define_core(wasmtime::Linker& linker) override;

  // Where publishes go from now on; null: publishing fails with
  // connection("the event bus is not running"). The gateway must outlive
  // its attachment.
  void attach(EventGateway* gateway) { gateway_.store(gateway, std::memory_order_release); }

  // Calls the module's incoming-handler with `event`, on `live` (the
  // caller holds its store). ok when the handler returned ok; FailedPrecondition
  // with the guest's error when it returned err; a trap or deadline as the
  // instance reports it; NotFound if the module has no handler.
  Result<void> deliver(instance::LiveInstance& live, const ReceivedEvent& event);

 private:
  std::atomic<EventGateway*> gateway_{nullptr};
};

}  // namespace orivon::bus
