#include "core/strings.h"
#include "orivon/manifest.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
// toml++ 3.3 states some parser preconditions as TOML_ASSERT_ASSUME, and
// malformed input can break them: "[{a]", "[[=" or "a = [1,}]"
// (marzer/tomlplusplus#301). Compiled from its headers, that is an abort when
// asserts are on, and with NDEBUG under clang a __builtin_assume of something
// false: undefined behaviour. Once the check is out of the way toml++ reports
// these inputs as ordinary parse errors, and a hostile manifest must never do
// more than that. So here TOML_ASSERT is a no-op and toml++ is included
// without NDEBUG, which makes TOML_ASSERT_ASSUME that same no-op. (The
// packaged shared library that CMake links through pkg-config was built with
// GCC and NDEBUG, which already leaves the checks out.)
#ifndef TOML_ASSERT
#define TOML_ASSERT(expr) static_assert(true)
#endif
#ifdef NDEBUG
#define ORIVON_RESTORE_NDEBUG
#undef NDEBUG
#endif
#include <toml++/toml.h>
#ifdef ORIVON_RESTORE_NDEBUG
#undef ORIVON_RESTORE_NDEBUG
#define NDEBUG
#include <cassert>  // re-reads NDEBUG, so assert() below is off again
#endif

#include "core/config_rules.h"
#include "core/cron_schedule.h"
#include "core/limits.h"
#include "orivon/units.h"
#include "registry/toml_nesting.h"

namespace orivon {
namespace {

// Manifests are untrusted: every size is bounded so a hostile one cannot make
// the host allocate or loop without limit. The bounds are far above what a
// real manifest needs. Lengths in "characters" count UTF-8 code points (both
// parsers reject malformed UTF-8 before we see a string).
constexpr std::size_t kMaxManifestBytes = 64 * 1024;
// Tables, inline tables and arrays nested inside each other (see
// toml_nesting.h: deep nesting overflows toml++'s stack). A manifest uses
// three or four levels.
constexpr std::size_t kMaxTomlNesting = 32;
constexpr std::size_t kMaxVersionChars = 64;
constexpr std::size_t kMaxDescriptionChars = 4096;
constexpr std::size_t kMaxRequests = 256;
constexpr std::size_t kMaxRequestChars = 1024;
// Configuration: the limits every source of configuration shares.
constexpr std::size_t kMaxConfigEntries = limits::kMaxConfigEntries;
constexpr std::size_t kMaxConfigValueChars = limits::kMaxConfigValueChars;
constexpr std::size_t kMaxTriggers = 256;
constexpr std::size_t kMaxTriggerFieldChars = 1024;

// The parsed document, reduced to what validation needs and independent of
// the parser that produced it, so TOML and JSON share one validator and one
// set of messages. Conversion stops below kMaxTreeDepth: deeper containers
// are kept as empty shells (their type is all an error message needs), so a
// deeply nested hostile document never drives recursion here.
struct Field;

struct Value {
  enum class Type { String, Integer, Float, Bool, Array, Table, Other };
  Type type = Type::Other;
  // String: the content. Integer, Float, Bool: the canonical text of the
  // value. Other: a description of its type for messages ("null", "a date").
  std::string text;
  std::vector<Value> items;   // Array
  std::vector<Field> fields;  // Table, in source order
  std::uint32_t line = 0;     // 0 when the parser does not say
};

struct Field {
  std::string key;
  Value value;
};

// top-level table → triggers array → trigger table → field.
constexpr int kMaxTreeDepth = 3;

std::size_t char_count(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

// Shortest text that reads back as the same double.
std::string format_float(double number) {
  if (std::isnan(number)) return "nan";
  if (std::isinf(number)) return number < 0 ? "-inf" : "inf";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number);
  if (ec != std::errc()) return "nan";  // cannot happen: 64 bytes fit any double
  return std::string(buffer, end);
}

std::string_view kind_name(Trigger::Kind kind) {
  switch (kind) {
    case Trigger::Kind::Startup:
      return "startup";
    case Trigger::Kind::Timer:
      return "timer";
    case Trigger::Kind::Event:
      return "event";
    case Trigger::Kind::Http:
      return "http";
    case Trigger::Kind::Call:
      return "call";
  }
  return "call";
}

// "a timer trigger", "an event trigger".
std::string trigger_noun(Trigger::Kind kind) {
  const bool vowel = kind == Trigger::Kind::Event || kind == Trigger::Kind::Http;  // "an aitch"
  return std::string(vowel ? "an " : "a ") + std::string(kind_name(kind)) + " trigger";
}

// Levenshtein distance, to suggest the key a typo meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ", ";
    out += words[i];
  }
  return out;
}

