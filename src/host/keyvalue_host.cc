#include "host/keyvalue_host.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "orivon/grants.h"

namespace orivon::host {
namespace {

namespace wc = wasmtime::component;
using Args = wasmtime::Span<wc::Val>;
using Results = wasmtime::Span<wc::Val>;

// Host resource type ids: what a handle the guest passes back says it is.
constexpr std::uint32_t kBucketType = 0x6b760001;
constexpr std::uint32_t kCasType = 0x6b760002;

// Keys in one list-keys page.
constexpr std::size_t kKeysPerPage = 1000;

enum class Draft { One, Two };  // 0.2.0-draft, 0.2.0-draft2

// A call the guest's types make impossible to carry out (a value of the
// wrong kind: the guest imported a function under our name with another
// signature, or a handle that is not ours). Traps the caller.
struct BadCall {
  std::string message;
};

enum class Need { Read, Write };

struct OpenBucket {
  kv::BucketRef ref;
  BucketAccess access = BucketAccess::None;
  std::uint64_t checked_at = 0;  // the policy version `access` was read at
};

struct OpenCas {
  OpenBucket bucket;
  std::string key;
  std::uint64_t version = 0;  // 0: the key was absent
  std::optional<std::vector<std::byte>> value;
};

// The handles one store holds; a handle's rep is its index + 1.
struct Handles {
  std::vector<std::optional<OpenBucket>> buckets;
  std::vector<std::optional<OpenCas>> cas;
  std::size_t open = 0;
};

template <class T>
Result<std::uint32_t> insert(Handles& handles, std::vector<std::optional<T>>& table, T value) {
  if (handles.open >= kMaxKvHandlesPerStore) {
    return Error(ErrorCode::ResourceExhausted,
                 "this instance holds " + std::to_string(kMaxKvHandlesPerStore) +
                     " open key-value handles, the most it may; drop some first");
  }
  std::size_t index = 0;
  while (index < table.size() && table[index]) ++index;
  if (index == table.size()) table.emplace_back();
  table[index] = std::move(value);
  ++handles.open;
  return static_cast<std::uint32_t>(index + 1);
}

template <class T>
void erase(Handles& handles, std::vector<std::optional<T>>& table, std::uint32_t rep) {
  if (rep == 0 || rep > table.size() || !table[rep - 1]) return;
  table[rep - 1].reset();
  --handles.open;
}

// --- reading the guest's values -------------------------------------------

const wc::Val& arg(Args args, std::size_t index) {
  if (index >= args.size()) throw BadCall{"missing argument " + std::to_string(index + 1)};
  return args[index];
}

std::string_view as_string(const wc::Val& value) {
  if (!value.is_string()) throw BadCall{"expected a string"};
  return value.get_string();
}

std::vector<std::byte> as_bytes(const wc::Val& value) {
  if (!value.is_list()) throw BadCall{"expected a list<u8>"};
  const wc::List& list = value.get_list();
  std::vector<std::byte> bytes;
  bytes.reserve(list.size());
  for (const wc::Val& item : list) {
    if (!item.is_u8()) throw BadCall{"expected a list<u8>"};
    bytes.push_back(static_cast<std::byte>(item.get_u8()));
  }
  return bytes;
}

std::vector<std::string> as_strings(const wc::Val& value) {
  if (!value.is_list()) throw BadCall{"expected a list<string>"};
  std::vector<std::string> strings;
  for (const wc::Val& item : value.get_list()) strings.emplace_back(as_string(item));
  return strings;
}

const wc::Val* as_option(const wc::Val& value) {
  if (!value.is_option()) throw BadCall{"expected an option"};
  return value.get_option().value();
}

std::uint32_t rep_of(wasmtime::Store::Context store, const wc::Val& value, std::uint32_t type) {
  if (!value.is_resource()) throw BadCall{"expected a resource handle"};
  auto host = value.get_resource().to_host(store);
  if (!host) throw BadCall{"a resource handle the host did not make"};
  const wc::ResourceHost& resource = host.ok();
  if (resource.type() != type) throw BadCall{"a resource handle of another type"};
  return resource.rep();
}

const wc::Val* field(const wc::Val& record, std::string_view name) {
  if (!record.is_record()) throw BadCall{"expected a record"};
  for (const wc::RecordField& item : record.get_record()) {
    if (item.name() == name) return &item.value();
  }
  throw BadCall{"a record without field '" + std::string(name) + "'"};
}

// --- making values ----------------------------------------------------------

wc::Val bytes_value(std::span<const std::byte> bytes) {
  std::vector<wc::Val> items;
  items.reserve(bytes.size());
  for (std::byte b : bytes) items.emplace_back(static_cast<std::uint8_t>(b));
  return wc::Val(wc::List(std::move(items)));
}

wc::Val strings_value(const std::vector<std::string>& strings) {
  std::vector<wc::Val> items;
  items.reserve(strings.size());
  for (const auto& s : strings) items.push_back(wc::Val::string(s));
  return wc::Val(wc::List(std::move(items)));
}

wc::Val ok_value(std::optional<wc::Val> value = std::nullopt) {
  return wc::Val(wc::WitResult::ok(std::move(value)));
}

wc::Val option_value(std::optional<wc::Val> value) {
  return wc::Val(wc::WitOption(std::move(value)));
}

// The store interface's `error` variant for `error`.
wc::Val error_variant(const Error& error) {
  switch (error.code()) {
    case ErrorCode::NotFound: return wc::Val(wc::Variant("no-such-store", std::nullopt));
    case ErrorCode::PermissionDenied: return wc::Val(wc::Variant("access-denied", std::nullopt));
    default: return wc::Val(wc::Variant("other", wc::Val::string(error.message())));
  }
}

wc::Val err_value(const Error& error) {
  return wc::Val(wc::WitResult::err(error_variant(error)));
}

wc::Val resource_value(wasmtime::Store::Context store, std::uint32_t rep, std::uint32_t type) {
  auto any = wc::ResourceHost(true, rep, type).to_any(store);
  if (!any) throw BadCall{"making a resource handle: " + any.err().message()};
  return wc::Val(any.ok());
}

void set_result(Results results, wc::Val value) {
  if (results.size() != 1) throw BadCall{"expected one result"};
  results[0] = std::move(value);
}

}  // namespace

struct KeyValueHost::Shared {
  std::shared_ptr<kv::KvStore> store;
  std::shared_ptr<BucketPolicy> policy;

