#pragma once

// Human-readable forms of the registry's JSON replies.

#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace orivon::cli {

// "bitcoin.node.metamask (service, component, 1.2 MiB, sha256 3f2a9c81)"
std::string module_summary(const nlohmann::json& module);
// Everything `inspect` knows, as indented text.
void print_module_details(const nlohmann::json& module, std::ostream& out);
// The functions of a call grant's JSON: "greet, sum" or "all functions".
std::string grant_functions_text(const nlohmann::json& grant);

}  // namespace orivon::cli
