#pragma once

// wasi:keyvalue for guests: `store`, `atomics` and `batch` at 0.2.0-draft2
// (the current draft) and at 0.2.0-draft (what Wasmtime's own crate and
// wasmCloud serve), plus orivon:keyvalue/ext@0.1.0 for what the drafts lack
// (wit/keyvalue-ext.wit). All of them over one KvStore.
//
// Buckets: `open("")` is the calling module's private bucket, which needs no
// grant; any other identifier is a named bucket, opened only with a
// `kv:NAME:ro|rw` grant. The grant is checked again before every operation
// once the policy's version has moved, so a deny reaches handles already
// open. Marshalling lives here; the storage logic is in kv/kv_store.h.

#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/host_interface.h"
#include "kv/kv_store.h"
#include "orivon/ids.h"

namespace orivon::host {

enum class BucketAccess { None, ReadOnly, ReadWrite };

// Who may use which named bucket. Thread-safe.
class BucketPolicy {
 public:
  virtual ~BucketPolicy() = default;
  // Moves whenever an answer of access() may have changed.
  virtual std::uint64_t version() const = 0;
  virtual BucketAccess access(const ModuleId& module, std::string_view bucket) = 0;
};

// Open handles a store may hold at once (buckets and CAS handles together):
// past it, open and cas.new fail with an error, so a guest cannot grow the
// host's tables without bound.
inline constexpr std::size_t kMaxKvHandlesPerStore = 1024;

class KeyValueHost final : public engine::HostInterface {
 public:
  // `store` null: a runtime without a state directory, where every open
  // fails with no-such-store.
  KeyValueHost(std::shared_ptr<kv::KvStore> store, std::shared_ptr<BucketPolicy> policy);
  ~KeyValueHost() override;

  [[nodiscard]] Result<void> define(wasmtime::component::Linker& linker) override;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace orivon::host
