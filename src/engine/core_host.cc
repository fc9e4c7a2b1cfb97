// The guest side of orivon:net and orivon:lifecycle for core modules:
// arguments unpacked and checked here, the work done by wasi::TcpTable.

#include "engine/core_host.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "engine/guest_memory.h"
#include "engine/host_interface.h"
#include "wasi/tcp_table.h"

namespace orivon::engine {
namespace {

using wasi::NetErrno;
using wasi::negated;

constexpr std::string_view kNet = "orivon:net";
constexpr std::string_view kLifecycle = "orivon:lifecycle";

// Identifies the TcpTable in each store's StoreContext.
const int kTcpTableKey = 0;

// The store's sockets, made on first use from the network its guest was
// granted; null for a store made without a context.
wasi::TcpTable* tcp_table(wasmtime::Caller& caller) {
  StoreContext* context = store_context(caller.context());
  if (context == nullptr) return nullptr;
  return &context->state<wasi::TcpTable>(&kTcpTableKey, [context] {
    return std::make_shared<wasi::TcpTable>(context->network(), context->net_rules());
  });
}

// Runs `body` with the store's table and the caller's memory; the boundary
// never unwinds into Wasmtime.
template <typename F>
std::int32_t with_table(wasmtime::Caller& caller, F&& body) noexcept {
  try {
    wasi::TcpTable* table = tcp_table(caller);
    if (table == nullptr) return negated(NetErrno::Access);
    auto memory = GuestMemory::of(caller);
    return body(*table, memory);
  } catch (...) {
    return negated(NetErrno::Io);
  }
}

std::uint32_t u32(std::int32_t value) { return static_cast<std::uint32_t>(value); }

std::optional<std::string_view> guest_text(const std::optional<GuestMemory>& memory,
                                           std::int32_t pointer, std::int32_t length) {
  if (!memory) return std::nullopt;
  auto bytes = memory->range(u32(pointer), u32(length));
  if (!bytes) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

// The part of [pointer, pointer + length) one transfer may use: cut to the
// transfer limit first, so a huge length asks nothing beyond it.
std::optional<std::span<std::byte>> guest_buffer(const std::optional<GuestMemory>& memory,
                                                 std::int32_t pointer, std::int32_t length) {
  if (!memory) return std::nullopt;
  const std::uint32_t cut =
      std::min<std::uint32_t>(u32(length), static_cast<std::uint32_t>(limits::kMaxNetTransferBytes));
  return memory->range(u32(pointer), cut);
}

}  // namespace

Result<void> define_core_host(wasmtime::Linker& linker) {
  auto check = [](auto defined, std::string_view name) -> Result<void> {
    if (!defined) {
      return Error(ErrorCode::Internal,
                   "defining " + std::string(name) + ": " + defined.err().message());
    }
    return ok();
  };
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kNet, "connect",
                       [](wasmtime::Caller caller, std::int32_t pointer,
                          std::int32_t length) -> std::int32_t {
                         return with_table(caller, [&](wasi::TcpTable& table, const auto& memory) {
                           if (u32(length) > limits::kMaxNetAddressBytes) {
                             return negated(NetErrno::NameTooLong);
                           }
                           auto text = guest_text(memory, pointer, length);
                           if (!text) return negated(NetErrno::Fault);
                           return table.connect(*text);
                         });
                       }),
      "orivon:net connect"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kNet, "listen",
                       [](wasmtime::Caller caller, std::int32_t pointer,
                          std::int32_t length) -> std::int32_t {
                         return with_table(caller, [&](wasi::TcpTable& table, const auto& memory) {
                           if (u32(length) > limits::kMaxNetAddressBytes) {
                             return negated(NetErrno::NameTooLong);
                           }
                           auto text = guest_text(memory, pointer, length);
                           if (!text) return negated(NetErrno::Fault);
                           return table.listen(*text);
                         });
                       }),
      "orivon:net listen"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kNet, "accept",
                       [](wasmtime::Caller caller, std::int32_t handle) -> std::int32_t {
                         return with_table(caller, [&](wasi::TcpTable& table, const auto&) {
                           return table.accept(handle);
                         });
                       }),
      "orivon:net accept"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kNet, "send",
                       [](wasmtime::Caller caller, std::int32_t handle, std::int32_t pointer,
                          std::int32_t length) -> std::int32_t {
                         return with_table(caller, [&](wasi::TcpTable& table, const auto& memory) {
                           auto bytes = guest_buffer(memory, pointer, length);
                           if (!bytes) return negated(NetErrno::Fault);
                           return table.send(handle, *bytes);
                         });
                       }),
      "orivon:net send"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kNet, "recv",
                       [](wasmtime::Caller caller, std::int32_t handle, std::int32_t pointer,
                          std::int32_t length) -> std::int32_t {
                         return with_table(caller, [&](wasi::TcpTable& table, const auto& memory) {
                           auto bytes = guest_buffer(memory, pointer, length);
                           if (!bytes) return negated(NetErrno::Fault);
                           return table.recv(handle, *bytes);
                         });
                       }),
      "orivon:net recv"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kNet, "close",
                       [](wasmtime::Caller caller, std::int32_t handle) -> std::int32_t {
                         return with_table(caller, [&](wasi::TcpTable& table, const auto&) {
                           return table.close(handle);
                         });
                       }),
      "orivon:net close"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kNet, "local_port",
                       [](wasmtime::Caller caller, std::int32_t handle) -> std::int32_t {
                         return with_table(caller, [&](wasi::TcpTable& table, const auto&) {
                           return table.local_port(handle);
                         });
                       }),
      "orivon:net local_port"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(
          kNet, "poll",
          [](wasmtime::Caller caller, std::int32_t pointer, std::int32_t count,
             std::int32_t timeout_ms) -> std::int32_t {
            return with_table(caller, [&](wasi::TcpTable& table, const auto& memory) {
              if (count < 0 || static_cast<std::size_t>(count) > limits::kMaxNetHandles) {
                return negated(NetErrno::Invalid);
              }
              constexpr std::uint32_t kEntryBytes = 8;
              if (!memory) return negated(NetErrno::Fault);
              auto bytes = memory->range(u32(pointer), u32(count) * kEntryBytes);
              if (!bytes) return negated(NetErrno::Fault);
              // Copied out and back: the guest's bytes need not be aligned.
              std::vector<wasi::PollEntry> entries(static_cast<std::size_t>(count));
              for (std::size_t i = 0; i < entries.size(); ++i) {
                const std::byte* at = bytes->data() + i * kEntryBytes;
                std::memcpy(&entries[i].handle, at, 4);
                std::memcpy(&entries[i].interest, at + 4, 2);
              }
              StoreContext* context = store_context(caller.context());
              const auto stop = [context] { return context != nullptr && context->stop_requested(); };
              const std::int32_t ready =
                  table.poll(entries, std::chrono::milliseconds(timeout_ms), stop);
              if (ready < 0) return ready;
              // The memory cannot have moved: no guest code ran meanwhile.
              for (std::size_t i = 0; i < entries.size(); ++i) {
                std::memcpy(bytes->data() + i * kEntryBytes + 6, &entries[i].ready, 2);
              }
              return ready;
            });
          }),
      "orivon:net poll"));
  ORIVON_RETURN_IF_ERROR(check(
      linker.func_wrap(kLifecycle, "stop_requested",
                       [](wasmtime::Caller caller) -> std::int32_t {
                         StoreContext* context = store_context(caller.context());
                         return context != nullptr && context->stop_requested() ? 1 : 0;
                       }),
      "orivon:lifecycle stop_requested"));
  return ok();
}

}  // namespace orivon::engine
