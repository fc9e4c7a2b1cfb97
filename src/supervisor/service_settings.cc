#include <charconv>

#include "orivon/service.h"
#include "orivon/units.h"

namespace orivon {

Result<ServiceSettings> service_settings_from(const Manifest& manifest) {
  ServiceSettings settings;
  auto millis = [](std::chrono::nanoseconds d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d);
  };
  for (const auto& [key, value] : manifest.service) {
    auto bad = [&, key = key](const Error& error) { return Error::wrap("[service] " + key, error); };
    if (key == "restart") {
      if (value == "never") {
        settings.restart.policy = RestartPolicy::Never;
      } else if (value == "on-failure") {
        settings.restart.policy = RestartPolicy::OnFailure;
      } else if (value == "always") {
        settings.restart.policy = RestartPolicy::Always;
      } else {
        return bad(Error(ErrorCode::InvalidArgument, "unknown policy '" + value + "'"));
      }
    } else if (key == "restart-budget") {
      auto count = parse_count(value);
      if (!count) return bad(count.error());
      settings.restart.budget = static_cast<int>(std::min<std::uint64_t>(*count, 1'000'000));
    } else if (key == "max-memory") {
      auto size = parse_size(value);
      if (!size) return bad(size.error());
      settings.max_memory_bytes = *size;
    } else {
      auto duration = parse_duration(value);
      if (!duration) return bad(duration.error());
      if (key == "restart-backoff") {
        settings.restart.initial_backoff = millis(*duration);
      } else if (key == "stop-grace") {
        settings.stop_grace = millis(*duration);
      } else if (key == "call-deadline") {
        settings.call_deadline = millis(*duration);
      } else {
        return bad(Error(ErrorCode::InvalidArgument, "unknown setting"));
      }
    }
  }
  return settings;
}

}  // namespace orivon
