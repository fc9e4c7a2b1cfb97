#include "kv/jetstream_buckets.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "kv/kv_store.h"
#include "orivon/grants.h"

namespace orivon::kv {

namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Room left in one NATS message for the headers a conditional write carries.
constexpr std::uint64_t kHeaderRoom = 1024;

// A compare-and-swap loop (increment, create over a foreign delete marker)
// gives up after this many lost races rather than spin forever.
constexpr int kMaxRaces = 10'000;

// How long listing keys may take before it fails, milliseconds.
constexpr std::int64_t kKeysTimeoutMs = 10'000;

bool is_plain_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '/' || c == '.';
}

bool is_plain_key(std::string_view key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  if (key.find("..") != std::string_view::npos) return false;
  return std::all_of(key.begin(), key.end(), is_plain_key_char);
}

std::string base64url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kBase64Url[(bits >> count) & 0x3f]);
    }
  }
  if (count > 0) out.push_back(kBase64Url[(bits << (6 - count)) & 0x3f]);
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const auto index = kBase64Url.find(c);
    if (index == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(index);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  // Unpadded base64 never leaves a whole 6-bit group over.
  if (count >= 6) return std::nullopt;
  return out;
}

std::uint64_t limit_of(std::int64_t value) {
  return value > 0 ? static_cast<std::uint64_t>(value) : std::numeric_limits<std::uint64_t>::max();
}

std::string scope_description(Scope scope) {
  return "orivon " + std::string(scope_name(scope)) + " bucket";
}

Scope scope_of(const char* description) {
  if (description != nullptr &&
      std::string_view(description).find("global") != std::string_view::npos) {
    return Scope::Global;
  }
  return Scope::Region;
}

Error no_bucket(std::string_view name) {
  return Error(ErrorCode::NotFound, "no bucket '" + std::string(name) +
                                        "': create it with 'orivon kv create NAME'");
}

// An error for a failed call on bucket `name`, with libnats's reason.
Error server_error(natsStatus status, jsErrCode code, std::string_view what,
                   std::string_view name) {
  Error error = cluster::nats_error(status, std::string(what) + " in bucket '" +
                                                std::string(name) + "'");
  if (status == NATS_MAX_PAYLOAD || code == JSStreamMessageExceedsMaximumErr) {
    return Error(ErrorCode::InvalidArgument, error.message());
  }
  if (code == JSStreamStoreFailedErr || code == JSStreamLimitsErr) {
    return Error(ErrorCode::ResourceExhausted, error.message() + ": the bucket is full");
  }
  if (status == NATS_NO_RESPONDERS || code == JSStreamNotFoundErr) {
    return Error(ErrorCode::NotFound, "region bucket '" + std::string(name) +
                                          "' no longer exists (dropped by another host?)");
  }
  return error;
}

std::span<const std::byte> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

std::string as_text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct StreamInfoDeleter {
  void operator()(jsStreamInfo* info) const { jsStreamInfo_Destroy(info); }
};
struct MsgDeleter {
  void operator()(natsMsg* message) const { natsMsg_Destroy(message); }
};
struct EntryDeleter {
  void operator()(kvEntry* entry) const { kvEntry_Destroy(entry); }
};
struct PubAckDeleter {
  void operator()(jsPubAck* ack) const { jsPubAck_Destroy(ack); }
};

}  // namespace

std::string encode_key(std::string_view key) {
  if (is_plain_key(key)) return std::string(key);
  return "=" + base64url(key);
}

std::optional<std::string> decode_key(std::string_view stored) {
  if (!stored.starts_with('=')) return std::string(stored);
  return from_base64url(stored.substr(1));
}

JetStreamBuckets::JetStreamBuckets(std::shared_ptr<cluster::NatsLink> link)
    : link_(std::move(link)), bucket_prefix_([&] {
        std::string prefix = link_->options().subject_prefix;
        std::replace(prefix.begin(), prefix.end(), '.', '_');
        return prefix + "_";
      }()) {}

