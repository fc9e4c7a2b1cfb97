// Live instances of core WebAssembly modules: WASI preview1 commands and
// reactors, or plain exports.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error_conversion.h"
#include "instance/instance_impl.h"
#include "instance/pool_placement.h"
#include "values/core_values.h"

namespace orivon::instance {
namespace {

// A function export and its type, resolved once per name: reading a type
// through the C API allocates and walks it, which is work a call should not
// repeat.
struct CoreFunction {
  std::string name;
  wasmtime::Func func;
  std::vector<wasmtime::ValKind> params;
  std::size_t result_count = 0;
};

CoreFunction describe(wasmtime::Store& store, std::string name, const wasmtime::Func& func) {
  CoreFunction described{std::move(name), func, {}, 0};
  wasm_functype_t* type = wasmtime_func_type(store.context().capi(), &func.capi());
  const wasm_valtype_vec_t* params = wasm_functype_params(type);
  described.params.reserve(params->size);
  for (std::size_t i = 0; i < params->size; ++i) {
    described.params.push_back(values::core_value_kind(params->data[i]));
  }
  described.result_count = wasm_functype_results(type)->size;
  wasm_functype_delete(type);
  return described;
}

Error not_a_number_error() {
  return Error(ErrorCode::InvalidArgument,
               "a value that is not a number of the right kind cannot be passed to a core "
               "module function (only i32, i64, f32 and f64 cross)");
}

// The integer bits of an integer (or bool) Value, widened; false for other
// kinds. As values::core_from_component does for component values.
bool integer_bits(const Value& value, std::uint64_t& bits) {
  const auto widen = [](std::int64_t signed_value) {
    return static_cast<std::uint64_t>(signed_value);
  };
  switch (value.kind()) {
    case Value::Kind::Bool: bits = *value.as_bool() ? 1 : 0; return true;
    case Value::Kind::U8: bits = *value.as_u8(); return true;
    case Value::Kind::S8: bits = widen(*value.as_s8()); return true;
    case Value::Kind::U16: bits = *value.as_u16(); return true;
    case Value::Kind::S16: bits = widen(*value.as_s16()); return true;
    case Value::Kind::U32: bits = *value.as_u32(); return true;
    case Value::Kind::S32: bits = widen(*value.as_s32()); return true;
    case Value::Kind::U64: bits = *value.as_u64(); return true;
    case Value::Kind::S64: bits = widen(*value.as_s64()); return true;
    default: return false;
  }
}

// Writes a core argument of `kind` from a public Value into `raw`: integers
// by bit pattern, an f32 widened for an f64 parameter; the same rules as for
// component values (values::core_from_component). False when `value` is not
// a number of a kind that fits. No Result here: this runs per argument on
// the hot path.
bool raw_from_value(const Value& value, wasmtime::ValKind kind, wasmtime_val_t& raw) {
  std::uint64_t bits = 0;
  switch (kind) {
    case wasmtime::ValKind::I32:
      if (!integer_bits(value, bits)) return false;
      raw.kind = WASMTIME_I32;
      raw.of.i32 = static_cast<std::int32_t>(static_cast<std::uint32_t>(bits));
      return true;
    case wasmtime::ValKind::I64:
      if (!integer_bits(value, bits)) return false;
      raw.kind = WASMTIME_I64;
      raw.of.i64 = static_cast<std::int64_t>(bits);
      return true;
    case wasmtime::ValKind::F32:
      if (value.kind() != Value::Kind::F32) return false;
      raw.kind = WASMTIME_F32;
      raw.of.f32 = *value.as_f32();
      return true;
    case wasmtime::ValKind::F64:
      if (value.kind() == Value::Kind::F64) {
        raw.kind = WASMTIME_F64;
        raw.of.f64 = *value.as_f64();
        return true;
      }
      if (value.kind() == Value::Kind::F32) {
        raw.kind = WASMTIME_F64;
        raw.of.f64 = static_cast<double>(*value.as_f32());
        return true;
      }
      return false;
    default:
      return false;
  }
}

Error not_numbers_error() {
  return Error(ErrorCode::Unimplemented,
               "only numbers (i32, i64, f32, f64) cross between a core module and a component");
}

// Appends a result as a public Value (i32 -> s32, i64 -> s64); false for
// kinds that do not cross.
bool append_value(const wasmtime_val_t& raw, std::vector<Value>& out) {
  switch (raw.kind) {
    case WASMTIME_I32: out.push_back(Value::s32(raw.of.i32)); return true;
    case WASMTIME_I64: out.push_back(Value::s64(raw.of.i64)); return true;
    case WASMTIME_F32: out.push_back(Value::f32(raw.of.f32)); return true;
    case WASMTIME_F64: out.push_back(Value::f64(raw.of.f64)); return true;
    default: return false;
  }
}

// Whether a result holds a rooted reference that its receiver must unroot
// (numbers, v128 and funcref do not).
bool is_reference(const wasmtime_val_t& raw) {
  return raw.kind != WASMTIME_I32 && raw.kind != WASMTIME_I64 && raw.kind != WASMTIME_F32 &&
         raw.kind != WASMTIME_F64 && raw.kind != WASMTIME_V128 && raw.kind != WASMTIME_FUNCREF;
}

class CoreInstance final : public LiveInstance::Impl {
 public:
  CoreInstance(std::shared_ptr<const internal::ProgramData> program, wasmtime::Store store,
               std::shared_ptr<LinkState> links, std::optional<ModuleId> module)
      : program_(std::move(program)),
        store_(std::move(store)),
        context_(store_.context().capi()),
        links_(std::move(links)),
        module_(std::move(module)) {}

