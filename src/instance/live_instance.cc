#include "instance/live_instance.h"

#include "core/limits.h"

#include "instance/instance_impl.h"
#include "instance/store_setup.h"

namespace orivon::instance {

// What an instance is expected to cost before it exists. Measured on a host
// (/proc/PID/maps before and after ten more services of one module): each
// linear memory is two mappings, its accessible pages and the reserved rest
// (whose inaccessible part merges with the next memory's guard); tables and
// instance state come from malloc. One more for whatever else an instance
// may take. A component built with the WASI adapter has two core instances,
// a memory each. Each memory reserves its address space up front. Compiled
// code is counted when a module is loaded (registry), not per instance.
// Readings of the process correct the estimate (capacity.h).
engine::InstanceNeed instance_need(const internal::ProgramData& program) {
  const std::uint64_t memories = program.kind == ProgramKind::Component ? 2 : 1;
  engine::InstanceNeed need;
  need.mappings = 2 * memories + 1;
  need.address_space_bytes =
      memories * (limits::kMemoryReservationBytes + limits::kMemoryGuardBytes);
  need.memory_bytes = memories * (64 << 10);
  return need;
}

Result<LiveInstance> LiveInstance::create(engine::Engine& engine,
                                          std::shared_ptr<const internal::ProgramData> program,
                                          const WasiProfile& profile, const ExecutionLimits& limits,
                                          StoreHooks hooks, const Prepared& prepared) {
  // A pooled instance maps nothing new: its slot was reserved with the pool.
  engine::InstanceNeed need = instance_need(*program);
  if (engine.is_pooled()) need.mappings = need.address_space_bytes = 0;
  ORIVON_TRY(auto ticket, engine.capacity().admit(need));
  ORIVON_TRY(auto store, make_store(engine, profile, limits, hooks));
  ORIVON_TRY(auto http, wasi::HttpPolicy::compile(profile.http_origins));
  std::shared_ptr<LinkState> links;
  if (hooks.links && hooks.module) links = std::make_shared<LinkState>(engine, *hooks.links, http);
  if (program->kind == ProgramKind::Component) {
    ORIVON_TRY(auto impl, create_component_instance(engine, std::move(program), std::move(store),
                                                    std::move(links), hooks.module,
                                                    std::move(http), prepared.component));
    return LiveInstance(std::move(ticket), std::move(impl));
  }
  ORIVON_TRY(auto impl, create_core_instance(engine, std::move(program), std::move(store),
                                             std::move(links), hooks.module, prepared.core));
  return LiveInstance(std::move(ticket), std::move(impl));
}

LiveInstance::LiveInstance(engine::Capacity::Ticket ticket, std::unique_ptr<Impl> impl)
    : ticket_(std::move(ticket)), impl_(std::move(impl)) {}
LiveInstance::LiveInstance(LiveInstance&&) noexcept = default;
LiveInstance& LiveInstance::operator=(LiveInstance&&) noexcept = default;
LiveInstance::~LiveInstance() = default;

std::optional<int> LiveInstance::exit_code() const { return impl_->exit_code; }

Result<LiveInstance::Function> LiveInstance::lookup(std::string_view name) {
  ORIVON_TRY(auto index, impl_->lookup(name));
  return Function(impl_.get(), index);
}

Result<void> LiveInstance::call(Function function, std::span<const Value> args,
                                std::vector<Value>& results, Match match) {
  if (function.owner_ != impl_.get()) {
    results.clear();
    return Error(ErrorCode::InvalidArgument, "a function looked up in another instance");
  }
  return impl_->call(function.index_, args, results, match);
}

Result<void> LiveInstance::call_raw(std::string_view name, const RawArguments& make_args,
                                   const RawResults& take_results) {
  return impl_->call_raw(name, make_args, take_results);
}

Result<RunOutcome> LiveInstance::run_command() { return impl_->run_command(); }

bool LiveInstance::has_function(std::string_view name) { return impl_->has_function(name); }

std::uint64_t LiveInstance::memory_bytes() { return impl_->memory_bytes(); }

Result<Returned> call_by_name(LiveInstance& live, std::string_view name,
                              std::span<const Value> args, LiveInstance::Match match) {
  if (auto status = live.exit_code()) return Returned{{}, status};
  ORIVON_TRY(auto function, live.lookup(name));
  Returned returned;
  auto called = live.call(function, args, returned.values, match);
  if (auto status = live.exit_code()) return Returned{{}, status};
  if (!called) return called.error();
  return returned;
}

}  // namespace orivon::instance
