#include <catch.hpp>

#include "ksearch/planner/novelty.h"

using namespace ksearch::planner;

TEST_CASE("normalization ignores comments and formatting only", "[planner]") {
  std::string a = "#define N 4\n__global__ void k(float* x) {\n  x[0] = 1.0f; // set\n}\n";
  std::string b = "#define N 4   /* size */\n__global__   void k(float *x)\n{\n\tx[0]=1.0f;\n}";
  CHECK(NormalizeSource(a) == NormalizeSource(b));
  CHECK(NormalizedSourceHash(a) == NormalizedSourceHash(b));
  SECTION("a real change is a different hash") {
    std::string c = a;
    c.replace(c.find("1.0f"), 4, "2.0f");
    CHECK(NormalizedSourceHash(a) != NormalizedSourceHash(c));
  }
  SECTION("token boundaries are kept") {
    CHECK(NormalizeSource("unsigned int x;") != NormalizeSource("unsignedint x;"));
  }
  SECTION("comment markers inside strings are content") {
    CHECK(NormalizeSource("const char* s = \"//x\";") != NormalizeSource("const char* s = \"\";"));
  }
  SECTION("preprocessor lines stay separate") {
    CHECK(NormalizeSource("#define A 1\n#define B 2\n") != NormalizeSource("#define A 1 #define B 2\n"));
  }
}

TEST_CASE("semantic change key identifies the same change on the same parent", "[planner]") {
  std::string parent = "void k() {\n  int a = 1;\n  int b = 2;\n}\n";
  std::string c1 = "void k() {\n  int a = 3;\n  int b = 2;\n}\n";
  std::string c1_reformatted = "void k() {\n    int a = 3;   // changed\n  int b = 2;\n}\n";
  std::string c2 = "void k() {\n  int a = 1;\n  int b = 5;\n}\n";
  CHECK(SemanticChangeKey("p", "ax", parent, c1) == SemanticChangeKey("p", "ax", parent, c1_reformatted));
  CHECK(SemanticChangeKey("p", "ax", parent, c1) != SemanticChangeKey("p", "ax", parent, c2));
  CHECK(SemanticChangeKey("p", "ax", parent, c1) != SemanticChangeKey("p", "other", parent, c1));
  CHECK(SemanticChangeKey("p", "ax", parent, c1) != SemanticChangeKey("q", "ax", parent, c1));
}

TEST_CASE("the semantic key sees the same change under other names for what it declares", "[planner][novelty]") {
  const std::string parent =
      "__global__ void k(const float* x, float* y, int n) {\n"
      "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
      "  if (i < n) y[i] = x[i];\n"
      "}\n";
  auto child = [&](const std::string& body) {
    std::string c = parent;
    c.replace(c.find("  if (i < n)"), std::string("  if (i < n) y[i] = x[i];\n").size(), body);
    return c;
  };
  auto key = [&](const std::string& body) { return SemanticChangeKey("p", "ax", parent, child(body)); };
  const std::string tiled =
      "  __shared__ float tile[256];\n  tile[threadIdx.x] = x[i];\n  __syncthreads();\n"
      "  if (i < n) y[i] = tile[threadIdx.x];\n";
  SECTION("a local array, a pointer, a macro and a helper renamed: the same change") {
    CHECK(key(tiled) == key("  __shared__ float smem[256];\n  smem[threadIdx.x] = x[i];\n  __syncthreads();\n"
                            "  if (i < n) y[i] = smem[threadIdx.x];\n"));
    CHECK(key("  float* out = y + i;\n  if (i < n) *out = x[i];\n") ==
          key("  float* dst = y + i;\n  if (i < n) *dst = x[i];\n"));
    CHECK(key("#define TILE 4\n  if (i < n) y[i] = x[i] * TILE;\n") ==
          key("#define VEC 4\n  if (i < n) y[i] = x[i] * VEC;\n"));
    CHECK(key("  auto twice = [](float v) { return v + v; };\n  if (i < n) y[i] = twice(x[i]);\n") ==
          key("  auto dbl = [](float v) { return v + v; };\n  if (i < n) y[i] = dbl(x[i]);\n"));
  }
  SECTION("different changes keep different keys") {
    // The same shape, another size.
    CHECK(key(tiled) != key("  __shared__ float tile[128];\n  tile[threadIdx.x] = x[i];\n  __syncthreads();\n"
                            "  if (i < n) y[i] = tile[threadIdx.x];\n"));
    // Two names swapped in role: the values they hold differ.
    CHECK(key("  int a = 1;\n  int b = 2;\n  if (i < n) y[i] = x[i] * a;\n") !=
          key("  int b = 1;\n  int a = 2;\n  if (i < n) y[i] = x[i] * a;\n"));
    // Names the change uses but does not declare: intrinsics, types.
    CHECK(key("  if (i < n) y[i] = __expf(x[i]);\n") != key("  if (i < n) y[i] = __logf(x[i]);\n"));
    CHECK(key("  if (i < n) y[i] = 2.0f * __expf(x[i]);\n") != key("  if (i < n) y[i] = 2.0f * __logf(x[i]);\n"));
    CHECK(key("  const float4 v = make_float4(x[i], 0, 0, 0);\n  if (i < n) y[i] = v.x;\n") !=
          key("  const double4 v = make_double4(x[i], 0, 0, 0);\n  if (i < n) y[i] = v.x;\n"));
    // Renaming a name the parent has is a change of its own.
    CHECK(key("  if (i < n) y[i] = x[i] + n;\n") != key("  if (i < n) y[i] = x[i] + i;\n"));
    // A directive that is not #define does not declare.
    CHECK(key("#pragma unroll\n  if (i < n) y[i] = x[i];\n") != key("#pragma nounroll\n  if (i < n) y[i] = x[i];\n"));
  }
  SECTION("the parent and the axis stay in the key") {
    CHECK(SemanticChangeKey("p", "ax", parent, child(tiled)) != SemanticChangeKey("q", "ax", parent, child(tiled)));
    CHECK(SemanticChangeKey("p", "ax", parent, child(tiled)) != SemanticChangeKey("p", "bx", parent, child(tiled)));
  }
}

TEST_CASE("normalization classes bytes as the C locale does", "[planner]") {
  // Whitespace is exactly " \t\n\v\f\r"; word characters are ASCII letters,
  // digits and '_'; bytes of 0x80 and up (UTF-8 in comments or identifiers
  // of a candidate) are neither. The hashes of logged candidates depend on it.
  for (int c = 1; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
    const bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    INFO("byte " << c);
    // A space byte between two words becomes one space; anything else stays.
    const std::string n = NormalizeSource(std::string("a") + ch + "b");
    if (space) CHECK(n == "a b");
    else CHECK(n == std::string("a") + ch + "b");
    // Word bytes keep a separating space; others let it go.
    const std::string w = NormalizeSource(std::string("a ") + ch);
    if (word) CHECK(w == std::string("a ") + ch);
    else if (!space) CHECK(w == std::string("a") + ch);
  }
}

TEST_CASE("the semantic key of normalized sources is the key of the sources", "[planner]") {
  const std::string parent = "void k() {\n  int a = 1; // one\n}\n", child = "void k() {\n  int a = 2;\n}\n";
  CHECK(SemanticChangeKeyOfNormalized("p", "ax", NormalizeSource(parent), NormalizeSource(child)) ==
        SemanticChangeKey("p", "ax", parent, child));
}
