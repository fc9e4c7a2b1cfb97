#include "registry/module_registry.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <new>
#include <optional>
#include <system_error>
#include <thread>

#include "core/file_util.h"
#include "core/leave_to_exit.h"
#include "core/limits.h"
#include "core/sha256.h"
#include "engine/compiled_code.h"
#include "engine/interface_text.h"
#include "engine/program_loader.h"
#include "grants/service_profile.h"
#include "orivon/grants.h"

namespace orivon::registry {
namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view program_kind_name(ProgramKind kind) {
  return kind == ProgramKind::Component ? "component" : "core";
}

// Resolves the id a module is installed under from the client's choice and
// the manifest's.
Result<ModuleId> choose_id(const AddOptions& options) {
  const std::optional<ModuleId> from_manifest =
      options.manifest ? options.manifest->id : std::optional<ModuleId>();
  if (options.id && from_manifest && *options.id != *from_manifest) {
    return Error(ErrorCode::InvalidArgument, "the id '" + options.id->str() +
                                                 "' differs from the manifest's id '" +
                                                 from_manifest->str() + "'");
  }
  if (options.id) return *options.id;
  if (from_manifest) return *from_manifest;
  return Error(ErrorCode::InvalidArgument,
               "no module id: give one (orivon add --id ID) or name it in the manifest");
}

Error corrupt(const std::string& what) {
  return Error(ErrorCode::Internal, "corrupt state directory: " + what);
}

}  // namespace

Result<std::unique_ptr<ModuleRegistry>> ModuleRegistry::open(engine::Engine& engine,
                                                             const std::filesystem::path& state_dir) {
  ORIVON_TRY(auto store, StateStore::open(state_dir));
  std::unique_ptr<ModuleRegistry> registry(new ModuleRegistry(engine, std::move(store)));
  {
    MutexLock lock(registry->mutex_);
    ORIVON_RETURN_IF_ERROR(registry->republish_locked());
  }
  return registry;
}

void ModuleRegistry::abandon_programs() {
  MutexLock lock(mutex_);
  // Without the memory for the list, the programs are freed as usual.
  try {
    std::vector<Program> programs;
    programs.reserve(loaded_.size());
    for (auto& [id, program] : loaded_) programs.push_back(std::move(program));
    loaded_.clear();
    leave_to_exit(std::move(programs));
  } catch (const std::bad_alloc&) {
  }
}

ModuleRegistry::~ModuleRegistry() {
  std::vector<Program> programs;
  {
    MutexLock lock(mutex_);
    programs.reserve(loaded_.size());
    for (auto& [id, program] : loaded_) programs.push_back(std::move(program));
    loaded_.clear();
  }
  // Each thread drops one stretch of the programs (a copy's code goes with
  // its last holder, whichever thread that is).
  const std::size_t threads = std::min<std::size_t>(
      (programs.size() + 999) / 1000,
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, limits::kMaxLoadThreads));
  if (threads <= 1) return;
  const std::size_t stretch = (programs.size() + threads - 1) / threads;
  auto drop = [&programs, stretch](std::size_t part) noexcept {
    const std::size_t end = std::min(programs.size(), (part + 1) * stretch);
    for (std::size_t i = part * stretch; i < end; ++i) programs[i] = Program(nullptr);
  };
  std::vector<std::thread> helpers;
  for (std::size_t part = 1; part < threads; ++part) {
    try {
      helpers.emplace_back(drop, part);
    } catch (const std::system_error&) {
      drop(part);  // no thread to be had: this one does it
    }
  }
  drop(0);
  for (auto& helper : helpers) helper.join();
}

std::filesystem::path ModuleRegistry::cache_path(const std::string& hash) const {
  return store_->cache_dir() / (hash + "-" + engine_.fingerprint() + ".cwasm");
}

namespace {

// Room for a program's compiled code: its image is mapped in a few parts
// (code, read-only data), about the binary's size or more. Checked before
// compiling or loading, so installing modules cannot push the process past
// its mapping limit either; the reading after it accounts for what it took.
engine::InstanceNeed code_need(std::uint64_t binary_bytes) {
  return engine::InstanceNeed{4, 2 * binary_bytes + (1 << 20), binary_bytes};
}

}  // namespace

