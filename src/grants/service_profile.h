#pragma once

// From a module's allowed grant strings to what it runs with: the WASI
// profile of a service, where its output goes, and the checks that keep a
// grant from reaching orivon's own state. Plain functions over plain data;
// thread-safe.

#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "orivon/grants.h"
#include "orivon/ids.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon::grants {

// What a service starts with.
struct ServiceProfile {
  // argv is the module id then each `arg:` grant; `wasi.stdio` is Inherit
  // only for `stdio:inherit`.
  WasiProfile wasi;
  StdioMode stdio = StdioMode::Log;
  // Things worth a line in the module's log (an `env:NAME` orivon has no
  // value for, ...).
  std::vector<std::string> notes;
};

// Whether the host directory must exist now (at start) or may appear later
// (when the grant is allowed).
enum class PathCheck { MustExist, MayNotExistYet };

// The canonical host directory of `grant`, after checking that it neither
// equals, contains nor lies inside `state_dir` (the database, the control
// socket, compiled code): PermissionDenied if it does. With
// PathCheck::MustExist, InvalidArgument when it is not an existing
// directory. Symlinks are resolved on both sides before comparing.
Result<std::filesystem::path> check_directory_grant(const FsGrant& grant,
                                                    const std::filesystem::path& state_dir,
                                                    PathCheck check);

// Whether `grant` (text `text`) can be allowed beside `allowed` (the grants
// already allowed, as text): FailedPrecondition when it would contradict
// one of them (a second stdio mode, a second directory at the same guest
// path, a second value for the same variable), naming it.
Result<void> check_compatible(std::string_view text, const Grant& grant,
                              const std::vector<std::string>& allowed);

// The grants among `allowed` (texts) that a deny of `denied` takes back
// besides its own text: a deny of a variable covers it with any value
// (`env:NAME` and `env:NAME=VALUE`), a deny of a directory covers every grant
// at its guest path, whatever the host directory or access (`:ro`, `:rw`).
// Unparsable texts are skipped.
std::vector<std::string> covered_by_deny(std::string_view text, const Grant& denied,
                                         const std::vector<std::string>& allowed);

// Builds the profile from the allowed grants, in the order given. Every grant
// is parsed and checked again (the database is untrusted input and the host
// directories may have changed since they were allowed): a failure names the
// grant. `environment` looks up orivon's own variables (for `env:NAME`).
Result<ServiceProfile> build_service_profile(
    const ModuleId& id, const std::vector<std::string>& allowed,
    const std::filesystem::path& state_dir,
    const std::function<std::optional<std::string>(const std::string&)>& environment);

// getenv, as build_service_profile's `environment`.
std::optional<std::string> process_environment(const std::string& name);

}  // namespace orivon::grants
