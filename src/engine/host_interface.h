#pragma once

// Standard interfaces the host implements itself, in C++ (wasi:keyvalue,
// wasi:config, wasi:messaging): each defines its functions on every
// component linker the engine builds, and its functions find out which
// module is calling through the store's StoreContext.
//
// Imports in the `wasi:` namespace and orivon's own host packages
// (`orivon:keyvalue`, `orivon:config`, `orivon:messaging`, `orivon:events`)
// belong to the host: they are never routed to other modules (see
// is_host_namespace). Other `orivon:` packages are ordinary module
// interfaces.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/ids.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon::engine {

// What the host knows of one store: the module it runs (none for `orivon run`
// of a file) and the state each host interface keeps for it (open handles,
// say), dropped with the store. Kept as the store's data; used by the
// store's thread only.
class StoreContext {
 public:
  explicit StoreContext(std::optional<ModuleId> module) : module_(std::move(module)) {}

  const std::optional<ModuleId>& module() const { return module_; }

  // Moves at the start of every call into the store's component instance (a
  // client's call, another module's, a tick), so per-call state can tell one
  // call from the next: wasi:config pins one configuration snapshot per call.
  // A library instantiated in the store runs within its caller's call.
  std::uint64_t call_sequence() const { return call_sequence_; }
  void begin_call() { ++call_sequence_; }

  // The network the store's guest was granted, for the host's own socket
  // functions (orivon:net, for core modules).
  void set_network(Network network, std::vector<NetRule> rules) {
    network_ = network;
    net_rules_ = std::move(rules);
  }
  Network network() const { return network_; }
  const std::vector<NetRule>& net_rules() const { return net_rules_; }

  // Whether whoever runs the store asked its guest to stop (a service's
  // stop): what orivon:lifecycle tells the guest. `flag` must outlive the
  // store; none: never.
  void set_stop_flag(const std::atomic<bool>* flag) { stop_flag_ = flag; }
  bool stop_requested() const {
    return stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed);
  }

  // The state `owner` (a host interface) keeps in this store, made by
  // `make()` (returning std::shared_ptr<T>) on first use. `owner` must always
  // ask for the same T.
  template <class T, class Make>
  T& state(const void* owner, Make&& make) {
    for (auto& [key, value] : states_) {
      if (key == owner) return *static_cast<T*>(value.get());
    }
    std::shared_ptr<T> made = make();
    T& result = *made;
    states_.emplace_back(owner, std::move(made));
    return result;
  }

 private:
  std::optional<ModuleId> module_;
  std::uint64_t call_sequence_ = 0;
  Network network_ = Network::Denied;
  std::vector<NetRule> net_rules_;
  const std::atomic<bool>* stop_flag_ = nullptr;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> states_;
};

// Makes `context` the store's context, replacing any earlier one.
void set_store_context(wasmtime::Store::Context store, std::shared_ptr<StoreContext> context);
// The store's context; null for a store made without one.
StoreContext* store_context(wasmtime::Store::Context store);

// One or more interfaces the host provides. Made by the runtime and handed to
// the engine when it is created; shared by every store. Its functions run on
// store threads, in different stores at once: an implementation is
// thread-safe, and keeps per-store state in the StoreContext.
class HostInterface {
 public:
  virtual ~HostInterface() = default;
  // Defines every function and resource of its interfaces on `linker`.
  // Called once for each linker the host builds.
  [[nodiscard]] virtual Result<void> define(wasmtime::component::Linker& linker) = 0;
  // Defines what it offers core modules (plain functions under a module
  // name) on `linker`: called once for each core linker the host builds.
  [[nodiscard]] virtual Result<void> define_core(wasmtime::Linker& linker) {
    (void)linker;
    return ok();
  }
};

// Whether an imported interface name ("wasi:keyvalue/store@0.2.0-draft2")
// lies in a namespace the host keeps for itself.
inline bool is_host_namespace(std::string_view interface) {
  for (std::string_view reserved : {"wasi:", "orivon:keyvalue/", "orivon:config/",
                                    "orivon:messaging/", "orivon:events/"}) {
    if (interface.starts_with(reserved)) return true;
  }
  return false;
}

}  // namespace orivon::engine
