#include "instance/import_linking.h"

#include <atomic>
#include <chrono>

#include "core/limits.h"
#include "core/strings.h"
#include "engine/error_conversion.h"
#include "engine/typed_calls.h"
#include "values/core_values.h"
#include "values/numeric_bridge.h"
#include "values/value_conversion.h"

namespace orivon::instance {
namespace {

namespace wc = wasmtime::component;

// The text a failed call hands to the calling guest: the error with its
// causes, on one line (Wasmtime shows a trap's message line by line, and the
// last line is read as the root cause), bounded per hop (a hostile callee
// must not push megabytes up a chain of callers).
std::string failure_text(const Error& error) {
  std::string text = error.to_string();
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return elide_middle(text, limits::kMaxFailureTextBytes);
}

// Whether a function of this type can carry a failed call as `err(text)`.
bool returns_string_error(const wc::FuncType& type) {
  auto result_type = type.result();
  if (!result_type || !result_type->is_result()) return false;
  auto err_type = result_type->result().err();
  return err_type && err_type->is_string();
}

// How a failed call reaches the calling guest. A function declared to
// return `result<_, string>` (or `result<T, string>`) gets `err(message)`:
// the guest can handle a denial or an unavailable target like any other
// error. Any other function cannot carry the error, so the caller traps
// with the message (and, being a service, is restarted by its policy).
wasmtime::Result<std::monostate> deliver_failure(const wc::FuncType& type,
                                                 wasmtime::Span<wc::Val> results,
                                                 const Error& error, bool may_return_err) {
  const std::string message = failure_text(error);
  if (may_return_err && results.size() == 1 && returns_string_error(type)) {
    results[0] = wc::Val(wc::WitResult::err(wc::Val::string(message)));
    return std::monostate{};
  }
  return wasmtime::Error(message);
}

// The export index of "iface#func" (or "func") in `component`.
std::optional<wc::ExportIndex> export_index(const wc::Component& component,
                                            const std::string& name) {
  auto hash = name.find('#');
  if (hash == std::string::npos) return component.export_index(nullptr, name);
  auto outer = component.export_index(nullptr, name.substr(0, hash));
  if (!outer) return std::nullopt;
  return component.export_index(&*outer, name.substr(hash + 1));
}

// The module a route leads to, for messages.
std::string target_name(const Route& route) {
  if (const auto* remote = std::get_if<route::Remote>(&route)) return remote->target;
  if (const auto* library = std::get_if<route::Library>(&route)) return library->target.str();
  if (const auto* denied = std::get_if<route::Denied>(&route)) return denied->provider;
  return {};
}

// ---------------------------------------------------------------------------
// The typed path's caller half (see engine/typed_calls.h).

// What a forwarder's callback needs; owned by the linker's definition (its
// finalizer deletes it).
struct Forwarder {
  std::shared_ptr<LinkState> state;
  std::shared_ptr<ImportSite> site;
  engine::FastShape shape;
  std::size_t max_bytes;
  std::shared_ptr<std::atomic<std::uint64_t>> typed_calls;  // null: not counted
};

void fail(orivon_fast_out_t* out, std::string_view message) {
  orivon_fast_out_fail(out, reinterpret_cast<const std::uint8_t*>(message.data()),
                       message.size());
}

// As deliver_failure: `err(message)` where the import returns
// result<_, string> (and the failure is not its own store's), else a trap.
void fail_call(orivon_fast_out_t* out, const Forwarder& forwarder, const Error& error,
               bool may_return_err) {
  const std::string message = failure_text(error);
  const auto kind = forwarder.shape.result;
  if (may_return_err && engine::is_result(kind)) {
    const orivon_fast_val_t value{static_cast<std::uint8_t>(kind), true,
                                  reinterpret_cast<const std::uint8_t*>(message.data()),
                                  message.size()};
    if (orivon_fast_out_push(out, &value)) return;
  }
  fail(out, message);
}

// The bytes a value of result kind `kind` carries, or an error saying what
// was expected. `scratch` holds a List of U8 values converted to bytes,
// `packed` a List of other numbers.
Result<orivon_fast_val_t> wire_value(engine::FastKind kind, const Value& value,
                                     std::vector<std::uint8_t>& scratch,
                                     std::vector<std::uint64_t>& packed) {
  orivon_fast_val_t wire{static_cast<std::uint8_t>(kind), false, nullptr, 0};
  if (engine::is_number_list(kind)) {
    if (!engine::pack_numbers(kind, value, packed)) {
      return Error(ErrorCode::InvalidArgument, "expected a list of numbers, found " +
                                                   std::string(value_kind_name(value.kind())));
    }
    wire.data = reinterpret_cast<const std::uint8_t*>(packed.data());
    wire.len = value.if_list()->size() * engine::element_size(kind);
    return wire;
  }
  if (engine::is_scalar(kind)) {
    // A core module answers in s32/s64: its bits, as the generic path's
    // coercion takes them.
    auto bits = engine::scalar_bits(kind, value, /*exact=*/false);
    if (!bits) {
      return Error(ErrorCode::InvalidArgument,
                   "expected a number, found " + std::string(value_kind_name(value.kind())));
    }
    wire.len = static_cast<std::size_t>(*bits);
    return wire;
  }
  const Value* payload = &value;
  if (engine::is_option(kind)) {
    if (value.kind() != Value::Kind::Option) {
      return Error(ErrorCode::InvalidArgument,
                   "expected an option, found " + std::string(value_kind_name(value.kind())));
    }
    wire.is_err = value.is_none();  // lib.rs: an option's is_err says none
    if (wire.is_err) return wire;
    payload = value.payload();
  } else if (engine::is_result(kind)) {
    // result<_, string>'s ok is the only case without a payload.
    const bool unit_ok = kind == engine::FastKind::ResultUnit && value.is_ok();
    if (value.kind() != Value::Kind::Result || (value.payload() == nullptr && !unit_ok)) {
      return Error(ErrorCode::InvalidArgument, "expected a result with a payload, found " +
                                                   std::string(value_kind_name(value.kind())));
    }
    wire.is_err = value.is_err();
    payload = value.payload();
    if (unit_ok) return wire;
    const bool number = kind == engine::FastKind::ResultU32 || kind == engine::FastKind::ResultU64;
    if (number && !wire.is_err) {
      const auto scalar =
          kind == engine::FastKind::ResultU32 ? engine::FastKind::U32 : engine::FastKind::U64;
      auto bits = engine::scalar_bits(scalar, *payload, /*exact=*/false);
      if (!bits) {
        return Error(ErrorCode::InvalidArgument,
                     "expected a number, found " + std::string(value_kind_name(payload->kind())));
      }
      wire.len = static_cast<std::size_t>(*bits);
      return wire;
    }
  }
  const bool bytes =
      !wire.is_err && (kind == engine::FastKind::Bytes || kind == engine::FastKind::ResultBytes ||
                       kind == engine::FastKind::OptionBytes);
  if (bytes) {
    if (const auto* data = payload->if_bytes()) {
      wire.data = data->data();
      wire.len = data->size();
      return wire;
    }
    if (const auto* list = payload->if_list()) {
      scratch.clear();
      for (const Value& element : *list) {
        auto byte = element.as_u8();
        if (!byte) break;
        scratch.push_back(*byte);
      }
      if (scratch.size() == list->size()) {
        wire.data = scratch.data();
        wire.len = scratch.size();
        return wire;
      }
    }
    return Error(ErrorCode::InvalidArgument,
                 "expected a list<u8>, found " + std::string(value_kind_name(payload->kind())));
  }
  if (const std::string* text = payload->if_string()) {
    wire.data = reinterpret_cast<const std::uint8_t*>(text->data());
    wire.len = text->size();
    return wire;
  }
  return Error(ErrorCode::InvalidArgument,
               "expected a string, found " + std::string(value_kind_name(payload->kind())));
}

// The size of one element of a list whose first element is `first`, for the
// per-call limit: a fixed-size number's size, else 1 (a list of strings or
// records counts its elements, as it always has).
std::size_t element_bytes(Value::Kind first) {
  switch (first) {
    case Value::Kind::S16:
    case Value::Kind::U16:
      return 2;
    case Value::Kind::S32:
    case Value::Kind::U32:
    case Value::Kind::F32:
      return 4;
    case Value::Kind::S64:
    case Value::Kind::U64:
    case Value::Kind::F64:
      return 8;
    default:
      return 1;
  }
}

std::size_t wire_bytes(const Value& value) {
  if (const auto* bytes = value.if_bytes()) return bytes->size();
  if (const auto* text = value.if_string()) return text->size();
  if (const auto* list = value.if_list()) {
    return list->empty() ? 0 : list->size() * element_bytes(list->front().kind());
  }
  if (const Value* payload = value.payload()) return wire_bytes(*payload);
  return 0;
}

Error too_large(const ImportSite& site, const char* what, std::size_t size, std::size_t limit) {
  return Error(ErrorCode::ResourceExhausted,
               std::string(what) + " of " + site.function + " ('" + site.caller.str() +
                   "' -> " + target_name(site.route) + ") is " + std::to_string(size) +
                   " bytes, more than the per-call limit of " + std::to_string(limit) +
                   " bytes");
}

// The bytes of strings and lists a Wasmtime value carries at its top level
// (or as a payload): what the per-call limit counts.
std::size_t val_bytes(const wc::Val& value) {
  if (value.is_string()) return value.get_string().size();
  if (value.is_list()) {
    const auto& list = value.get_list();
    if (list.size() == 0) return 0;
    const wc::Val& first = *list.begin();
    std::size_t size = 1;
    if (first.is_s16() || first.is_u16()) size = 2;
    if (first.is_s32() || first.is_u32() || first.is_f32()) size = 4;
    if (first.is_s64() || first.is_u64() || first.is_f64()) size = 8;
    return list.size() * size;
  }
  if (value.is_result()) {
    const wc::Val* payload = value.get_result().payload();
    return payload != nullptr ? val_bytes(*payload) : 0;
  }
  if (value.is_option()) {
    const wc::Val* payload = value.get_option().value();
    return payload != nullptr ? val_bytes(*payload) : 0;
  }
  return 0;
}

void forward_typed(void* data, wasmtime_context_t* context, const orivon_fast_val_t* args,
                   size_t nargs, orivon_fast_out_t* out) noexcept {
  const auto& forwarder = *static_cast<const Forwarder*>(data);
  if (forwarder.typed_calls) forwarder.typed_calls->fetch_add(1, std::memory_order_relaxed);
  try {
    ImportSite& site = *forwarder.site;
    // The arguments point into the caller's memory: copied first, before
    // anything can run in the caller's store.
    std::vector<Value> values;
    values.reserve(nargs);
    for (std::size_t i = 0; i < nargs; ++i) {
      const orivon_fast_val_t& arg = args[i];
      if (!engine::is_scalar(static_cast<engine::FastKind>(arg.kind)) &&
          arg.len > forwarder.max_bytes) {
        forwarder.state->route_of(site);
        return fail_call(out, forwarder,
                         too_large(site, "the argument", arg.len, forwarder.max_bytes),
                         !std::holds_alternative<route::Library>(site.route));
      }
      const auto kind = static_cast<engine::FastKind>(arg.kind);
      if (engine::is_scalar(kind)) {
        values.push_back(engine::scalar_value(kind, arg.len));
      } else if (engine::is_number_list(kind)) {
        values.push_back(engine::unpack_numbers(kind, arg.data, arg.len));
      } else if (kind == engine::FastKind::Bytes) {
        values.push_back(Value::bytes(arg.len == 0 ? std::vector<std::uint8_t>()
                                                   : std::vector<std::uint8_t>(
                                                         arg.data, arg.data + arg.len)));
      } else {
        values.push_back(Value::string(
            arg.len == 0 ? std::string()
                         : std::string(reinterpret_cast<const char*>(arg.data), arg.len)));
      }
    }
    auto returned = forwarder.state->call_values(site, wasmtime::Store::Context(context), values);
    // A library shares the caller's store: its failure is the caller's.
    const bool library = std::holds_alternative<route::Library>(site.route);
    if (!returned) return fail_call(out, forwarder, returned.error(), !library);
    const std::size_t expected = forwarder.shape.result == engine::FastKind::None ? 0 : 1;
    if (returned->size() != expected) {
      return fail_call(out, forwarder,
                       Error(ErrorCode::InvalidArgument,
                             "'" + target_name(site.route) + "' returned " +
                                 std::to_string(returned->size()) + " values for " +
                                 site.function + ", its caller expects " +
                                 std::to_string(expected)),
                       !library);
    }
    std::vector<std::uint8_t> scratch;
    std::vector<std::uint64_t> packed;
    for (const Value& value : *returned) {
      const std::size_t size = wire_bytes(value);
      if (size > forwarder.max_bytes) {
        return fail_call(out, forwarder, too_large(site, "the result", size, forwarder.max_bytes),
                         !library);
      }
      auto wire = wire_value(forwarder.shape.result, value, scratch, packed);
      if (!wire) {
        return fail_call(out, forwarder,
                         Error::wrap("'" + target_name(site.route) + "' returned a value " +
                                         site.function + " cannot carry",
                                     wire.error()),
                         !library);
      }
      if (!orivon_fast_out_push(out, &*wire)) {
        return fail(out, "'" + target_name(site.route) + "' returned a string that is not UTF-8");
      }
    }
  } catch (...) {
    fail(out, "orivon: host-side failure in a call to another module");
  }
}

void delete_forwarder(void* data) noexcept { delete static_cast<Forwarder*>(data); }

// Counts one call into a library when it ends, for the library's counters
// (Links::record_library_call): the call ran in the caller's store.
class LibraryCallCount {
 public:
  LibraryCallCount(Links& links, const ModuleId& library)
      : links_(links), library_(library), began_(std::chrono::steady_clock::now()) {}
  ~LibraryCallCount() {
    try {
      links_.record_library_call(library_,
                                 std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - began_),
                                 trapped_);
    } catch (...) {
      // Out of memory: the call goes uncounted.
    }
  }
  LibraryCallCount(const LibraryCallCount&) = delete;
  LibraryCallCount& operator=(const LibraryCallCount&) = delete;
  void set_trapped() { trapped_ = true; }

