#pragma once

/// \file
/// ORIVON_API marks the symbols orivon exports; everything else is hidden
/// (the library is built with -fvisibility=hidden).
#if defined(ORIVON_BUILDING_SHARED)
#define ORIVON_API __attribute__((visibility("default")))
#else
#define ORIVON_API
#endif
