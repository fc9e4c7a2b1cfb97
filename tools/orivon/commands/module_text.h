#pragma once

// Human-readable forms of the registry's JSON replies.

#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orivon::cli {

// "bitcoin.node.metamask (service, component, 1.2 MiB, sha256 3f2a9c81)"
std::string module_summary(const nlohmann::json& module);
// A table of modules, one line each, with a header, built a page at a time:
// a row keeps only its text, not the module's JSON.
class ModuleTable {
 public:
  ModuleTable();
  void add(const nlohmann::json& module);
  // The members of a module's JSON that add() reads; it needs no others.
  static std::span<const std::string_view> fields();
  std::size_t size() const { return rows_.size() - 1; }
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;  // the header first
};
void print_module_table(const nlohmann::json& modules, std::ostream& out);
// Everything `inspect` knows, as indented text.
void print_module_details(const nlohmann::json& module, std::ostream& out);
// The functions of a call grant's JSON: "greet, sum" or "all functions".
std::string grant_functions_text(const nlohmann::json& grant);

}  // namespace orivon::cli
