#pragma once

// The registry of installed modules: validation (ids, manifests, binaries),
// persistence (StateStore) and compiled programs (with the compiled-code
// cache). Owned by RuntimeImpl; thread-safe, one mutex around each call.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "orivon/runtime.h"
#include "registry/state_store.h"

namespace orivon::registry {

class ModuleRegistry {
 public:
  // `engine` must outlive the registry.
  static Result<std::unique_ptr<ModuleRegistry>> open(engine::Engine& engine,
                                                      const std::filesystem::path& state_dir);

  Result<ModuleInfo> add(std::span<const std::byte> code, const AddOptions& options);
  Result<void> remove(const ModuleId& id);
  Result<ModuleInfo> update(const ModuleId& id, std::span<const std::byte> code);
  Result<std::vector<ModuleInfo>> list();
  Result<ModuleDetails> inspect(const ModuleId& id);
  Result<void> decide(const ModuleId& id, std::string_view grant, GrantDecision decision);
  // The manifest the module was installed with, if any.
  Result<std::optional<Manifest>> manifest(const ModuleId& id);
  // Whether a host starts the module when it comes up.
  Result<void> set_autostart(const ModuleId& id, bool autostart);
  Result<LoadReport> load_installed();
  Result<Program> program(const ModuleId& id);

 private:
  ModuleRegistry(engine::Engine& engine, std::unique_ptr<StateStore> store)
      : engine_(engine), store_(std::move(store)) {}

  std::filesystem::path cache_path(const std::string& hash) const;
  // Compiles a validated binary and writes its compiled code to the cache.
  Result<Program> compile_and_cache(std::span<const std::byte> code, const std::string& hash,
                                    const std::string& name);
  // The record's program: from the cache if possible, else compiled from
  // its stored binary. Sets `from_cache`.
  Result<Program> load_locked(const ModuleRecord& record, bool& from_cache);
  Result<ModuleInfo> info_from(const ModuleRecord& record) const;

  engine::Engine& engine_;
  std::mutex mutex_;
  std::unique_ptr<StateStore> store_;      // guarded by mutex_
  std::map<std::string, Program> loaded_;  // guarded by mutex_; by module id
};

}  // namespace orivon::registry
