#pragma once

// TcpTable: TCP sockets for core modules (the `orivon:net` imports), checked
// against the same host:port rules as wasi:sockets (NetPolicy). WASI
// preview1 has no way to open a socket and Wasmtime's preview1 refuses
// sock_accept, so a core module (Go's GOOS=wasip1, C with wasi-libc) gets
// its network through these functions instead. The guest ABI is in
// src/engine/core_host.cc; this file is the logic, in plain C++.
//
// Every socket is non-blocking: send and recv return Again instead of
// waiting, connect returns a handle at once (completion shows as writable
// in poll), and one poll waits on many handles with a bounded timeout.
//
// What each call needs (as for wasi:sockets, see net_policy.h):
//   connect   a Connect rule matching the remote address and port, checked
//             before any socket exists: a refused connect never reaches the
//             network, the peer sees nothing
//   listen    a Listen rule matching the local address and port
//   accept    nothing more: the listen grant covers its clients
// A host name is resolved only when the rules allow name lookup (a rule
// names a host, or connecting anywhere is allowed); each address it
// resolves to is checked, and the first allowed one is used.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "orivon/wasi_profile.h"
#include "wasi/net_policy.h"

namespace orivon::wasi {

// Errors as WASI preview1 errno values, which the guest receives negated:
// the numbers Go's syscall.Errno and wasi-libc's errno already use.
enum class NetErrno : std::int32_t {
  Access = 2,            // no grant covers the address
  AddressInUse = 3,
  AddressNotAvailable = 4,
  Again = 6,             // would block: try again after poll
  BadHandle = 8,         // not a handle of this guest, or the wrong kind
  ConnectionRefused = 14,
  ConnectionReset = 15,
  Fault = 21,            // a buffer outside the guest's memory (core_host.cc)
  HostUnreachable = 23,
  Invalid = 28,          // a malformed address, a bad count
  Io = 29,               // anything else the system reported
  TooManyHandles = 33,   // limits::kMaxNetHandles reached
  NameTooLong = 37,
  NetworkUnreachable = 40,
  NotConnected = 53,
  BrokenPipe = 64,
  TimedOut = 73,
};

constexpr std::int32_t negated(NetErrno error) { return -static_cast<std::int32_t>(error); }

// Bits of a poll entry's interest and readiness.
inline constexpr std::uint16_t kPollReadable = 1;  // recv or accept would not block
inline constexpr std::uint16_t kPollWritable = 2;  // send would not block; a connect finished
inline constexpr std::uint16_t kPollError = 4;     // failed or closed by the peer (ready only)
inline constexpr std::uint16_t kPollInvalid = 8;   // not a handle of this guest (ready only)

// One entry of a poll, as the guest lays it out: 8 bytes, little-endian.
struct PollEntry {
  std::int32_t handle = 0;
  std::uint16_t interest = 0;
  std::uint16_t ready = 0;
};

// One store's sockets. Owns their descriptors (closed with the table, so
// with the store). Not thread-safe: used by the thread running its store.
class TcpTable {
 public:
  // `network` and `rules` as in the guest's WasiProfile. Rules that do not
  // compile deny everything (they were checked when granted).
  TcpTable(Network network, std::span<const NetRule> rules);
  ~TcpTable();
  TcpTable(const TcpTable&) = delete;
  TcpTable& operator=(const TcpTable&) = delete;

  // Each returns a non-negative result or a negated NetErrno.
  // "HOST:PORT" (an IPv4 address, "[IPv6]" or a name): a handle, the
  // connection in progress.
  std::int32_t connect(std::string_view address);
  // "HOST:PORT" to bind and listen on: a listener handle.
  std::int32_t listen(std::string_view address);
  // A connection waiting on `listener`: its handle; Again when none waits.
  std::int32_t accept(std::int32_t listener);
  // Bytes sent (at most limits::kMaxNetTransferBytes), or Again.
  std::int32_t send(std::int32_t handle, std::span<const std::byte> bytes);
  // Bytes received (at most limits::kMaxNetTransferBytes), 0 at the end of
  // the stream, or Again.
  std::int32_t recv(std::int32_t handle, std::span<std::byte> buffer);
  std::int32_t close(std::int32_t handle);
  // The local port of a handle (a listener bound to port 0 learns its port).
  std::int32_t local_port(std::int32_t handle);
  // Waits until an entry is ready or `timeout` passes (cut to
  // limits::kMaxNetPollWait; negative: that longest wait), in slices,
  // returning early when `stop_requested` says so. Fills each entry's
  // `ready`; returns how many entries are ready. At most
  // limits::kMaxNetHandles entries.
  std::int32_t poll(std::span<PollEntry> entries, std::chrono::milliseconds timeout,
                    const std::function<bool()>& stop_requested);

  // Open handles now.
  std::size_t size() const;

 private:
  struct Socket;
  Socket* find(std::int32_t handle);
  std::int32_t store(std::unique_ptr<Socket> socket);
  bool allows(const IpAddress& address, std::uint16_t port, SocketUse use) const;

  Network network_;
  std::unique_ptr<NetPolicy> policy_;  // Network::Rules only; null denies
  std::vector<std::unique_ptr<Socket>> sockets_;  // by handle; null: free
  std::size_t open_ = 0;
};

}  // namespace orivon::wasi
