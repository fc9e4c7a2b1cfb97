#include "dashboard/dashboard_server.h"

#include <sys/random.h>

#include <deque>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "dashboard/dashboard_page.h"
#include "dashboard/host_snapshot.h"

namespace orivon::cli {
namespace {

using nlohmann::json;

// The log lines a page shows for one module: the most recent ones.
constexpr std::size_t kLogLines = 200;

// Everything but the page: nothing to run, nothing to frame.
constexpr const char* kStrictPolicy = "default-src 'none'; frame-ancestors 'none'";

void set_common_headers(httplib::Response& res, const std::string& policy = kStrictPolicy) {
  res.set_header("Content-Security-Policy", policy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

void reply_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  set_common_headers(res);
  // Text from modules need not be valid UTF-8: replace what is not.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, status, json{{"error", message}});
}

int http_status(const Error& error) {
  switch (error.code()) {
    case ErrorCode::InvalidArgument: return 400;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::FailedPrecondition: return 409;
    case ErrorCode::PermissionDenied: return 403;
    case ErrorCode::ResourceExhausted: return 503;
    default: return 500;
  }
}

// The token of a request: its bearer header, else its `token` parameter.
std::string request_token(const httplib::Request& req) {
  const std::string authorization = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.starts_with(kBearer)) return authorization.substr(kBearer.size());
  return req.get_param_value("token");
}

// The host part of a Host header ("127.0.0.1:8080", "[::1]:8080").
std::string_view host_name(std::string_view header) {
  if (header.starts_with('[')) {
    auto close = header.find(']');
    return close == std::string_view::npos ? header : header.substr(1, close - 1);
  }
  return header.substr(0, header.rfind(':'));
}

// A fresh nonce for the page's Content-Security-Policy; nullopt if the
// kernel gives no randomness (then the page is not served).
std::optional<std::string> random_nonce() {
  unsigned char bytes[16];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string nonce;
  for (unsigned char byte : bytes) {
    nonce += kHex[byte >> 4];
    nonce += kHex[byte & 15];
  }
  return nonce;
}

// The page with its nonce in place of every "{{NONCE}}".
std::string page_with_nonce(const std::string& nonce) {
  std::string page(dashboard_page());
  constexpr std::string_view kMarker = "{{NONCE}}";
  for (auto at = page.find(kMarker); at != std::string::npos; at = page.find(kMarker, at)) {
    page.replace(at, kMarker.size(), nonce);
    at += nonce.size();
  }
  return page;
}

json log_lines(Runtime& runtime, const ModuleId& id, std::uint64_t after) {
  // The sink returns the oldest first: page through, keep the newest.
  std::deque<LogEntry> newest;
  while (true) {
    auto page = runtime.service_logs(id, after, 1000);
    if (page.empty()) break;
    for (auto& entry : page) {
      after = entry.sequence;
      newest.push_back(std::move(entry));
      if (newest.size() > kLogLines) newest.pop_front();
    }
    if (page.size() < 1000) break;
  }
  json lines = json::array();
  for (const auto& entry : newest) {
    lines.push_back({{"sequence", entry.sequence},
                     {"time_ms", entry.time_ms},
                     {"stream", entry.stream},
                     {"text", entry.text}});
  }
  return lines;
}

}  // namespace

Result<std::unique_ptr<Dashboard>> Dashboard::start(
    Runtime& runtime, const DashboardAddress& address, std::string token,
    std::chrono::steady_clock::time_point host_started) {
  ORIVON_TRY(auto listener, HttpListener::bind(address.host, address.port));
  std::unique_ptr<Dashboard> dashboard(
      new Dashboard(runtime, address.host, std::move(token), host_started, std::move(listener)));
  dashboard->add_routes();
  ORIVON_RETURN_IF_ERROR(dashboard->listener_->start());
  return dashboard;
}

Dashboard::Dashboard(Runtime& runtime, std::string host, std::string token,
                     std::chrono::steady_clock::time_point host_started,
                     std::unique_ptr<HttpListener> listener)
    : runtime_(runtime),
      host_(std::move(host)),
      token_(std::move(token)),
      host_started_(host_started),
      listener_(std::move(listener)) {}

Dashboard::~Dashboard() { listener_->stop(); }

void Dashboard::add_routes() {
  auto& server = *listener_;
  using Handled = httplib::Server::HandlerResponse;

  // Access first, for every request, before any route sees it.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!tokens_match(request_token(req), token_)) {
      res.set_header("WWW-Authenticate", "Bearer");
      reply_error(res, 401,
                  "a token is required: open the URL that 'orivon dashboard-url' prints, or "
                  "send 'Authorization: Bearer TOKEN'");
      return Handled::Handled;
    }
    const std::string host = req.get_header_value("Host");
    if (is_loopback_host(host_) && !is_loopback_host(host_name(host))) {
      reply_error(res, 403, "this dashboard answers only to a loopback host name");
      return Handled::Handled;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      const std::string origin = req.get_header_value("Origin");
      if (origin.empty() || origin != "http://" + host) {
        reply_error(res, 403, "a change must come from the dashboard's own page (Origin)");
        return Handled::Handled;
      }
    }
    return Handled::Unhandled;
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) reply_error(res, res.status, "no such resource");
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        reply_error(res, 500, "internal error");
      });

  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    const auto random = random_nonce();
    if (!random) {
      reply_error(res, 500, "no randomness for the page's nonce");
      return;
    }
    const std::string& nonce = *random;
    set_common_headers(res, "default-src 'none'; script-src 'nonce-" + nonce +
                                "'; style-src 'nonce-" + nonce +
                                "'; connect-src 'self'; img-src 'self'; base-uri 'none'; "
                                "form-action 'none'; frame-ancestors 'none'");
    res.set_content(page_with_nonce(nonce), "text/html; charset=utf-8");
  });

  server.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
    auto snapshot = take_snapshot(runtime_, host_started_);
    if (!snapshot) {
      reply_error(res, http_status(snapshot.error()), snapshot.error().to_string());
      return;
    }
    reply_json(res, 200, to_json(*snapshot));
  });

  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto snapshot = take_snapshot(runtime_, host_started_);
    if (!snapshot) {
      reply_error(res, http_status(snapshot.error()), snapshot.error().to_string());
      return;
    }
    set_common_headers(res);
    res.set_content(to_prometheus(*snapshot), "text/plain; version=0.0.4; charset=utf-8");
  });

  server.Get(R"(/api/modules/([^/]+)/logs)",
             [this](const httplib::Request& req, httplib::Response& res) {
               auto id = ModuleId::parse(req.matches[1].str());
               if (!id) {
                 reply_error(res, 400, id.error().message());
                 return;
               }
               std::uint64_t after = 0;
               const std::string after_text = req.get_param_value("after");
               if (!after_text.empty()) {
                 try {
                   after = std::stoull(after_text);
                 } catch (const std::exception&) {
                   reply_error(res, 400, "'after' must be a sequence number");
                   return;
                 }
               }
               reply_json(res, 200, log_lines(runtime_, *id, after));
             });

  server.Post(R"(/api/modules/([^/]+)/(start|stop|restart))",
              [this](const httplib::Request& req, httplib::Response& res) {
                auto id = ModuleId::parse(req.matches[1].str());
                if (!id) {
                  reply_error(res, 400, id.error().message());
                  return;
                }
                const std::string action = req.matches[2].str();
                const Result<void> done = action == "start"  ? runtime_.start_service(*id)
                                          : action == "stop" ? runtime_.stop_service(*id)
                                                             : runtime_.restart_service(*id);
                if (!done) {
                  reply_error(res, http_status(done.error()), done.error().to_string());
                  return;
                }
                reply_json(res, 200,
                           json{{"id", id->str()},
                                {"state", std::string(module_state_name(
                                              runtime_.service_metrics(*id).state))}});
              });
}

}  // namespace orivon::cli
