#include "http/http_server.h"

#include <cstdint>
#include <exception>

#include <wasmtime.hh>

#include "core/limits.h"

namespace orivon::http {
namespace {

void handle(void* data, orivon_http_request_t* request) noexcept {
  try {
    (*static_cast<HttpServer::Handler*>(data))(request);
  } catch (...) {
    answer(request, 500, "internal server error");
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(std::string_view address, Handler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->handler_ = std::make_unique<Handler>(std::move(handler));
  orivon_http_server_options_t options{};
  options.max_body_bytes = limits::kHttpMaxBodyBytes;
  options.body_timeout_ms = static_cast<std::uint64_t>(limits::kHttpBodyTimeout.count());
  options.header_timeout_ms = static_cast<std::uint64_t>(limits::kHttpHeaderTimeout.count());
  options.max_handlers = limits::kHttpMaxHandlers;
  options.max_connections = limits::kHttpMaxConnections;
  options.max_head_bytes = limits::kHttpMaxHeadBytes;
  options.max_headers = limits::kHttpMaxHeaders;
  orivon_http_server_t* raw = nullptr;
  wasmtime_error_t* error = orivon_http_server_new(
      reinterpret_cast<const std::uint8_t*>(address.data()), address.size(), &options, handle,
      server->handler_.get(), nullptr, &raw);
  if (error != nullptr) {
    wasmtime::Error owned(error);
    const std::string message = owned.message();
    const ErrorCode code = message.find("IP:PORT") != std::string::npos
                               ? ErrorCode::InvalidArgument
                               : ErrorCode::Unavailable;
    return Error(code, "cannot serve HTTP on '" + std::string(address) + "': " + message);
  }
  server->server_.reset(raw);
  std::string bound(64, '\0');
  bound.resize(orivon_http_server_address(raw, reinterpret_cast<std::uint8_t*>(bound.data()),
                                          bound.size()));
  server->address_ = std::move(bound);
  return server;
}

HttpServer::~HttpServer() { server_.reset(); }

std::string_view request_host_header(const orivon_http_request_t* request) {
  const std::uint8_t* data = nullptr;
  std::size_t length = 0;
  orivon_http_request_host(request, &data, &length);
  return {reinterpret_cast<const char*>(data), length};
}

std::string_view request_path(const orivon_http_request_t* request) {
  const std::uint8_t* data = nullptr;
  std::size_t length = 0;
  orivon_http_request_path(request, &data, &length);
  return {reinterpret_cast<const char*>(data), length};
}

void answer(orivon_http_request_t* request, int status, std::string_view text) {
  orivon_http_request_fail(request, static_cast<std::uint16_t>(status),
                           reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace orivon::http
