// Implements the `net-probe` world (wit/net-probe.wit): binds, listens,
// connects and sends datagrams through WASI 0.2 sockets and reports which
// step failed with which error, so tests can tell what the network grants
// allowed.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_probe.h"

typedef wasi_sockets_network_error_code_t error_code_t;
typedef wasi_sockets_network_ip_socket_address_t socket_address_t;

static const char* error_name(error_code_t code) {
  switch (code) {
    case WASI_SOCKETS_NETWORK_ERROR_CODE_ACCESS_DENIED: return "access-denied";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_NOT_SUPPORTED: return "not-supported";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_INVALID_ARGUMENT: return "invalid-argument";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_INVALID_STATE: return "invalid-state";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_ADDRESS_IN_USE: return "address-in-use";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_ADDRESS_NOT_BINDABLE: return "address-not-bindable";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_CONNECTION_REFUSED: return "connection-refused";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_REMOTE_UNREACHABLE: return "remote-unreachable";
    default: return "error";
  }
}

static void report(net_probe_string_t* ret, const char* step, error_code_t code) {
  char text[80];
  snprintf(text, sizeof text, "%s: %s (%d)", step, error_name(code), (int)code);
  net_probe_string_dup(ret, text);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "a.b.c.d" into 4 bytes; 0 on anything else.
static int parse_ipv4(const char* text, uint8_t out[4]) {
  unsigned parts[4];
  char rest;
  if (sscanf(text, "%u.%u.%u.%u%c", &parts[0], &parts[1], &parts[2], &parts[3], &rest) != 4) {
    return 0;
  }
  for (int i = 0; i < 4; ++i) {
    if (parts[i] > 255) return 0;
    out[i] = (uint8_t)parts[i];
  }
  return 1;
}

// An IPv6 address with at most one "::" and optionally a trailing dotted
// IPv4 part (::ffff:127.0.0.1) into 8 groups; 0 on anything else.
static int parse_ipv6(const char* text, uint16_t out[8]) {
  uint16_t head[8], tail[8];
  int head_count = 0, tail_count = 0, compressed = 0;
  const char* p = text;
  if (p[0] == ':' && p[1] == ':') {
    compressed = 1;
    p += 2;
  }
  while (*p) {
    uint16_t* groups = compressed ? tail : head;
    int* count = compressed ? &tail_count : &head_count;
    if (head_count + tail_count >= 8) return 0;
    const char* dot = strchr(p, '.');
    if (dot && !strchr(p, ':')) {  // the last 32 bits as IPv4
      uint8_t v4[4];
      if (head_count + tail_count > 6 || !parse_ipv4(p, v4)) return 0;
      groups[(*count)++] = (uint16_t)(v4[0] << 8 | v4[1]);
      groups[(*count)++] = (uint16_t)(v4[2] << 8 | v4[3]);
      break;
    }
    unsigned value = 0;
    int digits = 0;
    for (; hex_digit(*p) >= 0 && digits < 5; ++p, ++digits) value = value * 16 + hex_digit(*p);
    if (digits == 0 || digits > 4) return 0;
    groups[(*count)++] = (uint16_t)value;
    if (*p == ':') {
      ++p;
      if (*p == ':') {
        if (compressed) return 0;
        compressed = 1;
        ++p;
      } else if (!*p) {
        return 0;
      }
    } else if (*p) {
      return 0;
    }
  }
  if (!compressed && head_count != 8) return 0;
  memset(out, 0, 8 * sizeof out[0]);
  memcpy(out, head, head_count * sizeof head[0]);
  memcpy(out + 8 - tail_count, tail, tail_count * sizeof tail[0]);
  return 1;
}

static int parse_address(const net_probe_string_t* text, uint16_t port, socket_address_t* out) {
  char buffer[64];
  if (text->len >= sizeof buffer) return 0;
  memcpy(buffer, text->ptr, text->len);
  buffer[text->len] = '\0';
  memset(out, 0, sizeof *out);
  uint8_t v4[4];
  uint16_t v6[8];
  if (parse_ipv4(buffer, v4)) {
    out->tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4;
    out->val.ipv4.port = port;
    out->val.ipv4.address = (wasi_sockets_network_ipv4_address_t){v4[0], v4[1], v4[2], v4[3]};
    return 1;
  }
  if (parse_ipv6(buffer, v6)) {
    out->tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV6;
    out->val.ipv6.port = port;
    out->val.ipv6.address = (wasi_sockets_network_ipv6_address_t){
        v6[0], v6[1], v6[2], v6[3], v6[4], v6[5], v6[6], v6[7]};
    return 1;
  }
  return 0;
}

static uint8_t family_of(const socket_address_t* address) {
  return address->tag == WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4
             ? WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4
             : WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6;
}

static void wait_for(wasi_sockets_tcp_borrow_tcp_socket_t socket) {
  wasi_io_poll_own_pollable_t ready = wasi_sockets_tcp_method_tcp_socket_subscribe(socket);
  wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(ready));
  wasi_io_poll_pollable_drop_own(ready);
}

