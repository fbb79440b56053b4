#include "service/blob_cache.h"

#include <catch.hpp>

using ksearch::daemon::BlobCache;

TEST_CASE("a blob cache returns what was put and counts hits and misses", "[daemon][blob_cache]") {
  BlobCache cache(1000);
  CHECK(cache.Find("h1") == nullptr);
  cache.Put("h1", "source one");
  const std::string* got = cache.Find("h1");
  REQUIRE(got != nullptr);
  CHECK(*got == "source one");
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 1);
  CHECK(cache.bytes() == 10);
  // A hash already kept keeps its first content (blobs are content-addressed).
  cache.Put("h1", "something else");
  CHECK(*cache.Find("h1") == "source one");
  CHECK(cache.entries() == 1);
  // No hash, nothing kept.
  cache.Put("", "orphan");
  CHECK(cache.entries() == 1);
}

TEST_CASE("a blob cache drops the least recently used entries past its byte budget", "[daemon][blob_cache]") {
  BlobCache cache(400);  // entries up to 100 bytes
  cache.Put("a", std::string(100, 'a'));
  cache.Put("b", std::string(100, 'b'));
  cache.Put("c", std::string(100, 'c'));
  cache.Put("d", std::string(100, 'd'));
  CHECK(cache.bytes() == 400);
  REQUIRE(cache.Find("a") != nullptr);  // a is now the most recently used
  cache.Put("e", std::string(100, 'e'));  // over budget: b, the least recent, goes
  CHECK(cache.Find("b") == nullptr);
  CHECK(cache.Find("a") != nullptr);
  CHECK(cache.Find("c") != nullptr);
  CHECK(cache.Find("e") != nullptr);
  CHECK(cache.bytes() == 400);
  CHECK(cache.entries() == 4);
  // A blob over a quarter of the budget is not kept, and pushes nothing out.
  cache.Put("big", std::string(101, 'x'));
  CHECK(cache.Find("big") == nullptr);
  CHECK(cache.entries() == 4);
}
