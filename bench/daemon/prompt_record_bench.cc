// prompt_record_bench: what recording one LLM prompt costs the daemon's io
// thread: planner::PromptRecordText against the nlohmann tree and dump(1) it
// replaced (the same bytes; llm_proposer_test checks that).
//
//     prompt_record_bench [ITERATIONS]     (default 2000)
//
// The prompt is ~14 KB of kernel source lines with the quotes, tabs and
// newlines a real one has. Prints microseconds per record, three rounds.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "ksearch/planner/llm_proposer.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  ksearch::llm::CompletionRequest r;
  r.system = "You are an expert GPU kernel engineer.";
  std::string body;
  for (int i = 0; i < 300; ++i) body += "  float v = x[i * 4 + " + std::to_string(i) + "]; // \"load\" the\tvalue\n";
  r.messages = {{"user", body}};
  auto tree_dump = [&] {
    nlohmann::json msgs = nlohmann::json::array();
    for (const auto& m : r.messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
    return nlohmann::json{{"system", r.system}, {"messages", msgs}}.dump(1);
  };
  if (tree_dump() != ksearch::planner::PromptRecordText(r)) return std::fprintf(stderr, "texts differ\n"), 1;
  std::printf("prompt of %zu bytes, %d records per round\n", body.size(), n);
  using Clock = std::chrono::steady_clock;
  for (int round = 0; round < 3; ++round) {
    size_t bytes = 0;
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) bytes += tree_dump().size();
    const auto t1 = Clock::now();
    for (int i = 0; i < n; ++i) bytes += ksearch::planner::PromptRecordText(r).size();
    const auto t2 = Clock::now();
    std::printf("json tree + dump(1): %.1f us   PromptRecordText: %.1f us   (%zu bytes)\n",
                std::chrono::duration<double, std::micro>(t1 - t0).count() / n,
                std::chrono::duration<double, std::micro>(t2 - t1).count() / n, bytes);
  }
  return 0;
}
