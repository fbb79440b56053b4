// SymbolAllowlist: the reviewed list of dynamic imports (and needed shared
// libraries) a candidate library may have, loaded from evaluator/allowlists/.
//
// File format, one entry per line:
//   # comment                  (every group of entries is preceded by one saying why)
//   memcpy                     an exact symbol name (version suffix "@GLIBC_x" is ignored)
//   _ZSt*__throw_*             a glob (fnmatch(3), no FNM_PATHNAME)
//   needed: libcudart.so.*     a glob over DT_NEEDED sonames
// Trailing "# ..." comments are allowed; blank lines are ignored. Anything else
// is an error naming file:line.
// Thread-safety: immutable after loading; const methods may be used concurrently.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::evaluator::checks {

class SymbolAllowlist {
 public:
  SymbolAllowlist() = default;

  // Parses one allowlist file. Errors: "<path>:<line>: <what>".
  static Result<SymbolAllowlist> LoadFile(const std::string& path);
  static Result<SymbolAllowlist> Parse(const std::string& text, const std::string& origin);

  // Loads <dir>/host.txt, then <dir>/<backend>.txt for cuda/hip (their host
  // code also calls libc), then <dir>/<lib>.txt for every allowed library.
  // A missing file is an error (an allowlist is never silently empty).
  static Result<SymbolAllowlist> LoadFor(const std::string& dir, const std::string& backend,
                                         const std::vector<std::string>& allowed_libraries);

  void Merge(const SymbolAllowlist& other);

  // `name` may carry a version suffix ("memcpy@GLIBC_2.14"); it is stripped.
  bool AllowsSymbol(const std::string& name) const;
  bool AllowsNeeded(const std::string& soname) const;

  size_t size() const { return symbols_.size() + needed_.size(); }
  const std::vector<std::string>& origins() const { return origins_; }

 private:
  std::vector<std::string> symbols_;  // exact names or globs
  std::vector<std::string> needed_;   // globs over sonames
  std::vector<std::string> origins_;  // files merged in, for evidence
};

// "memcpy@GLIBC_2.14" -> "memcpy"; "foo@@V1" -> "foo".
std::string StripSymbolVersion(const std::string& name);

}  // namespace ksearch::evaluator::checks