namespace {

// Compiles a validated binary and writes its compiled code to `cache_file`.
// Touches nothing of the registry's: the start-up load runs it on several
// threads at once.
Result<Program> compile_into_cache(engine::Engine& engine, std::span<const std::byte> code,
                                   const std::filesystem::path& cache_file,
                                   const std::string& name) {
  ORIVON_TRY(auto room, engine.capacity().admit(code_need(code.size())));
  ORIVON_TRY(auto program, engine::load_program(engine.wasmtime_engine(), code, name));
  ORIVON_TRY(auto compiled, engine::serialize_program(program.data()));
  ORIVON_RETURN_IF_ERROR(write_file_durably(cache_file, std::as_bytes(std::span(compiled))));
  return program;
}

// Where one installed binary's compiled code and the binary itself are.
struct StoredProgram {
  std::filesystem::path cache_file;
  std::filesystem::path code_file;
};

// The record's program: from the cache if the cached code loads, else
// compiled from its stored binary (after checking the binary's hash) and
// cached again. Sets `from_cache`. Touches nothing of the registry's, like
// compile_into_cache.
Result<Program> load_stored(engine::Engine& engine, const ModuleRecord& record,
                            const StoredProgram& where, bool& from_cache) {
  const ProgramKind kind =
      record.program_kind == "component" ? ProgramKind::Component : ProgramKind::CoreModule;
  ORIVON_TRY(auto room,
             engine.capacity().admit(code_need(static_cast<std::uint64_t>(record.size_bytes))));
  auto cached = engine::deserialize_program_file(engine.wasmtime_engine(), where.cache_file, kind,
                                                 record.id,
                                                 static_cast<std::uint64_t>(record.size_bytes));
  if (cached) {
    from_cache = true;
    return cached;
  }
  from_cache = false;
  ORIVON_TRY(auto code, read_file(where.code_file, limits::kMaxBinaryBytes));
  if (sha256_hex(code) != record.content_hash) {
    return corrupt("the stored binary of '" + record.id + "' does not match its hash");
  }
  return compile_into_cache(engine, code, where.cache_file, record.id);
}

}  // namespace

Result<Program> ModuleRegistry::compile_and_cache(std::span<const std::byte> code,
                                                  const std::string& hash, const std::string& name) {
  return compile_into_cache(engine_, code, cache_path(hash), name);
}

Result<Program> ModuleRegistry::load_locked(const ModuleRecord& record, bool& from_cache) {
  return load_stored(engine_, record,
                     {cache_path(record.content_hash), store_->code_path(record.content_hash)},
                     from_cache);
}

Result<ModuleInfo> ModuleRegistry::info_from(const ModuleRecord& record) const {
  auto id = ModuleId::parse(record.id);
  if (!id) return corrupt("bad module id '" + record.id + "'");
  ModuleInfo info(*id);
  info.program_kind =
      record.program_kind == "component" ? ProgramKind::Component : ProgramKind::CoreModule;
  info.version = record.version;
  info.description = record.description;
  info.content_hash = record.content_hash;
  info.size_bytes = static_cast<std::uint64_t>(record.size_bytes);
  // The registry stores what the client wants (autostart); what runs is
  // the supervisor's to say.
  info.state = ModuleState::Installed;
  info.autostart = record.state == "running";
  info.state_cause = record.state_cause;
  info.installed_at = record.installed_at;
  info.updated_at = record.updated_at;
  return info;
}

Result<std::vector<ModuleInfo>> ModuleRegistry::infos_from(
    const std::vector<ModuleRecord>& records) const {
  std::vector<ModuleInfo> infos;
  infos.reserve(records.size());
  for (const auto& record : records) {
    ORIVON_TRY(auto info, info_from(record));
    infos.push_back(std::move(info));
  }
  return infos;
}

Result<ModuleInfo> ModuleRegistry::add(std::span<const std::byte> code, const AddOptions& options) {
  const ModuleSource source{{}, code, options};
  ORIVON_TRY(auto added, add_many(std::span(&source, 1)));
  return std::move(added.front());
}

