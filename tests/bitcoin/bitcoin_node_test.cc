// The design's own test: btcd built for GOOS=wasip1 (scripts/build-btcd.sh,
// examples/bitcoin/btcd) runs as the command service `bitcoin.node.orivon`
// and syncs a regtest chain from a real btcd peer, built natively from the
// same sources, on loopback. The node holds only what it needs: a connect
// grant for the peer, a listen grant for its JSON-RPC port (how the test,
// and a facade, reach it while its _start runs), and its data directory.
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
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

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
            "arg:--utxocachemaxsize=16"};
  }

  // What the subscriber counted, and the last event it handled.
  static std::string watcher(const std::string& expression) {
    auto outcome = runtime_->call(id(kWatch), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  static void TearDownTestSuite() {
    delete runtime_;
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
  // Blocks mined on the peer while the node runs reach it.
  ASSERT_FALSE(peer("generate 3").empty());
  ASSERT_TRUE(synced()) << node_log();
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
