#include "ksearch/isa_corpus/topics.h"

#include <catch.hpp>

namespace ksearch::isa_corpus {
namespace {

TEST_CASE("topics.yaml routes axes and bottlenecks to topics", "[isa_corpus]") {
  auto map = ParseTopics(R"(
topics:
  wgmma: {chapters: [a], terms: [wgmma], facts: ["f1"]}
  mfma: {chapters: [b]}
  smem_banks: {chapters: [c]}
axes:
  tensor_cores: [wgmma, mfma]
bottlenecks:
  compute: [mfma, smem_banks]
)", "topics.yaml");
  REQUIRE(map.ok());
  CHECK(map->topics.at("wgmma").facts == std::vector<std::string>{"f1"});
  CHECK(map->Route("tensor_cores", "") == std::vector<std::string>{"wgmma", "mfma"});
  // Axis topics first, duplicates removed.
  CHECK(map->Route("tensor_cores", "compute") == std::vector<std::string>{"wgmma", "mfma", "smem_banks"});
  CHECK(map->Route("unknown_axis", "").empty());
}

TEST_CASE("topics.yaml errors name line and key", "[isa_corpus]") {
  auto map = ParseTopics("topics:\n  a: {chapters: [x]}\naxes:\n  tiling: [a, nope]\nextra: 1\n", "t.yaml");
  REQUIRE_FALSE(map.ok());
  const std::string& m = map.status().message();
  CHECK(m.find("t.yaml:4:11: axes.tiling: unknown topic 'nope'") != std::string::npos);
  CHECK(m.find("t.yaml:5:1: extra: unknown key") != std::string::npos);
}

TEST_CASE("topic without chapters is rejected", "[isa_corpus]") {
  auto map = ParseTopics("topics:\n  a: {terms: [x]}\n", "t.yaml");
  REQUIRE_FALSE(map.ok());
  CHECK(map.status().message().find("chapters: missing required field") != std::string::npos);
}

}  // namespace
}  // namespace ksearch::isa_corpus
