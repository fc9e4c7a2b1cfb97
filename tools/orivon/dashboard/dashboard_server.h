#pragma once

// The web dashboard of a running host (`orivon up --dashboard ADDR`):
//
//   GET  /                               the page (assets built into the binary)
//   GET  /api/status                     a HostSnapshot as JSON (host_snapshot.h)
//   GET  /api/modules/ID/logs            a service's recent log lines, oldest first
//   POST /api/modules/ID/start|stop|restart
//   GET  /metrics                        Prometheus text format
//
// Every request carries the token, as `Authorization: Bearer TOKEN` or as
// `?token=TOKEN` (how the page itself is opened); without it: 401. A POST
// must also come from the dashboard's own origin (its Origin header names
// the host it was sent to): 403 otherwise. On a loopback address the Host
// header must name loopback too, so a page on another site cannot reach it
// through DNS rebinding. The page builds everything a module controls (ids,
// descriptions, log lines, crash causes) with textContent, and its
// Content-Security-Policy runs only its own script.

#include <chrono>
#include <memory>
#include <string>

#include "dashboard/access.h"
#include "dashboard/http_listener.h"
#include "orivon/result.h"
#include "orivon/runtime.h"

namespace orivon::cli {

// Owns its listener and threads; `runtime` must outlive it. Stopped (and
// its threads joined) by the destructor.
class Dashboard {
 public:
  // Listens on `address` and serves. Errors as HttpListener::bind.
  static Result<std::unique_ptr<Dashboard>> start(
      Runtime& runtime, const DashboardAddress& address, std::string token,
      std::chrono::steady_clock::time_point host_started);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // HOST:PORT as bound (the port chosen, for port 0).
  std::string address() const { return format_address(host_, listener_->port()); }

 private:
  Dashboard(Runtime& runtime, std::string host, std::string token,
            std::chrono::steady_clock::time_point host_started,
            std::unique_ptr<HttpListener> listener);
  void add_routes();

  Runtime& runtime_;
  const std::string host_;
  const std::string token_;
  const std::chrono::steady_clock::time_point host_started_;
  std::unique_ptr<HttpListener> listener_;
};

}  // namespace orivon::cli