// " (did you mean 'x'?)" when `key` is a likely typo of one of `known`.
std::string suggestion(std::string_view key, const std::vector<std::string_view>& known) {
  if (key.size() > 64) return "";
  for (std::string_view candidate : known) {
    // One slip in a short key, two in a longer one ("reqeusts").
    const std::size_t allowed = candidate.size() <= 4 ? 1 : 2;
    if (edit_distance(key, candidate) <= allowed) {
      return " (did you mean '" + std::string(candidate) + "'?)";
    }
  }
  return "";
}

std::string table_name(ManifestFormat format) {
  return format == ManifestFormat::Json ? "an object" : "a table";
}

// "a string", "an array"...: the type of `value` for messages.
std::string type_name(const Value& value, ManifestFormat format) {
  switch (value.type) {
    case Value::Type::String:
      return "a string";
    case Value::Type::Integer:
      return "an integer";
    case Value::Type::Float:
      return "a float";
    case Value::Type::Bool:
      return "a boolean";
    case Value::Type::Array:
      return "an array";
    case Value::Type::Table:
      return table_name(format);
    case Value::Type::Other:
      return value.text;
  }
  return value.text;
}

// ---------------------------------------------------------------------------
// Conversion from the parsers' trees.

Value convert_toml(const toml::node& node, int depth) {
  Value value;
  value.line = node.source().begin.line;
  switch (node.type()) {
    case toml::node_type::string:
      value.type = Value::Type::String;
      value.text = node.as_string()->get();
      break;
    case toml::node_type::integer:
      value.type = Value::Type::Integer;
      value.text = std::to_string(node.as_integer()->get());
      break;
    case toml::node_type::floating_point:
      value.type = Value::Type::Float;
      value.text = format_float(node.as_floating_point()->get());
      break;
    case toml::node_type::boolean:
      value.type = Value::Type::Bool;
      value.text = node.as_boolean()->get() ? "true" : "false";
      break;
    case toml::node_type::array:
      value.type = Value::Type::Array;
      if (depth < kMaxTreeDepth) {
        for (const toml::node& item : *node.as_array()) {
          value.items.push_back(convert_toml(item, depth + 1));
        }
      }
      break;
    case toml::node_type::table:
      value.type = Value::Type::Table;
      if (depth < kMaxTreeDepth) {
        for (const auto& [key, child] : *node.as_table()) {
          value.fields.push_back(Field{std::string(key.str()), convert_toml(child, depth + 1)});
        }
        // toml::table is ordered by key; report problems in reading order.
        const auto by_line = [](const Field& a, const Field& b) {
          return a.value.line < b.value.line;
        };
        std::stable_sort(value.fields.begin(), value.fields.end(), by_line);
      }
      break;
    case toml::node_type::date:
      value.text = "a date";
      break;
    case toml::node_type::time:
      value.text = "a time";
      break;
    case toml::node_type::date_time:
      value.text = "a date-time";
      break;
    case toml::node_type::none:
      value.text = "nothing";
      break;
  }
  return value;
}

using Json = nlohmann::ordered_json;

