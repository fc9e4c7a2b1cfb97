// bitcoin.rpc.orivon: the typed facade over a Bitcoin node (wit/chain.wit).
//
// The node (btcd, a command service) runs its _start for its whole life and
// takes no calls; what it offers while running is its JSON-RPC port on
// loopback. So the facade is a service component that turns each typed call
// into one JSON-RPC request over a TCP connection it opens through
// wasi:sockets, which orivon lets through only to the address its
// `net:connect` grant names. Where that port is and the credentials come from
// the facade's environment grants:
//
//   BITCOIN_RPC        127.0.0.1:PORT (an IPv4 address and a port)
//   BITCOIN_RPC_USER   the node's --rpcuser
//   BITCOIN_RPC_PASS   the node's --rpcpass
//   BITCOIN_RPC_TIMEOUT_MS  optional: how long one query may take, all its
//                      requests together (1 to 600000; 20000 unless set),
//                      below the service's call deadline so a hung node or
//                      an endless balance is an err, not an interrupt
//
// Everything the node says is untrusted text: answers are bounded
// (kMaxAnswerBytes), parsed with bounds checks (json.c), and a failure of any
// kind (no grant, node away, timeout, a malformed or unexpected answer, the
// node's own error) is an err(...) naming what went wrong, never a trap.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facade.h"
#include "json.h"

typedef wasi_sockets_network_error_code_t net_error_t;
typedef wasi_sockets_network_ip_socket_address_t socket_address_t;

enum {
  // A regtest block is at most 4 MB; as hex in JSON twice that, plus room.
  kMaxAnswerBytes = 16 << 20,
  // A transaction larger than a block's weight limit cannot be valid.
  kMaxTransactionBytes = 4 << 20,
  // Outputs one balance answer may gather before it gives up.
  kMaxBalanceOutputs = 1 << 20,
  kBalancePage = 500,  // transactions per searchrawtransactions request
};
static const uint64_t kDefaultTimeoutMs = 20000;
static const uint64_t kMaxTimeoutMs = 600000;

// A growing byte buffer.
typedef struct buffer {
  char* data;
  size_t length;
  size_t capacity;
} buffer;

static bool buffer_append(buffer* b, const void* bytes, size_t count) {
  if (b->length + count + 1 > b->capacity) {
    size_t capacity = b->capacity ? b->capacity : 4096;
    while (capacity < b->length + count + 1) capacity *= 2;
    char* grown = realloc(b->data, capacity);
    if (!grown) return false;
    b->data = grown;
    b->capacity = capacity;
  }
  memcpy(b->data + b->length, bytes, count);
  b->length += count;
  b->data[b->length] = '\0';
  return true;
}

static void buffer_free(buffer* b) {
  free(b->data);
  *b = (buffer){0};
}

// Formats the error text into *err; returns false so callers can
// `return fail(err, ...)`.
__attribute__((format(printf, 2, 3))) static bool fail(facade_string_t* err, const char* format,
                                                        ...) {
  char text[512];
  va_list args;
  va_start(args, format);
  vsnprintf(text, sizeof text, format, args);
  va_end(args);
  facade_string_dup(err, text);
  return false;
}

static const char* net_error_name(net_error_t code) {
  switch (code) {
    case WASI_SOCKETS_NETWORK_ERROR_CODE_ACCESS_DENIED: return "access denied (no net:connect grant for it)";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_CONNECTION_REFUSED: return "connection refused (is the node running?)";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_CONNECTION_RESET: return "connection reset";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_TIMEOUT: return "timed out";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_REMOTE_UNREACHABLE: return "unreachable";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_INVALID_ARGUMENT: return "invalid argument";
    default: return "network error";
  }
}

// --- configuration -------------------------------------------------------

