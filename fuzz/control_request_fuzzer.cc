// Fuzzes the host's control socket end to end, in process: the bytes of each input are sent
// as they are to a real ControlServer (tools/orivon/host/control_socket.cc) on a Unix socket
// in a temporary state directory, which frames them (one line), parses the JSON and hands it
// to handle_request (tools/orivon/host/requests.cc) on a real Runtime with a registry.
//
// The Runtime answers as the CLI does without a host (Responder::Direct): requests are
// validated and the registry is changed (add, remove, grant, allow, ...), libraries can be
// called, but no service runs. What the handler sees is made safe first, since a request on
// the socket comes from the host's own user and may name any file:
//   - "file" always names one of the guests the build made (the fuzzer picks which by the
//     name's hash; a name that is a guest's file name picks that guest), so the fuzzer never
//     reads /dev/zero, a FIFO or the user's files;
//   - a call's "timeout_ms" is at most 1000 (and 1000 when absent), so a guest that loops
//     costs a second, not the default 30.
//
// Properties: the server answers every input with one line holding a JSON object with a
// boolean "ok"; a refusal carries a known error code and a message; no exception escapes
// the handler (an "Internal: handling a request: ..." reply says one did).
//
// Input seeds are request lines: {"op": "add", "file": "reactor.core.wasm", "id": "lib.a.b"}.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "host/control_socket.h"
#include "host/requests.h"
#include "orivon/runtime.h"

namespace orivon::fuzz {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxCallTimeoutMs = 1000;

// Everything the fuzzer keeps between inputs. Leaked on purpose: the server thread runs until
// the process exits, and libFuzzer exits without unwinding.
struct Host {
  std::filesystem::path state_dir;
  std::filesystem::path socket_path;
  std::vector<std::filesystem::path> files;  // what "file" may name
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<cli::ControlServer> server;
  int stop_pipe[2] = {-1, -1};
  std::thread serving;
};

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "control_request_fuzzer: %s\n", what.c_str());
  std::abort();
}

std::filesystem::path guest_dir() {
  if (const char* dir = std::getenv("ORIVON_FUZZ_GUEST_DIR")) return dir;
  return ORIVON_FUZZ_GUEST_DIR;  // the fuzz build's guests, set by fuzz/CMakeLists.txt
}

Host* host_for_cleanup = nullptr;

void remove_state_dir() {
  if (host_for_cleanup != nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(host_for_cleanup->state_dir, ignored);
  }
}

// The request with its "file" and "timeout_ms" made safe (see the top of the file).
json made_safe(const Host& host, json request) {
  if (!request.is_object()) return request;
  if (auto it = request.find("file"); it != request.end() && it->is_string()) {
    const std::string name = it->get<std::string>();
    std::filesystem::path chosen =
        host.files[std::hash<std::string>{}(name) % host.files.size()];
    for (const auto& file : host.files) {
      if (file.filename() == name) chosen = file;
    }
    *it = chosen.string();
  }
  if (request.value("op", json()) == json("call")) {
    // The host caps a huge timeout_ms itself (tests/cli/hostile_input_test.cc); this clamp
    // keeps a guest that loops from holding the fuzzer for the host's default deadline.
    std::uint64_t timeout = kMaxCallTimeoutMs;
    if (auto it = request.find("timeout_ms"); it != request.end() && it->is_number_unsigned()) {
      timeout = std::min(it->get<std::uint64_t>(), kMaxCallTimeoutMs);
    }
    request["timeout_ms"] = timeout;
  }
  return request;
}

Host& host() {
  static Host* const shared = [] {
    auto* h = new Host();
    std::string pattern = (std::filesystem::temp_directory_path() / "orivon-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) setup_failed("mkdtemp: " + std::string(std::strerror(errno)));
    h->state_dir = pattern;
    host_for_cleanup = h;
    std::atexit(remove_state_dir);

    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(guest_dir(), error)) {
      if (entry.path().extension() == ".wasm") h->files.push_back(entry.path());
    }
    std::sort(h->files.begin(), h->files.end());
    // Files that are not WebAssembly, and one that does not exist.
    const auto text_file = h->state_dir / "not-wasm.txt";
    if (FILE* f = std::fopen(text_file.c_str(), "w")) {
      std::fputs("(module)\n", f);  // WebAssembly text, which `add` accepts too
      std::fclose(f);
    }
    h->files.push_back(text_file);
    h->files.push_back(h->state_dir / "missing.wasm");

    RuntimeOptions options;
    options.state_dir = h->state_dir / "state";
    auto runtime = Runtime::create(options);
    if (!runtime) setup_failed("creating the runtime: " + runtime.error().to_string());
    h->runtime = std::move(*runtime);

    h->socket_path = cli::control_socket_path(h->state_dir);
    auto server = cli::ControlServer::listen(h->socket_path);
    if (!server) setup_failed("listening: " + server.error().to_string());
    h->server = std::make_unique<cli::ControlServer>(std::move(*server));
    if (::pipe(h->stop_pipe) != 0) setup_failed("pipe: " + std::string(std::strerror(errno)));
    h->serving = std::thread([h] {
      auto served = h->server->serve(h->stop_pipe[0], [h](const json& request) {
        // What `orivon up` answers with: the reply as its line of text.
        return cli::handle_request_line(*h->runtime, made_safe(*h, request),
                                        cli::Responder::Direct);
      });
      if (!served) setup_failed("serving: " + served.error().to_string());
    });
    h->serving.detach();
    return h;
  }();
  return *shared;
}

int connect_to(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) setup_failed("socket: " + std::string(std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    setup_failed("connect: " + std::string(std::strerror(errno)));
  }
  return fd;
}

// Sends `bytes`, ends the sending side (so a request without a newline ends at EOF), and
// reads the whole reply.
std::string exchange(std::string_view bytes) {
  const int fd = connect_to(host().socket_path);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server stopped reading (it answers after the first line)
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

bool is_error_code_name(const std::string& name) {
#define ORIVON_ERROR_CODE(code, value) \
  if (name == #code) return true;
#include "orivon/error_codes.inc"
#undef ORIVON_ERROR_CODE
  return false;
}

}  // namespace
}  // namespace orivon::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  orivon::fuzz::host();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orivon::fuzz;
  const std::string_view input = as_text(data, size);
  const std::string reply_text = exchange(input);
  ORIVON_FUZZ_CHECK(!reply_text.empty() && reply_text.back() == '\n' &&
                        reply_text.find('\n') == reply_text.size() - 1,
                    "the reply to " + printable(input.substr(0, 200)) + " is not one line: " +
                        printable(reply_text.substr(0, 200)));
  const json reply = json::parse(reply_text, nullptr, /*allow_exceptions=*/false);
  ORIVON_FUZZ_CHECK(reply.is_object() && reply.contains("ok") && reply["ok"].is_boolean(),
                    "malformed reply " + printable(reply_text.substr(0, 200)));
  if (reply["ok"].get<bool>()) return 0;
  const json& error = reply.value("error", json());
  ORIVON_FUZZ_CHECK(error.is_object() && error.value("code", json()).is_string() &&
                        error.value("message", json()).is_string(),
                    "malformed error reply " + printable(reply_text.substr(0, 200)));
  const std::string code = error["code"].get<std::string>();
  const std::string message = error["message"].get<std::string>();
  ORIVON_FUZZ_CHECK(is_error_code_name(code), "unknown error code in " + printable(reply_text));
  ORIVON_FUZZ_CHECK(!message.starts_with("handling a request:"),
                    "an exception escaped the handler for " + printable(input.substr(0, 200)) +
                        ": " + message);
  return 0;
}
