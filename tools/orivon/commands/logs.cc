// `orivon logs ID | --all [-f] [-t] [--tail N] [--since T] [--json]`: what
// services wrote and the runtime's notes about them, read from the log files
// in the state directory (with or without a running host); --follow then
// asks the running host for new lines.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "commands/management.h"
#include "host/requests.h"
#include "host/session.h"
#include "orivon/log_files.h"
#include "orivon/runtime.h"
#include "orivon/units.h"

namespace orivon::cli {
namespace {

struct LogsOptions {
  std::string id;
  bool all = false;
  bool follow = false;
  bool timestamps = false;
  std::string tail;
  CLI::Option* tail_option = nullptr;  // set: --tail was given
  std::string since;
  CLI::Option* since_option = nullptr;  // set: --since was given
  bool json = false;
};

// How often --follow asks for new lines.
constexpr auto kFollowInterval = std::chrono::milliseconds(200);
// Records the host keeps in memory per service are fewer than this: one
// request reads them all.
constexpr std::uint64_t kRingRead = 10'000;

class Printer {
 public:
  Printer(const LogsOptions& options, std::size_t id_width, std::ostream& out)
      : options_(options), id_width_(id_width), out_(out) {}

  void print(const std::string& id, const LogEntry& entry) {
    if (options_.json) {
      nlohmann::json line = {{"time_ms", entry.time_ms}, {"stream", entry.stream},
                             {"text", entry.text}};
      if (options_.all) line["id"] = id;
      if (entry.sequence != 0) line["sequence"] = entry.sequence;
      out_ << to_line(line);
      return;
    }
    // Like `docker compose logs`: the service, padded, then a bar.
    if (options_.all) out_ << id << std::string(id_width_ - std::min(id_width_, id.size()), ' ') << " | ";
    if (options_.timestamps) out_ << format_log_time(entry.time_ms) << " ";
    out_ << "[" << entry.stream << "] " << entry.text << "\n";
  }

 private:
  const LogsOptions& options_;
  const std::size_t id_width_;
  std::ostream& out_;
};

bool same_record(const LogEntry& a, const nlohmann::json& b) {
  return a.time_ms == b.value("time_ms", std::int64_t{-1}) && a.stream == b.value("stream", "") &&
         a.text == b.value("text", "");
}

// Asks the host for the lines of `id` it holds in memory, newer than
// sequence `after`.
Result<nlohmann::json> ring_after(Session& session, const std::string& id, std::uint64_t after) {
  nlohmann::json request = make_request(ManagementOperation::Logs);
  request["id"] = id;
  request["after"] = after;
  request["max"] = kRingRead;
  ORIVON_TRY(auto reply, session.perform(request));
  if (!reply.reply.value("ok", false)) return error_from_reply(reply.reply);
  const auto& entries = field(reply.reply, "result");
  return entries.is_array() ? entries : nlohmann::json::array();
}

LogEntry entry_from(const nlohmann::json& json) {
  return LogEntry{json.value("sequence", std::uint64_t{0}), json.value("time_ms", std::int64_t{0}),
                  json.value("stream", ""), json.value("text", "")};
}

// One module followed: where its files ended and, once the host's memory
// was matched against that, the last sequence number printed.
struct Followed {
  std::string id;
  std::optional<LogEntry> last;  // the files' last record when they were read
  bool synced = false;           // `after` found in the host's memory
  std::uint64_t after = 0;
};

// After the files: what the host writes from now on. The files end with
// `last`; the host's memory holds the same records with sequence numbers, so
// following starts after `last` there (or at the start of its memory if it
// holds nothing the files had). With --all, modules whose log file appears
// later are followed from their first line, and a module removed meanwhile
// is dropped; each poll's lines are printed in time order.
int follow(const std::filesystem::path& state_dir, std::vector<Followed> modules,
           const LogsOptions& options, Printer& printer, std::ostream& out, std::ostream& err) {
  auto session = Session::open(state_dir, err);
  if (!session) {
    err << "error: " << noted(session.error()).to_string() << "\n";
    return kExitError;
  }
  if (!session->via_host()) {
    noted(Error(ErrorCode::FailedPrecondition, ""));
    err << "error: --follow needs a running host ('orivon up'); the lines above are all the "
           "log files hold\n";
    return kExitError;
  }
  std::set<std::string> removed;  // with --all: their files stay, they are not followed
  while (true) {
    if (options.all) {
      // Modules that began to log since the last look.
      if (auto ids = logged_modules(state_dir)) {
        for (const auto& id : *ids) {
          const bool known = removed.contains(id.str()) ||
                             std::any_of(modules.begin(), modules.end(),
                                         [&](const Followed& m) { return m.id == id.str(); });
          if (!known) modules.push_back(Followed{id.str(), std::nullopt, false, 0});
        }
      }
    }
    std::vector<std::pair<std::string, LogEntry>> batch;
    for (auto module = modules.begin(); module != modules.end();) {
      auto held = ring_after(*session, module->id, module->synced ? module->after : 0);
      if (!held) {
        // With --all a module removed meanwhile is dropped; anything else
        // (the host gone) ends the command.
        if (options.all && held.error().code() == ErrorCode::NotFound) {
          removed.insert(module->id);
          module = modules.erase(module);
          continue;
        }
        err << "error: " << noted(held.error()).message() << "\n";
        return kExitError;
      }
      if (!module->synced) {
        if (module->last) {
          for (auto entry = held->rbegin(); entry != held->rend(); ++entry) {
            if (same_record(*module->last, *entry)) {
              module->after = entry->value("sequence", std::uint64_t{0});
              break;
            }
          }
        }
        module->synced = true;
      }
      for (const auto& entry : *held) {
        const auto sequence = entry.value("sequence", std::uint64_t{0});
        if (sequence <= module->after) continue;
        module->after = sequence;
        batch.emplace_back(module->id, entry_from(entry));
      }
      ++module;
    }
    std::stable_sort(batch.begin(), batch.end(), [](const auto& a, const auto& b) {
      return a.second.time_ms < b.second.time_ms;
    });
    for (const auto& [id, entry] : batch) printer.print(id, entry);
    out.flush();
    std::this_thread::sleep_for(kFollowInterval);
  }
}

int run_logs(const GlobalOptions& global, const LogsOptions& options, std::ostream& out,
             std::ostream& err) {
  if (options.all == !options.id.empty()) {
    err << "error: name one module (orivon logs ID) or every one (orivon logs --all)\n";
    return kExitUsage;
  }
  if (!options.all && !are_valid_ids({options.id}, err)) return kExitUsage;
  LogQuery query;
  if (options.tail_option != nullptr && options.tail_option->count() > 0) {
    auto tail = parse_count(options.tail);
    if (!tail) {
      err << "error: --tail: " << noted(tail.error()).message() << "\n";
      return kExitUsage;
    }
    query.tail = *tail;
  }
  if (options.since_option != nullptr && options.since_option->count() > 0) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto since = parse_log_since(options.since, now);
    if (!since) {
      err << "error: --since: " << noted(since.error()).message() << "\n";
      return kExitUsage;
    }
    query.since_ms = *since;
  }
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << noted(state_dir.error()).to_string() << "\n";
    return kExitError;
  }