  // Instantiation can run the module's start function, so it can exit or
  // trap too.
  // From a template made once (instance_template.h).
  Result<void> instantiate(const wasmtime_instance_pre_t* pre) {
    wasmtime_instance_t raw{};
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* failed = wasmtime_instance_pre_instantiate(pre, context_, &raw, &trap);
    if (failed == nullptr && trap == nullptr) {
      instance_ = wasmtime::Instance(raw);
      return ok();
    }
    if (failed != nullptr) return failure(wasmtime::TrapError(wasmtime::Error(failed)));
    return failure(wasmtime::TrapError(wasmtime::Trap(trap)));
  }

  Result<void> instantiate(engine::Engine& engine) {
    // A module importing other modules gets a linker of its own; the rest
    // share the engine's WASI linker, built once.
    std::optional<wasmtime::Linker> own;
    wasmtime::Linker* linker = &engine.wasi_core_linker();
    if (links_ && program_->imports_modules) {
      own.emplace(engine.wasmtime_engine());
      auto wasi = own->define_wasi();
      if (!wasi) return engine::to_error(wasi.err(), ErrorCode::Internal, "linking WASI");
      ORIVON_RETURN_IF_ERROR(engine.define_core_host(*own));
      ORIVON_RETURN_IF_ERROR(links_->link_core_imports(*own, *program_->module, *module_));
      linker = &*own;
    }
    auto instance = linker->instantiate(store_, *program_->module);
    if (instance) {
      instance_ = instance.ok();
      return ok();
    }
    return failure(std::move(instance.err()));
  }

  // An instantiation that did not give an instance: the guest exited or
  // trapped in its start function, the pool is full (busy), or linking failed.
  Result<void> failure(wasmtime::TrapError failed) {
    if (auto* error = std::get_if<wasmtime::Error>(&failed.data)) {
      if (auto busy = pool_refusal(*error)) return *std::move(busy);
    }
    if (const auto* error = std::get_if<wasmtime::Error>(&failed.data); error && !error->i32_exit()) {
      // Link errors (an import nobody provides) are the program's problem.
      return engine::to_error(*error, ErrorCode::InvalidArgument,
                              "instantiating '" + program_->name + "'");
    }
    auto classified = engine::classify_failure(failed);
    if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
      exit_code = exited->code;
      return ok();
    }
    return std::get<Error>(std::move(classified));
  }

