#include "supervisor/log_file_cache.h"

#include <unistd.h>

#include "core/limits.h"

namespace orivon::supervisor {

LogFileCache::LogFileCache(std::size_t capacity) : capacity_(capacity) {}

LogFileCache::~LogFileCache() {
  for (const Entry& entry : cached_) ::close(entry.fd);
}

std::shared_ptr<LogFileCache> LogFileCache::shared() {
  // A shared_ptr, not a plain static: a sink still alive while statics are
  // destroyed keeps the cache alive with it.
  static const std::shared_ptr<LogFileCache> cache =
      std::make_shared<LogFileCache>(limits::kOpenLogFiles);
  return cache;
}

LogFileCache::Key LogFileCache::new_key() {
  MutexLock lock(mutex_);
  return Key{next_key_++};
}

int LogFileCache::take(Key key) {
  MutexLock lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end() || found->second->fd < 0) return -1;
  const int fd = found->second->fd;
  found->second->fd = -1;
  lent_.splice(lent_.begin(), cached_, found->second);
  return fd;
}

void LogFileCache::put(Key key, int fd) {
  std::vector<int> closing;
  {
    MutexLock lock(mutex_);
    auto found = index_.find(key);
    if (found == index_.end()) {
      cached_.push_front(Entry{key, fd});
      index_.emplace(key, cached_.begin());
    } else {
      Entries::iterator entry = found->second;
      // A descriptor given twice without a take() in between (not expected)
      // is not leaked.
      const bool was_cached = entry->fd >= 0;
      if (was_cached) closing.push_back(entry->fd);
      entry->fd = fd;
      cached_.splice(cached_.begin(), was_cached ? cached_ : lent_, entry);
    }
    evict_locked(closing);
  }
  // Closed outside the lock: closing a file can take a while (NFS).
  for (int old : closing) ::close(old);
}

void LogFileCache::forget(Key key) {
  int fd = -1;
  {
    MutexLock lock(mutex_);
    auto found = index_.find(key);
    if (found == index_.end()) return;
    fd = found->second->fd;
    (fd >= 0 ? cached_ : lent_).erase(found->second);
    index_.erase(found);
  }
  if (fd >= 0) ::close(fd);
}

std::size_t LogFileCache::open_count() const {
  MutexLock lock(mutex_);
  return cached_.size();
}

void LogFileCache::evict_locked(std::vector<int>& closing) {
  while (cached_.size() > capacity_) {
    closing.push_back(cached_.back().fd);
    index_.erase(cached_.back().key);
    cached_.pop_back();
  }
}

}  // namespace orivon::supervisor
