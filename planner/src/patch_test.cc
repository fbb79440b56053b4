#include <catch.hpp>

#include "ksearch/planner/patch.h"

using namespace ksearch::planner;

namespace {
const std::string kSrc =
    "__global__ void k(float* y, const float* x, int n) {\n"
    "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "  if (i < n) {\n"
    "    y[i] = x[i] * 2.0f;\n"
    "  }\n"
    "}\n";

std::string Reply(const std::string& search, const std::string& replace) {
  return "Summary: double to triple\n<<<<<<< SEARCH\n" + search + "\n=======\n" + replace +
         "\n>>>>>>> REPLACE\n";
}
}  // namespace

TEST_CASE("exact SEARCH/REPLACE applies and keeps the rest", "[planner][patch]") {
  auto r = ParseReply(Reply("    y[i] = x[i] * 2.0f;", "    y[i] = x[i] * 3.0f;"));
  REQUIRE(r.ok());
  CHECK(r->summary == "double to triple");
  REQUIRE(r->blocks.size() == 1);
  auto out = ApplyReply(kSrc, *r);
  REQUIRE(out.ok());
  std::string want = kSrc;
  want.replace(want.find("2.0f"), 4, "3.0f");
  CHECK(*out == want);
}

TEST_CASE("indentation and whitespace drift is tolerated and re-indented", "[planner][patch]") {
  // The model lost two levels of indentation and doubled a space.
  auto r = ParseReply(Reply("if (i < n) {\n  y[i] =  x[i] * 2.0f;\n}",
                            "if (i < n) {\n  y[i] = x[i] * 3.0f;\n  y[i] += 1.0f;\n}"));
  REQUIRE(r.ok());
  auto out = ApplyReply(kSrc, *r);
  REQUIRE(out.ok());
  CHECK(out->find("  if (i < n) {\n    y[i] = x[i] * 3.0f;\n    y[i] += 1.0f;\n  }\n}") !=
        std::string::npos);
  CHECK(out->find("2.0f") == std::string::npos);
}

TEST_CASE("exact about everything but whitespace", "[planner][patch]") {
  auto r = ParseReply(Reply("    y[i] = x[i] * 2.0;", "    y[i] = x[i] * 3.0f;"));
  REQUIRE(r.ok());
  auto out = ApplyReply(kSrc, *r);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message() ==
        "block 1 of 1 matches nothing; first search line: 'y[i] = x[i] * 2.0;'");
}

TEST_CASE("a block matching twice is a patch failure naming both places", "[planner][patch]") {
  std::string src = "a = 1;\nb = 2;\n  a = 1;\n";
  auto r = ParseReply(Reply("a = 1;", "a = 5;"));
  REQUIRE(r.ok());
  auto out = ApplyReply(src, *r);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message().find("block 1 of 1 matches more than one place") == 0);
  SECTION("drift-tolerant double match") {
    auto r2 = ParseReply(Reply("a  =  1;", "a = 5;"));
    auto out2 = ApplyReply(src, *r2);
    REQUIRE_FALSE(out2.ok());
    CHECK(out2.status().message().find("matches 2 places (source lines 1 and 3)") != std::string::npos);
  }
}

TEST_CASE("blocks apply in order; a later failing block fails the patch", "[planner][patch]") {
  std::string reply = Reply("    y[i] = x[i] * 2.0f;", "    y[i] = x[i] * 4.0f;") +
                      Reply("    y[i] = x[i] * 4.0f;", "    y[i] = x[i] * 8.0f;");
  auto r = ParseReply(reply);
  REQUIRE(r.ok());
  REQUIRE(r->blocks.size() == 2);
  auto out = ApplyReply(kSrc, *r);
  REQUIRE(out.ok());
  CHECK(out->find("8.0f") != std::string::npos);
  auto bad = ParseReply(reply + Reply("nothing like this", "x"));
  auto out2 = ApplyReply(kSrc, *bad);
  REQUIRE_FALSE(out2.ok());
  CHECK(out2.status().message().find("block 3 of 3 matches nothing") == 0);
}

TEST_CASE("whole file fallback", "[planner][patch]") {
  auto r = ParseReply("Summary: rewrite\nHere it is:\n```cuda\nint main() {}\n```\nDone.");
  REQUIRE(r.ok());
  CHECK(r->is_whole_file);
  auto out = ApplyReply(kSrc, *r);
  REQUIRE(out.ok());
  CHECK(*out == "int main() {}\n");
}

