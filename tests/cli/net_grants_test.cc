// `orivon run --allow-connect/--allow-listen/--net` against real sockets on
// loopback: the test process listens on an ephemeral port, the net_probe
// component connects, listens or sends, and both sides are checked: the
// guest's answer and what the peer saw.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "support/loopback.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// orivon run OPTIONS... --invoke CALL GUEST.component.wasm; the guest's
// answer without the WAVE quotes, or the error output.
std::string run_guest(const std::string& guest, std::vector<std::string> options,
                      const std::string& call) {
  std::vector<std::string> argv = {orivon_binary().string(), "run"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"--invoke", call, guest_path(guest, "component").string()});
  auto result = run_process(argv);
  if (result.exit_code != 0) return "exit " + std::to_string(result.exit_code) + ": " + result.err;
  std::string out = result.out;
  if (out.size() >= 3 && out.front() == '"') out = out.substr(1, out.size() - 3);
  return out;
}

std::string probe(std::vector<std::string> options, const std::string& call) {
  return run_guest("net_probe", std::move(options), call);
}

std::string connect_call(const std::string& address, std::uint16_t port) {
  return "connect-to(\"" + address + "\", " + std::to_string(port) + ")";
}
std::string listen_call(const std::string& address, std::uint16_t port) {
  return "listen-on(\"" + address + "\", " + std::to_string(port) + ")";
}

TEST(CliNetGrants, AllowedConnectReachesThePeer) {
  LoopbackSocket peer(SOCK_STREAM);
  EXPECT_EQ(probe({"--allow-connect", "127.0.0.1:" + peer.port_text()},
                  connect_call("127.0.0.1", peer.port())),
            "connected");
  EXPECT_EQ(peer.connections(), 1);
}

TEST(CliNetGrants, ConnectToAPortNotGrantedIsRefused) {
  LoopbackSocket peer(SOCK_STREAM);
  LoopbackSocket other(SOCK_STREAM);
  EXPECT_THAT(probe({"--allow-connect", "127.0.0.1:" + other.port_text()},
                    connect_call("127.0.0.1", peer.port())),
              HasSubstr("access-denied"));
  EXPECT_EQ(peer.connections(), 0);
}

TEST(CliNetGrants, ConnectToAnAddressNotGrantedIsRefused) {
  LoopbackSocket peer(SOCK_STREAM);
  EXPECT_THAT(probe({"--allow-connect", "127.0.0.2:" + peer.port_text()},
                    connect_call("127.0.0.1", peer.port())),
              HasSubstr("access-denied"));
  // Through an IPv6 socket and the IPv4-mapped address: wasi-sockets itself
  // refuses mapped addresses (invalid-argument); orivon's check would match
  // it as 127.0.0.1 anyway (see NetPolicy.MappedAddressesAreMatchedAsIpv4).
  EXPECT_THAT(probe({"--allow-connect", "127.0.0.2:" + peer.port_text()},
                    connect_call("::ffff:127.0.0.1", peer.port())),
              StartsWith("start-connect: "));
  EXPECT_EQ(peer.connections(), 0);
}

TEST(CliNetGrants, CidrBlocksAndPortRanges) {
  LoopbackSocket peer(SOCK_STREAM);
  const std::string range = std::to_string(peer.port() - 1) + "-" + std::to_string(peer.port() + 1);
  EXPECT_EQ(probe({"--allow-connect", "127.0.0.0/8:" + range},
                  connect_call("127.0.0.1", peer.port())),
            "connected");
  EXPECT_EQ(peer.connections(), 1);
  const std::string below = "1-" + std::to_string(peer.port() - 1);
  EXPECT_THAT(probe({"--allow-connect", "127.0.0.0/8:" + below},
                    connect_call("127.0.0.1", peer.port())),
              HasSubstr("access-denied"));
  EXPECT_THAT(probe({"--allow-connect", "10.0.0.0/8:" + range},
                    connect_call("127.0.0.1", peer.port())),
              HasSubstr("access-denied"));
  EXPECT_EQ(peer.connections(), 0);
}

TEST(CliNetGrants, StarGrantsEveryAddress) {
  LoopbackSocket peer(SOCK_STREAM);
  EXPECT_EQ(probe({"--allow-connect", "*:" + peer.port_text()},
                  connect_call("127.0.0.1", peer.port())),
            "connected");
  EXPECT_EQ(peer.connections(), 1);
}

TEST(CliNetGrants, HostNameRuleAllowsItsAddresses) {
  LoopbackSocket peer(SOCK_STREAM);
  EXPECT_EQ(probe({"--allow-connect", "localhost:" + peer.port_text()},
                  connect_call("127.0.0.1", peer.port())),
            "connected");
  EXPECT_EQ(peer.connections(), 1);
}