JetStreamBuckets::~JetStreamBuckets() = default;

std::string JetStreamBuckets::stream_bucket(std::string_view name) const {
  return bucket_prefix_ + std::string(name);
}

Result<void> JetStreamBuckets::check_connected(std::string_view what) const {
  if (link_->state() == cluster::NatsLink::State::Connected) return ok();
  std::string reason = link_->last_error();
  return Error(ErrorCode::Unavailable,
               std::string(what) + ": the NATS server at " + link_->options().nats_url +
                   " is not reachable now" + (reason.empty() ? "" : " (" + reason + ")") +
                   "; region and global buckets are unavailable until it is (local buckets work)");
}

Result<BucketInfo> JetStreamBuckets::create(std::string_view name, Scope scope,
                                            const BucketLimits& limits) {
  const std::string what = "creating " + std::string(scope_name(scope)) + " bucket '" +
                           std::string(name) + "'";
  ORIVON_RETURN_IF_ERROR(check_connected(what));
  const std::string bucket = stream_bucket(name);
  const std::string stream = "KV_" + bucket;
  jsStreamInfo* existing = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (js_GetStreamInfo(&existing, link_->jetstream(), stream.c_str(), nullptr, &code) == NATS_OK) {
    jsStreamInfo_Destroy(existing);
    return Error(ErrorCode::AlreadyExists, "bucket '" + std::string(name) +
                                               "' already exists (a region or global bucket)");
  }
  BucketLimits effective = limits;
  const std::uint64_t payload = link_->max_payload();
  if (payload > kHeaderRoom) {
    effective.max_value_bytes = std::min(effective.max_value_bytes, payload - kHeaderRoom);
  }
  const std::string description = scope_description(scope);
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = bucket.c_str();
  config.Description = description.c_str();
  config.History = 1;
  config.MaxValueSize = static_cast<std::int32_t>(
      std::min<std::uint64_t>(effective.max_value_bytes, std::numeric_limits<std::int32_t>::max()));
  config.MaxBytes = static_cast<std::int64_t>(
      std::min<std::uint64_t>(effective.max_bytes, std::numeric_limits<std::int64_t>::max()));
  config.StorageType = js_FileStorage;
  kvStore* raw = nullptr;
  if (natsStatus status = js_CreateKeyValue(&raw, link_->jetstream(), &config); status != NATS_OK) {
    return server_error(status, static_cast<jsErrCode>(0), "creating the JetStream bucket", name);
  }
  auto created = std::make_shared<Bucket>();
  created->name = std::string(name);
  created->subject_prefix = "$KV." + bucket + ".";
  created->stream = stream;
  created->handle.reset(raw);
  // A JetStream key-value bucket has no key limit of its own (max_bytes
  // bounds it): the info says so rather than show one nothing enforces.
  effective.max_keys = std::numeric_limits<std::uint64_t>::max();
  created->info = BucketInfo{std::string(name), scope, effective, 0, 0};
  BucketInfo info = created->info;
  MutexLock lock(mutex_);
  buckets_.insert_or_assign(std::string(name), std::move(created));
  return info;
}

Result<void> JetStreamBuckets::drop(std::string_view name) {
  ORIVON_RETURN_IF_ERROR(check_connected("dropping bucket '" + std::string(name) + "'"));
  ORIVON_RETURN_IF_ERROR(find(name));
  const std::string bucket = stream_bucket(name);
  natsStatus status = js_DeleteKeyValue(link_->jetstream(), bucket.c_str());
  forget(name);
  if (status != NATS_OK) {
    return server_error(status, static_cast<jsErrCode>(0), "dropping the bucket", name);
  }
  return ok();
}

void JetStreamBuckets::forget(std::string_view name) {
  MutexLock lock(mutex_);
  if (auto found = buckets_.find(name); found != buckets_.end()) buckets_.erase(found);
}