  // The calling store's handles and module.
  struct Caller {
    engine::StoreContext& context;
    Handles& handles;
  };
  Caller caller(wasmtime::Store::Context store) {
    engine::StoreContext* context = engine::store_context(store);
    if (context == nullptr) {
      engine::set_store_context(store, std::make_shared<engine::StoreContext>(std::nullopt));
      context = engine::store_context(store);
    }
    Handles& handles = context->state<Handles>(this, [] { return std::make_shared<Handles>(); });
    return Caller{*context, handles};
  }

  // Decides (again, if the grants moved) what the caller may do with
  // `bucket`, and refuses `need` past it.
  Result<void> check(const engine::StoreContext& context, OpenBucket& bucket, Need need) {
    if (!bucket.ref.is_private()) {
      const std::uint64_t version = policy->version();
      if (version != bucket.checked_at) {
        bucket.access = context.module()
                            ? policy->access(*context.module(), bucket.ref.storage_name())
                            : BucketAccess::None;
        bucket.checked_at = version;
      }
    }
    if (bucket.access == BucketAccess::None ||
        (need == Need::Write && bucket.access != BucketAccess::ReadWrite)) {
      return Error(ErrorCode::PermissionDenied, "no grant for " + bucket.ref.describe());
    }
    return ok();
  }

