#include "outcome_class.h"

#include "ksearch/core/verdict.h"

namespace ksearch::experiment_log {

std::string_view VerdictKindPart(std::string_view wire) {
  auto brace = wire.find('{');
  return brace == std::string_view::npos ? wire : wire.substr(0, brace);
}

bool IsDeadEndVerdict(std::string_view wire) {
  auto kind = ParseVerdictKind(VerdictKindPart(wire));
  if (!kind) return false;
  return IsFailureVerdict(*kind) || *kind == VerdictKind::kSlower || *kind == VerdictKind::kNoGain;
}

bool IsImprovementVerdict(std::string_view wire) {
  auto kind = VerdictKindPart(wire);
  return kind == "improved" || kind == "new_best";
}

bool ClassMatches(std::string_view filter_class, std::string_view wire) {
  return filter_class.empty() || filter_class == wire || filter_class == VerdictKindPart(wire);
}

std::string Excerpt(std::string_view detail) {
  std::string_view cut = detail;
  size_t pos = 0;
  for (int line = 0; line < kExcerptLines; ++line) {
    size_t nl = detail.find('\n', pos);
    if (nl == std::string_view::npos) break;
    if (line == kExcerptLines - 1) cut = detail.substr(0, nl);
    pos = nl + 1;
  }
  while (!cut.empty() && (cut.back() == '\n' || cut.back() == '\r')) cut.remove_suffix(1);
  if (cut.size() > kExcerptChars) return std::string(cut.substr(0, kExcerptChars)) + "...";
  return std::string(cut);
}

}  // namespace ksearch::experiment_log