Result<std::shared_ptr<const JetStreamBuckets::Bucket>> JetStreamBuckets::bucket(
    std::string_view name) {
  {
    MutexLock lock(mutex_);
    if (auto found = buckets_.find(name); found != buckets_.end()) return found->second;
  }
  ORIVON_RETURN_IF_ERROR(check_connected("opening bucket '" + std::string(name) + "'"));
  const std::string bucket = stream_bucket(name);
  const std::string stream = "KV_" + bucket;
  jsStreamInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status =
      js_GetStreamInfo(&raw_info, link_->jetstream(), stream.c_str(), nullptr, &code);
  if (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr) return no_bucket(name);
  if (status != NATS_OK) return server_error(status, code, "looking up the bucket", name);
  std::unique_ptr<jsStreamInfo, StreamInfoDeleter> info(raw_info);
  kvStore* raw = nullptr;
  status = js_KeyValue(&raw, link_->jetstream(), bucket.c_str());
  if (status == NATS_NOT_FOUND) return no_bucket(name);
  if (status != NATS_OK) return server_error(status, static_cast<jsErrCode>(0), "opening", name);
  auto found = std::make_shared<Bucket>();
  found->name = std::string(name);
  found->subject_prefix = "$KV." + bucket + ".";
  found->stream = stream;
  found->handle.reset(raw);
  const jsStreamConfig& config = *info->Config;
  found->info.name = std::string(name);
  found->info.scope = scope_of(config.Description);
  found->info.limits.max_value_bytes = limit_of(config.MaxMsgSize);
  found->info.limits.max_bytes = limit_of(config.MaxBytes);
  found->info.limits.max_keys = limit_of(config.MaxMsgs);
  MutexLock lock(mutex_);
  // Another thread may have found it first: keep one handle.
  return buckets_.try_emplace(std::string(name), std::move(found)).first->second;
}

Result<void> JetStreamBuckets::find(std::string_view name) {
  ORIVON_TRY(auto found, bucket(name));
  (void)found;
  return ok();
}

Result<BucketInfo> JetStreamBuckets::info(std::string_view name) {
  ORIVON_TRY(auto found, bucket(name));
  BucketInfo info = found->info;
  ORIVON_RETURN_IF_ERROR(check_connected("reading bucket '" + std::string(name) + "'"));
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status =
      js_GetStreamInfo(&raw, link_->jetstream(), found->stream.c_str(), nullptr, &code);
  if (status != NATS_OK) {
    if (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr) forget(name);
    return server_error(status, code, "reading the bucket's state", name);
  }
  std::unique_ptr<jsStreamInfo, StreamInfoDeleter> stream(raw);
  info.keys = stream->State.Msgs;
  info.bytes = stream->State.Bytes;
  return info;
}

Result<std::vector<BucketInfo>> JetStreamBuckets::list() {
  ORIVON_RETURN_IF_ERROR(check_connected("listing region and global buckets"));
  jsStreamInfoList* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_Streams(&raw, link_->jetstream(), nullptr, &code);
  std::vector<BucketInfo> list;
  if (status == NATS_NOT_FOUND) return list;  // no streams at all
  if (status != NATS_OK) {
    return cluster::nats_error(status, "listing region and global buckets");
  }
  const std::string stream_prefix = "KV_" + bucket_prefix_;
  for (int i = 0; i < raw->Count; ++i) {
    const jsStreamInfo& stream = *raw->List[i];
    std::string_view stream_name = stream.Config->Name;
    if (!stream_name.starts_with(stream_prefix)) continue;
    BucketInfo info;
    info.name = std::string(stream_name.substr(stream_prefix.size()));
    if (!is_bucket_name(info.name)) continue;
    info.scope = scope_of(stream.Config->Description);
    info.limits.max_value_bytes = limit_of(stream.Config->MaxMsgSize);
    info.limits.max_bytes = limit_of(stream.Config->MaxBytes);
    info.limits.max_keys = limit_of(stream.Config->MaxMsgs);
    info.keys = stream.State.Msgs;
    info.bytes = stream.State.Bytes;
    list.push_back(std::move(info));
  }
  jsStreamInfoList_Destroy(raw);
  return list;
}