Result<std::vector<ModuleInfo>> ModuleRegistry::add_many(std::span<const ModuleSource> sources) {
  // In a batch, an error says which module it is about; alone, it needs not.
  auto about = [&](std::size_t i, const Error& error) {
    if (sources.size() == 1) return error;
    const ModuleSource& source = sources[i];
    std::string which = "module " + std::to_string(i + 1) + " of " + std::to_string(sources.size());
    if (!source.file.empty()) {
      which += " ('" + source.file.string() + "')";
    } else if (source.options.id) {
      which += " ('" + source.options.id->str() + "')";
    }
    return Error::wrap(which, error);
  };
  MutexLock lock(mutex_);
  std::set<ModuleId> batch_ids;
  std::map<std::string, Program> batch_programs;  // by content hash
  std::vector<std::pair<ModuleId, Program>> programs;
  std::vector<ModuleRecord> records;
  programs.reserve(sources.size());
  records.reserve(sources.size());
  const std::int64_t now = now_seconds();
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const ModuleSource& source = sources[i];
    auto id = choose_id(source.options);
    if (!id) return about(i, id.error());
    if (!batch_ids.insert(*id).second) {
      return about(i, Error(ErrorCode::AlreadyExists, "module '" + id->str() + "' is given twice"));
    }
    auto existing = store_->find(id->str());
    if (!existing) return about(i, existing.error());
    if (*existing) {
      return about(i, Error(ErrorCode::AlreadyExists,
                            "module '" + id->str() + "' is already installed"));
    }
    std::vector<std::byte> read;
    std::span<const std::byte> code = source.code;
    if (!source.file.empty()) {
      auto bytes = read_file(source.file, limits::kMaxBinaryBytes);
      if (!bytes) return about(i, bytes.error());
      read = std::move(*bytes);
      code = read;
    }
    const std::string hash = sha256_hex(code);
    std::optional<Program> program;
    if (auto same = batch_programs.find(hash); same != batch_programs.end()) {
      program = engine::share_program(same->second, id->str());
    } else {
      // Compile first: a binary that does not compile is never stored.
      auto compiled = compile_and_cache(code, hash, id->str());
      if (!compiled) return about(i, compiled.error());
      if (auto stored = store_->put_code(hash, code); !stored) return about(i, stored.error());
      batch_programs.emplace(hash, *compiled);
      program = std::move(*compiled);
    }

    ModuleRecord record;
    record.id = id->str();
    record.kind = std::string(module_kind_name(id->kind()));
    record.program_kind = std::string(program_kind_name(program->kind()));
    if (source.options.manifest) {
      record.version = source.options.manifest->version;
      record.description = source.options.manifest->description;
      record.manifest_json = manifest_to_json(*source.options.manifest);
    }
    record.content_hash = hash;
    record.size_bytes = static_cast<std::int64_t>(code.size());
    record.state = std::string(module_state_name(ModuleState::Installed));
    record.installed_at = record.updated_at = now;
    records.push_back(std::move(record));
    programs.emplace_back(std::move(*id), std::move(*program));
  }
  ORIVON_RETURN_IF_ERROR(store_->insert(records));
  for (auto& [id, program] : programs) {
    exports_.erase(id);  // a removed module's of the same id, if any
    loaded_.insert_or_assign(id, std::move(program));
  }
  // One republish for the batch: the new modules have no grants yet, but
  // their exports are new and cached routes must look again.
  ORIVON_RETURN_IF_ERROR(republish_locked());
  return infos_from(records);
}

Result<std::vector<CallGrant>> ModuleRegistry::remove(const ModuleId& id,
                                                      RemoveDependents dependents) {
  MutexLock lock(mutex_);
  StateStore::RemovalCheck check;
  if (dependents == RemoveDependents::Refuse) {
    check = [&id](const std::vector<CallGrantRow>& rows) {
      return refuse_dependents(id, call_grants_from_rows(rows));
    };
  }
  ORIVON_TRY(auto rows, store_->remove(id.str(), check));
  loaded_.erase(id);
  decisions_version_.fetch_add(1, std::memory_order_acq_rel);
  forget_config_locked(id);  // its configuration went with it too
  ORIVON_RETURN_IF_ERROR(republish_locked(id));  // its grants went with it
  return call_grants_from_rows(rows);
}

Result<ModuleInfo> ModuleRegistry::update(const ModuleId& id, std::span<const std::byte> code) {
  const std::string hash = sha256_hex(code);
  MutexLock lock(mutex_);
  ORIVON_TRY(auto existing, store_->find(id.str()));
  if (!existing) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  ORIVON_TRY(auto program, compile_and_cache(code, hash, id.str()));
  ORIVON_RETURN_IF_ERROR(store_->put_code(hash, code));
  ORIVON_RETURN_IF_ERROR(store_->replace_code(id.str(), existing->content_hash, hash,
                                              static_cast<std::int64_t>(code.size()),
                                              std::string(program_kind_name(program.kind())),
                                              now_seconds()));
  loaded_.insert_or_assign(id, program);
  ORIVON_RETURN_IF_ERROR(republish_locked(id));  // its exports may differ now
  ORIVON_TRY(auto updated, store_->find(id.str()));
  if (!updated) return Error(ErrorCode::NotFound, "module '" + id.str() + "' vanished");
  return info_from(*updated);
}

