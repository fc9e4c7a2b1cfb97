// A WASI 0.2 HTTP client for the tests: one request per call through
// wasi:http/outgoing-handler, answered as text (see wit/http-probe.wit).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_probe.h"

static const char* error_name(const wasi_http_types_error_code_t* code) {
  switch (code->tag) {
    case WASI_HTTP_TYPES_ERROR_CODE_DNS_TIMEOUT: return "DNS-timeout";
    case WASI_HTTP_TYPES_ERROR_CODE_DNS_ERROR: return "DNS-error";
    case WASI_HTTP_TYPES_ERROR_CODE_DESTINATION_NOT_FOUND: return "destination-not-found";
    case WASI_HTTP_TYPES_ERROR_CODE_DESTINATION_UNAVAILABLE: return "destination-unavailable";
    case WASI_HTTP_TYPES_ERROR_CODE_CONNECTION_REFUSED: return "connection-refused";
    case WASI_HTTP_TYPES_ERROR_CODE_CONNECTION_TERMINATED: return "connection-terminated";
    case WASI_HTTP_TYPES_ERROR_CODE_CONNECTION_TIMEOUT: return "connection-timeout";
    case WASI_HTTP_TYPES_ERROR_CODE_TLS_PROTOCOL_ERROR: return "TLS-protocol-error";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_REQUEST_DENIED: return "HTTP-request-denied";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_REQUEST_URI_INVALID: return "HTTP-request-URI-invalid";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_PROTOCOL_ERROR: return "HTTP-protocol-error";
    case WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR: return "internal-error";
    default: return "other";
  }
}

static void answer(http_probe_string_t* ret, const char* text) { http_probe_string_dup(ret, text); }

static void answer_error(http_probe_string_t* ret, const char* step,
                         const wasi_http_types_error_code_t* code) {
  char text[128];
  snprintf(text, sizeof text, "error: %s%s%s (%u)", step, *step ? ": " : "", error_name(code),
           (unsigned)code->tag);
  answer(ret, text);
}

static void copy_string(http_probe_string_t* out, const http_probe_string_t* in) {
  http_probe_string_dup_n(out, (const char*)in->ptr, in->len);
}

// Writes `body` into the request's body and finishes it.
static int send_body(wasi_http_types_own_outgoing_body_t out_body, const http_probe_string_t* body) {
  wasi_http_types_own_output_stream_t stream;
  if (!wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(out_body),
                                                  &stream)) {
    return 0;
  }
  http_probe_list_u8_t bytes = {(uint8_t*)body->ptr, body->len};
  wasi_io_streams_stream_error_t stream_error;
  int ok = wasi_io_streams_method_output_stream_blocking_write_and_flush(
      wasi_io_streams_borrow_output_stream(stream), &bytes, &stream_error);
  wasi_io_streams_output_stream_drop_own(stream);
  wasi_http_types_error_code_t code;
  if (!wasi_http_types_static_outgoing_body_finish(out_body, NULL, &code)) ok = 0;
  return ok;
}

