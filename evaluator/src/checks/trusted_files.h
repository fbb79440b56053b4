// Trusted-file checksums (DESIGN.md section 5, HACKS.md row 16): the runner,
// the reference library, the task folder and the allowlists are hashed before
// an evaluation and verified again after it (and before the next one), so a
// candidate that managed to write to any of them is caught and the evaluation
// voided.
// Thread-safety: pure functions over the file system; no shared state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/status.h"

namespace ksearch::evaluator::checks {

struct TrustedManifest {
  std::map<std::string, std::string> sha256;  // absolute-as-given path -> hex digest
  std::vector<std::string> roots;             // the paths snapshotted (files or folders)
  nlohmann::json ToJson() const;
};

// Hashes every regular file named in `paths`; folders are walked recursively
// (symlinks are not followed, a symlink is recorded by its target text).
// Fails naming the first path that cannot be read.
Result<TrustedManifest> SnapshotTrustedFiles(const std::vector<std::string>& paths);

// Re-hashes the manifest's roots. OK when identical; otherwise Corruption whose
// message lists every changed, missing and added file, one per line.
Status VerifyTrustedFiles(const TrustedManifest& manifest);

// Drops write permission (all of u,g,o) on every file and folder under
// `paths`. Best effort against accidental and same-uid writes through paths the
// process does not own; Landlock (fs_confine.h) is the enforcing layer.
Status MakeReadOnly(const std::vector<std::string>& paths);

}  // namespace ksearch::evaluator::checks
