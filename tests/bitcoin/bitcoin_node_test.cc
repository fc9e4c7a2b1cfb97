// The design's own test: btcd built for GOOS=wasip1 (scripts/build-btcd.sh,
// examples/bitcoin/btcd) runs as the command service `bitcoin.node.orivon`
// and syncs a regtest chain from a real btcd peer, built natively from the
// same sources, on loopback. The node holds only what it needs: a connect
// grant for the peer, a listen grant for its JSON-RPC port (how the test,
// and a facade, reach it while its _start runs), and its data directory.
//
// `bitcoin.rpc.orivon` (examples/bitcoin/rpc) is the typed facade other
// modules call: orivon:bitcoin/chain, answered from the node's JSON-RPC port,
// which it reaches through a net:connect grant for that one address.
//
// The peer, its RPC client (btcctl), the node and txgen (our traffic maker,
// examples/bitcoin/tools/txgen) come from the set-up (ORIVON_BTCD_DIR);
// nothing here reaches beyond loopback.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orivon/runtime.h"
#include "support/loopback.h"
#include "support/process.h"
#include "support/wait.h"

extern char** environ;

namespace orivon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using orivon::testing::eventually;
using orivon::testing::free_port;
using orivon::testing::BackgroundProcess;
using orivon::testing::LoopbackSocket;
using orivon::testing::orivon_binary;
using orivon::testing::run_process;
using orivon::testing::TempDir;

const std::filesystem::path kBtcd = ORIVON_BTCD_DIR;
constexpr const char* kNode = "bitcoin.node.orivon";
// A subscriber that counts the node's block events (tests/guests/events).
constexpr const char* kWatch = "bitcoin.watch.orivon";
// The typed facade, and a module that calls it (tests/guests/bitcoin_client).
constexpr const char* kRpc = "bitcoin.rpc.orivon";
constexpr const char* kClient = "bitcoin.client.orivon";
// Facades pointed at what a node must not be: a listener that never answers,
// an HTTP server that answers anything but JSON-RPC, and the real node
// without a net:connect grant for it.
constexpr const char* kRpcHung = "bitcoin.rpc-hung.orivon";
constexpr const char* kRpcGarbage = "bitcoin.rpc-garbage.orivon";
constexpr const char* kRpcUngranted = "bitcoin.rpc-ungranted.orivon";
// A facade with 50 ms for a query: too little to count a busy address.
constexpr const char* kRpcHurried = "bitcoin.rpc-hurried.orivon";
// The chain the node syncs: txgen mines to this height on the peer, with
// at least this many transactions besides coinbases (P2PKH and P2WPKH
// spends, chains of spends).
constexpr int kChainHeight = 1000;
constexpr int kChainTransactions = 1000;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

// A child process running in the background until destroyed (SIGTERM, then
// waited for), its output in a file.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& output) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The bytes of a WAVE list<u8> inside `text` ("ok([0, 255, ...])") as hex.
std::string wave_bytes_to_hex(const std::string& text) {
  static const char kDigits[] = "0123456789abcdef";
  const auto open = text.find('[');
  const auto close = text.find(']', open);
  if (open == std::string::npos || close == std::string::npos) return "not a list: " + text;
  std::istringstream numbers(text.substr(open + 1, close - open - 1));
  std::string hex;
  for (std::string number; std::getline(numbers, number, ',');) {
    const int byte = std::stoi(number);
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 15];
  }
  return hex;
}

