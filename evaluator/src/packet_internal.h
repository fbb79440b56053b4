// Shared by the packet builders (packet.cc) and the results' wire forms
// (result_wire.cc).
#pragma once

#include <array>
#include <string_view>

namespace ksearch::evaluator {

// True for the packet's own top-level members (candidate, compile,
// environment, verdict, build_request, ...): a run's evidence section of the
// same name is not copied into the packet as it is (environment is merged
// into the packet's, the others are left out).
bool IsPacketMember(std::string_view key);

// The build's evidence sections that are packet members as they are: every
// packet has them, and the build's wire form carries them as text.
inline constexpr std::array<const char*, 3> kBuildSections = {"compile", "static", "machine_code"};
bool IsBuildTextSection(std::string_view key);

}  // namespace ksearch::evaluator
