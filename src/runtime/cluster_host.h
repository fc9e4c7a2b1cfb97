#pragma once

// This host's name among the hosts that share a NATS server.

#include <string>

#include "orivon/result.h"
#include "orivon/runtime_options.h"

namespace orivon::runtime {

// ClusterOptions::host_name if given (InvalidArgument unless 1 to 64 of
// [A-Za-z0-9_-]); otherwise the one kept in the state directory's `host-id`
// file, made (random) the first time; with no state directory, a random one.
Result<std::string> cluster_host_name(const RuntimeOptions& options);

}  // namespace orivon::runtime
