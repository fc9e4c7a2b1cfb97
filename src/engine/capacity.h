#pragma once

// Admission control: an instance is created only while the process stays
// under the kernel's memory-mapping limit, its address space and a memory
// budget (include/orivon/capacity.h says why, and the defaults).
//
// Reading the real numbers costs: /proc/self/maps grows with the mappings
// (about 2 per live instance, 2 more per loaded module), so reading it on
// every start would make starts slow down as the host fills. Capacity
// therefore keeps an estimate, the last reading plus what each instance
// admitted since is expected to cost, and reads the process again every so
// many admissions (more as the host grows, so the cost per start stays flat)
// and whenever the admissions since the last reading have used half the room
// it showed; an instance that maps nothing new (a pooled function instance,
// whose slot was reserved with its pool) does not count towards either.
// Memory and address space are one small file (/proc/self/statm), read again
// once the last reading is kMemoryReadingInterval old, or at every admission
// while the estimate comes within an eighth of a limit. Either file read at
// every admission cost each HTTP request a few microseconds under this
// object's lock, which every request takes. An instance is refused only on a
// fresh reading.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/capacity.h"
#include "orivon/result.h"

namespace orivon::engine {

// What one instance is expected to add to the process.
struct InstanceNeed {
  std::uint64_t mappings = 0;
  std::uint64_t address_space_bytes = 0;
  std::uint64_t memory_bytes = 0;
};

// The process's current numbers; a seam so tests can drive the policy.
// nullopt when a number cannot be read (then its limit is not enforced).
class ProcessReadings {
 public:
  virtual ~ProcessReadings() = default;
  virtual std::optional<std::uint64_t> mappings() = 0;
  struct Memory {
    std::uint64_t address_space_bytes = 0;
    std::uint64_t resident_bytes = 0;
  };
  // Cheap (one small file), but a system call or three: read at most every
  // kMemoryReadingInterval while far from the limits.
  virtual std::optional<Memory> memory() = 0;
  // The kernel's vm.max_map_count.
  virtual std::optional<std::uint64_t> max_map_count() = 0;
  virtual std::uint64_t physical_memory_bytes() = 0;
  // RLIMIT_AS, when it is set.
  virtual std::optional<std::uint64_t> address_space_rlimit() = 0;
};

// Reads /proc/self and the kernel's settings.
std::unique_ptr<ProcessReadings> system_readings();

// Owned by the Engine. Thread-safe.
class Capacity {
 public:
  // Holds one admitted instance's share of the estimate, given back on
  // destruction. Move-only; must not outlive its Capacity.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : owner_(other.owner_), need_(other.need_) {
      other.owner_ = nullptr;
    }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket();

   private:
    friend class Capacity;
    Ticket(Capacity* owner, InstanceNeed need) : owner_(owner), need_(need) {}
    Capacity* owner_ = nullptr;
    InstanceNeed need_;
  };

  // How old a memory reading may be before an admission reads again (while
  // the estimate is far from the limits; near them every admission does).
  static constexpr std::chrono::milliseconds kMemoryReadingInterval{10};

  // `clock` (the real one unless a test injects another) times the memory
  // readings; it must outlive the Capacity.
  Capacity(const CapacityOptions& options, std::unique_ptr<ProcessReadings> readings,
           const Clock& clock = real_clock());

  // Admits one more instance that needs `need`, or ResourceExhausted naming
  // the limit it would pass and what to do about it.
  Result<Ticket> admit(const InstanceNeed& need);

  // The limits, with a fresh reading of the process.
  CapacityReport report();

 private:
  void release(const InstanceNeed& need);
  // The *_locked helpers need mutex_ held.
  void measure_locked(bool with_mappings) ORIVON_REQUIRES(mutex_);
  // Whether admitting `need` would bring the estimated memory or address
  // space within an eighth of its limit.
  bool is_near_memory_limits_locked(const InstanceNeed& need) const ORIVON_REQUIRES(mutex_);
  std::optional<Error> refusal_locked(const InstanceNeed& need) const ORIVON_REQUIRES(mutex_);

  std::unique_ptr<ProcessReadings> readings_;
  const Clock& clock_;
  std::uint64_t kernel_max_map_count_ = 0;
  std::uint64_t max_mappings_ = 0;        // 0: not enforced
  std::uint64_t memory_budget_ = 0;       // 0: not enforced
  std::uint64_t address_space_limit_ = 0;  // 0: not enforced
  std::string mappings_origin_;  // how max_mappings_ was chosen, for messages

  mutable Mutex mutex_;  // guards every member below
  // Estimates: the last reading, less what live tickets accounted for then
  // (so base + live is the reading at that moment), plus live tickets now.
  std::int64_t mappings_base_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::int64_t address_space_base_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::int64_t resident_base_ ORIVON_GUARDED_BY(mutex_) = 0;
  InstanceNeed live_ ORIVON_GUARDED_BY(mutex_);
  std::uint64_t live_instances_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::uint64_t refused_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::uint64_t admitted_since_reading_ ORIVON_GUARDED_BY(mutex_) = 0;
  // Estimated, admitted since the last reading.
  std::uint64_t mappings_since_reading_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::uint64_t last_mappings_reading_ ORIVON_GUARDED_BY(mutex_) = 0;
  // max_mappings_ less that reading.
  std::uint64_t room_at_reading_ ORIVON_GUARDED_BY(mutex_) = 0;
  Clock::time_point memory_read_at_ ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::engine
