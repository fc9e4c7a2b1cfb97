#pragma once

// A `wasi:http/incoming-handler` component ready to serve requests: its
// imports resolved and type-checked once (a ProxyPre in deps/wasmtime/lib.rs),
// so a request only creates a store and an instance. Made once per module
// version and shared by every request's thread (thread-safe: serve() only
// reads it). Owned through a shared_ptr by whoever caches it.

#include <memory>
#include <optional>
#include <string>

#include "engine/engine.h"
#include "engine/program_data.h"
#include "instance/live_instance.h"
#include "orivon/limits.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"
#include "wasi/http_policy.h"
#include "wasi/wasi_extensions.h"

namespace orivon::instance {

class LinkState;

class ProxyTemplate {
 public:
  // InvalidArgument when `program` is not a component exporting
  // wasi:http/incoming-handler or its imports cannot be linked. `links`
  // (with `module`) links imports of other modules; such a component gets
  // its linker per request (a LinkState belongs to one store).
  // With Placement::Pooled the template runs on `engine`'s function engine
  // (pooled slots) when the handler can: it imports no other modules (their
  // libraries' code lives on `engine`), `max_memory_bytes` fits a slot, and
  // the component fits the pool's limits. Otherwise it stays on `engine`
  // (fresh mappings per request, as services) and on_demand_reason() says why.
  enum class Placement { Pooled, OnDemand };
  static Result<std::shared_ptr<const ProxyTemplate>> create(
      engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
      const WasiProfile& profile, Links* links, std::optional<ModuleId> module,
      Placement placement = Placement::OnDemand, std::uint64_t max_memory_bytes = 0);
  // Whether instances come from the function engine's pool.
  bool is_pooled() const { return engine_.is_pooled(); }
  // Why a template asked to be pooled is not (empty when it is, or was not asked).
  const std::string& on_demand_reason() const { return on_demand_reason_; }
  ~ProxyTemplate();
  ProxyTemplate(const ProxyTemplate&) = delete;
  ProxyTemplate& operator=(const ProxyTemplate&) = delete;

  // Serves `request` in a fresh store (limits, WASI from the profile, hooks:
  // the deadline and output capture) and instance. Returns the guest's
  // failure (a trap, a deadline, an exit) or the admission's refusal
  // (ResourceExhausted, its message naming "capacity"; so is a pool with
  // every slot in use); an answered request is ok() even when its body is
  // still streaming out.
  // `profile` is the module's grants now (its outbound HTTP origins must be
  // the template's).
  Result<void> serve(orivon_http_request_t* request, const WasiProfile& profile,
                     const ExecutionLimits& limits, const StoreHooks& hooks) const;
  // Creates and drops one instance in a fresh store (benchmarks).
  Result<void> instantiate_once(const WasiProfile& profile, const ExecutionLimits& limits) const;

 private:
  struct PreDeleter {
    void operator()(orivon_proxy_pre_t* pre) const { orivon_proxy_pre_delete(pre); }
  };
  using Pre = std::unique_ptr<orivon_proxy_pre_t, PreDeleter>;

  ProxyTemplate(engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
                Links* links, std::optional<ModuleId> module)
      : engine_(engine),
        program_(std::move(program)),
        links_(links),
        module_(std::move(module)) {}
  // A linker for the program (with `store_links` for its imports of other
  // modules, when it has any) pre-instantiated.
  Result<Pre> make_pre(const std::shared_ptr<LinkState>& store_links) const;
  bool links_per_store() const;

  engine::Engine& engine_;
  const std::shared_ptr<const internal::ProgramData> program_;
  Links* const links_;  // outlives the template (the supervisor's)
  const std::optional<ModuleId> module_;
  std::shared_ptr<const wasi::HttpPolicy> http_;
  std::string on_demand_reason_;
  Pre pre_;  // null when made per store
};

}  // namespace orivon::instance