 private:
  Links& links_;
  const ModuleId& library_;  // the route's, which outlives this call
  const std::chrono::steady_clock::time_point began_;
  bool trapped_ = false;
};

}  // namespace

std::vector<ImportedFunction> imported_functions(engine::Engine& engine,
                                                 const internal::ProgramData& program) {
  std::vector<ImportedFunction> found;
  if (program.component) {
    wasmtime::Engine& wasm_engine = engine.wasmtime_engine();
    auto type = program.component->type();
    for (std::size_t i = 0; i < type.import_count(wasm_engine); ++i) {
      auto item = type.import_nth(wasm_engine, i);
      if (!item || !item->second.is_component_instance()) continue;
      const std::string interface(item->first);
      if (engine::is_host_namespace(interface)) continue;
      const auto& instance_type = item->second.component_instance();
      for (std::size_t j = 0; j < instance_type.export_count(wasm_engine); ++j) {
        auto inner = instance_type.export_nth(wasm_engine, j);
        if (!inner || !inner->second.is_component_func()) continue;
        found.push_back(ImportedFunction{interface, std::string(inner->first),
                                         returns_string_error(inner->second.component_func())});
      }
    }
    return found;
  }
  if (!program.module) return found;
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(program.module->capi(), &imports);
  for (std::size_t i = 0; i < imports.size; ++i) {
    const wasm_importtype_t* import = imports.data[i];
    const wasm_name_t* module_name = wasm_importtype_module(import);
    const wasm_name_t* field_name = wasm_importtype_name(import);
    std::string import_module(module_name->data, module_name->size);
    if (!ModuleId::parse(import_module)) continue;  // WASI, or another convention
    if (wasm_externtype_as_functype_const(wasm_importtype_type(import)) == nullptr) continue;
    found.push_back(ImportedFunction{std::move(import_module),
                                     std::string(field_name->data, field_name->size), false});
  }
  wasm_importtype_vec_delete(&imports);
  return found;
}

