// Inbound HTTP for scripts/bench.sh (the load itself comes from wrk):
//
//   orivon_http_bench baseline FILE ADDR
//       serves the wasi:http component FILE on ADDR the way `wasmtime serve`
//       does (deps/wasmtime/lib.rs, orivon_http_baseline_new): prints the
//       bound address, serves until stdin closes.
//   orivon_http_bench instantiate STATE_DIR ID [COUNT]
//       creates COUNT (default 5,000) instances of the HTTP function ID from
//       its template, each in a fresh store, and prints the mean in us.
//   orivon_http_bench instantiate-baseline FILE [COUNT]
//       the same for the baseline: Wasmtime's defaults with the pooling
//       allocator (as `wasmtime serve`), a linker with WASI and wasi:http,
//       one ProxyPre, a fresh store with an empty WASI context per instance.
//   orivon_http_bench pagemap-scan
//       prints "yes" if this kernel has PAGEMAP_SCAN (so the function pool
//       resets only the pages an instance wrote), else "no".

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fstream>
#include <iterator>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "core/limits.h"
#include "orivon/runtime.h"
#include "wasi/wasi_extensions.h"

namespace {

int baseline(const std::string& file, const std::string& address) {
  orivon_http_server_options_t options{};
  options.max_body_bytes = orivon::limits::kHttpMaxBodyBytes;
  options.body_timeout_ms = static_cast<std::uint64_t>(orivon::limits::kHttpBodyTimeout.count());
  options.header_timeout_ms =
      static_cast<std::uint64_t>(orivon::limits::kHttpHeaderTimeout.count());
  options.max_handlers = orivon::limits::kHttpMaxHandlers;
  options.max_connections = orivon::limits::kHttpMaxConnections;
  options.max_head_bytes = orivon::limits::kHttpMaxHeadBytes;
  options.max_headers = orivon::limits::kHttpMaxHeaders;
  orivon_http_server_t* server = nullptr;
  wasmtime_error_t* error = orivon_http_baseline_new(
      reinterpret_cast<const std::uint8_t*>(file.data()), file.size(),
      reinterpret_cast<const std::uint8_t*>(address.data()), address.size(), &options, &server);
  if (error != nullptr) {
    std::fprintf(stderr, "error: the baseline server did not start\n");
    wasmtime_error_delete(error);
    return 1;
  }
  char bound[64];
  const std::size_t length =
      orivon_http_server_address(server, reinterpret_cast<std::uint8_t*>(bound), sizeof bound);
  std::printf("%.*s\n", static_cast<int>(length), bound);
  std::fflush(stdout);
  char byte;
  while (read(STDIN_FILENO, &byte, 1) > 0) {
  }
  orivon_http_server_delete(server);
  return 0;
}

int instantiate(const std::string& state_dir, const std::string& id_text, int count) {
  auto id = orivon::ModuleId::parse(id_text);
  if (!id) return std::fprintf(stderr, "error: %s\n", id.error().message().c_str()), 1;
  orivon::RuntimeOptions options;
  options.state_dir = state_dir;
  auto runtime = orivon::Runtime::create(options);
  if (!runtime) return std::fprintf(stderr, "error: %s\n", runtime.error().message().c_str()), 1;
  for (int i = 0; i < 100; ++i) {  // warm up: the template, the allocator
    if (auto made = (*runtime)->instantiate_http_for_testing(*id); !made) {
      std::fprintf(stderr, "error: %s\n", made.error().to_string().c_str());
      return 1;
    }
  }
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    if (auto made = (*runtime)->instantiate_http_for_testing(*id); !made) return 1;
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                             began)
                        .count() /
                    count;
  std::printf("%.1f\n", us);
  return 0;
}

int instantiate_baseline(const std::string& file, int count) {
  wasmtime::Config config;
  config.pooling_allocation_strategy(wasmtime::PoolAllocationConfig());
  wasmtime::Engine engine(std::move(config));
  std::ifstream in(file, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  auto component = wasmtime::component::Component::compile(
      engine, wasmtime::Span<std::uint8_t>(bytes.data(), bytes.size()));
  if (!component) return std::fprintf(stderr, "error: cannot compile %s\n", file.c_str()), 1;
  wasmtime::component::Linker linker(engine);
  if (!linker.add_wasip2() || !linker.add_wasi_http()) {
    return std::fprintf(stderr, "error: cannot link WASI\n"), 1;
  }
  orivon_proxy_pre_t* pre = nullptr;
  if (wasmtime_error_t* error = orivon_proxy_pre_new(linker.capi(), component.ok().capi(), &pre)) {
    wasmtime_error_delete(error);
    return std::fprintf(stderr, "error: not a wasi:http proxy\n"), 1;
  }
  auto once = [&]() -> bool {
    wasmtime::Store store(engine);
    if (!store.context().set_wasi(wasmtime::WasiConfig())) return false;
    wasmtime_context_set_wasi_http(store.context().capi());
    wasmtime_error_t* error = orivon_proxy_pre_instantiate(pre, store.context().capi());
    if (error == nullptr) return true;
    wasmtime_error_delete(error);
    return false;
  };
  for (int i = 0; i < 100; ++i) {  // warm up, as above
    if (!once()) return std::fprintf(stderr, "error: instantiating failed\n"), 1;
  }
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    if (!once()) return 1;
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                             began)
                        .count() /
                    count;
  orivon_proxy_pre_delete(pre);
  std::printf("%.1f\n", us);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "baseline" && argc == 4) return baseline(argv[2], argv[3]);
  if (mode == "pagemap-scan" && argc == 2) {
    std::printf("%s\n", orivon_pagemap_scan_is_available() ? "yes" : "no");
    return 0;
  }
  if (mode == "instantiate" && (argc == 4 || argc == 5)) {
    return instantiate(argv[2], argv[3], argc == 5 ? std::atoi(argv[4]) : 5000);
  }
  if (mode == "instantiate-baseline" && (argc == 3 || argc == 4)) {
    return instantiate_baseline(argv[2], argc == 4 ? std::atoi(argv[3]) : 5000);
  }
  std::fprintf(stderr,
               "usage: orivon_http_bench baseline FILE ADDR\n"
               "       orivon_http_bench instantiate STATE_DIR ID [COUNT]\n"
               "       orivon_http_bench instantiate-baseline FILE [COUNT]\n"
               "       orivon_http_bench pagemap-scan\n");
  return 2;
}
