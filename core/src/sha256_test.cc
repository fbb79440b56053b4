#include <algorithm>
#include <catch.hpp>
#include <random>
#include <string_view>
#include <utility>

#include "ksearch/core/sha256.h"
#include "sha256_blocks.h"

TEST_CASE("sha256 matches the FIPS 180-2 test vectors", "[core]") {
  CHECK(ksearch::Sha256Hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(ksearch::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(ksearch::Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  CHECK(ksearch::Sha256Hex(million) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 incremental updates equal one-shot", "[core]") {
  std::string text = "the quick brown fox jumps over the lazy dog, many times over";
  ksearch::Sha256 h;
  for (char c : text) h.Update(&c, 1);
  CHECK(h.HexDigest() == ksearch::Sha256Hex(text));
}

TEST_CASE("sha256's SHA-NI blocks equal the portable ones", "[core]") {
  auto ni = ksearch::internal::Sha256BlocksShaNi();
  if (ni == nullptr) {
    WARN("this CPU has no SHA extensions: only the portable path runs here");
    return;
  }
  CHECK(ksearch::internal::Sha256BlocksFn() == ni);
  std::mt19937 rng(11);
  std::string data(64 * 40, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t blocks : {1u, 2u, 3u, 7u, 40u}) {
    uint32_t a[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint32_t b[8];
    std::copy(a, a + 8, b);
    ksearch::internal::Sha256BlocksPortable(a, reinterpret_cast<const uint8_t*>(data.data()), blocks);
    ni(b, reinterpret_cast<const uint8_t*>(data.data()), blocks);
    INFO(blocks << " blocks");
    CHECK(std::equal(a, a + 8, b));
  }
}

TEST_CASE("sha256 of every length up to three blocks, in pieces, equals one-shot", "[core]") {
  // Covers the padding's two cases (the length fits in this block or the next).
  std::string data;
  for (int i = 0; i < 200; ++i) data.push_back(static_cast<char>('a' + i % 26));
  for (size_t n = 0; n <= data.size(); ++n) {
    std::string_view part(data.data(), n);
    ksearch::Sha256 h;
    h.Update(part.substr(0, n / 3));
    h.Update(part.substr(n / 3));
    INFO("length " << n);
    CHECK(h.HexDigest() == ksearch::Sha256Hex(part));
  }
  // Digests from Python's hashlib, around the block and padding edges.
  const std::pair<size_t, const char*> want[] = {
      {55, "595615dbe4f0f407ae397d08b4c2cb870cb9b0e11937416f950c5160acf9c005"},
      {56, "784f623b787495078e93ff28a25b581df0584055a7e71d8cd90c454716b92f51"},
      {57, "808f0738aa4401bdee842e5a15a7baad5809f976d8eb6f9bd2683cebd2e8d671"},
      {63, "5ca3e1ef5207490eac01a795e5cc94d59582a5118bf9534665c8668d87aa647c"},
      {64, "2fcd5a0d60e4c941381fcc4e00a4bf8be422c3ddfafb93c809e8d1e2bfffae8e"},
      {65, "1b3cd1877ab2f2f19f7be001722554f336cb799df0329de0bb4c118dc6abc06d"},
      {119, "faef67da856d6fd9c8d12f9ed0a4fefd3cf0ce085ab43e2907418d457e3c354b"},
      {120, "c9512b08619c19fbb503c7da6b46ef20301e5f7a7a5f43989182398536f5c5c8"},
      {121, "6ce395ba6c616565668116ef1d4ab2894dd21b9c3e11e42ec5f57f77417fd623"},
      {200, "8013a82140d916576e2cf550b27449a368abec66cc154a7d9f599019d33aa3d2"}};
  for (const auto& [n, hex] : want) {
    INFO("length " << n);
    CHECK(ksearch::Sha256Hex(std::string_view(data.data(), n)) == hex);
  }
}
