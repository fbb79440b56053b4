#include "ksearch/core/verdict.h"

#include <array>
#include <utility>

namespace ksearch {
namespace {

constexpr std::array<std::pair<VerdictKind, std::string_view>, 15> kNames{{
    {VerdictKind::kProposalFailed, "proposal_failed"},
    {VerdictKind::kDuplicate, "duplicate"},
    {VerdictKind::kRejectedStatic, "rejected_static"},
    {VerdictKind::kCompileError, "compile_error"},
    {VerdictKind::kCompileTimeout, "compile_timeout"},
    {VerdictKind::kCrash, "crash"},
    {VerdictKind::kTimeout, "timeout"},
    {VerdictKind::kIncorrect, "incorrect"},
    {VerdictKind::kHackSuspected, "hack_suspected"},
    {VerdictKind::kSlower, "slower"},
    {VerdictKind::kNoGain, "no_gain"},
    {VerdictKind::kImproved, "improved"},
    {VerdictKind::kNewBest, "new_best"},
    {VerdictKind::kInterrupted, "interrupted"},
    {VerdictKind::kInfraError, "infra_error"},
}};

}  // namespace

std::string_view VerdictKindName(VerdictKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "infra_error";
}

std::optional<VerdictKind> ParseVerdictKind(std::string_view name) {
  for (const auto& [k, n] : kNames)
    if (n == name) return k;
  return std::nullopt;
}

std::string KnownVerdictKinds() {
  std::string out = "known:";
  for (const auto& [k, n] : kNames) out += (k == kNames.front().first ? " " : ", ") + std::string(n);
  return out;
}

bool IsVerdictPrefixFilter(std::string_view filter) {
  const size_t brace = filter.find('{');
  const std::string_view kind = filter.substr(0, brace);
  if (brace != std::string_view::npos) return ParseVerdictKind(kind).has_value();
  for (const auto& [k, n] : kNames)
    if (n.substr(0, kind.size()) == kind) return true;
  return false;
}

bool IsVerdictClassFilter(std::string_view filter) {
  return ParseVerdictKind(filter.substr(0, filter.find('{'))).has_value();
}

bool IsPassingVerdict(VerdictKind kind) {
  return kind == VerdictKind::kSlower || kind == VerdictKind::kNoGain ||
         kind == VerdictKind::kImproved || kind == VerdictKind::kNewBest;
}

bool IsFailureVerdict(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::kProposalFailed:
    case VerdictKind::kRejectedStatic:
    case VerdictKind::kCompileError:
    case VerdictKind::kCompileTimeout:
    case VerdictKind::kCrash:
    case VerdictKind::kTimeout:
    case VerdictKind::kIncorrect:
    case VerdictKind::kHackSuspected:
      return true;
    default:
      return false;
  }
}

std::string Verdict::ToString() const {
  std::string out(VerdictKindName(kind));
  if (!reason.empty()) {
    out += '{';
    out += reason;
    out += '}';
  }
  return out;
}

Result<Verdict> Verdict::Parse(std::string_view text) {
  Verdict v;
  std::string_view name = text;
  auto brace = text.find('{');
  if (brace != std::string_view::npos) {
    if (text.back() != '}')
      return Status::InvalidArgument("verdict '" + std::string(text) + "': missing closing '}'");
    name = text.substr(0, brace);
    v.reason = std::string(text.substr(brace + 1, text.size() - brace - 2));
  }
  auto kind = ParseVerdictKind(name);
  if (!kind) return Status::InvalidArgument("unknown verdict '" + std::string(name) + "'");
  v.kind = *kind;
  return v;
}

}  // namespace ksearch