Value convert_json(const Json& node, int depth) {
  Value value;
  switch (node.type()) {
    case Json::value_t::string:
      value.type = Value::Type::String;
      value.text = node.get_ref<const std::string&>();
      break;
    case Json::value_t::number_integer:
      value.type = Value::Type::Integer;
      value.text = std::to_string(node.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      value.type = Value::Type::Integer;
      value.text = std::to_string(node.get<std::uint64_t>());
      break;
    case Json::value_t::number_float:
      value.type = Value::Type::Float;
      value.text = format_float(node.get<double>());
      break;
    case Json::value_t::boolean:
      value.type = Value::Type::Bool;
      value.text = node.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::array:
      value.type = Value::Type::Array;
      if (depth < kMaxTreeDepth) {
        for (const Json& item : node) value.items.push_back(convert_json(item, depth + 1));
      }
      break;
    case Json::value_t::object:
      value.type = Value::Type::Table;
      if (depth < kMaxTreeDepth) {
        for (const auto& [key, child] : node.items()) {
          value.fields.push_back(Field{key, convert_json(child, depth + 1)});
        }
      }
      break;
    case Json::value_t::null:
      value.text = "null";
      break;
    case Json::value_t::binary:
    case Json::value_t::discarded:
      value.text = "an unsupported value";
      break;
  }
  return value;
}

Error manifest_error(std::string message) {
  return Error(ErrorCode::InvalidArgument, "manifest: " + std::move(message));
}

Result<Value> parse_toml(std::string_view text) {
  if (registry::toml_nesting_depth(text, kMaxTomlNesting) > kMaxTomlNesting) {
    return manifest_error("tables, dotted keys and arrays nest more than " +
                          std::to_string(kMaxTomlNesting) +
                          " levels deep; a manifest needs a few");
  }
  try {
    toml::table root = toml::parse(text);
    return convert_toml(root, 0);
  } catch (const toml::parse_error& error) {
    return manifest_error("invalid TOML at line " + std::to_string(error.source().begin.line) +
                          ", column " + std::to_string(error.source().begin.column) + ": " +
                          std::string(error.description()));
  }
}

Result<Value> parse_json(std::string_view text) {
  // nlohmann keeps the last of duplicate keys without a word. A repeated
  // "requests" would silently drop grant requests, so duplicates are refused;
  // the callback sees every key with a stack of the keys of open objects.
  std::vector<std::set<std::string, std::less<>>> open_objects;
  std::string duplicate_key;
  auto find_duplicates = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get_ref<const std::string&>()).second &&
            duplicate_key.empty()) {
          duplicate_key = parsed.get_ref<const std::string&>();
        }
        break;
      default:
        break;
    }
    return true;
  };

  Json root;
  try {
    root = Json::parse(text.begin(), text.end(), find_duplicates, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const Json::exception& error) {
    // A parse_error (malformed text) or an out_of_range (a number too large
    // for a double). what() reads "[json.exception.parse_error.101] parse
    // error at line 1, ...".
    std::string_view what = error.what();
    if (const auto bracket = what.find("] "); bracket != std::string_view::npos) {
      what.remove_prefix(bracket + 2);
    }
    return manifest_error("invalid JSON: " + std::string(what));
  }
  if (!duplicate_key.empty()) {
    return manifest_error("key '" + printable(duplicate_key) +
                          "' appears twice in one JSON object; each key may appear once");
  }
  if (!root.is_object()) {
    return manifest_error("expected a JSON object at the top level, found " +
                          type_name(convert_json(root, kMaxTreeDepth), ManifestFormat::Json));
  }
  return convert_json(root, 0);
}

// ---------------------------------------------------------------------------
// Validation, shared by both formats.

enum class Lines { Single, Multiple };
enum class Emptiness { Allowed, Refused };

class Validator {
 public:
  explicit Validator(ManifestFormat format) : format_(format) {}

