#pragma once

// A function module's program made ready once per module version (and per
// set of outbound HTTP origins it is granted): placed on the function
// engine's pool when it can be (see pool_placement.h) and pre-instantiated,
// its imports resolved and type-checked, so an invocation (`orivon call`, an
// event, a timer) only creates a store and an instance. The grants that live
// in the store (directories, environment, network) come with each
// invocation's profile. Thread-safe: instantiate() only reads the template;
// owned through a shared_ptr by whoever caches it.

#include <cstdint>
#include <memory>
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

class InstanceTemplate {
 public:
  // `profile`'s outbound HTTP origins are the template's (a component granted
  // some gets a linker of its own); `max_memory_bytes` is the function's
  // [function] max-memory, which decides with the rest whether it is pooled.
  // A program that imports other modules is linked per instance (its
  // imports lead to live routes) and always on `engine`.
  static Result<std::shared_ptr<const InstanceTemplate>> create(
      engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
      const WasiProfile& profile, std::uint64_t max_memory_bytes);
  ~InstanceTemplate();
  InstanceTemplate(const InstanceTemplate&) = delete;
  InstanceTemplate& operator=(const InstanceTemplate&) = delete;

  // A fresh instance, as LiveInstance::create would make it (limits, hooks,
  // the start function or component initialisation). A pool with every slot
  // in use is ResourceExhausted naming "capacity".
  Result<LiveInstance> instantiate(const WasiProfile& profile, const ExecutionLimits& limits,
                                   StoreHooks hooks) const;

  bool is_pooled() const { return engine_.is_pooled(); }
  // Why a template is not pooled (empty when it is).
  const std::string& on_demand_reason() const { return on_demand_reason_; }

 private:
  struct ComponentPreDeleter {
    void operator()(orivon_component_pre_t* pre) const { orivon_component_pre_delete(pre); }
  };
  struct CorePreDeleter {
    void operator()(wasmtime_instance_pre_t* pre) const { wasmtime_instance_pre_delete(pre); }
  };

  InstanceTemplate(engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program)
      : engine_(engine), program_(std::move(program)) {}

  engine::Engine& engine_;
  const std::shared_ptr<const internal::ProgramData> program_;
  std::string on_demand_reason_;
  // At most one is set; neither when the program is linked per instance.
  std::unique_ptr<orivon_component_pre_t, ComponentPreDeleter> component_pre_;
  std::unique_ptr<wasmtime_instance_pre_t, CorePreDeleter> core_pre_;
};

}  // namespace orivon::instance