  Result<OpenBucket> open(const engine::StoreContext& context, std::string_view identifier) {
    if (!store) return Error(ErrorCode::NotFound, "this host keeps no key-value store");
    if (identifier.empty()) {
      if (!context.module()) return Error(ErrorCode::NotFound, "no module, so no private bucket");
      return OpenBucket{kv::BucketRef::private_of(*context.module()), BucketAccess::ReadWrite, 0};
    }
    if (!is_bucket_name(identifier)) return Error(ErrorCode::NotFound, "not a bucket name");
    OpenBucket bucket{kv::BucketRef::named(std::string(identifier)), BucketAccess::None,
                      policy->version() + 1};
    // Access first: a module without a grant learns nothing of whether the
    // bucket exists.
    ORIVON_RETURN_IF_ERROR(check(context, bucket, Need::Read));
    if (!store->exists(bucket.ref)) return Error(ErrorCode::NotFound, "no such bucket");
    return bucket;
  }

  OpenBucket& bucket_handle(Handles& handles, std::uint32_t rep) {
    if (rep == 0 || rep > handles.buckets.size() || !handles.buckets[rep - 1]) {
      throw BadCall{"a bucket handle that is not open"};
    }
    return *handles.buckets[rep - 1];
  }

  // The bucket a method's first argument names, checked for `need`.
  Result<OpenBucket*> use(wasmtime::Store::Context cx, Caller& caller, Args args, Need need) {
    OpenBucket& bucket = bucket_handle(caller.handles, rep_of(cx, arg(args, 0), kBucketType));
    ORIVON_RETURN_IF_ERROR(check(caller.context, bucket, need));
    return &bucket;
  }

  // A new CAS handle on `key` as it is now.
  Result<std::uint32_t> new_cas(Caller& caller, const OpenBucket& bucket, std::string key) {
    ORIVON_TRY(auto entry, store->get(bucket.ref, key));
    OpenCas cas{bucket, std::move(key), 0, std::nullopt};
    if (entry) {
      cas.version = entry->version;
      cas.value = std::move(entry->value);
    }
    return insert(caller.handles, caller.handles.cas, std::move(cas));
  }

