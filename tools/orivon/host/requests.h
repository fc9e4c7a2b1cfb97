#pragma once

// The management operations as JSON requests, executed against a Runtime.
// The same function serves a running host (requests from the control
// socket) and the CLI acting on the state directly, so both behave alike.
//
//   {"op": "add", "file": "/abs/x.wasm", "id": "a.b.c"?, "manifest": {"text": "...",
//    "format": "toml"|"json"}?}
//   {"op": "remove", "id": "a.b.c"}
//   {"op": "update", "id": "a.b.c", "file": "/abs/x.wasm"}
//   {"op": "list"}
//   {"op": "inspect", "id": "a.b.c"}
//   {"op": "ping"}
//   {"op": "start" | "stop" | "restart", "id": "a.b.c"}
//   {"op": "call", "id": "a.b.c", "call": "name(args)", "timeout_ms": 1000?}
//   {"op": "logs", "id": "a.b.c", "after": 0?, "max": 1000?}
//   {"op": "grant" | "revoke", "caller": "a.b.c", "target": "d.e.f",
//    "functions": ["name", ...]?}   (no functions: every function)
//   {"op": "grants", "caller": "a.b.c"?}
//   {"op": "kv", "action": "buckets"}
//   {"op": "kv", "action": "create", "bucket": "name", "scope": "local"?,
//    "max_value_bytes": N?, "max_keys": N?, "max_bytes": N?}
//   {"op": "kv", "action": "drop", "bucket": "name"}
//   {"op": "kv", "action": "keys", "bucket": "name" | "@a.b.c", "prefix": "p"?,
//    "after": "key"?, "limit": N?}
//   {"op": "kv", "action": "get" | "delete", "bucket": ..., "key": "k"}
//   {"op": "kv", "action": "set", "bucket": ..., "key": "k", "value_base64": "..."}
//   {"op": "publish", "topic": "a.b", "data": "text"? | "file": "/abs/path"?,
//    "content_type": "text/plain"?, "metadata": [["key", "value"], ...]?}
//   {"op": "subscribe", "id": "a.b.c", "pattern": "a.*", "durable": true?}
//   {"op": "unsubscribe", "id": "a.b.c", "pattern": "a.*"}
//   {"op": "events"}
//   {"op": "dead-letters", "action": "list" | "requeue" | "purge", "max": 100?}
//   {"op": "config", "id": "a.b.c"}
//   {"op": "config-set", "id": "a.b.c", "key": "k", "value": "v"}
//   {"op": "config-unset", "id": "a.b.c", "key": "k"}
//   {"op": "status"}   (a running host only: answered in commands/up.cc with
//                       dashboard/host_snapshot.h's snapshot; what `orivon top` shows)
//
// Replies: {"ok": true, "result": ...} or
//          {"ok": false, "error": {"code": "NotFound", "message": "..."}}.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "orivon/error.h"
#include "orivon/runtime.h"

namespace orivon::cli {

// Who is answering: the running host, or a CLI acting on the state
// directly (which can record what should run, but runs nothing itself).
// Which operations need which is the library's rule: host_requirement() in
// orivon/management_operation.h.
enum class Responder { Host, Direct };

// The request in one line of text. Its shape is bounded before a JSON tree is
// built (at most kMaxRequestValues values, nested at most kMaxRequestDepth),
// so a 1 MiB line of tiny values cannot cost the host tens of times its size
// in memory. InvalidArgument for anything else than such a JSON object.
inline constexpr std::size_t kMaxRequestValues = 4096;
inline constexpr std::size_t kMaxRequestDepth = 8;
Result<nlohmann::json> parse_request(std::string_view line);

// Never throws; any malformed request is an InvalidArgument reply.
nlohmann::json handle_request(Runtime& runtime, const nlohmann::json& request,
                              Responder responder) noexcept;

// handle_request()'s reply as one line of text (to_line), except that a
// list's is written without building a tree (host/json_writer.h): what the
// host's control socket sends. Never throws.
std::string handle_request_line(Runtime& runtime, const nlohmann::json& request,
                                Responder responder) noexcept;

nlohmann::json error_reply(const Error& error);

// One line of JSON ending in '\n'. Text that is not valid UTF-8 (a file name,
// say) is replaced rather than thrown on.
std::string to_line(const nlohmann::json& message);

// The Error carried by a failed reply (or describing a malformed one).
Error error_from_reply(const nlohmann::json& reply);

}  // namespace orivon::cli
