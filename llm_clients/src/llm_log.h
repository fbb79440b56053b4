// The component's spdlog logger, "ksearch.llm" (created on first use with a
// stderr sink unless the daemon registered one under that name first).
// Internal. Never pass key material to it: callers redact first.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace ksearch::llm {
std::shared_ptr<spdlog::logger> LlmLogger();
}  // namespace ksearch::llm
