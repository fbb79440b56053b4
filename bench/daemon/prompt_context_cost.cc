// prompt_context_cost [TASKS] [ARCH] [PASSES]
//
// What ksearchd's prompt-context memo misses cost: for every (task, LLM axis,
// bottleneck class) key a campaign can ask, the daemon's two retrievals
// (daemon::IsaFactsFrom and daemon::SkillNotesFrom, the functions ksearchd
// memoizes, with its 6000-byte budgets), timed apart in the calling thread's
// CPU time, PASSES times over the keys. Pass 1 is what a fresh daemon pays on each key's first
// proposal (the memo misses of docs/bench-daemon.md); later passes what a key
// costs once the corpus has met its tokens (the memo itself never asks twice).
// TASKS: comma-separated (default softmax,rmsnorm, the H100 bench's campaigns).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "ksearch/core/clock.h"
#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/planner/axis_catalogue.h"
#include "ksearch/skills/router.h"
#include "ksearch/skills/skill_tree.h"
#include "service/retrieval_memo.h"

using namespace ksearch;

int main(int argc, char** argv) {
  const std::string tasks_arg = argc > 1 ? argv[1] : "softmax,rmsnorm";
  const std::string arch = argc > 2 ? argv[2] : "sm_90a";
  const int passes = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  const std::string root = KSEARCH_SOURCE_DIR_DEFAULT;
  std::vector<std::string> tasks;
  std::stringstream ss(tasks_arg);
  for (std::string t; std::getline(ss, t, ',');) tasks.push_back(t);

  auto corpus = isa_corpus::Corpus::Open({isa_corpus::DefaultCorpusRoot(), {}, {}});
  auto tree = skills::SkillTree::Load({skills::DefaultTreeDir(), root + "/configs/tasks"});
  auto loaded = planner::AxisCatalogue::Load(root + "/configs/axes.yaml");
  if (!corpus.ok() || !tree.ok() || !loaded.ok()) {
    std::fprintf(stderr, "prompt_context_cost: corpus %s; skills %s; axes %s\n", corpus.status().ToString().c_str(),
                 tree.status().ToString().c_str(), loaded.status().ToString().c_str());
    return 1;
  }
  auto axes = loaded->Restrict({}, {}, arch);
  if (!axes.ok()) return std::fprintf(stderr, "%s\n", axes.status().ToString().c_str()), 1;
  skills::Router router(*tree);
  const daemon::IsaFactsFn isa_facts = daemon::IsaFactsFrom(**corpus);
  const daemon::SkillFn skill_notes = daemon::SkillNotesFrom(router, *axes);
  const char* classes[] = {"memory", "compute", "latency", "launch"};
  for (int pass = 1; pass <= passes; ++pass) {
    double isa_ns = 0, skill_ns = 0, isa_bytes = 0, skill_bytes = 0;
    int keys = 0, routes = 0;
    for (const std::string& task : tasks) {
      for (const planner::Axis& axis : axes->axes()) {
        if (axis.tuner_only) continue;
        // The skill memo's key has no bottleneck: one pick per (axis, task).
        int64_t t0 = ThreadCpuNanos();
        const std::string notes = skill_notes(axis.name, arch, task, 6000);
        skill_ns += double(ThreadCpuNanos() - t0);
        skill_bytes += double(notes.size());
        ++routes;
        for (const char* cls : classes) {
          t0 = ThreadCpuNanos();
          const std::vector<std::string> facts = isa_facts(task, arch, axis.name, cls, 6000);
          isa_ns += double(ThreadCpuNanos() - t0);
          if (facts.empty()) return std::fprintf(stderr, "no ISA facts for %s %s %s\n", task.c_str(), axis.name.c_str(), cls), 1;
          isa_bytes += double(facts[0].size());
          ++keys;
        }
      }
    }
    std::printf("pass %d: ISA facts %.3f ms CPU per key (%d keys, mean %.0f bytes); technique notes %.3f ms per key "
                "(%d keys, mean %.0f bytes)\n",
                pass, isa_ns / 1e6 / keys, keys, isa_bytes / keys, skill_ns / 1e6 / routes, routes,
                skill_bytes / routes);
  }
  return 0;
}
