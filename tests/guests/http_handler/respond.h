// Helpers the HTTP handler guests share: start a response, write its body in
// the chunks wasi:io allows, finish it.

#pragma once

#include <stdint.h>
#include <string.h>

#include "http_handler.h"

typedef struct {
  wasi_http_types_own_outgoing_body_t body;
  wasi_http_types_own_output_stream_t stream;
} response_t;

// Sends the status and a text/plain header; the body follows through
// write_body and finish_body.
static response_t start_response(wasi_http_types_own_response_outparam_t out, uint16_t status) {
  wasi_http_types_own_fields_t headers = wasi_http_types_constructor_fields();
  wasi_http_types_field_name_t name;
  http_handler_string_set(&name, "content-type");
  wasi_http_types_field_value_t value = {(uint8_t*)"text/plain", 10};
  wasi_http_types_header_error_t header_error;
  wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(headers), &name, &value,
                                       &header_error);
  wasi_http_types_own_outgoing_response_t response =
      wasi_http_types_constructor_outgoing_response(headers);
  wasi_http_types_borrow_outgoing_response_t borrowed =
      wasi_http_types_borrow_outgoing_response(response);
  wasi_http_types_method_outgoing_response_set_status_code(borrowed, status);
  response_t r;
  wasi_http_types_method_outgoing_response_body(borrowed, &r.body);
  wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(r.body),
                                             &r.stream);
  wasi_http_types_result_own_outgoing_response_error_code_t result;
  result.is_err = false;
  result.val.ok = response;
  wasi_http_types_static_response_outparam_set(out, &result);
  return r;
}

// Writes `len` bytes, at most 4096 per call (what blocking-write-and-flush
// takes); 0 when the client went away.
static int write_body(response_t* r, const uint8_t* data, size_t len) {
  while (len > 0) {
    size_t n = len < 4096 ? len : 4096;
    http_handler_list_u8_t bytes = {(uint8_t*)data, n};
    wasi_io_streams_stream_error_t error;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(r->stream), &bytes, &error)) {
      return 0;
    }
    data += n;
    len -= n;
  }
  return 1;
}

static void finish_body(response_t* r) {
  wasi_io_streams_output_stream_drop_own(r->stream);
  wasi_http_types_error_code_t error;
  wasi_http_types_static_outgoing_body_finish(r->body, NULL, &error);
}

static void respond_text(wasi_http_types_own_response_outparam_t out, uint16_t status,
                         const char* text) {
  response_t r = start_response(out, status);
  write_body(&r, (const uint8_t*)text, strlen(text));
  finish_body(&r);
}
