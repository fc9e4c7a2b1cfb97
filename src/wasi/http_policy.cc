#include "wasi/http_policy.h"

#include <algorithm>

#include "wasi/host_syntax.h"
#include "wasi/wasi_extensions.h"

namespace orivon::wasi {
namespace {

bool check_request(void* data, const uint8_t* scheme, size_t scheme_length,
                   const uint8_t* authority, size_t authority_length) noexcept {
  try {
    const auto& policy = *static_cast<const std::shared_ptr<const HttpPolicy>*>(data);
    return policy->allows(
        std::string_view(reinterpret_cast<const char*>(scheme), scheme_length),
        std::string_view(reinterpret_cast<const char*>(authority), authority_length));
  } catch (...) {
    return false;  // refusing is always safe; nothing may unwind into Wasmtime
  }
}

void release_policy(void* data) noexcept {
  delete static_cast<std::shared_ptr<const HttpPolicy>*>(data);
}

}  // namespace

Result<std::shared_ptr<const HttpPolicy>> HttpPolicy::compile(
    const std::vector<std::string>& origins) {
  if (origins.empty()) return deny_all();  // the common case: no allocation per instance
  std::vector<std::string> normalized;
  for (const auto& origin : origins) {
    auto normal = normalize_http_origin(origin);
    if (!normal) return Error::wrap("HTTP origin '" + origin + "'", normal.error());
    normalized.push_back(std::move(*normal));
  }
  std::sort(normalized.begin(), normalized.end());
  normalized.erase(std::unique(normalized.begin(), normalized.end()), normalized.end());
  return std::shared_ptr<const HttpPolicy>(new HttpPolicy(std::move(normalized)));
}

std::shared_ptr<const HttpPolicy> HttpPolicy::deny_all() {
  static const std::shared_ptr<const HttpPolicy> none(new HttpPolicy({}));
  return none;
}

bool HttpPolicy::allows(std::string_view scheme, std::string_view authority) const {
  if (origins_.empty()) return false;
  // An authority is host[:port]; the origin parser would forgive a trailing
  // '/', a request may not carry one.
  if (authority.find('/') != std::string_view::npos) return false;
  auto origin = normalize_http_origin(std::string(scheme) + "://" + std::string(authority));
  return origin && std::binary_search(origins_.begin(), origins_.end(), *origin);
}

Result<void> add_wasi_with_http(wasmtime::component::Linker& linker,
                                std::shared_ptr<const HttpPolicy> policy) {
  auto wasi = linker.add_wasip2();
  if (!wasi) return Error(ErrorCode::Internal, "linking WASI 0.2: " + wasi.err().message());
  // The linker owns this copy of the policy; lib.rs releases it with the linker.
  auto* data = new std::shared_ptr<const HttpPolicy>(std::move(policy));
  wasmtime_error_t* error = orivon_component_linker_add_wasi_http_checked(
      linker.capi(), &check_request, data, &release_policy);
  if (error != nullptr) {
    wasmtime::Error wrapped(error);
    return Error(ErrorCode::Internal, "linking wasi:http: " + wrapped.message());
  }
  return ok();
}

void enable_wasi_http(wasmtime::Store::Context store) { wasmtime_context_set_wasi_http(store.capi()); }

}  // namespace orivon::wasi
