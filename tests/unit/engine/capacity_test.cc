#include "engine/capacity.h"

#include <memory>
#include <optional>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orivon/runtime.h"
#include "support/fake_clock.h"

namespace orivon::engine {
namespace {

using ::testing::HasSubstr;

// Readings a test sets; counts how often the mappings were read.
struct FakeState {
  std::uint64_t mappings = 1000;
  std::uint64_t address_space = std::uint64_t{1} << 30;
  std::uint64_t resident = 100 << 20;
  std::optional<std::uint64_t> max_map_count = 65'530;
  int mapping_reads = 0;
  int memory_reads = 0;
};

class FakeReadings : public ProcessReadings {
 public:
  explicit FakeReadings(FakeState* state) : state_(state) {}
  std::optional<std::uint64_t> mappings() override {
    ++state_->mapping_reads;
    return state_->mappings;
  }
  std::optional<Memory> memory() override {
    ++state_->memory_reads;
    return Memory{state_->address_space, state_->resident};
  }
  std::optional<std::uint64_t> max_map_count() override { return state_->max_map_count; }
  std::uint64_t physical_memory_bytes() override { return std::uint64_t{16} << 30; }
  std::optional<std::uint64_t> address_space_rlimit() override { return std::nullopt; }

 private:
  FakeState* state_;
};

const InstanceNeed kSmall{4, std::uint64_t{288} << 20, 64 << 10};
// A pooled function instance: its slot was reserved with the pool.
const InstanceNeed kPooled{0, 0, 64 << 10};

TEST(Capacity, DefaultsComeFromTheKernelAndTheMachine) {
  FakeState state;
  Capacity capacity({}, std::make_unique<FakeReadings>(&state));
  const auto report = capacity.report();
  EXPECT_EQ(report.kernel_max_map_count, 65'530u);
  EXPECT_EQ(report.max_mappings, 65'530u - 3'276u);  // 5% kept for the host
  EXPECT_EQ(report.memory_budget_bytes, (std::uint64_t{16} << 30) / 10 * 8);
  EXPECT_EQ(report.address_space_limit_bytes, (std::uint64_t{1} << 47) / 16 * 15);
  EXPECT_EQ(report.mappings, 1000u);
  EXPECT_EQ(report.more_instances, (65'530u - 3'276u - 1000u) / 4);
}

TEST(Capacity, RefusesPastTheMappingLimitAndNamesIt) {
  FakeState state;
  CapacityOptions options;
  options.max_mappings = 1040;  // room for ten small instances
  Capacity capacity(options, std::make_unique<FakeReadings>(&state));
  std::vector<Capacity::Ticket> tickets;
  for (int i = 0; i < 10; ++i) {
    auto ticket = capacity.admit(kSmall);
    ASSERT_TRUE(ticket) << i << ": " << ticket.error().message();
    tickets.push_back(std::move(*ticket));
    state.mappings += 4;  // what the instance really took
  }
  auto refused = capacity.admit(kSmall);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::ResourceExhausted);
  EXPECT_THAT(refused.error().message(), HasSubstr("1,040 memory mappings"));
  EXPECT_THAT(refused.error().message(), HasSubstr("vm.max_map_count"));
  EXPECT_EQ(capacity.report().refused, 1u);

  // An instance gone gives its room back.
  tickets.pop_back();
  state.mappings -= 4;
  EXPECT_TRUE(capacity.admit(kSmall));
}

TEST(Capacity, RefusesOnlyOnAFreshReading) {
  FakeState state;
  CapacityOptions options;
  options.max_mappings = 1040;
  Capacity capacity(options, std::make_unique<FakeReadings>(&state));
  std::vector<Capacity::Ticket> tickets;
  // Instances that cost less than estimated: the estimate alone would refuse
  // the eleventh, the reading shows room for it.
  for (int i = 0; i < 11; ++i) {
    auto ticket = capacity.admit(kSmall);
    ASSERT_TRUE(ticket) << i << ": " << ticket.error().message();
    tickets.push_back(std::move(*ticket));
    state.mappings += 2;
  }
}

TEST(Capacity, ReadsMappingsRarelyFarFromTheLimit) {
  FakeState state;
  state.max_map_count = 1'000'000;
  Capacity capacity({}, std::make_unique<FakeReadings>(&state));
  const int reads_before = state.mapping_reads;
  std::vector<Capacity::Ticket> tickets;
  for (int i = 0; i < 640; ++i) {
    auto ticket = capacity.admit(kSmall);
    ASSERT_TRUE(ticket);
    tickets.push_back(std::move(*ticket));
  }
  EXPECT_LE(state.mapping_reads - reads_before, 10);  // once per 64 admissions
  EXPECT_GE(state.mapping_reads - reads_before, 9);
}

TEST(Capacity, APooledInstanceNeverReadsTheMappings) {
  FakeState state;
  testing::FakeClock clock;
  Capacity capacity({}, std::make_unique<FakeReadings>(&state), clock);
  const int reads_before = state.mapping_reads;
  std::vector<Capacity::Ticket> tickets;
  for (int i = 0; i < 640; ++i) {
    auto ticket = capacity.admit(kPooled);
    ASSERT_TRUE(ticket);
    tickets.push_back(std::move(*ticket));
    clock.advance(Capacity::kMemoryReadingInterval);  // the memory is read each time
  }
  EXPECT_EQ(state.mapping_reads, reads_before);
  // Nor do pooled admissions bring the next reading closer for the others.
  for (int i = 0; i < 63; ++i) ASSERT_TRUE(capacity.admit(kSmall));
  EXPECT_EQ(state.mapping_reads, reads_before);
  ASSERT_TRUE(capacity.admit(kSmall));
  EXPECT_EQ(state.mapping_reads, reads_before + 1);
}

TEST(Capacity, ReadsMemoryOncePerIntervalFarFromTheLimits) {
  FakeState state;
  testing::FakeClock clock;
  Capacity capacity({}, std::make_unique<FakeReadings>(&state), clock);
  const int reads_before = state.memory_reads;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(capacity.admit(kPooled));
  EXPECT_EQ(state.memory_reads, reads_before);
  clock.advance(Capacity::kMemoryReadingInterval);
  ASSERT_TRUE(capacity.admit(kPooled));
  ASSERT_TRUE(capacity.admit(kPooled));
  EXPECT_EQ(state.memory_reads, reads_before + 1);
}

TEST(Capacity, ReadsMemoryAtEveryAdmissionNearTheBudget) {
  FakeState state;
  testing::FakeClock clock;
  CapacityOptions options;
  options.memory_bytes = std::uint64_t{110} << 20;  // 100 MiB used: within an eighth
  Capacity capacity(options, std::make_unique<FakeReadings>(&state), clock);
  const int reads_before = state.memory_reads;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(capacity.admit(kPooled));
  EXPECT_EQ(state.memory_reads, reads_before + 10);
  // So growth between two admissions is seen at once, whatever the clock says.
  state.resident = std::uint64_t{111} << 20;
  auto refused = capacity.admit(kPooled);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("budget is 110 MiB"));
}

TEST(Capacity, RefusesPastTheMemoryBudget) {
  FakeState state;
  CapacityOptions options;
  options.memory_bytes = std::uint64_t{101} << 20;
  Capacity capacity(options, std::make_unique<FakeReadings>(&state));
  EXPECT_TRUE(capacity.admit(kSmall));
  state.resident = std::uint64_t{102} << 20;  // the instance grew
  auto refused = capacity.admit(kSmall);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("budget is 101 MiB"));
}

