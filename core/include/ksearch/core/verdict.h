// Verdict: the terminal outcome of one attempt, with its typed reason.
//
// Every attempt ends in exactly one Verdict (DESIGN.md section 3). The wire form
// is "kind" or "kind{reason}", e.g. "incorrect{mismatch}", "proposal_failed{llm_error}".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ksearch/core/status.h"

namespace ksearch {

enum class VerdictKind {
  kProposalFailed,  // reasons: llm_error, parse_error, patch_failed, budget
  kDuplicate,       // reasons: source, machine_code, semantic
  kRejectedStatic,  // reasons: forbidden_import, shadowing_export, raw_syscall, ...
  kCompileError,
  kCompileTimeout,
  kCrash,
  kTimeout,
  kIncorrect,       // reasons: mismatch, nan, unwritten, input_mutated, nondeterministic, constant_output
  kHackSuspected,   // reasons: timing_mismatch, impossible_speed, audit_failed, ...
  kSlower,
  kNoGain,
  kImproved,
  kNewBest,
  kInterrupted,
  kInfraError,
};

std::string_view VerdictKindName(VerdictKind kind);
std::optional<VerdictKind> ParseVerdictKind(std::string_view name);
// "known: proposal_failed, duplicate, ...", for errors about a filter value.
std::string KnownVerdictKinds();
// Filters over recorded verdicts (wire form "kind" or "kind{reason}"):
// an attempts filter matches by prefix, so it names something when some kind
// starts with it ("hack") or it is a whole kind with a reason ("incorrect{nan}");
// a dead-ends class matches whole, so its kind part must be a kind.
bool IsVerdictPrefixFilter(std::string_view filter);
bool IsVerdictClassFilter(std::string_view filter);

// True for verdicts that mean the candidate was measured and is correct.
bool IsPassingVerdict(VerdictKind kind);
// True for verdicts that say the candidate itself failed (compile, run, correctness, cheating).
bool IsFailureVerdict(VerdictKind kind);

struct Verdict {
  VerdictKind kind = VerdictKind::kInfraError;
  std::string reason;  // empty or a snake_case reason from the lists above
  std::string detail;  // free text for humans (one line)

  // "incorrect{mismatch}" or "slower".
  std::string ToString() const;
  // Parses the wire form; detail stays empty.
  static Result<Verdict> Parse(std::string_view text);

  friend bool operator==(const Verdict& a, const Verdict& b) {
    return a.kind == b.kind && a.reason == b.reason;
  }
};

}  // namespace ksearch
