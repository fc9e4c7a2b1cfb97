#pragma once

// HttpPolicy: the origins a module may send outbound HTTP requests to
// (wasi:http), from its `http:ORIGIN` grants. Wasmtime's C API links
// wasi:http with default hooks that send any request anywhere, so orivon
// links its own `wasi:http/outgoing-handler#handle` (deps/wasmtime/lib.rs)
// which asks the policy first; a refused request never leaves the host and
// the guest sees `error-code::HTTP-request-denied`.
//
// Matching is exact on the normalized origin: scheme, lower-case host, port
// (the scheme's default port dropped), as normalize_http_origin (host_syntax.h) writes it
// for grants and requests alike. A request
// whose authority does not parse as a plain host[:port] (a user name, a
// path, junk) is refused. A request without a scheme goes out as HTTPS and
// is checked as HTTPS.
//
// Every component is linked with wasi:http: one with no `http:` grant gets a
// policy that refuses everything, so importing wasi:http never stops a module
// from starting, and its requests are denied like an ungranted connect.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/result.h"

namespace orivon::wasi {

class HttpPolicy {
 public:
  // Normalizes each origin ("https://API.example.com:443/" and
  // "https://api.example.com" are the same); a malformed one is an error.
  static Result<std::shared_ptr<const HttpPolicy>> compile(const std::vector<std::string>& origins);
  // The policy of a module without `http:` grants.
  static std::shared_ptr<const HttpPolicy> deny_all();

  // Whether a request for `scheme`://`authority` may be sent.
  bool allows(std::string_view scheme, std::string_view authority) const;
  bool denies_all() const { return origins_.empty(); }

 private:
  explicit HttpPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  std::vector<std::string> origins_;  // normalized, sorted
};

// Defines WASI 0.2 and wasi:http in `linker`, outbound requests checked by
// `policy`. A store instantiated from it must have had `enable_wasi_http`.
Result<void> add_wasi_with_http(wasmtime::component::Linker& linker,
                                std::shared_ptr<const HttpPolicy> policy);

// Gives `store` the wasi:http context the linked functions use.
void enable_wasi_http(wasmtime::Store::Context store);

}  // namespace orivon::wasi
