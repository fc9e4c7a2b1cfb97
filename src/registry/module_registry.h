#pragma once

// The registry of installed modules: validation (ids, manifests, binaries),
// persistence (StateStore) and compiled programs (with the compiled-code
// cache). Owned by RuntimeImpl; thread-safe, one mutex around each call.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <atomic>
#include <set>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "engine/engine.h"
#include "engine/interface_text.h"
#include "orivon/calls.h"
#include "orivon/config.h"
#include "orivon/http_routes.h"
#include "orivon/module_info.h"
#include "registry/config_snapshot.h"
#include "registry/state_store.h"

namespace orivon::registry {

// The functions a module exports, by the name a grant uses ("iface#f" for
// components, the export name for core modules), with their signatures.
struct ExportTable {
  ProgramKind kind = ProgramKind::CoreModule;
  std::map<std::string, std::string> functions;  // name -> "func(...) -> ..."
  // Components: each exported interface (one that holds functions), with its
  // functions by their name inside it ("f" of "iface#f").
  std::map<std::string, std::map<std::string, std::string>> interfaces;
  // The functions of one exported interface, by their name inside it.
  std::map<std::string, std::string> interface_functions(const std::string& interface) const;
};

// The export table of a program whose exports are `exports` (see
// engine::program_interface).
ExportTable export_table(ProgramKind kind, const std::vector<engine::InterfaceItem>& exports);

// Call grants as the API states them, from rows in the order they were made:
// one per caller and target, every function when a row says "*". Rows whose
// ids do not parse (a damaged database) are left out.
std::vector<CallGrant> call_grants_from_rows(const std::vector<CallGrantRow>& rows);

// FailedPrecondition when another module holds one of `grants` on `id`,
// naming each such module and what it holds; ok otherwise (grants `id`
// holds itself are its own to lose).
Result<void> refuse_dependents(const ModuleId& id, const std::vector<CallGrant>& grants);

// What a group stands for.
struct GroupSpec {
  std::string interface;
  GroupRouting routing = GroupRouting::FirstHealthy;
};

// Every call grant, as the router reads it: immutable once published.
struct GrantSnapshot {
  struct Entry {
    ModuleId target;
    bool all = false;                  // every function of the target
    std::set<std::string> functions;   // otherwise these
  };
  // By caller; entries in the order their first grant was made.
  std::map<ModuleId, std::vector<Entry>> by_caller;
  const std::vector<Entry>* grants_of(const ModuleId& caller) const {
    auto it = by_caller.find(caller);
    return it == by_caller.end() ? nullptr : &it->second;
  }
};

class ModuleRegistry {
 public:
  // Drops the loaded programs on a few threads: dropping compiled code
  // unmaps it module by module, about half of a large host's shutdown.
  ~ModuleRegistry();
  // Leaves the compiled code loaded so far to the process's exit instead of
  // freeing it with the registry (RuntimeOptions::release_memory_on_destroy).
  void abandon_programs();
  ModuleRegistry(const ModuleRegistry&) = delete;
  ModuleRegistry& operator=(const ModuleRegistry&) = delete;

  // `engine` must outlive the registry.
  static Result<std::unique_ptr<ModuleRegistry>> open(engine::Engine& engine,
                                                      const std::filesystem::path& state_dir);

