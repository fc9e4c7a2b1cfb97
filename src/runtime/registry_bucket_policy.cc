#include "runtime/registry_bucket_policy.h"

#include <algorithm>
#include <variant>

#include "orivon/grants.h"

namespace orivon::runtime {

std::uint64_t RegistryBucketPolicy::version() const {
  auto* registry = registry_.load(std::memory_order_acquire);
  return registry ? registry->links_version() : 0;
}

host::BucketAccess RegistryBucketPolicy::access(const ModuleId& module, std::string_view bucket) {
  auto* registry = registry_.load(std::memory_order_acquire);
  if (registry == nullptr) return host::BucketAccess::None;
  auto allowed = registry->allowed_grants(module);
  if (!allowed) return host::BucketAccess::None;  // not installed (any more): nothing
  auto best = host::BucketAccess::None;
  for (const auto& text : *allowed) {
    // The database is untrusted input: a grant that no longer parses gives nothing.
    auto grant = parse_grant(text);
    if (!grant) continue;
    const auto* kv = std::get_if<KvGrant>(&*grant);
    if (kv == nullptr || (kv->bucket != "*" && kv->bucket != bucket)) continue;
    const auto given = kv->access == KvGrant::Access::ReadWrite ? host::BucketAccess::ReadWrite
                                                                : host::BucketAccess::ReadOnly;
    best = std::max(best, given);
  }
  return best;
}

}  // namespace orivon::runtime
