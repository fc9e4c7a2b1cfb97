// `orivon apply APP.toml [--dry-run] [--json]`: a whole application from one
// file, applied idempotently. For each module the file lists it makes the
// state match: installed (or its code updated), exactly the system grants,
// call grants, group members and client configuration the file gives, and
// started or stopped when it says so. Modules the file does not list are
// left alone. A second apply of the same file changes nothing; a changed
// file applies the difference and says what it changed.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli.h"
#include "commands/app_file.h"
#include "commands/commands.h"
#include "commands/manifest_file.h"
#include "host/requests.h"
#include "host/session.h"
#include "orivon/ids.h"
#include "orivon/manifest.h"
#include "orivon/module_info.h"

namespace orivon::cli {
namespace {

using nlohmann::json;

struct Change {
  std::string text;  // one line, as printed
  json request;
};

struct ApplyOptions {
  std::string file;
  bool dry_run = false;
  bool json = false;
};

// The function name a user writes for a stored one ("iface#greet" -> "greet").
std::string short_name(const std::string& stored) {
  const auto hash = stored.rfind('#');
  return hash == std::string::npos ? stored : stored.substr(hash + 1);
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "all functions" : out;
}

class Planner {
 public:
  explicit Planner(Session& session) : session_(session) {}

  // What the module is now: inspect's answer, or null when not installed.
  Result<json> current(const std::string& id) {
    json request = make_request(ManagementOperation::Inspect);
    request["id"] = id;
    ORIVON_TRY(auto reply, session_.perform(request));
    if (reply.reply.value("ok", false)) return field(reply.reply, "result");
    Error error = error_from_reply(reply.reply);
    if (error.code() == ErrorCode::NotFound) return json(nullptr);
    return error;
  }

  Result<json> config(const std::string& id) {
    json request = make_request(ManagementOperation::Config);
    request["id"] = id;
    ORIVON_TRY(auto reply, session_.perform(request));
    if (!reply.reply.value("ok", false)) return error_from_reply(reply.reply);
    return field(reply.reply, "result");
  }

  Result<void> plan_module(const AppModule& module, std::vector<Change>& changes) {
    ORIVON_TRY(auto now, current(module.id));
    const bool installed = !now.is_null();
    // The routes the module's manifest brings: the installed one's, or the
    // one the add below sends.
    std::set<std::string> manifest_routes = installed_manifest_routes(now);
    if (!installed && module.file.empty()) {
      return Error(ErrorCode::NotFound, "'" + module.id +
                                            "' is not installed and the file gives no 'file' "
                                            "to install it from");
    }
    if (!module.file.empty()) {
      std::ifstream stream(module.file, std::ios::binary);
      if (!stream) {
        return Error(ErrorCode::NotFound, "'" + module.id + "': cannot read " + module.file.string());
      }
      std::vector<char> bytes((std::istreambuf_iterator<char>(stream)), {});
      const std::string hash = module_content_hash(std::as_bytes(std::span(bytes)));
      if (!installed) {
        json request = make_request(ManagementOperation::Add);
        request["file"] = module.file.string();
        request["id"] = module.id;
        // The manifest named, or NAME.toml / NAME.json beside NAME.wasm, as `add` does.
        std::optional<std::string> manifest = sibling_manifest(module.file);
        if (!module.manifest.empty()) manifest = module.manifest.string();
        if (manifest) {
          auto member = manifest_member(*manifest);
          if (!member) {
            return Error(member.error().code(), "'" + module.id + "': " + member.error().message());
          }
          ORIVON_TRY(manifest_routes, added_manifest_routes(module, *manifest, *member));
          request["manifest"] = std::move(*member);
        }
        changes.push_back({"+ add " + module.id + " (" + module.file.string() + ")", request});
      } else if (field(now, "content_hash") != hash) {
        json request = make_request(ManagementOperation::Update);
        request["id"] = module.id;
        request["file"] = module.file.string();
        changes.push_back({"~ update " + module.id + " (its code changed)", request});
      }
    }
    plan_grants(module, now, changes);
    plan_calls(module, now, changes);
    ORIVON_RETURN_IF_ERROR(plan_config(module, installed, changes));
    ORIVON_RETURN_IF_ERROR(plan_subscriptions(module, changes));
    ORIVON_RETURN_IF_ERROR(plan_routes(module, manifest_routes, changes));
    plan_start(module, now, changes);
    return ok();
  }

