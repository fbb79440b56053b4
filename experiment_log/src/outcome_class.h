// How attempt verdicts are classified for views and the attempt_outcomes index.
// Shared by the pure views and the SQL fast path so both agree by construction.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ksearch/experiment_log/views.h"

namespace ksearch::experiment_log {

// "incorrect{mismatch}" -> "incorrect"; "slower" -> "slower".
std::string_view VerdictKindPart(std::string_view wire);
// IsDeadEndVerdict (failures, slower and no_gain) and Excerpt are declared
// in the public views.h.
// improved and new_best.
bool IsImprovementVerdict(std::string_view wire);
// A dead-end class filter matches the full wire form or its kind part.
bool ClassMatches(std::string_view filter_class, std::string_view wire);
// Excerpt keeps the first kExcerptLines lines of a detail, at most kExcerptChars characters.
inline constexpr int kExcerptLines = 3;
inline constexpr size_t kExcerptChars = 400;

}  // namespace ksearch::experiment_log
