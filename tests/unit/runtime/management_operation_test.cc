#include "orivon/management_operation.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orivon {
namespace {

using ::testing::HasSubstr;

constexpr ManagementOperation kEvery[] = {
    ManagementOperation::List,    ManagementOperation::Add,    ManagementOperation::Remove,
    ManagementOperation::Update,  ManagementOperation::Inspect, ManagementOperation::Start,
    ManagementOperation::Stop,    ManagementOperation::Restart, ManagementOperation::Call,
    ManagementOperation::Logs,    ManagementOperation::Grant,   ManagementOperation::Revoke,
    ManagementOperation::Grants,  ManagementOperation::Allow,   ManagementOperation::Deny,
    ManagementOperation::Publish, ManagementOperation::Subscribe,
    ManagementOperation::Unsubscribe, ManagementOperation::Events,
    ManagementOperation::DeadLetters, ManagementOperation::Kv,
    ManagementOperation::Config,  ManagementOperation::ConfigSet, ManagementOperation::ConfigUnset,
    ManagementOperation::Triggers, ManagementOperation::Forget,  ManagementOperation::RouteAdd,
    ManagementOperation::RouteRemove, ManagementOperation::Routes};

constexpr ModuleKind kKinds[] = {ModuleKind::Service, ModuleKind::Library, ModuleKind::Group};

ModuleId id(const char* text) { return *ModuleId::parse(text); }

TEST(ManagementOperation, NamesRoundTrip) {
  for (auto operation : kEvery) {
    const auto name = management_operation_name(operation);
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(find_management_operation(name), operation) << name;
  }
  EXPECT_EQ(management_operation_name(ManagementOperation::Grants), "grants");
  EXPECT_EQ(management_operation_name(ManagementOperation::ConfigSet), "config-set");
}

TEST(ManagementOperation, FindsNoOtherName) {
  for (const char* name : {"", "ping", "frobnicate", "List", "list ", "grant s", "unknown"}) {
    EXPECT_FALSE(find_management_operation(name)) << name;
  }
}

TEST(HostRequirement, RegistryOperationsNeedNoHost) {
  for (auto operation :
       {ManagementOperation::List, ManagementOperation::Add, ManagementOperation::Remove,
        ManagementOperation::Update, ManagementOperation::Inspect, ManagementOperation::Grant,
        ManagementOperation::Revoke, ManagementOperation::Grants, ManagementOperation::Allow,
        ManagementOperation::Deny, ManagementOperation::Kv, ManagementOperation::Config,
        ManagementOperation::ConfigSet, ManagementOperation::ConfigUnset,
        ManagementOperation::Triggers, ManagementOperation::Forget,
        ManagementOperation::RouteAdd, ManagementOperation::RouteRemove,
        ManagementOperation::Routes}) {
    for (auto kind : kKinds) {
      EXPECT_EQ(host_requirement(operation, kind), HostRequirement::None)
          << management_operation_name(operation);
    }
  }
}

TEST(HostRequirement, OnlyPublishingAnEventNeedsAHost) {
  for (auto kind : kKinds) {
    EXPECT_EQ(host_requirement(ManagementOperation::Publish, kind), HostRequirement::Required);
    for (auto operation : {ManagementOperation::Subscribe, ManagementOperation::Unsubscribe,
                           ManagementOperation::Events, ManagementOperation::DeadLetters}) {
      EXPECT_EQ(host_requirement(operation, kind), HostRequirement::None)
          << management_operation_name(operation);
    }
  }
  EXPECT_EQ(management_operation_name(ManagementOperation::DeadLetters), "dead-letters");
}

TEST(HostRequirement, StartAndStopAreRecordedForTheNextHost) {
  for (auto kind : kKinds) {
    EXPECT_EQ(host_requirement(ManagementOperation::Start, kind), HostRequirement::Deferred);
    EXPECT_EQ(host_requirement(ManagementOperation::Stop, kind), HostRequirement::Deferred);
  }
}

TEST(HostRequirement, RestartAndLogsNeedAHost) {
  for (auto kind : kKinds) {
    EXPECT_EQ(host_requirement(ManagementOperation::Restart, kind), HostRequirement::Required);
    EXPECT_EQ(host_requirement(ManagementOperation::Logs, kind), HostRequirement::Required);
  }
}

TEST(HostRequirement, OnlyALibraryCanBeCalledWithoutAHost) {
  EXPECT_EQ(host_requirement(ManagementOperation::Call, ModuleKind::Library),
            HostRequirement::None);
  EXPECT_EQ(host_requirement(ManagementOperation::Call, ModuleKind::Service),
            HostRequirement::Required);
  EXPECT_EQ(host_requirement(ManagementOperation::Call, ModuleKind::Group),
            HostRequirement::Required);
}

TEST(HostRequiredError, SaysWhichOperationAndHowToStartAHost) {
  const Error error = host_required_error(ManagementOperation::Restart, id("app.svc.test"));
  EXPECT_EQ(error.code(), ErrorCode::FailedPrecondition);
  EXPECT_EQ(error.message(), "'restart' needs a running host: start one with 'orivon up'");
  EXPECT_EQ(host_required_error(ManagementOperation::Logs, id("app.svc.test")).message(),
            "'logs' needs a running host: start one with 'orivon up'");
}

TEST(HostRequiredError, ACallNamesTheModuleAndItsKind) {
  const Error error = host_required_error(ManagementOperation::Call, id("group.math.test"));
  EXPECT_EQ(error.code(), ErrorCode::FailedPrecondition);
  EXPECT_EQ(error.message(),
            "'call' of the group 'group.math.test' needs a running host: start one with "
            "'orivon up' (only a library can be called without one)");
  EXPECT_THAT(host_required_error(ManagementOperation::Call, id("app.svc.test")).message(),
              HasSubstr("of the service 'app.svc.test'"));
}

}  // namespace
}  // namespace orivon
