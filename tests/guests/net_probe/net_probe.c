// Implements the `net-probe` world (wit/net-probe.wit): binds a TCP socket on
// loopback through WASI 0.2 sockets and reports which step failed, so tests
// can tell whether the network was granted.
#include <stdio.h>

#include "net_probe.h"

static void report(net_probe_string_t* ret, const char* step, wasi_sockets_network_error_code_t code) {
  char text[64];
  const char* name = code == WASI_SOCKETS_NETWORK_ERROR_CODE_ACCESS_DENIED ? "access-denied" : "error";
  snprintf(text, sizeof text, "%s: %s (%d)", step, name, (int)code);
  net_probe_string_dup(ret, text);
}

void exports_net_probe_bind_loopback(net_probe_string_t* ret) {
  wasi_sockets_network_own_network_t network = wasi_sockets_instance_network_instance_network();
  wasi_sockets_tcp_own_tcp_socket_t socket;
  wasi_sockets_network_error_code_t error;
  if (!wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4,
                                                        &socket, &error)) {
    report(ret, "create", error);
    wasi_sockets_network_network_drop_own(network);
    return;
  }
  wasi_sockets_tcp_ip_socket_address_t address = {.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4};
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
