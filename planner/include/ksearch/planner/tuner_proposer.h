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

class TunerProposer final : public Proposer {
 public:
  const std::string& name() const override { return name_; }
  void Propose(ProposalRequest request, ProposalCallback done) override;

 private:
  const std::string name_ = "tuner";
};

}  // namespace ksearch::planner
