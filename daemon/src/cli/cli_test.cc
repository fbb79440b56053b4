#include "cli/cli.h"

#include <catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using ksearch::cli::Args;

Args Parse(std::vector<std::string> argv) {
  auto a = Args::Parse(argv, {"json"});
  REQUIRE(a.ok());
  return *a;
}

}  // namespace

TEST_CASE("numeric options parse the whole value and name the option when they cannot", "[cli]") {
  SECTION("absent: the fallback") {
    Args a = Parse({"x"});
    CHECK(*a.GetInt("limit", 10, 1, 100) == 10);
    CHECK(*a.GetUint64("seed", 7) == 7);
    CHECK(*a.GetDouble("timeout", 60, 0.1, 86400) == 60);
  }
  SECTION("well-formed values in range") {
    Args a = Parse({"--limit", "25", "--seed=18446744073709551615", "--timeout", "2.5"});
    CHECK(*a.GetInt("limit", 10, 1, 100) == 25);
    CHECK(*a.GetUint64("seed", 0) == UINT64_MAX);
    CHECK(*a.GetDouble("timeout", 60, 0.1, 86400) == 2.5);
  }
  SECTION("trailing bytes, signs and words are refused") {
    for (const char* bad : {"10abc", "", " 10", "+10", "ten", "0x10"}) {
      Args a = Parse({"--limit", bad});
      auto r = a.GetInt("limit", 10, 1, 100);
      INFO(bad);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().IsInvalidArgument());
      CHECK(r.status().message() == "--limit: '" + std::string(bad) + "' is not an integer from 1 to 100");
    }
  }
  SECTION("a negative seed is not wrapped around") {
    auto r = Parse({"--seed", "-5"}).GetUint64("seed", 0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("--seed: '-5' is not an integer from 0 to") == 0);
  }
  SECTION("out of range, overflow, NaN and infinity are refused") {
    CHECK_FALSE(Parse({"--limit", "0"}).GetInt("limit", 10, 1, 100).ok());
    CHECK_FALSE(Parse({"--limit", "101"}).GetInt("limit", 10, 1, 100).ok());
    CHECK_FALSE(Parse({"--limit", "99999999999999999999999"}).GetInt("limit", 10, 1, 100).ok());
    CHECK_FALSE(Parse({"--seed", "18446744073709551616"}).GetUint64("seed", 0).ok());
    for (const char* bad : {"nan", "inf", "1e999", "0", "-1", "2.5s"}) {
      INFO(bad);
      CHECK_FALSE(Parse({"--timeout", bad}).GetDouble("timeout", 60, 0.1, 86400).ok());
    }
  }
}
