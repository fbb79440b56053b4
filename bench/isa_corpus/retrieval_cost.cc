// retrieval_cost [CORPUS_ROOT] [ARCH] [PASSES]
//
// Opens the corpus (default: the checked-in one) and times Corpus::Retrieve,
// in the calling thread's CPU time, for one request per axis routed by the
// corpus's topic map (the daemon's request: "<task> <axis>", the arch, the
// axis, no bottleneck, 6 passages, 6000 bytes), PASSES times over. Pass 1 is
// what a campaign's first proposal on each axis costs; later passes what a
// proposal costs once the corpus has met the query's tokens. Then it opens the
// corpus again, times WarmRoutedTerms() (every routed token at once) and one
// pass after it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ksearch/core/clock.h"
#include "ksearch/isa_corpus/corpus.h"

using namespace ksearch::isa_corpus;

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : DefaultCorpusRoot();
  const std::string arch = argc > 2 ? argv[2] : "sm_90a";
  const int passes = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  const int64_t open0 = ksearch::ThreadCpuNanos();
  auto corpus = Corpus::Open({root, {}, {}});
  if (!corpus.ok()) {
    std::fprintf(stderr, "retrieval_cost: %s\n", corpus.status().ToString().c_str());
    return 1;
  }
  std::printf("open: %.3f ms CPU\n", static_cast<double>(ksearch::ThreadCpuNanos() - open0) * 1e-6);
  std::vector<std::string> axes;
  for (const auto& [axis, topics] : (*corpus)->topics().axes) axes.push_back(axis);
  std::printf("corpus %s, arch %s, %zu axes\n", root.c_str(), arch.c_str(), axes.size());
  // One pass over the axes; returns false (having said why) on an error.
  auto pass = [&](const Corpus& c, const std::string& label) {
    size_t bytes = 0;
    const int64_t t0 = ksearch::ThreadCpuNanos();
    for (const std::string& axis : axes) {
      auto packet = c.Retrieve(RetrievalRequest{"softmax " + axis, arch, axis, "", 6}, 6000);
      if (!packet.ok()) {
        std::fprintf(stderr, "retrieval_cost: %s\n", packet.status().ToString().c_str());
        return false;
      }
      bytes += packet->text.size();
    }
    const double ms = static_cast<double>(ksearch::ThreadCpuNanos() - t0) * 1e-6 / static_cast<double>(axes.size());
    std::printf("%s: %.3f ms CPU per Retrieve (mean packet %zu bytes)\n", label.c_str(), ms, bytes / axes.size());
    return true;
  };
  for (int i = 1; i <= passes; ++i)
    if (!pass(**corpus, "pass " + std::to_string(i))) return 1;

  auto warmed = Corpus::Open({root, {}, {}});
  if (!warmed.ok()) {
    std::fprintf(stderr, "retrieval_cost: %s\n", warmed.status().ToString().c_str());
    return 1;
  }
  const int64_t w0 = ksearch::ThreadCpuNanos();
  auto tokens = (*warmed)->WarmRoutedTerms();
  if (!tokens.ok()) {
    std::fprintf(stderr, "retrieval_cost: %s\n", tokens.status().ToString().c_str());
    return 1;
  }
  std::printf("WarmRoutedTerms: %d tokens, %.3f ms CPU\n", *tokens,
              static_cast<double>(ksearch::ThreadCpuNanos() - w0) * 1e-6);
  return pass(**warmed, "pass 1 after warming") ? 0 : 1;
}