Result<std::vector<ModuleInfo>> ModuleRegistry::list(const ListOptions& options) {
  MutexLock lock(mutex_);
  ORIVON_TRY(auto records, store_->page(options.after, options.limit));
  return infos_from(records);
}

Result<ModuleDetails> ModuleRegistry::inspect(const ModuleId& id) {
  MutexLock lock(mutex_);
  ORIVON_TRY(auto record, store_->find(id.str()));
  if (!record) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  ORIVON_TRY(auto info, info_from(*record));
  ModuleDetails details(std::move(info));
  if (record->manifest_json) {
    auto manifest = parse_manifest(*record->manifest_json, ManifestFormat::Json);
    if (!manifest) return corrupt("the stored manifest of '" + id.str() + "' does not parse");
    details.has_manifest = true;
    details.manifest = std::move(*manifest);
  }
  ORIVON_TRY(details.decisions, store_->decisions(id.str()));

  auto loaded = loaded_.find(id);
  Program program = loaded != loaded_.end() ? loaded->second : Program(nullptr);
  if (loaded == loaded_.end()) {
    bool from_cache = false;
    ORIVON_TRY(program, load_locked(*record, from_cache));
    loaded_.insert_or_assign(id, program);
  }
  ORIVON_TRY(auto interface, engine::describe_program(engine_.wasmtime_engine(), program.data()));
  details.imports = std::move(interface.imports);
  details.exports = std::move(interface.exports);
  return details;
}

Result<void> ModuleRegistry::decide(const ModuleId& id, std::string_view grant,
                                    GrantDecision decision) {
  ORIVON_TRY(auto parsed, parse_grant(grant));
  MutexLock lock(mutex_);
  ORIVON_TRY(auto record, store_->find(id.str()));
  if (!record) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  if (decision == GrantDecision::Allow) {
    if (const auto* fs = std::get_if<FsGrant>(&parsed)) {
      ORIVON_TRY(auto host, grants::check_directory_grant(*fs, state_dir_,
                                                          grants::PathCheck::MayNotExistYet));
      (void)host;
    }
    ORIVON_TRY(auto allowed, store_->allowed_grants(id.str()));
    ORIVON_RETURN_IF_ERROR(grants::check_compatible(grant, parsed, allowed));
  }
  ORIVON_RETURN_IF_ERROR(
      store_->set_decision(id.str(), std::string(grant), decision, now_seconds()));
  if (decision == GrantDecision::Deny) {
    // A deny takes back the variants allowed before (env:NAME=VALUE for
    // env:NAME, any access at the same guest path): each is denied too, so
    // `inspect` shows why it is gone.
    ORIVON_TRY(auto allowed, store_->allowed_grants(id.str()));
    for (const auto& covered : grants::covered_by_deny(grant, parsed, allowed)) {
      ORIVON_RETURN_IF_ERROR(store_->set_decision(id.str(), covered, decision, now_seconds()));
    }
  }
  decisions_version_.fetch_add(1, std::memory_order_acq_rel);
  // Grants checked on every call, operation, publish or delivery (not at
  // start) apply at once: what is cached for the old version is dropped.
  if (std::holds_alternative<HostGrant>(parsed) || std::holds_alternative<KvGrant>(parsed) ||
      std::holds_alternative<TopicGrant>(parsed)) {
    links_version_.fetch_add(1, std::memory_order_acq_rel);
  }
  return ok();
}