// BITCOIN_RPC as an IPv4 socket address; false (with *err) when unset or
// malformed.
static bool rpc_address(socket_address_t* out, facade_string_t* err) {
  const char* text = getenv("BITCOIN_RPC");
  if (!text) return fail(err, "BITCOIN_RPC is not set: grant env:BITCOIN_RPC=127.0.0.1:PORT");
  unsigned a, b, c, d, port;
  char rest;
  if (sscanf(text, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &port, &rest) != 5 || a > 255 || b > 255 ||
      c > 255 || d > 255 || port == 0 || port > 65535) {
    return fail(err, "BITCOIN_RPC is not an IPv4 address and port: '%.64s'", text);
  }
  memset(out, 0, sizeof *out);
  out->tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4;
  out->val.ipv4.port = (uint16_t)port;
  out->val.ipv4.address =
      (wasi_sockets_network_ipv4_address_t){(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
  return true;
}

// How long one request may take, in nanoseconds.
static uint64_t timeout_ns(void) {
  const char* text = getenv("BITCOIN_RPC_TIMEOUT_MS");
  uint64_t ms = kDefaultTimeoutMs;
  if (text) {
    char* end = NULL;
    const unsigned long long value = strtoull(text, &end, 10);
    if (end != text && *end == '\0' && value >= 1 && value <= kMaxTimeoutMs) ms = value;
  }
  return ms * 1000 * 1000;
}

// When the query being answered must be done (every export starts one), and
// its timeout. A service instance answers one call at a time.
static wasi_clocks_monotonic_clock_instant_t query_deadline;
static uint64_t query_timeout;

static void begin_query(void) {
  query_timeout = timeout_ns();
  query_deadline = wasi_clocks_monotonic_clock_now() + query_timeout;
}

static void base64(const char* in, size_t length, buffer* out) {
  static const char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < length; i += 3) {
    const uint32_t n = (uint32_t)(uint8_t)in[i] << 16 |
                       (i + 1 < length ? (uint32_t)(uint8_t)in[i + 1] << 8 : 0) |
                       (i + 2 < length ? (uint32_t)(uint8_t)in[i + 2] : 0);
    const char quad[4] = {kDigits[n >> 18 & 63], kDigits[n >> 12 & 63],
                          i + 1 < length ? kDigits[n >> 6 & 63] : '=',
                          i + 2 < length ? kDigits[n & 63] : '='};
    buffer_append(out, quad, 4);
  }
}

// --- one HTTP exchange over wasi:sockets ------------------------------------

// Waits until `pollable` is ready or the deadline passes; false on timeout.
static bool wait_until(wasi_io_poll_own_pollable_t pollable,
                       wasi_clocks_monotonic_clock_instant_t deadline) {
  wasi_io_poll_own_pollable_t timer = wasi_clocks_monotonic_clock_subscribe_instant(deadline);
  wasi_io_poll_borrow_pollable_t both[2] = {wasi_io_poll_borrow_pollable(pollable),
                                            wasi_io_poll_borrow_pollable(timer)};
  wasi_io_poll_list_borrow_pollable_t list = {both, 2};
  facade_list_u32_t ready;
  wasi_io_poll_poll(&list, &ready);
  bool pollable_ready = false;
  for (size_t i = 0; i < ready.len; ++i) pollable_ready |= ready.ptr[i] == 0;
  facade_list_u32_free(&ready);
  wasi_io_poll_pollable_drop_own(timer);
  wasi_io_poll_pollable_drop_own(pollable);
  return pollable_ready;
}

static void drop_stream_error(wasi_io_streams_stream_error_t* error) {
  if (error->tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) {
    wasi_io_error_error_drop_own(error->val.last_operation_failed);
  }
}

// Sends `request` to the node and reads its whole answer (btcd closes the
// connection after each one) into `answer`.
static bool exchange(const buffer* request, buffer* answer, facade_string_t* err) {
  socket_address_t address;
  if (!rpc_address(&address, err)) return false;
  const uint64_t timeout = query_timeout;
  const wasi_clocks_monotonic_clock_instant_t deadline = query_deadline;

  wasi_sockets_network_own_network_t network = wasi_sockets_instance_network_instance_network();
  wasi_sockets_tcp_own_tcp_socket_t socket;
  net_error_t error;
  if (!wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4,
                                                        &socket, &error)) {
    wasi_sockets_network_network_drop_own(network);
    return fail(err, "node RPC: cannot create a socket: %s", net_error_name(error));
  }
  wasi_sockets_tcp_borrow_tcp_socket_t borrowed = wasi_sockets_tcp_borrow_tcp_socket(socket);
  wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t streams;
  bool connected = false, ok = false;
  if (!wasi_sockets_tcp_method_tcp_socket_start_connect(
          borrowed, wasi_sockets_network_borrow_network(network), &address, &error)) {
    fail(err, "node RPC at %s: %s", getenv("BITCOIN_RPC"), net_error_name(error));
  } else {
    for (;;) {
      connected = wasi_sockets_tcp_method_tcp_socket_finish_connect(borrowed, &streams, &error);
      if (connected || error != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) break;
      if (!wait_until(wasi_sockets_tcp_method_tcp_socket_subscribe(borrowed), deadline)) {
        error = WASI_SOCKETS_NETWORK_ERROR_CODE_TIMEOUT;
        break;
      }
    }
    if (!connected) fail(err, "node RPC at %s: %s", getenv("BITCOIN_RPC"), net_error_name(error));
  }
  if (connected) {
    wasi_io_streams_borrow_input_stream_t in = wasi_io_streams_borrow_input_stream(streams.f0);
    wasi_io_streams_borrow_output_stream_t out = wasi_io_streams_borrow_output_stream(streams.f1);
    wasi_io_streams_stream_error_t stream_error;
    // Write the request in the pieces the stream permits.
    size_t sent = 0;
    bool written = true;
    while (written && sent < request->length) {
      uint64_t permitted = 0;
      if (!wasi_io_streams_method_output_stream_check_write(out, &permitted, &stream_error)) {
        drop_stream_error(&stream_error);
        written = fail(err, "node RPC: the node closed the connection while we sent");
      } else if (permitted == 0) {
        if (!wait_until(wasi_io_streams_method_output_stream_subscribe(out), deadline)) {
          written = fail(err, "node RPC: timed out sending the request");
        }
      } else {
        size_t count = request->length - sent;
        if (count > permitted) count = (size_t)permitted;
        facade_list_u8_t piece = {(uint8_t*)request->data + sent, count};
        if (!wasi_io_streams_method_output_stream_write(out, &piece, &stream_error)) {
          drop_stream_error(&stream_error);
          written = fail(err, "node RPC: the node closed the connection while we sent");
        }
        sent += count;
      }
    }
    // Read until the node closes, the answer grows too large, or time is up.
    while (written) {
      facade_list_u8_t bytes;
      if (!wasi_io_streams_method_input_stream_read(in, 65536, &bytes, &stream_error)) {
        ok = stream_error.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED;
        drop_stream_error(&stream_error);
        if (!ok) fail(err, "node RPC: the connection failed while reading the answer");
        break;
      }
      const bool appended = answer->length + bytes.len <= kMaxAnswerBytes &&
                            buffer_append(answer, bytes.ptr, bytes.len);
      const size_t got = bytes.len;
      facade_list_u8_free(&bytes);
      if (!appended) {
        fail(err, "node RPC: the answer is larger than %d bytes", kMaxAnswerBytes);
        break;
      }
      if (got == 0 && !wait_until(wasi_io_streams_method_input_stream_subscribe(in), deadline)) {
        fail(err, "node RPC: no complete answer within %llu ms",
             (unsigned long long)(timeout / 1000000ull));
        break;
      }
    }
    wasi_io_streams_input_stream_drop_own(streams.f0);
    wasi_io_streams_output_stream_drop_own(streams.f1);
  }
  wasi_sockets_tcp_tcp_socket_drop_own(socket);
  wasi_sockets_network_network_drop_own(network);
  return ok;
}