void exports_net_probe_bind_loopback(net_probe_string_t* ret) {
  wasi_sockets_network_own_network_t network = wasi_sockets_instance_network_instance_network();
  wasi_sockets_tcp_own_tcp_socket_t socket;
  error_code_t error;
  if (!wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4,
                                                        &socket, &error)) {
    report(ret, "create", error);
    wasi_sockets_network_network_drop_own(network);
    return;
  }
  socket_address_t address = {.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4};
  address.val.ipv4.port = 0;
  address.val.ipv4.address = (wasi_sockets_network_ipv4_address_t){127, 0, 0, 1};
  wasi_sockets_tcp_borrow_tcp_socket_t borrowed = wasi_sockets_tcp_borrow_tcp_socket(socket);
  if (!wasi_sockets_tcp_method_tcp_socket_start_bind(
          borrowed, wasi_sockets_network_borrow_network(network), &address, &error)) {
    report(ret, "bind", error);
  } else if (!wasi_sockets_tcp_method_tcp_socket_finish_bind(borrowed, &error)) {
    report(ret, "finish-bind", error);
  } else {
    net_probe_string_dup(ret, "bound");
  }
  wasi_sockets_tcp_tcp_socket_drop_own(socket);
  wasi_sockets_network_network_drop_own(network);
}

// Parses `text`:`port` (and frees `text`), takes the network and creates a
// TCP socket for the address's family. On failure answers `ret` and returns
// 0, owning nothing.
static int open_tcp(net_probe_string_t* text, uint16_t port, net_probe_string_t* ret,
                    socket_address_t* address, wasi_sockets_network_own_network_t* network,
                    wasi_sockets_tcp_own_tcp_socket_t* socket) {
  const int parsed = parse_address(text, port, address);
  net_probe_string_free(text);
  if (!parsed) {
    net_probe_string_dup(ret, "bad address");
    return 0;
  }
  *network = wasi_sockets_instance_network_instance_network();
  error_code_t error;
  if (!wasi_sockets_tcp_create_socket_create_tcp_socket(family_of(address), socket, &error)) {
    report(ret, "create", error);
    wasi_sockets_network_network_drop_own(*network);
    return 0;
  }
  return 1;
}

void exports_net_probe_connect_to(net_probe_string_t* text, uint16_t port,
                                  net_probe_string_t* ret) {
  socket_address_t address;
  wasi_sockets_network_own_network_t network;
  wasi_sockets_tcp_own_tcp_socket_t socket;
  if (!open_tcp(text, port, ret, &address, &network, &socket)) return;
  error_code_t error;
  wasi_sockets_tcp_borrow_tcp_socket_t borrowed = wasi_sockets_tcp_borrow_tcp_socket(socket);
  wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t streams;
  if (!wasi_sockets_tcp_method_tcp_socket_start_connect(
          borrowed, wasi_sockets_network_borrow_network(network), &address, &error)) {
    report(ret, "start-connect", error);
  } else {
    int connected;
    for (;;) {
      connected = wasi_sockets_tcp_method_tcp_socket_finish_connect(borrowed, &streams, &error);
      if (connected || error != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) break;
      wait_for(borrowed);
    }
    if (connected) {
      wasi_io_streams_input_stream_drop_own(streams.f0);
      wasi_io_streams_output_stream_drop_own(streams.f1);
      net_probe_string_dup(ret, "connected");
    } else {
      report(ret, "connect", error);
    }
  }
  wasi_sockets_tcp_tcp_socket_drop_own(socket);
  wasi_sockets_network_network_drop_own(network);
}

void exports_net_probe_connect_many(net_probe_string_t* address, uint16_t port, uint32_t count,
                                    net_probe_string_t* ret) {
  net_probe_string_dup(ret, "connected");
  for (uint32_t i = 0; i < count; ++i) {
    net_probe_string_t copy;
    net_probe_string_t answer;
    copy.len = address->len;
    copy.ptr = malloc(address->len ? address->len : 1);
    memcpy(copy.ptr, address->ptr, address->len);
    exports_net_probe_connect_to(&copy, port, &answer);
    if (strncmp((const char*)answer.ptr, "connected", answer.len) != 0) {
      net_probe_string_free(ret);
      *ret = answer;
      break;
    }
    net_probe_string_free(&answer);
  }
  net_probe_string_free(address);
}

