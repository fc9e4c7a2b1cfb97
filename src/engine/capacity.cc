#include "engine/capacity.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "orivon/units.h"

namespace orivon::engine {
namespace {

// Kept for the host itself out of vm.max_map_count: 5%, at least 1,024.
constexpr std::uint64_t kMinMappingReserve = 1024;
// 47-bit user address space on x86-64 and arm64 Linux.
constexpr std::uint64_t kUserAddressSpace = std::uint64_t{1} << 47;

// Calls read() until the whole file is consumed; `consume` sees each chunk.
template <typename F>
bool read_whole(const char* path, F&& consume) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[64 * 1024];
  bool ok = true;
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    consume(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
  ::close(fd);
  return ok;
}

class SystemReadings : public ProcessReadings {
 public:
  std::optional<std::uint64_t> mappings() override {
    std::uint64_t lines = 0;
    const bool ok = read_whole("/proc/self/maps", [&](std::string_view chunk) {
      lines += static_cast<std::uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    });
    if (!ok) return std::nullopt;
    return lines;
  }
  std::optional<Memory> memory() override {
    char text[256];
    const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    const ssize_t n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    text[n] = '\0';
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
    if (std::sscanf(text, "%" SCNu64 " %" SCNu64, &size, &resident) != 2) return std::nullopt;
    static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    return Memory{size * page, resident * page};
  }
  std::optional<std::uint64_t> max_map_count() override {
    std::string text;
    if (!read_whole("/proc/sys/vm/max_map_count", [&](std::string_view chunk) { text += chunk; })) {
      return std::nullopt;
    }
    std::uint64_t value = 0;
    if (std::sscanf(text.c_str(), "%" SCNu64, &value) != 1 || value == 0) return std::nullopt;
    return value;
  }
  std::uint64_t physical_memory_bytes() override {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                                 : 0;
  }
  std::optional<std::uint64_t> address_space_rlimit() override {
    rlimit limit{};
    if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
    return static_cast<std::uint64_t>(limit.rlim_cur);
  }

};

std::string mebibytes(std::uint64_t bytes) { return format_count(bytes >> 20) + " MiB"; }

std::uint64_t estimate(std::int64_t base, std::uint64_t live) {
  const std::int64_t total = base + static_cast<std::int64_t>(live);
  return total > 0 ? static_cast<std::uint64_t>(total) : 0;
}

}  // namespace

std::unique_ptr<ProcessReadings> system_readings() { return std::make_unique<SystemReadings>(); }

Capacity::Ticket& Capacity::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->release(need_);
    owner_ = other.owner_;
    need_ = other.need_;
    other.owner_ = nullptr;
  }
  return *this;
}

Capacity::Ticket::~Ticket() {
  if (owner_) owner_->release(need_);
}

Capacity::Capacity(const CapacityOptions& options, std::unique_ptr<ProcessReadings> readings,
                   const Clock& clock)
    : readings_(std::move(readings)), clock_(clock) {
  kernel_max_map_count_ = readings_->max_map_count().value_or(0);
  if (options.max_mappings != 0) {
    max_mappings_ = options.max_mappings;
    mappings_origin_ = "the runtime's limit of " + format_count(max_mappings_);
  } else if (kernel_max_map_count_ != 0) {
    const std::uint64_t reserve = std::max(kMinMappingReserve, kernel_max_map_count_ / 20);
    max_mappings_ = kernel_max_map_count_ > reserve ? kernel_max_map_count_ - reserve : 0;
    mappings_origin_ = "vm.max_map_count " + format_count(kernel_max_map_count_) + " less " +
                       format_count(reserve) + " kept for the host";
  }
  memory_budget_ = options.memory_bytes != 0 ? options.memory_bytes
                                             : readings_->physical_memory_bytes() / 10 * 8;
  if (options.address_space_bytes != 0) {
    address_space_limit_ = options.address_space_bytes;
  } else {
    const std::uint64_t limit = readings_->address_space_rlimit().value_or(kUserAddressSpace);
    address_space_limit_ = limit - limit / 16;
  }
  MutexLock lock(mutex_);
  measure_locked(/*with_mappings=*/true);
}

void Capacity::measure_locked(bool with_mappings) {
  if (with_mappings) {
    if (auto mappings = readings_->mappings()) {
      mappings_base_ = static_cast<std::int64_t>(*mappings) - static_cast<std::int64_t>(live_.mappings);
      last_mappings_reading_ = *mappings;
      room_at_reading_ = max_mappings_ > *mappings ? max_mappings_ - *mappings : 0;
    }
    admitted_since_reading_ = 0;
    mappings_since_reading_ = 0;
  }
  memory_read_at_ = clock_.now();
  if (auto memory = readings_->memory()) {
    address_space_base_ = static_cast<std::int64_t>(memory->address_space_bytes) -
                          static_cast<std::int64_t>(live_.address_space_bytes);
    resident_base_ = static_cast<std::int64_t>(memory->resident_bytes) -
                     static_cast<std::int64_t>(live_.memory_bytes);
  }
}