void exports_http_probe_send(http_probe_string_t* method, http_probe_string_t* scheme,
                             http_probe_string_t* authority, http_probe_string_t* path,
                             http_probe_string_t* body, http_probe_string_t* ret) {
  wasi_http_types_own_outgoing_request_t request =
      wasi_http_types_constructor_outgoing_request(wasi_http_types_constructor_fields());
  wasi_http_types_borrow_outgoing_request_t borrowed = wasi_http_types_borrow_outgoing_request(request);

  int post = method->len == 4 && memcmp(method->ptr, "POST", 4) == 0;
  wasi_http_types_method_t m = {.tag = post ? WASI_HTTP_TYPES_METHOD_POST : WASI_HTTP_TYPES_METHOD_GET};
  wasi_http_types_method_outgoing_request_set_method(borrowed, &m);

  if (scheme->len > 0) {
    wasi_http_types_scheme_t s;
    if (scheme->len == 4 && memcmp(scheme->ptr, "http", 4) == 0) {
      s.tag = WASI_HTTP_TYPES_SCHEME_HTTP;
    } else if (scheme->len == 5 && memcmp(scheme->ptr, "https", 5) == 0) {
      s.tag = WASI_HTTP_TYPES_SCHEME_HTTPS;
    } else {
      s.tag = WASI_HTTP_TYPES_SCHEME_OTHER;
      copy_string(&s.val.other, scheme);
    }
    if (!wasi_http_types_method_outgoing_request_set_scheme(borrowed, &s)) {
      wasi_http_types_outgoing_request_drop_own(request);
      answer(ret, "error: scheme refused");
      return;
    }
  }
  http_probe_string_t value;
  copy_string(&value, authority);
  if (!wasi_http_types_method_outgoing_request_set_authority(borrowed, &value)) {
    wasi_http_types_outgoing_request_drop_own(request);
    answer(ret, "error: authority refused");
    return;
  }
  copy_string(&value, path);
  if (!wasi_http_types_method_outgoing_request_set_path_with_query(borrowed, &value)) {
    wasi_http_types_outgoing_request_drop_own(request);
    answer(ret, "error: path refused");
    return;
  }

  wasi_http_types_own_outgoing_body_t out_body;
  int has_body = post && wasi_http_types_method_outgoing_request_body(borrowed, &out_body);

  wasi_http_outgoing_handler_own_future_incoming_response_t future;
  wasi_http_outgoing_handler_error_code_t code;
  if (!wasi_http_outgoing_handler_handle(request, NULL, &future, &code)) {
    if (has_body) wasi_http_types_outgoing_body_drop_own(out_body);
    answer_error(ret, "", &code);
    return;
  }
  if (has_body && !send_body(out_body, body)) {
    wasi_http_types_future_incoming_response_drop_own(future);
    answer(ret, "error: writing the body");
    return;
  }

  wasi_http_types_borrow_future_incoming_response_t pending =
      wasi_http_types_borrow_future_incoming_response(future);
  wasi_io_poll_own_pollable_t ready = wasi_http_types_method_future_incoming_response_subscribe(pending);
  wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(ready));
  wasi_io_poll_pollable_drop_own(ready);

  wasi_http_types_result_result_own_incoming_response_error_code_void_t got;
  if (!wasi_http_types_method_future_incoming_response_get(pending, &got) || got.is_err) {
    wasi_http_types_future_incoming_response_drop_own(future);
    answer(ret, "error: no response");
    return;
  }
  wasi_http_types_future_incoming_response_drop_own(future);
  if (got.val.ok.is_err) {
    answer_error(ret, "response", &got.val.ok.val.err);
    return;
  }
  wasi_http_types_own_incoming_response_t response = got.val.ok.val.ok;
  unsigned status =
      wasi_http_types_method_incoming_response_status(wasi_http_types_borrow_incoming_response(response));

  char text[4200];
  int length = snprintf(text, sizeof text, "%u ", status);
  wasi_http_types_own_incoming_body_t in_body;
  if (wasi_http_types_method_incoming_response_consume(
          wasi_http_types_borrow_incoming_response(response), &in_body)) {
    wasi_http_types_own_input_stream_t stream;
    if (wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(in_body),
                                                    &stream)) {
      for (;;) {
        http_probe_list_u8_t chunk;
        wasi_io_streams_stream_error_t stream_error;
        if (!wasi_io_streams_method_input_stream_blocking_read(
                wasi_io_streams_borrow_input_stream(stream), 4096, &chunk, &stream_error)) {
          break;  // closed: the whole body was read
        }
        size_t room = sizeof text - 1 - (size_t)length;
        size_t take = chunk.len < room ? chunk.len : room;
        memcpy(text + length, chunk.ptr, take);
        length += (int)take;
        http_probe_list_u8_free(&chunk);
      }
      wasi_io_streams_input_stream_drop_own(stream);
    }
    wasi_http_types_incoming_body_drop_own(in_body);
  }
  text[length] = '\0';
  wasi_http_types_incoming_response_drop_own(response);
  answer(ret, text);
}
