// MemoizeIsaFacts: ISA-fact retrieval computed once per key.
//
// A proposal prompt's ISA facts are a function of (task, arch, axis,
// bottleneck, budget) and of the corpus, which the daemon opens once and never
// changes. Retrieval is two SQLite FTS5 rankings (chapters, then passages): on
// the replay bench it was 63% of the io thread's CPU (docs/bench-daemon.md),
// while a campaign asks the same few keys again and again. The memo keeps
// each key's answer for the daemon's lifetime, up to `max_entries` keys; past
// that it forgets everything and starts over (keys are few in practice: tasks
// x axes x bottleneck classes).
//
// Threading: the returned function is for one thread (the io thread, as the
// engine's contract says); it is not synchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ksearch::daemon {

using IsaFactsFn = std::function<std::vector<std::string>(const std::string& task, const std::string& arch,
                                                          const std::string& axis, const std::string& bottleneck,
                                                          size_t budget_chars)>;

struct RetrievalMemoStats {
  uint64_t hits = 0;
  uint64_t misses = 0;  // calls that reached the wrapped function
};

// Wraps `fn`; `stats`, when given, must outlive the returned function.
IsaFactsFn MemoizeIsaFacts(IsaFactsFn fn, size_t max_entries = 1024, RetrievalMemoStats* stats = nullptr);

}  // namespace ksearch::daemon