  Result<kv::KeyPage> page(const OpenBucket& bucket, std::string_view prefix,
                           std::optional<std::string_view> cursor, std::size_t limit) {
    return store->keys(bucket.ref, prefix, cursor, limit);
  }
};

namespace {

using Shared = KeyValueHost::Shared;

// Defines `name` on `instance`: `body(store, caller, args, results)` with
// every escape (a BadCall, an exception) turned into a trap.
template <class Body>
Result<void> define_func(wc::LinkerInstance& instance, std::string_view name,
                         std::shared_ptr<Shared> shared, Body body) {
  auto defined = instance.add_func(
      name, [shared = std::move(shared), body = std::move(body), label = std::string(name)](
                wasmtime::Store::Context store, const wc::FuncType&, Args args,
                Results results) -> wasmtime::Result<std::monostate> {
        try {
          auto caller = shared->caller(store);
          body(store, *shared, caller, args, results);
          return std::monostate{};
        } catch (const BadCall& bad) {
          return wasmtime::Error("orivon: wasi:keyvalue " + label + ": " + bad.message);
        } catch (const std::exception& e) {
          return wasmtime::Error("orivon: wasi:keyvalue " + label + " failed: " + e.what());
        } catch (...) {
          return wasmtime::Error("orivon: wasi:keyvalue " + label + " failed");
        }
      });
  if (!defined) {
    return Error(ErrorCode::Internal,
                 "defining wasi:keyvalue " + std::string(name) + ": " + defined.err().message());
  }
  return ok();
}

template <class T>
void deliver(Results results, const Result<T>& outcome, auto&& make) {
  if (!outcome) {
    set_result(results, err_value(outcome.error()));
  } else {
    set_result(results, make(*outcome));
  }
}

Result<wc::LinkerInstance> add_instance(wc::Linker& linker, const std::string& name) {
  auto added = linker.root().add_instance(name);
  if (!added) {
    return Error(ErrorCode::Internal, "defining " + name + ": " + added.err().message());
  }
  return added.ok();
}

// Defines the resource `name` of host type `type`: when the guest drops a
// handle, its entry in the store's `table` is freed.
template <class T>
Result<void> define_resource(wc::LinkerInstance& instance, std::string_view name,
                             std::uint32_t type, const std::shared_ptr<Shared>& shared,
                             std::vector<std::optional<T>> Handles::*table) {
  auto defined = instance.add_resource(
      name, wc::ResourceType(type),
      [weak = std::weak_ptr<Shared>(shared), table](
          wasmtime::Store::Context store, std::uint32_t rep) -> wasmtime::Result<std::monostate> {
        try {
          if (auto owner = weak.lock()) {
            auto caller = owner->caller(store);
            erase(caller.handles, caller.handles.*table, rep);
          }
        } catch (...) {
        }
        return std::monostate{};
      });
  if (!defined) {
    return Error(ErrorCode::Internal,
                 "defining " + std::string(name) + ": " + defined.err().message());
  }
  return ok();
}

wc::Val key_response(const kv::KeyPage& page) {
  std::optional<wc::Val> cursor;
  if (page.cursor) cursor = wc::Val::string(*page.cursor);
  return wc::Val(wc::Record({{"keys", strings_value(page.keys)},
                             {"cursor", option_value(std::move(cursor))}}));
}

Result<void> define_store(wc::Linker& linker, const std::shared_ptr<Shared>& shared,
                          Draft draft) {
  const std::string version = draft == Draft::Two ? "0.2.0-draft2" : "0.2.0-draft";
  ORIVON_TRY(auto instance, add_instance(linker, "wasi:keyvalue/store@" + version));
  ORIVON_RETURN_IF_ERROR(
      define_resource(instance, "bucket", kBucketType, shared, &Handles::buckets));

  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "open", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto opened = s.open(caller.context, as_string(arg(args, 0)));
        Result<std::uint32_t> rep = opened ? insert(caller.handles, caller.handles.buckets, *opened)
                                           : Result<std::uint32_t>(opened.error());
        deliver(results, rep,
                [&](std::uint32_t r) { return ok_value(resource_value(store, r, kBucketType)); });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "[method]bucket.get", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Read);
        Result<std::optional<Entry>> entry =
            bucket ? s.store->get((*bucket)->ref, as_string(arg(args, 1)))
                   : Result<std::optional<Entry>>(bucket.error());
        deliver(results, entry, [](const std::optional<Entry>& found) {
          return ok_value(option_value(found ? std::optional<wc::Val>(bytes_value(found->value))
                                             : std::nullopt));
        });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "[method]bucket.set", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Write);
        Result<kv::SetOutcome> set =
            bucket ? s.store->set((*bucket)->ref, as_string(arg(args, 1)), as_bytes(arg(args, 2)))
                   : Result<kv::SetOutcome>(bucket.error());
        deliver(results, set, [](const kv::SetOutcome&) { return ok_value(); });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "[method]bucket.delete", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Write);
        Result<bool> removed = bucket ? s.store->remove((*bucket)->ref, as_string(arg(args, 1)))
                                      : Result<bool>(bucket.error());
        deliver(results, removed, [](bool) { return ok_value(); });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "[method]bucket.exists", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Read);
        Result<bool> found = bucket ? s.store->contains((*bucket)->ref, as_string(arg(args, 1)))
                                    : Result<bool>(bucket.error());
        deliver(results, found, [](bool yes) { return ok_value(wc::Val(yes)); });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "[method]bucket.list-keys", shared,
      [draft](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Read);
        if (!bucket) return set_result(results, err_value(bucket.error()));
        const wc::Val* cursor = as_option(arg(args, 1));
        if (draft == Draft::Two) {
          std::optional<std::string> after;
          if (cursor) after = std::string(as_string(*cursor));
          auto page = s.page(**bucket, "", after, kKeysPerPage);
          return deliver(results, page, [](const kv::KeyPage& p) { return ok_value(key_response(p)); });
        }
        // 0.2.0-draft's cursor is a number: how many keys came before.
        std::uint64_t skip = 0;
        if (cursor) {
          if (!cursor->is_u64()) throw BadCall{"expected a u64 cursor"};
          skip = cursor->get_u64();
        }
        std::optional<std::string> after;
        std::uint64_t skipped = 0;
        while (skipped < skip) {
          const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(skip - skipped, kKeysPerPage));
          auto page = s.page(**bucket, "", after, step);
          if (!page) return set_result(results, err_value(page.error()));
          skipped += page->keys.size();
          if (page->keys.size() < step) break;
          after = page->keys.back();
        }
        auto page = s.page(**bucket, "", after, kKeysPerPage);
        if (!page) return set_result(results, err_value(page.error()));
        std::optional<wc::Val> next;
        if (page->cursor) next = wc::Val(static_cast<std::uint64_t>(skipped + page->keys.size()));
        set_result(results, ok_value(wc::Val(wc::Record(
                                {{"keys", strings_value(page->keys)},
                                 {"cursor", option_value(std::move(next))}}))));
      }));
  return ok();
}

