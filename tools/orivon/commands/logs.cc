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
#include <thread>

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

// Asks the host for the lines it holds in memory, newer than sequence
// `after`; nullopt after saying why on `err`.
std::optional<nlohmann::json> ring_after(Session& session, const std::string& id,
                                         std::uint64_t after, std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Logs);
  request["id"] = id;
  request["after"] = after;
  request["max"] = kRingRead;
  auto reply = session.perform(request);
  if (!reply) {
    err << "error: " << noted(reply.error()).to_string() << "\n";
    return std::nullopt;
  }
  if (!reply->reply.value("ok", false)) {
    err << "error: " << noted(error_from_reply(reply->reply)).message() << "\n";
    return std::nullopt;
  }
  const auto& entries = field(reply->reply, "result");
  return entries.is_array() ? entries : nlohmann::json::array();
}

LogEntry entry_from(const nlohmann::json& json) {
  return LogEntry{json.value("sequence", std::uint64_t{0}), json.value("time_ms", std::int64_t{0}),
                  json.value("stream", ""), json.value("text", "")};
}

// After the files: what the host writes from now on. The files end with
// `last`; the host's memory holds the same records with sequence numbers, so
// following starts after `last` there (or at the start of its memory if it
// holds nothing the files had).
int follow(const std::filesystem::path& state_dir, const std::string& id,
           const std::optional<LogEntry>& last, Printer& printer, std::ostream& out,
           std::ostream& err) {
  auto session = Session::open(state_dir, err);
  if (!session) {
    err << "error: " << noted(session.error()).to_string() << "\n";
    return kExitError;
  }
  if (!session->via_host()) {
    err << "error: --follow needs a running host ('orivon up'); the lines above are all the "
           "log files hold\n";
    return kExitError;
  }
  auto held = ring_after(*session, id, 0, err);
  if (!held) return kExitError;
  std::uint64_t after = 0;
  if (last) {
    for (auto entry = held->rbegin(); entry != held->rend(); ++entry) {
      if (same_record(*last, *entry)) {
        after = entry->value("sequence", std::uint64_t{0});
        break;
      }
    }
  }
  while (true) {
    for (const auto& entry : *held) {
      const auto sequence = entry.value("sequence", std::uint64_t{0});
      if (sequence <= after) continue;
      after = sequence;
      printer.print(id, entry_from(entry));
    }
    out.flush();
    std::this_thread::sleep_for(kFollowInterval);
    held = ring_after(*session, id, after, err);
    if (!held) return kExitError;
  }
}

int run_logs(const GlobalOptions& global, const LogsOptions& options, std::ostream& out,
             std::ostream& err) {
  if (options.all == !options.id.empty()) {
    err << "error: name one module (orivon logs ID) or every one (orivon logs --all)\n";
    return kExitUsage;
  }
  if (options.all && options.follow) {
    err << "error: --follow follows one module: orivon logs --follow ID\n";
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
    return 0;
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
  return follow(*state_dir, options.id, history->last, printer, out, err);
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
                    "Keep printing new lines until interrupted (one module; needs a running host)");
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
                    "One JSON object per line: time_ms, stream, text (and id with --all)");
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