std::optional<Error> Capacity::refusal_locked(const InstanceNeed& need) const {
  const std::uint64_t mappings = estimate(mappings_base_, live_.mappings);
  if (max_mappings_ != 0 && mappings + need.mappings > max_mappings_) {
    return Error(ErrorCode::ResourceExhausted,
                 "capacity: the process holds " + format_count(mappings) +
                     " memory mappings and may hold " + format_count(max_mappings_) + " (" +
                     mappings_origin_ + "); another instance needs about " +
                     std::to_string(need.mappings) +
                     ". Raise the kernel's limit, e.g. sysctl -w vm.max_map_count=1048576");
  }
  const std::uint64_t space = estimate(address_space_base_, live_.address_space_bytes);
  if (address_space_limit_ != 0 && space + need.address_space_bytes > address_space_limit_) {
    return Error(ErrorCode::ResourceExhausted,
                 "capacity: the process has reserved " + mebibytes(space) +
                     " of address space and may reserve " + mebibytes(address_space_limit_) +
                     "; another instance needs " + mebibytes(need.address_space_bytes));
  }
  const std::uint64_t resident = estimate(resident_base_, live_.memory_bytes);
  if (memory_budget_ != 0 && resident + need.memory_bytes > memory_budget_) {
    return Error(ErrorCode::ResourceExhausted,
                 "capacity: the process uses " + mebibytes(resident) +
                     " of memory, and its budget is " + mebibytes(memory_budget_) +
                     " (orivon up --memory-budget)");
  }
  return std::nullopt;
}

bool Capacity::is_near_memory_limits_locked(const InstanceNeed& need) const {
  const auto near = [](std::uint64_t after, std::uint64_t limit) {
    return limit != 0 && after > limit - limit / 8;
  };
  return near(estimate(resident_base_, live_.memory_bytes) + need.memory_bytes, memory_budget_) ||
         near(estimate(address_space_base_, live_.address_space_bytes) + need.address_space_bytes,
              address_space_limit_);
}

Result<Capacity::Ticket> Capacity::admit(const InstanceNeed& need) {
  MutexLock lock(mutex_);
  // Reading /proc/self/maps costs in proportion to the mappings, so it is
  // read again once 1/64th of them has been admitted (a flat cost per
  // start), or once the admissions since the last reading have used half of
  // the room it showed: near the limit the readings come closer together,
  // a logarithmic number of them, and an estimate off by up to twice still
  // cannot carry the process past the limit. An instance that maps nothing
  // (a pooled one) cannot move the process towards the limit, so it neither
  // counts nor reads.
  bool mappings_due = false;
  if (need.mappings != 0) {
    ++admitted_since_reading_;
    mappings_since_reading_ += need.mappings;
    mappings_due =
        admitted_since_reading_ >= std::max<std::uint64_t>(64, last_mappings_reading_ / 64) ||
        (max_mappings_ != 0 && 2 * mappings_since_reading_ >= room_at_reading_);
  }
  const bool memory_due = mappings_due ||
                          clock_.now() - memory_read_at_ >= kMemoryReadingInterval ||
                          is_near_memory_limits_locked(need);
  if (memory_due) measure_locked(/*with_mappings=*/mappings_due);
  if (!mappings_due && refusal_locked(need)) {
    // Refuse only on a fresh reading: the estimate may be off.
    measure_locked(/*with_mappings=*/true);
  }
  if (auto refused = refusal_locked(need)) {
    ++refused_;
    return *std::move(refused);
  }
  live_.mappings += need.mappings;
  live_.address_space_bytes += need.address_space_bytes;
  live_.memory_bytes += need.memory_bytes;
  ++live_instances_;
  return Ticket(this, need);
}

void Capacity::release(const InstanceNeed& need) {
  MutexLock lock(mutex_);
  live_.mappings -= std::min(live_.mappings, need.mappings);
  live_.address_space_bytes -= std::min(live_.address_space_bytes, need.address_space_bytes);
  live_.memory_bytes -= std::min(live_.memory_bytes, need.memory_bytes);
  if (live_instances_ > 0) --live_instances_;
}

CapacityReport Capacity::report() {
  MutexLock lock(mutex_);
  measure_locked(/*with_mappings=*/true);
  CapacityReport report;
  report.kernel_max_map_count = kernel_max_map_count_;
  report.max_mappings = max_mappings_;
  report.mappings = estimate(mappings_base_, live_.mappings);
  report.memory_budget_bytes = memory_budget_;
  report.resident_bytes = estimate(resident_base_, live_.memory_bytes);
  report.address_space_limit_bytes = address_space_limit_;
  report.address_space_bytes = estimate(address_space_base_, live_.address_space_bytes);
  report.live_instances = live_instances_;
  report.refused = refused_;
  // By the tightest limit, for an instance like the average one now (or a
  // small core module's when none runs).
  const std::uint64_t instances = live_instances_;
  const auto per = [&](std::uint64_t live, std::uint64_t fallback) {
    return instances > 0 ? std::max<std::uint64_t>(1, live / instances) : fallback;
  };
  const auto room = [](std::uint64_t used, std::uint64_t limit, std::uint64_t each) {
    if (limit == 0) return UINT64_MAX;
    return used >= limit ? 0 : (limit - used) / each;
  };
  report.more_instances =
      std::min({room(report.mappings, max_mappings_, per(live_.mappings, 4)),
                room(report.address_space_bytes, address_space_limit_,
                     per(live_.address_space_bytes, std::uint64_t{289} << 20)),
                room(report.resident_bytes, memory_budget_, per(live_.memory_bytes, 64 << 10))});
  return report;
}

}  // namespace orivon::engine