// --- JSON-RPC ---------------------------------------------------------------

// Calls `method` with `params` (a JSON array the caller built from checked
// parts) and leaves the answer text in *answer and its `result` in *result.
// The node's error, a rejected login or an answer that is not JSON-RPC
// become *err. `code` gets the node's error code when it sent one (else 0).
static bool rpc(const char* method, const char* params, buffer* answer, json_span* result,
                facade_string_t* err, int* code) {
  if (code) *code = 0;
  const char* user = getenv("BITCOIN_RPC_USER");
  const char* pass = getenv("BITCOIN_RPC_PASS");
  if (!user || !pass) {
    return fail(err, "BITCOIN_RPC_USER and BITCOIN_RPC_PASS are not set: grant them as env:");
  }
  buffer body = {0}, credentials = {0}, auth = {0}, request = {0};
  buffer_append(&body, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"", 34);
  buffer_append(&body, method, strlen(method));
  buffer_append(&body, "\",\"params\":", 11);
  buffer_append(&body, params, strlen(params));
  buffer_append(&body, "}", 1);
  buffer_append(&credentials, user, strlen(user));
  buffer_append(&credentials, ":", 1);
  buffer_append(&credentials, pass, strlen(pass));
  base64(credentials.data, credentials.length, &auth);
  char head[256];
  const int head_length = snprintf(head, sizeof head,
                                   "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json"
                                   "\r\nConnection: close\r\nContent-Length: %zu\r\n",
                                   getenv("BITCOIN_RPC"), body.length);
  bool built = head_length > 0 && (size_t)head_length < sizeof head &&
               buffer_append(&request, head, (size_t)head_length) &&
               buffer_append(&request, "Authorization: Basic ", 21) &&
               buffer_append(&request, auth.data ? auth.data : "", auth.length) &&
               buffer_append(&request, "\r\n\r\n", 4) &&
               buffer_append(&request, body.data, body.length);
  buffer_free(&body);
  buffer_free(&credentials);
  buffer_free(&auth);
  if (!built) {
    buffer_free(&request);
    return fail(err, "out of memory building the request");
  }
  const bool exchanged = exchange(&request, answer, err);
  buffer_free(&request);
  if (!exchanged) return false;

  // "HTTP/1.x CODE ...", headers, a blank line, the body.
  unsigned status = 0;
  if (answer->length < 12 || sscanf(answer->data, "HTTP/1.%*1[01] %3u", &status) != 1) {
    return fail(err, "node RPC: the answer is not HTTP");
  }
  const char* body_start = strstr(answer->data, "\r\n\r\n");
  if (!body_start) return fail(err, "node RPC: the answer has no body");
  body_start += 4;
  const char* end = answer->data + answer->length;
  if (status == 401) return fail(err, "node RPC: the node refused our credentials (401)");
  json_span reply, error;
  if (!json_value(body_start, end, &reply)) {
    return fail(err, "node RPC: HTTP %u and no JSON answer", status);
  }
  if (json_member(reply, "error", &error) && !json_is_null(error)) {
    json_span message, code_value;
    char* text = json_member(error, "message", &message) ? json_string(message) : NULL;
    if (code && json_member(error, "code", &code_value) && code_value.begin < code_value.end) {
      *code = atoi(code_value.begin);  // digits end at the span's delimiter
    }
    fail(err, "node: %.400s", text ? text : "an error without a message");
    free(text);
    return false;
  }
  if (!json_member(reply, "result", result)) return fail(err, "node RPC: the answer has no result");
  return true;
}

