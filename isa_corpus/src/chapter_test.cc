#include "ksearch/isa_corpus/chapter.h"

#include <catch.hpp>

namespace ksearch::isa_corpus {
namespace {

const char* kGood = R"(---
id: hopper-wgmma
title: Hopper warpgroup MMA
vendor: nvidia
archs: [sm_90a]
topics: [wgmma]
terms: [wgmma.mma_async]
sources: ["NVIDIA PTX ISA"]
---
Intro text.

## Operand sources
B comes from shared memory.

## Operand sources
Again.
)";

TEST_CASE("chapter front matter is parsed and the body split into passages", "[isa_corpus]") {
  auto ch = ParseChapter(kGood, "wgmma.md", FrontMatter::kRequired);
  REQUIRE(ch.ok());
  CHECK(ch->id == "hopper-wgmma");
  CHECK(ch->vendor == "nvidia");
  CHECK(ch->archs == std::vector<std::string>{"sm_90a"});
  CHECK(ch->terms == std::vector<std::string>{"wgmma.mma_async"});
  REQUIRE(ch->passages.size() == 3);
  CHECK(ch->passages[0].id == "hopper-wgmma#intro");
  CHECK(ch->passages[1].id == "hopper-wgmma#operand-sources");
  CHECK(ch->passages[1].heading == "Operand sources");
  CHECK(ch->passages[1].text.find("B comes from shared memory.") != std::string::npos);
  CHECK(ch->passages[2].id == "hopper-wgmma#operand-sources-2");
}

TEST_CASE("chapter errors name the file, line and field", "[isa_corpus]") {
  SECTION("missing front matter") {
    auto ch = ParseChapter("# Title\ntext\n", "chapters/amd/x.md", FrontMatter::kRequired);
    REQUIRE_FALSE(ch.ok());
    CHECK(ch.status().message().find("chapters/amd/x.md:1:1: front matter: missing") != std::string::npos);
  }
  SECTION("unterminated front matter") {
    auto ch = ParseChapter("---\nid: x\n", "x.md", FrontMatter::kRequired);
    REQUIRE_FALSE(ch.ok());
    CHECK(ch.status().message().find("no closing '---'") != std::string::npos);
  }
  SECTION("unknown key, bad vendor and missing field are all reported with lines") {
    std::string text =
        "---\nid: ok-id\ntitle: T\nvendor: intel\narchs: [all]\ntopics: [x]\nsources: [s]\nfoo: 1\n---\nbody\n";
    auto ch = ParseChapter(text, "c.md", FrontMatter::kRequired);
    REQUIRE_FALSE(ch.ok());
    const std::string& m = ch.status().message();
    CHECK(m.find("c.md:8:1: foo: unknown key") != std::string::npos);
    CHECK(m.find("c.md:4:9: vendor: expected nvidia or amd, got 'intel'") != std::string::npos);
  }
  SECTION("missing required field and bad id") {
    auto ch = ParseChapter("---\nid: Bad_Id\ntitle: T\nvendor: amd\narchs: [all]\ntopics: [x]\n---\n", "c.md",
                           FrontMatter::kRequired);
    REQUIRE_FALSE(ch.ok());
    const std::string& m = ch.status().message();
    CHECK(m.find("sources: missing required field") != std::string::npos);
    CHECK(m.find("c.md:2:5: id: 'Bad_Id' must match") != std::string::npos);
  }
  SECTION("archs must be a list") {
    auto ch = ParseChapter("---\nid: a\ntitle: T\nvendor: amd\narchs: gfx942\ntopics: [x]\nsources: [s]\n---\n",
                           "c.md", FrontMatter::kRequired);
    REQUIRE_FALSE(ch.ok());
    CHECK(ch.status().message().find("c.md:5:8: archs: expected a list") != std::string::npos);
  }
  SECTION("YAML syntax error carries the file line") {
    auto ch = ParseChapter("---\nid: a\ntitle: [unclosed\n---\n", "c.md", FrontMatter::kRequired);
    REQUIRE_FALSE(ch.ok());
    CHECK(ch.status().message().find("c.md:") == 0);
    CHECK(ch.status().message().find("yaml:") != std::string::npos);
  }
}

TEST_CASE("user documents may omit front matter", "[isa_corpus]") {
  auto ch = ParseChapter("# Split-K notes\n\n## Reduction\nuse a second pass\n", "notes.md", FrontMatter::kOptional,
                         "Team Notes");
  REQUIRE(ch.ok());
  CHECK(ch->id == "user-team-notes");
  CHECK(ch->title == "Split-K notes");
  CHECK(ch->vendor.empty());
  CHECK(ch->archs == std::vector<std::string>{"all"});
  // The intro holds only the "# " title line, so it is not a passage.
  REQUIRE(ch->passages.size() == 1);
  CHECK(ch->passages[0].id == "user-team-notes#reduction");
}

TEST_CASE("an intro with text besides the title is a passage", "[isa_corpus]") {
  auto ps = SplitPassages("c", "# Title\n\nSome facts.\n## A\nx\n");
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].id == "c#intro");
  CHECK(SplitPassages("c", "# Title\n\n## A\nx\n").size() == 1);
}

TEST_CASE("headings inside code fences do not split passages", "[isa_corpus]") {
  auto ps = SplitPassages("c", "## A\n```\n## not a heading\n```\ntext\n## B\nmore\n");
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].text.find("## not a heading") != std::string::npos);
  CHECK(ps[1].id == "c#b");
}

TEST_CASE("slugs and ids", "[isa_corpus]") {
  CHECK(Slugify("LDS banks & transpose reads") == "lds-banks-transpose-reads");
  CHECK(Slugify("  s_waitcnt: vmcnt ") == "s-waitcnt-vmcnt");
  CHECK(Slugify("!!!") == "section");
  CHECK(IsValidId("cdna3-mfma"));
  CHECK_FALSE(IsValidId("CDNA3"));
  CHECK_FALSE(IsValidId("-x"));
  CHECK_FALSE(IsValidId(""));
}

}  // namespace
}  // namespace ksearch::isa_corpus