  Result<ModuleInfo> add(std::span<const std::byte> code, const AddOptions& options);
  // Installs every module of `sources` or none. Each is validated and
  // compiled (copies of one binary once, sharing their compiled code), then
  // all are recorded in one transaction. An error names the module it is
  // about by its position and file or id.
  Result<std::vector<ModuleInfo>> add_many(std::span<const ModuleSource> sources);
  // Removes a module with its decisions, configuration and every call grant
  // held by it or on it (see StateStore::remove). With
  // RemoveDependents::Refuse, nothing changes while another module holds a
  // call grant on it (FailedPrecondition, as refuse_if_depended_on says it,
  // checked in the removal's transaction). Returns the call grants removed.
  Result<std::vector<CallGrant>> remove(const ModuleId& id, RemoveDependents dependents);
  // FailedPrecondition naming each module that holds a call grant on `id` (a
  // caller, or a group it is a member of) and what the grant holds; ok when
  // none does, or `id` is not installed.
  Result<void> refuse_if_depended_on(const ModuleId& id);
  Result<ModuleInfo> update(const ModuleId& id, std::span<const std::byte> code);
  Result<std::vector<ModuleInfo>> list(const ListOptions& options = {});
  Result<ModuleDetails> inspect(const ModuleId& id);
  // Records a decision on one grant string after parsing it (InvalidArgument
  // with the expected syntax if malformed). Allowing also checks a directory
  // against the state directory (PermissionDenied) and against the grants
  // already allowed (FailedPrecondition for a contradiction). Host-function
  // grants apply to the next call, so the links version moves.
  Result<void> decide(const ModuleId& id, std::string_view grant, GrantDecision decision);
  // Takes back the decisions recorded on `grant`, matched by meaning (each
  // recorded text that parses to the same grant). Returns the texts removed;
  // NotFound when the module is absent or no decision matches.
  Result<std::vector<std::string>> forget_decision(const ModuleId& id, std::string_view grant);
  // Replaces the module's manifest; its code, decisions, call grants and the
  // client's configuration stay. InvalidArgument when the manifest names
  // another id; NotFound if absent.
  Result<ModuleInfo> replace_manifest(const ModuleId& id, const Manifest& manifest);
  // The grants allowed to `id`, in the order they were first decided.
  // NotFound if the module is absent.
  Result<std::vector<std::string>> allowed_grants(const ModuleId& id);
  // The state directory (what no directory grant may touch).
  const std::filesystem::path& state_dir() const { return state_dir_; }
  // The manifest the module was installed with, if any.
  Result<std::optional<Manifest>> manifest(const ModuleId& id);
  // Whether a host starts the module when it comes up.
  Result<void> set_autostart(const ModuleId& id, bool autostart);
  // The modules whose manifests declare triggers or a function, by id.
  Result<std::vector<std::pair<ModuleId, Manifest>>> manifests_with_triggers();
  // Inbound HTTP routes, by host and prefix (already checked and normalized
  // by the caller: src/http/route_table.h).
  Result<std::vector<HttpRoute>> http_routes();
  // Adds or replaces the route (host, prefix). NotFound if `module` is not
  // installed.
  Result<void> put_http_route(const HttpRoute& route);
  // Whether there was such a route.
  Result<bool> remove_http_route(const std::string& host, const std::string& prefix);
  // Records of timers and start-up triggers (see StateStore::trigger_runs).
  Result<std::vector<TriggerRunRow>> trigger_runs(const ModuleId& id);
  Result<void> save_trigger_run(const ModuleId& id, const TriggerRunRow& row);
  // Collects the state directory's garbage (StateStore::collect_garbage),
  // then compiles or reads back every installed module.
  Result<LoadReport> load_installed();
  Result<Program> program(const ModuleId& id);

  // ---- Calls between modules (call_grants.cc) ----
  // Grants `caller` the named functions of `target` (all when empty), after
  // checking both exist, the names, and the kind rules: a library may be
  // granted only libraries, a group only members that export its interface
  // with the same signatures, a service anything.
  Result<void> grant_calls(const ModuleId& caller, const ModuleId& target,
                           const std::vector<std::string>& functions);
  // Takes back the named functions (all grants from caller to target when
  // empty). NotFound if there was nothing to revoke.
  Result<void> revoke_calls(const ModuleId& caller, const ModuleId& target,
                            const std::vector<std::string>& functions);
  // The grants made to `caller`, or every grant when it is not given.
  Result<std::vector<CallGrant>> call_grants(const std::optional<ModuleId>& caller);
  // What the router reads on a call: the current grants, and a number that
  // changes whenever grants or installed modules change (a cached route is
  // valid while it does not).
  std::shared_ptr<const GrantSnapshot> grant_snapshot();
  std::uint64_t links_version() const { return links_version_.load(std::memory_order_acquire); }
  // Moves at every grant decision (allow, deny) and removal: what a cached
  // profile (an HTTP handler's, per request) is checked against.
  std::uint64_t decisions_version() const {
    return decisions_version_.load(std::memory_order_acquire);
  }
  Result<std::shared_ptr<const ExportTable>> exports(const ModuleId& id);
  // FailedPrecondition unless `id` is an installed group module.
  Result<GroupSpec> group(const ModuleId& id);

