#pragma once

// The checks every published message passes, wherever it comes from (a
// guest, the client, the CLI): the topic's syntax and the size limits of
// core/limits.h. Thread-safe.

#include "orivon/events.h"
#include "orivon/result.h"

namespace orivon::bus {

// InvalidArgument saying which part is wrong (the topic, the payload's size,
// the metadata, the content type).
[[nodiscard]] Result<void> check_message(const EventMessage& message);

}  // namespace orivon::bus
