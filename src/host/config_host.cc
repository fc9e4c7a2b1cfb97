#include "host/config_host.h"

#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <wasmtime/component.hh>

namespace orivon::host {
namespace {

namespace wc = wasmtime::component;

using Results = wasmtime::Span<wc::Val>;

// `error::upstream(message)`: the configuration could not be read (the
// module is gone, or a stored value failed its checks).
wc::Val error_value(const Error& error) {
  return wc::Val(wc::WitResult::err(
      wc::Val(wc::Variant("upstream", wc::Val::string(error.to_string())))));
}

// The store's reader, made on the store's first read; null for a store made
// without a context, which runs no module.
ConfigReader* reader_of(wasmtime::Store::Context store, const ConfigHost* owner,
                        ConfigSource& source) {
  engine::StoreContext* context = engine::store_context(store);
  if (context == nullptr) return nullptr;
  return &context->state<ConfigReader>(
      owner, [&] { return std::make_shared<ConfigReader>(context->module(), source); });
}

// Calls `read` with the store's reader, or with a reader of the empty
// configuration when the store runs no module.
template <typename F>
void with_reader(wasmtime::Store::Context store, const ConfigHost* owner, ConfigSource& source,
                 F&& read) {
  if (ConfigReader* reader = reader_of(store, owner, source)) {
    read(*reader);
    return;
  }
  ConfigReader no_module(std::nullopt, source);
  read(no_module);
}

std::uint64_t call_of(wasmtime::Store::Context store) {
  engine::StoreContext* context = engine::store_context(store);
  return context == nullptr ? 0 : context->call_sequence();
}

// Runs `body` as the host side of a guest's call: nothing unwinds into
// Wasmtime (STYLE.md rule 15); an exception traps the guest with its message.
template <typename F>
wasmtime::Result<std::monostate> boundary(const char* function, F&& body) noexcept {
  try {
    body();
    return std::monostate{};
  } catch (const std::exception& e) {
    return wasmtime::Error(std::string("wasi:config/store#") + function + ": " + e.what());
  } catch (...) {
    return wasmtime::Error(std::string("wasi:config/store#") + function + ": unknown exception");
  }
}

// get: func(key: string) -> result<option<string>, error>
void get(ConfigReader& reader, std::uint64_t call, const wc::Val& key, Results results) {
  if (!key.is_string() || results.size() != 1) {
    throw std::invalid_argument("called with values of the wrong types");
  }
  auto value = reader.get(call, key.get_string());
  if (!value) {
    results[0] = error_value(value.error());
    return;
  }
  std::optional<wc::Val> payload;
  if (*value) payload = wc::Val::string(**value);
  results[0] = wc::Val(wc::WitResult::ok(wc::Val(wc::WitOption(std::move(payload)))));
}

// get-all: func() -> result<list<tuple<string, string>>, error>
void get_all(ConfigReader& reader, std::uint64_t call, Results results) {
  if (results.size() != 1) throw std::invalid_argument("called with values of the wrong types");
  auto entries = reader.get_all(call);
  if (!entries) {
    results[0] = error_value(entries.error());
    return;
  }
  std::vector<wc::Val> list;
  list.reserve(entries->size());
  for (auto& [key, value] : *entries) {
    list.emplace_back(wc::Tuple({wc::Val::string(key), wc::Val::string(value)}));
  }
  results[0] = wc::Val(wc::WitResult::ok(wc::Val(wc::List(std::move(list)))));
}

}  // namespace

Result<void> ConfigHost::define(wc::Linker& linker) {
  auto root = linker.root();
  for (std::string_view name : kConfigStoreInterfaces) {
    auto added = root.add_instance(name);
    if (!added) {
      return Error(ErrorCode::Internal,
                   "defining " + std::string(name) + ": " + added.err().message());
    }
    wc::LinkerInstance instance = added.ok();
    auto defined = instance.add_func(
        "get", [this](wasmtime::Store::Context store, const wc::FuncType&,
                      wasmtime::Span<wc::Val> args, Results results) {
          return boundary("get", [&] {
            if (args.size() != 1) throw std::invalid_argument("called with the wrong arguments");
            with_reader(store, this, *source_, [&](ConfigReader& reader) {
              get(reader, call_of(store), args[0], results);
            });
          });
        });
    if (defined) {
      defined = instance.add_func(
          "get-all", [this](wasmtime::Store::Context store, const wc::FuncType&,
                            wasmtime::Span<wc::Val>, Results results) {
            return boundary("get-all", [&] {
              with_reader(store, this, *source_, [&](ConfigReader& reader) {
                get_all(reader, call_of(store), results);
              });
            });
          });
    }
    if (!defined) {
      return Error(ErrorCode::Internal,
                   "defining " + std::string(name) + ": " + defined.err().message());
    }
  }
  return ok();
}

}  // namespace orivon::host
