// A core module (WASI preview1 reactor) using orivon:net and
// orivon:lifecycle, the host functions orivon gives core modules
// (src/engine/core_host.h). Every export takes and returns numbers, so a
// test drives it with plain calls: addresses are built here from numbers or
// picked from a list, and the raw exports pass a test's pointers and lengths
// to the host unchanged (the hostile cases).
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NET(name) __attribute__((import_module("orivon:net"), import_name(name)))
NET("connect") int32_t net_connect(const char* address, int32_t length);
NET("listen") int32_t net_listen(const char* address, int32_t length);
NET("accept") int32_t net_accept(int32_t listener);
NET("send") int32_t net_send(int32_t handle, const void* bytes, int32_t length);
NET("recv") int32_t net_recv(int32_t handle, void* buffer, int32_t length);
NET("close") int32_t net_close(int32_t handle);
NET("local_port") int32_t net_local_port(int32_t handle);
NET("poll") int32_t net_poll(void* entries, int32_t count, int32_t timeout_ms);
__attribute__((import_module("orivon:lifecycle"), import_name("stop_requested")))
int32_t lifecycle_stop_requested(void);

#define EXPORT(name) __attribute__((export_name(name)))

struct poll_entry {
  int32_t handle;
  uint16_t interest;
  uint16_t ready;
};

static char address[128];
static unsigned char buffer[65536];
static int32_t last_received;

static int32_t connect_text(const char* text) { return net_connect(text, (int32_t)strlen(text)); }

EXPORT("connect_v4") int32_t connect_v4(int32_t a, int32_t b, int32_t c, int32_t d, int32_t port) {
  snprintf(address, sizeof address, "%d.%d.%d.%d:%d", a, b, c, d, port);
  return connect_text(address);
}

EXPORT("listen_v4") int32_t listen_v4(int32_t a, int32_t b, int32_t c, int32_t d, int32_t port) {
  snprintf(address, sizeof address, "%d.%d.%d.%d:%d", a, b, c, d, port);
  return net_listen(address, (int32_t)strlen(address));
}

// Other spellings of an address: 0 "[::1]:PORT", 1 "[::ffff:127.0.0.1]:PORT",
// 2 "localhost:PORT", 3 "127.0.0.2:PORT", 4 "0.0.0.0:PORT".
EXPORT("connect_form") int32_t connect_form(int32_t form, int32_t port) {
  static const char* forms[] = {"[::1]", "[::ffff:127.0.0.1]", "localhost", "127.0.0.2",
                                "0.0.0.0"};
  if (form < 0 || form > 4) return -1000;
  snprintf(address, sizeof address, "%s:%d", forms[form], port);
  return connect_text(address);
}

// Malformed addresses, by number; -1000 past the last.
EXPORT("connect_malformed") int32_t connect_malformed(int32_t which) {
  static const char* texts[] = {"127.0.0.1",       "127.0.0.1:99999", ":80",       "[::1:80",
                                "127.0.0.1:0",     "a b:80",          "::1:80",    "127.0.0.1:",
                                "127.0.0.1:8x",    "[]:80",           "",          "1.2.3.4:-1"};
  if (which < 0 || which >= (int32_t)(sizeof texts / sizeof texts[0])) return -1000;
  return connect_text(texts[which]);
}

// An address longer than the host accepts.
EXPORT("connect_long") int32_t connect_long(void) {
  static char text[1024];
  memset(text, 'a', sizeof text);
  memcpy(text + sizeof text - 6, ":8080", 5);
  return net_connect(text, (int32_t)sizeof text - 1);
}

// Connects to a.b.c.d:port `count` times without closing: the number of
// connections made; the failure that ended the loop is last_failure().
static int32_t failure;
EXPORT("connect_many") int32_t connect_many(int32_t a, int32_t b, int32_t c, int32_t d,
                                            int32_t port, int32_t count) {
  int32_t made = 0;
  failure = 0;
  for (int32_t i = 0; i < count; ++i) {
    int32_t handle = connect_v4(a, b, c, d, port);
    if (handle < 0) {
      failure = handle;
      break;
    }
    ++made;
  }
  return made;
}
EXPORT("last_failure") int32_t last_failure(void) { return failure; }

EXPORT("connect_raw") int32_t connect_raw(int32_t pointer, int32_t length) {
  return net_connect((const char*)(uintptr_t)(uint32_t)pointer, length);
}
EXPORT("listen_raw") int32_t listen_raw(int32_t pointer, int32_t length) {
  return net_listen((const char*)(uintptr_t)(uint32_t)pointer, length);
}
EXPORT("send_raw") int32_t send_raw(int32_t handle, int32_t pointer, int32_t length) {
  return net_send(handle, (const void*)(uintptr_t)(uint32_t)pointer, length);
}
EXPORT("recv_raw") int32_t recv_raw(int32_t handle, int32_t pointer, int32_t length) {
  return net_recv(handle, (void*)(uintptr_t)(uint32_t)pointer, length);
}
EXPORT("poll_raw") int32_t poll_raw(int32_t pointer, int32_t count, int32_t timeout_ms) {
  return net_poll((void*)(uintptr_t)(uint32_t)pointer, count, timeout_ms);
}
// The size of the guest's memory, for a test aiming just past its end.
EXPORT("memory_size") int32_t memory_size(void) {
  return (int32_t)(__builtin_wasm_memory_size(0) * 65536);
}

// Waits (one poll) until `handle` is ready for `interest`; the ready bits,
// or a negative error.
EXPORT("wait") int32_t wait(int32_t handle, int32_t interest, int32_t timeout_ms) {
  struct poll_entry entry = {handle, (uint16_t)interest, 0};
  int32_t ready = net_poll(&entry, 1, timeout_ms);
  if (ready < 0) return ready;
  return entry.ready;
}

// Sends "ping N\n"; bytes sent or a negative error.
EXPORT("send_ping") int32_t send_ping(int32_t handle, int32_t n) {
  char text[32];
  int length = snprintf(text, sizeof text, "ping %d\n", n);
  return net_send(handle, text, length);
}

// Sends `length` bytes of 'x' (at most the buffer).
EXPORT("send_bulk") int32_t send_bulk(int32_t handle, int32_t length) {
  if (length < 0 || length > (int32_t)sizeof buffer) return -1000;
  memset(buffer, 'x', (size_t)length);
  return net_send(handle, buffer, length);
}

// Receives into the buffer; bytes received, 0 at the end, or a negative error.
EXPORT("receive") int32_t receive(int32_t handle) {
  int32_t got = net_recv(handle, buffer, (int32_t)sizeof buffer);
  last_received = got;
  return got;
}
// Byte `index` of the last receive, or -1.
EXPORT("received_byte") int32_t received_byte(int32_t index) {
  if (index < 0 || index >= last_received) return -1;
  return buffer[index];
}

EXPORT("accept") int32_t accept_one(int32_t listener) { return net_accept(listener); }
EXPORT("close") int32_t close_one(int32_t handle) { return net_close(handle); }
EXPORT("local_port") int32_t local_port(int32_t handle) { return net_local_port(handle); }
EXPORT("stop_requested") int32_t stop_requested(void) { return lifecycle_stop_requested(); }