std::vector<BucketInfo> JetStreamBuckets::known() const {
  MutexLock lock(mutex_);
  std::vector<BucketInfo> list;
  for (const auto& [name, bucket] : buckets_) list.push_back(bucket->info);
  return list;
}

Result<void> JetStreamBuckets::check_value(const Bucket& bucket,
                                           std::span<const std::byte> value) const {
  if (value.size() > bucket.info.limits.max_value_bytes) {
    return Error(ErrorCode::InvalidArgument,
                 "a value in bucket '" + bucket.name + "' is at most " +
                     std::to_string(bucket.info.limits.max_value_bytes) + " bytes; this one has " +
                     std::to_string(value.size()));
  }
  return ok();
}

Result<JetStreamBuckets::Last> JetStreamBuckets::last(const Bucket& bucket,
                                                      const std::string& stored_key) {
  ORIVON_RETURN_IF_ERROR(check_connected("reading from bucket '" + bucket.name + "'"));
  const std::string subject = bucket.subject_prefix + stored_key;
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetLastMsg(&raw, link_->jetstream(), bucket.stream.c_str(),
                                    subject.c_str(), nullptr, &code);
  Last last;
  if (status == NATS_NOT_FOUND && code != JSStreamNotFoundErr) return last;
  if (status != NATS_OK) return server_error(status, code, "reading a key", bucket.name);
  std::unique_ptr<natsMsg, MsgDeleter> message(raw);
  last.revision = natsMsg_GetSequence(raw);
  const char* operation = nullptr;
  last.live = natsMsgHeader_Get(raw, "KV-Operation", &operation) != NATS_OK;
  if (last.live) {
    const auto* data = reinterpret_cast<const std::byte*>(natsMsg_GetData(raw));
    last.value.assign(data, data + natsMsg_GetDataLength(raw));
  }
  return last;
}

Result<std::optional<std::uint64_t>> JetStreamBuckets::publish(const Bucket& bucket,
                                                               const std::string& stored_key,
                                                               std::span<const std::byte> value,
                                                               Expect expect,
                                                               std::uint64_t revision) {
  ORIVON_RETURN_IF_ERROR(check_connected("writing to bucket '" + bucket.name + "'"));
  const std::string subject = bucket.subject_prefix + stored_key;
  jsPubOptions options;
  jsPubOptions_Init(&options);
  if (expect == Expect::Absent) options.ExpectNoMessage = true;
  if (expect == Expect::Revision) options.ExpectLastSubjectSeq = revision;
  jsPubAck* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_Publish(&raw, link_->jetstream(), subject.c_str(), value.data(),
                                 static_cast<int>(value.size()), &options, &code);
  std::unique_ptr<jsPubAck, PubAckDeleter> ack(raw);
  if (status == NATS_OK) return std::optional<std::uint64_t>(ack->Sequence);
  if (code == JSStreamWrongLastSequenceErr) return std::optional<std::uint64_t>();
  if (status == NATS_NO_RESPONDERS || code == JSStreamNotFoundErr) forget(bucket.name);
  return server_error(status, code, "writing a key", bucket.name);
}

Result<void> JetStreamBuckets::purge(const Bucket& bucket, const std::string& stored_key) {
  ORIVON_RETURN_IF_ERROR(check_connected("deleting from bucket '" + bucket.name + "'"));
  const std::string subject = bucket.subject_prefix + stored_key;
  jsOptions options;
  jsOptions_Init(&options);
  options.Stream.Purge.Subject = subject.c_str();
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_PurgeStream(link_->jetstream(), bucket.stream.c_str(), &options, &code);
  if (status != NATS_OK) return server_error(status, code, "deleting a key", bucket.name);
  return ok();
}