Result<void> define_atomics(wc::Linker& linker, const std::shared_ptr<Shared>& shared,
                            Draft draft) {
  const std::string version = draft == Draft::Two ? "0.2.0-draft2" : "0.2.0-draft";
  ORIVON_TRY(auto instance, add_instance(linker, "wasi:keyvalue/atomics@" + version));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "increment", shared,
      [draft](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Write);
        if (!bucket) return set_result(results, err_value(bucket.error()));
        const wc::Val& delta = arg(args, 2);
        if (draft == Draft::Two) {
          if (!delta.is_s64()) throw BadCall{"expected an s64 delta"};
          auto sum = s.store->increment((*bucket)->ref, as_string(arg(args, 1)), delta.get_s64());
          return deliver(results, sum, [](std::int64_t v) { return ok_value(wc::Val(v)); });
        }
        if (!delta.is_u64()) throw BadCall{"expected a u64 delta"};
        if (delta.get_u64() > static_cast<std::uint64_t>(INT64_MAX)) {
          return set_result(results, err_value(Error(ErrorCode::InvalidArgument,
                                                     "a delta above 2^63-1 overflows the value")));
        }
        // 0.2.0-draft's values are unsigned: a sum below zero is refused.
        auto sum = s.store->increment((*bucket)->ref, as_string(arg(args, 1)),
                                      static_cast<std::int64_t>(delta.get_u64()),
                                      kv::KvStore::Sum::NonNegative);
        deliver(results, sum,
                [](std::int64_t v) { return ok_value(wc::Val(static_cast<std::uint64_t>(v))); });
      }));
  if (draft == Draft::One) return ok();

  ORIVON_RETURN_IF_ERROR(define_resource(instance, "cas", kCasType, shared, &Handles::cas));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "[static]cas.new", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Read);
        Result<std::uint32_t> rep =
            bucket ? s.new_cas(caller, **bucket, std::string(as_string(arg(args, 1))))
                   : Result<std::uint32_t>(bucket.error());
        deliver(results, rep,
                [&](std::uint32_t r) { return ok_value(resource_value(store, r, kCasType)); });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "[method]cas.current", shared,
      [](auto store, Shared&, Shared::Caller& caller, Args args, Results results) {
        const std::uint32_t rep = rep_of(store, arg(args, 0), kCasType);
        if (rep == 0 || rep > caller.handles.cas.size() || !caller.handles.cas[rep - 1]) {
          throw BadCall{"a CAS handle that is not open"};
        }
        const OpenCas& cas = *caller.handles.cas[rep - 1];
        set_result(results, ok_value(option_value(
                                cas.value ? std::optional<wc::Val>(bytes_value(*cas.value))
                                          : std::nullopt)));
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "swap", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        const wc::Val& handle = arg(args, 0);
        const std::uint32_t rep = rep_of(store, handle, kCasType);
        if (rep == 0 || rep > caller.handles.cas.size() || !caller.handles.cas[rep - 1]) {
          throw BadCall{"a CAS handle that is not open"};
        }
        OpenCas cas = *caller.handles.cas[rep - 1];
        std::vector<std::byte> value = as_bytes(arg(args, 1));
        // swap takes the handle: it is dropped whatever happens.
        (void)handle.get_resource().drop(store);
        erase(caller.handles, caller.handles.cas, rep);
        auto store_error = [&](const Error& error) {
          set_result(results, wc::Val(wc::WitResult::err(
                                  wc::Val(wc::Variant("store-error", error_variant(error))))));
        };
        if (auto allowed = s.check(caller.context, cas.bucket, Need::Write); !allowed) {
          return store_error(allowed.error());
        }
        kv::SetOptions options;
        if (cas.version == 0) {
          options.if_absent = true;  // the key was absent: only a create may win
        } else {
          options.if_version = cas.version;
        }
        auto set = s.store->set(cas.bucket.ref, cas.key, value, options);
        if (!set) return store_error(set.error());
        if (set->written) return set_result(results, ok_value());
        auto fresh = s.new_cas(caller, cas.bucket, cas.key);
        if (!fresh) return store_error(fresh.error());
        set_result(results, wc::Val(wc::WitResult::err(wc::Val(
                                wc::Variant("cas-failed", resource_value(store, *fresh, kCasType))))));
      }));
  return ok();
}

