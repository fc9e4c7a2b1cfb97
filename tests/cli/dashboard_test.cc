// `orivon up --dashboard`, `orivon dashboard-url` and `orivon top` as a user
// (or a hostile client) meets them: a real host, real sockets. The page
// itself is driven by a real browser in tests/dashboard/browser_test.py.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"
#include "support/wait.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A connected socket to 127.0.0.1:port, closed on destruction.
class Connection {
 public:
  explicit Connection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Everything until the peer closes (or 20 s pass).
  std::string receive_all() {
    std::string text;
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, 1000) <= 0) continue;
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

 private:
  int fd_;
  bool connected_ = false;
};

struct Response {
  int status = 0;
  std::string head;
  std::string body;
};

Response parse_response(const std::string& text) {
  Response response;
  auto end = text.find("\r\n\r\n");
  response.head = text.substr(0, end);
  if (end != std::string::npos) response.body = text.substr(end + 4);
  if (text.starts_with("HTTP/1.1 ")) response.status = std::atoi(text.c_str() + 9);
  return response;
}

// One Prometheus sample: name, labels, value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses the text exposition format strictly enough to catch a malformed
// line: every line is a # HELP / # TYPE comment or a sample; label values
// are quoted with \\, \" and \n escapes. Fails the test on anything else.
std::vector<Sample> parse_prometheus(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream lines(text);
  std::string line;
  const std::regex name_re("^[a-zA-Z_:][a-zA-Z0-9_:]*");
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    std::smatch name;
    EXPECT_TRUE(std::regex_search(line, name, name_re)) << "bad line: " << line;
    if (name.empty()) continue;
    Sample sample;
    sample.name = name.str();
    std::size_t at = sample.name.size();
    if (at < line.size() && line[at] == '{') {
      ++at;
      while (at < line.size() && line[at] != '}') {
        auto equals = line.find("=\"", at);
        EXPECT_NE(equals, std::string::npos) << line;
        if (equals == std::string::npos) return samples;
        std::string label = line.substr(at, equals - at);
        std::string value;
        at = equals + 2;
        while (at < line.size() && line[at] != '"') {
          if (line[at] == '\\' && at + 1 < line.size()) {
            char next = line[at + 1];
            value += next == 'n' ? '\n' : next;
            at += 2;
          } else {
            value += line[at++];
          }
        }
        ++at;  // the closing quote
        if (at < line.size() && line[at] == ',') ++at;
        sample.labels[label] = value;
      }
      ++at;  // the closing brace
    }
    EXPECT_TRUE(at < line.size() && line[at] == ' ') << "bad line: " << line;
    sample.value = std::stod(line.substr(at + 1));
    samples.push_back(std::move(sample));
  }
  return samples;
}

class Dashboard : public StateDirTest {
 protected:
  void SetUp() override {
    host_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
        orivon_binary().string(), "up", "--state", state().string(), "--dashboard", "127.0.0.1:0"});
    ASSERT_TRUE(host_->wait_for_output("orivon host up", 60s)) << host_->output();
    std::smatch match;
    const std::string output = host_->output();
    const std::regex announced("dashboard on http://127\\.0\\.0\\.1:(\\d+)/");
    ASSERT_TRUE(std::regex_search(output, match, announced)) << output;
    port_ = std::stoi(match[1].str());
    token_ = read_text(state() / "dashboard.token");
    while (!token_.empty() && token_.back() == '\n') token_.pop_back();
    ASSERT_EQ(token_.size(), 64u);
  }

  std::string authority() const { return "127.0.0.1:" + std::to_string(port_); }

  Response request(const std::string& raw) {
    Connection connection(port_);
    EXPECT_TRUE(connection.connected());
    EXPECT_TRUE(connection.send(raw));
    return parse_response(connection.receive_all());
  }

  // A GET with the token as a bearer header (or none when `token` is empty).
  Response get(const std::string& path, const std::string& token) {
    std::string raw = "GET " + path + " HTTP/1.1\r\nHost: " + authority() + "\r\n";
    if (!token.empty()) raw += "Authorization: Bearer " + token + "\r\n";
    return request(raw + "\r\n");
  }

  Response post(const std::string& path, const std::string& extra_headers,
                const std::string& host = "") {
    return request("POST " + path + " HTTP/1.1\r\nHost: " + (host.empty() ? authority() : host) +
                   "\r\nAuthorization: Bearer " + token_ + "\r\nContent-Length: 0\r\n" +
                   extra_headers + "\r\n");
  }

  std::string module_state(const std::string& id) {
    auto list = cli({"list", "--json"});
    auto json = nlohmann::json::parse(list.out, nullptr, false);
    if (!json.is_array()) return "";
    for (const auto& module : json) {
      if (module.value("id", "") == id) return module.value("state", "");
    }
    return "";
  }

  void add_running_service(const std::string& id) {
    ASSERT_EQ(cli({"add", guest_path("service_probe", "core").string(), "--id", id}).exit_code, 0);
    auto started = cli({"start", id});
    ASSERT_EQ(started.exit_code, 0) << started.err;
  }

  std::unique_ptr<BackgroundProcess> host_;
  int port_ = 0;
  std::string token_;
};