  Result<Manifest> read_manifest(const Value& root) const {
    Manifest manifest;
    for (const auto& [key, value] : root.fields) {
      if (key == "id") {
        if (value.type != Value::Type::String) {
          return wrong_type(key, value, "a module id string like 'bitcoin.node.metamask'");
        }
        // ModuleId::parse checks length and characters and says what is wrong.
        auto id = ModuleId::parse(value.text);
        if (!id) return key_error(key, value, id.error().message());
        manifest.id = std::move(id).value();
      } else if (key == "version") {
        ORIVON_TRY(manifest.version, read_string(value, key, kMaxVersionChars, Lines::Single,
                                                 Emptiness::Allowed));
      } else if (key == "description") {
        ORIVON_TRY(manifest.description, read_string(value, key, kMaxDescriptionChars,
                                                     Lines::Multiple, Emptiness::Allowed));
      } else if (key == "requests") {
        ORIVON_TRY(manifest.requests, read_requests(value));
      } else if (key == "config") {
        ORIVON_TRY(manifest.config, read_config(value));
      } else if (key == "triggers") {
        ORIVON_TRY(manifest.triggers, read_triggers(value));
      } else if (key == "service") {
        ORIVON_TRY(manifest.service, read_service(value));
      } else if (key == "group") {
        ORIVON_TRY(manifest.group, read_group(value));
      } else if (key == "function") {
        ORIVON_TRY(manifest.function, read_function(value));
      } else {
        static const std::vector<std::string_view> kKeys = {
            "id",      "version", "description", "requests", "config",
            "service", "group",   "function",    "triggers"};
        return key_error(key, value,
                         "unknown key" + suggestion(key, kKeys) + "; a manifest has only " +
                             join(kKeys));
      }
    }
    return manifest;
  }

 private:
  std::string table_name() const { return orivon::table_name(format_); }

  static Error key_error(std::string_view path, const Value& value, std::string_view problem) {
    std::string message = "manifest key '" + printable(path) + "'";
    if (value.line != 0) message += " (line " + std::to_string(value.line) + ")";
    message += ": ";
    message += problem;
    return Error(ErrorCode::InvalidArgument, std::move(message));
  }

  Error wrong_type(std::string_view path, const Value& value, std::string_view expected) const {
    return key_error(path, value,
                     "expected " + std::string(expected) + ", found " + type_name(value, format_));
  }

