// Shape resolution and launching ksearch-runner under a hard wall-clock limit.
#include <filesystem>
#include <fstream>

#include "inputs.h"
#include "ksearch/core/file_text.h"
#include "run_internal.h"

namespace fs = std::filesystem;

namespace ksearch::evaluator {
namespace {

std::string Tail(const std::string& s, size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

std::string LastLine(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  size_t pos = s.rfind('\n');
  return pos == std::string::npos ? s : s.substr(pos + 1);
}

const char* SignalName(int sig) {
  switch (sig) {
    case 4: return "sigill"; case 6: return "sigabrt"; case 7: return "sigbus"; case 8: return "sigfpe";
    case 9: return "sigkill"; case 11: return "sigsegv"; case 15: return "sigterm"; default: return "signal";
  }
}

}  // namespace

Result<std::vector<ResolvedShape>> ResolveShapes(const Task& task, Backend backend, uint64_t seed) {
  std::string b(BackendName(backend));
  std::vector<ResolvedShape> out;
  auto add = [&](const ShapeBinding& sb, bool held) -> Status {
    ResolvedShape rs;
    rs.binding = sb;
    rs.held_out = held;
    rs.name = ShapeName(task, sb);
    RunnerShape& r = rs.runner;
    r.name = rs.name;
    for (auto& t : task.inputs) {
      RunnerTensor rt;
      rt.dtype = static_cast<int>(t.dtype);
      for (auto& e : t.shape) { auto v = EvalIntExpr(e, sb); if (!v.ok()) return v.status(); rt.shape.push_back(*v); }
      for (auto& d : t.dists) rt.dists.push_back(d.text);
      r.inputs.push_back(rt);
    }
    for (auto& t : task.outputs) {
      RunnerTensor rt;
      rt.dtype = static_cast<int>(t.dtype);
      for (auto& e : t.shape) { auto v = EvalIntExpr(e, sb); if (!v.ok()) return v.status(); rt.shape.push_back(*v); }
      r.outputs.push_back(rt);
    }
    for (auto& s : task.iscalars) { auto v = EvalExpr(s.value, sb); if (!v.ok()) return v.status(); r.iscalars.push_back(static_cast<int64_t>(*v)); }
    for (auto& s : task.fscalars) { auto v = EvalExpr(s.value, sb); if (!v.ok()) return v.status(); r.fscalars.push_back(*v); }
    auto ws = EvalIntExpr(task.workspace_bytes, sb);
    if (!ws.ok()) return ws.status();
    r.workspace_bytes = *ws;
    int index = static_cast<int>(out.size());
    for (int t = 0; t < (held ? kHeldOutTrials : kScoredTrials); ++t) r.trial_seeds.push_back(TrialSeed(seed, index, t));
    r.repeat_trial0 = !held && !task.nondeterministic;
    r.time = !held;
    if (!held)
      for (int k = 0; k < kTimedSets; ++k) r.timed_seeds.push_back(TimedSetSeed(seed, index, k));
    auto bytes = EvalExpr(task.cost_bytes, sb);
    auto flops = EvalExpr(task.cost_flops.empty() ? "0" : task.cost_flops, sb);
    rs.bytes = bytes.ok() ? *bytes : 0;
    rs.flops = flops.ok() ? *flops : 0;
    out.push_back(std::move(rs));
    return Status::Ok();
  };
  if (auto it = task.shapes.find(b); it != task.shapes.end())
    for (auto& sb : it->second) KS_RETURN_IF_ERROR(add(sb, false));
  if (auto it = task.held_out.find(b); it != task.held_out.end())
    for (auto& sb : it->second) KS_RETURN_IF_ERROR(add(sb, true));
  if (out.empty()) return Status::InvalidArgument("task " + task.name + " has no shapes for backend " + b);
  return out;
}

std::string RunnerPath(const Tools& tools, Backend backend) {
  return tools.runner_dir + (backend == Backend::kCuda ? "/ksearch-runner-cuda" : "/ksearch-runner");
}

RunnerOutcome LaunchRunner(const Tools& tools, Backend backend, const RunnerSpec& spec,
                           const RunRequest& request, ProcessLauncher& launcher) {
  RunnerOutcome o;
  o.out_dir = spec.out_dir;
  std::error_code ec;
  fs::create_directories(spec.out_dir, ec);
  std::string spec_path = spec.out_dir + "/spec.json";
  { std::ofstream(spec_path) << nlohmann::json(spec).dump(1); }
  ProcessSpec ps;
  ps.argv = {RunnerPath(tools, backend), spec_path};
  ps.cwd = spec.out_dir;
  if (!request.device.empty()) ps.env_set["CUDA_VISIBLE_DEVICES"] = request.device;
  ps.timeout = std::chrono::milliseconds(static_cast<int64_t>(request.run_timeout_s * 1000));
  ps.kill_grace = std::chrono::milliseconds(1000);
  ps.max_output_bytes = 1 << 20;
  ProcessResult r = launcher.Run(ps);
  // The runner writes its progress as it goes; a runner that died first left none.
  std::string progress = ReadFileText(spec.out_dir + "/progress").value_or("");
  o.log = Tail(r.stderr_data, 2000) + (progress.empty() ? "" : "\nprogress: " + Tail(progress, 600));
  std::string where = progress.empty() ? "" : " during " + Tail(LastLine(progress), 200);
  if (!r.started) {
    o.failure = {VerdictKind::kInfraError, "runner_missing", r.error};
    return o;
  }
  if (r.timed_out) {
    o.failure = {VerdictKind::kTimeout, "", "runner killed after " + std::to_string(request.run_timeout_s) + " s" + where};
    return o;
  }
  if (r.term_signal != 0) {
    o.failure = {VerdictKind::kCrash, SignalName(r.term_signal), r.Describe() + where};
    return o;
  }
  switch (r.exit_code) {
    case kRunnerExitOk: break;
    case kRunnerExitKernelError: o.failure = {VerdictKind::kCrash, "kernel_error", Tail(r.stderr_data, 300)}; return o;
    case kRunnerExitDeviceFault: o.failure = {VerdictKind::kCrash, "device_fault", Tail(r.stderr_data, 300)}; return o;
    case kRunnerExitLoad: o.failure = {VerdictKind::kCrash, "load_failed", Tail(r.stderr_data, 300)}; return o;
    case kRunnerExitNoDevice: o.failure = {VerdictKind::kInfraError, "no_device", Tail(r.stderr_data, 300)}; return o;
    case kRunnerExitUsage: o.failure = {VerdictKind::kInfraError, "runner_usage", Tail(r.stderr_data, 300)}; return o;
    default: o.failure = {VerdictKind::kCrash, "exit_" + std::to_string(r.exit_code), r.Describe() + where}; return o;
  }
  auto result_text = ReadFileText(spec.out_dir + "/result.json");
  if (!result_text.ok()) {
    o.failure = {VerdictKind::kCrash, "no_result", "runner exited 0 without a result: " + result_text.status().message()};
    return o;
  }
  try {
    o.result = nlohmann::json::parse(*result_text);
  } catch (const std::exception& e) {
    o.failure = {VerdictKind::kCrash, "no_result", std::string("runner exited 0 without a readable result.json: ") + e.what()};
    return o;
  }
  o.ok = true;
  return o;
}

}  // namespace ksearch::evaluator
