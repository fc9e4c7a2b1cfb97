// Live instances of components: `wasi:cli/run` commands and typed exports.

#include <algorithm>
#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "engine/error_conversion.h"
#include "engine/function_type.h"
#include "engine/host_interface.h"
#include "engine/typed_calls.h"
#include "instance/instance_impl.h"
#include "instance/pool_placement.h"
#include "values/numeric_bridge.h"
#include "values/value_conversion.h"
#include "wasi/wasi_extensions.h"

namespace orivon::instance {
namespace {

namespace wc = wasmtime::component;

constexpr std::string_view kRunInterfacePrefix = "wasi:cli/run@";

// The export index of the function export `name` (see
// engine::qualify_component_function for the names it accepts).
Result<wc::ExportIndex> resolve_export(const internal::ProgramData& program,
                                       std::string_view name) {
  ORIVON_TRY(auto qualified, engine::qualify_component_function(program, name));
  const auto& component = *program.component;
  auto hash = qualified.find('#');
  if (hash == std::string::npos) {
    auto index = component.export_index(nullptr, qualified);
    if (index) return std::move(*index);
  } else {
    auto outer = component.export_index(nullptr, qualified.substr(0, hash));
    if (outer) {
      auto inner = component.export_index(&*outer, qualified.substr(hash + 1));
      if (inner) return std::move(*inner);
    }
  }
  return Error(ErrorCode::Internal, "export '" + qualified + "' has no index");
}

// The bytes of strings and lists a value carries at its top level (or as a
// result's or option's payload): what the per-call limit counts.
std::size_t carried_bytes(const Value& value) {
  if (const auto* bytes = value.if_bytes()) return bytes->size();
  if (const auto* text = value.if_string()) return text->size();
  if (const auto* list = value.if_list()) return list->size();
  if (const Value* payload = value.payload()) return carried_bytes(*payload);
  return 0;
}

std::vector<wc::Val> result_slots(const wc::FuncType& type) {
  std::vector<wc::Val> slots;
  if (type.result()) slots.emplace_back(false);
  return slots;
}

class ComponentInstance final : public LiveInstance::Impl {
 public:
  ComponentInstance(engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
                    wasmtime::Store store, std::shared_ptr<LinkState> links,
                    std::optional<ModuleId> module, std::shared_ptr<const wasi::HttpPolicy> http)
      : engine_(engine),
        program_(std::move(program)),
        store_(std::move(store)),
        context_(store_.context()),
        store_context_(engine::store_context(context_)),
        links_(std::move(links)),
        module_(std::move(module)),
        http_(std::move(http)),
        exports_(program_->function_exports) {}

  // From a template made once (pool_placement.h, instance_template.h).
  Result<void> instantiate(const orivon_component_pre_t* pre) {
    wasi::enable_wasi_http(store_.context());
    wasmtime_component_instance_t raw{};
    wasmtime_error_t* failed = orivon_component_pre_instantiate(pre, store_.context().capi(), &raw);
    if (failed == nullptr) {
      instance_ = wc::Instance(raw);
      return ok();
    }
    return failure(wasmtime::Error(failed));
  }

  Result<void> instantiate() {
    // Only a component importing other modules (its imports lead to this
    // caller's routes) or granted outbound HTTP (its own origin check) needs
    // a linker of its own; the rest share the engine's, built once.
    wasi::enable_wasi_http(store_.context());
    std::optional<wc::Linker> own;
    wc::Linker* linker = &engine_.wasi_component_linker();
    const bool links_modules = links_ && program_->imports_modules;
    if (links_modules || !http_->denies_all()) {
      own.emplace(engine_.wasmtime_engine());
      ORIVON_RETURN_IF_ERROR(engine_.define_host(*own, http_));
      if (links_modules) {
        ORIVON_RETURN_IF_ERROR(links_->link_component_imports(*own, *program_->component, *module_));
      }
      linker = &*own;
    }
    auto instance = linker->instantiate(store_, *program_->component);
    if (instance) {
      instance_ = instance.ok();
      return ok();
    }
    return failure(std::move(instance.err()));
  }

  // An instantiation that did not give an instance: the guest exited (not a
  // failure), the pool is full (busy), or the program failed.
  Result<void> failure(wasmtime::Error error) {
    if (auto busy = pool_refusal(error)) return *std::move(busy);
    if (auto status = error.i32_exit()) {
      exit_code = *status;
      return ok();
    }
    return engine::to_error(error, ErrorCode::InvalidArgument,
                            "instantiating '" + program_->name + "'");
  }

  Result<std::size_t> lookup(std::string_view name) override {
    if (auto found = by_name_.find(name); found != by_name_.end()) return found->second;
    ORIVON_TRY(auto func, find_func(std::string(name)));
    TypedFunc typed{std::string(name), func, {}, false, std::nullopt};
    auto type = func.type(store_);
    for (std::size_t i = 0; i < type.param_count(); ++i) {
      auto param = type.param_nth(i);
      if (!param) return Error(ErrorCode::Internal, "parameter type missing");
      typed.params.push_back(std::move(param->second));
    }
    typed.has_result = type.result().has_value();
    if (engine_.typed_calls()) typed.shape = engine::fast_shape(type);
    typed_.push_back(std::move(typed));
    by_name_.emplace(typed_.back().name, typed_.size() - 1);
    return typed_.size() - 1;
  }

