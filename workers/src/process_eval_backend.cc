#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "async_child.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/result_wire.h"
#include "ksearch/workers/eval_backend.h"

namespace ksearch::workers {
namespace {

using Ms = std::chrono::milliseconds;

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

// Maps what happened to the evaluate child onto a verdict when it produced no
// usable result. `phase` is "build" or "run".
Verdict ChildFailureVerdict(const ProcessResult& r, const std::string& phase) {
  // The binary missing or not executable, or the launch's own resources
  // (descriptors, memory, processes) exhausted: "evaluator_missing" said the
  // former for both (a daemon out of descriptors reported its evaluator gone).
  if (!r.started)
    return {VerdictKind::kInfraError, r.program_missing ? "evaluator_missing" : "spawn_failed", r.error};
  if (r.timed_out)
    return {phase == "build" ? VerdictKind::kCompileTimeout : VerdictKind::kTimeout, "hard_limit",
            "evaluator " + phase + " " + r.Describe()};
  return {VerdictKind::kInfraError, "evaluator_failed",
          "ksearch-evaluate " + phase + ": " + r.Describe() + ": " + Tail(r.stderr_data, 400)};
}

// A child's stdout as a result: the framed form of result_wire.h (most of
// the evidence stays text) or a plain result document.
template <typename Result>
bool ParseChildResult(const ProcessResult& r, Result& out, std::string& why) {
  if (!r.Succeeded() && r.stdout_data.empty()) return false;
  return evaluator::ParseResultWire(r.stdout_data, out, why);
}

BuildResult BuildResultOf(const ProcessResult& r) {
  BuildResult out;
  std::string why;
  if (!r.timed_out && ParseChildResult(r, out, why)) return out;
  out.ok = false;
  out.verdict = ChildFailureVerdict(r, "build");
  if (!why.empty() && !r.timed_out) out.verdict.detail += " (" + why + ")";
  return out;
}

RunResult RunResultOf(const ProcessResult& r) {
  RunResult out;
  std::string why;
  if (!r.timed_out && ParseChildResult(r, out, why)) return out;
  out = RunResult{};  // a failed parse may have filled part of it
  out.verdict = ChildFailureVerdict(r, "run");
  if (!why.empty() && !r.timed_out) out.verdict.detail += " (" + why + ")";
  return out;
}

// The tools a child of `evaluate_binary` would find, as its environment. The
// runners sit beside ksearch-evaluate, not beside this process.
std::map<std::string, std::string> ChildToolEnvironment(const std::string& evaluate_binary) {
  evaluator::Tools tools = evaluator::Tools::FromEnvironment();
  if (std::getenv("KSEARCH_RUNNER_DIR") == nullptr) {
    const std::filesystem::path evaluate(evaluate_binary);
    tools.runner_dir = evaluate.is_absolute() ? evaluate.parent_path().string() : "";
  }
  return tools.AsEnvironment();
}

}  // namespace

ProcessEvalBackend::ProcessEvalBackend(ProcessLauncher& launcher, ProcessBackendOptions options,
                                       boost::asio::io_context* io)
    : launcher_(launcher),
      options_(std::move(options)),
      child_env_(ChildToolEnvironment(options_.evaluate_binary)),
      async_(io ? std::make_unique<AsyncChildRunner>(*io) : nullptr) {}

ProcessEvalBackend::~ProcessEvalBackend() = default;

ProcessSpec ProcessEvalBackend::BuildSpec(const BuildRequest& request) const {
  ProcessSpec spec;
  spec.argv = {options_.evaluate_binary, "build"};
  spec.env_set = child_env_;
  spec.stdin_data = RequestText(request);
  spec.timeout = Ms(static_cast<int64_t>(request.compile_timeout_s * 1000)) + options_.build_margin;
  return spec;
}

ProcessSpec ProcessEvalBackend::RunSpec(const RunRequest& request) const {
  ProcessSpec spec;
  spec.argv = {options_.evaluate_binary, "run"};
  spec.env_set = child_env_;
  spec.stdin_data = RequestText(request);
  spec.timeout = Ms(static_cast<int64_t>(request.run_timeout_s * options_.run_timeout_factor * 1000)) +
                 options_.run_margin;
  if (!request.device.empty()) spec.env_set["CUDA_VISIBLE_DEVICES"] = request.device;
  return spec;
}

BuildResult ProcessEvalBackend::Build(const BuildRequest& request) {
  return BuildResultOf(launcher_.Run(BuildSpec(request)));
}

RunResult ProcessEvalBackend::Run(const RunRequest& request) { return RunResultOf(launcher_.Run(RunSpec(request))); }

void ProcessEvalBackend::StartBuild(const BuildRequest& request, std::function<void(BuildResult)> done) {
  if (!async_) return EvalBackend::StartBuild(request, std::move(done));
  async_->Start(BuildSpec(request), [done = std::move(done)](ProcessResult r) { done(BuildResultOf(r)); });
}

void ProcessEvalBackend::StartRun(const RunRequest& request, std::function<void(RunResult)> done) {
  if (!async_) return EvalBackend::StartRun(request, std::move(done));
  async_->Start(RunSpec(request), [done = std::move(done)](ProcessResult r) { done(RunResultOf(r)); });
}

void ProcessEvalBackend::CancelAll() {
  if (async_) async_->CancelAll();
}

std::string FindEvaluateBinary() {
  if (const char* env = std::getenv("KSEARCH_EVALUATE"); env && *env) return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto sibling = self.parent_path() / "ksearch-evaluate";
    if (access(sibling.c_str(), X_OK) == 0) return sibling.string();
  }
  return FindExecutable("ksearch-evaluate");
}

}  // namespace ksearch::workers