Result<bool> LinkState::add_typed_forwarder(wc::LinkerInstance& instance, const std::string& name,
                                            const wc::FuncType& type,
                                            std::shared_ptr<ImportSite> site) {
  if (!engine_.typed_calls()) return false;
  auto shape = engine::fast_shape(type);
  if (!shape) return false;
  auto counter = links_.typed_call_counter(site->caller);
  auto forwarder = std::make_unique<Forwarder>(Forwarder{
      shared_from_this(), std::move(site), *shape, engine_.max_call_bytes(), std::move(counter)});
  wasmtime_error_t* error = orivon_component_linker_instance_add_forwarder(
      instance.capi(), name.data(), name.size(), static_cast<std::uint8_t>(shape->param),
      static_cast<std::uint8_t>(shape->result), SIZE_MAX, forward_typed, forwarder.get(),
      delete_forwarder);
  if (error != nullptr) {
    // Rust ran the finalizer when it dropped the data it was handed.
    (void)forwarder.release();
    return engine::to_error(wasmtime::Error(error), ErrorCode::Internal,
                            "linking '" + name + "' (typed)");
  }
  (void)forwarder.release();
  return true;
}

Result<void> LinkState::link_component_imports(wc::Linker& linker, const wc::Component& component,
                                               const ModuleId& module) {
  wasmtime::Engine& engine = engine_.wasmtime_engine();
  auto type = component.type();
  auto root = linker.root();
  for (std::size_t i = 0; i < type.import_count(engine); ++i) {
    auto item = type.import_nth(engine, i);
    if (!item || !item->second.is_component_instance()) continue;
    const std::string interface(item->first);
    if (engine::is_host_namespace(interface)) continue;
    const auto& instance_type = item->second.component_instance();
    auto added = root.add_instance(interface);
    if (!added) {
      return engine::to_error(added.err(), ErrorCode::Internal, "linking '" + interface + "'");
    }
    wc::LinkerInstance instance = added.ok();
    for (std::size_t j = 0; j < instance_type.export_count(engine); ++j) {
      auto inner = instance_type.export_nth(engine, j);
      if (!inner || !inner->second.is_component_func()) continue;
      auto site = std::make_shared<ImportSite>(
          ImportSite{module, interface, std::string(inner->first), 0, Route{},
                     inner->second.component_func().result()});
      ORIVON_TRY(const bool typed, add_typed_forwarder(instance, site->function,
                                                       inner->second.component_func(), site));
      if (typed) continue;
      auto defined = instance.add_func(
          inner->first,
          [state = shared_from_this(), site](wasmtime::Store::Context store,
                                             const wc::FuncType& func_type,
                                             wasmtime::Span<wc::Val> args,
                                             wasmtime::Span<wc::Val> results)
              -> wasmtime::Result<std::monostate> {
            try {
              // The per-call limit on values, as on the typed path.
              const std::size_t limit = state->max_call_bytes();
              for (const auto& arg : args) {
                const std::size_t size = val_bytes(arg);
                if (size > limit) {
                  const Route& route = state->route_of(*site);
                  return deliver_failure(func_type, results,
                                         too_large(*site, "the argument", size, limit),
                                         !std::holds_alternative<route::Library>(route));
                }
              }
              auto returned = state->call_component(*site, store, std::span<const wc::Val>(args));
              // A library shares the caller's store: its failure is the caller's.
              const bool library = std::holds_alternative<route::Library>(site->route);
              if (!returned) return deliver_failure(func_type, results, returned.error(), !library);
              if (returned->size() != results.size()) {
                return deliver_failure(
                    func_type, results,
                    Error(ErrorCode::InvalidArgument,
                          "'" + target_name(site->route) + "' returned " +
                              std::to_string(returned->size()) + " values for " + site->function +
                              ", its caller expects " + std::to_string(results.size())),
                    !library);
              }
              for (std::size_t k = 0; k < results.size(); ++k) {
                wc::Val& value = (*returned)[k];
                // Numbers from a core module take the kind the caller declared.
                if (site->result_type && (value.is_s32() || value.is_s64() || value.is_f32())) {
                  results[k] = values::coerce_number(value, *site->result_type);
                  continue;
                }
                results[k] = std::move(value);
              }
              return std::monostate{};
            } catch (...) {
              return wasmtime::Error("orivon: host-side failure in a call to another module");
            }
          });
      if (!defined) {
        return engine::to_error(defined.err(), ErrorCode::Internal,
                                "linking '" + interface + "#" + site->function + "'");
      }
    }
  }
  return ok();
}

