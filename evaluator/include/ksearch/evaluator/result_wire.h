// The results `ksearch-evaluate build|run` write on stdout, and their readers.
//
// Each text is one JSON document (any JSON reader gets a BuildResult or a
// RunResult from it), laid out so that the daemon can take the bulk of the
// evidence as bytes:
//
//   {"evidence_text_bytes":N,"evidence_text":{...N bytes...},<Result members>}
//
// `evidence_text` holds the evidence sections the daemon does not read:
//  - a run's: validation, performance, phases, runner_log, physics, ...; the
//    RunResult's own `evidence` keeps environment (which the packet merges)
//    and any other section named like a member of the packet itself
//    (attempt_finished's per-shape summary is RunResult::shapes);
//  - a build's: compile, static and machine_code, the packet's members of the
//    same names; the BuildResult's own `evidence` keeps `environment` (the
//    compiler version, which the packet's environment carries) and any other
//    section.
// The parsers read the small rest and keep those N bytes unparsed in the
// result's `evidence_text`, and EvidencePacketText (evaluator.h) writes them
// into the packet as they are. The members of `evidence_text` never repeat
// those of `evidence`.
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
std::string BuildResultWireText(BuildResult r);

// Reads a result: the framed form, or any plain result JSON document (then
// every section stays in `evidence` and evidence_text is empty). False, with
// `why`, when `text` is not such a result.
bool ParseResultWire(std::string_view text, RunResult& out, std::string& why);
bool ParseResultWire(std::string_view text, BuildResult& out, std::string& why);

}  // namespace ksearch::evaluator