// Hex as a WAVE list<u8>: "[118, 169, ...]".
std::string hex_to_wave_bytes(const std::string& hex) {
  std::string list = "[";
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (i > 0) list += ", ";
    list += std::to_string(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return list + "]";
}

// A btcd `gettxout` answer as the facade's get-utxo result.
std::string expected_utxo(const std::string& answer) {
  if (answer.empty() || answer == "null") return "ok(none)";
  const auto output = nlohmann::json::parse(answer);
  const auto satoshis = std::llround(output["value"].get<double>() * 1e8);
  return "ok(some({value: " + std::to_string(satoshis) +
         ", script: " + hex_to_wave_bytes(output["scriptPubKey"]["hex"].get<std::string>()) +
         ", confirmations: " + std::to_string(output["confirmations"].get<long>()) +
         ", coinbase: " + (output["coinbase"].get<bool>() ? "true" : "false") + "}))";
}

class BitcoinNode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new TempDir();
    unspent_ = new std::vector<std::string>();
    peer_port_ = free_port();
    peer_rpc_port_ = free_port();
    node_rpc_port_ = free_port();
    stranger_ = new LoopbackSocket(SOCK_STREAM);
    std::filesystem::create_directories(temp_->path() / "node");
    // The peer mines to txgen's key, so txgen can spend the coinbases.
    const std::string mining_address = trim(run_process({txgen(), "address"}).out);
    ASSERT_FALSE(mining_address.empty());

    peer_ = new Child({(kBtcd / "bin" / "btcd").string(), "--regtest",
                       "--datadir=" + (temp_->path() / "peer").string(),
                       "--logdir=" + (temp_->path() / "peer-logs").string(),
                       "--configfile=" + (temp_->path() / "none.conf").string(),
                       "--listen=127.0.0.1:" + std::to_string(peer_port_),
                       "--rpclisten=127.0.0.1:" + std::to_string(peer_rpc_port_),
                       "--rpcuser=orivon", "--rpcpass=orivon", "--notls",
                       "--miningaddr=" + mining_address},
                      temp_->path() / "peer.out");
    ASSERT_TRUE(peer_->started());
    ASSERT_TRUE(eventually([] { return !peer_tip().empty(); }, 60s)) << "the peer did not start";
    auto grown = run_process(
        {txgen(), "grow", "-rpcserver=127.0.0.1:" + std::to_string(peer_rpc_port_),
         "-height=" + std::to_string(kChainHeight), "-txs=" + std::to_string(kChainTransactions)},
        {}, 300s);
    ASSERT_EQ(grown.exit_code, 0) << grown.err;
    std::istringstream outputs(grown.out);
    for (std::string txid, vout; outputs >> txid >> vout;) unspent_->push_back(txid + " " + vout);
    ASSERT_FALSE(unspent_->empty());

    RuntimeOptions options;
    options.state_dir = temp_->path() / "state";
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = runtime->release();

    AddOptions add;
    add.id = id(kNode);
    auto added = runtime_->add_module_file(kBtcd / "btcd.wasm", add);
    ASSERT_TRUE(added) << added.error().to_string();
    std::vector<std::string> grants = node_grants(temp_->path() / "node", node_rpc_port_);
    // A second peer, one the node has no grant for; failed connects are
    // logged at debug level.
    grants.push_back("arg:--connect=127.0.0.1:" + std::to_string(stranger_->port()));
    grants.push_back("arg:--debuglevel=CMGR=debug");
    grants.push_back("topic:bitcoin.block.connected:publish");
    grants.push_back("topic:bitcoin.tx.accepted:publish");
    for (const std::string& grant : grants) {
      auto allowed = runtime_->allow_grant(id(kNode), grant);
      ASSERT_TRUE(allowed) << grant << ": " << allowed.error().to_string();
    }
    ServiceSettings settings;
    settings.max_memory_bytes = 256ull << 20;
    settings.stop_grace = 60s;  // btcd flushes its UTXO cache on the way out
    settings.restart.policy = RestartPolicy::OnFailure;
    runtime_->set_service_settings(id(kNode), settings);

    // The subscriber holds nothing but `subscribe` on the block topic.
    AddOptions watch;
    watch.id = id(kWatch);
    auto watcher = runtime_->add_module_file(orivon::testing::guest_path("events_probe", "component"),
                                             watch);
    ASSERT_TRUE(watcher) << watcher.error().to_string();
    ASSERT_TRUE(runtime_->allow_grant(id(kWatch), "topic:bitcoin.block.connected:subscribe"));
    auto subscribed = runtime_->subscribe_module(id(kWatch), "bitcoin.block.connected",
                                                 EventDurability::Ephemeral);
    ASSERT_TRUE(subscribed) << subscribed.error().to_string();
    auto watching = runtime_->start_service(id(kWatch));
    ASSERT_TRUE(watching) << watching.error().to_string();

    // The facade: the node's RPC address and login, and a connect grant for
    // that address only. Its hostile twins get other addresses.
    hung_ = new LoopbackSocket(SOCK_STREAM);
    garbage_ = new orivon::testing::LoopbackHttpServer();
    const std::string node_rpc = "127.0.0.1:" + std::to_string(node_rpc_port_);
    const std::string hung = "127.0.0.1:" + hung_->port_text();
    const std::vector<std::pair<const char*, std::vector<std::string>>> facades = {
        {kRpc, {"net:connect:" + node_rpc, "env:BITCOIN_RPC=" + node_rpc}},
        {kRpcHung,
         {"net:connect:" + hung, "env:BITCOIN_RPC=" + hung, "env:BITCOIN_RPC_TIMEOUT_MS=500"}},
        {kRpcGarbage,
         {"net:connect:" + garbage_->authority(), "env:BITCOIN_RPC=" + garbage_->authority()}},
        {kRpcUngranted, {"env:BITCOIN_RPC=" + node_rpc}},
        {kRpcHurried,
         {"net:connect:" + node_rpc, "env:BITCOIN_RPC=" + node_rpc,
          "env:BITCOIN_RPC_TIMEOUT_MS=50"}},
    };
    for (const auto& [facade, grants] : facades) {
      AddOptions options;
      options.id = id(facade);
      auto facade_added = runtime_->add_module_file(
          orivon::testing::guest_path("bitcoin_rpc", "component"), options);
      ASSERT_TRUE(facade_added) << facade_added.error().to_string();
      std::vector<std::string> all = grants;
      all.push_back("env:BITCOIN_RPC_USER=orivon");
      all.push_back("env:BITCOIN_RPC_PASS=orivon");
      for (const std::string& grant : all) {
        auto allowed = runtime_->allow_grant(id(facade), grant);
        ASSERT_TRUE(allowed) << grant << ": " << allowed.error().to_string();
      }
      auto facade_started = runtime_->start_service(id(facade));
      ASSERT_TRUE(facade_started) << facade_started.error().to_string();
    }
    AddOptions client;
    client.id = id(kClient);
    auto client_added = runtime_->add_module_file(
        orivon::testing::guest_path("bitcoin_client", "component"), client);
    ASSERT_TRUE(client_added) << client_added.error().to_string();
    auto client_started = runtime_->start_service(id(kClient));
    ASSERT_TRUE(client_started) << client_started.error().to_string();
  }

  // What a node needs: its data directory, the peer, its RPC port, and
  // btcd's arguments to match.
  static std::vector<std::string> node_grants(const std::filesystem::path& data,
                                              std::uint16_t rpc_port) {
    return {"fs:" + data.string() + "=/data:rw",
            "net:connect:127.0.0.1:" + std::to_string(peer_port_),
            "net:listen:127.0.0.1:" + std::to_string(rpc_port),
            "arg:--regtest",
            "arg:--connect=127.0.0.1:" + std::to_string(peer_port_),
            "arg:--datadir=/data/btcd",
            "arg:--logdir=/data/logs",
            "arg:--configfile=/data/btcd.conf",
            "arg:--rpclisten=127.0.0.1:" + std::to_string(rpc_port),
            "arg:--rpcuser=orivon",
            "arg:--rpcpass=orivon",
            "arg:--notls",
            "arg:--utxocachemaxsize=16",
            // The address index (it needs the transaction index) answers
            // the facade's balance.
            "arg:--txindex",
            "arg:--addrindex"};
  }

  // What the subscriber counted, and the last event it handled.
  static std::string watcher(const std::string& expression) {
    auto outcome = runtime_->call(id(kWatch), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  // A call through the API, as text: "ok(...)", "err(...)" or "error: ...".
  static std::string call(const char* module, const std::string& expression) {
    auto outcome = runtime_->call(id(module), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }
  static std::string facade(const std::string& expression) { return call(kRpc, expression); }

  static void TearDownTestSuite() {
    delete runtime_;
    delete hung_;
    delete garbage_;
    delete peer_;
    delete stranger_;
    delete temp_;
    delete unspent_;
  }

  static std::string txgen() { return (kBtcd / "bin" / "txgen").string(); }

  // btcctl against a btcd's RPC port: its output, empty on failure.
  static std::string btcctl(std::uint16_t port, const std::string& command) {
    std::vector<std::string> argv = {(kBtcd / "bin" / "btcctl").string(), "--regtest",
                                     "--configfile=" + (temp_->path() / "none.conf").string(),
                                     "--rpcserver=127.0.0.1:" + std::to_string(port),
                                     "--rpcuser=orivon", "--rpcpass=orivon", "--notls"};
    std::istringstream words(command);
    for (std::string word; words >> word;) argv.push_back(word);
    auto result = run_process(argv, {{"HOME", temp_->path().string()}}, 60s);
    return result.exit_code == 0 ? trim(result.out) : std::string();
  }
  static std::string peer(const std::string& command) { return btcctl(peer_rpc_port_, command); }
  static std::string node(const std::string& command) { return btcctl(node_rpc_port_, command); }
  static std::string peer_tip() { return peer("getbestblockhash"); }
  static std::string node_tip() { return node("getbestblockhash"); }

  // Waits until the node's tip is the peer's (generous: a loaded machine
  // compiling in parallel is slow; it costs time only when failing).
  static bool synced() {
    return eventually(
        [] {
          const std::string tip = node_tip();
          return !tip.empty() && tip == peer_tip();
        },
        180s);
  }

  static std::string node_log() {
    return read_file(temp_->path() / "node" / "logs" / "regtest" / "btcd.log");
  }

  // `orivon up` on a state directory, serving.
  static std::unique_ptr<BackgroundProcess> start_host(const std::filesystem::path& state) {
    auto host = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{orivon_binary().string(), "up", "--state", state.string()});
    EXPECT_TRUE(host->wait_for_output("orivon host up", 120s)) << host->output();
    return host;
  }

  static inline TempDir* temp_ = nullptr;
  // Outputs txgen left unspent ("txid vout"), in the order it made them.
  static inline std::vector<std::string>* unspent_ = nullptr;
  static inline Child* peer_ = nullptr;
  static inline LoopbackSocket* stranger_ = nullptr;
  static inline LoopbackSocket* hung_ = nullptr;
  static inline orivon::testing::LoopbackHttpServer* garbage_ = nullptr;
  static inline Runtime* runtime_ = nullptr;
  static inline std::uint16_t peer_port_ = 0;
  static inline std::uint16_t peer_rpc_port_ = 0;
  static inline std::uint16_t node_rpc_port_ = 0;
};

TEST_F(BitcoinNode, SyncsThePeersChainAndFollowsItsNewBlocks) {
  auto started = runtime_->start_service(id(kNode));
  ASSERT_TRUE(started) << started.error().to_string();
  ASSERT_TRUE(synced()) << "node " << node_tip() << ", peer " << peer_tip() << "\n" << node_log();
  EXPECT_EQ(node("getblockcount"), std::to_string(kChainHeight));
  // Blocks mined on the peer while the node runs reach it. How long that
  // took is reported, not asserted (a loaded machine is slow; the figure
  // goes into the bench notes).
  const auto mined = std::chrono::steady_clock::now();
  ASSERT_FALSE(peer("generate 3").empty());
  ASSERT_TRUE(synced()) << node_log();
  const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - mined)
                           .count();
  RecordProperty("new_blocks_reached_node_ms", std::to_string(took_ms));
  std::printf("3 blocks mined on the peer reached the node in %lld ms\n",
              static_cast<long long>(took_ms));
  EXPECT_EQ(node("getblockcount"), std::to_string(kChainHeight + 3));
  EXPECT_EQ(node("getblockhash 150"), peer("getblockhash 150"));
  EXPECT_EQ(runtime_->service_metrics(id(kNode)).state, ModuleState::Running);
  // Every block the node connected reached the subscriber as an event, the
  // last one naming the tip.
  const std::string tip_height = std::to_string(kChainHeight + 3);
  EXPECT_TRUE(eventually([&] { return watcher("received()") == tip_height; }))
      << watcher("received()");
  EXPECT_THAT(watcher("last()"),
              HasSubstr("bitcoin.block.connected|{\\\"height\\\":" + tip_height));
  EXPECT_THAT(watcher("last()"), HasSubstr(peer_tip()));
}

