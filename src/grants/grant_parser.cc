// The grant syntax (include/orivon/grants.h). Every error quotes the grant,
// names the part that is wrong and shows the expected form, because a
// rejected grant string is where users of other runtimes get stuck.

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "grants/topic_pattern.h"
#include "orivon/grants.h"
#include "wasi/host_syntax.h"
#include "wasi/net_policy.h"

namespace orivon {
namespace {

constexpr std::size_t kMaxGrantLength = 1024;

constexpr std::string_view kSyntax =
    "  fs:HOST_PATH=GUEST_PATH:ro|rw     fs:/srv/data=/data:ro (or fs:/srv/data:rw, same path)\n"
    "  env:NAME | env:NAME=VALUE         env:HOME (orivon's own value), env:MODE=fast\n"
    "  arg:VALUE                         arg:--verbose (appended to argv after the module id)\n"
    "  stdio:log|none|inherit            stdio:inherit (default: log, to the module's log)\n"
    "  clock | random                    always available; accepted for manifests\n"
    "  net:connect:HOST:PORT[-PORT]      net:connect:api.example.com:443, net:connect:[::1]:80\n"
    "  net:listen:HOST:PORT[-PORT]       net:listen:0.0.0.0:8333, net:listen:10.0.0.0/8:9000-9100\n"
    "  net:unrestricted                  every address and port (use with care)\n"
    "  http:ORIGIN                       http:https://api.example.com\n"
    "  host:INTERFACE                    host:example:log/sink@1.0.0\n"
    "  kv:BUCKET:ro|rw                   kv:visits:rw, kv:*:ro (every named bucket)\n"
    "  topic:PATTERN:publish|subscribe   topic:orders.*:publish, topic:audit.>:subscribe\n";

Error malformed(std::string_view text, const std::string& why, std::string_view expected) {
  return Error(ErrorCode::InvalidArgument, "grant '" + std::string(text) + "': " + why +
                                               "; expected " + std::string(expected));
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// A path with no "." or ".." component and no empty one except a single
// trailing slash: what a guest path must look like to be unambiguous.
bool is_clean_absolute(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path == "/") return true;
  std::string_view rest = path.substr(1);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return true;
}

Result<Grant> parse_fs(std::string_view text, std::string_view body) {
  constexpr std::string_view kExpected =
      "fs:HOST_PATH=GUEST_PATH:ro or :rw, both absolute (fs:/srv/data=/data:ro)";
  auto colon = body.rfind(':');
  if (colon == std::string_view::npos) {
    return malformed(text, "no access mode (':ro' or ':rw' at the end)", kExpected);
  }
  const std::string_view mode = body.substr(colon + 1);
  FsGrant grant;
  if (mode == "ro") {
    grant.access = DirAccess::ReadOnly;
  } else if (mode == "rw") {
    grant.access = DirAccess::ReadWrite;
  } else {
    return malformed(text, "the access mode must be 'ro' or 'rw', not '" + std::string(mode) + "'",
                     kExpected);
  }
  const std::string_view paths = body.substr(0, colon);
  auto equals = paths.rfind('=');
  const std::string_view host = equals == std::string_view::npos ? paths : paths.substr(0, equals);
  const std::string_view guest = equals == std::string_view::npos ? paths : paths.substr(equals + 1);
  if (host.empty()) return malformed(text, "no host path", kExpected);
  if (host.front() != '/') {
    return malformed(text,
                     "the host path '" + std::string(host) +
                         "' is relative (it would depend on where the host runs)",
                     kExpected);
  }
  if (!is_clean_absolute(guest)) {
    return malformed(text,
                     "the guest path '" + std::string(guest) +
                         "' must be absolute, without '.', '..' or empty parts",
                     kExpected);
  }
  grant.host_path = std::filesystem::path(host).lexically_normal();
  grant.guest_path = std::string(guest);
  if (grant.guest_path.size() > 1 && grant.guest_path.ends_with('/')) grant.guest_path.pop_back();
  return Grant(std::move(grant));
}

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_';
  });
}

