#include "service/retrieval_memo.h"

#include <catch.hpp>

#include "ksearch/core/clock.h"

using namespace ksearch::daemon;

TEST_CASE("ISA facts are retrieved once per key", "[daemon][retrieval]") {
  int calls = 0;
  RetrievalMemoStats stats;
  auto facts = MemoizeIsaFacts(
      [&calls](const std::string& task, const std::string& arch, const std::string& axis,
               const std::string& bottleneck, size_t budget) {
        ++calls;
        return std::vector<std::string>{task + "|" + arch + "|" + axis + "|" + bottleneck + "|" +
                                        std::to_string(budget) + "|" + std::to_string(calls)};
      },
      1024, &stats);

  auto first = facts("softmax", "sm_90a", "memory_access", "dram", 6000);
  REQUIRE(first == std::vector<std::string>{"softmax|sm_90a|memory_access|dram|6000|1"});
  CHECK(facts("softmax", "sm_90a", "memory_access", "dram", 6000) == first);
  CHECK(calls == 1);
  // Every part of the key counts.
  CHECK(facts("softmax", "sm_90a", "memory_access", "latency", 6000)[0] ==
        "softmax|sm_90a|memory_access|latency|6000|2");
  CHECK(facts("softmax", "sm_90a", "memory_access", "dram", 3000)[0] == "softmax|sm_90a|memory_access|dram|3000|3");
  CHECK(facts("rmsnorm", "sm_90a", "memory_access", "dram", 6000)[0] == "rmsnorm|sm_90a|memory_access|dram|6000|4");
  CHECK(facts("softmax", "sm_80", "memory_access", "dram", 6000)[0] == "softmax|sm_80|memory_access|dram|6000|5");
  CHECK(facts("softmax", "sm_90a", "tiling", "dram", 6000)[0] == "softmax|sm_90a|tiling|dram|6000|6");
  // Keys that would collide if the parts were joined without a separator.
  CHECK(facts("ab", "c", "x", "", 1)[0] == "ab|c|x||1|7");
  CHECK(facts("a", "bc", "x", "", 1)[0] == "a|bc|x||1|8");
  CHECK(calls == 8);
  CHECK(stats.hits == 1);
  CHECK(stats.misses == 8);
}

TEST_CASE("a full ISA facts memo starts over instead of growing", "[daemon][retrieval]") {
  int calls = 0;
  auto facts = MemoizeIsaFacts(
      [&calls](const std::string& task, const std::string&, const std::string&, const std::string&, size_t) {
        ++calls;
        return std::vector<std::string>{task};
      },
      2);
  facts("a", "", "", "", 0);
  facts("b", "", "", "", 0);
  facts("a", "", "", "", 0);
  CHECK(calls == 2);
  facts("c", "", "", "", 0);  // full: forgets a and b
  facts("c", "", "", "", 0);
  CHECK(calls == 3);
  facts("a", "", "", "", 0);
  CHECK(calls == 4);
}

TEST_CASE("routed skills are rendered once per key", "[daemon][retrieval]") {
  int calls = 0;
  RetrievalMemoStats stats;
  auto skill = MemoizeSkill(
      [&calls](const std::string& axis, const std::string& arch, const std::string& op, size_t budget) {
        ++calls;
        return axis + "|" + arch + "|" + op + "|" + std::to_string(budget);
      },
      1024, &stats);
  CHECK(skill("tiling", "sm_90a", "gemm", 6000) == "tiling|sm_90a|gemm|6000");
  CHECK(skill("tiling", "sm_90a", "gemm", 6000) == "tiling|sm_90a|gemm|6000");
  CHECK(skill("tiling", "sm_90a", "softmax", 6000) == "tiling|sm_90a|softmax|6000");
  CHECK(skill("tiling", "gfx942", "gemm", 6000) == "tiling|gfx942|gemm|6000");
  CHECK(skill("tiling", "sm_90a", "gemm", 100) == "tiling|sm_90a|gemm|100");
  CHECK(calls == 4);
  CHECK(stats.hits == 1);
  CHECK(stats.misses == 4);
}

TEST_CASE("a miss's CPU is charged to the ledger's retrieval activity, a hit's is not", "[daemon][retrieval]") {
  CpuLedger ledger;
  // Spins until this thread has used `ms` of CPU: the retrieval's cost.
  auto spin = [](double ms) {
    const int64_t until = ksearch::ThreadCpuNanos() + static_cast<int64_t>(ms * 1e6);
    volatile uint64_t x = 0;
    while (ksearch::ThreadCpuNanos() < until) x = x + 1;
  };
  auto skill = MemoizeSkill(
      [&spin](const std::string& axis, const std::string&, const std::string&, size_t) {
        spin(20);
        return axis;
      },
      1024, nullptr, &ledger);
  const auto retrieval = static_cast<size_t>(CpuActivity::kRetrieval);
  skill("tiling", "sm_90a", "gemm", 6000);
  const double after_miss = ledger.Take().seconds[retrieval];
  CHECK(after_miss >= 0.019);
  for (int i = 0; i < 100; ++i) skill("tiling", "sm_90a", "gemm", 6000);
  CHECK(ledger.Take().seconds[retrieval] == after_miss);  // hits: no scope opened
  // Only kRetrieval was charged.
  const auto s = ledger.Take();
  for (size_t i = 0; i < s.seconds.size(); ++i)
    if (i != retrieval) CHECK(s.seconds[i] == 0);
}