TEST_F(BitcoinNode, AnswersForUnspentOutputsMatchThePeers) {
  ASSERT_TRUE(synced());
  // The node validated every spend itself; its UTXO set must agree with the
  // peer's, output by output: value, script, confirmations, coinbase flag.
  int compared = 0;
  for (std::size_t i = 0; i < unspent_->size(); i += unspent_->size() / 10 + 1) {
    const std::string query = "gettxout " + (*unspent_)[i];
    const std::string answer = node(query);
    EXPECT_THAT(answer, HasSubstr("\"value\"")) << query;
    EXPECT_EQ(answer, peer(query)) << query;
    ++compared;
  }
  EXPECT_GE(compared, 10);
}

TEST_F(BitcoinNode, RejectsABlockWithATamperedSignatureAndTheValidChainWins) {
  ASSERT_TRUE(synced());
  const std::string tip = node_tip();
  const int height = std::stoi(node("getblockcount"));
  // txgen builds a block on the node's tip spending a mature coinbase with
  // one signature byte flipped (merkle root and proof of work valid) and
  // submits it to the node, not the peer.
  auto tampered =
      run_process({txgen(), "tamper", "-rpcserver=127.0.0.1:" + std::to_string(node_rpc_port_)});
  ASSERT_EQ(tampered.exit_code, 0) << tampered.out << tampered.err;
  EXPECT_THAT(tampered.out, HasSubstr("rejected: failed to validate input"));
  EXPECT_THAT(tampered.out, HasSubstr("false stack entry at end of script execution"));
  EXPECT_EQ(node_tip(), tip);
  // The peer's chain goes on, and the node follows it.
  ASSERT_FALSE(peer("generate 2").empty());
  ASSERT_TRUE(synced()) << node_log();
  EXPECT_EQ(node("getblockcount"), std::to_string(height + 2));
  EXPECT_EQ(runtime_->service_metrics(id(kNode)).state, ModuleState::Running);
}