  Result<std::size_t> lookup(std::string_view name) override {
    if (auto found = by_name_.find(name); found != by_name_.end()) return found->second;
    if (!instance_) {
      if (exit_code) return exited_error();
      return Error(ErrorCode::FailedPrecondition, "'" + program_->name + "' has no instance");
    }
    auto item = instance_->get(store_, name);
    if (!item) {
      return Error(ErrorCode::NotFound,
                   "'" + program_->name + "' has no export named '" + std::string(name) + "'");
    }
    auto* func = std::get_if<wasmtime::Func>(&*item);
    if (!func) {
      return Error(ErrorCode::InvalidArgument, "export '" + std::string(name) + "' of '" +
                                                   program_->name + "' is not a function");
    }
    const std::size_t index = functions_.size();
    functions_.push_back(
        std::make_unique<CoreFunction>(describe(store_, std::string(name), *func)));
    by_name_.emplace(functions_.back()->name, index);
    return index;
  }

  // The typed fast path: arguments go straight into the C API's values, and
  // the call reuses this instance's scratch arrays.
  // Numbers cross by kind whatever the match: a core function has no other
  // parameters.
  Result<void> call(std::size_t index, std::span<const Value> args, std::vector<Value>& results,
                    LiveInstance::Match) override {
    results.clear();  // keeps its capacity
    const CoreFunction& function = *functions_[index];
    if (exit_code) return exited_error();
    if (function.params.size() != args.size()) return count_error(function, args.size());
    if (raw_args_.size() < args.size()) raw_args_.resize(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (!raw_from_value(args[i], function.params[i], raw_args_[i])) [[unlikely]] {
        return argument_error(function);
      }
    }
    ORIVON_RETURN_IF_ERROR(call_raw(function, args.size()));
    if (exit_code) return exited_error();
    bool converted = true;
    for (std::size_t i = 0; i < function.result_count; ++i) {
      if (converted) converted = append_value(raw_results_[i], results);
      if (is_reference(raw_results_[i])) wasmtime_val_unroot(&raw_results_[i]);  // ours
    }
    if (converted) [[likely]] return ok();
    results.clear();
    return not_numbers_error();
  }

  Result<void> call_raw(std::string_view name, const LiveInstance::RawArguments&,
                        const LiveInstance::RawResults&) override {
    return Error(ErrorCode::Unimplemented,
                 "'" + std::string(name) + "': a core module has no component exports");
  }

