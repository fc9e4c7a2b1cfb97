// Hello world over wasi:http/incoming-handler: what the HTTP tests route to
// first and what scripts/bench.sh loads.

#include "respond.h"

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  wasi_http_types_incoming_request_drop_own(request);
  respond_text(response_out, 200, "hello from orivon\n");
}