 private:
  void plan_grants(const AppModule& module, const json& now, std::vector<Change>& changes) {
    std::set<std::string> granted;
    if (const auto& grants = field(now, "grants"); grants.is_array()) {
      for (const auto& grant : grants) {
        if (grant.value("status", "") == "granted") granted.insert(grant.value("grant", ""));
      }
    }
    for (const auto& grant : module.allow) {
      if (granted.count(grant)) continue;
      json request = make_request(ManagementOperation::Allow);
      request["id"] = module.id;
      request["grants"] = json::array({grant});
      changes.push_back({"+ allow " + module.id + " " + grant, request});
    }
    for (const auto& grant : granted) {
      if (module.allow.count(grant)) continue;
      json request = make_request(ManagementOperation::Deny);
      request["id"] = module.id;
      request["grants"] = json::array({grant});
      changes.push_back({"- deny " + module.id + " " + grant + " (no longer in the file)", request});
    }
  }

  void plan_calls(const AppModule& module, const json& now, std::vector<Change>& changes) {
    std::map<std::string, std::set<std::string>> held;
    if (const auto& may_call = field(now, "may_call"); may_call.is_array()) {
      for (const auto& grant : may_call) {
        auto& functions = held[grant.value("target", "")];
        if (const auto& names = field(grant, "functions"); names.is_array()) {
          for (const auto& name : names) {
            if (name.is_string()) functions.insert(short_name(name.get<std::string>()));
          }
        }
      }
    }
    auto revoke = [&](const std::string& target, const std::string& why) {
      json request = make_request(ManagementOperation::Revoke);
      request["caller"] = module.id;
      request["target"] = target;
      request["functions"] = json::array();
      changes.push_back({"- revoke " + module.id + " -> " + target + why, request});
    };
    for (const auto& [target, functions] : module.calls) {
      auto found = held.find(target);
      std::set<std::string> wanted;
      for (const auto& name : functions) wanted.insert(short_name(name));
      if (found != held.end() && found->second == wanted) continue;
      if (found != held.end()) revoke(target, " (to grant what the file says)");
      json request = make_request(ManagementOperation::Grant);
      request["caller"] = module.id;
      request["target"] = target;
      request["functions"] = json(std::vector<std::string>(functions.begin(), functions.end()));
      changes.push_back({"+ grant " + module.id + " -> " + target + ": " + join(functions), request});
    }
    for (const auto& [target, functions] : held) {
      if (!module.calls.count(target)) revoke(target, " (no longer in the file)");
    }
  }

  Result<void> plan_config(const AppModule& module, bool installed, std::vector<Change>& changes) {
    std::map<std::string, std::string> client;  // the client's values now
    if (installed) {
      ORIVON_TRY(auto now, config(module.id));
      if (const auto& entries = field(now, "entries"); entries.is_array()) {
        for (const auto& entry : entries) {
          if (entry.value("source", "") == "client") {
            client[entry.value("key", "")] = entry.value("value", "");
          }
        }
      }
    }
    for (const auto& [key, value] : module.config) {
      auto found = client.find(key);
      if (found != client.end() && found->second == value) continue;
      json request = make_request(ManagementOperation::ConfigSet);
      request["id"] = module.id;
      request["key"] = key;
      request["value"] = value;
      changes.push_back({"~ config " + module.id + " " + key + " = " + json(value).dump(), request});
    }
    for (const auto& [key, value] : client) {
      if (module.config.count(key)) continue;
      json request = make_request(ManagementOperation::ConfigUnset);
      request["id"] = module.id;
      request["key"] = key;
      changes.push_back({"- config " + module.id + " " + key + " (no longer in the file)", request});
    }
    return ok();
  }

  // The client's subscriptions of the module (a manifest's are its own).
  Result<void> plan_subscriptions(const AppModule& module, std::vector<Change>& changes) {
    if (!events_) {
      ORIVON_TRY(auto reply, session_.perform(make_request(ManagementOperation::Events)));
      if (!reply.reply.value("ok", false)) return error_from_reply(reply.reply);
      events_ = field(reply.reply, "result");
    }
    std::set<std::string> held;
    if (const auto& subscriptions = field(*events_, "subscriptions"); subscriptions.is_array()) {
      for (const auto& s : subscriptions) {
        if (s.value("subscriber", "") == module.id && s.value("source", "") == "client") {
          held.insert(s.value("pattern", ""));
        }
      }
    }
    for (const auto& pattern : module.subscribe) {
      if (held.count(pattern)) continue;
      json request = make_request(ManagementOperation::Subscribe);
      request["id"] = module.id;
      request["pattern"] = pattern;
      changes.push_back({"+ subscribe " + module.id + " " + pattern, request});
    }
    for (const auto& pattern : held) {
      if (module.subscribe.count(pattern)) continue;
      json request = make_request(ManagementOperation::Unsubscribe);
      request["id"] = module.id;
      request["pattern"] = pattern;
      changes.push_back({"- unsubscribe " + module.id + " " + pattern + " (no longer in the file)",
                         request});
    }
    return ok();
  }