  // ---- Configuration (module_config.cc) ----
  // The module's configuration by key: its manifest's values, each replaced
  // by the client's when set. NotFound for an unknown module; Internal for a
  // damaged stored value.
  Result<std::vector<ConfigEntry>> config(const ModuleId& id);
  // Stores the client's value of `key` and publishes the new configuration:
  // the module's next call sees it. InvalidArgument for a bad key or value;
  // ResourceExhausted for a key past the most a module may have;
  // FailedPrecondition for a group (it runs no code).
  Result<void> set_config(const ModuleId& id, std::string_view key, std::string_view value);
  // Takes back the client's value: the manifest's applies again, if any.
  // NotFound when the client set no value for `key`.
  Result<void> unset_config(const ModuleId& id, std::string_view key);
  // Where the module's current configuration is published, made on first
  // use; what its instances read at each call.
  Result<std::shared_ptr<ConfigCell>> config_cell(const ModuleId& id);

 private:
  ModuleRegistry(engine::Engine& engine, std::unique_ptr<StateStore> store)
      : engine_(engine), state_dir_(store->dir()), store_(std::move(store)) {}

  std::filesystem::path cache_path(const std::string& hash) const ORIVON_REQUIRES(mutex_);
  // Compiles a validated binary and writes its compiled code to the cache.
  Result<Program> compile_and_cache(std::span<const std::byte> code, const std::string& hash,
                                    const std::string& name) ORIVON_REQUIRES(mutex_);
  // The record's program: from the cache if possible, else compiled from
  // its stored binary. Sets `from_cache`.
  Result<Program> load_locked(const ModuleRecord& record, bool& from_cache)
      ORIVON_REQUIRES(mutex_);
  Result<ModuleInfo> info_from(const ModuleRecord& record) const;
  Result<std::vector<ModuleInfo>> infos_from(const std::vector<ModuleRecord>& records) const;
  Result<Program> program_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);
  Result<std::shared_ptr<const ExportTable>> exports_locked(const ModuleId& id)
      ORIVON_REQUIRES(mutex_);
  Result<GroupSpec> group_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);
  Result<std::optional<Manifest>> manifest_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);
  // Re-reads the grants from the store, publishes them and bumps the
  // version; also drops cached exports of `changed` (when given).
  Result<void> republish_locked(const std::optional<ModuleId>& changed = std::nullopt)
      ORIVON_REQUIRES(mutex_);
  Result<std::vector<ConfigEntry>> config_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);
  // Publishes the stored configuration in the module's cell, if it has one.
  Result<void> publish_config_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);
  // A removed module's cell: emptied and dropped.
  void forget_config_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);
  // Validates and normalizes function names of a grant against the target.
  Result<std::vector<std::string>> grant_functions_locked(const ModuleId& target,
                                                          const std::vector<std::string>& names)
      ORIVON_REQUIRES(mutex_);

  engine::Engine& engine_;
  const std::filesystem::path state_dir_;
  Mutex mutex_;
  std::unique_ptr<StateStore> store_ ORIVON_GUARDED_BY(mutex_);
  std::map<ModuleId, Program> loaded_ ORIVON_GUARDED_BY(mutex_);
  std::map<ModuleId, std::shared_ptr<const ExportTable>> exports_ ORIVON_GUARDED_BY(mutex_);
  std::shared_ptr<const GrantSnapshot> grants_ ORIVON_GUARDED_BY(mutex_);
  // Only modules whose instances read their configuration have a cell.
  std::map<ModuleId, std::shared_ptr<ConfigCell>> config_cells_ ORIVON_GUARDED_BY(mutex_);
  std::atomic<std::uint64_t> links_version_{1};
  std::atomic<std::uint64_t> decisions_version_{1};
};

}  // namespace orivon::registry
