#include "commands/app_file.h"

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "orivon/ids.h"
#include "orivon/manifest.h"

namespace orivon::cli {
namespace {

Result<std::vector<std::string>> string_list(const toml::node& node, const std::string& where) {
  const auto* array = node.as_array();
  if (array == nullptr) return Error(ErrorCode::InvalidArgument, where + ": expected an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *array) {
    auto text = item.value<std::string>();
    if (!text) return Error(ErrorCode::InvalidArgument, where + ": expected an array of strings");
    out.push_back(*text);
  }
  return out;
}

}  // namespace

Result<std::vector<AppModule>> parse_app_text(std::string_view text, const std::string& name,
                                              const std::filesystem::path& base) {
  if (toml_nesting_depth(text, kMaxAppFileNesting) > kMaxAppFileNesting) {
    return Error(ErrorCode::InvalidArgument,
                 name + ": tables, dotted keys and arrays nest more than " +
                     std::to_string(kMaxAppFileNesting) + " levels deep");
  }
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return Error(ErrorCode::InvalidArgument,
                 name + " (" + where.str() + "): " + std::string(e.description()));
  }
  for (const auto& [key, value] : root) {
    if (key.str() != "module") {
      return Error(ErrorCode::InvalidArgument, name + ": unknown key '" +
                                                   std::string(key.str()) +
                                                   "'; an application file has only [[module]]");
    }
  }
  const auto* modules = root["module"].as_array();
  if (modules == nullptr || modules->empty()) {
    return Error(ErrorCode::InvalidArgument,
                 name + ": no [[module]] tables; each names a module (id, file, ...)");
  }
  std::vector<AppModule> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < modules->size(); ++i) {
    const auto* table = (*modules)[i].as_table();
    const std::string where = name + ": module " + std::to_string(i + 1);
    if (table == nullptr) return Error(ErrorCode::InvalidArgument, where + " is not a table");
    AppModule module;
    for (const auto& [key_node, value] : *table) {
      const std::string key(key_node.str());
      const std::string at = where + ", " + key;
      if (key == "id" || key == "file" || key == "manifest") {
        auto text = value.value<std::string>();
        if (!text || text->empty()) return Error(ErrorCode::InvalidArgument, at + ": expected a string");
        if (key == "id") module.id = *text;
        if (key == "file") module.file = (base / *text).lexically_normal();
        if (key == "manifest") module.manifest = (base / *text).lexically_normal();
      } else if (key == "allow") {
        ORIVON_TRY(auto grants, string_list(value, at));
        module.allow.insert(grants.begin(), grants.end());
      } else if (key == "routes") {
        ORIVON_TRY(auto routes, string_list(value, at));
        module.routes.insert(routes.begin(), routes.end());
      } else if (key == "subscribe") {
        ORIVON_TRY(auto patterns, string_list(value, at));
        module.subscribe.insert(patterns.begin(), patterns.end());
      } else if (key == "members") {
        ORIVON_TRY(auto members, string_list(value, at));
        for (auto& member : members) module.calls[member];  // every function
      } else if (key == "calls") {
        const auto* calls = value.as_table();
        if (calls == nullptr) {
          return Error(ErrorCode::InvalidArgument,
                       at + ": expected a table of TARGET = [FUNCTION...] ([] for all)");
        }
        for (const auto& [target, functions] : *calls) {
          ORIVON_TRY(auto names, string_list(functions, at + "." + std::string(target.str())));
          module.calls[std::string(target.str())].insert(names.begin(), names.end());
        }
      } else if (key == "config") {
        const auto* config = value.as_table();
        if (config == nullptr) return Error(ErrorCode::InvalidArgument, at + ": expected a table");
        for (const auto& [config_key, entry] : *config) {
          auto text = entry.value<std::string>();
          if (!text) {
            return Error(ErrorCode::InvalidArgument,
                         at + "." + std::string(config_key.str()) + ": expected a string");
          }
          module.config[std::string(config_key.str())] = *text;
        }
      } else if (key == "start") {
        auto flag = value.value<bool>();
        if (!flag) return Error(ErrorCode::InvalidArgument, at + ": expected true or false");
        module.start = *flag;
      } else {
        return Error(ErrorCode::InvalidArgument,
                     at + ": unknown key; a module has id, file, manifest, allow, calls, "
                          "members, config, subscribe, routes, start");
      }
    }
    auto id = ModuleId::parse(module.id);
    if (!id) return Error(ErrorCode::InvalidArgument, where + ": " + id.error().message());
    for (const auto& [target, functions] : module.calls) {
      if (auto parsed = ModuleId::parse(target); !parsed) {
        return Error(ErrorCode::InvalidArgument, where + ", calls: " + parsed.error().message());
      }
    }
    if (!seen.insert(module.id).second) {
      return Error(ErrorCode::InvalidArgument, where + ": '" + module.id + "' is listed twice");
    }
    if (!module.manifest.empty() && module.file.empty()) {
      return Error(ErrorCode::InvalidArgument, where + ": a manifest needs a file");
    }
    out.push_back(std::move(module));
  }
  return out;
}

Result<std::vector<AppModule>> parse_app(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(ErrorCode::NotFound, "cannot read '" + path.string() + "': " + ec.message());
  if (size > kMaxAppFileBytes) {
    return Error(ErrorCode::InvalidArgument, "'" + path.string() + "' is over 4 MiB");
  }
  std::ifstream stream(path, std::ios::binary);
  std::stringstream text;
  text << stream.rdbuf();
  return parse_app_text(text.str(), path.string(), std::filesystem::absolute(path).parent_path());
}

}  // namespace orivon::cli
