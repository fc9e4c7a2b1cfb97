#pragma once

// Values as JSON, for `orivon call --json` (its "values"), so a script reads
// a call's results without parsing WAVE:
//   bool, numbers, strings     as themselves (a char is a one-character string;
//                              a float NaN or infinity is "nan", "inf" or "-inf")
//   list<T>, tuple, list<u8>   arrays
//   record                     an object of its fields
//   enum                       the case name
//   variant                    {"case": payload}, null for a case without one
//   flags                      an array of the names set
//   option<T>                  null for none, the payload for some
//   result<T, E>               {"ok": payload} or {"err": payload} (null without one)

#include <nlohmann/json.hpp>

#include "orivon/value.h"

namespace orivon::cli {

nlohmann::json value_to_json(const Value& value);

}  // namespace orivon::cli
