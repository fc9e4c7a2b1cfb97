// Marshalling of wasi:messaging@0.2.0-draft: component values to and from
// EventMessages, resource handles in a per-store table. Wasmtime checks every
// value a guest passes against the import's type before we see it, but the
// accessors below still check each kind first (their asserts are compiled
// out): a mismatch is a trap, never undefined behaviour.

#include "bus/messaging_host.h"

#include <algorithm>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "core/limits.h"
#include "engine/guest_memory.h"

namespace orivon::bus {
namespace {

namespace wc = wasmtime::component;
using wasmtime::Span;
using wasmtime::Store;

constexpr std::string_view kTypes = "wasi:messaging/types@0.2.0-draft";
constexpr std::string_view kProducer = "wasi:messaging/producer@0.2.0-draft";
// Host resource type ids: unique among the host's interfaces ("msg" + n).
constexpr std::uint32_t kClientType = 0x6d736701;
constexpr std::uint32_t kMessageType = 0x6d736702;

// One store's handles, and whether it is handling an event (and how deep).
struct MessagingState {
  std::map<std::uint32_t, EventMessage> messages;
  std::map<std::uint32_t, bool> clients;  // rep -> connected
  std::uint32_t next_rep = 1;
  std::optional<std::uint32_t> handling_hops;

