// A module that uses the Bitcoin facade (examples/bitcoin/rpc/wit, world
// `client`): what a call grant on bitcoin.rpc.orivon lets through, and what
// its absence refuses.
#include <stdio.h>

#include "client.h"

bool exports_client_tip_through_facade(client_string_t* ret, client_string_t* err) {
  orivon_bitcoin_chain_tip_t tip;
  if (!orivon_bitcoin_chain_get_tip(&tip, err)) return false;
  char text[128];
  snprintf(text, sizeof text, "%u %.*s", tip.height, (int)tip.hash.len, (const char*)tip.hash.ptr);
  orivon_bitcoin_chain_tip_free(&tip);
  client_string_dup(ret, text);
  return true;
}
