#include "cluster/nats_link.h"

#include <chrono>
#include <string>
#include <utility>

#include "core/file_util.h"

namespace orivon::cluster {

namespace {

// Owns a natsOptions until the connection copied it.
struct OptionsDeleter {
  void operator()(natsOptions* options) const { natsOptions_Destroy(options); }
};

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// Credentials files are small; a larger one is not one.
constexpr std::uint64_t kMaxCredentialsBytes = 64 << 10;

Result<void> apply_credentials(natsOptions* options, const std::filesystem::path& file) {
  auto bytes = read_file(file, kMaxCredentialsBytes);
  if (!bytes) {
    return Error(ErrorCode::InvalidArgument,
                 "cannot read the NATS credentials file: " + bytes.error().message());
  }
  std::string text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (text.find("-----BEGIN NATS USER JWT-----") != std::string::npos) {
    const std::string path = file.string();
    const natsStatus status = natsOptions_SetUserCredentialsFromFiles(options, path.c_str(), nullptr);
    if (status != NATS_OK) return nats_error(status, "using the NATS credentials file");
    return ok();
  }
  const std::string line = trim(text.substr(0, text.find('\n')));
  if (line.empty()) {
    return Error(ErrorCode::InvalidArgument,
                 "the NATS credentials file " + file.string() +
                     " is empty: give a .creds file, a line `user:password` or a token");
  }
  const auto colon = line.find(':');
  const natsStatus status =
      colon == std::string::npos
          ? natsOptions_SetToken(options, line.c_str())
          : natsOptions_SetUserInfo(options, line.substr(0, colon).c_str(),
                                    line.substr(colon + 1).c_str());
  if (status != NATS_OK) return nats_error(status, "using the NATS credentials");
  return ok();
}

}  // namespace

Error nats_error(natsStatus status, std::string_view what) {
  std::string text = std::string(what) + ": " + natsStatus_GetText(status);
  // The thread's last error often says more (the server's reason).
  natsStatus last = NATS_OK;
  if (const char* detail = nats_GetLastError(&last); detail != nullptr && *detail != '\0' &&
                                                      std::string_view(detail) != natsStatus_GetText(status)) {
    text += " (" + std::string(detail) + ")";
  }
  const ErrorCode code = status == NATS_TIMEOUT || status == NATS_NO_SERVER ||
                                 status == NATS_CONNECTION_CLOSED ||
                                 status == NATS_CONNECTION_DISCONNECTED ||
                                 status == NATS_NOT_YET_CONNECTED
                             ? ErrorCode::Unavailable
                             : ErrorCode::Internal;
  return Error(code, std::move(text));
}

Result<void> check_subject_prefix(std::string_view prefix) {
  std::size_t token = 0;
  for (std::size_t i = 0; i <= prefix.size(); ++i) {
    if (i == prefix.size() || prefix[i] == '.') {
      if (token == 0) break;
      token = 0;
      if (i == prefix.size()) return ok();
      continue;
    }
    if (!is_token_char(prefix[i])) break;
    ++token;
  }
  return Error(ErrorCode::InvalidArgument,
               "the NATS subject prefix '" + std::string(prefix) +
                   "' is not dot-separated tokens of letters, digits, '_' and '-'");
}

std::string_view NatsLink::state_name(State state) {
  switch (state) {
    case State::Connected: return "connected";
    case State::Down: return "down";
    case State::Closed: return "closed";
  }
  return "down";
}

NatsLink::NatsLink(ClusterOptions options, std::string host)
    : options_(std::move(options)), host_(std::move(host)) {}

Result<std::unique_ptr<NatsLink>> NatsLink::open(const ClusterOptions& options, std::string host) {
  ORIVON_RETURN_IF_ERROR(check_subject_prefix(options.subject_prefix));
  if (options.nats_url.empty()) {
    return Error(ErrorCode::InvalidArgument, "no NATS server URL given");
  }
  std::unique_ptr<NatsLink> link(new NatsLink(options, std::move(host)));
  natsOptions* raw = nullptr;
  if (natsStatus status = natsOptions_Create(&raw); status != NATS_OK) {
    return nats_error(status, "preparing the NATS connection");
  }
  std::unique_ptr<natsOptions, OptionsDeleter> nats_options(raw);
  NatsLink* self = link.get();
  const std::string name = "orivon host " + link->host_;
  // Loss of the server is noticed within a few seconds (pings every 2 s,
  // two unanswered); reconnection is tried every 250 ms, forever.
  natsStatus status = natsOptions_SetURL(raw, options.nats_url.c_str());
  if (status == NATS_OK) status = natsOptions_SetName(raw, name.c_str());
  if (status == NATS_OK) status = natsOptions_SetTimeout(raw, 2000);
  // Every message goes out at once: otherwise it waits in libnats's buffer
  // for a flusher thread, about a millisecond per event between hosts.
  if (status == NATS_OK) status = natsOptions_SetSendAsap(raw, true);
  if (status == NATS_OK) status = natsOptions_SetPingInterval(raw, 2000);
  if (status == NATS_OK) status = natsOptions_SetMaxPingsOut(raw, 2);
  if (status == NATS_OK) status = natsOptions_SetAllowReconnect(raw, true);
  if (status == NATS_OK) status = natsOptions_SetMaxReconnect(raw, -1);
  if (status == NATS_OK) status = natsOptions_SetReconnectWait(raw, 250);
  if (status == NATS_OK) status = natsOptions_SetReconnectedCB(raw, connected_cb, self);
  if (status == NATS_OK) status = natsOptions_SetDisconnectedCB(raw, disconnected_cb, self);
  if (status == NATS_OK) status = natsOptions_SetClosedCB(raw, closed_cb, self);
  if (status == NATS_OK) status = natsOptions_SetErrorHandler(raw, error_cb, self);
  if (status != NATS_OK) {
    return nats_error(status, "the NATS URL '" + options.nats_url + "' cannot be used");
  }
  if (!options.credentials_file.empty()) {
    ORIVON_RETURN_IF_ERROR(apply_credentials(raw, options.credentials_file));
  }
  // A server that answers and refuses (bad credentials, a bad URL) is an
  // error now; one that does not answer is waited for in the background.
  status = natsConnection_Connect(&link->connection_, raw);
  if (status == NATS_NO_SERVER || status == NATS_TIMEOUT) {
    status = natsOptions_SetRetryOnFailedConnect(raw, true, connected_cb, self);
    if (status == NATS_OK) status = natsConnection_Connect(&link->connection_, raw);
  }
  if (status != NATS_OK && status != NATS_NOT_YET_CONNECTED) {
    return nats_error(status, "connecting to NATS at " + options.nats_url);
  }
  if (status == NATS_NOT_YET_CONNECTED) {
    link->set_error("not connected yet: no server answers at " + options.nats_url);
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = 5000;  // a JetStream request's reply, milliseconds
  status = natsConnection_JetStream(&link->jetstream_, link->connection_, &js_options);
  if (status != NATS_OK) return nats_error(status, "opening JetStream");
  if (natsConnection_Status(link->connection_) == NATS_CONN_STATUS_CONNECTED) link->connected();
  return link;
}

NatsLink::~NatsLink() {
  state_.store(State::Closed, std::memory_order_release);
  if (jetstream_ != nullptr) jsCtx_Destroy(jetstream_);
  if (connection_ != nullptr) {
    natsConnection_Close(connection_);
    // libnats calls the disconnected and closed callbacks on its own thread
    // after Close returns, with this object as their closure: wait for the
    // closed one, the last (bounded, should libnats never call it).
    {
      MutexLock lock(mutex_);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!closed_ && closed_changed_.wait_until(mutex_, deadline)) {
      }
    }
    natsConnection_Destroy(connection_);
  }
}

std::string NatsLink::last_error() const {
  MutexLock lock(mutex_);
  return last_error_;
}

void NatsLink::set_error(std::string text) {
  MutexLock lock(mutex_);
  last_error_ = std::move(text);
}

std::uint64_t NatsLink::max_payload() {
  const int64_t limit = natsConnection_GetMaxPayload(connection_);
  return limit > 0 ? static_cast<std::uint64_t>(limit) : 0;
}

void NatsLink::on_connected(std::function<void()> callback) {
  {
    MutexLock lock(mutex_);
    listeners_.push_back(callback);
  }
  if (state() == State::Connected) callback();
}

void NatsLink::connected() {
  state_.store(State::Connected, std::memory_order_release);
  std::vector<std::function<void()>> listeners;
  {
    MutexLock lock(mutex_);
    last_error_.clear();
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener();
}

void NatsLink::connected_cb(natsConnection*, void* closure) {
  static_cast<NatsLink*>(closure)->connected();
}

void NatsLink::disconnected_cb(natsConnection*, void* closure) {
  auto* self = static_cast<NatsLink*>(closure);
  if (self->state() != State::Closed) self->state_.store(State::Down, std::memory_order_release);
  self->set_error("lost the NATS server at " + self->options_.nats_url + "; reconnecting");
}

void NatsLink::closed_cb(natsConnection*, void* closure) {
  auto* self = static_cast<NatsLink*>(closure);
  self->state_.store(State::Closed, std::memory_order_release);
  // Notified under the lock, so the destructor (which frees `self`) cannot
  // go on before this is done with it.
  MutexLock lock(self->mutex_);
  self->closed_ = true;
  self->closed_changed_.notify_all();
}

void NatsLink::error_cb(natsConnection*, natsSubscription*, natsStatus status, void* closure) {
  static_cast<NatsLink*>(closure)->set_error(std::string("NATS: ") + natsStatus_GetText(status));
}

}  // namespace orivon::cluster