Result<std::vector<std::string>> ModuleRegistry::forget_decision(const ModuleId& id,
                                                                 std::string_view grant) {
  ORIVON_TRY(auto parsed, parse_grant(grant));
  MutexLock lock(mutex_);
  ORIVON_TRY(auto record, store_->find(id.str()));
  if (!record) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  ORIVON_TRY(auto decisions, store_->decisions(id.str()));
  std::vector<std::string> removed;
  for (const auto& [text, decision] : decisions) {
    auto recorded = parse_grant(text);
    if (text != grant && (!recorded || !(*recorded == parsed))) continue;
    ORIVON_TRY(bool gone, store_->remove_decision(id.str(), text));
    if (gone) removed.push_back(text);
  }
  if (removed.empty()) {
    return Error(ErrorCode::NotFound, "'" + id.str() + "' has no decision on '" +
                                          std::string(grant) +
                                          "' to forget (orivon inspect " + id.str() +
                                          " shows its grants)");
  }
  links_version_.fetch_add(1, std::memory_order_acq_rel);  // host:, kv:, topic: apply at once
  return removed;
}

Result<ModuleInfo> ModuleRegistry::replace_manifest(const ModuleId& id, const Manifest& manifest) {
  if (manifest.id && *manifest.id != id) {
    return Error(ErrorCode::InvalidArgument, "the manifest's id '" + manifest.id->str() +
                                                 "' differs from the module's id '" + id.str() +
                                                 "'");
  }
  MutexLock lock(mutex_);
  ORIVON_TRY(auto existing, store_->find(id.str()));
  if (!existing) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  ORIVON_RETURN_IF_ERROR(store_->replace_manifest(id.str(), manifest_to_json(manifest),
                                                  manifest.version, manifest.description,
                                                  now_seconds()));
  forget_config_locked(id);  // its defaults come from the manifest
  ORIVON_RETURN_IF_ERROR(republish_locked(id));
  ORIVON_TRY(auto updated, store_->find(id.str()));
  if (!updated) return Error(ErrorCode::NotFound, "module '" + id.str() + "' vanished");
  return info_from(*updated);
}

Result<std::vector<std::string>> ModuleRegistry::allowed_grants(const ModuleId& id) {
  MutexLock lock(mutex_);
  ORIVON_TRY(auto record, store_->find(id.str()));
  if (!record) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  return store_->allowed_grants(id.str());
}

Result<std::optional<Manifest>> ModuleRegistry::manifest(const ModuleId& id) {
  MutexLock lock(mutex_);
  return manifest_locked(id);
}

Result<std::optional<Manifest>> ModuleRegistry::manifest_locked(const ModuleId& id) {
  ORIVON_TRY(auto record, store_->find(id.str()));
  if (!record) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  if (!record->manifest_json) return std::optional<Manifest>();
  auto manifest = parse_manifest(*record->manifest_json, ManifestFormat::Json);
  if (!manifest) return corrupt("the stored manifest of '" + id.str() + "' does not parse");
  return std::optional<Manifest>(std::move(*manifest));
}

Result<std::vector<std::pair<ModuleId, Manifest>>> ModuleRegistry::manifests_with_triggers() {
  MutexLock lock(mutex_);
  ORIVON_TRY(auto rows, store_->manifests_with_triggers());
  std::vector<std::pair<ModuleId, Manifest>> out;
  for (const auto& [text_id, json] : rows) {
    auto id = ModuleId::parse(text_id);
    if (!id) return corrupt("the state holds a module with the invalid id '" + text_id + "'");
    auto manifest = parse_manifest(json, ManifestFormat::Json);
    if (!manifest) return corrupt("the stored manifest of '" + text_id + "' does not parse");
    if (manifest->triggers.empty() && !manifest->function) continue;
    out.emplace_back(std::move(*id), std::move(*manifest));
  }
  return out;
}

Result<std::vector<HttpRoute>> ModuleRegistry::http_routes() {
  MutexLock lock(mutex_);
  ORIVON_TRY(auto rows, store_->http_routes());
  std::vector<HttpRoute> out;
  for (auto& row : rows) {
    auto id = ModuleId::parse(row.module_id);
    if (!id) return corrupt("a route leads to the invalid id '" + row.module_id + "'");
    out.push_back(HttpRoute{std::move(row.host), std::move(row.prefix), std::move(*id)});
  }
  return out;
}

Result<void> ModuleRegistry::put_http_route(const HttpRoute& route) {
  MutexLock lock(mutex_);
  return store_->put_http_route({route.host, route.prefix, route.module.str()});
}

Result<bool> ModuleRegistry::remove_http_route(const std::string& host,
                                               const std::string& prefix) {
  MutexLock lock(mutex_);
  return store_->remove_http_route(host, prefix);
}