TEST_F(Dashboard, EveryRequestNeedsTheToken) {
  for (const char* path : {"/", "/api/status", "/metrics", "/api/modules/app.svc.test/logs",
                           "/no/such/path"}) {
    auto none = get(path, "");
    EXPECT_EQ(none.status, 401) << path;
    EXPECT_THAT(none.head, HasSubstr("WWW-Authenticate: Bearer"));
    EXPECT_THAT(none.body, HasSubstr("orivon dashboard-url"));
    EXPECT_EQ(get(path, std::string(64, '0')).status, 401) << path;
    EXPECT_EQ(get(path, token_.substr(0, 63)).status, 401) << path;
  }
  EXPECT_EQ(post("/api/modules/app.svc.test/stop", "Origin: http://" + authority() + "\r\n",
                 authority())
                .status,
            404);  // with the token: it gets as far as the module (absent)
  auto page = get("/?token=" + token_, "");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.head, HasSubstr("Content-Type: text/html"));
  // The page's script runs by its nonce, and nothing else does.
  std::smatch nonce;
  ASSERT_TRUE(std::regex_search(page.head, nonce, std::regex("script-src 'nonce-([0-9a-f]{32})'")))
      << page.head;
  EXPECT_THAT(page.body, HasSubstr("<script nonce=\"" + nonce[1].str() + "\">"));
  EXPECT_THAT(page.body, Not(HasSubstr("{{NONCE}}")));
  EXPECT_EQ(get("/api/status", token_).status, 200);
  EXPECT_EQ(get("/no/such/path", token_).status, 404);
}

