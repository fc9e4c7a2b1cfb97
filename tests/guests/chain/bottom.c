// The bottom of a call chain (a core module): traps on a division by zero,
// or by calling functions of a module that is not installed, one of them
// under a name thousands of bytes long (a hostile callee's way to make its
// failure's text long: the runtime names the missing function).
#include <stdint.h>

#define NAME_16 "xxxxxxxxxxxxxxxx"
#define NAME_256                                                                                \
  NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 NAME_16 \
      NAME_16 NAME_16 NAME_16 NAME_16
#define NAME_4096                                                                              \
  NAME_256 NAME_256 NAME_256 NAME_256 NAME_256 NAME_256 NAME_256 NAME_256 NAME_256 NAME_256 \
      NAME_256 NAME_256 NAME_256 NAME_256 NAME_256 NAME_256

__attribute__((import_module("test.nobody.here"), import_name("long-" NAME_4096)))
int32_t nobody_long(void);

__attribute__((import_module("test.nobody.here"), import_name("gone")))
int32_t nobody_gone(void);

__attribute__((export_name("divide"))) uint32_t divide(uint32_t a, uint32_t b) { return a / b; }

__attribute__((export_name("long-trap"))) int32_t long_trap(void) { return nobody_long(); }

__attribute__((export_name("missing"))) int32_t missing(void) { return nobody_gone(); }