TEST(CliNetGrants, NoRulesRefuseEverything) {
  LoopbackSocket peer(SOCK_STREAM);
  EXPECT_THAT(probe({},
                  connect_call("127.0.0.1", peer.port())), HasSubstr("access-denied"));
  EXPECT_THAT(probe({}, listen_call("127.0.0.1", free_port())), HasSubstr("access-denied"));
  EXPECT_EQ(peer.connections(), 0);
}

// The guest only sees access-denied; the person running it is told why.
TEST(CliNetGrants, ARefusalIsNotedOnStderrWithOrWithoutRules) {
  LoopbackSocket peer(SOCK_STREAM);
  LoopbackSocket other(SOCK_STREAM);
  const std::string target = "127.0.0.1:" + peer.port_text();
  auto run = [&](std::vector<std::string> options) {
    std::vector<std::string> argv = {orivon_binary().string(), "run"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--invoke", connect_call("127.0.0.1", peer.port()),
                             guest_path("net_probe", "component").string()});
    return run_process(argv);
  };
  auto none = run({});
  EXPECT_THAT(none.out, HasSubstr("access-denied"));
  // Without any grant even the ephemeral bind before the connect is refused.
  EXPECT_THAT(none.err, HasSubstr("orivon: network: refused tcp "));
  EXPECT_THAT(none.err, HasSubstr(": the module has no net: grant"));
  auto other_port = run({"--allow-connect", "127.0.0.1:" + other.port_text()});
  EXPECT_THAT(other_port.out, HasSubstr("access-denied"));
  EXPECT_THAT(other_port.err,
              HasSubstr("orivon: network: refused tcp connect to " + target +
                        ": no net: grant covers it (see --allow-connect"));
  auto granted = run({"--allow-connect", target});
  EXPECT_THAT(granted.out, HasSubstr("connected"));
  EXPECT_THAT(granted.err, Not(HasSubstr("refused")));
  EXPECT_EQ(peer.connections(), 1);
}

TEST(CliNetGrants, ListenRuleGrantsOnlyItsPort) {
  const std::uint16_t port = free_port();
  const std::string granted = "127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(probe({"--allow-listen", granted}, listen_call("127.0.0.1", port)),
            "listening on " + std::to_string(port));
  const std::uint16_t other = free_port();
  EXPECT_THAT(probe({"--allow-listen", granted}, listen_call("127.0.0.1", other)),
              HasSubstr("bind: access-denied"));
  // Every interface is more than loopback.
  EXPECT_THAT(probe({"--allow-listen", granted}, listen_call("0.0.0.0", port)),
              HasSubstr("bind: access-denied"));
  // A listen rule grants no connect.
  LoopbackSocket peer(SOCK_STREAM);
  EXPECT_THAT(probe({"--allow-listen", "127.0.0.1:" + peer.port_text()},
                    connect_call("127.0.0.1", peer.port())),
              HasSubstr("access-denied"));
  EXPECT_EQ(peer.connections(), 0);
}

TEST(CliNetGrants, ListenPortRangeAndEphemeralPort) {
  const std::uint16_t port = free_port();
  EXPECT_EQ(probe({"--allow-listen", "127.0.0.0/8:1024-65535"}, listen_call("127.0.0.1", port)),
            "listening on " + std::to_string(port));
  // Port 0: the system picks one, which must then be granted to listen on.
  EXPECT_THAT(probe({"--allow-listen", "127.0.0.1:1024-65535"}, listen_call("127.0.0.1", 0)),
              StartsWith("listening on "));
  EXPECT_THAT(probe({"--allow-listen", "127.0.0.1:1-2"}, listen_call("127.0.0.1", 0)),
              HasSubstr("listen: access-denied"));
}

TEST(CliNetGrants, DatagramsFollowConnectRules) {
  LoopbackSocket peer(SOCK_DGRAM);
  const std::string call = "send-datagram(\"127.0.0.1\", " + peer.port_text() + ")";
  EXPECT_EQ(probe({"--allow-connect", "127.0.0.1:" + peer.port_text()}, call), "sent");
  EXPECT_THAT(probe({"--allow-connect", "127.0.0.2:" + peer.port_text()}, call),
              HasSubstr("access-denied"));
  // Loopback delivery is immediate, so both sends are over by now; still,
  // wait for the first rather than assume it (datagrams() drains the socket).
  int received = 0;
  EXPECT_TRUE(orivon::testing::eventually([&] { return (received += peer.datagrams()) >= 1; }));
  EXPECT_EQ(received + peer.datagrams(), 1);
}

TEST(CliNetGrants, NetStillGrantsEverything) {
  LoopbackSocket peer(SOCK_STREAM);
  EXPECT_EQ(probe({"--net"},
                  connect_call("127.0.0.1", peer.port())), "connected");
  EXPECT_EQ(peer.connections(), 1);
  const std::uint16_t port = free_port();
  EXPECT_EQ(probe({"--net"}, listen_call("127.0.0.1", port)),
            "listening on " + std::to_string(port));
}

