// ModuleRegistry: each module's configuration (orivon/config.h). The
// manifest's [config] table is the base; the client's values, stored in
// `config_overrides`, replace it key by key. Every change publishes a new
// snapshot in the module's ConfigCell, which running instances read at
// their next call.

#include <algorithm>
#include <set>

#include "core/limits.h"
#include "registry/module_registry.h"

namespace orivon::registry {
namespace {

// The client's stored values, checked: the database is untrusted input like
// any other, and a damaged row must not reach a guest.
Result<std::map<std::string, std::string>> checked_overrides(StateStore& store,
                                                             const ModuleId& id) {
  ORIVON_TRY(auto overrides, store.config_overrides(id.str()));
  for (const auto& [key, value] : overrides) {
    auto valid = check_config_key(key);
    if (valid) valid = check_config_value(value);
    if (!valid) {
      return Error::wrap("the stored configuration of '" + id.str() + "' is damaged",
                         Error(ErrorCode::Internal, valid.error().message()));
    }
  }
  return overrides;
}

std::vector<ConfigEntry> merge(const std::map<std::string, std::string>& manifest,
                               const std::map<std::string, std::string>& overrides) {
  std::vector<ConfigEntry> entries;
  std::set<std::string> keys;
  for (const auto& [key, value] : manifest) keys.insert(key);
  for (const auto& [key, value] : overrides) keys.insert(key);
  for (const auto& key : keys) {
    ConfigEntry entry;
    entry.key = key;
    auto from_manifest = manifest.find(key);
    auto from_client = overrides.find(key);
    if (from_client != overrides.end()) {
      entry.value = from_client->second;
      entry.source = ConfigSource::Client;
      if (from_manifest != manifest.end()) entry.manifest_value = from_manifest->second;
    } else {
      entry.value = from_manifest->second;
      entry.source = ConfigSource::Manifest;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::shared_ptr<const ConfigSnapshot> snapshot_of(const std::vector<ConfigEntry>& entries) {
  auto snapshot = std::make_shared<ConfigSnapshot>();
  for (const auto& entry : entries) snapshot->values.emplace(entry.key, entry.value);
  return snapshot;
}

}  // namespace

Result<std::vector<ConfigEntry>> ModuleRegistry::config(const ModuleId& id) {
  MutexLock lock(mutex_);
  return config_locked(id);
}

Result<std::vector<ConfigEntry>> ModuleRegistry::config_locked(const ModuleId& id) {
  ORIVON_TRY(auto manifest, manifest_locked(id));  // NotFound for an unknown module
  ORIVON_TRY(auto overrides, checked_overrides(*store_, id));
  return merge(manifest ? manifest->config : std::map<std::string, std::string>(), overrides);
}

Result<void> ModuleRegistry::set_config(const ModuleId& id, std::string_view key,
                                        std::string_view value) {
  ORIVON_RETURN_IF_ERROR(check_config_key(key));
  if (auto valid = check_config_value(value); !valid) {
    return Error::wrap("'" + std::string(key) + "'", valid.error());
  }
  if (id.kind() == ModuleKind::Group) {
    return Error(ErrorCode::FailedPrecondition,
                 "'" + id.str() + "' is a group: it runs no code of its own, so it reads no "
                 "configuration; configure its members instead");
  }
  MutexLock lock(mutex_);
  ORIVON_TRY(auto entries, config_locked(id));
  const bool is_new = std::none_of(entries.begin(), entries.end(),
                                   [&](const ConfigEntry& entry) { return entry.key == key; });
  if (is_new && entries.size() >= limits::kMaxConfigEntries) {
    return Error(ErrorCode::ResourceExhausted,
                 "'" + id.str() + "' already has " + std::to_string(entries.size()) +
                     " configuration keys, the most a module may have; unset one first");
  }
  ORIVON_RETURN_IF_ERROR(store_->set_config_override(id.str(), std::string(key),
                                                     std::string(value)));
  return publish_config_locked(id);
}

Result<void> ModuleRegistry::unset_config(const ModuleId& id, std::string_view key) {
  ORIVON_RETURN_IF_ERROR(check_config_key(key));
  MutexLock lock(mutex_);
  ORIVON_TRY(auto entries, config_locked(id));  // NotFound for an unknown module
  ORIVON_TRY(bool removed, store_->remove_config_override(id.str(), std::string(key)));
  if (!removed) {
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const ConfigEntry& entry) { return entry.key == key; });
    std::string why = "the client set no value for '" + std::string(key) + "' of '" + id.str() + "'";
    if (it != entries.end()) {
      why += "; its value comes from the manifest (override it with another value instead)";
    }
    return Error(ErrorCode::NotFound, std::move(why));
  }
  return publish_config_locked(id);
}

Result<std::shared_ptr<ConfigCell>> ModuleRegistry::config_cell(const ModuleId& id) {
  MutexLock lock(mutex_);
  if (auto it = config_cells_.find(id); it != config_cells_.end()) return it->second;
  ORIVON_TRY(auto entries, config_locked(id));
  auto cell = std::make_shared<ConfigCell>(snapshot_of(entries));
  config_cells_.emplace(id, cell);
  return cell;
}

Result<void> ModuleRegistry::publish_config_locked(const ModuleId& id) {
  auto it = config_cells_.find(id);
  if (it == config_cells_.end()) return ok();  // nothing reads it yet: built on first use
  ORIVON_TRY(auto entries, config_locked(id));
  it->second->publish(snapshot_of(entries));
  return ok();
}

void ModuleRegistry::forget_config_locked(const ModuleId& id) {
  auto it = config_cells_.find(id);
  if (it == config_cells_.end()) return;
  // An instance still holding the cell (a service being stopped) sees an
  // empty configuration rather than a removed module's.
  it->second->publish(std::make_shared<const ConfigSnapshot>());
  config_cells_.erase(it);
}

}  // namespace orivon::registry
