// ContextPacket and prompt assembly (DESIGN.md section 8, issue #5).
//
// The daemon fills the packet from the task files, the parent's blobs, the
// skills router and ISA retrieval; the planner adds dead ends, lineage and the
// evidence summary (Planner::DeadEndLines / LineageLines / EvidenceSummary).
// BuildPrompt renders it within a character budget. When over budget, parts
// are cut in this fixed order until the prompt fits (kTruncationOrder):
//   1. lineage       (oldest steps dropped first)
//   2. isa_facts     (last facts dropped first)
//   3. dead_ends     (least frequent, i.e. last, dropped first)
//   4. skill         (tail cut, marker appended)
//   5. evidence      (tail cut)
//   6. contract      (tail cut)
// The task header, the axis, the instructions, the repair evidence and the
// current source are never cut; if they alone exceed the budget, BuildPrompt
// fails with InvalidArgument.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::planner {

struct ContextPacket {
  std::string task, arch, backend;
  std::string axis, axis_description;
  std::string contract;        // contract.md text
  std::string source;          // the parent's (or failed candidate's) source
  std::string source_name = "kernel.cu";
  std::string evidence;        // the parent's evidence summary (timings, roofline, profile, SASS)
  std::string skill;           // routed skill text
  std::vector<std::string> isa_facts;
  std::vector<std::string> dead_ends;  // most frequent first
  std::vector<std::string> lineage;    // oldest first
  // Repair turns (issue #9): the failure class and a focused evidence excerpt.
  std::string repair_failure;
  std::string repair_evidence;
};

inline constexpr const char* kTruncationOrder[] = {"lineage", "isa_facts", "dead_ends",
                                                   "skill", "evidence", "contract"};

struct Prompt {
  std::string system;
  std::string user;
  std::vector<std::string> truncated;  // names of parts that were cut, in cut order
};

// REQUIRES: budget_chars > 0.
Result<Prompt> BuildPrompt(const ContextPacket& packet, size_t budget_chars);

// The one follow-up message of the format-fix retry: asks only to restate the
// previous answer in the required format, never to redo the work.
std::string FormatFixMessage(const std::string& parse_error);

}  // namespace ksearch::planner
