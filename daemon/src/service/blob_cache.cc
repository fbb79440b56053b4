#include "service/blob_cache.h"

namespace ksearch::daemon {

const std::string* BlobCache::Find(const std::string& hash) {
  auto it = index_.find(hash);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  order_.splice(order_.begin(), order_, it->second);
  return &it->second->second;
}

void BlobCache::Put(const std::string& hash, std::string content) {
  if (hash.empty() || content.size() > max_bytes_ / 4 || index_.count(hash)) return;
  bytes_ += content.size();
  order_.emplace_front(hash, std::move(content));
  index_.emplace(hash, order_.begin());
  while (bytes_ > max_bytes_) {
    bytes_ -= order_.back().second.size();
    index_.erase(order_.back().first);
    order_.pop_back();
  }
}

}  // namespace ksearch::daemon