Result<std::optional<Entry>> JetStreamBuckets::get(std::string_view name, std::string_view key) {
  ORIVON_TRY(auto found, bucket(name));
  ORIVON_RETURN_IF_ERROR(check_connected("reading from bucket '" + std::string(name) + "'"));
  const std::string stored = encode_key(key);
  kvEntry* raw = nullptr;
  natsStatus status = kvStore_Get(&raw, found->handle.get(), stored.c_str());
  if (status == NATS_NOT_FOUND) return std::optional<Entry>();
  if (status != NATS_OK) {
    return server_error(status, static_cast<jsErrCode>(0), "reading a key", name);
  }
  std::unique_ptr<kvEntry, EntryDeleter> entry(raw);
  const auto* data = static_cast<const std::byte*>(kvEntry_Value(raw));
  Entry out;
  out.value.assign(data, data + kvEntry_ValueLen(raw));
  out.version = kvEntry_Revision(raw);
  return std::optional<Entry>(std::move(out));
}

Result<SetOutcome> JetStreamBuckets::set(std::string_view name, std::string_view key,
                                         std::span<const std::byte> value,
                                         const SetOptions& options) {
  ORIVON_TRY(auto found, bucket(name));
  if (options.ttl) {
    return Error(ErrorCode::Unimplemented,
                 "bucket '" + std::string(name) + "' is a " +
                     std::string(scope_name(found->info.scope)) +
                     " bucket, and JetStream keeps no time-to-live per key: write without one, "
                     "or use a local bucket");
  }
  ORIVON_RETURN_IF_ERROR(check_value(*found, value));
  const std::string stored = encode_key(key);
  if (options.if_version) {
    ORIVON_TRY(auto written, publish(*found, stored, value, Expect::Revision, *options.if_version));
    if (written) return SetOutcome{true, *written};
    ORIVON_TRY(auto now, last(*found, stored));
    return SetOutcome{false, now.live ? now.revision : 0};
  }
  if (options.if_absent) {
    for (int race = 0; race < kMaxRaces; ++race) {
      ORIVON_TRY(auto written, publish(*found, stored, value, Expect::Absent, 0));
      if (written) return SetOutcome{true, *written};
      // Taken, or only a delete marker another client left: then write over
      // the marker, expecting it still to be the last message.
      ORIVON_TRY(auto now, last(*found, stored));
      if (now.live) return SetOutcome{false, now.revision};
      if (now.revision == 0) continue;  // removed in between
      ORIVON_TRY(auto over, publish(*found, stored, value, Expect::Revision, now.revision));
      if (over) return SetOutcome{true, *over};
    }
    return Error(ErrorCode::Unavailable, "creating '" + std::string(key) + "' in bucket '" +
                                             std::string(name) + "' lost too many races");
  }
  ORIVON_TRY(auto written, publish(*found, stored, value, Expect::Anything, 0));
  return SetOutcome{true, written.value_or(0)};
}

Result<bool> JetStreamBuckets::remove(std::string_view name, std::string_view key) {
  ORIVON_TRY(auto found, bucket(name));
  const std::string stored = encode_key(key);
  ORIVON_TRY(auto before, last(*found, stored));
  if (before.revision == 0) return false;
  ORIVON_RETURN_IF_ERROR(purge(*found, stored));
  return before.live;
}

Result<bool> JetStreamBuckets::contains(std::string_view name, std::string_view key) {
  ORIVON_TRY(auto entry, get(name, key));
  return entry.has_value();
}