TEST_F(BitcoinNode, ConnectsToAnyoneButTheGrantedPeerAreRefused) {
  auto started = runtime_->start_service(id(kNode));  // running already: fine
  ASSERT_TRUE(started) << started.error().to_string();
  // btcd tried its second --connect address (it retries it); orivon refused
  // each try before the network: nothing reached that listener.
  const std::string refused =
      "127.0.0.1:" + std::to_string(stranger_->port()) + ": Permission denied";  // EACCES
  EXPECT_TRUE(eventually([&] { return node_log().find(refused) != std::string::npos; }))
      << node_log();
  EXPECT_EQ(stranger_->connections(), 0);
}

TEST_F(BitcoinNode, TheFacadeAnswersWhatThePeerSays) {
  ASSERT_TRUE(synced());
  const std::string tip = peer_tip();
  EXPECT_EQ(facade("get-tip()"), "ok({height: " + peer("getblockcount") + ", hash: \"" + tip + "\"})");
  EXPECT_EQ(facade("get-block-hash(150)"), "ok(\"" + peer("getblockhash 150") + "\")");
  // Blocks, byte for byte: the tip, and the first block with txgen's spends
  // in it (P2PKH, and P2WPKH with witnesses from height 440 on).
  std::vector<std::string> blocks = {tip};
  for (int height = 100; height <= kChainHeight && blocks.size() < 3; height += 7) {
    const std::string hash = peer("getblockhash " + std::to_string(height));
    const auto block = nlohmann::json::parse(peer("getblock " + hash));
    if (block["tx"].size() > 1 && (blocks.size() == 1 || height > 440)) blocks.push_back(hash);
  }
  ASSERT_EQ(blocks.size(), 3u);
  for (const std::string& hash : blocks) {
    const std::string block = facade("get-block(\"" + hash + "\")");
    ASSERT_THAT(block, ::testing::StartsWith("ok([")) << hash;
    EXPECT_EQ(wave_bytes_to_hex(block), peer("getblock " + hash + " 0")) << hash;
  }
  // Outputs txgen left unspent, and one it spent (the first coinbase).
  std::vector<std::string> outpoints;
  for (std::size_t i = 0; i < unspent_->size(); i += unspent_->size() / 8 + 1) {
    outpoints.push_back((*unspent_)[i]);
  }
  const auto first = nlohmann::json::parse(peer("getblock " + peer("getblockhash 1")));
  outpoints.push_back(first["tx"][0].get<std::string>() + " 0");
  int some = 0;
  for (const std::string& outpoint : outpoints) {
    std::istringstream words(outpoint);
    std::string txid, vout;
    words >> txid >> vout;
    const std::string expected = expected_utxo(peer("gettxout " + txid + " " + vout));
    EXPECT_EQ(facade("get-utxo(\"" + txid + "\", " + vout + ")"), expected) << outpoint;
    some += expected != "ok(none)";
  }
  EXPECT_GE(some, 8);
  // Balances from the node's address index, against txgen's count of the
  // peer's chain, block by block from genesis.
  for (const bool witness : {false, true}) {
    std::vector<std::string> argv = {txgen(), "address"};
    if (witness) argv.push_back("-witness");
    const std::string address = trim(run_process(argv).out);
    const auto counted =
        run_process({txgen(), "balance", "-rpcserver=127.0.0.1:" + std::to_string(peer_rpc_port_),
                     "-address=" + address},
                    {}, 120s);
    ASSERT_EQ(counted.exit_code, 0) << counted.err;
    ASSERT_NE(trim(counted.out), "0") << address;
    EXPECT_EQ(facade("balance(\"" + address + "\")"), "ok(" + trim(counted.out) + ")") << address;
  }
  // Through a module: refused without a call grant (it never reaches the
  // facade), answered with one.
  EXPECT_THAT(call(kClient, "tip-through-facade()"),
              HasSubstr("may not call orivon:bitcoin/chain@1.0.0#get-tip"));
  EXPECT_THAT(call(kClient, "tip-through-facade()"), HasSubstr("no grant"));
  ASSERT_TRUE(runtime_->grant_calls(id(kClient), id(kRpc), {"get-tip"}));
  EXPECT_EQ(call(kClient, "tip-through-facade()"),
            "ok(\"" + peer("getblockcount") + " " + tip + "\")");
  ASSERT_TRUE(runtime_->revoke_calls(id(kClient), id(kRpc)));
  EXPECT_THAT(call(kClient, "tip-through-facade()"), HasSubstr("no grant"));
}