  // The routes (normal form, route_key) of the http triggers of an
  // installed module's manifest, as inspect lists them.
  static std::set<std::string> installed_manifest_routes(const json& now) {
    std::set<std::string> routes;
    if (const auto& triggers = field(now, "triggers"); triggers.is_array()) {
      for (const auto& trigger : triggers) {
        if (trigger.value("kind", "") == "http") routes.insert(route_key(trigger.value("route", "")));
      }
    }
    return routes;
  }

  // The same for a manifest file the plan sends with an add (`member` as
  // manifest_member made it); a manifest that does not parse is the add's
  // error, so it is reported now, before anything changes.
  static Result<std::set<std::string>> added_manifest_routes(const AppModule& module,
                                                             const std::string& path,
                                                             const json& member) {
    const std::string text = member.value("text", "");
    auto manifest = parse_manifest(text, manifest_format_for(path));
    if (!manifest) {
      return Error(manifest.error().code(),
                   "'" + module.id + "': " + path + ": " + manifest.error().message());
    }
    std::set<std::string> routes;
    for (const auto& trigger : manifest->triggers) {
      if (trigger.kind == Trigger::Kind::Http) routes.insert(route_key(trigger.route));
    }
    return routes;
  }

  // Routes to the module: the file's, compared as the host stores them
  // (host in lower case, no trailing slash on the prefix). The module's
  // manifest's routes (`manifest_routes`) are the module's own: they come
  // and go with it and its manifest, so apply neither adds nor removes them.
  Result<void> plan_routes(const AppModule& module, const std::set<std::string>& manifest_routes,
                           std::vector<Change>& changes) {
    if (!routes_) {
      ORIVON_TRY(auto reply, session_.perform(make_request(ManagementOperation::Routes)));
      if (!reply.reply.value("ok", false)) return error_from_reply(reply.reply);
      routes_ = field(reply.reply, "result");
    }
    std::map<std::string, std::string> held;  // normal form -> as stored
    if (routes_->is_array()) {
      for (const auto& route : *routes_) {
        if (route.value("id", "") != module.id) continue;
        const std::string text = route.value("route", "");
        held[route_key(text)] = text;
      }
    }
    std::set<std::string> wanted;
    for (const auto& route : module.routes) {
      wanted.insert(route_key(route));
      if (held.count(route_key(route)) || manifest_routes.count(route_key(route))) continue;
      json request = make_request(ManagementOperation::RouteAdd);
      request["route"] = route;
      request["id"] = module.id;
      changes.push_back({"+ route " + route + " -> " + module.id, request});
    }
    for (const auto& [key, stored] : held) {
      if (wanted.count(key) || manifest_routes.count(key)) continue;
      json request = make_request(ManagementOperation::RouteRemove);
      request["route"] = stored;
      changes.push_back({"- route " + stored + " (no longer in the file)", request});
    }
    return ok();
  }

  static std::string route_key(const std::string& route) {
    const auto slash = route.find('/');
    std::string host = route.substr(0, slash);
    std::string prefix = slash == std::string::npos ? "/" : route.substr(slash);
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
    return host + prefix;
  }

  void plan_start(const AppModule& module, const json& now, std::vector<Change>& changes) {
    if (!module.start) return;
    const bool autostart = field(now, "autostart").is_boolean() && field(now, "autostart").get<bool>();
    if (*module.start == autostart) return;
    json request = make_request(*module.start ? ManagementOperation::Start : ManagementOperation::Stop);
    request["id"] = module.id;
    changes.push_back({(*module.start ? "> start " : "< stop ") + module.id, request});
  }

