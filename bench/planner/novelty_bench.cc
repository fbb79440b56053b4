// The cost of the novelty keys per proposal: NormalizeSource of a task's
// source and SemanticChangeKeyOfNormalized of a change to it (docs/planner.md,
// "Novelty"). Usage: novelty_bench [SOURCE [CALLS]]; the change is a small
// shared-memory block inserted in the middle of SOURCE. Prints microseconds
// per call, median of 5 rounds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ksearch/core/file_text.h"
#include "ksearch/planner/novelty.h"

namespace {

template <typename F>
double MedianMicros(int calls, F&& f) {
  std::vector<double> rounds;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) f();
    rounds.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / calls);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path =
      argc > 1 ? argv[1] : std::string(KSEARCH_SOURCE_DIR_DEFAULT) + "/configs/tasks/softmax/best.cu";
  const int calls = argc > 2 ? std::atoi(argv[2]) : 2000;
  auto text = ksearch::ReadFileText(path);
  if (!text.ok()) {
    std::fprintf(stderr, "novelty_bench: %s\n", text.status().ToString().c_str());
    return 1;
  }
  const std::string parent = *text;
  std::string child = parent;
  child.insert(child.size() / 2, "\n  __shared__ float tile_a[256];\n  tile_a[threadIdx.x] = 0;\n");
  const std::string np = ksearch::planner::NormalizeSource(parent), nc = ksearch::planner::NormalizeSource(child);
  size_t sink = 0;
  const double normalize = MedianMicros(calls, [&] { sink += ksearch::planner::NormalizeSource(child).size(); });
  const double key = MedianMicros(calls, [&] {
    sink += ksearch::planner::SemanticChangeKeyOfNormalized("c1", "shared_memory_tiling", np, nc).size();
  });
  std::printf("source %s (%zu bytes): NormalizeSource %.1f us, SemanticChangeKeyOfNormalized %.1f us (%d calls x 5, median; %zu)\n",
              path.c_str(), parent.size(), normalize, key, calls, sink);
  return 0;
}
