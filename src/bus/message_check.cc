#include "bus/message_check.h"

#include <string>

#include "core/limits.h"
#include "grants/topic_pattern.h"

namespace orivon::bus {

Result<void> check_message(const EventMessage& message) {
  ORIVON_RETURN_IF_ERROR(grants::check_topic(message.topic));
  const std::string where = "event on '" + message.topic + "': ";
  if (message.data.size() > limits::kMaxEventBytes) {
    return Error(ErrorCode::InvalidArgument,
                 where + "the payload is " + std::to_string(message.data.size()) +
                     " bytes, over the limit of " + std::to_string(limits::kMaxEventBytes));
  }
  if (message.content_type && message.content_type->size() > limits::kMaxEventContentType) {
    return Error(ErrorCode::InvalidArgument,
                 where + "the content type is longer than " +
                     std::to_string(limits::kMaxEventContentType) + " bytes");
  }
  if (message.metadata.size() > limits::kMaxEventMetadataEntries) {
    return Error(ErrorCode::InvalidArgument,
                 where + "more than " + std::to_string(limits::kMaxEventMetadataEntries) +
                     " metadata entries");
  }
  std::size_t metadata_bytes = 0;
  for (const auto& [key, value] : message.metadata) {
    if (key.empty()) return Error(ErrorCode::InvalidArgument, where + "a metadata key is empty");
    metadata_bytes += key.size() + value.size();
  }
  if (metadata_bytes > limits::kMaxEventMetadataBytes) {
    return Error(ErrorCode::InvalidArgument,
                 where + "the metadata is over " +
                     std::to_string(limits::kMaxEventMetadataBytes) + " bytes");
  }
  return ok();
}

}  // namespace orivon::bus
