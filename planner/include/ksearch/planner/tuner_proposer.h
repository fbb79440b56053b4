// TunerProposer: the built-in proposer for marked tunables.
//
// A seed marks tunables on #define lines:
//   #define BLOCK 256 // ksearch:tune {64,128,256,512,1024}
// One proposal changes one tunable to a neighbouring value in its list (one
// step up or down). It never proposes a configuration whose normalized source
// hash is in request.known_source_hashes, so the tried set is rebuilt from the
// log (attempt_finished.source_hash) and survives restarts. When every
// neighbour has been tried it fails with patch_failed.
// Completes synchronously. Thread-safety: stateless; callable from any thread.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"
#include "ksearch/planner/proposer.h"

namespace ksearch::planner {

struct Tunable {
  std::string name;
  std::vector<std::string> values;  // in the order listed
  size_t current = 0;               // index of the current value in `values`
  size_t line = 0;                  // 0-based line of the #define
};

// Errors name the line: "line 3: BLOCK: current value 100 is not in {64,128}".
Result<std::vector<Tunable>> ParseTunables(const std::string& source);

// `source` with tunable `t` set to values[index] (the mark is kept).
std::string WithTunableValue(const std::string& source, const Tunable& t, size_t index);

// The normalized-source hashes (NormalizedSourceHash) of every configuration
// one tuner step away from `source`, in no particular order: what the tuner
// can still propose from it is exactly those not yet known. Empty when the
// source has no marks or they do not parse (the tuner fails on it anyway).
// The daemon records them with each measured candidate (attempt_finished's
// `tuner_neighbours`), so the planner knows from the log when a source's
// tuner neighbourhood is used up instead of spending an attempt to learn it.
std::vector<std::string> TunerNeighbourHashes(const std::string& source);

class TunerProposer final : public Proposer {
 public:
  const std::string& name() const override { return name_; }
  void Propose(ProposalRequest request, ProposalCallback done) override;

 private:
  const std::string name_ = "tuner";
};

}  // namespace ksearch::planner