Result<KeyPage> JetStreamBuckets::keys(std::string_view name, std::string_view prefix,
                                       std::optional<std::string_view> cursor, std::size_t limit) {
  ORIVON_TRY(auto found, bucket(name));
  ORIVON_RETURN_IF_ERROR(check_connected("listing bucket '" + std::string(name) + "'"));
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  options.Timeout = kKeysTimeoutMs;
  kvKeysList list{nullptr, 0};
  natsStatus status = kvStore_Keys(&list, found->handle.get(), &options);
  std::vector<std::string> keys;
  if (status == NATS_OK) {
    for (int i = 0; i < list.Count; ++i) {
      auto key = decode_key(list.Keys[i]);
      if (!key || !key->starts_with(prefix)) continue;
      if (cursor && *key <= *cursor) continue;
      keys.push_back(std::move(*key));
    }
    kvKeysList_Destroy(&list);
  } else if (status != NATS_NOT_FOUND) {  // NOT_FOUND: no keys
    return server_error(status, static_cast<jsErrCode>(0), "listing keys", name);
  }
  std::sort(keys.begin(), keys.end());
  KeyPage page;
  if (keys.size() > limit) keys.resize(limit);
  page.keys = std::move(keys);
  if (page.keys.size() == limit) page.cursor = page.keys.back();
  return page;
}

Result<std::int64_t> JetStreamBuckets::increment(std::string_view name, std::string_view key,
                                                 std::int64_t delta, bool non_negative) {
  ORIVON_TRY(auto found, bucket(name));
  const std::string stored = encode_key(key);
  for (int race = 0; race < kMaxRaces; ++race) {
    ORIVON_TRY(auto before, last(*found, stored));
    std::int64_t current = 0;
    if (before.live) {
      const std::string text = as_text(before.value);
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), current);
      if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
        return Error(ErrorCode::InvalidArgument,
                     "the value of '" + std::string(key) + "' in bucket '" + std::string(name) +
                         "' is not a decimal integer, so it cannot be incremented");
      }
    }
    std::int64_t sum = 0;
    if (__builtin_add_overflow(current, delta, &sum)) {
      return Error(ErrorCode::InvalidArgument, "incrementing '" + std::string(key) + "' by " +
                                                   std::to_string(delta) + " overflows 64 bits");
    }
    if (non_negative && sum < 0) {
      return Error(ErrorCode::InvalidArgument, "the value of '" + std::string(key) +
                                                   "' would be negative, not an unsigned number");
    }
    const std::string text = std::to_string(sum);
    ORIVON_TRY(auto written,
               publish(*found, stored, as_bytes(text),
                       before.revision == 0 ? Expect::Absent : Expect::Revision, before.revision));
    if (written) return sum;
  }
  return Error(ErrorCode::Unavailable, "incrementing '" + std::string(key) + "' in bucket '" +
                                           std::string(name) + "' lost too many races");
}

Result<void> JetStreamBuckets::set_many(
    std::string_view name, std::span<const std::pair<std::string, std::vector<std::byte>>> pairs) {
  ORIVON_TRY(auto found, bucket(name));
  for (const auto& [key, value] : pairs) ORIVON_RETURN_IF_ERROR(check_value(*found, value));
  std::size_t written = 0;
  for (const auto& [key, value] : pairs) {
    auto outcome = publish(*found, encode_key(key), value, Expect::Anything, 0);
    if (!outcome) {
      return Error(outcome.error().code(),
                   outcome.error().message() + " (" + std::to_string(written) + " of " +
                       std::to_string(pairs.size()) +
                       " keys were written: a region bucket writes a batch key by key)");
    }
    ++written;
  }
  return ok();
}

Result<void> JetStreamBuckets::remove_many(std::string_view name,
                                           std::span<const std::string> keys) {
  ORIVON_TRY(auto found, bucket(name));
  std::size_t removed = 0;
  for (const auto& key : keys) {
    auto outcome = purge(*found, encode_key(key));
    if (!outcome) {
      return Error(outcome.error().code(),
                   outcome.error().message() + " (" + std::to_string(removed) + " of " +
                       std::to_string(keys.size()) +
                       " keys were deleted: a region bucket deletes a batch key by key)");
    }
    ++removed;
  }
  return ok();
}

}  // namespace orivon::kv
