#pragma once

/// \file
/// ORIVON_API marks the symbols orivon exports. The library is compiled with
/// -fvisibility=hidden, so in the shared library (liborivon.so) only what
/// carries ORIVON_API is visible to its users; the same objects make up the
/// static library (liborivon.a), where the mark does no harm. A program using
/// the library sees the same mark on declarations, which is also harmless.
#if defined(__GNUC__) || defined(__clang__)
#define ORIVON_API __attribute__((visibility("default")))
#else
#define ORIVON_API
#endif
