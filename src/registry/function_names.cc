// How function names typed by users resolve to the names modules export and
// grants store (include/orivon/calls.h).

#include <algorithm>
#include <string>
#include <vector>

#include "orivon/calls.h"

namespace orivon {

std::vector<std::string> resolve_function_name(std::string_view typed,
                                               std::span<const std::string> names) {
  if (std::find(names.begin(), names.end(), typed) != names.end()) return {std::string(typed)};
  // An unqualified name stands for every "interface#name" that ends in it.
  std::vector<std::string> matches;
  for (const auto& name : names) {
    auto hash = name.rfind('#');
    if (hash != std::string::npos && std::string_view(name).substr(hash + 1) == typed) {
      matches.push_back(name);
    }
  }
  return matches;
}

std::vector<std::string> stored_function_names(std::span<const std::string> typed,
                                               std::span<const std::string> stored) {
  std::vector<std::string> out;
  out.reserve(typed.size());
  for (const auto& name : typed) {
    auto matches = resolve_function_name(name, stored);
    out.push_back(matches.size() == 1 ? std::move(matches[0]) : name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace orivon
