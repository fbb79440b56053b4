// Tests over the checked-in corpus (isa_corpus/ in the source tree): it loads,
// every chapter cites sources, every target arch has hard rules, manifest.json
// is current, and retrieval meets the precision target on eval/retrieval_set.yaml.
#include <yaml-cpp/yaml.h>

#include <catch.hpp>
#include <cstdio>
#include <iostream>

#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/isa_corpus/manifest.h"
#include "test_paths.h"

namespace ksearch::isa_corpus {
namespace {

std::string Root() { return testing::SourceDir() + "/isa_corpus"; }

std::unique_ptr<Corpus> OpenReal() {
  CorpusOptions opts;
  opts.root = Root();
  auto c = Corpus::Open(opts);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return std::move(*c);
}

TEST_CASE("the checked-in corpus loads and every chapter cites its sources", "[isa_corpus][corpus]") {
  auto c = OpenReal();
  int amd = 0, nvidia = 0;
  for (const auto& ch : c->chapters()) {
    INFO(ch->path);
    CHECK_FALSE(ch->sources.empty());
    // Figures cite their source inline: at least one "source" mention in the text.
    CHECK(ch->body.find("source") != std::string::npos);
    amd += ch->vendor == "amd";
    nvidia += ch->vendor == "nvidia";
  }
  CHECK(amd >= 10);
  CHECK(nvidia >= 10);
}

TEST_CASE("every target architecture has hard rules", "[isa_corpus][corpus]") {
  auto c = OpenReal();
  for (const char* arch : {"sm_80", "sm_89", "sm_90a", "sm_100a", "gfx90a", "gfx942", "gfx950"}) {
    INFO(arch);
    auto rules = c->RulesFor(arch);
    REQUIRE_FALSE(rules.empty());
    for (const Chapter* r : rules) CHECK(r->vendor == (std::string(arch).rfind("gfx", 0) == 0 ? "amd" : "nvidia"));
    auto packet = c->Retrieve(RetrievalRequest{"tile the inner loop", arch, "tensor_core_instructions", "compute"}, 6000);
    REQUIRE(packet.ok());
    CHECK(packet->text.size() <= 6000);
    REQUIRE_FALSE(packet->items.empty());
    CHECK(packet->items.front().kind == PacketItem::Kind::kRule);
  }
}

TEST_CASE("manifest.json is generated from the current chapters", "[isa_corpus][corpus]") {
  auto c = OpenReal();
  Status s = CheckManifest(*c);
  INFO(s.ToString());
  CHECK(s.ok());
}

TEST_CASE("retrieval precision@3 over the retrieval set is at least 0.9", "[isa_corpus][corpus][quality]") {
  auto c = OpenReal();
  const std::string path = Root() + "/eval/retrieval_set.yaml";
  YAML::Node root;
  REQUIRE_NOTHROW(root = YAML::LoadFile(path));
  const YAML::Node queries = root["queries"];
  REQUIRE(queries.IsSequence());
  int total = 0, hits = 0, amd = 0, nvidia = 0;
  double reciprocal_rank = 0;
  for (const YAML::Node& q : queries) {
    const std::string text = q["query"].as<std::string>();
    const std::string arch = q["arch"] ? q["arch"].as<std::string>() : "";
    const auto expect = q["expect"].as<std::vector<std::string>>();
    for (const auto& id : expect) {
      INFO(path << ": query '" << text << "' expects unknown chapter " << id);
      REQUIRE(c->FindChapter(id) != nullptr);
    }
    const std::string vendor = c->FindChapter(expect[0])->vendor;
    amd += vendor == "amd";
    nvidia += vendor == "nvidia";
    auto top = c->SearchChapters(SearchQuery{text, arch, {}}, 10);
    REQUIRE(top.ok());
    ++total;
    int rank = 0;
    for (size_t i = 0; i < top->size() && rank == 0; ++i) {
      if (std::find(expect.begin(), expect.end(), (*top)[i]) != expect.end()) rank = static_cast<int>(i) + 1;
    }
    if (rank > 0) reciprocal_rank += 1.0 / rank;
    if (rank >= 1 && rank <= 3) {
      ++hits;
    } else {
      std::string got;
      for (size_t i = 0; i < top->size() && i < 3; ++i) got += (i ? ", " : "") + (*top)[i];
      std::cout << "retrieval miss: '" << text << "' [" << arch << "] expected " << expect[0] << " got [" << got
                << "]\n";
    }
  }
  const double precision = total ? static_cast<double>(hits) / total : 0;
  std::printf("retrieval: %d queries (%d amd, %d nvidia), precision@3 = %.3f (%d/%d), MRR = %.3f\n", total, amd,
              nvidia, precision, hits, total, total ? reciprocal_rank / total : 0);
  CHECK(total >= 30);
  CHECK(amd >= 10);
  CHECK(nvidia >= 10);
  CHECK(precision >= 0.9);
}

TEST_CASE("the section that answers the query ranks first within its chapter", "[isa_corpus][corpus]") {
  auto c = OpenReal();
  const std::pair<const char*, const char*> cases[] = {
      {"LDS bank conflicts padding", "amd-lds#banks-and-conflicts"},
      {"transpose read LDS for the B operand", "amd-lds#transpose-reads-on-gfx950"},
      {"register allocation granule and the waves per SIMD formula", "amd-vgpr-agpr-occupancy#occupancy-formula"},
      {"scalar loads out of order lgkmcnt", "amd-waitcnt#ordering-rules-that-make-partial-waits-legal"},
  };
  for (const auto& [query, passage] : cases) {
    auto hits = c->Search(SearchQuery{query, "gfx942", {}}, 1);
    REQUIRE(hits.ok());
    REQUIRE_FALSE(hits->empty());
    INFO(query);
    CHECK(hits->front().passage->id == passage);
  }
}

}  // namespace
}  // namespace ksearch::isa_corpus