TEST_F(Dashboard, DashboardUrlPrintsTheAddressWithTheToken) {
  struct stat info {};
  ASSERT_EQ(::stat((state() / "dashboard.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto url = cli({"dashboard-url"});
  ASSERT_EQ(url.exit_code, 0) << url.err;
  EXPECT_EQ(url.out, "http://" + authority() + "/?token=" + token_ + "\n");

  host_->send_signal(SIGTERM);
  ASSERT_EQ(host_->wait(30s), 0) << host_->output();
  EXPECT_FALSE(std::filesystem::exists(state() / "dashboard.address"));
  auto no_host = cli({"dashboard-url"});
  EXPECT_EQ(no_host.exit_code, 1);
  EXPECT_THAT(no_host.err, HasSubstr("no host is up"));

  // A host without --dashboard: no URL, and the token stays for next time.
  auto plain = start_host();
  auto none = cli({"dashboard-url"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("without a dashboard"));
  EXPECT_EQ(read_text(state() / "dashboard.token"), token_ + "\n");
}

TEST_F(Dashboard, ChangesNeedTheDashboardsOriginAndALoopbackHost) {
  add_running_service("app.svc.test");
  const std::string stop = "/api/modules/app.svc.test/stop";
  EXPECT_EQ(post(stop, "").status, 403);
  EXPECT_EQ(post(stop, "Origin: http://evil.example\r\n").status, 403);
  EXPECT_EQ(post(stop, "Origin: null\r\n").status, 403);
  // DNS rebinding: a foreign name resolving to loopback, its own origin.
  EXPECT_EQ(post(stop, "Origin: http://evil.example:" + std::to_string(port_) + "\r\n",
                 "evil.example:" + std::to_string(port_))
                .status,
            403);
  EXPECT_EQ(module_state("app.svc.test"), "running");

  auto stopped = post(stop, "Origin: http://" + authority() + "\r\n");
  EXPECT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_THAT(stopped.body, HasSubstr("\"state\":\"stopped\""));
  EXPECT_EQ(module_state("app.svc.test"), "stopped");
  auto started = post("/api/modules/app.svc.test/start", "Origin: http://" + authority() + "\r\n");
  EXPECT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(module_state("app.svc.test"), "running");

  const std::string origin = "Origin: http://" + authority() + "\r\n";
  EXPECT_EQ(post("/api/modules/NotAnId/stop", origin).status, 400);
  EXPECT_EQ(post("/api/modules/app.svc.test/explode", origin).status, 404);
}

TEST_F(Dashboard, MetricsAreInThePrometheusFormat) {
  add_running_service("app.svc.test");
  ASSERT_EQ(cli({"add", guest_path("reactor", "core").string(), "--id", "lib.math.test"}).exit_code,
            0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(cli({"call", "app.svc.test", "ping()"}).exit_code, 0);

  auto metrics = get("/metrics", token_);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.head, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  const auto samples = parse_prometheus(metrics.body);
  const auto value = [&](const std::string& name,
                         const std::map<std::string, std::string>& labels) -> double {
    for (const auto& sample : samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
    ADD_FAILURE() << "no sample " << name;
    return -1;
  };
  EXPECT_EQ(value("orivon_module_calls_total", {{"module", "app.svc.test"}}), 3);
  EXPECT_EQ(value("orivon_module_calls_total", {{"module", "lib.math.test"}}), 0);
  EXPECT_EQ(value("orivon_module_traps_total", {{"module", "app.svc.test"}}), 0);
  EXPECT_EQ(value("orivon_module_call_duration_seconds_count", {{"module", "app.svc.test"}}), 3);
  EXPECT_EQ(value("orivon_module_call_duration_seconds_bucket",
                  {{"module", "app.svc.test"}, {"le", "+Inf"}}),
            3);
  EXPECT_GT(value("orivon_module_memory_bytes", {{"module", "app.svc.test"}}), 0);
  EXPECT_EQ(value("orivon_modules", {{"state", "running"}}), 1);
  EXPECT_EQ(value("orivon_module_state",
                  {{"module", "lib.math.test"}, {"kind", "library"}, {"state", "installed"}}),
            1);
  EXPECT_GT(value("process_resident_memory_bytes", {}), 0);

  // The same figures as JSON for the page.
  auto status = nlohmann::json::parse(get("/api/status", token_).body);
  EXPECT_EQ(status["module_count"], 2);
  EXPECT_EQ(status["host"]["calls"], 3);
  EXPECT_EQ(status["modules"][0]["id"], "app.svc.test");
  EXPECT_EQ(status["modules"][0]["calls"], 3);
  EXPECT_THAT(status["modules"][0]["latency_p99"].get<std::string>(), StartsWith("<= "));
}

TEST_F(Dashboard, HostileClientsAreCutOffAndTheHostCarriesOn) {
  // Headers without end: cut off at the request size limit.
  {
    Connection connection(port_);
    ASSERT_TRUE(connection.connected());
    std::string flood = "GET /api/status HTTP/1.1\r\nHost: " + authority() + "\r\n";
    for (int i = 0; i < 4000; ++i) {
      flood += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
    }
    connection.send(flood);  // the host may close before all of it is sent
    EXPECT_THAT(connection.receive_all(), Not(HasSubstr("200 OK")));
  }
  // Garbage.
  EXPECT_NE(request("\x01\x02 nonsense\r\n\r\n").status, 200);
  // Many idle connections: some wait, the rest are refused; once they go,
  // the dashboard answers again.
  {
    std::vector<std::unique_ptr<Connection>> idle;
    for (int i = 0; i < 60; ++i) idle.push_back(std::make_unique<Connection>(port_));
  }
  EXPECT_TRUE(eventually([&] { return get("/api/status", token_).status == 200; }, 60s));
  EXPECT_EQ(cli({"list"}).exit_code, 0);  // the host itself never stopped serving
}

TEST_F(Dashboard, ServiceLogsComeAsJsonText) {
  add_running_service("app.svc.test");
  ASSERT_EQ(cli({"call", "app.svc.test", "say(7)"}).exit_code, 0);
  ASSERT_TRUE(eventually([&] {
    return get("/api/modules/app.svc.test/logs", token_).body.find("hello 7") != std::string::npos;
  }));
  auto logs = nlohmann::json::parse(get("/api/modules/app.svc.test/logs", token_).body);
  ASSERT_TRUE(logs.is_array());
  const auto last = logs.back()["sequence"].get<std::uint64_t>();
  auto newer = nlohmann::json::parse(
      get("/api/modules/app.svc.test/logs?after=" + std::to_string(last), token_).body);
  EXPECT_TRUE(newer.empty());
  EXPECT_EQ(get("/api/modules/app.svc.test/logs?after=x", token_).status, 400);
}

class Top : public StateDirTest {};

TEST_F(Top, ShowsTheModulesSortedAndAsJson) {
  auto no_host = cli({"top", "--once"});
  EXPECT_EQ(no_host.exit_code, 1);
  EXPECT_THAT(no_host.err, HasSubstr("no host is up"));

  auto host = start_host();
  for (const char* id : {"app.quiet.test", "app.busy.test"}) {
    ASSERT_EQ(cli({"add", guest_path("service_probe", "core").string(), "--id", id}).exit_code, 0);
    ASSERT_EQ(cli({"start", id}).exit_code, 0);
  }
  for (int i = 0; i < 3; ++i) ASSERT_EQ(cli({"call", "app.busy.test", "ping()"}).exit_code, 0);

  auto once = cli({"top", "--once", "--sort", "calls"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_THAT(once.out, HasSubstr("modules 2: 2 running"));
  const auto busy = once.out.find("app.busy.test");
  const auto quiet = once.out.find("app.quiet.test");
  ASSERT_NE(busy, std::string::npos) << once.out;
  ASSERT_NE(quiet, std::string::npos) << once.out;
  EXPECT_LT(busy, quiet) << once.out;

  auto limited = cli({"top", "--once", "-n", "1"});
  EXPECT_THAT(limited.out, HasSubstr("app.busy.test"));
  EXPECT_THAT(limited.out, Not(HasSubstr("app.quiet.test")));

  auto json = cli({"top", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto status = nlohmann::json::parse(json.out);
  EXPECT_EQ(status["module_count"], 2);
  EXPECT_EQ(status["host"]["modules_by_state"]["running"], 2);
  std::map<std::string, std::uint64_t> calls;
  for (const auto& module : status["modules"]) calls[module["id"]] = module["calls"];
  EXPECT_EQ(calls["app.busy.test"], 3u);
  EXPECT_EQ(calls["app.quiet.test"], 0u);

  EXPECT_EQ(cli({"top", "--once", "--sort", "size"}).exit_code, 2);
}

TEST(DashboardOption, ABadAddressIsAUsageError) {
  TempDir temp;
  auto result = run_process(
      {orivon_binary().string(), "up", "--state", (temp.path() / "s").string(), "--dashboard",
       "nowhere"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("HOST:PORT"));
}

}  // namespace
}  // namespace orivon::testing
