#include "commands/module_text.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/management.h"
#include "host/module_table.h"

namespace orivon::cli {
namespace {

std::string text_of(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::uint64_t size_of(const nlohmann::json& module) {
  auto it = module.find("size_bytes");
  return it != module.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

std::string module_summary(const nlohmann::json& module) {
  return text_of(module, "id") + " (" + text_of(module, "kind") + ", " +
         text_of(module, "program_kind") + ", " + size_text(size_of(module)) + ", sha256 " +
         text_of(module, "content_hash").substr(0, 12) + ")";
}

void print_module_details(const nlohmann::json& module, std::ostream& out) {
  out << text_of(module, "id") << "\n";
  out << "  kind:        " << text_of(module, "kind") << " (" << text_of(module, "program_kind")
      << ")\n";
  if (auto version = text_of(module, "version"); !version.empty()) {
    out << "  version:     " << version << "\n";
  }
  if (auto description = text_of(module, "description"); !description.empty()) {
    out << "  description: " << description << "\n";
  }
  out << "  state:       " << text_of(module, "state");
  if (auto cause = text_of(module, "state_cause"); !cause.empty()) out << " (" << cause << ")";
  out << "\n";
  out << "  autostart:   " << (module.value("autostart", false) ? "yes" : "no") << "\n";
  if (text_of(module, "state") == "running" || module.value("traps", 0) > 0) {
    out << "  metrics:     " << module.value("calls", 0) << " calls, " << module.value("traps", 0)
        << " traps, " << module.value("restarts", 0) << " restarts, "
        << size_text(module.value("memory_bytes", std::uint64_t{0})) << " memory\n";
  }
  if (const auto& events = module.find("events");
      events != module.end() && events->is_object() && events->value("published", 0) +
          events->value("delivered", 0) + events->value("failed", 0) + events->value("dropped", 0) > 0) {
    out << "  events:      " << events->value("published", 0) << " published, "
        << events->value("delivered", 0) << " delivered, " << events->value("failed", 0)
        << " failed, " << events->value("dropped", 0) << " dropped\n";
  }
  out << "  size:        " << size_text(size_of(module)) << "\n";
  out << "  sha256:      " << text_of(module, "content_hash") << "\n";
  out << "  manifest:    " << (module.value("has_manifest", false) ? "yes" : "none") << "\n";

  // Requested versus granted, one line each: what the module asked for (or
  // not), what the client decided, and what the grant gives. Nothing else is
  // granted.
  out << "  system grants (default deny; " << "requested? -> decision: what it gives):\n";
  const auto& grants = field(module, "grants");
  if (!grants.is_array() || grants.empty()) out << "    none requested or decided: no system access\n";
  std::size_t width = 0;
  for (const auto& grant : grants) width = std::max(width, text_of(grant, "grant").size());
  for (const auto& grant : grants) {
    const std::string text = text_of(grant, "grant");
    const std::string status = text_of(grant, "status");
    out << "    " << text << std::string(width - text.size() + 2, ' ')
        << (grant.value("requested", false) ? "requested" : "not requested") << " -> "
        << (status == "undecided" ? "undecided (not granted)" : status);
    if (auto meaning = text_of(grant, "meaning"); !meaning.empty() && status == "granted") {
      out << ": " << meaning;
    } else if (meaning.starts_with("malformed")) {
      out << " (" << meaning << ")";
    }
    out << "\n";
  }
  // Calls between modules: a group's grants are its members.
  const bool is_group = text_of(module, "kind") == "group";
  const std::vector<std::pair<const char*, const char*>> call_sections = {
      {"may_call", is_group ? "members" : "may call"}, {"called_by", "called by"}};
  for (const auto& [key, heading] : call_sections) {
    auto it = module.find(key);
    if (it == module.end() || !it->is_array()) continue;
    out << "  " << heading << ":" << (it->empty() ? " none\n" : "\n");
    for (const auto& grant : *it) {
      const char* other = std::string_view(key) == "may_call" ? "target" : "caller";
      out << "    " << text_of(grant, other) << ": " << grant_functions_text(grant) << "\n";
    }
  }
  // Each import of another module's function, and where a call to it goes
  // now: a missing grant shows here before a call traps the module.
  if (const auto& routes = field(module, "import_routes"); routes.is_array() && !routes.empty()) {
    out << "  routes of imported functions:\n";
    for (const auto& route : routes) {
      out << "    " << text_of(route, "import") << "#" << text_of(route, "function") << " "
          << text_of(route, "text") << "\n";
    }
  }
  if (const auto& config = field(module, "config"); config.is_object() && !config.empty()) {
    out << "  config:\n";
    for (const auto& [key, value] : config.items()) {
      out << "    " << key << " = " << (value.is_string() ? value.get<std::string>() : value.dump())
          << "\n";
    }
  }
  if (const auto& function = field(module, "function"); function.is_object()) {
    out << "  function: a fresh instance per call, event or trigger run"
        << (function.empty() ? "" : " " + function.dump()) << "\n";
  }
  if (const auto& triggers = field(module, "triggers"); triggers.is_array() && !triggers.empty()) {
    out << "  triggers:\n";
    for (const auto& trigger : triggers) out << "    " << trigger.dump() << "\n";
  }
  for (const char* section : {"imports", "exports"}) {
    const auto& items = module[section];
    out << "  " << section << ":" << (items.is_array() && !items.empty() ? "\n" : " none\n");
    if (!items.is_array()) continue;
    for (const auto& item : items) {
      // Lines read "import x: ..." / "export x: ..."; the heading says which.
      std::string line = item.is_string() ? item.get<std::string>() : "";
      if (auto space = line.find(' '); line.starts_with("import ") || line.starts_with("export ")) {
        line = line.substr(space + 1);
      }
      out << "    " << line << "\n";
    }
  }
}

std::string grant_functions_text(const nlohmann::json& grant) {
  if (grant.value("all", false)) return "all functions";
  std::string text;
  auto it = grant.find("functions");
  if (it == grant.end() || !it->is_array()) return text;
  for (const auto& function : *it) {
    if (!function.is_string()) continue;
    text += (text.empty() ? "" : ", ") + function.get<std::string>();
  }
  return text;
}

}  // namespace orivon::cli