Result<Grant> parse_env(std::string_view text, std::string_view body) {
  constexpr std::string_view kExpected = "env:NAME or env:NAME=VALUE (env:HOME, env:MODE=fast)";
  auto equals = body.find('=');
  EnvGrant grant;
  grant.name = std::string(body.substr(0, equals));
  if (!is_env_name(grant.name)) {
    return malformed(text,
                     "'" + grant.name + "' is not a variable name (letters, digits and '_', "
                     "not starting with a digit)",
                     kExpected);
  }
  if (equals != std::string_view::npos) grant.value = std::string(body.substr(equals + 1));
  return Grant(std::move(grant));
}

Result<Grant> parse_net_rule(std::string_view text, std::string_view body, NetRule::Kind kind) {
  const std::string_view verb = kind == NetRule::Kind::Connect ? "connect" : "listen";
  const std::string expected =
      "net:" + std::string(verb) + ":HOST:PORT or HOST:FIRST-LAST, HOST a name, an address, a "
      "CIDR block or '*', IPv6 in brackets (net:" + std::string(verb) +
      (kind == NetRule::Kind::Connect ? ":api.example.com:443, net:connect:[::1]:8080)"
                                      : ":0.0.0.0:8333, net:listen:[::]:9000-9100)");
  NetRule rule;
  rule.kind = kind;
  std::string_view host;
  std::string_view ports;
  if (body.starts_with('[')) {
    auto close = body.find(']');
    if (close == std::string_view::npos) return malformed(text, "no ']' after the IPv6 address", expected);
    host = body.substr(1, close - 1);
    if (close + 1 >= body.size() || body[close + 1] != ':') {
      return malformed(text, "no ':PORT' after the IPv6 address", expected);
    }
    ports = body.substr(close + 2);
    if (!wasi::is_address_or_cidr(host, /*v6=*/true)) {
      return malformed(text, "'" + std::string(host) + "' is not an IPv6 address or block", expected);
    }
  } else {
    auto colon = body.rfind(':');
    if (colon == std::string_view::npos) return malformed(text, "no ':PORT'", expected);
    host = body.substr(0, colon);
    ports = body.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return malformed(text, "an IPv6 address must be written in brackets", expected);
    }
    // The network policy is the one judge of what a host is, so that a grant accepted here
    // always compiles into the policy the service gets: "example.123" is no host name there
    // (a mistyped address), and once it was accepted here and refused at start.
    if (!wasi::check_rule_host(host)) {
      return malformed(text,
                       host.empty() ? std::string("no host")
                                    : "'" + std::string(host) +
                                          "' is not a host name, an address, a CIDR block or '*'",
                       expected);
    }
  }
  rule.host = std::string(host);
  std::transform(rule.host.begin(), rule.host.end(), rule.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ports == "*") {
    rule.first_port = 0;
    rule.last_port = 65535;
    return Grant(NetGrant{rule});
  }
  auto dash = ports.find('-');
  auto first = wasi::parse_port(ports.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : wasi::parse_port(ports.substr(dash + 1));
  if (!first || !last) {
    return malformed(text, "'" + std::string(ports) + "' is not a port (0-65535), a range or '*'",
                     expected);
  }
  if (*first > *last) {
    return malformed(text, "the port range '" + std::string(ports) + "' runs backwards", expected);
  }
  rule.first_port = *first;
  rule.last_port = *last;
  return Grant(NetGrant{rule});
}

Result<Grant> parse_net(std::string_view text, std::string_view body) {
  constexpr std::string_view kExpected =
      "net:connect:HOST:PORT, net:listen:HOST:PORT or net:unrestricted";
  if (body == "unrestricted") return Grant(NetGrant{});
  if (body.starts_with("connect:")) {
    return parse_net_rule(text, body.substr(8), NetRule::Kind::Connect);
  }
  if (body.starts_with("listen:")) return parse_net_rule(text, body.substr(7), NetRule::Kind::Listen);
  return malformed(text, "unknown network grant '" + std::string(body) + "'", kExpected);
}