  // Each argument is converted against its parameter type (see
  // LiveInstance::Match), and the call reuses this instance's scratch
  // vectors.
  Result<void> call(std::size_t index, std::span<const Value> args, std::vector<Value>& results,
                    LiveInstance::Match match) override {
    results.clear();
    if (exit_code) return exited_error();
    const TypedFunc& typed = typed_[index];
    if (typed.params.size() != args.size()) return count_error(typed, args.size());
    if (typed.shape) {
      // The typed path, unless an argument does not fit its shape (then
      // the generic path below reports it).
      if (auto called = call_typed(typed, args, results, match)) return std::move(*called);
    }
    arguments_.clear();
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (match == LiveInstance::Match::Numbers) {
        // As another module's guest passed it: Wasmtime checks it.
        auto passed = values::to_wasmtime_unchecked(args[i]);
        if (values::needs_coercion(passed, typed.params[i])) {
          passed = values::coerce_number(passed, typed.params[i]);
        }
        arguments_.push_back(std::move(passed));
        continue;
      }
      auto value = values::to_wasmtime(args[i], typed.params[i]);
      if (!value) {
        arguments_.clear();
        return Error::wrap("argument " + std::to_string(i + 1) + " of '" + typed.name + "'",
                           value.error());
      }
      arguments_.push_back(std::move(*value));
    }
    result_slots_.clear();
    if (typed.has_result) result_slots_.emplace_back(false);
    auto called = call(typed.func, arguments_, result_slots_);
    arguments_.clear();  // strings and lists are not kept past the call
    if (!called) return called;
    if (exit_code) return exited_error();
    for (const auto& result : result_slots_) {
      auto value = values::from_wasmtime(result);
      if (!value) {
        results.clear();
        result_slots_.clear();
        return value.error();
      }
      results.push_back(std::move(*value));
    }
    result_slots_.clear();
    return check_result_sizes(typed, results);
  }

  Result<void> call_raw(std::string_view name, const LiveInstance::RawArguments& make_args,
                        const LiveInstance::RawResults& take_results) override {
    if (exit_code) return exited_error();
    ORIVON_TRY(auto func, find_func(std::string(name)));
    ORIVON_TRY(auto args, make_args(context_));
    std::vector<wc::Val> results = result_slots(func.type(store_));
    auto returned = func.call(context_, args, results);
    if (!returned) {
      auto classified = engine::classify_failure(returned.err());
      if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
        exit_code = exited->code;
        return exited_error();
      }
      return std::get<Error>(std::move(classified));
    }
    auto taken = take_results(context_, results);
    auto post = func.post_return(context_);
    if (!post) return engine::to_error(post.err(), ErrorCode::Trapped, "post-return");
    return taken;
  }