  if (options.all) {
    auto history = read_all_log_files(*state_dir, query);
    if (!history) {
      err << "error: " << noted(history.error()).to_string() << "\n";
      return kExitError;
    }
    std::size_t width = 0;
    for (const auto& entry : history->entries) width = std::max(width, entry.module.str().size());
    Printer printer(options, width, out);
    for (const auto& entry : history->entries) printer.print(entry.module.str(), entry.entry);
    if (history->truncated) {
      err << "(older lines left out: more than " << kMaxLogHistoryRecords << " lines or "
          << (kMaxLogHistoryBytes >> 20) << " MiB)\n";
    }
    out.flush();
    if (!options.follow) return 0;
    // Modules with empty files are found by follow() as it looks for new ones.
    std::vector<Followed> modules;
    for (const auto& last : history->last) {
      modules.push_back(Followed{last.module.str(), last.entry, false, 0});
    }
    return follow(*state_dir, std::move(modules), options, printer, out, err);
  }

  auto id = ModuleId::parse(options.id);
  auto history = read_log_files(*state_dir, *id, query);
  if (!history) {
    err << "error: " << noted(history.error()).to_string() << "\n";
    return kExitError;
  }
  if (!history->last) {
    // No files: an unknown id is an error, a module that never ran is not.
    nlohmann::json request = make_request(ManagementOperation::Inspect);
    request["id"] = options.id;
    auto reply = perform(*state_dir, request, err);
    if (!reply) {
      err << "error: " << noted(reply.error()).to_string() << "\n";
      return kExitError;
    }
    if (!reply->reply.value("ok", false)) {
      err << "error: " << noted(error_from_reply(reply->reply)).message() << "\n";
      return kExitError;
    }
  }
  Printer printer(options, 0, out);
  for (const auto& entry : history->entries) printer.print(options.id, entry);
  if (history->truncated) {
    err << "(older lines left out: more than " << kMaxLogHistoryRecords << " lines or "
        << (kMaxLogHistoryBytes >> 20) << " MiB)\n";
  }
  out.flush();
  if (!options.follow) return 0;
  return follow(*state_dir, {Followed{options.id, history->last, false, 0}}, options, printer,
                out, err);
}

}  // namespace

CommandAction setup_logs(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LogsOptions>();
  CLI::App* command = app.add_subcommand(
      "logs", "Show what services wrote and the runtime's notes about them (crashes, restarts)");
  command->add_option("ID", options->id, "The module's id");
  command->add_flag("--all", options->all,
                    "Every module's lines, interleaved by time, each prefixed with its id");
  command->add_flag("-f,--follow", options->follow,
                    "Keep printing new lines until interrupted (needs a running host)");
  command->add_flag("-t,--timestamps", options->timestamps,
                    "Start each line with its time (RFC 3339, UTC)");
  options->tail_option =
      command->add_option("--tail", options->tail, "Only the last N lines (of each module)")
          ->type_name("N");
  options->since_option = command->add_option("--since", options->since,
                      "Only lines since a time: a duration ago (10m, 1h30m) or an RFC 3339 time "
                      "(2026-12-03T10:00:00Z)")
      ->type_name("TIME");
  command->add_flag("--json", options->json,
                    "One JSON object per line: time_ms, stream, text (id with --all; sequence "
                    "for lines followed from the host)");
  command->footer(
      "Lines come from the log files in the state directory (logs/ID.log and the files rotated\n"
      "out of it), so a host need not run. --all reads every module that has a log file,\n"
      "removed ones too. Streams: [out] and [err] are the module's, [orivon] the runtime's.\n"
      "\n"
      "Examples:\n"
      "  orivon logs app.node.example --tail 20 -t\n"
      "  orivon logs --all --since 10m\n"
      "  orivon logs -f app.node.example");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_logs(global, *options, out, err);
  };
}

}  // namespace orivon::cli
