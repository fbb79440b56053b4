// Names the capability a forbidden or shadowing dynamic symbol would give a
// candidate (threads, files, time, streams, L2 policy, ...), so that a
// rejection says why in words. Purely descriptive: the decision itself is the
// allowlist (allowlist.h); a symbol with no category is still rejected when it
// is not allowlisted.
// Thread-safety: pure functions over constant tables.
#pragma once

#include <string>

namespace ksearch::evaluator::checks {

// E.g. "pthread_create" -> "threads", "cudaStreamCreate" -> "streams",
// "cudaCtxResetPersistingL2Cache" -> "L2 policy". Empty when none applies.
std::string SymbolCategory(const std::string& name);

// True for names a candidate must never define: runtime and driver entry
// points (cuda*, cu[A-Z]*, __cuda*, hip*, nccl*, nvtx*), ks_* other than ks_run,
// pthread_*, and the clock functions.
bool IsReservedName(const std::string& name);

}  // namespace ksearch::evaluator::checks
