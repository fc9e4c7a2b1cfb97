#include "engine/host_interface.h"

#include <any>

namespace orivon::engine {

void set_store_context(wasmtime::Store::Context store, std::shared_ptr<StoreContext> context) {
  store.set_data(std::any(std::move(context)));
}

StoreContext* store_context(wasmtime::Store::Context store) {
  // A store's data starts out null (wasmtime::Store passes none): read the
  // raw pointer rather than get_data(), which would dereference it.
  auto* data = static_cast<std::any*>(wasmtime_context_get_data(store.capi()));
  if (data == nullptr) return nullptr;
  auto* context = std::any_cast<std::shared_ptr<StoreContext>>(data);
  return context ? context->get() : nullptr;
}

}  // namespace orivon::engine
