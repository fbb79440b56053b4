// Architecture names and which chapters apply to which target.
//
// Targets are CUDA SM names ("sm_80", "sm_90a", "sm_100a") or AMD gfx names
// ("gfx90a", "gfx942", "gfx950"). An "a"/"f" suffixed NVIDIA target is a
// superset of its base: sm_90a sees notes for sm_90 and sm_90a, while sm_90
// does not see sm_90a-only notes. A vendor name ("nvidia", "amd") as a target
// sees everything of that vendor. An empty target sees everything.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ksearch::isa_corpus {

// "nvidia" for sm_*/compute_*, "amd" for gfx*, the name itself for "nvidia"
// or "amd", else "".
std::string VendorOfArch(std::string_view arch);

// The arch names `target` covers, itself first: "sm_90a" -> {"sm_90a", "sm_90"}.
std::vector<std::string> ArchFamily(std::string_view target);

// Does a document of `vendor` written for `archs` apply to `target`?
// `vendor` "" means vendor-neutral; `archs` containing "all" (or empty) means
// every arch of `vendor`.
bool AppliesTo(std::string_view target, std::string_view vendor, const std::vector<std::string>& archs);

}  // namespace ksearch::isa_corpus
