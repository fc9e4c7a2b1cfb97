#pragma once

/// \file
/// Program: WebAssembly code compiled for one Runtime, either a core module
/// or a component. Compiling is the expensive step; a Program can then be run
/// or called many times.

#include <cstdint>
#include <memory>
#include <string>

#include "orivon/export.h"

namespace orivon {

enum class ProgramKind {
  CoreModule,  ///< a core WebAssembly module (WASI preview1 or plain exports)
  Component,   ///< a component (WASI 0.2 worlds, WIT interfaces)
};

namespace internal {
struct ProgramData;
}

/// A compiled program. Copies share the same immutable compiled code, which
/// is why this holds a shared_ptr. Thread-safe to copy and to use from several
/// threads; only valid with the Runtime that created it.
class ORIVON_API Program {
 public:
  ProgramKind kind() const;
  /// Where the code came from (file path or the name given with the bytes).
  const std::string& name() const;
  /// Size of the binary in bytes.
  std::uint64_t size_bytes() const;

  /// For the runtime's implementation.
  explicit Program(std::shared_ptr<const internal::ProgramData> data) : data_(std::move(data)) {}
  const internal::ProgramData& data() const { return *data_; }
  const std::shared_ptr<const internal::ProgramData>& shared_data() const { return data_; }

 private:
  std::shared_ptr<const internal::ProgramData> data_;
};

}  // namespace orivon
