#pragma once

// wasi:config/store, served by the host: `get(key)` and `get-all()` answer
// from the configuration of the module whose store calls (orivon/config.h).
// One implementation, defined under every version string guests are built
// with: 0.2.0-rc.1 (Wasmtime 48, wasmCloud), 0.2.0-draft (the proposal
// upstream) and 0.2.0-draft-2024-09-27 (Spin); the interface's shape is the
// same in all three.
//
// This file only converts between Wasmtime's component values and C++; what
// a store reads, and when it sees a change, is ConfigReader's
// (config_reader.h).

#include <array>
#include <memory>
#include <string_view>

#include "engine/host_interface.h"
#include "host/config_reader.h"

namespace orivon::host {

// The interface names served.
inline constexpr std::array<std::string_view, 3> kConfigStoreInterfaces = {
    "wasi:config/store@0.2.0-rc.1",
    "wasi:config/store@0.2.0-draft",
    "wasi:config/store@0.2.0-draft-2024-09-27",
};

// Owned (shared) by the engine, which defines it on every component linker.
// Thread-safe: its functions run on many stores' threads at once and keep
// per-store state in each StoreContext.
class ConfigHost final : public engine::HostInterface {
 public:
  // `source` is shared with the runtime, which attaches the registry to it.
  explicit ConfigHost(std::shared_ptr<ConfigSource> source) : source_(std::move(source)) {}

  [[nodiscard]] Result<void> define(wasmtime::component::Linker& linker) override;

 private:
  const std::shared_ptr<ConfigSource> source_;
};

}  // namespace orivon::host