Result<void> LinkState::link_core_imports(wasmtime::Linker& linker, const wasmtime::Module& module,
                                          const ModuleId& caller) {
  // Through the C API: the C++ API's ValType::Ref does not expose its kind.
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(module.capi(), &imports);
  struct Free {
    wasm_importtype_vec_t& vec;
    ~Free() { wasm_importtype_vec_delete(&vec); }
  } free_imports{imports};
  for (std::size_t i = 0; i < imports.size; ++i) {
    const wasm_importtype_t* import = imports.data[i];
    const wasm_name_t* module_name = wasm_importtype_module(import);
    const wasm_name_t* field_name = wasm_importtype_name(import);
    const std::string import_module(module_name->data, module_name->size);
    const std::string import_name(field_name->data, field_name->size);
    if (!ModuleId::parse(import_module)) continue;  // WASI, or another convention
    const wasm_functype_t* c_type = wasm_externtype_as_functype_const(wasm_importtype_type(import));
    if (c_type == nullptr) continue;
    std::vector<wasmtime::ValKind> result_kinds;
    const wasm_valtype_vec_t* c_results = wasm_functype_results(c_type);
    for (std::size_t k = 0; k < c_results->size; ++k) {
      result_kinds.push_back(values::core_value_kind(c_results->data[k]));
    }
    wasmtime::FuncType func_type{wasmtime::FuncType::Ref(c_type)};
    auto site = std::make_shared<ImportSite>(
        ImportSite{caller, import_module, import_name, 0, Route{}, std::nullopt});
    auto defined = linker.func_new(
        import_module, import_name, func_type,
        [state = shared_from_this(), site, result_kinds](
            wasmtime::Caller, wasmtime::Span<const wasmtime::Val> args,
            wasmtime::Span<wasmtime::Val> results) -> wasmtime::Result<std::monostate, wasmtime::Trap> {
          try {
            std::vector<Value> values;
            values.reserve(args.size());
            for (const auto& arg : args) {
              auto value = values::value_from_core(arg);
              if (!value) return wasmtime::Trap(value.error().message());
              values.push_back(std::move(*value));
            }
            auto returned = state->call_core(*site, values);
            if (!returned) return wasmtime::Trap(failure_text(returned.error()));
            if (returned->size() != results.size()) {
              return wasmtime::Trap("'" + target_name(site->route) + "' returned " +
                                    std::to_string(returned->size()) + " values for " +
                                    site->function + ", its caller expects " +
                                    std::to_string(results.size()));
            }
            for (std::size_t k = 0; k < results.size(); ++k) {
              auto value = values::core_from_component(
                  values::to_wasmtime_unchecked((*returned)[k]), result_kinds[k]);
              if (!value) return wasmtime::Trap(value.error().message());
              results[k] = std::move(*value);
            }
            return std::monostate{};
          } catch (...) {
            return wasmtime::Trap("orivon: host-side failure in a call to another module");
          }
        });
    if (!defined) {
      return engine::to_error(defined.err(), ErrorCode::Internal,
                              "linking '" + site->import + "::" + site->function + "'");
    }
  }
  return ok();
}

