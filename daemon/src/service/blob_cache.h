// BlobCache: log blobs the io thread read or wrote lately, by content hash.
//
// Every attempt reads its parent's source from the log to build the prompt and
// the semantic duplicate key; that parent is almost always a candidate this
// daemon finished minutes ago. Blobs are content-addressed and never change,
// so an entry cannot go stale: the cache only bounds memory, dropping the
// least recently used entries once their bytes pass `max_bytes`. A blob
// larger than a quarter of the budget is not kept (it would push out many
// sources for one packet).
//
// Threading: for one thread (the daemon's io thread); not synchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace ksearch::daemon {

class BlobCache {
 public:
  explicit BlobCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  BlobCache(const BlobCache&) = delete;
  BlobCache& operator=(const BlobCache&) = delete;

  // The content under `hash`, or nullptr; a hit makes the entry the most
  // recently used. The pointer is valid until the next Put.
  const std::string* Find(const std::string& hash);
  // Keeps `content` under `hash` (a no-op for an empty hash, a blob over the
  // per-entry limit, or a hash already kept).
  void Put(const std::string& hash, std::string content);

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  size_t bytes() const { return bytes_; }
  size_t entries() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, std::string>;  // hash, content
  // Most recently used first; index_ points into it (list iterators stay
  // valid across splices and other entries' erasure).
  std::list<Entry> order_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t max_bytes_;
  size_t bytes_ = 0;  // sum of the kept contents' sizes
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace ksearch::daemon