void exports_net_probe_listen_on(net_probe_string_t* text, uint16_t port, net_probe_string_t* ret) {
  socket_address_t address;
  wasi_sockets_network_own_network_t network;
  wasi_sockets_tcp_own_tcp_socket_t socket;
  if (!open_tcp(text, port, ret, &address, &network, &socket)) return;
  error_code_t error;
  wasi_sockets_tcp_borrow_tcp_socket_t borrowed = wasi_sockets_tcp_borrow_tcp_socket(socket);
  socket_address_t local;
  if (!wasi_sockets_tcp_method_tcp_socket_start_bind(
          borrowed, wasi_sockets_network_borrow_network(network), &address, &error)) {
    report(ret, "bind", error);
  } else if (!wasi_sockets_tcp_method_tcp_socket_finish_bind(borrowed, &error)) {
    report(ret, "finish-bind", error);
  } else if (!wasi_sockets_tcp_method_tcp_socket_start_listen(borrowed, &error)) {
    report(ret, "listen", error);
  } else if (!wasi_sockets_tcp_method_tcp_socket_finish_listen(borrowed, &error)) {
    report(ret, "finish-listen", error);
  } else if (!wasi_sockets_tcp_method_tcp_socket_local_address(borrowed, &local, &error)) {
    report(ret, "local-address", error);
  } else {
    char message[40];
    unsigned bound = local.tag == WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4
                         ? local.val.ipv4.port
                         : local.val.ipv6.port;
    snprintf(message, sizeof message, "listening on %u", bound);
    net_probe_string_dup(ret, message);
  }
  wasi_sockets_tcp_tcp_socket_drop_own(socket);
  wasi_sockets_network_network_drop_own(network);
}

void exports_net_probe_send_datagram(net_probe_string_t* text, uint16_t port,
                                     net_probe_string_t* ret) {
  socket_address_t address;
  if (!parse_address(text, port, &address)) {
    net_probe_string_dup(ret, "bad address");
    net_probe_string_free(text);
    return;
  }
  net_probe_string_free(text);
  wasi_sockets_network_own_network_t network = wasi_sockets_instance_network_instance_network();
  wasi_sockets_udp_own_udp_socket_t socket;
  error_code_t error;
  if (!wasi_sockets_udp_create_socket_create_udp_socket(family_of(&address), &socket, &error)) {
    report(ret, "create", error);
    wasi_sockets_network_network_drop_own(network);
    return;
  }
  wasi_sockets_udp_borrow_udp_socket_t borrowed = wasi_sockets_udp_borrow_udp_socket(socket);
  // An unbound socket cannot be streamed: bind to the wildcard address and
  // an ephemeral port of the same family first.
  socket_address_t any;
  memset(&any, 0, sizeof any);
  any.tag = address.tag;
  wasi_sockets_udp_tuple2_own_incoming_datagram_stream_own_outgoing_datagram_stream_t streams;
  uint64_t permits = 0, sent = 0;
  if (!wasi_sockets_udp_method_udp_socket_start_bind(
          borrowed, wasi_sockets_network_borrow_network(network), &any, &error)) {
    report(ret, "bind", error);
  } else if (!wasi_sockets_udp_method_udp_socket_finish_bind(borrowed, &error)) {
    report(ret, "finish-bind", error);
  } else if (!wasi_sockets_udp_method_udp_socket_stream(borrowed, NULL, &streams, &error)) {
    report(ret, "stream", error);
  } else {
    wasi_sockets_udp_borrow_outgoing_datagram_stream_t out =
        wasi_sockets_udp_borrow_outgoing_datagram_stream(streams.f1);
    wasi_sockets_udp_outgoing_datagram_t datagram;
    datagram.data.ptr = (uint8_t*)"ping";
    datagram.data.len = 4;
    datagram.remote_address.is_some = true;
    datagram.remote_address.val = address;
    wasi_sockets_udp_list_outgoing_datagram_t datagrams = {&datagram, 1};
    if (!wasi_sockets_udp_method_outgoing_datagram_stream_check_send(out, &permits, &error)) {
      report(ret, "check-send", error);
    } else if (!wasi_sockets_udp_method_outgoing_datagram_stream_send(out, &datagrams, &sent,
                                                                     &error)) {
      report(ret, "send", error);
    } else {
      net_probe_string_dup(ret, sent == 1 ? "sent" : "send: nothing sent");
    }
    wasi_sockets_udp_incoming_datagram_stream_drop_own(streams.f0);
    wasi_sockets_udp_outgoing_datagram_stream_drop_own(streams.f1);
  }
  wasi_sockets_udp_udp_socket_drop_own(socket);
  wasi_sockets_network_network_drop_own(network);
}
