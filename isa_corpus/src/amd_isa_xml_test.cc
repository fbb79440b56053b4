#include "amd_isa_xml.h"

#include <catch.hpp>

#include "ksearch/isa_corpus/corpus.h"
#include "test_paths.h"

namespace ksearch::isa_corpus {
namespace {

using testing::TestData;

TEST_CASE("AMD ISA XML becomes one chapter with a passage per instruction", "[isa_corpus]") {
  auto ch = ParseAmdIsaXml(TestData("amd_isa_sample.xml"), "");
  INFO(ch.status().ToString());
  REQUIRE(ch.ok());
  CHECK(ch->id == "amd-isa-xml-amd-cdna-3");
  CHECK(ch->vendor == "amd");
  CHECK(ch->archs == std::vector<std::string>{"gfx942"});
  REQUIRE(ch->passages.size() == 3);
  CHECK(ch->passages[0].id == "amd-isa-xml-amd-cdna-3#v-mfma-f32-32x32x8-f16");
  CHECK(ch->passages[0].heading == "V_MFMA_F32_32X32X8_F16");
  // Wrapped description whitespace is collapsed; the functional group is kept.
  CHECK(ch->passages[0].text.find("half-precision inputs") != std::string::npos);
  CHECK(ch->passages[0].text.find("VALU/MATRIX") != std::string::npos);
}

TEST_CASE("architecture names map to gfx targets", "[isa_corpus]") {
  CHECK(GfxForArchitectureName("AMD CDNA 3") == "gfx942");
  CHECK(GfxForArchitectureName("CDNA2") == "gfx90a");
  CHECK(GfxForArchitectureName("AMD CDNA 4") == "gfx950");
  CHECK(GfxForArchitectureName("RDNA 3").empty());
}

TEST_CASE("ingested AMD XML is searchable with the arch filter", "[isa_corpus]") {
  auto c = Corpus::CreateEmpty(TopicMap{});
  REQUIRE(c.ok());
  REQUIRE((*c)->AddAmdIsaXml(TestData("amd_isa_sample.xml")).ok());
  auto hits = (*c)->Search(SearchQuery{"s_waitcnt counters", "gfx942", {}}, 3);
  REQUIRE(hits.ok());
  REQUIRE_FALSE(hits->empty());
  CHECK(hits->front().passage->heading == "S_WAITCNT");
  auto none = (*c)->Search(SearchQuery{"s_waitcnt", "sm_90a", {}}, 3);
  REQUIRE(none.ok());
  CHECK(none->empty());
  SECTION("arch override") {
    auto c2 = Corpus::CreateEmpty(TopicMap{});
    REQUIRE((*c2)->AddAmdIsaXml(TestData("amd_isa_sample.xml"), "gfx950").ok());
    CHECK((*c2)->chapters()[0]->archs == std::vector<std::string>{"gfx950"});
  }
}

TEST_CASE("bad AMD XML is rejected naming the file", "[isa_corpus]") {
  auto missing = ParseAmdIsaXml(TestData("no_such.xml"), "");
  CHECK(missing.status().IsNotFound());
  auto bad = ParseAmdIsaXml(TestData("bad_isa.xml"), "");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("bad_isa.xml") != std::string::npos);
  auto not_spec = ParseAmdIsaXml(TestData("mini/topics.yaml"), "");
  REQUIRE_FALSE(not_spec.ok());
  CHECK(not_spec.status().message().find("topics.yaml") != std::string::npos);
}

}  // namespace
}  // namespace ksearch::isa_corpus