TEST_F(BitcoinNode, TheFacadeAnswersBadQueriesAndBadNodesWithErrors) {
  ASSERT_TRUE(synced());
  EXPECT_THAT(facade("get-block-hash(4000000000)"), HasSubstr("err(\"node: Block number out of range"));
  EXPECT_THAT(facade("get-block(\"" + std::string(64, '0') + "\")"), HasSubstr("err(\"node: Block not found"));
  EXPECT_THAT(facade("get-block(\"not-a-hash\")"), HasSubstr("err(\"malformed block hash"));
  EXPECT_THAT(facade("get-utxo(\"" + std::string(63, 'a') + "g\", 0)"), HasSubstr("err(\"malformed txid"));
  EXPECT_THAT(facade("balance(\"\\\", \\\"x\")"), HasSubstr("err(\"malformed address"));
  EXPECT_THAT(facade("balance(\"mzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\")"), HasSubstr("err(\"node: Invalid address"));
  EXPECT_THAT(facade("send-raw-transaction([1, 2, 3])"), HasSubstr("err(\"node: TX decode failed"));
  EXPECT_THAT(facade("send-raw-transaction([])"), HasSubstr("err(\"a transaction of 0 bytes"));
  // A node that accepts and never answers, one that answers but not JSON-RPC,
  // and the node without a grant to reach it.
  EXPECT_THAT(call(kRpcHung, "get-tip()"), HasSubstr("err(\"node RPC: no complete answer within 500 ms"));
  EXPECT_THAT(call(kRpcGarbage, "get-tip()"), HasSubstr("err(\"node RPC: HTTP 200 and no JSON answer"));
  EXPECT_GE(garbage_->requests(), 1);
  EXPECT_THAT(call(kRpcUngranted, "get-tip()"), HasSubstr("access denied"));
  // A query's time covers all its requests: txgen's P2PKH address has over
  // 2,000 transactions, more than 50 ms of pages (the first page or a later
  // one runs out, depending on the machine's load).
  const std::string busy = trim(run_process({txgen(), "address"}).out);
  const std::string hurried = call(kRpcHurried, "balance(\"" + busy + "\")");
  EXPECT_THAT(hurried, ::testing::StartsWith("err("));
  EXPECT_THAT(hurried, HasSubstr("within 50 ms"));
  for (const char* module : {kRpc, kRpcHung, kRpcGarbage, kRpcUngranted, kRpcHurried}) {
    EXPECT_EQ(runtime_->service_metrics(id(module)).state, ModuleState::Running) << module;
    EXPECT_EQ(runtime_->service_metrics(id(module)).traps, 0u) << module;
  }
}