// --- arguments ------------------------------------------------------------

// A 32-byte hash or txid as 64 hex digits, copied NUL-terminated into out.
static bool hex_hash(const facade_string_t* text, char out[65], const char* what,
                     facade_string_t* err) {
  if (text->len != 64) return fail(err, "malformed %s: want 64 hex digits, got %zu characters", what, text->len);
  for (size_t i = 0; i < 64; ++i) {
    const char c = (char)text->ptr[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return fail(err, "malformed %s: '%c' at %zu is not a hex digit", what, c >= 32 && c < 127 ? c : '?', i);
    }
    out[i] = c;
  }
  out[64] = '\0';
  return true;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Hex text (from the node) into bytes.
static bool hex_bytes(const char* text, facade_list_u8_t* out) {
  const size_t length = strlen(text);
  if (length % 2) return false;
  out->len = length / 2;
  out->ptr = malloc(out->len ? out->len : 1);
  if (!out->ptr) return false;
  for (size_t i = 0; i < out->len; ++i) {
    const int high = hex_value(text[2 * i]), low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) {
      free(out->ptr);
      return false;
    }
    out->ptr[i] = (uint8_t)(high << 4 | low);
  }
  return true;
}

// --- chain ---------------------------------------------------------------

bool exports_orivon_bitcoin_chain_get_tip(exports_orivon_bitcoin_chain_tip_t* ret,
                                          facade_string_t* err) {
  begin_query();
  buffer answer = {0};
  json_span result, hash, height;
  bool ok = rpc("getbestblock", "[]", &answer, &result, err, NULL);
  uint64_t number = 0;
  char* text = NULL;
  if (ok && (!json_member(result, "hash", &hash) || !json_member(result, "height", &height) ||
             !json_u64(height, &number) || number > UINT32_MAX || !(text = json_string(hash)))) {
    ok = fail(err, "node RPC: an unexpected getbestblock answer");
  }
  if (ok) {
    ret->height = (uint32_t)number;
    facade_string_dup(&ret->hash, text);
  }
  free(text);
  buffer_free(&answer);
  return ok;
}