TEST(Capacity, RefusesPastTheAddressSpace) {
  FakeState state;
  CapacityOptions options;
  options.address_space_bytes = (std::uint64_t{1} << 30) + (std::uint64_t{300} << 20);
  Capacity capacity(options, std::make_unique<FakeReadings>(&state));
  auto first = capacity.admit(kSmall);
  ASSERT_TRUE(first);
  state.address_space += kSmall.address_space_bytes;
  auto refused = capacity.admit(kSmall);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("address space"));
}

TEST(Capacity, AnUnknownKernelLimitIsNotEnforced) {
  FakeState state;
  state.max_map_count = std::nullopt;
  Capacity capacity({}, std::make_unique<FakeReadings>(&state));
  EXPECT_EQ(capacity.report().max_mappings, 0u);
  EXPECT_TRUE(capacity.admit(kSmall));
}

// The real readings of this process are plausible.
TEST(Capacity, SystemReadingsReadThisProcess) {
  auto readings = system_readings();
  auto mappings = readings->mappings();
  ASSERT_TRUE(mappings);
  EXPECT_GT(*mappings, 10u);
  auto memory = readings->memory();
  ASSERT_TRUE(memory);
  EXPECT_GT(memory->resident_bytes, 1u << 20);
  EXPECT_GT(memory->address_space_bytes, memory->resident_bytes);
  EXPECT_GT(readings->physical_memory_bytes(), std::uint64_t{1} << 28);
  EXPECT_TRUE(readings->max_map_count());
}

}  // namespace
}  // namespace orivon::engine