  Result<std::string> read_string(const Value& value, std::string_view path,
                                  std::size_t max_chars, Lines lines, Emptiness emptiness) const {
    if (value.type != Value::Type::String) return wrong_type(path, value, "a string");
    const std::string& text = value.text;
    if (text.empty() && emptiness == Emptiness::Refused) {
      return key_error(path, value, "is empty; expected a non-empty string");
    }
    const std::size_t chars = char_count(text);
    if (chars > max_chars) {
      return key_error(path, value,
                       "is " + std::to_string(chars) + " characters long; at most " +
                           std::to_string(max_chars) + " are allowed");
    }
    for (char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte == 0) return key_error(path, value, "contains a NUL character");
      const bool control = byte < 0x20 || byte == 0x7f;
      const bool allowed_space = lines == Lines::Multiple && (c == '\n' || c == '\t' || c == '\r');
      if (control && !allowed_space) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", byte);
        return key_error(path, value,
                         std::string("contains the control character ") + code +
                             (lines == Lines::Single ? "; expected a single line of text" : ""));
      }
    }
    return text;
  }

  Result<std::vector<std::string>> read_requests(const Value& value) const {
    if (value.type != Value::Type::Array) {
      return wrong_type("requests", value, "an array of grant request strings");
    }
    if (value.items.size() > kMaxRequests) {
      return key_error("requests", value,
                       "has " + std::to_string(value.items.size()) + " entries; at most " +
                           std::to_string(kMaxRequests) + " are allowed");
    }
    std::vector<std::string> out;
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      const Value& item = value.items[i];
      const std::string path = "requests[" + std::to_string(i) + "]";
      ORIVON_TRY(std::string request,
                 read_string(item, path, kMaxRequestChars, Lines::Single, Emptiness::Refused));
      // `seen` views the strings held by `value`, which outlives this loop.
      if (seen.insert(item.text).second) out.push_back(std::move(request));
    }
    return out;
  }

  Result<std::map<std::string, std::string>> read_config(const Value& value) const {
    if (value.type != Value::Type::Table) {
      return wrong_type("config", value, table_name() + " of names to values");
    }
    if (value.fields.size() > kMaxConfigEntries) {
      return key_error("config", value,
                       "has " + std::to_string(value.fields.size()) + " entries; at most " +
                           std::to_string(kMaxConfigEntries) + " are allowed");
    }
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.fields) {
      const std::string path = "config." + key;
      ORIVON_RETURN_IF_ERROR(check_config_key(key, path, item));
      switch (item.type) {
        case Value::Type::String: {
          ORIVON_TRY(std::string text, read_string(item, path, kMaxConfigValueChars,
                                                   Lines::Multiple, Emptiness::Allowed));
          out.emplace(key, std::move(text));
          break;
        }
        case Value::Type::Integer:
        case Value::Type::Float:
        case Value::Type::Bool:
          out.emplace(key, item.text);
          break;
        default:
          return wrong_type(path, item, "a string, integer, float or boolean");
      }
    }
    return out;
  }

  // [service]: each key checked against what it means, so a bad value fails
  // at install time, not when the host starts the service.
  Result<std::map<std::string, std::string>> read_service(const Value& value) const {
    if (value.type != Value::Type::Table) {
      return wrong_type("service", value, table_name() + " of service settings");
    }
    static const std::vector<std::string_view> kKeys = {
        "restart", "restart-budget", "restart-backoff", "stop-grace", "call-deadline", "max-memory"};
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.fields) {
      const std::string path = "service." + key;
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        return key_error(path, item,
                         "unknown key" + suggestion(key, kKeys) + "; [service] has only " +
                             join(kKeys));
      }
      if (key == "restart-budget") {
        std::uint64_t budget = 0;
        auto count = item.type == Value::Type::Integer ? parse_count(item.text)
                                                       : Result<std::uint64_t>(Error(
                                                             ErrorCode::InvalidArgument, ""));
        if (!count || *count > 1'000'000) {
          return wrong_type(path, item, "a whole number of restarts from 0 to 1000000");
        }
        budget = *count;
        out.emplace(key, std::to_string(budget));
        continue;
      }
      ORIVON_TRY(std::string text, read_string(item, path, kMaxTriggerFieldChars, Lines::Single,
                                               Emptiness::Refused));
      if (key == "restart") {
        if (text != "never" && text != "on-failure" && text != "always") {
          return key_error(path, item,
                           "unknown policy '" + printable(text) +
                               "'; expected never, on-failure or always");
        }
      } else if (key == "max-memory") {
        if (auto size = parse_size(text); !size) return key_error(path, item, size.error().message());
      } else if (auto duration = parse_duration(text); !duration) {
        return key_error(path, item, duration.error().message());
      }
      out.emplace(key, std::move(text));
    }
    return out;
  }

  // [group]: the interface a group stands for and how it routes calls.
  Result<std::map<std::string, std::string>> read_group(const Value& value) const {
    if (value.type != Value::Type::Table) {
      return wrong_type("group", value, table_name() + " of group settings");
    }
    static const std::vector<std::string_view> kKeys = {"interface", "routing"};
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.fields) {
      const std::string path = "group." + key;
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        return key_error(path, item,
                         "unknown key" + suggestion(key, kKeys) + "; [group] has only " +
                             join(kKeys));
      }
      ORIVON_TRY(std::string text, read_string(item, path, kMaxTriggerFieldChars, Lines::Single,
                                               Emptiness::Refused));
      if (key == "routing" && text != "first-healthy" && text != "round-robin") {
        return key_error(path, item,
                         "unknown routing '" + printable(text) +
                             "'; expected first-healthy or round-robin");
      }
      if (key == "interface" && (text.find(':') == std::string::npos ||
                                 text.find('/') == std::string::npos)) {
        return key_error(path, item,
                         "'" + printable(text) +
                             "' is not an interface name; expected one like "
                             "'example:greet/greeter@1.0.0'");
      }
      out.emplace(key, std::move(text));
    }
    return out;
  }

  // [function]: how invocations of a function module run.
  Result<std::map<std::string, std::string>> read_function(const Value& value) const {
    if (value.type != Value::Type::Table) {
      return wrong_type("function", value, table_name() + " of function settings");
    }
    static const std::vector<std::string_view> kKeys = {"max-instances", "deadline", "max-memory"};
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.fields) {
      const std::string path = "function." + key;
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        return key_error(path, item,
                         "unknown key" + suggestion(key, kKeys) + "; [function] has only " +
                             join(kKeys));
      }
      if (key == "max-instances") {
        auto count = item.type == Value::Type::Integer ? parse_count(item.text)
                                                       : Result<std::uint64_t>(Error(
                                                             ErrorCode::InvalidArgument, ""));
        if (!count || *count < 1 || *count > limits::kMaxFunctionInstances) {
          return wrong_type(path, item,
                            "a whole number of instances from 1 to " +
                                std::to_string(limits::kMaxFunctionInstances));
        }
        out.emplace(key, std::to_string(*count));
        continue;
      }
      ORIVON_TRY(std::string text, read_string(item, path, kMaxTriggerFieldChars, Lines::Single,
                                               Emptiness::Refused));
      if (key == "max-memory") {
        if (auto size = parse_size(text); !size) return key_error(path, item, size.error().message());
      } else if (auto duration = parse_duration(text); !duration) {
        return key_error(path, item, duration.error().message());
      } else if (duration->count() == 0) {
        return key_error(path, item, "the deadline must be greater than zero, like '30s'");
      }
      out.emplace(key, std::move(text));
    }
    return out;
  }

  static Result<void> check_config_key(std::string_view key, std::string_view path,
                                       const Value& item) {
    if (auto problem = config_key_problem(key)) return key_error(path, item, *problem);
    return ok();
  }

  Result<std::vector<Trigger>> read_triggers(const Value& value) const {
    if (value.type != Value::Type::Array) {
      return wrong_type("triggers", value,
                        format_ == ManifestFormat::Json ? "an array of objects"
                                                        : "an array of tables");
    }
    if (value.items.size() > kMaxTriggers) {
      return key_error("triggers", value,
                       "has " + std::to_string(value.items.size()) + " entries; at most " +
                           std::to_string(kMaxTriggers) + " are allowed");
    }
    std::vector<Trigger> out;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      ORIVON_TRY(Trigger trigger, read_trigger(value.items[i],
                                                "triggers[" + std::to_string(i) + "]"));
      out.push_back(std::move(trigger));
    }
    return out;
  }

  // Every string in a trigger is a required single line.
  Result<std::string> read_trigger_field(const Value& value, std::string_view path) const {
    return read_string(value, path, kMaxTriggerFieldChars, Lines::Single, Emptiness::Refused);
  }

  Result<Trigger> read_trigger(const Value& value, const std::string& path) const {
    if (value.type != Value::Type::Table) {
      return wrong_type(path, value,
                        table_name() + " with 'kind' (startup, timer, event, http or call) and "
                                       "'call'");
    }
    Trigger trigger;
    const Value* kind_value = nullptr;
    for (const auto& [key, item] : value.fields) {
      if (key == "kind") kind_value = &item;
    }
    if (kind_value == nullptr) {
      return key_error(path, value,
                       "has no 'kind'; expected one of startup, timer, event, http, call");
    }
    ORIVON_TRY(std::string kind_text, read_trigger_field(*kind_value, path + ".kind"));
    static constexpr Trigger::Kind kKinds[] = {Trigger::Kind::Startup, Trigger::Kind::Timer,
                                               Trigger::Kind::Event, Trigger::Kind::Http,
                                               Trigger::Kind::Call};
    bool known_kind = false;
    for (Trigger::Kind kind : kKinds) {
      if (kind_text == kind_name(kind)) {
        trigger.kind = kind;
        known_kind = true;
      }
    }
    if (!known_kind) {
      return key_error(path + ".kind", *kind_value,
                       "unknown trigger kind '" + printable(kind_text) +
                           "'; expected one of startup, timer, event, http, call");
    }

    // The keys besides kind and call that this kind takes.
    std::vector<std::string_view> own_keys;
    switch (trigger.kind) {
      case Trigger::Kind::Timer:
        own_keys = {"every", "cron", "catch-up"};
        break;
      case Trigger::Kind::Event:
        own_keys = {"topic"};
        break;
      case Trigger::Kind::Http:
        own_keys = {"route"};
        break;
      case Trigger::Kind::Startup:
      case Trigger::Kind::Call:
        break;
    }
    std::vector<std::string_view> allowed = {"kind", "call"};
    allowed.insert(allowed.end(), own_keys.begin(), own_keys.end());
    static const std::vector<std::string_view> kEveryKey = {"kind",  "call",     "every", "cron",
                                                            "topic", "catch-up", "route"};

    bool has_call = false;
    for (const auto& [key, item] : value.fields) {
      const std::string item_path = path + "." + key;
      if (key == "kind") continue;
      if (key == "call") {
        ORIVON_TRY(trigger.call, read_trigger_field(item, item_path));
        has_call = true;
      } else if (std::find(own_keys.begin(), own_keys.end(), key) != own_keys.end()) {
        ORIVON_TRY(std::string text, read_trigger_field(item, item_path));
        if (key == "every") {
          auto every = parse_duration(text);
          if (!every) return key_error(item_path, item, every.error().message());
          // A zero period would make the timer fire in a busy loop.
          if (every->count() == 0) {
            return key_error(item_path, item, "the period must be greater than zero, like '10s'");
          }
          trigger.every = std::move(text);
        } else if (key == "cron") {
          auto schedule = CronSchedule::parse(text);
          if (!schedule) return key_error(item_path, item, schedule.error().message());
          trigger.cron = std::move(text);
        } else if (key == "catch-up") {
          if (text != "none" && text != "once") {
            return key_error(item_path, item,
                             "unknown catch-up '" + printable(text) + "'; expected none or once");
          }
          trigger.catch_up = std::move(text);
        } else if (key == "topic") {
          trigger.topic = std::move(text);
        } else {
          // "[HOST]/PREFIX"; checked whole (http::parse_route) when the
          // module is added, as `orivon route add` checks it.
          if (text.find('/') == std::string::npos) {
            return key_error(item_path, item,
                             "the route '" + printable(text) +
                                 "' does not start with '/' or a host and '/'; expected a "
                                 "path like '/api' or 'api.example.com/v1'");
          }
          trigger.route = std::move(text);
        }
      } else {
        const bool other_kinds_key =
            std::find(kEveryKey.begin(), kEveryKey.end(), key) != kEveryKey.end();
        std::string problem = other_kinds_key
                                  ? "does not apply to " + trigger_noun(trigger.kind)
                                  : "unknown key" + suggestion(key, kEveryKey);
        problem += "; " + trigger_noun(trigger.kind) + " has only " + join(allowed);
        return key_error(item_path, item, problem);
      }
    }
    // An http trigger's handler is the component's wasi:http export.
    if (!has_call && trigger.kind != Trigger::Kind::Http) {
      return key_error(path, value,
                       "has no 'call'; expected the name of the export to call, like 'tick'");
    }
    switch (trigger.kind) {
      case Trigger::Kind::Timer:
        if (trigger.every.empty() == trigger.cron.empty()) {
          return key_error(path, value,
                           trigger.every.empty()
                               ? "a timer trigger needs 'every' (a duration like '10s') or 'cron' "
                                 "(a schedule like '*/5 * * * *')"
                               : "a timer trigger takes 'every' or 'cron', not both");
        }
        break;
      case Trigger::Kind::Event:
        if (trigger.topic.empty()) {
          return key_error(path, value, "an event trigger needs 'topic': a topic name like 'blocks.new'");
        }
        break;
      case Trigger::Kind::Http:
        if (trigger.route.empty()) {
          return key_error(path, value,
                           "an http trigger needs 'route': [HOST]/PREFIX like '/api'");
        }
        break;
      case Trigger::Kind::Startup:
      case Trigger::Kind::Call:
        break;
    }
    return trigger;
  }

  ManifestFormat format_;
};