bool exports_orivon_bitcoin_chain_get_block_hash(uint32_t height, facade_string_t* ret,
                                                 facade_string_t* err) {
  begin_query();
  char params[32];
  snprintf(params, sizeof params, "[%u]", height);
  buffer answer = {0};
  json_span result;
  bool ok = rpc("getblockhash", params, &answer, &result, err, NULL);
  char* text = ok ? json_string(result) : NULL;
  if (ok && !text) ok = fail(err, "node RPC: an unexpected getblockhash answer");
  if (ok) facade_string_dup(ret, text);
  free(text);
  buffer_free(&answer);
  return ok;
}

bool exports_orivon_bitcoin_chain_get_block(facade_string_t* hash, facade_list_u8_t* ret,
                                            facade_string_t* err) {
  begin_query();
  char checked[65];
  const bool valid = hex_hash(hash, checked, "block hash", err);
  facade_string_free(hash);
  if (!valid) return false;
  char params[80];
  snprintf(params, sizeof params, "[\"%s\",0]", checked);  // verbosity 0: the block as hex
  buffer answer = {0};
  json_span result;
  bool ok = rpc("getblock", params, &answer, &result, err, NULL);
  char* text = ok ? json_string(result) : NULL;
  if (ok && (!text || !hex_bytes(text, ret))) ok = fail(err, "node RPC: an unexpected getblock answer");
  free(text);
  buffer_free(&answer);
  return ok;
}

bool exports_orivon_bitcoin_chain_get_utxo(facade_string_t* txid, uint32_t vout,
                                           exports_orivon_bitcoin_chain_option_utxo_t* ret,
                                           facade_string_t* err) {
  begin_query();
  char checked[65];
  const bool valid = hex_hash(txid, checked, "txid", err);
  facade_string_free(txid);
  if (!valid) return false;
  char params[96];
  snprintf(params, sizeof params, "[\"%s\",%u,true]", checked, vout);
  buffer answer = {0};
  json_span result;
  bool ok = rpc("gettxout", params, &answer, &result, err, NULL);
  ret->is_some = false;
  if (ok && !json_is_null(result)) {
    json_span value, confirmations, coinbase, script, script_hex;
    uint64_t satoshis = 0, confirmed = 0;
    char* hex = NULL;
    if (!json_member(result, "value", &value) || !json_satoshis(value, &satoshis) ||
        !json_member(result, "confirmations", &confirmations) ||
        !json_u64(confirmations, &confirmed) || confirmed > UINT32_MAX ||
        !json_member(result, "coinbase", &coinbase) ||
        !json_member(result, "scriptPubKey", &script) ||
        !json_member(script, "hex", &script_hex) || !(hex = json_string(script_hex)) ||
        !hex_bytes(hex, &ret->val.script)) {
      ok = fail(err, "node RPC: an unexpected gettxout answer");
    } else {
      ret->is_some = true;
      ret->val.value = satoshis;
      ret->val.confirmations = (uint32_t)confirmed;
      ret->val.coinbase = coinbase.end - coinbase.begin == 4 && memcmp(coinbase.begin, "true", 4) == 0;
    }
    free(hex);
  }
  buffer_free(&answer);
  return ok;
}