Result<void> define_batch(wc::Linker& linker, const std::shared_ptr<Shared>& shared,
                          Draft draft) {
  const std::string version = draft == Draft::Two ? "0.2.0-draft2" : "0.2.0-draft";
  ORIVON_TRY(auto instance, add_instance(linker, "wasi:keyvalue/batch@" + version));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "get-many", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Read);
        if (!bucket) return set_result(results, err_value(bucket.error()));
        std::vector<wc::Val> found;
        for (const std::string& key : as_strings(arg(args, 1))) {
          auto entry = s.store->get((*bucket)->ref, key);
          if (!entry) return set_result(results, err_value(entry.error()));
          std::optional<wc::Val> pair;
          if (*entry) pair = wc::Val(wc::Tuple({wc::Val::string(key), bytes_value((*entry)->value)}));
          found.push_back(option_value(std::move(pair)));
        }
        set_result(results, ok_value(wc::Val(wc::List(std::move(found)))));
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "set-many", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Write);
        if (!bucket) return set_result(results, err_value(bucket.error()));
        const wc::Val& list = arg(args, 1);
        if (!list.is_list()) throw BadCall{"expected a list of pairs"};
        std::vector<std::pair<std::string, std::vector<std::byte>>> pairs;
        for (const wc::Val& item : list.get_list()) {
          if (!item.is_tuple() || item.get_tuple().size() != 2) throw BadCall{"expected a pair"};
          const wc::Val* parts = item.get_tuple().begin();
          pairs.emplace_back(std::string(as_string(parts[0])), as_bytes(parts[1]));
        }
        auto written = s.store->set_many((*bucket)->ref, pairs);
        deliver(results, written.has_value() ? Result<bool>(true) : Result<bool>(written.error()),
                [](bool) { return ok_value(); });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "delete-many", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Write);
        if (!bucket) return set_result(results, err_value(bucket.error()));
        auto keys = as_strings(arg(args, 1));
        auto removed = s.store->remove_many((*bucket)->ref, keys);
        deliver(results, removed.has_value() ? Result<bool>(true) : Result<bool>(removed.error()),
                [](bool) { return ok_value(); });
      }));
  return ok();
}