  std::size_t handles() const { return messages.size() + clients.size(); }
  std::size_t payload_bytes() const {
    std::size_t bytes = 0;
    for (const auto& [rep, message] : messages) bytes += message.data.size();
    return bytes;
  }
};

wasmtime::Error trap(std::string message) { return wasmtime::Error(std::move(message)); }

MessagingState* state_of(Store::Context cx, const void* owner) {
  engine::StoreContext* context = engine::store_context(cx);
  if (context == nullptr) return nullptr;
  return &context->state<MessagingState>(owner, [] { return std::make_shared<MessagingState>(); });
}

Result<std::uint32_t> new_rep(MessagingState& state) {
  if (state.handles() >= limits::kMaxMessagingHandles) {
    return Error(ErrorCode::ResourceExhausted,
                 "wasi:messaging: more than " + std::to_string(limits::kMaxMessagingHandles) +
                     " open handles in one module (drop messages once sent)");
  }
  // Reps are never 0 and never reused while the store lives (a u32 wraps
  // after four billion handles; skip any still in use).
  while (state.next_rep == 0 || state.messages.count(state.next_rep) ||
         state.clients.count(state.next_rep)) {
    ++state.next_rep;
  }
  return state.next_rep++;
}

wc::Val string_val(std::string_view text) { return wc::Val::string(text); }

wc::Val bytes_val(const std::vector<std::uint8_t>& bytes) {
  std::vector<wc::Val> items;
  items.reserve(bytes.size());
  for (std::uint8_t byte : bytes) items.emplace_back(byte);
  return wc::Val(wc::List(std::move(items)));
}

// A payload for a message of `state`. Larger than an event may be is fine
// here (send says why it refuses it); more than the store's messages may
// hold in all is not.
Result<std::vector<std::uint8_t>> bytes_of(const wc::Val& value, const MessagingState& state) {
  if (!value.is_list()) return Error(ErrorCode::InvalidArgument, "expected list<u8>");
  const wc::List& list = value.get_list();
  if (list.size() > limits::kMaxMessagingStoreBytes - std::min(state.payload_bytes(), limits::kMaxMessagingStoreBytes)) {
    return Error(ErrorCode::ResourceExhausted,
                 "messages of one module may hold " +
                     std::to_string(limits::kMaxMessagingStoreBytes) +
                     " bytes in all (an event carries at most " +
                     std::to_string(limits::kMaxEventBytes) + ")");
  }
  std::vector<std::uint8_t> out;
  out.reserve(list.size());
  for (const wc::Val& item : list) {
    if (!item.is_u8()) return Error(ErrorCode::InvalidArgument, "expected list<u8>");
    out.push_back(item.get_u8());
  }
  return out;
}

Result<std::string> string_of(const wc::Val& value) {
  if (!value.is_string()) return Error(ErrorCode::InvalidArgument, "expected a string");
  return std::string(value.get_string());
}

wc::Val metadata_val(const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::vector<wc::Val> pairs;
  for (const auto& [key, value] : metadata) {
    pairs.emplace_back(wc::Tuple({string_val(key), string_val(value)}));
  }
  return wc::Val(wc::List(std::move(pairs)));
}

Result<std::vector<std::pair<std::string, std::string>>> metadata_of(const wc::Val& value) {
  if (!value.is_list()) return Error(ErrorCode::InvalidArgument, "expected metadata");
  std::vector<std::pair<std::string, std::string>> out;
  for (const wc::Val& item : value.get_list()) {
    if (!item.is_tuple() || item.get_tuple().size() != 2) {
      return Error(ErrorCode::InvalidArgument, "expected metadata");
    }
    const wc::Val* parts = item.get_tuple().begin();
    ORIVON_TRY(auto key, string_of(parts[0]));
    ORIVON_TRY(auto text, string_of(parts[1]));
    out.emplace_back(std::move(key), std::move(text));
  }
  return out;
}

// The error variant of wasi:messaging/types.
wc::Val error_val(const Error& error) {
  switch (error.code()) {
    case ErrorCode::PermissionDenied:
      return wc::Val(wc::Variant("permission-denied", string_val(error.message())));
    case ErrorCode::DeadlineExceeded:
      return wc::Val(wc::Variant("timeout", std::nullopt));
    case ErrorCode::Unavailable:
      return wc::Val(wc::Variant("connection", string_val(error.message())));
    default:
      return wc::Val(wc::Variant("other", string_val(error.message())));
  }
}

wc::Val result_val(const Result<void>& outcome) {
  if (outcome) return wc::Val(wc::WitResult::ok(std::nullopt));
  return wc::Val(wc::WitResult::err(error_val(outcome.error())));
}

// The rep of a resource argument of type `type`.
Result<std::uint32_t> rep_of(Store::Context cx, const wc::Val& value, std::uint32_t type) {
  if (!value.is_resource()) return Error(ErrorCode::InvalidArgument, "expected a resource");
  auto host = value.get_resource().to_host(cx);
  if (!host) return Error(ErrorCode::InvalidArgument, "not a host resource");
  const wc::ResourceHost resource = host.ok();
  if (resource.type() != type) return Error(ErrorCode::InvalidArgument, "wrong resource type");
  return resource.rep();
}

// A host function's body: its errors become traps, and nothing escapes it
// (STYLE.md rule 15).
template <typename Body>
auto host_function(const char* name, const void* owner, Body body) {
  return [name, owner, body](Store::Context cx, const wc::FuncType&, Span<wc::Val> args,
                             Span<wc::Val> results) -> wasmtime::Result<std::monostate> {
    try {
      MessagingState* state = state_of(cx, owner);
      if (state == nullptr) return trap(std::string(name) + ": this store has no host context");
      Result<void> done = body(cx, *state, args, results);
      if (!done) return trap(std::string(name) + ": " + done.error().message());
      return std::monostate();
    } catch (const std::exception& e) {
      return trap(std::string(name) + ": " + e.what());
    } catch (...) {
      return trap(std::string(name) + ": unknown exception");
    }
  };
}

Result<EventMessage*> message_at(Store::Context cx, MessagingState& state, const wc::Val& value) {
  ORIVON_TRY(auto rep, rep_of(cx, value, kMessageType));
  auto it = state.messages.find(rep);
  if (it == state.messages.end()) return Error(ErrorCode::InvalidArgument, "unknown message handle");
  return &it->second;
}

}  // namespace

Result<void> MessagingHost::define_core(wasmtime::Linker& linker) {
  auto defined = linker.func_wrap(
      "orivon:events", "publish",
      [this](wasmtime::Caller caller, std::int32_t topic_pointer, std::int32_t topic_length,
             std::int32_t data_pointer, std::int32_t data_length) -> std::int32_t {
        constexpr std::int32_t kAccess = -2, kFault = -21, kInvalid = -28, kIo = -29,
                               kNoBuffers = -42;
        try {
          engine::StoreContext* context = engine::store_context(caller.context());
          EventGateway* gateway = gateway_.load(std::memory_order_acquire);
          if (context == nullptr || !context->module() || gateway == nullptr) return kIo;
          auto memory = engine::GuestMemory::of(caller);
          if (!memory) return kFault;
          const auto u32 = [](std::int32_t value) { return static_cast<std::uint32_t>(value); };
          if (u32(topic_length) > 1024 || u32(data_length) > limits::kMaxEventBytes) {
            return kInvalid;
          }
          auto topic = memory->range(u32(topic_pointer), u32(topic_length));
          auto data = memory->range(u32(data_pointer), u32(data_length));
          if (!topic || !data) return kFault;
          EventMessage message;
          message.topic.assign(reinterpret_cast<const char*>(topic->data()), topic->size());
          message.data.assign(reinterpret_cast<const std::uint8_t*>(data->data()),
                              reinterpret_cast<const std::uint8_t*>(data->data()) + data->size());
          auto published = gateway->publish_as(*context->module(), std::move(message), 0);
          if (published) return 0;
          switch (published.error().code()) {
            case ErrorCode::PermissionDenied: return kAccess;
            case ErrorCode::InvalidArgument: return kInvalid;
            case ErrorCode::ResourceExhausted: return kNoBuffers;
            default: return kIo;
          }
        } catch (...) {
          return kIo;
        }
      });
  if (!defined) {
    return Error(ErrorCode::Internal, "defining orivon:events publish: " + defined.err().message());
  }
  return ok();
}

Result<void> MessagingHost::define(wc::Linker& linker) {
  auto defined = [&]() -> Result<void> {
    auto root = linker.root();
    const void* owner = this;
    {
      auto made = root.add_instance(kTypes);
      if (!made) return Error(ErrorCode::Internal, "defining " + std::string(kTypes) + ": " + made.err().message());
      wc::LinkerInstance types = made.ok();
      auto drop = [owner](std::uint32_t type) {
        return [owner, type](Store::Context cx, std::uint32_t rep) -> wasmtime::Result<std::monostate> {
          try {
            if (MessagingState* state = state_of(cx, owner)) {
              if (type == kMessageType) state->messages.erase(rep);
              else state->clients.erase(rep);
            }
          } catch (...) {
          }
          return std::monostate();
        };
      };
      std::vector<std::string> failures;
      auto check = [&](auto&& added, std::string_view what) {
        if (!added) failures.push_back(std::string(what) + ": " + added.err().message());
      };
      check(types.add_resource("client", wc::ResourceType(kClientType), drop(kClientType)), "client");
      check(types.add_resource("message", wc::ResourceType(kMessageType), drop(kMessageType)), "message");

      check(types.add_func("[static]client.connect", host_function("client.connect", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            ORIVON_TRY(auto name, string_of(args[0]));
            if (!name.empty() && name != "default") {
              results[0] = wc::Val(wc::WitResult::err(wc::Val(wc::Variant(
                  "connection", string_val("no messaging service '" + name +
                                           "': this host serves \"default\" (its event bus)")))));
              return ok();
            }
            ORIVON_TRY(auto rep, new_rep(state));
            state.clients[rep] = true;
            auto any = wc::ResourceHost(true, rep, kClientType).to_any(cx);
            if (!any) return Error(ErrorCode::Internal, any.err().message());
            results[0] = wc::Val(wc::WitResult::ok(wc::Val(any.ok())));
            return ok();
          })), "client.connect");
      check(types.add_func("[method]client.disconnect", host_function("client.disconnect", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            ORIVON_TRY(auto rep, rep_of(cx, args[0], kClientType));
            if (auto it = state.clients.find(rep); it != state.clients.end()) it->second = false;
            results[0] = wc::Val(wc::WitResult::ok(std::nullopt));
            return ok();
          })), "client.disconnect");

      check(types.add_func("[constructor]message", host_function("message", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            EventMessage message;
            ORIVON_TRY(message.data, bytes_of(args[0], state));
            ORIVON_TRY(auto rep, new_rep(state));
            state.messages[rep] = std::move(message);
            auto any = wc::ResourceHost(true, rep, kMessageType).to_any(cx);
            if (!any) return Error(ErrorCode::Internal, any.err().message());
            results[0] = wc::Val(any.ok());
            return ok();
          })), "message");
      check(types.add_func("[method]message.topic", host_function("message.topic", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            results[0] = wc::Val(wc::WitOption(
                message->topic.empty() ? std::nullopt : std::optional(string_val(message->topic))));
            return ok();
          })), "message.topic");
      check(types.add_func("[method]message.content-type", host_function("message.content-type", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            results[0] = wc::Val(wc::WitOption(message->content_type
                                                   ? std::optional(string_val(*message->content_type))
                                                   : std::nullopt));
            return ok();
          })), "message.content-type");
      check(types.add_func("[method]message.set-content-type", host_function("message.set-content-type", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val>) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            ORIVON_TRY(auto text, string_of(args[1]));
            if (text.size() > limits::kMaxEventContentType) {
              return Error(ErrorCode::InvalidArgument, "the content type is too long");
            }
            message->content_type = std::move(text);
            return ok();
          })), "message.set-content-type");
      check(types.add_func("[method]message.data", host_function("message.data", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            results[0] = bytes_val(message->data);
            return ok();
          })), "message.data");
      check(types.add_func("[method]message.set-data", host_function("message.set-data", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val>) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            message->data.clear();
            ORIVON_TRY(message->data, bytes_of(args[1], state));
            return ok();
          })), "message.set-data");
      check(types.add_func("[method]message.metadata", host_function("message.metadata", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            results[0] = wc::Val(wc::WitOption(
                message->metadata.empty() ? std::nullopt
                                          : std::optional(metadata_val(message->metadata))));
            return ok();
          })), "message.metadata");
      check(types.add_func("[method]message.add-metadata", host_function("message.add-metadata", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val>) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            ORIVON_TRY(auto key, string_of(args[1]));
            ORIVON_TRY(auto value, string_of(args[2]));
            if (message->metadata.size() >= limits::kMaxEventMetadataEntries) {
              return Error(ErrorCode::InvalidArgument, "too many metadata entries");
            }
            message->metadata.emplace_back(std::move(key), std::move(value));
            return ok();
          })), "message.add-metadata");
      check(types.add_func("[method]message.set-metadata", host_function("message.set-metadata", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val>) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            ORIVON_TRY(auto metadata, metadata_of(args[1]));
            if (metadata.size() > limits::kMaxEventMetadataEntries) {
              return Error(ErrorCode::InvalidArgument, "too many metadata entries");
            }
            message->metadata = std::move(metadata);
            return ok();
          })), "message.set-metadata");
      check(types.add_func("[method]message.remove-metadata", host_function("message.remove-metadata", owner,
          [](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val>) -> Result<void> {
            ORIVON_TRY(auto* message, message_at(cx, state, args[0]));
            ORIVON_TRY(auto key, string_of(args[1]));
            std::erase_if(message->metadata, [&](const auto& pair) { return pair.first == key; });
            return ok();
          })), "message.remove-metadata");
      if (!failures.empty()) {
        return Error(ErrorCode::Internal, "defining " + std::string(kTypes) + ": " + failures.front());
      }
    }
    {
      auto made = root.add_instance(kProducer);
      if (!made) return Error(ErrorCode::Internal, "defining " + std::string(kProducer) + ": " + made.err().message());
      wc::LinkerInstance producer = made.ok();
      auto added = producer.add_func("send", host_function("send", owner,
          [this](Store::Context cx, MessagingState& state, Span<wc::Val> args, Span<wc::Val> results) -> Result<void> {
            ORIVON_TRY(auto client, rep_of(cx, args[0], kClientType));
            ORIVON_TRY(auto topic, string_of(args[1]));
            ORIVON_TRY(auto rep, rep_of(cx, args[2], kMessageType));
            // The message is owned by the host now: take it out of the table.
            auto it = state.messages.find(rep);
            if (it == state.messages.end()) return Error(ErrorCode::InvalidArgument, "unknown message handle");
            EventMessage message = std::move(it->second);
            state.messages.erase(it);
            message.topic = std::move(topic);
            Result<void> sent = ok();
            auto connected = state.clients.find(client);
            EventGateway* gateway = gateway_.load(std::memory_order_acquire);
            engine::StoreContext* context = engine::store_context(cx);
            if (connected == state.clients.end() || !connected->second) {
              sent = Error(ErrorCode::Unavailable, "the client is disconnected");
            } else if (gateway == nullptr) {
              sent = Error(ErrorCode::Unavailable, "the event bus is not running");
            } else if (context == nullptr || !context->module()) {
              sent = Error(ErrorCode::PermissionDenied,
                           "only an installed module may publish events");
            } else {
              const std::uint32_t hops = state.handling_hops ? *state.handling_hops + 1 : 0;
              sent = gateway->publish_as(*context->module(), std::move(message), hops);
            }
            results[0] = result_val(sent);
            return ok();
          }));
      if (!added) return Error(ErrorCode::Internal, "defining send: " + added.err().message());
    }
    return ok();
  };
  try {
    return defined();
  } catch (const std::exception& e) {
    return Error(ErrorCode::Internal, std::string("defining wasi:messaging: ") + e.what());
  }
}

