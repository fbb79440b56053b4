#include "ksearch/llm_clients/llm_client.h"

namespace ksearch::llm {

std::string_view LlmErrorKindName(LlmErrorKind k) {
  switch (k) {
    case LlmErrorKind::kNone: return "none";
    case LlmErrorKind::kHttpStatus: return "http_status";
    case LlmErrorKind::kTimeout: return "timeout";
    case LlmErrorKind::kConnection: return "connection";
    case LlmErrorKind::kMalformed: return "malformed";
    case LlmErrorKind::kEmpty: return "empty";
    case LlmErrorKind::kMaxTokens: return "max_tokens";
    case LlmErrorKind::kCircuitOpen: return "circuit_open";
    case LlmErrorKind::kCancelled: return "cancelled";
    case LlmErrorKind::kBudget: return "budget";
    case LlmErrorKind::kReplayMiss: return "replay_miss";
  }
  return "unknown";
}

}  // namespace ksearch::llm