  Result<RunOutcome> run_command() override {
    if (exit_code) return RunOutcome{*exit_code};
    std::string run_name;
    for (const auto& name : exports_) {
      if (name.starts_with(kRunInterfacePrefix) && name.ends_with("#run")) run_name = name;
    }
    if (run_name.empty()) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + program_->name +
                       "' is not a command (it does not export wasi:cli/run); call one of its "
                       "exports with --invoke");
    }
    ORIVON_TRY(auto func, find_func(run_name));
    std::vector<wc::Val> results = result_slots(func.type(store_));
    ORIVON_RETURN_IF_ERROR(call(func, {}, results));
    if (exit_code) return RunOutcome{*exit_code};
    // run returns result<_, _>: ok is success, err a failure without a code.
    bool succeeded = !results.empty() && results[0].is_result() && results[0].get_result().is_ok();
    return RunOutcome{succeeded ? 0 : 1};
  }

  bool has_function(std::string_view name) override {
    return std::find(exports_.begin(), exports_.end(), name) != exports_.end();
  }

  // Wasmtime's C API gives no view of a component instance's memories.
  std::uint64_t memory_bytes() override { return 0; }

 private:
  Error exited_error() const {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::GuestExited,
                 "'" + program_->name + "' exited with status " + std::to_string(*exit_code));
  }

  // The function export called `name`, resolved once per name: a service is
  // called many times, and walking the component's types each time would be
  // work on the hot path.
  Result<wc::Func> find_func(const std::string& name) {
    auto cached = functions_.find(name);
    if (cached == functions_.end()) {
      ORIVON_TRY(auto index, resolve_export(*program_, name));
      auto func = instance_->get_func(store_, index);
      if (!func) return Error(ErrorCode::Internal, "'" + name + "' is not a function");
      cached = functions_.emplace(name, *func).first;
    }
    return cached->second;
  }

  struct TypedFunc {
    std::string name;  // as looked up
    wc::Func func;
    std::vector<wc::ValType> params;
    bool has_result = false;
    std::optional<engine::FastShape> shape;  // set when calls take the typed path
  };

  Error count_error(const TypedFunc& typed, std::size_t count) const {
    return Error(ErrorCode::InvalidArgument,
                 "'" + typed.name + "' of '" + program_->name + "' takes " +
                     std::to_string(typed.params.size()) + " arguments, not " +
                     std::to_string(count));
  }

  // The typed path of call(): nothing when an argument does not fit the
  // shape (nothing was called), else the call's outcome.
  std::optional<Result<void>> call_typed(const TypedFunc& typed, std::span<const Value> args,
                                         std::vector<Value>& results, LiveInstance::Match match) {
    if (store_context_ != nullptr) store_context_->begin_call();
    // Another module's strings were checked when they left its memory.
    const auto strings = match == LiveInstance::Match::Numbers
                             ? engine::StringCheck::AlreadyChecked
                             : engine::StringCheck::Check;
    auto called = engine::call_typed(context_, typed.func, *typed.shape, args, results, strings);
    if (!called) return std::nullopt;
    if (!*called) {
      results.clear();
      auto classified = engine::classify_failure(called->err());
      if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
        exit_code = exited->code;
        return exited_error();
      }
      return Result<void>(std::get<Error>(std::move(classified)));
    }
    if (exit_code) return exited_error();
    return check_result_sizes(typed, results);
  }

  // A result past the per-call limit on values (RuntimeOptions::max_call_bytes)
  // is refused, on both paths.
  Result<void> check_result_sizes(const TypedFunc& typed, std::vector<Value>& results) {
    for (const Value& value : results) {
      const std::size_t size = carried_bytes(value);
      if (size > engine_.max_call_bytes()) {
        results.clear();
        return Error(ErrorCode::FailedPrecondition,
                     "'" + typed.name + "' of '" + program_->name + "' returned " +
                         std::to_string(size) + " bytes, more than the per-call limit of " +
                         std::to_string(engine_.max_call_bytes()) + " bytes");
      }
    }
    return ok();
  }

  // Calls `func` and runs its post-return. Sets exit_code when the guest
  // exited.
  Result<void> call(const wc::Func& func, std::span<const wc::Val> args,
                    std::vector<wc::Val>& results) {
    if (store_context_ != nullptr) store_context_->begin_call();
    auto returned = func.call(context_, args, results);
    if (!returned) {
      auto classified = engine::classify_failure(returned.err());
      if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
        exit_code = exited->code;
        return ok();
      }
      return std::get<Error>(std::move(classified));
    }
    auto post = func.post_return(context_);
    if (!post) return engine::to_error(post.err(), ErrorCode::Trapped, "post-return");
    return ok();
  }

  engine::Engine& engine_;
  std::shared_ptr<const internal::ProgramData> program_;
  wasmtime::Store store_;
  // store_'s context, fetched once (Store -> Context asks the C API each
  // time): valid as long as the store, which does not move.
  wasmtime::Store::Context context_;
  // The store's context (host_interface.h), told of every call; null for a
  // store made without one. Owned by the store.
  engine::StoreContext* store_context_;
  std::shared_ptr<LinkState> links_;  // null: imports of other modules are not linked
  std::optional<ModuleId> module_;
  const std::shared_ptr<const wasi::HttpPolicy> http_;  // outbound HTTP (wasi:http)
  const std::vector<std::string> exports_;  // function exports, "name" or "iface#name"
  std::optional<wc::Instance> instance_;
  std::map<std::string, wc::Func> functions_;  // resolved by name
  // Function exports with their types, resolved once per name (a deque:
  // entries and their names stay where they are as it grows), and an index
  // of them by name (views of typed_[i].name).
  std::deque<TypedFunc> typed_;
  std::map<std::string_view, std::size_t, std::less<>> by_name_;
  // Scratch values of the typed call in progress, reused so that a call does
  // not allocate its vectors. A store runs one call at a time and calls back
  // into the same instance are refused as cycles (Supervisor::acquire).
  std::vector<wc::Val> arguments_;
  std::vector<wc::Val> result_slots_;
};

}  // namespace

Result<std::unique_ptr<LiveInstance::Impl>> create_component_instance(
    engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
    wasmtime::Store store, std::shared_ptr<LinkState> links, const std::optional<ModuleId>& module,
    std::shared_ptr<const wasi::HttpPolicy> http, const orivon_component_pre_t* pre) {
  auto instance = std::make_unique<ComponentInstance>(engine, std::move(program), std::move(store),
                                                      std::move(links), module, std::move(http));
  ORIVON_RETURN_IF_ERROR(pre != nullptr ? instance->instantiate(pre) : instance->instantiate());
  return std::unique_ptr<LiveInstance::Impl>(std::move(instance));
}

}  // namespace orivon::instance
