// Corpus::Index answers OR-queries from cached one-token results: the rows and
// their bm25 scores must be those of SQLite's own OR-query, bit for bit, or
// retrieval would rank differently from what the corpus quality test measured.
#include <catch.hpp>
#include <cstring>
#include <random>

#include "fts_index.h"
#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/isa_corpus/topics.h"
#include "test_paths.h"

namespace ksearch::isa_corpus {
namespace {

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void CheckSame(const Corpus::Index& index, const std::string& text) {
  INFO("query: " << text);
  const auto tokens = QueryTokens(text);
  for (bool chapters : {true, false}) {
    INFO((chapters ? "chapters" : "passages"));
    auto want = index.MatchExpression(chapters, BuildFtsQuery(text));
    auto got = chapters ? index.MatchChapters(tokens) : index.MatchPassages(tokens);
    REQUIRE(want.ok());
    REQUIRE(got.ok());
    std::map<int64_t, double> w, g;
    for (const auto& r : *want) w[r.rowid] = r.bm25;
    for (const auto& r : *got) g[r.rowid] = r.bm25;
    REQUIRE(g.size() == w.size());
    for (const auto& [row, score] : w) {
      REQUIRE(g.count(row) == 1);
      INFO("row " << row << ": " << score << " vs " << g[row]);
      CHECK(SameBits(g[row], score));
    }
  }
}

// The checked-in corpus, and a fresh index holding its chapters; the tokens of
// their titles go to `vocabulary` when given.
struct RealCorpusIndex {
  std::unique_ptr<Corpus> corpus;
  std::unique_ptr<Corpus::Index> index;
};
RealCorpusIndex IndexRealCorpus(std::vector<std::string>* vocabulary = nullptr) {
  CorpusOptions opts;
  opts.root = testing::SourceDir() + "/isa_corpus";
  auto corpus = Corpus::Open(opts);
  REQUIRE(corpus.ok());
  auto index = Corpus::Index::Create();
  REQUIRE(index.ok());
  for (const auto& ch : (*corpus)->chapters()) {
    int64_t row = 0;
    std::vector<int64_t> rows;
    REQUIRE((*index)->Add(*ch, &row, &rows).ok());
    if (vocabulary)
      for (const auto& t : QueryTokens(ch->title)) vocabulary->push_back(t);
  }
  return {std::move(*corpus), std::move(*index)};
}

}  // namespace

TEST_CASE("the index's cached per-token scores equal SQLite's OR-query bit for bit", "[isa_corpus][fts]") {
  std::vector<std::string> vocabulary;
  auto [corpus, index] = IndexRealCorpus(&vocabulary);
  // The queries Retrieve builds: task, axis and each routed topic's terms.
  const TopicMap& topics = corpus->topics();
  for (const auto& [axis, names] : topics.axes) {
    std::string text = "softmax " + axis;
    for (const auto& name : names)
      for (const auto& t : topics.topics.at(name).terms) text += " " + t;
    CheckSame(*index, text);
  }
  // Random mixes of corpus words, repeats and words no chapter has; the same
  // tokens asked again come from the cache.
  std::mt19937 rng(7);
  for (int q = 0; q < 40; ++q) {
    std::string text;
    for (int k = 0; k < 1 + q % 9; ++k) text += vocabulary[rng() % vocabulary.size()] + " ";
    if (q % 5 == 0) text += "zzqxnotaword ";
    CheckSame(*index, text);
    CheckSame(*index, text);
  }
  CheckSame(*index, "");
  // Adding a chapter changes IDF and lengths: the cache must not answer with old scores.
  const std::string probe = "shared memory bank conflict wgmma";
  CheckSame(*index, probe);
  Chapter extra;
  extra.id = "extra";
  extra.title = "shared memory banks again";
  extra.body = "bank conflict shared memory shared memory";
  extra.passages.push_back(Passage{"extra#1", "extra", "banks", "bank conflict shared memory"});
  int64_t row = 0;
  std::vector<int64_t> rows;
  REQUIRE(index->Add(extra, &row, &rows).ok());
  CheckSame(*index, probe);
}

TEST_CASE("a warmed index answers the routed queries without asking SQLite, with the same rows", "[isa_corpus][fts]") {
  auto [corpus, index] = IndexRealCorpus();
  const TopicMap& topics = corpus->topics();
  std::vector<std::string> queries;
  std::string all;
  for (const auto& [axis, names] : topics.axes) {
    std::string text = axis;
    for (const auto& name : names)
      for (const auto& t : topics.topics.at(name).terms) text += " " + t;
    queries.push_back(text);
    all += text + " ";
  }
  REQUIRE(index->Warm(QueryTokens(all)).ok());
  const int asked = index->sqlite_queries();
  CHECK(asked == 2 * static_cast<int>(QueryTokens(all).size()));
  for (const std::string& text : queries) {
    auto chapters = index->MatchChapters(QueryTokens(text));
    auto passages = index->MatchPassages(QueryTokens(text));
    REQUIRE(chapters.ok());
    REQUIRE(passages.ok());
    CHECK_FALSE(passages->empty());
  }
  CHECK(index->sqlite_queries() == asked);
  for (const std::string& text : queries) CheckSame(*index, text);
}

TEST_CASE("WarmRoutedTerms leaves every routed packet as it was", "[isa_corpus][fts]") {
  CorpusOptions opts;
  opts.root = testing::SourceDir() + "/isa_corpus";
  auto cold = Corpus::Open(opts);
  auto warm = Corpus::Open(opts);
  REQUIRE(cold.ok());
  REQUIRE(warm.ok());
  auto tokens = (*warm)->WarmRoutedTerms();
  REQUIRE(tokens.ok());
  CHECK(*tokens > 50);
  for (const auto& [axis, names] : (*cold)->topics().axes) {
    for (const char* bottleneck : {"", "memory", "compute"}) {
      RetrievalRequest req{"softmax " + axis, "sm_90a", axis, bottleneck, 6};
      auto a = (*cold)->Retrieve(req, 6000);
      auto b = (*warm)->Retrieve(req, 6000);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      INFO(axis << " / " << bottleneck);
      CHECK(a->text == b->text);
    }
  }
}

}  // namespace ksearch::isa_corpus
