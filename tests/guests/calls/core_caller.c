// A core module that calls another module's core export: orivon links an
// import whose module name is a module id to that module, under the
// caller's grants. Numbers only.
#include <stdint.h>

__attribute__((import_module("test.probe.core"), import_name("add")))
int32_t probe_add(int32_t a, int32_t b);

__attribute__((export_name("relay_add"))) int32_t relay_add(int32_t a, int32_t b) {
  return probe_add(a, b);
}
