#pragma once

// The inbound HTTP server (`orivon up --http ADDR`) seen from C++: the hyper
// server in deps/wasmtime/lib.rs, which hands each request to `handler` on
// one of its blocking threads. Owns the server; destroying it stops
// accepting, closes connections and waits (up to 5 s) for handlers still
// running. Thread-safe: the handler is called concurrently.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "orivon/result.h"
#include "wasi/wasi_extensions.h"

namespace orivon::http {

class HttpServer {
 public:
  // Answers the request (orivon_http_request_serve or _fail). Called
  // concurrently from the server's threads; must not throw (a throw is
  // answered 500).
  using Handler = std::function<void(orivon_http_request_t*)>;

  // Binds `address` ("IP:PORT", port 0 picks a free one) with the limits of
  // src/core/limits.h. InvalidArgument for a bad address; Unavailable when
  // it cannot be bound.
  static Result<std::unique_ptr<HttpServer>> start(std::string_view address, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The address it listens on, port included ("127.0.0.1:41234").
  const std::string& address() const { return address_; }

 private:
  HttpServer() = default;
  struct Deleter {
    void operator()(orivon_http_server_t* server) const { orivon_http_server_delete(server); }
  };
  // Declared first so it goes last: the server's threads use handler_.
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<orivon_http_server_t, Deleter> server_;
  std::string address_;
};

// The request's Host header and path, as the server read them (valid during
// the handler call).
std::string_view request_host_header(const orivon_http_request_t* request);
std::string_view request_path(const orivon_http_request_t* request);
// Answers `status` with `text`.
void answer(orivon_http_request_t* request, int status, std::string_view text);

}  // namespace orivon::http