  Result<RunOutcome> run_command() override {
    if (exit_code) return RunOutcome{*exit_code};
    auto start = instance_->get(store_, "_start");
    if (!start || !std::holds_alternative<wasmtime::Func>(*start)) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + program_->name +
                       "' is not a command (no _start export); call one of its exports with --invoke");
    }
    std::vector<wasmtime::Val> results;
    ORIVON_RETURN_IF_ERROR(call(std::get<wasmtime::Func>(*start), {}, results));
    return RunOutcome{exit_code.value_or(0)};
  }

  bool has_function(std::string_view name) override {
    if (!instance_) return false;
    auto item = instance_->get(store_, name);
    return item && std::holds_alternative<wasmtime::Func>(*item);
  }

  std::uint64_t memory_bytes() override {
    if (!instance_) return 0;
    std::uint64_t total = 0;
    for (std::size_t i = 0;; ++i) {
      auto item = instance_->get(store_, i);
      if (!item) break;
      if (auto* memory = std::get_if<wasmtime::Memory>(&item->second)) {
        total += memory->size(store_) * memory->page_size(store_);
      }
    }
    return total;
  }

 private:
  // A reactor initialises itself (constructors, libc) before any export
  // runs, once.
  Result<void> initialize() {
    if (initialized_) return ok();
    initialized_ = true;
    if (auto init = instance_->get(store_, "_initialize");
        init && std::holds_alternative<wasmtime::Func>(*init)) {
      std::vector<wasmtime::Val> results;
      return call(std::get<wasmtime::Func>(*init), {}, results);
    }
    return ok();
  }

  Error exited_error() const {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::GuestExited,
                 "'" + program_->name + "' exited with status " + std::to_string(*exit_code));
  }

  [[gnu::noinline]] Error argument_error(const CoreFunction& function) const {
    return Error::wrap("calling '" + function.name + "'", not_a_number_error());
  }

  [[gnu::noinline]] Error count_error(const CoreFunction& function, std::size_t count) const {
    return Error(ErrorCode::InvalidArgument,
                 "'" + function.name + "' of '" + program_->name + "' takes " +
                     std::to_string(function.params.size()) + " arguments, not " +
                     std::to_string(count));
  }

  // Runs the reactor's initialisation if due, then calls `function` with the
  // first `arg_count` of raw_args_ through the C API, its results landing in
  // the first function.result_count of raw_results_ (owned by the caller,
  // who unroots them). No vectors are built and no type is read: the C++
  // API's Func::call would do both on every call. Only a normal return
  // writes results; on a guest exit sets exit_code.
  Result<void> call_raw(const CoreFunction& function, std::size_t arg_count) {
    if (!initialized_) [[unlikely]] {
      ORIVON_RETURN_IF_ERROR(initialize());
      if (exit_code) return ok();
    }
    if (raw_results_.size() < function.result_count) raw_results_.resize(function.result_count);
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* error = wasmtime_func_call(context_, &function.func.capi(),
                                                 raw_args_.data(), arg_count, raw_results_.data(),
                                                 function.result_count, &trap);
    if (error == nullptr && trap == nullptr) [[likely]] return ok();
    return call_failed(error, trap);
  }

  // A failed call_raw: a guest exit sets exit_code, anything else is the
  // error. Out of line: the normal return is the hot path.
  [[gnu::noinline]] Result<void> call_failed(wasmtime_error_t* error, wasm_trap_t* trap) {
    auto classified = engine::classify_failure(
        error != nullptr ? wasmtime::TrapError(wasmtime::Error(error))
                         : wasmtime::TrapError(wasmtime::Trap(trap)));
    if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
      exit_code = exited->code;
      return ok();
    }
    return std::get<Error>(std::move(classified));
  }

  // Calls `func`; on a normal return fills `results`, on a guest exit sets
  // exit_code, otherwise returns the error.
  Result<void> call(wasmtime::Func func, const std::vector<wasmtime::Val>& args,
                    std::vector<wasmtime::Val>& results) {
    auto returned = func.call(store_, args);
    if (returned) {
      results = std::move(returned.ok());
      return ok();
    }
    auto classified = engine::classify_failure(returned.err());
    if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
      exit_code = exited->code;
      return ok();
    }
    return std::get<Error>(std::move(classified));
  }

  std::shared_ptr<const internal::ProgramData> program_;
  wasmtime::Store store_;
  // store_'s context, fetched once (the C++ API asks the C API on every
  // context()): it lives as long as the store, which does not move.
  wasmtime_context_t* context_;
  std::shared_ptr<LinkState> links_;  // null: imports of other modules are not linked
  std::optional<ModuleId> module_;
  std::optional<wasmtime::Instance> instance_;
  bool initialized_ = false;
  // Function exports resolved so far, by name. Each on the heap: lookup()
  // appends while entries and their names stay where they are.
  std::vector<std::unique_ptr<CoreFunction>> functions_;
  std::map<std::string_view, std::size_t, std::less<>> by_name_;  // views of functions_[i]->name
  // Scratch values of the call in progress, reused so that a call allocates
  // nothing. A store runs one call at a time and calls back into the same
  // instance are refused as cycles (Supervisor::acquire), so no two calls
  // share them.
  std::vector<wasmtime_val_t> raw_args_;
  std::vector<wasmtime_val_t> raw_results_;
};

}  // namespace

Result<std::unique_ptr<LiveInstance::Impl>> create_core_instance(
    engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
    wasmtime::Store store, std::shared_ptr<LinkState> links, const std::optional<ModuleId>& module,
    const wasmtime_instance_pre_t* pre) {
  auto instance =
      std::make_unique<CoreInstance>(std::move(program), std::move(store), std::move(links), module);
  ORIVON_RETURN_IF_ERROR(pre != nullptr ? instance->instantiate(pre) : instance->instantiate(engine));
  return std::unique_ptr<LiveInstance::Impl>(std::move(instance));
}

}  // namespace orivon::instance
