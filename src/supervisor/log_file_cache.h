#pragma once

// The open log files of many LogSinks, bounded. A sink takes its file
// descriptor from here to write and gives it back afterwards; at most
// `capacity` descriptors stay open between writes, the least recently used
// being closed when another comes back. A sink whose descriptor was closed
// opens its file again at its next write. So a host running 100,000
// services holds a few dozen log files open, not 100,000 (one per service
// used to meet the open-files limit; see core/limits.h, kOpenLogFiles).
//
// Each descriptor is owned by exactly one party at a time: the cache while
// it is cached, the sink between take() and put(). The cache only ever
// closes descriptors it holds, so a sink's write never races an eviction.
// A take() and put() pair allocates nothing: the entry is kept aside while
// its descriptor is lent out.
//
// Shared by the sinks that use it (std::shared_ptr: it lives as long as the
// last of them). Thread-safe: one mutex, never held while calling out.

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace orivon::supervisor {

class LogFileCache {
 public:
  // Names one sink's file in the cache.
  enum class Key : std::uint64_t {};

  // `capacity` descriptors at most stay open between writes; 0 closes every
  // descriptor as soon as it is given back (an open per write).
  explicit LogFileCache(std::size_t capacity);
  ~LogFileCache();  // closes every descriptor it holds
  LogFileCache(const LogFileCache&) = delete;
  LogFileCache& operator=(const LogFileCache&) = delete;

  // The cache every sink of the process uses unless given another, with
  // capacity kOpenLogFiles.
  static std::shared_ptr<LogFileCache> shared();

  // A key no other sink of this cache has.
  Key new_key();
  // Takes `key`'s descriptor out of the cache: the caller owns it now.
  // -1 if none is cached (never given, closed to make room, or forgotten).
  int take(Key key);
  // Gives `fd` (open, owned by the caller) back as `key`'s, the most
  // recently used; closes the least recently used past the capacity
  // (possibly `fd` itself).
  void put(Key key, int fd);
  // Closes `key`'s cached descriptor, if any, and drops its entry (a sink
  // going away).
  void forget(Key key);

  // Descriptors held now (at most the capacity).
  std::size_t open_count() const;

 private:
  struct Entry {
    Key key;
    int fd;  // -1 while lent
  };
  using Entries = std::list<Entry>;

  // Closes the least recently used cached descriptors past the capacity;
  // returns them for closing outside the lock.
  void evict_locked(std::vector<int>& closing) ORIVON_REQUIRES(mutex_);

  const std::size_t capacity_;
  mutable Mutex mutex_;
  std::uint64_t next_key_ ORIVON_GUARDED_BY(mutex_) = 1;
  // Entries whose descriptor the cache holds, most recently used first, and
  // entries whose descriptor is lent out (between take() and put()). An
  // entry moves between the two lists by splicing, so its iterator in
  // index_ stays valid.
  Entries cached_ ORIVON_GUARDED_BY(mutex_);
  Entries lent_ ORIVON_GUARDED_BY(mutex_);
  std::unordered_map<Key, Entries::iterator> index_ ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::supervisor
