// `orivon kv create|drop|buckets|get|set|delete|keys`: key-value buckets, the
// ones modules open through wasi:keyvalue. Through the running host when
// there is one, else on the state directory: the same buckets either way.

#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "host/base64.h"

namespace orivon::cli {
namespace {

struct KvOptions {
  std::string bucket;
  std::string key;
  std::string value;
  std::string file;
  std::string scope = "local";
  std::string prefix;
  std::string after;
  std::uint64_t limit = 1000;
  std::uint64_t max_value_bytes = 0;
  std::uint64_t max_keys = 0;
  std::uint64_t max_bytes = 0;
  bool json = false;
};

struct KvCommands {
  CLI::App* create = nullptr;
  CLI::App* drop = nullptr;
  CLI::App* buckets = nullptr;
  CLI::App* get = nullptr;
  CLI::App* set = nullptr;
  CLI::App* remove = nullptr;
  CLI::App* keys = nullptr;
};

nlohmann::json kv_request(std::string_view action) {
  nlohmann::json request = make_request(ManagementOperation::Kv);
  request["action"] = std::string(action);
  return request;
}

std::string number_text(const nlohmann::json& value) {
  return value.is_number() ? value.dump() : "?";
}

// A bucket's limit: the largest number means none (a region or global
// bucket has no key limit of its own).
std::string limit_text(const nlohmann::json& limit, const char* unit) {
  if (limit.is_number_unsigned() &&
      limit.get<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max()) {
    return std::string("no ") + unit + " limit";
  }
  return number_text(limit) + " " + unit + "s";
}

void print_bucket(const nlohmann::json& bucket, std::ostream& out) {
  out << field(bucket, "name").get<std::string>() << "  " << field(bucket, "scope").get<std::string>()
      << "  " << number_text(field(bucket, "keys")) << " keys, " << number_text(field(bucket, "bytes"))
      << " bytes (limits: " << limit_text(field(bucket, "max_keys"), "key") << ", "
      << limit_text(field(bucket, "max_bytes"), "byte") << ", values up to "
      << number_text(field(bucket, "max_value_bytes")) << " bytes)\n";
}

// The value to set: the VALUE argument, or the bytes of --file ("-": stdin).
bool read_value(const KvOptions& options, std::string& value, std::ostream& err) {
  if (options.file.empty()) {
    value = options.value;
    return true;
  }
  if (!options.value.empty()) {
    err << "error: give the value or --file, not both\n";
    return false;
  }
  std::ostringstream bytes;
  if (options.file == "-") {
    bytes << std::cin.rdbuf();
  } else {
    std::ifstream in(options.file, std::ios::binary);
    if (!in) {
      err << "error: cannot read '" << options.file << "'\n";
      return false;
    }
    bytes << in.rdbuf();
  }
  value = bytes.str();
  return true;
}

int run_kv(const GlobalOptions& global, const KvCommands& commands, const KvOptions& options,
           std::ostream& out, std::ostream& err) {
  if (commands.buckets->parsed()) {
    return perform_and_print(
        global, kv_request("buckets"), options.json,
        [](const nlohmann::json& buckets, std::ostream& text) {
          if (!buckets.is_array() || buckets.empty()) {
            text << "no buckets\n";
            return;
          }
          for (const auto& bucket : buckets) print_bucket(bucket, text);
        },
        out, err);
  }
  nlohmann::json request;
  TextPrinter print;
  if (commands.create->parsed()) {
    request = kv_request("create");
    request["scope"] = options.scope;
    if (options.max_value_bytes) request["max_value_bytes"] = options.max_value_bytes;
    if (options.max_keys) request["max_keys"] = options.max_keys;
    if (options.max_bytes) request["max_bytes"] = options.max_bytes;
    print = [](const nlohmann::json& bucket, std::ostream& text) {
      text << "created ";
      print_bucket(bucket, text);
    };
  } else if (commands.drop->parsed()) {
    request = kv_request("drop");
    print = [&](const nlohmann::json&, std::ostream& text) {
      text << "dropped " << options.bucket << "\n";
    };
  } else if (commands.keys->parsed()) {
    request = kv_request("keys");
    if (!options.prefix.empty()) request["prefix"] = options.prefix;
    if (!options.after.empty()) request["after"] = options.after;
    request["limit"] = options.limit;
    print = [](const nlohmann::json& page, std::ostream& text) {
      const auto& keys = field(page, "keys");
      if (keys.is_array()) {
        for (const auto& key : keys) text << (key.is_string() ? key.get<std::string>() : "") << "\n";
      }
      const auto& next = field(page, "next");
      if (next.is_string()) text << "(more: --after '" << next.get<std::string>() << "')\n";
    };
  } else if (commands.get->parsed()) {
    request = kv_request("get");
    request["key"] = options.key;
    print = [](const nlohmann::json& entry, std::ostream& text) {
      const auto& encoded = field(entry, "value_base64");
      auto value = base64_decode(encoded.is_string() ? encoded.get<std::string>() : "");
      if (value) text.write(reinterpret_cast<const char*>(value->data()), value->size());
    };
  } else if (commands.set->parsed()) {
    std::string value;
    if (!read_value(options, value, err)) return kExitUsage;
    request = kv_request("set");
    request["key"] = options.key;
    request["value_base64"] =
        base64_encode({reinterpret_cast<const std::byte*>(value.data()), value.size()});
    print = [&](const nlohmann::json& reply, std::ostream& text) {
      text << "set " << options.bucket << " " << options.key << " (version "
           << number_text(field(reply, "version")) << ")\n";
    };
  } else if (commands.remove->parsed()) {
    request = kv_request("delete");
    request["key"] = options.key;
    print = [&](const nlohmann::json& reply, std::ostream& text) {
      const bool deleted = field(reply, "deleted").is_boolean() && field(reply, "deleted").get<bool>();
      text << (deleted ? "deleted " : "no such key: ") << options.bucket << " " << options.key
           << "\n";
    };
  } else {
    err << "error: name a kv command (create, drop, buckets, get, set, delete, keys)\n";
    return kExitUsage;
  }
  request["bucket"] = options.bucket;
  return perform_and_print(global, request, options.json, print, out, err);
}

}  // namespace

CommandAction setup_kv(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<KvOptions>();
  auto commands = std::make_shared<KvCommands>();
  CLI::App* kv = app.add_subcommand("kv", "Key-value buckets: orivon kv COMMAND ...");
  kv->require_subcommand(1);
  kv->footer(
      "A bucket is a name (A-Z a-z 0-9 _ -, up to 64) or @MODULE-ID, a module's private\n"
      "bucket. Modules open buckets through wasi:keyvalue: a named one with the grant\n"
      "kv:NAME:ro or kv:NAME:rw (orivon allow), their private one (open(\"\")) always.\n\n"
      "Examples:\n"
      "  orivon kv create visits\n"
      "  orivon allow app.front.web kv:visits:rw\n"
      "  orivon kv set visits home 0\n"
      "  orivon kv get visits home\n"
      "  orivon kv keys @app.front.web --prefix session/ --json");
  const std::string bucket_help = "Bucket name, or @MODULE-ID for a module's private bucket";

  commands->create = kv->add_subcommand("create", "Create a bucket: orivon kv create NAME");
  commands->create->add_option("NAME", options->bucket, "Bucket name")->required();
  commands->create
      ->add_option("--scope", options->scope,
                   "local (this host's kv.db), or region or global: a JetStream bucket shared by "
                   "every host on the NATS server of a host started with 'orivon up --nats'")
      ->check(CLI::IsMember({"local", "region", "global"}));
  commands->create->add_option("--max-value-bytes", options->max_value_bytes,
                               "Largest value (default 1048576)");
  commands->create->add_option("--max-keys", options->max_keys, "Most keys (default 1000000)");
  commands->create->add_option("--max-bytes", options->max_bytes,
                               "Most bytes of keys and values (default 1 GiB)");
  commands->create->add_flag("--json", options->json, "Print the bucket as JSON");

  commands->drop = kv->add_subcommand("drop", "Drop a bucket and every key in it");
  commands->drop->add_option("NAME", options->bucket, "Bucket name")->required();
  commands->drop->add_flag("--json", options->json, "Print the reply as JSON");

  commands->buckets = kv->add_subcommand("buckets", "List the buckets, private ones included");
  commands->buckets->add_flag("--json", options->json,
                              "Print a JSON array of {name, scope, keys, bytes, limits}");

  commands->get = kv->add_subcommand("get", "Print a key's value (raw bytes): orivon kv get BUCKET KEY");
  commands->get->add_option("BUCKET", options->bucket, bucket_help)->required();
  commands->get->add_option("KEY", options->key, "Key")->required();
  commands->get->add_flag("--json", options->json,
                          "Print {key, version, value_base64, expires_at_ms}");

  commands->set = kv->add_subcommand("set", "Set a key: orivon kv set BUCKET KEY (VALUE | --file F)");
  commands->set->add_option("BUCKET", options->bucket, bucket_help)->required();
  commands->set->add_option("KEY", options->key, "Key")->required();
  commands->set->add_option("VALUE", options->value, "Value (text)");
  commands->set->add_option("--file", options->file, "Read the value from a file ('-': stdin)");
  commands->set->add_flag("--json", options->json, "Print {key, version}");

  commands->remove = kv->add_subcommand("delete", "Delete a key: orivon kv delete BUCKET KEY");
  commands->remove->add_option("BUCKET", options->bucket, bucket_help)->required();
  commands->remove->add_option("KEY", options->key, "Key")->required();
  commands->remove->add_flag("--json", options->json, "Print {key, deleted}");

  commands->keys = kv->add_subcommand("keys", "List keys in order: orivon kv keys BUCKET");
  commands->keys->add_option("BUCKET", options->bucket, bucket_help)->required();
  commands->keys->add_option("--prefix", options->prefix, "Only keys starting with this");
  commands->keys->add_option("--after", options->after, "Start after this key (a page's 'next')");
  commands->keys->add_option("--limit", options->limit, "Keys per page, 1 to 10000 (default 1000)");
  commands->keys->add_flag("--json", options->json, "Print {keys, next}");

  return [options, commands, &global](std::ostream& out, std::ostream& err) {
    return run_kv(global, *commands, *options, out, err);
  };
}

}  // namespace orivon::cli