const Route& LinkState::route_of(ImportSite& site) {
  const std::uint64_t version = links_.version();
  if (site.version != version) {
    site.route = links_.resolve(site.caller, site.import, site.function);
    site.version = version;
  }
  return site.route;
}

Result<std::vector<wc::Val>> LinkState::call_component(ImportSite& site,
                                                       wasmtime::Store::Context store,
                                                       std::span<const wc::Val> args) {
  const Route& route = route_of(site);
  if (const auto* remote = std::get_if<route::Remote>(&route)) {
    std::vector<Value> passed;
    passed.reserve(args.size());
    for (const auto& arg : args) {
      ORIVON_TRY(auto value, values::from_wasmtime(arg));
      passed.push_back(std::move(value));
    }
    ORIVON_TRY(auto returned, remote->callee->call(remote->function, passed));
    std::vector<wc::Val> results;
    results.reserve(returned.size());
    for (const auto& value : returned) results.push_back(values::to_wasmtime_unchecked(value));
    return results;
  }
  if (const auto* library = std::get_if<route::Library>(&route)) {
    ORIVON_TRY(auto func, library_function(store, *library));
    LibraryCallCount count(links_, library->target);
    std::vector<wc::Val> results;
    if (func.type(store).result()) results.emplace_back(false);
    auto called = func.call(store, args, results);
    if (!called) {
      count.set_trapped();
      return engine::to_error(called.err(), ErrorCode::Trapped,
                              "library '" + library->target.str() + "' " + library->function);
    }
    auto post = func.post_return(store);
    if (!post) return engine::to_error(post.err(), ErrorCode::Trapped, "post-return");
    return results;
  }
  return refusal(site, route);
}

