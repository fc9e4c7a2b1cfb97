#pragma once

// Small pieces every benchmark program shares: stopping loudly on a setup
// failure, percentiles of samples, and the machine's load for the header
// line (figures from a loaded machine are read differently).

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orivon/result.h"

namespace orivon::bench {

// Setup failures are bugs in the benchmark: stop the whole run.
template <typename T>
T must(Result<T> result, std::string_view what) {
  if (!result) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 result.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*result);
}

inline void must(Result<void> result, std::string_view what) {
  if (!result) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 result.error().to_string().c_str());
    std::exit(1);
  }
}

// The sample at fraction `p` (0.5: the median) of `values`, 0 when empty.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

// The one-minute load average, as /proc/loadavg says it ("?" without it).
inline std::string load_average() {
  std::ifstream load("/proc/loadavg");
  std::string first;
  load >> first;
  return first.empty() ? "?" : first;
}

}  // namespace orivon::bench