Result<Grant> parse_http(std::string_view text, std::string_view body) {
  constexpr std::string_view kExpected =
      "http:ORIGIN, an origin being http:// or https://, a host and an optional port, no path "
      "(http:https://api.example.com, http:http://127.0.0.1:8080)";
  auto origin = wasi::normalize_http_origin(body);
  if (!origin) return malformed(text, origin.error().message(), kExpected);
  return Grant(HttpGrant{std::move(*origin)});
}

// A WIT interface name: namespace:package/interface, optionally @version.
bool is_interface_name(std::string_view name) {
  auto at = name.find('@');
  const std::string_view path = name.substr(0, at);
  auto colon = path.find(':');
  auto slash = path.find('/');
  if (colon == std::string_view::npos || slash == std::string_view::npos || colon == 0 ||
      slash < colon + 2 || slash + 1 >= path.size()) {
    return false;
  }
  auto is_word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i == colon || i == slash) continue;
    if (!is_word_char(path[i])) return false;
  }
  if (at == std::string_view::npos) return true;
  const std::string_view version = name.substr(at + 1);
  return !version.empty() && std::all_of(version.begin(), version.end(), [&](char c) {
    return is_word_char(c) || c == '.' || c == '+' || (c >= 'A' && c <= 'Z');
  });
}

Result<Grant> parse_kv(std::string_view text, std::string_view body) {
  constexpr std::string_view kForm = "kv:BUCKET:ro or kv:BUCKET:rw (kv:visits:rw, kv:*:ro)";
  auto colon = body.rfind(':');
  if (colon == std::string_view::npos) return malformed(text, "no access mode", kForm);
  const std::string_view bucket = body.substr(0, colon);
  const std::string_view mode = body.substr(colon + 1);
  if (bucket != "*" && !is_bucket_name(bucket)) {
    return malformed(text,
                     "'" + std::string(bucket) +
                         "' is not a bucket name (1 to 64 of A-Z a-z 0-9 _ -) or '*'",
                     kForm);
  }
  KvGrant grant{std::string(bucket), KvGrant::Access::ReadOnly};
  if (mode == "rw") {
    grant.access = KvGrant::Access::ReadWrite;
  } else if (mode != "ro") {
    return malformed(text, "unknown access mode '" + std::string(mode) + "'", kForm);
  }
  return Grant(std::move(grant));
}

Result<Grant> parse_topic(std::string_view text, std::string_view body) {
  constexpr std::string_view kExpected =
      "topic:PATTERN:publish or topic:PATTERN:subscribe, PATTERN dot-separated tokens of letters, "
      "digits, '_' and '-', '*' for one token, a final '>' for the rest (topic:orders.*:publish, "
      "topic:audit.>:subscribe)";
  auto colon = body.rfind(':');
  if (colon == std::string_view::npos) {
    return malformed(text, "no access (':publish' or ':subscribe' at the end)", kExpected);
  }
  const std::string_view access = body.substr(colon + 1);
  TopicGrant grant;
  if (access == "publish") {
    grant.access = TopicAccess::Publish;
  } else if (access == "subscribe") {
    grant.access = TopicAccess::Subscribe;
  } else {
    return malformed(text, "the access must be 'publish' or 'subscribe', not '" +
                               std::string(access) + "'",
                     kExpected);
  }
  const std::string_view pattern = body.substr(0, colon);
  if (auto checked = grants::check_topic_pattern(pattern); !checked) {
    return malformed(text, checked.error().message(), kExpected);
  }
  grant.pattern = std::string(pattern);
  return Grant(std::move(grant));
}

}  // namespace

bool is_bucket_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '-';
         });
}

std::string_view grant_syntax() { return kSyntax; }

