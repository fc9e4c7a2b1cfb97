// The victim of the Hostile.* tests: a service whose functions the attacker
// may call only as granted (`harmless`).
#include "target.h"

static uint32_t wipes = 0;

bool exports_orivon_hostile_victim_harmless(target_string_t* ret, target_string_t* err) {
  (void)err;
  target_string_dup(ret, "harmless");
  return true;
}

bool exports_orivon_hostile_victim_secret(target_string_t* ret, target_string_t* err) {
  (void)err;
  target_string_dup(ret, "the victim's secret");
  return true;
}

uint32_t exports_orivon_hostile_victim_wipe(void) { return ++wipes; }

uint32_t exports_orivon_hostile_victim_wiped(void) { return wipes; }