// An output paying the address, or one some transaction of the address spends.
typedef struct outpoint {
  char txid[65];
  uint32_t vout;
  uint64_t value;  // outputs only
} outpoint;

typedef struct outpoints {
  outpoint* items;
  size_t count, capacity;
} outpoints;

static bool outpoints_add(outpoints* list, const char* txid, uint32_t vout, uint64_t value) {
  if (list->count == list->capacity) {
    if (list->capacity >= kMaxBalanceOutputs) return false;
    const size_t capacity = list->capacity ? list->capacity * 2 : 256;
    outpoint* grown = realloc(list->items, capacity * sizeof *grown);
    if (!grown) return false;
    list->items = grown;
    list->capacity = capacity;
  }
  outpoint* item = &list->items[list->count++];
  snprintf(item->txid, sizeof item->txid, "%s", txid);
  item->vout = vout;
  item->value = value;
  return true;
}

static int outpoint_order(const void* a, const void* b) {
  const outpoint* x = a;
  const outpoint* y = b;
  const int by_txid = strcmp(x->txid, y->txid);
  if (by_txid) return by_txid;
  return x->vout < y->vout ? -1 : x->vout > y->vout;
}

// Does `addresses` (a JSON array of strings) hold `address`?
static bool lists_address(json_span addresses, const char* address) {
  const char* cursor = NULL;
  json_span element;
  while (json_next(addresses, &cursor, &element)) {
    char* text = json_string(element);
    const bool match = text && strcmp(text, address) == 0;
    free(text);
    if (match) return true;
  }
  return false;
}

// Gathers, from one page of searchrawtransactions, the outputs paying
// `address` and every outpoint the page's transactions spend.
static bool gather(json_span transactions, const char* address, outpoints* paid,
                   outpoints* spent, size_t* count, facade_string_t* err) {
  const char* cursor = NULL;
  json_span tx;
  *count = 0;
  while (json_next(transactions, &cursor, &tx)) {
    ++*count;
    json_span txid_value, vins, vouts, item;
    char* txid = NULL;
    if (!json_member(tx, "txid", &txid_value) || !(txid = json_string(txid_value)) ||
        strlen(txid) != 64 || !json_member(tx, "vin", &vins) || !json_member(tx, "vout", &vouts)) {
      free(txid);
      return fail(err, "node RPC: an unexpected searchrawtransactions answer");
    }
    const char* in_cursor = NULL;
    while (json_next(vins, &in_cursor, &item)) {
      json_span prev_txid, prev_vout;
      uint64_t n = 0;
      char* prev = NULL;
      if (!json_member(item, "txid", &prev_txid)) continue;  // a coinbase input
      if (!json_member(item, "vout", &prev_vout) || !json_u64(prev_vout, &n) || n > UINT32_MAX ||
          !(prev = json_string(prev_txid)) || strlen(prev) != 64 ||
          !outpoints_add(spent, prev, (uint32_t)n, 0)) {
        free(prev);
        free(txid);
        return fail(err, "node RPC: an unexpected input, or more than %d outpoints",
                    kMaxBalanceOutputs);
      }
      free(prev);
    }
    const char* out_cursor = NULL;
    while (json_next(vouts, &out_cursor, &item)) {
      json_span value, n_value, script, addresses;
      uint64_t satoshis = 0, n = 0;
      if (!json_member(item, "scriptPubKey", &script) ||
          !json_member(script, "addresses", &addresses) || !lists_address(addresses, address)) {
        continue;
      }
      if (!json_member(item, "value", &value) || !json_satoshis(value, &satoshis) ||
          !json_member(item, "n", &n_value) || !json_u64(n_value, &n) || n > UINT32_MAX ||
          !outpoints_add(paid, txid, (uint32_t)n, satoshis)) {
        free(txid);
        return fail(err, "node RPC: an unexpected output, or more than %d outpoints",
                    kMaxBalanceOutputs);
      }
    }
    free(txid);
  }
  return true;
}

