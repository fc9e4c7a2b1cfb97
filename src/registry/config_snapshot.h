#pragma once

// The configuration one module sees (orivon/config.h), as the guest
// interface reads it: an immutable snapshot, published in a cell that the
// registry swaps on every change.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace orivon::registry {

// The manifest's values overridden by the client's, by key. Immutable once
// published, so any number of threads may read one without a lock.
struct ConfigSnapshot {
  std::map<std::string, std::string, std::less<>> values;
};

// Where a module's current configuration is published. Shared (hence
// shared_ptr) by the registry, which swaps in a new snapshot on every
// change, and by the stores of the module's instances, which load it when a
// call first reads its configuration. Thread-safe: the snapshot pointer is
// loaded and swapped atomically, so a reader holds either the old snapshot
// or the new one, whole.
class ConfigCell {
 public:
  explicit ConfigCell(std::shared_ptr<const ConfigSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}

  std::shared_ptr<const ConfigSnapshot> load() const {
    return snapshot_.load(std::memory_order_acquire);
  }
  void publish(std::shared_ptr<const ConfigSnapshot> snapshot) {
    snapshot_.store(std::move(snapshot), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const ConfigSnapshot>> snapshot_;
};

}  // namespace orivon::registry