Result<std::vector<Value>> LinkState::call_values(ImportSite& site,
                                                  wasmtime::Store::Context store,
                                                  std::span<const Value> args) {
  const Route& route = route_of(site);
  if (const auto* remote = std::get_if<route::Remote>(&route)) {
    return remote->callee->call(remote->function, args);
  }
  if (const auto* library = std::get_if<route::Library>(&route)) {
    ORIVON_TRY(auto func, library_function(store, *library));
    LibraryCallCount count(links_, library->target);
    const std::string context = "library '" + library->target.str() + "' " + library->function;
    std::vector<Value> results;
    if (auto shape = engine::fast_shape(func.type(store))) {
      if (auto called = engine::call_typed(store, func, *shape, args, results,
                                           engine::StringCheck::AlreadyChecked)) {
        if (!*called) {
          count.set_trapped();
          return engine::to_error(called->err(), ErrorCode::Trapped, context);
        }
        return results;
      }
    }
    // Not of a typed shape: value by value, as another module's call.
    std::vector<wc::Val> passed;
    passed.reserve(args.size());
    for (const Value& arg : args) passed.push_back(values::to_wasmtime_unchecked(arg));
    std::vector<wc::Val> slots;
    if (func.type(store).result()) slots.emplace_back(false);
    auto called = func.call(store, passed, slots);
    if (!called) {
      count.set_trapped();
      return engine::to_error(called.err(), ErrorCode::Trapped, context);
    }
    for (const auto& slot : slots) {
      ORIVON_TRY(auto value, values::from_wasmtime(slot));
      results.push_back(std::move(value));
    }
    return results;
  }
  return refusal(site, route);
}