Result<Grant> parse_grant(std::string_view text) {
  constexpr std::string_view kExpected =
      "one of fs:, env:, arg:, stdio:, clock, random, net:, http:, host:, kv:, topic: (see "
      "'orivon allow --help')";
  if (text.empty()) return malformed(text, "empty", kExpected);
  if (text.size() > kMaxGrantLength) {
    return Error(ErrorCode::InvalidArgument, "a grant is at most 1024 characters");
  }
  if (has_control(text)) return malformed(text, "control characters are not allowed", kExpected);
  if (text == "clock") return Grant(AmbientGrant{AmbientGrant::Kind::Clock});
  if (text == "random") return Grant(AmbientGrant{AmbientGrant::Kind::Random});
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return malformed(text, "no kind", kExpected);
  const std::string_view kind = text.substr(0, colon);
  const std::string_view body = text.substr(colon + 1);
  if (kind == "fs") return parse_fs(text, body);
  if (kind == "env") return parse_env(text, body);
  if (kind == "arg") return Grant(ArgGrant{std::string(body)});
  if (kind == "stdio") {
    if (body == "log") return Grant(StdioGrant{StdioMode::Log});
    if (body == "none") return Grant(StdioGrant{StdioMode::None});
    if (body == "inherit") return Grant(StdioGrant{StdioMode::Inherit});
    return malformed(text, "unknown stdio mode '" + std::string(body) + "'",
                     "stdio:log, stdio:none or stdio:inherit");
  }
  if (kind == "net") return parse_net(text, body);
  if (kind == "http") return parse_http(text, body);
  if (kind == "host") {
    if (!is_interface_name(body)) {
      return malformed(text, "'" + std::string(body) + "' is not a WIT interface name",
                       "host:NAMESPACE:PACKAGE/INTERFACE[@VERSION] (host:example:log/sink@1.0.0)");
    }
    return Grant(HostGrant{std::string(body)});
  }
  if (kind == "kv") return parse_kv(text, body);
  if (kind == "topic") return parse_topic(text, body);
  return malformed(text, "unknown kind '" + std::string(kind) + "'", kExpected);
}

std::string describe_grant(const Grant& grant) {
  struct Describe {
    std::string operator()(const FsGrant& g) const {
      return std::string(g.access == DirAccess::ReadOnly ? "read-only " : "read-write ") +
             g.host_path.string() + " at " + g.guest_path;
    }
    std::string operator()(const EnvGrant& g) const {
      return g.value ? "environment " + g.name + "=" + *g.value
                     : "environment " + g.name + " (orivon's value)";
    }
    std::string operator()(const ArgGrant& g) const { return "argument '" + g.value + "'"; }
    std::string operator()(const StdioGrant& g) const {
      switch (g.mode) {
        case StdioMode::Log: return "stdout and stderr to the module's log";
        case StdioMode::None: return "stdout and stderr discarded";
        case StdioMode::Inherit: return "the host's stdin, stdout and stderr";
      }
      return "stdio";
    }
    std::string operator()(const AmbientGrant& g) const {
      return std::string(g.kind == AmbientGrant::Kind::Clock ? "clocks" : "random bytes") +
             " (always available)";
    }
    std::string operator()(const NetGrant& g) const {
      if (!g.rule) return "UNRESTRICTED network access";
      const NetRule& rule = *g.rule;
      std::string host = rule.host.find(':') != std::string::npos ? "[" + rule.host + "]" : rule.host;
      std::string ports = std::to_string(rule.first_port);
      if (rule.first_port == 0 && rule.last_port == 65535) {
        ports = "any port";
      } else if (rule.last_port != rule.first_port) {
        ports += "-" + std::to_string(rule.last_port);
      }
      return std::string(rule.kind == NetRule::Kind::Connect ? "connect to " : "listen on ") +
             host + ":" + ports;
    }
    std::string operator()(const HttpGrant& g) const { return "HTTP requests to " + g.origin; }
    std::string operator()(const HostGrant& g) const { return "host functions of " + g.interface; }
    std::string operator()(const KvGrant& g) const {
      return std::string(g.access == KvGrant::Access::ReadOnly ? "read-only" : "read-write") +
             (g.bucket == "*" ? " access to every key-value bucket"
                              : " access to key-value bucket '" + g.bucket + "'");
    }
    std::string operator()(const TopicGrant& g) const {
      return (g.access == TopicAccess::Publish ? "publish on topics " : "receive events on topics ") +
             g.pattern;
    }
  };
  return std::visit(Describe{}, grant);
}

}  // namespace orivon