TEST_F(BitcoinNode, ATransactionSentThroughTheFacadeReachesTheNodeAndThePeer) {
  ASSERT_TRUE(synced());
  // txgen signs a spend of a mature coinbase and does not send it.
  const auto signed_tx =
      run_process({txgen(), "spend", "-rpcserver=127.0.0.1:" + std::to_string(peer_rpc_port_)});
  ASSERT_EQ(signed_tx.exit_code, 0) << signed_tx.err;
  std::istringstream words(signed_tx.out);
  std::string txid, hex;
  words >> txid >> hex;
  ASSERT_EQ(txid.size(), 64u) << signed_tx.out;
  EXPECT_EQ(facade("send-raw-transaction(" + hex_to_wave_bytes(hex) + ")"), "ok(\"" + txid + "\")");
  // In the node's mempool: its output is unspent with no confirmation yet.
  EXPECT_THAT(facade("get-utxo(\"" + txid + "\", 0)"), HasSubstr("confirmations: 0"));
  // The node relayed it to the peer; once mined, the node confirms it.
  ASSERT_TRUE(eventually([&] { return peer("getrawmempool").find(txid) != std::string::npos; }, 30s));
  ASSERT_FALSE(peer("generate 1").empty());
  ASSERT_TRUE(synced());
  EXPECT_THAT(facade("get-utxo(\"" + txid + "\", 0)"), HasSubstr("confirmations: 1"));
  // Sent again, the node says why not.
  EXPECT_THAT(facade("send-raw-transaction(" + hex_to_wave_bytes(hex) + ")"), HasSubstr("err(\"node: "));
}

