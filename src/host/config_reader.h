#pragma once

// What one store's guest reads through wasi:config/store: the configuration
// of the module the store runs, one snapshot per call. The logic behind
// config_host.cc, which only converts values.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orivon/ids.h"
#include "orivon/result.h"
#include "registry/config_snapshot.h"

namespace orivon::host {

// Finds where a module's configuration is published (the registry's
// ConfigCell). Thread-safe.
class ConfigSource {
 public:
  virtual ~ConfigSource() = default;
  // NotFound for a module that is not installed; Internal for a stored
  // configuration that does not pass its checks.
  virtual Result<std::shared_ptr<registry::ConfigCell>> config_cell(const ModuleId& module) = 0;
};

// One per store, kept in the store's StoreContext and used by the store's
// thread only (not thread-safe). The first read of each call pins the
// module's current snapshot, so every read within that call agrees, and
// the next call sees any change published since. Holds the module's cell
// (shared with the registry) once found.
class ConfigReader {
 public:
  // `module` is the store's module; none (a program run from a file) reads
  // an empty configuration. `source` must outlive the reader.
  ConfigReader(std::optional<ModuleId> module, ConfigSource& source)
      : module_(std::move(module)), source_(source) {}

  // The value of `key` in the snapshot of call `call` (a StoreContext call
  // sequence), or none. Fails only when the configuration cannot be read;
  // the next call tries again.
  Result<std::optional<std::string>> get(std::uint64_t call, std::string_view key);
  // Every key and value of that snapshot, ordered by key.
  Result<std::vector<std::pair<std::string, std::string>>> get_all(std::uint64_t call);

 private:
  Result<const registry::ConfigSnapshot*> snapshot_for(std::uint64_t call);

  const std::optional<ModuleId> module_;
  ConfigSource& source_;
  std::shared_ptr<registry::ConfigCell> cell_;              // found on the first read
  std::shared_ptr<const registry::ConfigSnapshot> pinned_;  // for pinned_call_
  std::uint64_t pinned_call_ = 0;
};

}  // namespace orivon::host