Result<std::vector<TriggerRunRow>> ModuleRegistry::trigger_runs(const ModuleId& id) {
  MutexLock lock(mutex_);
  return store_->trigger_runs(id.str());
}

Result<void> ModuleRegistry::save_trigger_run(const ModuleId& id, const TriggerRunRow& row) {
  MutexLock lock(mutex_);
  return store_->save_trigger_run(id.str(), row);
}

Result<void> ModuleRegistry::set_autostart(const ModuleId& id, bool autostart) {
  MutexLock lock(mutex_);
  return store_->set_state(id.str(), autostart ? "running" : "installed");
}

Result<LoadReport> ModuleRegistry::load_installed() {
  MutexLock lock(mutex_);
  // A host's start: the time to remove what interrupted adds left behind.
  ORIVON_RETURN_IF_ERROR(store_->collect_garbage());
  ORIVON_TRY(auto records, store_->all());
  // Copies of one binary load once and share their compiled code: one job
  // per distinct binary, in the order the records first name them.
  std::map<std::string, std::size_t> job_of_hash;
  std::vector<std::size_t> job_of_record(records.size());
  std::vector<const ModuleRecord*> job_records;
  std::vector<StoredProgram> job_places;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto [it, fresh] = job_of_hash.emplace(records[i].content_hash, job_records.size());
    if (fresh) {
      job_records.push_back(&records[i]);
      job_places.push_back(
          {cache_path(records[i].content_hash), store_->code_path(records[i].content_hash)});
    }
    job_of_record[i] = it->second;
  }
  // Deserializing (or recompiling) is most of a host's start: the jobs run
  // on a few threads. Each thread takes the next job in order; the first
  // failure stops the taking, and since every job before it was taken
  // already, the error reported (the earliest record's) is the one a load
  // one after another would report.
  struct Outcome {
    std::optional<Result<Program>> program;
    bool from_cache = false;
  };
  std::vector<Outcome> outcomes(job_records.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&]() noexcept {
    while (!failed.load(std::memory_order_relaxed)) {
      const std::size_t job = next.fetch_add(1, std::memory_order_relaxed);
      if (job >= job_records.size()) return;
      Outcome& outcome = outcomes[job];
      try {
        outcome.program = load_stored(engine_, *job_records[job], job_places[job],
                                      outcome.from_cache);
      } catch (const std::exception& e) {
        outcome.program = Error(ErrorCode::Internal, std::string("host-side failure: ") + e.what());
      } catch (...) {
        outcome.program = Error(ErrorCode::Internal, "host-side failure");
      }
      if (!*outcome.program) failed.store(true, std::memory_order_relaxed);
    }
  };
  const std::size_t threads = std::min<std::size_t>(
      job_records.size(),
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, limits::kMaxLoadThreads));
  std::vector<std::thread> helpers;
  for (std::size_t i = 1; i < threads; ++i) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no thread to be had: fewer do the work
    }
  }
  work();
  for (auto& helper : helpers) helper.join();

  LoadReport report;
  for (std::size_t job = 0; job < outcomes.size(); ++job) {
    const auto& program = outcomes[job].program;
    if (program && !*program) {
      return Error::wrap("loading module '" + job_records[job]->id + "'", program->error());
    }
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::size_t job = job_of_record[i];
    const Program& first = **outcomes[job].program;
    const bool shared = job_records[job] != &records[i];
    // A record whose id does not parse cannot be asked for; list() reports it.
    if (auto id = ModuleId::parse(records[i].id)) {
      loaded_.insert_or_assign(*id, shared ? engine::share_program(first, records[i].id) : first);
    }
    ++report.modules;
    ++(shared || outcomes[job].from_cache ? report.from_cache : report.compiled);
  }
  return report;
}

Result<Program> ModuleRegistry::program(const ModuleId& id) {
  MutexLock lock(mutex_);
  return program_locked(id);
}

Result<Program> ModuleRegistry::program_locked(const ModuleId& id) {
  if (auto loaded = loaded_.find(id); loaded != loaded_.end()) return loaded->second;
  ORIVON_TRY(auto record, store_->find(id.str()));
  if (!record) return Error(ErrorCode::NotFound, "no module '" + id.str() + "' is installed");
  bool from_cache = false;
  ORIVON_TRY(auto program, load_locked(*record, from_cache));
  loaded_.insert_or_assign(id, program);
  return program;
}

}  // namespace orivon::registry
