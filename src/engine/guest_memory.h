#pragma once

// GuestMemory: the calling core module's linear memory (its export
// "memory"), as a host function sees it, with every guest pointer checked
// before it is touched. A view valid for the host function's call only: the
// guest's memory may move when it grows, which cannot happen while the host
// function runs.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <wasmtime.hh>

namespace orivon::engine {

class GuestMemory {
 public:
  // The caller's exported "memory"; nullopt when it exports none.
  static std::optional<GuestMemory> of(wasmtime::Caller& caller) {
    auto item = caller.get_export("memory");
    if (!item) return std::nullopt;
    auto* memory = std::get_if<wasmtime::Memory>(&*item);
    if (memory == nullptr) return std::nullopt;
    auto data = memory->data(caller.context());
    return GuestMemory(std::span<std::byte>(reinterpret_cast<std::byte*>(data.data()),
                                            data.size()));
  }

  // The guest's bytes [offset, offset + length), or nullopt when any of them
  // lies outside its memory. Overflow-proof: offset and length are 32-bit
  // guest values, compared without adding them.
  std::optional<std::span<std::byte>> range(std::uint32_t offset, std::uint32_t length) const {
    if (offset > bytes_.size() || length > bytes_.size() - offset) return std::nullopt;
    return bytes_.subspan(offset, length);
  }

 private:
  explicit GuestMemory(std::span<std::byte> bytes) : bytes_(bytes) {}
  std::span<std::byte> bytes_;
};

}  // namespace orivon::engine