TEST_F(BitcoinNode, AStopFlushesAndARestartResumesFromTheStoredHeight) {
  auto running = runtime_->start_service(id(kNode));  // running already: fine
  ASSERT_TRUE(running) << running.error().to_string();
  ASSERT_TRUE(synced());
  const std::string height = node("getblockcount");
  auto stopped = runtime_->stop_service(id(kNode));
  ASSERT_TRUE(stopped) << stopped.error().to_string();
  EXPECT_EQ(runtime_->service_metrics(id(kNode)).traps, 0u);
  // btcd heard the request through orivon:lifecycle and shut down its own way.
  EXPECT_THAT(node_log(), HasSubstr("Shutdown complete"));
  ASSERT_FALSE(peer("generate 5").empty());
  auto started = runtime_->start_service(id(kNode));
  ASSERT_TRUE(started) << started.error().to_string();
  ASSERT_TRUE(synced()) << node_log();
  EXPECT_THAT(node_log(), HasSubstr("Chain state (height " + height));
  EXPECT_EQ(node("getblockcount"), std::to_string(std::stoi(height) + 5));
}

// `orivon up` as a process of its own, killed with SIGKILL while the node
// syncs: nothing is flushed on the way out. Started again, the host starts
// the node again (it was running), and btcd resumes from the height its
// database last stored, losing only the unflushed tail.
//
// btcd keeps its chain metadata in a write cache that reaches the database
// every 5 minutes, or on a graceful stop: a node killed within 5 minutes of
// its start begins from zero again, natively as under orivon. So the stored
// height is where the API's runtime, closed first, stopped the node; then
// the node syncs 1,000 more blocks under `orivon up` and is killed on the
// way. Last in the suite: it closes the runtime the tests above share.
TEST_F(BitcoinNode, AfterASigkillMidSyncTheNodeResumesFromItsStoredHeight) {
  ASSERT_TRUE(synced());
  const int stored = std::stoi(node("getblockcount"));
  delete runtime_;  // stops the node and the subscriber gracefully
  runtime_ = nullptr;
  const std::string flushed = node_log();
  ASSERT_THAT(flushed.substr(flushed.rfind("Chain state")), HasSubstr("Shutdown complete"));
  auto height = [] {
    const std::string count = node("getblockcount");
    return count.empty() ? -1 : std::stoi(count);
  };

  // The same state directory: the node, its grants, its compiled code.
  const std::filesystem::path state = temp_->path() / "state";
  int killed_at = -1;
  {
    auto host = start_host(state);
    ASSERT_TRUE(synced()) << host->output() << node_log();
    ASSERT_FALSE(peer("generate 1000").empty());
    ASSERT_TRUE(eventually([&] { return (killed_at = height()) >= stored + 250; }, 180s))
        << host->output() << node_log();
    host->send_signal(SIGKILL);
    host->wait(30s);
  }
  const int peer_height = std::stoi(peer("getblockcount"));
  ASSERT_LT(killed_at, peer_height) << "synced before the kill: nothing to resume";

  auto host = start_host(state);
  ASSERT_TRUE(synced()) << host->output() << node_log();
  EXPECT_EQ(height(), peer_height);
  // Each start logs "Chain state (height N, ...)": where it began.
  const std::string log = node_log();
  const std::regex chain_state(R"(Chain state \(height (\d+))");
  std::vector<int> heights;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), chain_state);
       it != std::sregex_iterator(); ++it) {
    heights.push_back(std::stoi((*it)[1]));
  }
  ASSERT_GE(heights.size(), 2u) << log;
  EXPECT_EQ(heights[heights.size() - 2], stored);
  const int resumed = heights.back();
  EXPECT_GE(resumed, stored) << "resynced from below the stored height\n" << log;
  EXPECT_LE(resumed, killed_at);
  std::cout << "stored height " << stored << ", killed at " << killed_at << ", resumed from "
            << resumed << ", peer at " << peer_height << "\n";
}

}  // namespace
}  // namespace orivon
