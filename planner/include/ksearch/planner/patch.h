// Reply parsing and patch application for LLM proposals.
//
// Reply format (asked for by the prompt):
//   Summary: <one line>
//   <<<<<<< SEARCH
//   <exact lines of the current source>
//   =======
//   <replacement lines>
//   >>>>>>> REPLACE
// (any number of blocks, applied in order). Fallback: no SEARCH block but one
// fenced code block holding the whole new file.
//
// Application is tolerant of whitespace and indentation drift (lines compared
// with runs of whitespace collapsed and ends trimmed; replacement re-indented by
// the drift) and exact about everything else. A block that matches nothing or
// more than one place fails the whole patch with the block's number and reason.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::planner {

struct SearchReplaceBlock {
  std::string search;
  std::string replace;
};

struct ParsedReply {
  std::vector<SearchReplaceBlock> blocks;  // empty when whole_file is set
  std::string whole_file;                  // fallback form
  bool is_whole_file = false;
  std::string summary;                     // "Summary:" line, or first prose line
};

// InvalidArgument with the reason when the reply holds neither well-formed
// blocks nor exactly one fenced code block (a parse_error).
Result<ParsedReply> ParseReply(const std::string& reply);

// Applies every block in order (or takes the whole file). FailedPrecondition
// naming the block ("block 2 of 3 matches nothing; first search line: ...") on
// no match or an ambiguous match (a patch_failed).
Result<std::string> ApplyReply(const std::string& source, const ParsedReply& reply);

}  // namespace ksearch::planner
