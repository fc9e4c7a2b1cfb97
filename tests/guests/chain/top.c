// The top of a call chain: each `front` function calls `upper`'s (granted
// to the middle) and hands back what came: a `checked-` function's err is
// the text the runtime gave it about the failure below.
#include "top.h"

uint32_t exports_orivon_chain_front_divide(uint32_t a, uint32_t b) {
  return orivon_chain_upper_divide(a, b);
}

bool exports_orivon_chain_front_checked_divide(uint32_t a, uint32_t b, uint32_t* ret,
                                               top_string_t* err) {
  return orivon_chain_upper_checked_divide(a, b, ret, err);
}

uint32_t exports_orivon_chain_front_long_trap(void) { return orivon_chain_upper_long_trap(); }

bool exports_orivon_chain_front_checked_long_trap(uint32_t* ret, top_string_t* err) {
  return orivon_chain_upper_checked_long_trap(ret, err);
}
