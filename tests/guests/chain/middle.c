// The middle of a call chain: each `upper` function calls `lower`'s (granted
// to the bottom). `lower` cannot carry an error, so a failure below traps
// the middle.
#include "middle.h"

uint32_t exports_orivon_chain_upper_divide(uint32_t a, uint32_t b) {
  return orivon_chain_lower_divide(a, b);
}

bool exports_orivon_chain_upper_checked_divide(uint32_t a, uint32_t b, uint32_t* ret,
                                               middle_string_t* err) {
  (void)err;
  *ret = orivon_chain_lower_divide(a, b);
  return true;
}

uint32_t exports_orivon_chain_upper_long_trap(void) { return orivon_chain_lower_long_trap(); }

bool exports_orivon_chain_upper_checked_long_trap(uint32_t* ret, middle_string_t* err) {
  (void)err;
  *ret = orivon_chain_lower_long_trap();
  return true;
}