Result<std::vector<Value>> LinkState::call_core(ImportSite& site, std::span<const Value> args) {
  const Route& route = route_of(site);
  if (const auto* remote = std::get_if<route::Remote>(&route)) {
    return remote->callee->call(remote->function, args);
  }
  if (const auto* library = std::get_if<route::Library>(&route)) {
    return Error(ErrorCode::Unimplemented,
                 "'" + site.caller.str() + "' is a core module; only components can use "
                 "the library '" + library->target.str() + "'");
  }
  return refusal(site, route);
}

Error LinkState::refusal(const ImportSite& site, const Route& route) {
  if (const auto* denied = std::get_if<route::Denied>(&route)) {
    links_.record_denial(site.caller, *denied);
    return Error(ErrorCode::PermissionDenied, denied->message);
  }
  const auto& unavailable = std::get<route::Unavailable>(route);
  links_.record_unavailable(site.caller, unavailable);
  return Error(ErrorCode::Unavailable, unavailable.message);
}

Result<wc::Func> LinkState::library_function(wasmtime::Store::Context store,
                                             const route::Library& route) {
  const ModuleId& id = route.target;
  auto library = libraries_.find(id);
  if (library == libraries_.end()) {
    if (!route.program || !route.program->component) {
      return Error(ErrorCode::Unimplemented,
                   "library '" + id.str() + "' is a core module; libraries must be components");
    }
    if (instantiating_.contains(id)) {
      return Error(ErrorCode::FailedPrecondition,
                   "library '" + id.str() + "' calls itself while it is being instantiated");
    }
    instantiating_.insert(id);
    struct Done {
      std::set<ModuleId>& set;
      const ModuleId& id;
      ~Done() { set.erase(id); }
    } done{instantiating_, id};
    // The library shares the caller's store, so it also shares the caller's
    // WASI context: it never has more OS access than the module using it.
    wc::Linker linker(engine_.wasmtime_engine());
    ORIVON_RETURN_IF_ERROR(engine_.define_host(linker, http_));
    ORIVON_RETURN_IF_ERROR(link_component_imports(linker, *route.program->component, route.target));
    auto instance = linker.instantiate(store, *route.program->component);
    if (!instance) {
      return engine::to_error(instance.err(), ErrorCode::FailedPrecondition,
                              "instantiating library '" + id.str() + "'");
    }
    library = libraries_.emplace(id, Library{instance.ok(), {}}).first;
  }
  auto& functions = library->second.functions;
  auto found = functions.find(route.function);
  if (found != functions.end()) return found->second;
  auto index = export_index(*route.program->component, route.function);
  if (!index) {
    return Error(ErrorCode::NotFound,
                 "library '" + id.str() + "' exports no function '" + route.function + "'");
  }
  auto func = library->second.instance.get_func(store, *index);
  if (!func) {
    return Error(ErrorCode::NotFound,
                 "library '" + id.str() + "' exports no function '" + route.function + "'");
  }
  return functions.emplace(route.function, *func).first->second;
}

}  // namespace orivon::instance