// orivon:keyvalue/ext@0.1.0 (wit/keyvalue-ext.wit).
Result<void> define_ext(wc::Linker& linker, const std::shared_ptr<Shared>& shared) {
  ORIVON_TRY(auto instance, add_instance(linker, "orivon:keyvalue/ext@0.1.0"));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "set-with-options", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Write);
        if (!bucket) return set_result(results, err_value(bucket.error()));
        const wc::Val& options = arg(args, 3);
        kv::SetOptions set_options;
        if (const wc::Val* ttl = as_option(*field(options, "ttl-ms"))) {
          if (!ttl->is_u64()) throw BadCall{"expected a u64 ttl-ms"};
          set_options.ttl = std::chrono::milliseconds(
              static_cast<std::int64_t>(std::min<std::uint64_t>(ttl->get_u64(), INT64_MAX / 4)));
        }
        const wc::Val* if_absent = field(options, "if-absent");
        if (!if_absent->is_bool()) throw BadCall{"expected a bool if-absent"};
        set_options.if_absent = if_absent->get_bool();
        if (const wc::Val* version = as_option(*field(options, "if-version"))) {
          if (!version->is_u64()) throw BadCall{"expected a u64 if-version"};
          set_options.if_version = version->get_u64();
        }
        auto set = s.store->set((*bucket)->ref, as_string(arg(args, 1)), as_bytes(arg(args, 2)),
                                set_options);
        deliver(results, set, [](const kv::SetOutcome& outcome) {
          return ok_value(option_value(outcome.written ? std::optional<wc::Val>(wc::Val(outcome.version))
                                                       : std::nullopt));
        });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "get-entry", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Read);
        Result<std::optional<Entry>> entry =
            bucket ? s.store->get((*bucket)->ref, as_string(arg(args, 1)))
                   : Result<std::optional<Entry>>(bucket.error());
        deliver(results, entry, [](const std::optional<Entry>& found) {
          std::optional<wc::Val> record;
          if (found) {
            std::optional<wc::Val> expires;
            if (found->expires_at_ms) {
              expires = wc::Val(static_cast<std::uint64_t>(std::max<std::int64_t>(0, *found->expires_at_ms)));
            }
            record = wc::Val(wc::Record({{"value", bytes_value(found->value)},
                                         {"version", wc::Val(found->version)},
                                         {"expires-at-ms", option_value(std::move(expires))}}));
          }
          return ok_value(option_value(std::move(record)));
        });
      }));
  ORIVON_RETURN_IF_ERROR(define_func(
      instance, "list-keys-with-prefix", shared,
      [](auto store, Shared& s, Shared::Caller& caller, Args args, Results results) {
        auto bucket = s.use(store, caller, args, Need::Read);
        if (!bucket) return set_result(results, err_value(bucket.error()));
        std::optional<std::string> after;
        if (const wc::Val* cursor = as_option(arg(args, 2))) after = std::string(as_string(*cursor));
        const wc::Val& limit = arg(args, 3);
        if (!limit.is_u32()) throw BadCall{"expected a u32 limit"};
        auto page = s.page(**bucket, as_string(arg(args, 1)), after,
                           std::min<std::size_t>(limit.get_u32(), kKeysPerPage));
        deliver(results, page, [](const kv::KeyPage& p) { return ok_value(key_response(p)); });
      }));
  return ok();
}

}  // namespace

KeyValueHost::KeyValueHost(std::shared_ptr<kv::KvStore> store, std::shared_ptr<BucketPolicy> policy)
    : shared_(std::make_shared<Shared>(Shared{std::move(store), std::move(policy)})) {}

KeyValueHost::~KeyValueHost() = default;

Result<void> KeyValueHost::define(wasmtime::component::Linker& linker) {
  for (Draft draft : {Draft::Two, Draft::One}) {
    ORIVON_RETURN_IF_ERROR(define_store(linker, shared_, draft));
    ORIVON_RETURN_IF_ERROR(define_atomics(linker, shared_, draft));
    ORIVON_RETURN_IF_ERROR(define_batch(linker, shared_, draft));
  }
  return define_ext(linker, shared_);
}

}  // namespace orivon::host
