#include "service/retrieval_memo.h"

#include <map>
#include <memory>
#include <utility>

namespace ksearch::daemon {

IsaFactsFn MemoizeIsaFacts(IsaFactsFn fn, size_t max_entries, RetrievalMemoStats* stats) {
  auto memo = std::make_shared<std::map<std::string, std::vector<std::string>>>();
  return [fn = std::move(fn), memo, max_entries, stats](const std::string& task, const std::string& arch,
                                                        const std::string& axis, const std::string& bottleneck,
                                                        size_t budget) {
    // '\x1f' (unit separator) cannot occur in the names, so the key is unambiguous.
    std::string key = task + '\x1f' + arch + '\x1f' + axis + '\x1f' + bottleneck + '\x1f' + std::to_string(budget);
    if (auto it = memo->find(key); it != memo->end()) {
      if (stats) ++stats->hits;
      return it->second;
    }
    if (stats) ++stats->misses;
    std::vector<std::string> facts = fn(task, arch, axis, bottleneck, budget);
    if (memo->size() >= max_entries) memo->clear();
    memo->emplace(std::move(key), facts);
    return facts;
  };
}

}  // namespace ksearch::daemon
