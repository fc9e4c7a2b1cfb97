#pragma once

// The registry's persistent state inside one state directory:
//
//   state.db      SQLite (WAL, synchronous=FULL): modules, grant decisions,
//                 configuration overrides
//   code/HASH.wasm            every installed binary, by SHA-256
//   cache/HASH-ENGINE.cwasm   compiled code, by binary and engine configuration
//
// A binary is written (durably) before the row that refers to it is
// committed, so a crash leaves at worst an unreferenced file, which the next
// open removes. Owned by ModuleRegistry; not thread-safe (the registry
// serializes calls). Several processes may open the same directory: SQLite's
// locking and busy timeout order their writes.
//
// Module ids are strings here on purpose: they are what the database holds,
// and a damaged row must be readable to be reported. The registry turns them
// into ModuleId where it reads them.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "orivon/module_info.h"
#include "orivon/result.h"
#include "registry/schema_migrations.h"
#include "registry/sqlite_handle.h"

namespace orivon::registry {

// One row of `call_grants`: `caller` may call `function` of `target` ("*":
// every function).
struct CallGrantRow {
  std::string caller;
  std::string target;
  std::string function;
};

// One row of `modules`, as stored.
struct ModuleRecord {
  std::string id;
  std::string kind;          // module_kind_name()
  std::string program_kind;  // "core" or "component"
  std::string version;
  std::string description;
  std::string content_hash;
  std::int64_t size_bytes = 0;
  std::optional<std::string> manifest_json;
  std::string state;  // module_state_name()
  std::string state_cause;
  std::int64_t installed_at = 0;
  std::int64_t updated_at = 0;
};

// One row of `trigger_runs`: a timer's or start-up trigger's record.
struct TriggerRunRow {
  std::string trigger;           // its key: kind, schedule and export
  std::int64_t next_run_ms = 0;  // Unix ms; 0: none scheduled
  std::int64_t last_run_ms = 0;  // Unix ms; 0: never ran
  std::string last_result;
  std::int64_t runs = 0;
  std::int64_t failures = 0;
  std::int64_t skipped = 0;
};

class StateStore {
 public:
  // Opens or creates the state directory (made 0700) and brings its schema
  // to `schema_version`; refuses a newer one. Removes nothing: see collect_garbage.
  static Result<std::unique_ptr<StateStore>> open(const std::filesystem::path& dir,
                                                  int schema_version = current_schema_version());

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path code_path(const std::string& hash) const;
  std::filesystem::path cache_dir() const { return dir_ / "cache"; }

  // Stores a binary under its hash (no-op if already there).
  [[nodiscard]] Result<void> put_code(const std::string& hash, std::span<const std::byte> bytes);

  // AlreadyExists if the id is taken.
  // Records new modules, all or none, in one transaction (one sync for a
  // whole batch). AlreadyExists names the first id already installed.
  [[nodiscard]] Result<void> insert(std::span<const ModuleRecord> records);
  [[nodiscard]] Result<void> insert(const ModuleRecord& record) {
    return insert(std::span(&record, 1));
  }
  // Sees the call grants a removal would take, before it takes them: an
  // error stops the removal.
  using RemovalCheck = std::function<Result<void>(const std::vector<CallGrantRow>& grants)>;
  // Removes a module in one transaction, with its decisions, configuration,
  // trigger records and every call grant held by it or on it; then its
  // binary when no other module uses it. `check` runs inside the
  // transaction, so no grant made meanwhile escapes it. NotFound if absent.
  // Returns the call grants removed, in the order they were made.
  [[nodiscard]] Result<std::vector<CallGrantRow>> remove(const std::string& id,
                                                         const RemovalCheck& check);
  // NotFound if absent. Keeps decisions, configuration and manifest.
  [[nodiscard]] Result<void> replace_code(const std::string& id, const std::string& old_hash,
                                          const std::string& hash, std::int64_t size_bytes,
                                          const std::string& program_kind, std::int64_t now);
  // Replaces the manifest (none: `manifest_json` empty) with its version and
  // description. NotFound if absent. Keeps code, decisions and configuration.
  [[nodiscard]] Result<void> replace_manifest(const std::string& id,
                                              const std::optional<std::string>& manifest_json,
                                              const std::string& version,
                                              const std::string& description, std::int64_t now);
  // NotFound if absent. Survives the process dying at once, a crash of the
  // machine from the next durable commit on (synchronous=NORMAL: a start or
  // stop is not worth an fsync).
  [[nodiscard]] Result<void> set_state(const std::string& id, const std::string& state);
  [[nodiscard]] Result<std::optional<ModuleRecord>> find(const std::string& id);
  [[nodiscard]] Result<std::vector<ModuleRecord>> all();
  // At most `limit` records (all when 0) whose ids sort after `after`, by id:
  // one page of a listing, read through the primary key.
  [[nodiscard]] Result<std::vector<ModuleRecord>> page(const std::string& after, std::size_t limit);

