#!/usr/bin/env python3
"""Embedding orivon in Python with ctypes on liborivon.so (the C API,
include/orivon/orivon.h): install a component, run it as a service, watch its
state changes, call it with WAVE text and with typed values, and use a
key-value bucket and events. No binding code is generated: each function's
types are declared below, as the header gives them.

    embed.py LIBORIVON.so STATE_DIR CALLEE.wasm

CALLEE.wasm is build/guests/call_callee.component.wasm.
"""

import ctypes
import sys
import threading
from ctypes import (CFUNCTYPE, POINTER, c_bool, c_char_p, c_int, c_int32, c_int64, c_size_t,
                    c_uint8, c_uint32, c_uint64, c_void_p)


class OrivonError(Exception):
    def __init__(self, code, name, message):
        super().__init__(f"{message} ({name})")
        self.code = code


STATE_CALLBACK = CFUNCTYPE(None, c_void_p, c_char_p, c_int, c_int, c_char_p)
EVENT_CALLBACK = CFUNCTYPE(c_int, c_void_p, c_char_p, POINTER(c_uint8), c_size_t, c_char_p,
                           c_uint64)


def load(path):
    lib = ctypes.CDLL(path)
    error = c_void_p
    signatures = {
        "orivon_version": (c_char_p, []),
        "orivon_error_code": (c_int, [c_void_p]),
        "orivon_error_message": (c_char_p, [c_void_p]),
        "orivon_error_code_name": (c_char_p, [c_int]),
        "orivon_error_delete": (None, [c_void_p]),
        "orivon_string_delete": (None, [c_void_p]),
        "orivon_bytes_delete": (None, [c_void_p]),
        "orivon_runtime_options_new": (c_void_p, []),
        "orivon_runtime_options_set_state_dir": (error, [c_void_p, c_char_p]),
        "orivon_runtime_options_delete": (None, [c_void_p]),
        "orivon_runtime_new": (error, [c_void_p, POINTER(c_void_p)]),
        "orivon_runtime_delete": (None, [c_void_p]),
        "orivon_module_add_file": (error, [c_void_p, c_char_p, c_char_p, c_char_p,
                                           POINTER(c_void_p)]),
        "orivon_module_info_id": (c_char_p, [c_void_p]),
        "orivon_module_info_delete": (None, [c_void_p]),
        "orivon_module_list": (error, [c_void_p, c_char_p, c_size_t, POINTER(c_void_p)]),
        "orivon_module_list_size": (c_size_t, [c_void_p]),
        "orivon_module_list_get": (c_void_p, [c_void_p, c_size_t]),
        "orivon_module_list_delete": (None, [c_void_p]),
        "orivon_module_state_name": (c_char_p, [c_int]),
        "orivon_service_start": (error, [c_void_p, c_char_p]),
        "orivon_service_stop": (error, [c_void_p, c_char_p]),
        "orivon_state_subscribe": (error, [c_void_p, STATE_CALLBACK, c_void_p, POINTER(c_uint64)]),
        "orivon_state_unsubscribe": (error, [c_void_p, c_uint64]),
        "orivon_call_text": (error, [c_void_p, c_char_p, c_char_p, c_uint32, POINTER(c_void_p),
                                     POINTER(c_int32)]),
        "orivon_value_new_s64": (c_void_p, [c_int64]),
        "orivon_value_new_string": (c_void_p, [c_char_p, c_size_t]),
        "orivon_value_new_bytes": (c_void_p, [POINTER(c_uint8), c_size_t]),
        "orivon_value_delete": (None, [c_void_p]),
        "orivon_value_get_signed": (error, [c_void_p, POINTER(c_int64)]),
        "orivon_value_get_string": (error, [c_void_p, POINTER(c_void_p), POINTER(c_size_t)]),
        "orivon_value_get_bytes": (error, [c_void_p, POINTER(c_void_p), POINTER(c_size_t)]),
        "orivon_value_list_size": (c_size_t, [c_void_p]),
        "orivon_value_list_get": (c_void_p, [c_void_p, c_size_t]),
        "orivon_value_list_delete": (None, [c_void_p]),
        "orivon_call_values": (error, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p), c_size_t,
                                       c_uint32, POINTER(c_void_p)]),
        "orivon_kv_create_bucket": (error, [c_void_p, c_char_p]),
        "orivon_kv_set": (error, [c_void_p, c_char_p, c_char_p, POINTER(c_uint8), c_size_t,
                                  POINTER(c_uint64)]),
        "orivon_kv_get": (error, [c_void_p, c_char_p, c_char_p, POINTER(c_bool),
                                  POINTER(c_void_p), POINTER(c_size_t)]),
        "orivon_event_publish": (error, [c_void_p, c_char_p, POINTER(c_uint8), c_size_t,
                                         c_char_p, POINTER(c_uint64)]),
        "orivon_event_subscribe": (error, [c_void_p, c_char_p, EVENT_CALLBACK, c_void_p,
                                           POINTER(c_uint64)]),
        "orivon_event_unsubscribe": (error, [c_void_p, c_uint64]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


class Orivon:
    """A runtime, with each C error turned into an OrivonError."""

    def __init__(self, lib, state_dir):
        self.lib = lib
        options = lib.orivon_runtime_options_new()
        runtime = c_void_p()
        try:
            self.check(lib.orivon_runtime_options_set_state_dir(options, state_dir.encode()))
            self.check(lib.orivon_runtime_new(options, ctypes.byref(runtime)))
        finally:
            lib.orivon_runtime_options_delete(options)
        self.runtime = runtime

    def close(self):
        self.lib.orivon_runtime_delete(self.runtime)

    def check(self, error):
        if error:
            code = self.lib.orivon_error_code(error)
            message = self.lib.orivon_error_message(error).decode()
            name = self.lib.orivon_error_code_name(code).decode()
            self.lib.orivon_error_delete(error)
            raise OrivonError(code, name, message)

    def take_string(self, pointer):
        text = ctypes.string_at(pointer).decode()
        self.lib.orivon_string_delete(pointer)
        return text

    def call_text(self, module, call):
        results = c_void_p()
        exit_code = c_int32()
        self.check(self.lib.orivon_call_text(self.runtime, module.encode(), call.encode(), 0,
                                             ctypes.byref(results), ctypes.byref(exit_code)))
        return self.take_string(results)

    def call_values(self, module, function, values):
        """Calls with orivon values the caller owns; returns the result list (owned)."""
        args = (c_void_p * len(values))(*values)
        results = c_void_p()
        self.check(self.lib.orivon_call_values(self.runtime, module.encode(), function.encode(),
                                               args, len(values), 0, ctypes.byref(results)))
        return results


def expect(condition, what):
    """The example checks what it gets, so that a test running it fails when it is wrong."""
    if not condition:
        raise OrivonError(0, "Unexpected", what)


def main():
    if len(sys.argv) != 4:
        print(f"usage: {sys.argv[0]} LIBORIVON.so STATE_DIR CALLEE.wasm", file=sys.stderr)
        return 2
    lib = load(sys.argv[1])
    print("orivon", lib.orivon_version().decode())
    orivon = Orivon(lib, sys.argv[2])
    module = "example.python.callee"
    try:
        changes = []

        # ctypes calls back on orivon's threads, holding the GIL while it runs.
        @STATE_CALLBACK
        def on_state(user_data, module_id, old, new, cause):
            changes.append((module_id.decode(), lib.orivon_module_state_name(new).decode()))

        subscription = c_uint64()
        orivon.check(lib.orivon_state_subscribe(orivon.runtime, on_state, None,
                                                ctypes.byref(subscription)))

        info = c_void_p()
        orivon.check(lib.orivon_module_add_file(orivon.runtime, module.encode(),
                                                sys.argv[3].encode(), None, ctypes.byref(info)))
        print("installed", lib.orivon_module_info_id(info).decode())
        lib.orivon_module_info_delete(info)

        listed = c_void_p()
        orivon.check(lib.orivon_module_list(orivon.runtime, None, 0, ctypes.byref(listed)))
        print("modules:", [lib.orivon_module_info_id(lib.orivon_module_list_get(listed, i)).decode()
                           for i in range(lib.orivon_module_list_size(listed))])
        lib.orivon_module_list_delete(listed)

        orivon.check(lib.orivon_service_start(orivon.runtime, module.encode()))
        total_text = orivon.call_text(module, "add(40, 2)")
        print("add(40, 2) =", total_text)
        expect(total_text == "42", "add(40, 2) is not 42")

        # Typed values: numbers, a string and bytes.
        a, b = lib.orivon_value_new_s64(40), lib.orivon_value_new_s64(2)
        try:
            results = orivon.call_values(module, "add", [a, b])
        finally:
            lib.orivon_value_delete(a)
            lib.orivon_value_delete(b)
        total = c_int64()
        orivon.check(lib.orivon_value_get_signed(lib.orivon_value_list_get(results, 0),
                                                 ctypes.byref(total)))
        lib.orivon_value_list_delete(results)
        print("typed add(40, 2) =", total.value)
        expect(total.value == 42, "typed add(40, 2) is not 42")

        text = "héllo from Python".encode()
        value = lib.orivon_value_new_string(text, len(text))
        try:
            results = orivon.call_values(module, "echo-string", [value])
        finally:
            lib.orivon_value_delete(value)
        data, size = c_void_p(), c_size_t()
        orivon.check(lib.orivon_value_get_string(lib.orivon_value_list_get(results, 0),
                                                 ctypes.byref(data), ctypes.byref(size)))
        echoed = ctypes.string_at(data, size.value).decode()
        print("echo-string:", echoed)
        expect(echoed == "héllo from Python", "echo-string changed the text")
        lib.orivon_value_list_delete(results)

        raw = bytes([0, 1, 255])
        value = lib.orivon_value_new_bytes((c_uint8 * len(raw))(*raw), len(raw))
        try:
            results = orivon.call_values(module, "echo-bytes", [value])
        finally:
            lib.orivon_value_delete(value)
        orivon.check(lib.orivon_value_get_bytes(lib.orivon_value_list_get(results, 0),
                                                ctypes.byref(data), ctypes.byref(size)))
        echoed_bytes = ctypes.string_at(data, size.value)
        print("echo-bytes:", list(echoed_bytes))
        expect(echoed_bytes == raw, "echo-bytes changed the bytes")
        lib.orivon_value_list_delete(results)

        # Errors carry a code: a call to a module that is not installed.
        try:
            orivon.call_text("example.python.absent", "add(1, 2)")
            expect(False, "a call to an absent module succeeded")
        except OrivonError as error:
            print("absent module:", lib.orivon_error_code_name(error.code).decode())
            expect(error.code == 2, "an absent module is not NOT_FOUND")

        # A key-value bucket.
        orivon.check(lib.orivon_kv_create_bucket(orivon.runtime, b"python"))
        stored = b"42"
        orivon.check(lib.orivon_kv_set(orivon.runtime, b"python", b"answer",
                                       (c_uint8 * len(stored))(*stored), len(stored), None))
        found, value_bytes, value_size = c_bool(), c_void_p(), c_size_t()
        orivon.check(lib.orivon_kv_get(orivon.runtime, b"python", b"answer", ctypes.byref(found),
                                       ctypes.byref(value_bytes), ctypes.byref(value_size)))
        answer = ctypes.string_at(value_bytes, value_size.value)
        print("kv answer =", answer.decode())
        expect(found.value and answer == stored, "the key-value bucket lost the value")
        lib.orivon_bytes_delete(value_bytes)

        # Events: the client's own subscription receives what it publishes.
        received = threading.Event()

        @EVENT_CALLBACK
        def on_event(user_data, topic, data, size, publisher, sequence):
            print("event on", topic.decode(), "from", publisher.decode() + ":",
                  ctypes.string_at(data, size).decode())
            received.set()
            return 0

        event_subscription = c_uint64()
        orivon.check(lib.orivon_event_subscribe(orivon.runtime, b"python.>", on_event, None,
                                                ctypes.byref(event_subscription)))
        payload = b"from ctypes"
        orivon.check(lib.orivon_event_publish(orivon.runtime, b"python.hello",
                                              (c_uint8 * len(payload))(*payload), len(payload),
                                              None, None))
        arrived = received.wait(10)
        print("event received:", arrived)
        expect(arrived, "the event did not arrive")
        orivon.check(lib.orivon_event_unsubscribe(orivon.runtime, event_subscription))

        orivon.check(lib.orivon_service_stop(orivon.runtime, module.encode()))
        orivon.check(lib.orivon_state_unsubscribe(orivon.runtime, subscription))
        print("state changes:", " ".join(state for _, state in changes))
        expect("running" in [state for _, state in changes], "no state change to running")
    except OrivonError as error:
        print("error:", error, file=sys.stderr)
        return 1
    finally:
        orivon.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
