#include "ksearch/isa_corpus/arch.h"

#include <algorithm>

namespace ksearch::isa_corpus {

std::string VendorOfArch(std::string_view arch) {
  if (arch == "nvidia" || arch == "amd") return std::string(arch);
  if (arch.rfind("sm_", 0) == 0 || arch.rfind("compute_", 0) == 0) return "nvidia";
  if (arch.rfind("gfx", 0) == 0) return "amd";
  return "";
}

std::vector<std::string> ArchFamily(std::string_view target) {
  std::vector<std::string> out{std::string(target)};
  // sm_90a / sm_100a / sm_100f: architecture-specific supersets of the base.
  if (target.rfind("sm_", 0) == 0 && target.size() > 4) {
    char last = target.back();
    if (last == 'a' || last == 'f') out.push_back(std::string(target.substr(0, target.size() - 1)));
  }
  return out;
}

bool AppliesTo(std::string_view target, std::string_view vendor, const std::vector<std::string>& archs) {
  if (target.empty()) return true;
  const std::string target_vendor = VendorOfArch(target);
  if (!vendor.empty() && !target_vendor.empty() && vendor != target_vendor) return false;
  const bool generic = archs.empty() || std::find(archs.begin(), archs.end(), "all") != archs.end();
  if (generic) return true;
  if (target == "nvidia" || target == "amd") return true;  // vendor-wide view
  for (const std::string& member : ArchFamily(target)) {
    if (std::find(archs.begin(), archs.end(), member) != archs.end()) return true;
  }
  return false;
}

}  // namespace ksearch::isa_corpus
