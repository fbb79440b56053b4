#include "service/retrieval_memo.h"

#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/planner/axis_catalogue.h"
#include "ksearch/skills/router.h"

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
  Memo(size_t max_entries, RetrievalMemoStats* stats, CpuLedger* ledger)
      : max_entries_(max_entries), stats_(stats), ledger_(ledger) {}

  template <typename Compute>
  R Get(std::string key, Compute&& compute) {
    if (auto it = values_.find(key); it != values_.end()) {
      if (stats_) ++stats_->hits;
      return it->second;
    }
    if (stats_) ++stats_->misses;
    std::optional<CpuScope> cpu;
    if (ledger_) cpu.emplace(*ledger_, CpuActivity::kRetrieval);
    R value = compute();
    cpu.reset();
    if (values_.size() >= max_entries_) values_.clear();
    values_.emplace(std::move(key), value);
    return value;
  }

 private:
  std::map<std::string, R> values_;
  size_t max_entries_;
  RetrievalMemoStats* stats_;
  CpuLedger* ledger_;
};

}  // namespace

IsaFactsFn MemoizeIsaFacts(IsaFactsFn fn, size_t max_entries, RetrievalMemoStats* stats, CpuLedger* ledger) {
  auto memo = std::make_shared<Memo<std::vector<std::string>>>(max_entries, stats, ledger);
  return [fn = std::move(fn), memo](const std::string& task, const std::string& arch, const std::string& axis,
                                    const std::string& bottleneck, size_t budget) {
    return memo->Get(Key({&task, &arch, &axis, &bottleneck}, budget),
                     [&] { return fn(task, arch, axis, bottleneck, budget); });
  };
}

SkillFn MemoizeSkill(SkillFn fn, size_t max_entries, RetrievalMemoStats* stats, CpuLedger* ledger) {
  auto memo = std::make_shared<Memo<std::string>>(max_entries, stats, ledger);
  return [fn = std::move(fn), memo](const std::string& axis, const std::string& arch, const std::string& op,
                                    size_t budget) {
    return memo->Get(Key({&axis, &arch, &op}, budget), [&] { return fn(axis, arch, op, budget); });
  };
}

IsaFactsFn IsaFactsFrom(const isa_corpus::Corpus& corpus) {
  return [&corpus](const std::string& task, const std::string& arch, const std::string& axis,
                   const std::string& bottleneck, size_t budget) {
    isa_corpus::RetrievalRequest req{task + " " + axis, arch, axis, bottleneck, 6};
    auto packet = corpus.Retrieve(req, budget);
    return packet.ok() ? std::vector<std::string>{packet->text} : std::vector<std::string>{};
  };
}

SkillFn SkillNotesFrom(const skills::Router& router, const planner::AxisCatalogue& axes) {
  return [&router, &axes](const std::string& axis, const std::string& arch, const std::string& op, size_t budget) {
    skills::RouteRequest req;
    req.axis = axis;
    req.arch = arch;
    req.op = op;
    if (const auto* a = axes.Find(axis)) req.axis_skill_ids = a->skills;
    req.budget_bytes = budget;
    return router.Pick(req).Render();
  };
}

}  // namespace ksearch::daemon
