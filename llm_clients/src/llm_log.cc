#include "llm_log.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace ksearch::llm {

std::shared_ptr<spdlog::logger> LlmLogger() {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto l = spdlog::get("ksearch.llm");
  if (!l) {
    l = spdlog::stderr_color_mt("ksearch.llm");
    l->set_level(spdlog::level::warn);
  }
  return l;
}

}  // namespace ksearch::llm