Result<void> MessagingHost::deliver(instance::LiveInstance& live, const ReceivedEvent& event) {
  if (!live.has_function(kHandlerExport)) {
    return Error(ErrorCode::NotFound, "it does not export " + std::string(kHandlerExport) +
                                          " (wasi:messaging/incoming-handler)");
  }
  MessagingState* handling = nullptr;
  std::string guest_error;
  auto called = live.call_raw(
      kHandlerExport,
      [&](Store::Context cx) -> Result<std::vector<wc::Val>> {
        MessagingState* state = state_of(cx, this);
        if (state == nullptr) return Error(ErrorCode::Internal, "the store has no host context");
        ORIVON_TRY(auto rep, new_rep(*state));
        EventMessage message = event.message;
        // What the host knows of the event, for idempotent handlers.
        message.metadata.emplace_back("orivon-publisher", event.publisher);
        message.metadata.emplace_back("orivon-sequence", std::to_string(event.sequence));
        message.metadata.emplace_back("orivon-delivery", std::to_string(event.attempt));
        message.metadata.emplace_back("orivon-hops", std::to_string(event.hops));
        state->messages[rep] = std::move(message);
        auto any = wc::ResourceHost(true, rep, kMessageType).to_any(cx);
        if (!any) {
          state->messages.erase(rep);
          return Error(ErrorCode::Internal, any.err().message());
        }
        state->handling_hops = event.hops;
        handling = state;
        std::vector<wc::Val> args;
        args.emplace_back(any.ok());
        return args;
      },
      [&](Store::Context, std::span<const wc::Val> results) -> Result<void> {
        if (results.empty() || !results[0].is_result()) return ok();
        const wc::WitResult& result = results[0].get_result();
        if (result.is_ok()) return ok();
        guest_error = "err";
        if (const wc::Val* payload = result.payload(); payload && payload->is_variant()) {
          const wc::Variant& variant = payload->get_variant();
          guest_error = "err(" + std::string(variant.discriminant());
          if (const wc::Val* detail = variant.value(); detail && detail->is_string()) {
            guest_error += "(\"" + std::string(detail->get_string().substr(0, 512)) + "\")";
          }
          guest_error += ")";
        }
        return ok();
      });
  if (handling != nullptr) handling->handling_hops.reset();
  if (!called) return called;
  if (!guest_error.empty()) {
    return Error(ErrorCode::FailedPrecondition, "the handler returned " + guest_error);
  }
  return ok();
}

}  // namespace orivon::bus
