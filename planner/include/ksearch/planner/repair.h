// Repair turns (issue #9): the focused evidence excerpt shown to the model
// when it gets a second chance at a failed candidate.
//
// The planner decides *whether* to repair (Planner::Next returns a kRepair
// decision: same axis, parent = the failed attempt's parent, repair_of = the
// failed attempt; bounded per lineage by CampaignSpec::repair.max_per_lineage;
// one repair per failed attempt, so an identical repair is never scheduled
// twice; chosen only while the observed repair success rate for
// (axis, failure class) is at least the fresh pass rate on that axis and
// repair.min_success_rate). This header builds *what* the model is shown.
// Only the evaluator's verdict on the repaired candidate counts.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ksearch::planner {

// Compiler errors mapped to the candidate's own lines: each "file:line[:col]:
// error: msg" (gcc/clang/hipcc) or "file(line): error: msg" (nvcc) becomes the
// message followed by the numbered source line and one line of context either
// side. Errors first, then warnings while the budget lasts; repeated messages
// are kept once.
std::string CompileDiagnosticsExcerpt(const std::string& compiler_log, const std::string& source,
                                      size_t budget_chars);

// A wrong result, from the evidence packet's validation section (array of per
// shape/seed records; fields read when present: shape, seed, max_abs_error,
// rel_error_norm, nan_count, unwritten_count, input_mutated, worst: [{index,
// got, want}]). Failing records first; worst elements listed.
std::string MismatchExcerpt(const nlohmann::json& validation, size_t budget_chars);

// The excerpt for a failure class: compile_error -> diagnostics; incorrect ->
// mismatch; crash -> detail and the tail of the log; proposal_failed
// {patch_failed} -> the reason the patch did not apply. Always within budget.
std::string RepairEvidence(const std::string& failure_verdict, const std::string& detail,
                           const std::string& log, const std::string& source,
                           const nlohmann::json& evidence, size_t budget_chars);

// Repair success per (axis, failure class) from the log, for `ksearch` and memory.
struct RepairRate {
  std::string axis, failure_class;
  int64_t tried = 0, succeeded = 0;
};

}  // namespace ksearch::planner
