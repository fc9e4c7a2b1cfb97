// A core reactor (no main) with plain numeric exports, for `--invoke` on
// core modules.
#include <stdint.h>

static int32_t initialized = 0;

// Runs from _initialize before any export: proves orivon calls it.
__attribute__((constructor)) static void init(void) { initialized = 42; }

__attribute__((export_name("add"))) int32_t add(int32_t a, int32_t b) { return a + b; }
__attribute__((export_name("mul64"))) int64_t mul64(int64_t a, int64_t b) { return a * b; }
__attribute__((export_name("half"))) double half(double x) { return x / 2; }
__attribute__((export_name("scale"))) float scale(float x) { return x * 1.5f; }
__attribute__((export_name("initialized"))) int32_t was_initialized(void) { return initialized; }
__attribute__((export_name("nothing"))) void nothing(void) {}
__attribute__((export_name("crash"))) int32_t crash(void) { __builtin_trap(); }