TEST_CASE("unparsable replies say why", "[planner][patch]") {
  CHECK(ParseReply("I think you should use shared memory.").status().message() ==
        "reply has no SEARCH/REPLACE block and no fenced code block");
  CHECK(ParseReply("```\na\n```\n```\nb\n```").status().message().find("2 code blocks") !=
        std::string::npos);
  CHECK(ParseReply("<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n").status().message().find(
            "has no ======= divider") != std::string::npos);
  CHECK(ParseReply("<<<<<<< SEARCH\nx\n=======\ny\n").status().message().find(
            "no >>>>>>> REPLACE terminator") != std::string::npos);
  CHECK(ParseReply("<<<<<<< SEARCH\n\n=======\ny\n>>>>>>> REPLACE\n").status().message().find(
            "empty search part") != std::string::npos);
}

TEST_CASE("a patch that changes nothing fails", "[planner][patch]") {
  auto r = ParseReply(Reply("    y[i] = x[i] * 2.0f;", "    y[i] = x[i] * 2.0f;"));
  auto out = ApplyReply(kSrc, *r);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message() == "the patch leaves the source unchanged");
}

TEST_CASE("markers are read through surrounding whitespace, not through gaps inside them", "[planner][patch]") {
  // Padded markers, a tab-padded divider and a padded summary line parse.
  auto r = ParseReply("  Summary:   triple \t it \n \t<<<<<<<   SEARCH  \n    y[i] = x[i] * 2.0f;\n\t=======\t\n"
                      "    y[i] = x[i] * 3.0f;\n   >>>>>>>  REPLACE\r\n");
  REQUIRE(r.ok());
  CHECK(r->summary == "triple it");
  REQUIRE(r->blocks.size() == 1);
  CHECK(r->blocks[0].search == "    y[i] = x[i] * 2.0f;");
  CHECK(r->blocks[0].replace == "    y[i] = x[i] * 3.0f;");
  // A gap inside the run of '<' leaves four, not a marker: no block, no fence.
  auto gap = ParseReply("<<<< <<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n");
  CHECK_FALSE(gap.ok());
  // "=== ==" is not a divider: the block has none.
  auto split = ParseReply("<<<<<<< SEARCH\nx\n=== ==\ny\n>>>>>>> REPLACE\n");
  REQUIRE_FALSE(split.ok());
  CHECK(split.status().message().find("no ======= divider") != std::string::npos);
  // A fence closed by a padded ``` line is one whole-file block.
  auto fenced = ParseReply("  ```cuda\nint x;\n  ```  \n");
  REQUIRE(fenced.ok());
  CHECK(fenced->is_whole_file);
  CHECK(fenced->whole_file == "int x;\n");
  // A search part of blanks only is refused.
  auto blank = ParseReply("<<<<<<< SEARCH\n \t\n=======\ny\n>>>>>>> REPLACE\n");
  REQUIRE_FALSE(blank.ok());
  CHECK(blank.status().message().find("empty search part") != std::string::npos);
}

TEST_CASE("a CRLF reply with blank lines splits as a LF one does", "[planner][patch]") {
  // Lines end at '\n' with any '\r' before it dropped; a blank line is a
  // line; a last newline does not make one more.
  std::string lf = "Summary: blank lines kept\n<<<<<<< SEARCH\n  if (i < n) {\n\n=======\n  if (i < n) {\n"
                   "    // checked\n\n>>>>>>> REPLACE\n";
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  auto a = ParseReply(lf);
  auto b = ParseReply(crlf);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->summary == "blank lines kept");
  CHECK(b->summary == a->summary);
  REQUIRE(a->blocks.size() == 1);
  REQUIRE(b->blocks.size() == 1);
  CHECK(a->blocks[0].search == "  if (i < n) {\n");
  CHECK(a->blocks[0].replace == "  if (i < n) {\n    // checked\n");
  CHECK(b->blocks[0].search == a->blocks[0].search);
  CHECK(b->blocks[0].replace == a->blocks[0].replace);
  // A reply without a last newline reads the same.
  lf.pop_back();
  auto c = ParseReply(lf);
  REQUIRE(c.ok());
  CHECK(c->blocks[0].replace == a->blocks[0].replace);
  // A source's last newline ends its last line and adds none: a line-wise
  // (whitespace-drifted) patch keeps the source's ending as it was.
  auto drifted = ParseReply(Reply("a\n b", "a\n b2"));  // the source's "  b" drifted to " b"
  REQUIRE(drifted.ok());
  auto patched = ApplyReply("a\n  b\nc\n", *drifted);
  REQUIRE(patched.ok());
  CHECK(*patched == "a\n b2\nc\n");
}
