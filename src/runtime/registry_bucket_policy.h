#pragma once

// Which named buckets a module may use, read from the `kv:` grants the
// registry holds for it. Its version is the registry's links version, which
// moves on every allow and deny of a `kv:` grant, so open bucket handles see
// a deny at their next operation.
//
// Owned (shared) by the runtime and the key-value host. Thread-safe. The
// registry is attached once it is open and detached before it is destroyed.

#include <atomic>
#include <cstdint>
#include <string_view>

#include "host/keyvalue_host.h"
#include "registry/module_registry.h"

namespace orivon::runtime {

class RegistryBucketPolicy final : public host::BucketPolicy {
 public:
  void attach(registry::ModuleRegistry* registry) { registry_.store(registry); }

  std::uint64_t version() const override;
  host::BucketAccess access(const ModuleId& module, std::string_view bucket) override;

 private:
  std::atomic<registry::ModuleRegistry*> registry_{nullptr};
};

}  // namespace orivon::runtime
