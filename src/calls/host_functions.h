#pragma once

// The functions an embedding client registered for modules, by interface
// and function name (Runtime::register_host_function). Owned by RuntimeImpl
// and read by the call router when it resolves an import. Thread-safe: one
// mutex; callbacks are handed out as shared pointers, so one can be replaced
// while a call through the old one is running.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/calls.h"

namespace orivon::calls {

class HostFunctions {
 public:
  void add(std::string interface, std::string function, HostFunction callback) {
    auto shared = std::make_shared<const HostFunction>(std::move(callback));
    MutexLock lock(mutex_);
    table_[std::move(interface)][std::move(function)] = std::move(shared);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  // Changes on every registration, so cached routes are decided again.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  bool has_interface(std::string_view interface) const {
    MutexLock lock(mutex_);
    return table_.find(interface) != table_.end();
  }
  // Null when `function` of `interface` is not registered.
  std::shared_ptr<const HostFunction> find(std::string_view interface,
                                           std::string_view function) const {
    MutexLock lock(mutex_);
    auto outer = table_.find(interface);
    if (outer == table_.end()) return nullptr;
    auto inner = outer->second.find(function);
    return inner == outer->second.end() ? nullptr : inner->second;
  }

 private:
  std::atomic<std::uint64_t> generation_{0};
  mutable Mutex mutex_;
  std::map<std::string, std::map<std::string, std::shared_ptr<const HostFunction>, std::less<>>,
           std::less<>>
      table_ ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::calls