Result<Manifest> parse_manifest_unguarded(std::string_view text, ManifestFormat format) {
  if (text.size() > kMaxManifestBytes) {
    return manifest_error("the input is " + std::to_string(text.size()) + " bytes; at most " +
                          std::to_string(kMaxManifestBytes) + " (64 KiB) are allowed");
  }
  // Neither TOML nor JSON allows a raw NUL; refusing it up front also keeps it
  // away from any parser code that might treat it as the end of the text.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return manifest_error("the input has a NUL byte at offset " + std::to_string(nul) +
                          "; a manifest is text");
  }
  Result<Value> root = format == ManifestFormat::Json ? parse_json(text) : parse_toml(text);
  if (!root) return std::move(root).error();
  return Validator(format).read_manifest(*root);
}

}  // namespace

Result<Manifest> parse_manifest(std::string_view text, ManifestFormat format) {
  // Validation returns errors itself; this only catches what the parser
  // libraries or the allocator might still throw, so nothing crosses the API.
  try {
    return parse_manifest_unguarded(text, format);
  } catch (const std::bad_alloc&) {
    return Error(ErrorCode::ResourceExhausted, "manifest: out of memory while parsing");
  } catch (const std::exception& error) {
    return manifest_error(std::string("could not be parsed: ") + error.what());
  } catch (...) {
    return manifest_error("could not be parsed: unknown error");
  }
}

