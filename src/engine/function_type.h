#pragma once

// FunctionType: one function export of a program, its name resolved and its
// types read from the compiled code, with no instance. What an edge that
// reads a call as text (WAVE) needs to parse its arguments, and what a live
// instance resolves an export with, so both name the same function and
// report a bad name in the same words.
//
// Names: a core module's export name; for a component "func" or
// "iface#func", or an unqualified "func" that exactly one exported interface
// has.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "engine/program_data.h"
#include "orivon/result.h"

namespace orivon::engine {

struct FunctionType {
  std::string name;  // qualified: "iface#func" or "func" (components), the export name (core)
  // Components.
  std::vector<wasmtime::component::ValType> params;
  std::optional<wasmtime::component::ValType> result;
  // Core modules.
  std::vector<wasmtime::ValKind> core_params;
  std::size_t core_result_count = 0;
};

// The qualified name of the component function export `name`. NotFound
// ("'P' exports no function 'f'; its functions: ...") for none,
// InvalidArgument for an unqualified name two interfaces have.
Result<std::string> qualify_component_function(const internal::ProgramData& program,
                                               std::string_view name);

// The export `name` of `program` and its types, read once per name when the
// program has a FunctionTypeCache. Errors as for qualify_component_function;
// for a core module NotFound for a missing export, InvalidArgument for one
// that is not a function.
Result<std::shared_ptr<const FunctionType>> function_type(wasmtime::Engine& engine,
                                                          const internal::ProgramData& program,
                                                          std::string_view name);

// The function types read from one program, by the name they were asked
// for. Holds only names that resolved, so at most a few per export.
// Thread-safe: a program is shared by every thread that calls it.
class FunctionTypeCache {
 public:
  std::shared_ptr<const FunctionType> find(std::string_view name) const;
  void add(std::string name, std::shared_ptr<const FunctionType> type);

 private:
  mutable Mutex mutex_;
  std::map<std::string, std::shared_ptr<const FunctionType>, std::less<>> types_
      ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::engine