  [[nodiscard]] Result<void> set_decision(const std::string& id, const std::string& grant,
                                          GrantDecision decision, std::int64_t now);
  [[nodiscard]] Result<std::map<std::string, GrantDecision>> decisions(const std::string& id);
  // Removes the decision recorded under exactly `grant`; whether there was one.
  [[nodiscard]] Result<bool> remove_decision(const std::string& id, const std::string& grant);
  // The grants allowed to `id`, in the order they were first decided (a
  // later change of decision keeps a grant's place): the order of `arg:`s.
  [[nodiscard]] Result<std::vector<std::string>> allowed_grants(const std::string& id);

  // Adds call grants (existing ones are kept, in their place); all or none.
  [[nodiscard]] Result<void> add_call_grants(const std::string& caller, const std::string& target,
                                             const std::vector<std::string>& functions,
                                             std::int64_t now);
  // Removes the named call grants, or every grant from caller to target when
  // `functions` is empty. Returns how many rows went.
  [[nodiscard]] Result<std::int64_t> remove_call_grants(const std::string& caller,
                                                        const std::string& target,
                                                        const std::vector<std::string>& functions);
  // Every call grant, in the order they were made.
  [[nodiscard]] Result<std::vector<CallGrantRow>> call_grants();

  // The client's configuration values of `id`, by key (unchecked: as stored).
  [[nodiscard]] Result<std::map<std::string, std::string>> config_overrides(const std::string& id);
  // Inserts or replaces one value. NotFound if the module is absent.
  [[nodiscard]] Result<void> set_config_override(const std::string& id, const std::string& key,
                                                 const std::string& value);
  // Removes one value; whether there was one.
  [[nodiscard]] Result<bool> remove_config_override(const std::string& id, const std::string& key);

  // The trigger records of `id`.
  [[nodiscard]] Result<std::vector<TriggerRunRow>> trigger_runs(const std::string& id);
  // Inserts or replaces one record. NotFound if the module is absent.
  [[nodiscard]] Result<void> save_trigger_run(const std::string& id, const TriggerRunRow& row);
  // The ids and manifests of modules whose manifest might declare triggers
  // or a function (a cheap text match; the caller parses to be sure).
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> manifests_with_triggers();

  // Inbound HTTP routes: (host, prefix, module id) rows, by host and prefix.
  struct RouteRow {
    std::string host;
    std::string prefix;
    std::string module_id;
  };
  [[nodiscard]] Result<std::vector<RouteRow>> http_routes();
  // Inserts or replaces the route (host, prefix). NotFound if the module is
  // absent.
  [[nodiscard]] Result<void> put_http_route(const RouteRow& row);
  // Whether a route was there to remove.
  [[nodiscard]] Result<bool> remove_http_route(const std::string& host, const std::string& prefix);

  // Deletes code files nothing refers to and temporary files of interrupted
  // writes, older than a minute (another process may be mid-add). Linear
  // in the files: a host runs it when it loads what is installed, not every
  // open (a CLI command on the state directory does not need it).
  [[nodiscard]] Result<void> collect_garbage();

 private:
  StateStore(std::filesystem::path dir, Database db) : dir_(std::move(dir)), db_(std::move(db)) {}
  void remove_code_if_unused(const std::string& hash);

  std::filesystem::path dir_;
  Database db_;
};

}  // namespace orivon::registry