ManifestFormat manifest_format_for(std::string_view file_name) {
  constexpr std::string_view kJson = ".json";
  if (file_name.size() < kJson.size()) return ManifestFormat::Toml;
  const std::string_view tail = file_name.substr(file_name.size() - kJson.size());
  for (std::size_t i = 0; i < kJson.size(); ++i) {
    const char c = tail[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kJson[i]) return ManifestFormat::Toml;
  }
  return ManifestFormat::Json;
}

std::string_view trigger_kind_name(Trigger::Kind kind) { return kind_name(kind); }

std::string manifest_to_json(const Manifest& manifest) {
  Json out = Json::object();
  if (manifest.id) out["id"] = manifest.id->str();
  if (!manifest.version.empty()) out["version"] = manifest.version;
  if (!manifest.description.empty()) out["description"] = manifest.description;
  if (!manifest.requests.empty()) out["requests"] = manifest.requests;
  if (!manifest.config.empty()) {
    // Every value is written as a string: parse_manifest keeps config values
    // as text, so this reads back to the same map whatever the original type.
    Json config = Json::object();
    for (const auto& [key, value] : manifest.config) config[key] = value;
    out["config"] = std::move(config);
  }
  if (!manifest.service.empty()) {
    Json service = Json::object();
    for (const auto& [key, value] : manifest.service) {
      if (key == "restart-budget") {
        std::uint64_t budget = 0;
        std::from_chars(value.data(), value.data() + value.size(), budget);
        service[key] = budget;  // read back as the integer it was
      } else {
        service[key] = value;
      }
    }
    out["service"] = std::move(service);
  }
  if (!manifest.group.empty()) {
    Json group = Json::object();
    for (const auto& [key, value] : manifest.group) group[key] = value;
    out["group"] = std::move(group);
  }
  if (manifest.function) {
    Json function = Json::object();
    for (const auto& [key, value] : *manifest.function) {
      if (key == "max-instances") {
        std::uint64_t count = 0;
        std::from_chars(value.data(), value.data() + value.size(), count);
        function[key] = count;  // read back as the integer it was
      } else {
        function[key] = value;
      }
    }
    out["function"] = std::move(function);
  }
  if (!manifest.triggers.empty()) {
    Json triggers = Json::array();
    for (const Trigger& trigger : manifest.triggers) {
      // Only the keys of the trigger's kind: any other would not read back.
      Json entry = Json::object();
      entry["kind"] = kind_name(trigger.kind);
      if (!trigger.call.empty()) entry["call"] = trigger.call;  // none: an http trigger
      switch (trigger.kind) {
        case Trigger::Kind::Timer:
          if (!trigger.every.empty()) entry["every"] = trigger.every;
          if (!trigger.cron.empty()) entry["cron"] = trigger.cron;
          if (!trigger.catch_up.empty()) entry["catch-up"] = trigger.catch_up;
          break;
        case Trigger::Kind::Event:
          entry["topic"] = trigger.topic;
          break;
        case Trigger::Kind::Http:
          entry["route"] = trigger.route;
          break;
        case Trigger::Kind::Startup:
        case Trigger::Kind::Call:
          break;
      }
      triggers.push_back(std::move(entry));
    }
    out["triggers"] = std::move(triggers);
  }
  // `replace` instead of the default `strict`: a hand-built Manifest with
  // malformed UTF-8 must not make dump() throw.
  return out.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace orivon