  Session& session_;
  std::optional<json> events_;  // the subscriptions, read once
  std::optional<json> routes_;  // the HTTP routes, read once
};

int run_apply(const GlobalOptions& global, const ApplyOptions& options, std::ostream& out,
              std::ostream& err) {
  auto modules = parse_app(options.file);
  if (!modules) {
    err << "error: " << modules.error().message() << "\n";
    return kExitError;
  }
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << state_dir.error().to_string() << "\n";
    return kExitError;
  }
  auto session = Session::open(*state_dir, err);
  if (!session) {
    err << "error: " << session.error().to_string() << "\n";
    return kExitError;
  }
  err << (session->via_host() ? "(applied through the running host)\n"
                              : "(no host running: applied to the state directory directly)\n");
  // Every module is planned (and installed) before the grants between them:
  // a grant needs both ends installed, and a start needs its grants.
  Planner planner(*session);
  std::vector<Change> installs, rest, starts;
  for (const auto& module : *modules) {
    std::vector<Change> changes;
    if (auto planned = planner.plan_module(module, changes); !planned) {
      err << "error: " << planned.error().message() << "\n";
      return kExitError;
    }
    for (auto& change : changes) {
      const std::string op = change.request.value("op", "");
      auto& into = op == "add" || op == "update" ? installs : op == "start" || op == "stop" ? starts : rest;
      into.push_back(std::move(change));
    }
  }
  std::vector<Change> changes;
  for (auto* part : {&installs, &rest, &starts}) {
    for (auto& change : *part) changes.push_back(std::move(change));
  }
  std::size_t applied = 0;
  std::string failure;
  if (!options.dry_run) {
    for (const auto& change : changes) {
      auto reply = session->perform(change.request);
      if (!reply || !reply->reply.value("ok", false)) {
        failure = change.text + ": " +
                  (reply ? error_from_reply(reply->reply).message() : reply.error().to_string());
        break;
      }
      ++applied;
    }
  }
  // A failure is said on stderr (and, with --json, as {"error": ...} by the
  // CLI), naming how far the apply got.
  if (options.json && failure.empty()) {
    json listed = json::array();
    for (const auto& change : changes) listed.push_back(change.text);
    json result = {{"file", options.file},
                   {"dry_run", options.dry_run},
                   {"changes", listed},
                   {"applied", applied}};
    out << result.dump(2) << "\n";
  } else if (!options.json) {
    for (std::size_t i = 0; i < changes.size(); ++i) {
      if (!options.dry_run && i >= applied) break;  // what was made, up to a failure
      out << changes[i].text << "\n";
    }
    if (changes.empty()) {
      out << "nothing to change: " << modules->size() << " modules as the file says\n";
    } else if (options.dry_run) {
      out << "dry run: " << changes.size() << " changes, nothing changed\n";
    } else if (failure.empty()) {
      out << "applied " << applied << " changes\n";
    }
  }
  if (!failure.empty()) {
    err << "error: " << failure << "\n"
        << applied << " of " << changes.size()
        << " changes were applied before it; fix the cause and apply again\n";
    return kExitError;
  }
  return 0;
}

}  // namespace

CommandAction setup_apply(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ApplyOptions>();
  CLI::App* command = app.add_subcommand(
      "apply", "Make the modules an application file lists match it (install, grants, start)");
  command->add_option("FILE", options->file, "The application file (TOML)")->required();
  command->add_flag("--dry-run", options->dry_run, "Say what would change; change nothing");
  command->add_flag("--json", options->json,
                    "Print {file, dry_run, changes, applied} as JSON (a failure: {error})");
  command->footer(
      "An application file lists modules as [[module]] tables:\n"
      "  [[module]]\n"
      "  id = \"app.front.demo\"\n"
      "  file = \"front.wasm\"              # relative to the file; installed or updated\n"
      "  manifest = \"front.toml\"          # optional\n"
      "  allow = [\"kv:visits:rw\"]         # exactly these system grants\n"
      "  calls = { \"app.stats.go\" = [\"record\"], \"lib.text.demo\" = [] }   # [] = all\n"
      "  members = [\"app.greeter.en\"]     # a group's members\n"
      "  config = { greeting = \"hi\" }     # the client's values (wasi:config)\n"
      "  subscribe = [\"visits.*\"]        # the client's event subscriptions\n"
      "  routes = [\"/hello\"]             # inbound HTTP routes to it ([HOST]/PREFIX)\n"
      "  start = true                      # started (false: stopped; absent: left alone)\n"
      "Modules the file does not list are left alone. A second apply changes nothing.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_apply(global, *options, out, err);
  };
}

}  // namespace orivon::cli
