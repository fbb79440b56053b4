#include "service/retrieval_memo.h"

#include <map>
#include <memory>
#include <utility>

namespace ksearch::daemon {
namespace {

// Parts joined by '\x1f' (unit separator), which names never contain, so
// ("ab", "c") and ("a", "bc") are different keys.
std::string Key(std::initializer_list<const std::string*> parts, size_t budget) {
  std::string key;
  for (const std::string* p : parts) key += *p + '\x1f';
  return key + std::to_string(budget);
}

template <typename R>
class Memo {
 public:
  Memo(size_t max_entries, RetrievalMemoStats* stats) : max_entries_(max_entries), stats_(stats) {}

  template <typename Compute>
  R Get(std::string key, Compute&& compute) {
    if (auto it = values_.find(key); it != values_.end()) {
      if (stats_) ++stats_->hits;
      return it->second;
    }
    if (stats_) ++stats_->misses;
    R value = compute();
    if (values_.size() >= max_entries_) values_.clear();
    values_.emplace(std::move(key), value);
    return value;
  }

 private:
  std::map<std::string, R> values_;
  size_t max_entries_;
  RetrievalMemoStats* stats_;
};

}  // namespace

IsaFactsFn MemoizeIsaFacts(IsaFactsFn fn, size_t max_entries, RetrievalMemoStats* stats) {
  auto memo = std::make_shared<Memo<std::vector<std::string>>>(max_entries, stats);
  return [fn = std::move(fn), memo](const std::string& task, const std::string& arch, const std::string& axis,
                                    const std::string& bottleneck, size_t budget) {
    return memo->Get(Key({&task, &arch, &axis, &bottleneck}, budget),
                     [&] { return fn(task, arch, axis, bottleneck, budget); });
  };
}

SkillFn MemoizeSkill(SkillFn fn, size_t max_entries, RetrievalMemoStats* stats) {
  auto memo = std::make_shared<Memo<std::string>>(max_entries, stats);
  return [fn = std::move(fn), memo](const std::string& axis, const std::string& arch, const std::string& op,
                                    size_t budget) {
    return memo->Get(Key({&axis, &arch, &op}, budget), [&] { return fn(axis, arch, op, budget); });
  };
}

}  // namespace ksearch::daemon
