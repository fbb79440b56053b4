#include <catch.hpp>

#include "ksearch/core/sha256.h"

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
