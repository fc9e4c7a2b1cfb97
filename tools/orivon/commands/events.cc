// `orivon events [--json]`: subscriptions with their queues, topics and dead
// letters. `orivon events dead [--requeue | --purge] [--json]`: the dead
// letters, or put them back in their queues, or delete them.

#include <iomanip>
#include <memory>
#include <sstream>

#include "cli.h"
#include "commands/commands.h"

namespace orivon::cli {
namespace {

struct EventsOptions {
  bool json = false;
};

struct DeadOptions {
  bool requeue = false;
  bool purge = false;
  std::size_t max = 100;
  bool json = false;
};

std::string number(const nlohmann::json& value) {
  return value.is_number() ? value.dump() : "-";
}

void print_report(const nlohmann::json& result, std::ostream& out) {
  const auto& subscriptions = field(result, "subscriptions");
  if (!subscriptions.is_array() || subscriptions.empty()) {
    out << "no subscriptions\n";
  } else {
    out << std::left << std::setw(6) << "ID" << std::setw(32) << "SUBSCRIBER" << std::setw(24)
        << "PATTERN" << std::setw(11) << "KIND" << std::right << std::setw(9) << "PENDING"
        << std::setw(11) << "DELIVERED" << std::setw(13) << "REDELIVERED" << std::setw(9)
        << "DROPPED" << std::setw(6) << "DEAD" << "\n";
    for (const auto& s : subscriptions) {
      out << std::left << std::setw(6) << number(field(s, "id")) << std::setw(32)
          << s.value("subscriber", "") << std::setw(24) << s.value("pattern", "")
          << std::setw(11) << s.value("durability", "") << std::right << std::setw(9)
          << number(field(s, "pending")) << std::setw(11) << number(field(s, "delivered"))
          << std::setw(13) << number(field(s, "redelivered")) << std::setw(9)
          << number(field(s, "dropped")) << std::setw(6) << number(field(s, "dead")) << "\n";
    }
  }
  const auto& topics = field(result, "topics");
  if (topics.is_array() && !topics.empty()) {
    out << "topics published since the host started:\n";
    for (const auto& t : topics) {
      out << "  " << t.value("topic", "") << "  " << number(field(t, "published")) << "\n";
    }
  }
  out << "dead letters: " << number(field(result, "dead_letters"))
      << " (orivon events dead)\n";
  if (const auto cluster = result.find("cluster"); cluster != result.end() && cluster->is_object()) {
    out << "NATS " << cluster->value("url", "") << " as host '" << cluster->value("host", "")
        << "': " << cluster->value("state", "") << "; sent " << number(field(*cluster, "sent"))
        << ", received " << number(field(*cluster, "received")) << ", outbox "
        << number(field(*cluster, "outbox")) << "\n";
    if (const std::string error = cluster->value("last_error", ""); !error.empty()) {
      out << "  last error: " << error << "\n";
    }
  }
}

void print_dead(const nlohmann::json& result, std::ostream& out) {
  if (result.contains("requeued")) {
    out << "requeued " << number(field(result, "requeued")) << " dead letters\n";
    return;
  }
  if (result.contains("purged")) {
    out << "purged " << number(field(result, "purged")) << " dead letters\n";
    return;
  }
  if (!result.is_array() || result.empty()) {
    out << "no dead letters\n";
    return;
  }
  for (const auto& dead : result) {
    out << "#" << number(field(dead, "id")) << " " << dead.value("subscriber", "") << " on "
        << dead.value("topic", "") << " from " << dead.value("publisher", "") << ", "
        << number(field(dead, "attempts")) << " attempts: " << dead.value("reason", "") << "\n"
        << "    data: " << dead.value("data", "") << "\n";
  }
}

}  // namespace

CommandAction setup_events(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<EventsOptions>();
  auto dead = std::make_shared<DeadOptions>();
  CLI::App* command = app.add_subcommand(
      "events", "Subscriptions, queue depths, drops, redeliveries and dead letters");
  command->add_flag("--json", options->json,
                    "Print {subscriptions: [{id, subscriber, pattern, durability, source, pending, "
                    "delivered, redelivered, dropped, dead}], topics: [{topic, published}], "
                    "dead_letters, cluster?: {url, host, state, last_error, sent, sent_core, "
                    "received, outbox, max_payload, remote_durable_patterns}} (cluster: a host "
                    "on --nats)");
  command->footer(
      "Counters are the running host's since it started; without a host only the persisted\n"
      "subscriptions, their waiting durable events and the dead letters are shown.");
  CLI::App* dead_command = command->add_subcommand(
      "dead", "Durable events that failed every delivery (and what to do with them)");
  auto* requeue = dead_command->add_flag(
      "--requeue", dead->requeue, "Put every dead letter back at the end of its queue");
  auto* purge = dead_command->add_flag("--purge", dead->purge, "Delete every dead letter");
  requeue->excludes(purge);
  dead_command->add_option("--max", dead->max, "List at most this many (default 100)");
  dead_command->add_flag("--json", dead->json,
                         "Print JSON: an array of {id, subscriber, topic, publisher, data, "
                         "attempts, reason, ...}, or {requeued} / {purged}");
  return [options, dead, dead_command, &global](std::ostream& out, std::ostream& err) {
    if (dead_command->parsed()) {
      nlohmann::json request = make_request(ManagementOperation::DeadLetters);
      request["action"] = dead->requeue ? "requeue" : dead->purge ? "purge" : "list";
      request["max"] = dead->max;
      return perform_and_print(global, request, dead->json, print_dead, out, err);
    }
    return perform_and_print(global, make_request(ManagementOperation::Events), options->json,
                             print_report, out, err);
  };
}

}  // namespace orivon::cli
