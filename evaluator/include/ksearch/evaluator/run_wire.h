// The run result as `ksearch-evaluate run` writes it on stdout, and its reader.
//
// The text is one JSON document (any JSON reader gets a RunResult from it), laid
// out so that the daemon can take the bulk of the evidence as bytes:
//
//   {"evidence_text_bytes":N,"evidence_text":{...N bytes...},<RunResult members>}
//
// `evidence_text` holds every evidence section the daemon does not read
// (validation, phases, runner_log, physics, ...); the RunResult's own
// `evidence` keeps the few it reads (environment, which the packet merges,
// and performance, which attempt_finished summarises) and any section named
// like a member of the packet itself. ParseRunResultWire parses the small
// rest and keeps those N bytes unparsed in RunResult::evidence_text, and
// EvidencePacketText (evaluator.h) writes them into the packet as they are.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ksearch/core/eval_protocol.h"

namespace ksearch::evaluator {

// The framed text of `r` (r.evidence is split as above; r.evidence_text must
// be empty). Ends with a newline.
std::string RunResultWireText(RunResult r);

// Reads a run result: the framed form, or any plain RunResult JSON document
// (then every section stays in `evidence` and evidence_text is empty).
// False, with `why`, when `text` is not a run result.
bool ParseRunResultWire(std::string_view text, RunResult& out, std::string& why);

}  // namespace ksearch::evaluator
