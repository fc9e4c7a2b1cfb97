// An HTTP handler whose paths misbehave, for the tests of what the host
// contains (tests/cli/http_test.py). It sees the whole path, its route's
// prefix included, so it looks for these anywhere in it:
//   /trap        traps
//   /loop        never returns
//   /bomb        allocates until memory runs out, then traps
//   /huge/N      streams N MiB (64 when N is missing)
//   /echo        streams the request body back, as it arrives
//   /count       reads the whole request body, then says how long it was
//   /state       counts its calls in a global and says whether 2 MiB of freshly
//                grown memory read as zero, then fills them: a fresh instance says
//                "1 clean". /state/small fills only the first 256 KiB, and
//                /state/sparse one byte in every other page of the first MiB.
//   anything else: 200 "hostile handler"

#include <stdio.h>
#include <stdlib.h>

#include "respond.h"

static unsigned calls;
// Where the memory bomb keeps its blocks, so the compiler cannot drop them.
static char* volatile kept;

static char path_text[1024];

static int path_is(const http_handler_string_t* path, const char* part) {
  size_t n = path->len < sizeof path_text - 1 ? path->len : sizeof path_text - 1;
  memcpy(path_text, path->ptr, n);
  path_text[n] = 0;
  return strstr(path_text, part) != NULL;
}

// Reads the whole body, then answers its length.
static void count(wasi_http_types_own_incoming_request_t request,
                  wasi_http_types_own_response_outparam_t out) {
  wasi_http_types_own_incoming_body_t body;
  wasi_http_types_own_input_stream_t input;
  if (!wasi_http_types_method_incoming_request_consume(
          wasi_http_types_borrow_incoming_request(request), &body) ||
      !wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(body),
                                                   &input)) {
    respond_text(out, 400, "no body\n");
    return;
  }
  unsigned long long total = 0;
  for (;;) {
    http_handler_list_u8_t chunk;
    wasi_io_streams_stream_error_t error;
    if (!wasi_io_streams_method_input_stream_blocking_read(
            wasi_io_streams_borrow_input_stream(input), 65536, &chunk, &error)) {
      if (error.tag != WASI_IO_STREAMS_STREAM_ERROR_CLOSED) __builtin_trap();
      break;
    }
    total += chunk.len;
    http_handler_list_u8_free(&chunk);
  }
  char text[32];
  snprintf(text, sizeof text, "%llu\n", total);
  respond_text(out, 200, text);
}

static void echo(wasi_http_types_own_incoming_request_t request,
                 wasi_http_types_own_response_outparam_t out) {
  wasi_http_types_own_incoming_body_t body;
  if (!wasi_http_types_method_incoming_request_consume(
          wasi_http_types_borrow_incoming_request(request), &body)) {
    respond_text(out, 400, "no body\n");
    return;
  }
  wasi_http_types_own_input_stream_t input;
  if (!wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(body),
                                                   &input)) {
    respond_text(out, 400, "no body stream\n");
    return;
  }
  response_t r = start_response(out, 200);
  for (;;) {
    http_handler_list_u8_t chunk;
    wasi_io_streams_stream_error_t error;
    if (!wasi_io_streams_method_input_stream_blocking_read(
            wasi_io_streams_borrow_input_stream(input), 65536, &chunk, &error)) {
      // Closed: the whole body was read. A failed read (the body too large,
      // the client gone) traps, so the host answers for it.
      if (error.tag != WASI_IO_STREAMS_STREAM_ERROR_CLOSED) __builtin_trap();
      break;
    }
    int written = write_body(&r, chunk.ptr, chunk.len);
    http_handler_list_u8_free(&chunk);
    if (!written) break;
  }
  wasi_io_streams_input_stream_drop_own(input);
  wasi_http_types_incoming_body_drop_own(body);
  finish_body(&r);
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  http_handler_string_t path = {0};
  wasi_http_types_method_incoming_request_path_with_query(
      wasi_http_types_borrow_incoming_request(request), &path);
  ++calls;
  if (path_is(&path, "/trap")) {
    __builtin_trap();
  } else if (path_is(&path, "/loop")) {
    volatile unsigned spin = 0;
    for (;;) ++spin;
  } else if (path_is(&path, "/bomb")) {
    for (;;) {
      char* block = malloc(1 << 20);
      if (block == NULL) __builtin_trap();
      memset(block, 1, 1 << 20);
      kept = block;
    }
  } else if (path_is(&path, "/huge")) {
    unsigned mib = 64;
    const char* size = strstr(path_text, "/huge/");
    if (size != NULL) mib = (unsigned)atoi(size + 6);
    static uint8_t block[65536];
    memset(block, 'x', sizeof block);
    response_t r = start_response(response_out, 200);
    for (unsigned i = 0; i < mib * 16; ++i) {
      if (!write_body(&r, block, sizeof block)) break;
    }
    finish_body(&r);
  } else if (path_is(&path, "/count")) {
    count(request, response_out);
    return;
  } else if (path_is(&path, "/echo")) {
    echo(request, response_out);
    return;
  } else if (path_is(&path, "/state")) {
    // Grown memory must read as zero, every byte. A pooled slot is reused
    // by the next instance of this handler; what this one writes must not
    // reach it, however much it writes and wherever. The pool keeps 1 MiB of
    // a slot resident and resets only the pages that were written (Linux's
    // PAGEMAP_SCAN), handing back the rest: /state writes more than is kept
    // resident, /state/small less (nothing is handed back, the reset alone
    // must find every page), /state/sparse more separate runs of pages than
    // one scan reports (32). The memory is grown directly, not through
    // malloc, which may hand back bytes this instance itself used and freed.
    enum { kHeapBytes = 2 << 20, kPage = 4096, kWasmPage = 65536 };
    const size_t old_pages = __builtin_wasm_memory_grow(0, kHeapBytes / kWasmPage);
    unsigned char* heap =
        old_pages == (size_t)-1 ? NULL : (unsigned char*)(old_pages * kWasmPage);
    int clean = heap != NULL;
    for (size_t i = 0; clean && i < kHeapBytes; ++i) clean = heap[i] == 0;
    if (heap != NULL) {
      if (path_is(&path, "/state/small")) {
        memset(heap, 0xA5, 256 << 10);
      } else if (path_is(&path, "/state/sparse")) {
        for (size_t i = 0; i < (1 << 20); i += 2 * kPage) heap[i + kPage / 2] = 0xA5;
      } else {
        memset(heap, 0xA5, kHeapBytes);
      }
    }
    kept = (char*)heap;
    char text[32];
    snprintf(text, sizeof text, "%u %s\n", calls, clean ? "clean" : "dirty");
    respond_text(response_out, 200, text);
  } else {
    respond_text(response_out, 200, "hostile handler\n");
  }
  wasi_http_types_incoming_request_drop_own(request);
}
