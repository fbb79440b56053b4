#include "ksearch/isa_corpus/arch.h"

#include <catch.hpp>

namespace ksearch::isa_corpus {
namespace {

TEST_CASE("vendors are derived from arch names", "[isa_corpus]") {
  CHECK(VendorOfArch("sm_90a") == "nvidia");
  CHECK(VendorOfArch("gfx942") == "amd");
  CHECK(VendorOfArch("amd") == "amd");
  CHECK(VendorOfArch("x86") == "");
}

TEST_CASE("sm_90a is a superset of sm_90 but not the reverse", "[isa_corpus]") {
  CHECK(ArchFamily("sm_90a") == std::vector<std::string>{"sm_90a", "sm_90"});
  CHECK(ArchFamily("sm_100a") == std::vector<std::string>{"sm_100a", "sm_100"});
  CHECK(ArchFamily("gfx90a") == std::vector<std::string>{"gfx90a"});  // 'a' is part of the gfx name
  CHECK(AppliesTo("sm_90a", "nvidia", {"sm_90"}));
  CHECK(AppliesTo("sm_90a", "nvidia", {"sm_90a"}));
  CHECK_FALSE(AppliesTo("sm_90", "nvidia", {"sm_90a"}));
  CHECK_FALSE(AppliesTo("sm_80", "nvidia", {"sm_90", "sm_90a"}));
}

TEST_CASE("generic chapters apply within their vendor only", "[isa_corpus]") {
  CHECK(AppliesTo("sm_80", "nvidia", {"all"}));
  CHECK_FALSE(AppliesTo("gfx942", "nvidia", {"all"}));
  CHECK_FALSE(AppliesTo("sm_90a", "amd", {"gfx942"}));
  CHECK(AppliesTo("gfx942", "", {"all"}));  // vendor-neutral user notes
  CHECK(AppliesTo("", "amd", {"gfx950"}));  // no target: everything
  CHECK(AppliesTo("amd", "amd", {"gfx950"}));
  CHECK_FALSE(AppliesTo("amd", "nvidia", {"sm_80"}));
}

}  // namespace
}  // namespace ksearch::isa_corpus
