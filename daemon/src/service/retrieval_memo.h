// Prompt context computed once per key: ISA facts and routed skills.
//
// A proposal prompt's ISA facts are a function of (task, arch, axis,
// bottleneck, budget) and of the corpus; its technique notes a function of
// (axis, arch, op, budget) and of the skills tree. The daemon opens both once
// and never changes them, and a campaign asks the same few keys again and
// again, so each key's answer is kept for the daemon's lifetime, up to
// `max_entries` keys; past that the memo forgets everything and starts over
// (keys are few in practice: tasks x axes x bottleneck classes).
//
// Threading: a returned function is for one thread (the io thread, as the
// engine's contract says); it is not synchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "service/cpu_ledger.h"

namespace ksearch::isa_corpus {
class Corpus;
}
namespace ksearch::planner {
class AxisCatalogue;
}
namespace ksearch::skills {
class Router;
}

namespace ksearch::daemon {

using IsaFactsFn = std::function<std::vector<std::string>(const std::string& task, const std::string& arch,
                                                          const std::string& axis, const std::string& bottleneck,
                                                          size_t budget_chars)>;
using SkillFn = std::function<std::string(const std::string& axis, const std::string& arch, const std::string& op,
                                          size_t budget_chars)>;

struct RetrievalMemoStats {
  uint64_t hits = 0;
  uint64_t misses = 0;  // calls that reached the wrapped function
};

// Wrap `fn`; `stats`, when given, must outlive the returned function, and so
// must `ledger`: each miss (the call of `fn`) is charged to its
// CpuActivity::kRetrieval, on the calling thread.
IsaFactsFn MemoizeIsaFacts(IsaFactsFn fn, size_t max_entries = 1024, RetrievalMemoStats* stats = nullptr,
                           CpuLedger* ledger = nullptr);
SkillFn MemoizeSkill(SkillFn fn, size_t max_entries = 1024, RetrievalMemoStats* stats = nullptr,
                     CpuLedger* ledger = nullptr);

// What the daemon retrieves for a key, unmemoized (bench/daemon/prompt_context_cost
// times these): the corpus's packet for "<task> <axis>" with the bottleneck,
// 6 passages, as one text; the router's pick for (axis, arch, op) with the
// axis's catalogue skills, rendered. The referents must outlive the functions.
IsaFactsFn IsaFactsFrom(const isa_corpus::Corpus& corpus);
SkillFn SkillNotesFrom(const skills::Router& router, const planner::AxisCatalogue& axes);

}  // namespace ksearch::daemon
