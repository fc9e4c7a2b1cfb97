#pragma once

// Where wasi:config (host::ConfigHost) finds a module's configuration: the
// registry's ConfigCell for it.
//
// Owned (shared) by the runtime and the configuration host. Thread-safe. The
// registry is attached once it is open and detached before it is destroyed.

#include <atomic>
#include <memory>

#include "host/config_reader.h"
#include "registry/module_registry.h"

namespace orivon::runtime {

class RegistryConfigSource final : public host::ConfigSource {
 public:
  void attach(registry::ModuleRegistry* registry) {
    registry_.store(registry, std::memory_order_release);
  }

  Result<std::shared_ptr<registry::ConfigCell>> config_cell(const ModuleId& module) override {
    auto* registry = registry_.load(std::memory_order_acquire);
    if (registry == nullptr) {
      return Error(ErrorCode::FailedPrecondition,
                   "this runtime has no registry, so no module has a configuration");
    }
    return registry->config_cell(module);
  }

 private:
  std::atomic<registry::ModuleRegistry*> registry_{nullptr};
};

}  // namespace orivon::runtime