// The address index lists every transaction that pays the address or spends
// an output that paid it (the mempool's too). So the unspent outputs are the
// outputs paying it that none of those transactions spends: no per-output
// query is needed.
bool exports_orivon_bitcoin_chain_balance(facade_string_t* address, uint64_t* ret,
                                          facade_string_t* err) {
  begin_query();
  // Addresses are base58 or bech32: letters and digits only, which also keeps
  // the JSON we build well formed.
  char checked[101];
  bool valid = address->len > 0 && address->len < sizeof checked;
  for (size_t i = 0; valid && i < address->len; ++i) {
    const char c = (char)address->ptr[i];
    valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    checked[i] = c;
  }
  const size_t length = address->len;
  facade_string_free(address);
  if (!valid) return fail(err, "malformed address: want 1 to 100 letters and digits");
  checked[length] = '\0';

  outpoints paid = {0}, spent = {0};
  bool ok = true;
  for (size_t skip = 0; ok;) {
    if (wasi_clocks_monotonic_clock_now() >= query_deadline) {
      ok = fail(err, "balance: not counted within %llu ms (%zu transactions so far)",
                (unsigned long long)(query_timeout / 1000000ull), skip);
      break;
    }
    char params[200];
    snprintf(params, sizeof params, "[\"%s\",1,%zu,%d,0,false]", checked, skip, kBalancePage);
    buffer answer = {0};
    json_span result;
    int code = 0;
    facade_string_t page_error = {0};
    size_t count = 0;
    if (!rpc("searchrawtransactions", params, &answer, &result, &page_error, &code)) {
      // btcd answers a page past the last one (or an address never used)
      // with an error rather than an empty list.
      static const char kNone[] = "node: No information available about address";
      const bool past_end = page_error.len == sizeof kNone - 1 &&
                            memcmp(page_error.ptr, kNone, sizeof kNone - 1) == 0;
      if (past_end) {
        facade_string_free(&page_error);
      } else {
        *err = page_error;
        ok = false;
      }
      buffer_free(&answer);
      break;
    }
    ok = gather(result, checked, &paid, &spent, &count, err);
    buffer_free(&answer);
    if (count < kBalancePage) break;
    skip += count;
  }
  if (ok) {
    qsort(spent.items, spent.count, sizeof *spent.items, outpoint_order);
    qsort(paid.items, paid.count, sizeof *paid.items, outpoint_order);
    uint64_t sum = 0;
    for (size_t i = 0; i < paid.count; ++i) {
      if (i > 0 && outpoint_order(&paid.items[i - 1], &paid.items[i]) == 0) continue;  // listed twice
      if (!bsearch(&paid.items[i], spent.items, spent.count, sizeof *spent.items, outpoint_order)) {
        sum += paid.items[i].value;
      }
    }
    *ret = sum;
  }
  free(paid.items);
  free(spent.items);
  return ok;
}

bool exports_orivon_bitcoin_chain_send_raw_transaction(facade_list_u8_t* tx, facade_string_t* ret,
                                                       facade_string_t* err) {
  begin_query();
  if (tx->len == 0 || tx->len > kMaxTransactionBytes) {
    const size_t length = tx->len;
    facade_list_u8_free(tx);
    return fail(err, "a transaction of %zu bytes: want 1 to %d", length, kMaxTransactionBytes);
  }
  static const char kDigits[] = "0123456789abcdef";
  char* params = malloc(tx->len * 2 + 5);
  if (!params) {
    facade_list_u8_free(tx);
    return fail(err, "out of memory");
  }
  char* p = params;
  *p++ = '[';
  *p++ = '"';
  for (size_t i = 0; i < tx->len; ++i) {
    *p++ = kDigits[tx->ptr[i] >> 4];
    *p++ = kDigits[tx->ptr[i] & 15];
  }
  *p++ = '"';
  *p++ = ']';
  *p = '\0';
  facade_list_u8_free(tx);
  buffer answer = {0};
  json_span result;
  bool ok = rpc("sendrawtransaction", params, &answer, &result, err, NULL);
  free(params);
  char* txid = ok ? json_string(result) : NULL;
  if (ok && !txid) ok = fail(err, "node RPC: an unexpected sendrawtransaction answer");
  if (ok) facade_string_dup(ret, txid);
  free(txid);
  buffer_free(&answer);
  return ok;
}
