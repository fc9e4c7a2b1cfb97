// Fuzzes the envelope events travel in between hosts (src/bus/nats_event_bus.cc):
// the bytes of a message taken from NATS, which any client of the server can
// publish on orivon's subjects.
//
// Properties:
//   - anything decode_envelope refuses is refused with InvalidArgument;
//   - what it accepts is a message a local publish would accept too, and
//     encodes to bytes that decode to the same envelope (and to the input
//     itself: the encoding has one form).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "bus/message_check.h"
#include "bus/nats_event_bus.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orivon::fuzz;
  auto envelope = orivon::bus::decode_envelope(std::span<const std::uint8_t>(data, size));
  if (!envelope) {
    ORIVON_FUZZ_CHECK(envelope.error().code() == orivon::ErrorCode::InvalidArgument,
                      "refused with " + envelope.error().to_string());
    return 0;
  }
  auto checked = orivon::bus::check_message(envelope->message);
  ORIVON_FUZZ_CHECK(checked.has_value(), "accepted an event a publish refuses: " +
                                             checked.error().to_string());
  const std::string again = orivon::bus::encode_envelope(*envelope);
  ORIVON_FUZZ_CHECK(again == as_text(data, size), "re-encoding gives other bytes: " +
                                                      printable(again));
  return 0;
}
