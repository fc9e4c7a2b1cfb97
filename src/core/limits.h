#pragma once

// Every default limit orivon applies on its own, in one place, each with its
// reason. Limits a client sets per run are in include/orivon/limits.h.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace orivon::limits {

// How often the engine's epoch advances. Timeouts are enforced at tick
// granularity, so this is the worst-case overshoot of a deadline; 10 ms keeps
// the ticker's own cost negligible (100 wake-ups a second).
inline constexpr std::chrono::milliseconds kEpochTick{10};

// Deadline given to a store with no timeout: far enough to never fire, small
// enough that Wasmtime's current-epoch + delta cannot overflow.
inline constexpr std::uint64_t kNoDeadlineTicks = std::uint64_t{1} << 62;

// Largest binary orivon reads from a file. Larger inputs are refused before
// they are read, so a hostile path (a device, a huge file) cannot exhaust the
// host's memory. Real-world components are well under this.
inline constexpr std::uint64_t kMaxBinaryBytes = std::uint64_t{1} << 30;  // 1 GiB
// Compiled code read back from the cache: machine code runs a few times
// larger than its binary.
inline constexpr std::uint64_t kMaxCompiledCodeBytes = std::uint64_t{4} << 30;  // 4 GiB

// The most bytes of a failure's text handed on per hop of a call between
// modules: the cause a caller's `err` (or its trap) carries, and the crash
// cause a service's log and state show. A hostile callee controls part of
// that text (a trap's backtrace names its functions; a deeper callee's
// error), so without a cap a chain of callers could pass megabytes along.
// Longer text keeps its start and its end (the root cause comes last).
inline constexpr std::size_t kMaxFailureTextBytes = 512;

// Table elements and instances per store when a memory limit is set: generous
// for ordinary programs, bounded so a hostile one cannot grow tables forever.
// The largest per-call limit on strings and lists between modules
// (RuntimeOptions::max_call_bytes) a client may set: a linear memory is at
// most kMemoryReservationBytes, so no guest can hold a larger value, and the
// host copies a value a few times per call.
inline constexpr std::uint64_t kMaxCallBytesCeiling = std::uint64_t{1} << 30;  // 1 GiB

inline constexpr std::int64_t kMaxTableElements = 1'000'000;
inline constexpr std::int64_t kMaxInstances = 10'000;
inline constexpr std::int64_t kMaxTables = 10'000;
inline constexpr std::int64_t kMaxMemories = 10'000;

// Longest a daemon's tick may ask to sleep: a daemon that returns a huge
// delay still wakes up once a minute, so a bad value cannot stall it forever.
inline constexpr std::int64_t kMaxTickDelayMs = 60'000;

// Function modules (a fresh instance per invocation): instances of one
// function at once when its manifest says nothing, the most it may ask for,
// and the most of all functions together. Past a cap an invocation is
// refused with ResourceExhausted (a timer counts it as skipped) rather than
// queued, so a flood of triggers cannot pile up memory or threads.
inline constexpr std::uint64_t kDefaultFunctionInstances = 16;
inline constexpr std::uint64_t kMaxFunctionInstances = 1024;
inline constexpr std::uint64_t kMaxLiveFunctionInstances = 1024;

// Worker threads for services: one per core, at least two, so one busy
// service never holds every worker on a small machine.
inline constexpr std::size_t kMinServiceWorkers = 2;

// Threads that load installed modules' compiled code at a host's start (one
// per core, at most this many): loading is mostly reading files and mapping
// code, so past a few threads the disk and the kernel's mapping lock bound
// it, not the cores.
inline constexpr std::size_t kMaxLoadThreads = 8;

// Service log files kept open between writes, across every service of the
// process (supervisor/log_file_cache.h). One open file per running service
// met the open-files limit (RLIMIT_NOFILE: often 1,024 soft, 20,000 hard on
// the machines measured) long before memory: past it, services lost their
// logs and installing a module failed. 64 keeps the services that log most
// writing without an open() per line while the rest reopen their file when
// they next write.
inline constexpr std::size_t kOpenLogFiles = 64;

