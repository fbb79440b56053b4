#include "ksearch/isa_corpus/corpus.h"

#include <catch.hpp>
#include <filesystem>
#include <fstream>

#include "ksearch/isa_corpus/manifest.h"
#include "test_paths.h"

namespace ksearch::isa_corpus {
namespace {

using testing::TestData;
namespace fs = std::filesystem;

std::unique_ptr<Corpus> OpenMini(CorpusOptions opts = {}) {
  opts.root = TestData("mini");
  auto c = Corpus::Open(opts);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return std::move(*c);
}

std::vector<std::string> Chapters(const Corpus& c, const std::string& q, const std::string& arch, int k = 3) {
  auto r = c.SearchChapters(SearchQuery{q, arch, {}}, k);
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("corpus loads chapters, rules and topics from a root", "[isa_corpus]") {
  auto c = OpenMini();
  CHECK(c->chapters().size() == 4);
  CHECK(c->FindChapter("fx-cdna3-mfma") != nullptr);
  CHECK(c->FindPassage("fx-ampere-smem#banks-2") != nullptr);
  REQUIRE(c->rules().size() == 2);
  // A rules file without front matter takes vendor and arch from its name.
  const Chapter* amd = c->FindChapter("rules-amd-gfx942");
  REQUIRE(amd != nullptr);
  CHECK(amd->vendor == "amd");
  CHECK(amd->archs == std::vector<std::string>{"gfx942"});
}

TEST_CASE("search ranks by BM25 and filters by target arch", "[isa_corpus]") {
  auto c = OpenMini();
  CHECK(Chapters(*c, "wgmma operand from shared memory descriptor", "")[0] == "fx-hopper-wgmma");
  CHECK(Chapters(*c, "v_mfma_f32_32x32x8_f16 accumulator", "gfx942")[0] == "fx-cdna3-mfma");
  SECTION("sm_90a sees sm_90 and sm_90a chapters and generic NVIDIA ones, never gfx") {
    auto r = Chapters(*c, "shared memory bank wgmma shfl mfma accumulator", "sm_90a", 10);
    CHECK(std::find(r.begin(), r.end(), "fx-hopper-wgmma") != r.end());
    CHECK(std::find(r.begin(), r.end(), "fx-ampere-smem") != r.end());
    CHECK(std::find(r.begin(), r.end(), "fx-ptx-shfl") != r.end());
    CHECK(std::find(r.begin(), r.end(), "fx-cdna3-mfma") == r.end());
  }
  SECTION("sm_90 does not see sm_90a-only chapters") {
    auto r = Chapters(*c, "wgmma warpgroup", "sm_90", 10);
    CHECK(std::find(r.begin(), r.end(), "fx-hopper-wgmma") == r.end());
  }
  SECTION("gfx942 sees no NVIDIA chapter") {
    for (const auto& id : Chapters(*c, "shared memory bank wgmma shfl mfma", "gfx942", 10)) {
      CHECK(c->FindChapter(id)->vendor == "amd");
    }
  }
  SECTION("a query of only stop words or punctuation matches nothing, without error") {
    CHECK(Chapters(*c, "what is the ???", "").empty());
    // FTS5 operators and quotes in user text are neutralised, not a syntax error.
    auto r = c->SearchChapters(SearchQuery{"\"NEAR( AND * ^ OR", "", {}}, 3);
    REQUIRE(r.ok());
    CHECK(r->empty());
  }
}

TEST_CASE("retrieve puts the arch's hard rules first and stays in budget", "[isa_corpus]") {
  auto c = OpenMini();
  RetrievalRequest req{"accumulator registers", "gfx942", "tensor_cores", "compute"};
  auto p = c->Retrieve(req, 4096);
  REQUIRE(p.ok());
  REQUIRE(p->items.size() >= 3);
  CHECK(p->items[0].kind == PacketItem::Kind::kRule);
  CHECK(p->items[0].source == "rules-amd-gfx942");
  CHECK(p->text.rfind("## Hard rules:", 0) == 0);
  CHECK(p->text.find("Wavefront size is 64 lanes.") != std::string::npos);
  CHECK(p->topics == std::vector<std::string>{"wgmma", "mfma"});
  // The wgmma topic's chapters are all NVIDIA: its facts are left out on gfx942.
  CHECK(p->text.find("wgmma needs sm_90a") == std::string::npos);
  CHECK(p->text.find("MFMA runs on wave64") != std::string::npos);
  bool has_mfma = false;
  for (const auto& item : p->items) {
    if (item.kind == PacketItem::Kind::kPassage) {
      CHECK(c->FindChapter(c->FindPassage(item.source)->chapter_id)->vendor != "nvidia");
      has_mfma |= item.source.rfind("fx-cdna3-mfma#", 0) == 0;
    }
  }
  CHECK(has_mfma);
  CHECK(p->text.find("Shared memory per block") == std::string::npos);  // NVIDIA rules absent

  SECTION("every budget is respected") {
    for (size_t budget : {0, 10, 60, 100, 200, 400, 800, 2000}) {
      auto small = c->Retrieve(req, budget);
      REQUIRE(small.ok());
      CHECK(small->text.size() <= budget);
    }
  }
  SECTION("rules larger than the budget are cut at a line and flagged") {
    auto cut = c->Retrieve(req, 90);
    REQUIRE(cut.ok());
    CHECK(cut->truncated);
    CHECK(cut->text.find("rules truncated") != std::string::npos);
    CHECK(cut->items.size() == 1);
  }
}

TEST_CASE("retrieve routes by axis alone when the query is empty", "[isa_corpus]") {
  auto c = OpenMini();
  auto p = c->Retrieve(RetrievalRequest{"", "sm_90a", "tensor_cores", ""}, 4096);
  REQUIRE(p.ok());
  CHECK(p->items.front().source == "rules-sm90");  // sm_90 rules apply to sm_90a
  bool wgmma = false;
  for (const auto& item : p->items) wgmma |= item.source.rfind("fx-hopper-wgmma#", 0) == 0;
  CHECK(wgmma);
  CHECK(p->text.find("fixture fact: wgmma needs sm_90a") != std::string::npos);
}

TEST_CASE("user markdown is searchable next to the corpus", "[isa_corpus]") {
  CorpusOptions opts;
  opts.markdown_dirs = {TestData("userdocs")};
  auto c = OpenMini(opts);
  CHECK(Chapters(*c, "split-K reduction second pass", "sm_80")[0] == "user-notes");
  CHECK(Chapters(*c, "LDS padding ds_read_b128", "gfx942")[0] == "team-amd-tip");
  CHECK(Chapters(*c, "LDS padding ds_read_b128", "sm_90a").empty());
}

CorpusOptions Root(const fs::path& dir) {
  CorpusOptions o;
  o.root = dir.string();
  return o;
}

TEST_CASE("corpus open errors name the file", "[isa_corpus]") {
  const fs::path dir = fs::temp_directory_path() / ("isa_corpus_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "chapters");
  auto write = [&](const fs::path& p, const std::string& s) { std::ofstream(dir / p) << s; };
  const std::string chapter = "---\nid: one\ntitle: T\nvendor: amd\narchs: [all]\ntopics: [t]\nsources: [s]\n---\nx\n";
  SECTION("topics.yaml missing") {
    auto c = Corpus::Open(Root(dir));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("topics.yaml") != std::string::npos);
  }
  SECTION("topic naming a chapter that does not exist") {
    write("topics.yaml", "topics:\n  t: {chapters: [one, ghost]}\n");
    write("chapters/one.md", chapter);
    auto c = Corpus::Open(Root(dir));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("topics.t: unknown chapter 'ghost'") != std::string::npos);
  }
  SECTION("duplicate chapter ids") {
    write("topics.yaml", "topics:\n  t: {chapters: [one]}\n");
    write("chapters/one.md", chapter);
    write("chapters/two.md", chapter);
    auto c = Corpus::Open(Root(dir));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("two.md: id 'one' already used by") != std::string::npos);
  }
  SECTION("badly named rules file") {
    write("topics.yaml", "topics:\n  t: {chapters: [one]}\n");
    write("chapters/one.md", chapter);
    fs::create_directories(dir / "rules");
    write("rules/hopper.md", "- a rule\n");
    auto c = Corpus::Open(Root(dir));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("hopper.md: rules file needs front matter") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("manifest is deterministic and detects a stale file", "[isa_corpus]") {
  auto c = OpenMini();
  const std::string m = BuildManifest(*c);
  CHECK(m == BuildManifest(*c));
  CHECK(m.find("\"id\": \"fx-ampere-smem\"") != std::string::npos);
  CHECK(m.find("\"path\": \"chapters/amd/cdna3_mfma.md\"") != std::string::npos);
  CHECK(m.find("banks-2") != std::string::npos);
  // The fixture root has no manifest.json checked in.
  CHECK(CheckManifest(*c).IsNotFound());
}

}  // namespace
}  // namespace ksearch::isa_corpus