TEST(CliNetGrants, MalformedRulesAreUsageErrors) {
  const std::string guest = guest_path("net_probe", "component").string();
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--allow-connect", "127.0.0.1"},
           {"--allow-connect", "::1:80"},
           {"--allow-connect", "10.0.0.0/33:80"},
           {"--allow-listen", "127.0.0.1:70000"},
           {"--allow-listen", "127.0.0.1:9-1"},
           {"--allow-connect", "bad_host:80"}}) {
    auto result = run_process({orivon_binary().string(), "run", flag, value, "--invoke",
                               "bind-loopback()", guest});
    EXPECT_EQ(result.exit_code, 2) << value;
    EXPECT_THAT(result.err, HasSubstr(flag)) << value;
    EXPECT_THAT(result.err, HasSubstr("expected HOST:PORT")) << value;
  }
  auto both = run_process({orivon_binary().string(), "run", "--net", "--allow-connect",
                           "127.0.0.1:80", "--invoke", "bind-loopback()", guest});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("--net"));
}

TEST(CliNetGrants, HelpSaysNetIsUnrestricted) {
  auto help = run_process({orivon_binary().string(), "run", "--help"});
  EXPECT_THAT(help.out, HasSubstr("UNRESTRICTED"));
  EXPECT_THAT(help.out, HasSubstr("--allow-connect"));
  EXPECT_THAT(help.out, HasSubstr("--allow-listen"));
}

// ---- Outbound HTTP: orivon run --allow-http ---------------------------------

// orivon run OPTIONS... --invoke 'send(...)' http_probe.component.wasm.
std::string http(std::vector<std::string> options, const std::string& method,
                 const std::string& scheme, const std::string& authority, const std::string& path,
                 const std::string& body = "") {
  return run_guest("http_probe", std::move(options),
                   "send(\"" + method + "\", \"" + scheme + "\", \"" + authority + "\", \"" +
                       path + "\", \"" + body + "\")");
}

TEST(CliHttpGrants, AGrantedOriginIsReachedWithTheRequestAsSent) {
  LoopbackHttpServer server;
  EXPECT_EQ(http({"--allow-http", server.origin()}, "GET", "http", server.authority(), "/a?b=1"),
            "200 GET /a?b=1 ");
  EXPECT_EQ(http({"--allow-http", server.origin()}, "POST", "http", server.authority(), "/p",
                 "payload"),
            "200 POST /p payload");
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.hosts(), (std::vector<std::string>{server.authority(), server.authority()}));
}

TEST(CliHttpGrants, WithoutAGrantNothingLeavesTheHost) {
  LoopbackHttpServer server;
  EXPECT_EQ(http({}, "GET", "http", server.authority(), "/"), "error: HTTP-request-denied (15)");
  // A socket grant for the same address is not an HTTP grant.
  EXPECT_EQ(http({"--allow-connect", server.authority()}, "GET", "http", server.authority(), "/"),
            "error: HTTP-request-denied (15)");
  EXPECT_EQ(server.requests(), 0);
}

TEST(CliHttpGrants, OnlyTheGrantedOriginNotItsNeighbours) {
  LoopbackHttpServer granted;
  LoopbackHttpServer other;
  const std::vector<std::string> grant = {"--allow-http", granted.origin()};
  EXPECT_EQ(http(grant, "GET", "http", other.authority(), "/"), "error: HTTP-request-denied (15)");
  EXPECT_EQ(http(grant, "GET", "https", granted.authority(), "/"),
            "error: HTTP-request-denied (15)");
  // No scheme means HTTPS, which was not granted.
  EXPECT_EQ(http(grant, "GET", "", granted.authority(), "/"), "error: HTTP-request-denied (15)");
  EXPECT_EQ(http(grant, "GET", "http", "localhost:" + std::to_string(granted.port()), "/"),
            "error: HTTP-request-denied (15)");
  EXPECT_EQ(other.requests(), 0);
  EXPECT_EQ(granted.requests(), 0);
  // Several grants: each origin is reachable.
  EXPECT_EQ(http({"--allow-http", granted.origin(), "--allow-http", other.origin()}, "GET", "http",
                 other.authority(), "/x"),
            "200 GET /x ");
  EXPECT_EQ(other.requests(), 1);
}

TEST(CliHttpGrants, MalformedOriginsAreUsageErrors) {
  for (const char* origin : {"127.0.0.1:8080", "ftp://host", "http://host/path", "http://u@host"}) {
    auto result = run_process({orivon_binary().string(), "run", "--allow-http", origin, "--invoke",
                               "send(\"GET\", \"http\", \"host\", \"/\", \"\")",
                               guest_path("http_probe", "component").string()});
    EXPECT_EQ(result.exit_code, 2) << origin;
    EXPECT_THAT(result.err, HasSubstr("--allow-http")) << origin;
    EXPECT_THAT(result.err, HasSubstr("expected http:ORIGIN")) << origin;
  }
}

}  // namespace
}  // namespace orivon::testing