// A client's call into a library runs in a fresh instance; without a
// timeout of its own it is stopped after this long.
inline constexpr std::chrono::milliseconds kDefaultLibraryCallTimeout{30'000};

// Longest timeout a call may ask for (a year): a longer one is cut to it, and
// a negative one is treated as zero. The engine counts in nanoseconds, and
// converting an arbitrary millisecond count (a control request's timeout_ms
// is untrusted) would overflow into a deadline in the past.
inline constexpr std::chrono::milliseconds kMaxCallTimeout{365LL * 24 * 3600 * 1000};

inline constexpr std::chrono::milliseconds clamp_call_timeout(std::chrono::milliseconds timeout) {
  if (timeout < std::chrono::milliseconds::zero()) return std::chrono::milliseconds::zero();
  return timeout > kMaxCallTimeout ? kMaxCallTimeout : timeout;
}

// How long a host name in a network rule stays resolved before the next
// check asks the system again: long enough that a busy guest does not
// resolve on every connect, short enough to follow DNS changes. A name that
// does not resolve is asked again after kNetNameMissTtl.
inline constexpr std::chrono::seconds kNetNameCacheTtl{30};
inline constexpr std::chrono::seconds kNetNameMissTtl{5};

// ---- TCP for core modules (orivon:net, src/wasi/tcp_table.h) ----------------

// Sockets (connections and listeners) one store may hold through orivon:net:
// btcd keeps up to 125 peers by default; 256 leaves room for its listeners
// and some churn, and bounds the host's file descriptors per module.
inline constexpr std::size_t kMaxNetHandles = 256;
// Bytes one send or recv moves at most: larger buffers are served in part
// (a short count, as a non-blocking socket may always return), so the host
// never copies more than this per call.
inline constexpr std::size_t kMaxNetTransferBytes = std::size_t{1} << 20;  // 1 MiB
// Longest address text a guest may pass ("[v6-address]:port" fits well).
inline constexpr std::size_t kMaxNetAddressBytes = 255;
// Longest one poll waits, whatever the guest asks: epoch interruption cannot
// reach a guest blocked in a host call, so this bounds how late a stop or a
// deadline takes effect. A guest wanting longer polls again.
inline constexpr std::chrono::milliseconds kMaxNetPollWait{1000};
// A poll waits in slices of this length, checking between them whether the
// service was asked to stop, so a guest blocked in poll sees the request
// soon.
inline constexpr std::chrono::milliseconds kNetPollSlice{50};

// ---- Module configuration (orivon/config.h, wasi:config/store) -------------
// A module's configuration is held in memory whole (one snapshot per module
// whose guest reads it) and copied into the guest on get-all, so every part
// of it is bounded: at most about 256 x (128 + 4 x 8,192) bytes, 8 MiB in the
// worst case, far less in practice.

// Longest key, in characters (ASCII only). Names like `max-peers`; the same
// bound the manifest has always had.
inline constexpr std::size_t kMaxConfigKeyChars = 128;

// Longest value, in characters of UTF-8. Large enough for a PEM certificate
// or a small JSON document; larger data belongs in a file or a key-value
// bucket.
inline constexpr std::size_t kMaxConfigValueChars = 8192;

// Most keys one module's configuration may hold, manifest and client values
// together: a get-all stays small enough to copy into the guest on every
// call that asks.
inline constexpr std::size_t kMaxConfigEntries = 256;

// ---- Engine memory layout (src/engine/engine.cc) ----------------------------
// These decide how many live instances fit in one process. Measured with
// bench/service_bench.cc (density) and the scratch numbers in bench/README.md.

// Virtual address space reserved up front for each linear memory. Wasmtime's
// default (4 GiB, which removes every bounds check) caps a process at about
// 31,000 memories: x86-64 gives user space 128 TiB. 256 MiB plus the guard
// allows about 450,000, matches the default per-service memory limit
// (ServiceSettings, 256 MiB) so a service never moves its memory within its
// limit, and costs an explicit bounds check against a constant. A memory that
// grows past it is moved (copied) into a larger reservation.
inline constexpr std::uint64_t kMemoryReservationBytes = std::uint64_t{256} << 20;

// Inaccessible bytes after each linear memory. Wasmtime's default; it is only
// address space (no memory, no extra mapping), and it lets the compiler fold
// small constant offsets into one bounds check.
inline constexpr std::uint64_t kMemoryGuardBytes = std::uint64_t{32} << 20;

// Extra address space reserved when a memory has to move to grow: Wasmtime's
// default is 2 GiB per moved memory; 64 MiB keeps a service that outgrows its
// reservation from taking 2 GiB of address space while still amortising moves.
inline constexpr std::uint64_t kMemoryReservationForGrowthBytes = std::uint64_t{64} << 20;

// Copy each instance's data segments into its memory instead of mapping the
// module's memory image copy-on-write. Copy-on-write keeps one memfd (an
// open file) per loaded module for the module's lifetime and adds one memory
// mapping per instance: the density sweep stopped at 9,996 live services with
// "cannot create a memfd" (RLIMIT_NOFILE is 20,000 here and often 1,024 by
// default, and an unprivileged process cannot raise it past the hard limit).
// Copying costs a few more resident KiB per instance for a small C reactor
// (12.2 instead of 8.2, measured with raw Wasmtime) and time proportional to
// the data segments at instantiation; a module with megabytes of data would
// pay that per instance, which is the case to revisit (pooling allocator or
// copy-on-write for large images only).
inline constexpr bool kMemoryInitCopyOnWrite = false;

// The function engine (engine/engine.h): Wasmtime's pooling allocator, which
// reserves every slot when the first function is served, so an invocation
// reuses a slot instead of mapping, protecting and unmapping a memory. One
// slot per live function instance the host allows; a component made by the
// usual toolchains (a program, the WASI adapter, wit-component's shims) has
// 3-6 core instances, one or two memories and a few tables, so the limits per
// function are generous multiples. A component past them (or a function
// whose [function] max-memory is above the slot) runs on the on-demand
// engine instead, as before: pooling is a speed-up, never a refusal.
inline constexpr std::uint32_t kFunctionPoolInstances =
    static_cast<std::uint32_t>(kMaxLiveFunctionInstances);
inline constexpr std::uint32_t kFunctionPoolCoreInstancesPerFunction = 16;
inline constexpr std::uint32_t kFunctionPoolMemoriesPerFunction = 2;
inline constexpr std::uint32_t kFunctionPoolTablesPerFunction = 8;
// Elements per table slot: Wasmtime's default, which fits C, C++, Rust and Go
// programs (a C# program in debug mode was seen with 10,000+).
inline constexpr std::uint32_t kFunctionPoolTableElements = 20'000;
// The largest linear memory a pooled function may have: the engine's memory
// reservation, so the compiled code (the same for both engines) and the slot
// agree. A function's own [function] max-memory still caps it below this
// through the store's limiter.
inline constexpr std::uint64_t kFunctionPoolMaxMemoryBytes = kMemoryReservationBytes;
// Bytes of each memory slot kept mapped and zeroed with memset when an
// instance ends, instead of handed back to the kernel: the next instance in
// that slot then takes no page faults for them (`wasmtime serve` leaves this
// at 0, but it maps memory images copy-on-write, which orivon does not: see
// kMemoryInitCopyOnWrite). Measured with bench/instantiate_bench.cc.
inline constexpr std::uint64_t kFunctionPoolKeepResidentBytes = std::uint64_t{1} << 20;
// The same for each table slot (`wasmtime serve`: 0, so every table's pages
// are handed back with madvise and faulted in again by the next instance:
// a system call, a TLB shootdown across the server's threads and a page
// fault per table per request). A table of the usual toolchains is a page
// or two; 64 KiB covers 8,192 entries.
inline constexpr std::uint64_t kFunctionPoolTableKeepResidentBytes = std::uint64_t{64} << 10;

// Component-model concurrency (async) support is off: orivon calls components
// synchronously, and the concurrency machinery costs several times on every
// synchronous call. Only takes effect if the Wasmtime build has the
// component-model-async feature (ours does not today); set explicitly so a
// rebuild with it cannot silently slow every call.
inline constexpr bool kComponentConcurrency = false;

// Memory mappings (/proc/self/maps lines) one live instance of a core module
// costs with the settings above: its memory's reservation and the accessible
// part (measured: 2.0). Each distinct module's compiled code adds 2 more
// (executable code and read-only data). Linux allows vm.max_map_count
// (default 65,530) mappings per process: about 16,000 services of their own
// modules; 100,000 need vm.max_map_count >= 420,000 (bench/README.md). Even
// memories without any mapping (malloc-backed: no reservation, no guard, no
// signal-based traps) would leave the 2 per module and cost 17 times the
// resident memory per instance (136 KiB for a small C reactor, measured).
// (This is a consequence of the settings above, not a setting: nothing in
// orivon raises vm.max_map_count.)

// ---- Events (src/bus/) -------------------------------------------------------

// Largest event payload: NATS's default max_payload, so a later NATS backend
// takes every event this one takes. Events are notifications, not bulk data.
inline constexpr std::size_t kMaxEventBytes = std::size_t{1} << 20;  // 1 MiB
// Metadata and content type: room for headers such as trace ids, bounded so
// they cannot smuggle a second payload.
inline constexpr std::size_t kMaxEventMetadataEntries = 64;
inline constexpr std::size_t kMaxEventMetadataBytes = std::size_t{16} << 10;
inline constexpr std::size_t kMaxEventContentType = 255;
// How many handlers deep an event may be published: a handler's publish is
// one hop further than the event it handles. 16 is far beyond any real
// chain of modules and cuts a loop between two modules in microseconds.
inline constexpr std::uint32_t kEventHopLimit = 16;
// Events waiting per ephemeral subscription before the oldest is dropped
// (counted), and per durable one before a publish into it fails; bytes
// waiting per subscription, either kind. They bound the host's memory per
// subscriber whatever a flood publisher does.
inline constexpr std::size_t kEphemeralQueueEvents = 1024;
inline constexpr std::size_t kDurableQueueEvents = 10'000;
inline constexpr std::uint64_t kEventQueueBytes = std::uint64_t{16} << 20;
// Deliveries of a durable event (the first and the retries) before it goes
// to the dead letters, and the backoff between them (doubling, capped):
// JetStream's max_deliver and backoff ideas, with its usual magnitudes.
inline constexpr std::uint32_t kMaxEventDeliveries = 5;
inline constexpr std::chrono::milliseconds kEventInitialBackoff{1000};
inline constexpr std::chrono::milliseconds kEventMaxBackoff{60'000};
// How often a stopped subscriber's durable events are tried again (a start
// also wakes them at once).
inline constexpr std::chrono::milliseconds kEventIdlePoll{1000};
// Threads delivering events. A handler runs on one of them for as long as it
// runs (up to its call deadline), so more than the two-core minimum keeps a
// slow handler from holding up every other subscriber.
inline constexpr std::size_t kEventDeliveryThreads = 4;
// wasi:messaging handles (clients and messages) one store may hold: a guest
// that builds messages in a loop without dropping them is stopped by a trap
// instead of growing the host's memory.
inline constexpr std::size_t kMaxMessagingHandles = 1024;
// Bytes of payload all of one store's unsent messages may hold: room for a
// few oversized messages (so a send can say why it refuses one), bounded so
// a guest cannot park its whole memory in the host.
inline constexpr std::size_t kMaxMessagingStoreBytes = std::size_t{8} << 20;
// Distinct topics counted for `orivon events`; later ones are not listed
// (a guest publishing on endless topic names cannot grow the table).
inline constexpr std::size_t kEventTopicsTracked = 4096;

// Inbound HTTP (`orivon up --http`). A request body past kHttpMaxBodyBytes
// is refused with 413 (at once when its Content-Length says so, else when the
// guest reads past it): a guest cannot be made to buffer an endless upload.
inline constexpr std::uint64_t kHttpMaxBodyBytes = std::uint64_t{16} << 20;  // 16 MiB
// The whole request body must arrive within this (a slow client cannot hold a
// handler thread, where epoch deadlines cannot reach, forever).
inline constexpr std::chrono::milliseconds kHttpBodyTimeout{30'000};
// A client must send the request's head within this (slowloris).
inline constexpr std::chrono::milliseconds kHttpHeaderTimeout{10'000};
// Handlers (guests) running at once over every route; more requests wait
// for a place (cheaply, as tokio tasks) instead of being refused, so a burst
// is answered rather than dropped. Each handler holds one blocking thread.
inline constexpr std::uint32_t kHttpMaxHandlers = 64;
// Connections open at once; more wait in the kernel's listen queue.
inline constexpr std::uint32_t kHttpMaxConnections = 4096;
// A request's head (request line and headers) and its header count: past
// them the client gets 431, before any guest runs.
inline constexpr std::uint32_t kHttpMaxHeadBytes = 64 << 10;
inline constexpr std::uint32_t kHttpMaxHeaders = 100;
// Routes: how many, and how long a route's text may be.
inline constexpr std::size_t kMaxHttpRoutes = 10'000;
inline constexpr std::size_t kMaxHttpRouteBytes = 1024;

}  // namespace orivon::limits
