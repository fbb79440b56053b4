#include "ksearch/core/json_text.h"

#include <catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

using ksearch::AppendJsonString;

// What nlohmann writes for `s`: the reference AppendJsonString must match.
std::string NlohmannText(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Ours(const std::string& s) {
  std::string out = "prefix:";  // appends, never rewrites what was there
  AppendJsonString(out, s);
  REQUIRE(out.rfind("prefix:", 0) == 0);
  return out.substr(7);
}

}  // namespace

TEST_CASE("AppendJsonString writes every single byte as nlohmann does", "[json_text]") {
  for (int b = 0; b < 256; ++b) {
    const std::string s = std::string("a") + static_cast<char>(b) + "z";
    INFO("byte " << b);
    CHECK(Ours(s) == NlohmannText(s));
  }
}

TEST_CASE("AppendJsonString escapes control characters, quotes and backslashes", "[json_text]") {
  CHECK(Ours("say \"hi\"\\\n\t\r\b\f") == R"("say \"hi\"\\\n\t\r\b\f")");
  CHECK(Ours(std::string("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\x7f\"");
  CHECK(Ours(std::string("nul\0byte", 8)) == "\"nul\\u0000byte\"");
  CHECK(Ours("") == "\"\"");
}

TEST_CASE("AppendJsonString passes valid UTF-8 through and replaces invalid sequences", "[json_text]") {
  const std::string valid = "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x80 \xEF\xBF\xBF \xF4\x8F\xBF\xBF";
  CHECK(Ours(valid) == "\"" + valid + "\"");
  CHECK(Ours(valid) == nlohmann::json(valid).dump());  // the strict default agrees
  // Overlong, surrogate, above U+10FFFF, stray continuation, cut at the end.
  for (const std::string bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80", "ok \xE2\x82"}) {
    INFO("invalid sequence of " << bad.size() << " bytes");
    const std::string s = "x" + bad + "\"y";
    CHECK_THROWS(nlohmann::json(s).dump());  // what the caller no longer risks
    CHECK(Ours(s) == NlohmannText(s));
    CHECK(Ours(s).find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD
  }
}

TEST_CASE("AppendJsonString matches nlohmann on random mixed text", "[json_text]") {
  // Fragments a prompt can hold (source, prose, escapes, non-ASCII) and a few
  // that are not UTF-8, in random order.
  const std::vector<std::string> pieces = {
      "for (int i = 0; i < n; ++i) {", "\n", "\t", "\"", "\\", "  ", "x", "\xC3\xA9", "\xE2\x88\x91",
      "\xF0\x9F\x94\xA5", std::string("\0", 1), "\x1b[0m", "\x7f", "}", "\xFF", "\xC3", "\xED\xBF\xBF"};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1), len(0, 200);
  int invalid = 0;
  for (int t = 0; t < 2000; ++t) {
    std::string s;
    const size_t n = len(rng);
    // Half the strings draw only from the valid fragments (the first 14).
    const bool valid_only = t % 2 == 0;
    for (size_t k = 0; k < n; ++k) {
      size_t p = pick(rng);
      if (valid_only) p %= 14;
      s += pieces[p];
    }
    const std::string want = NlohmannText(s);
    if (want.find("\xEF\xBF\xBD") != std::string::npos) ++invalid;
    INFO("case " << t);
    REQUIRE(Ours(s) == want);
  }
  CHECK(invalid > 100);  // the invalid inputs were really exercised
}

TEST_CASE("AppendJsonNumber reads back as the same double, always a float", "[json_text]") {
  std::mt19937_64 rng(7);
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    std::string text;
    ksearch::AppendJsonNumber(text, v);
    const auto j = nlohmann::json::parse(text);
    INFO(text);
    REQUIRE(j.is_number_float());
    REQUIRE(j.get<double>() == v);
    ++checked;
  }
  CHECK(checked > 19000);
  for (double v : {0.0, -0.0, 1.0, 120.0, 1e21, 0.1, 2.5e-7, -3.0}) {
    std::string text;
    ksearch::AppendJsonNumber(text, v);
    const auto j = nlohmann::json::parse(text);
    CHECK(j.is_number_float());
    CHECK(j.get<double>() == v);
  }
  std::string text;
  ksearch::AppendJsonNumber(text, 120.0);
  CHECK(text == "120.0");
  text.clear();
  ksearch::AppendJsonNumber(text, std::numeric_limits<double>::quiet_NaN());
  ksearch::AppendJsonNumber(text, std::numeric_limits<double>::infinity());
  CHECK(text == "nullnull");  // as dump() writes them
}

TEST_CASE("JsonObjectText writes members in call order", "[json_text]") {
  const std::string text = ksearch::JsonObjectText()
                               .Member("s", "a\"b")
                               .Member("d", 0.5)
                               .Member("u", uint64_t{18446744073709551615ull})
                               .Member("b", false)
                               .Member("l", std::vector<std::string>{"x", "y"})
                               .Member("n", std::vector<double>{})
                               .RawMember("o", ksearch::JsonObjectText().Member("k", true).Take())
                               .Take();
  CHECK(text == R"({"s":"a\"b","d":0.5,"u":18446744073709551615,"b":false,"l":["x","y"],"n":[],"o":{"k":true}})");
  CHECK(ksearch::JsonObjectText().Take() == "{}");
}
