// Run(): verify, benchmark, (profile), verdict. The reference runs in its own
// trusted runner process, the candidate in another; comparison happens here.
//
// Verdict order: crash / timeout (candidate runner) -> incorrect{...} ->
// hack_suspected{timing_mismatch} -> physics (impossible_speed) -> slower /
// no_gain / improved against the parent.
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "checks/physics.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/task.h"
#include "run_internal.h"
#include "stats.h"

namespace fs = std::filesystem;

namespace ksearch::evaluator {
namespace {

// A call whose host wall clock (launch to device-wide sync) exceeds its event
// time by this factor plus this slack has work the events did not see.
constexpr double kTimingMismatchFactor = 2.0;
constexpr double kTimingMismatchSlackUs = 50.0;

std::string UniqueRunDir(const std::string& work_dir) {
  static std::atomic<uint64_t> n{0};
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return work_dir + "/runs/" + std::to_string(now) + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

RunnerTiming TimingFor(Backend b) {
  RunnerTiming t;
  if (b == Backend::kCuda) { t.warmup = 5; t.min_reps = 20; t.max_reps = 5000; t.cap_s = 1.0; t.buffer_sets = kTimedSets; }
  else { t.warmup = 2; t.min_reps = 10; t.max_reps = 2000; t.cap_s = 0.5; t.buffer_sets = kTimedSets; }
  return t;
}

}  // namespace

Result<nlohmann::json> DeviceCeilings(const RunRequest& req, ProcessLauncher& launcher, const Tools& tools) {
  std::string b(BackendName(req.backend));
  std::string dev_key = req.device.empty() ? "0" : req.device;
  std::string path = req.work_dir + "/ceilings-" + b + "-" + dev_key + ".json";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    try { std::ifstream in(path); return nlohmann::json::parse(in); } catch (...) {}
  }
  RunnerSpec spec;
  spec.backend = b;
  spec.mode = "ceilings";
  spec.out_dir = UniqueRunDir(req.work_dir) + "-ceilings";
  RunRequest r2 = req;
  r2.run_timeout_s = std::max(req.run_timeout_s, 120.0);
  RunnerOutcome o = LaunchRunner(tools, req.backend, spec, r2, launcher);
  if (!o.ok) return Status::Unavailable("ceilings measurement failed: " + o.failure.ToString() + " " + o.failure.detail);
  nlohmann::json c = o.result.value("ceilings", nlohmann::json::object());
  c["device"] = o.result.value("env_before", nlohmann::json::object()).value("device", "");
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  { std::ofstream(tmp) << c.dump(1); }
  fs::rename(tmp, path, ec);
  fs::remove_all(o.out_dir, ec);
  return c;
}

RunResult Run(const RunRequest& req, ProcessLauncher& launcher) { return Run(req, launcher, Tools::FromEnvironment()); }

RunResult Run(const RunRequest& req, ProcessLauncher& launcher, const Tools& tools) {
  RunResult res;
  auto infra = [&](std::string reason, std::string detail) {
    res.verdict = {VerdictKind::kInfraError, std::move(reason), std::move(detail)};
    return res;
  };
  auto task = LoadTask(req.task_dir);
  if (!task.ok()) return infra("bad_task", task.status().message());
  std::string b(BackendName(req.backend));
  auto files = task->files.find(b);
  if (files == task->files.end() || files->second.reference.empty()) return infra("backend_unsupported", "no reference for " + b);
  if (req.work_dir.empty()) return infra("no_work_dir", "RunRequest.work_dir is empty");
  auto shapes = ResolveShapes(*task, req.backend, req.seed);
  if (!shapes.ok()) return infra("bad_task", shapes.status().message());

  // The trusted reference, built like any library (cached by content hash).
  BuildRequest rb;
  rb.task_dir = req.task_dir;
  rb.backend = req.backend;
  rb.arch = req.arch;
  rb.work_dir = req.work_dir;
  { std::ifstream in(files->second.reference); std::ostringstream ss; ss << in.rdbuf(); rb.source = ss.str(); }
  Tools trusted_tools = tools;
  trusted_tools.binary_checks = false;  // the reference is a trusted task file
  BuildResult ref_build = Build(rb, launcher, trusted_tools);
  if (!ref_build.ok) return infra("reference_build", ref_build.verdict.ToString() + ": " + ref_build.verdict.detail);

  std::string run_dir = UniqueRunDir(req.work_dir);
  RunnerSpec base;
  base.backend = b;
  base.timing = TimingFor(req.backend);
  for (auto& s : *shapes) base.shapes.push_back(s.runner);

  RunnerSpec ref_spec = base;
  ref_spec.library = ref_build.artifact_path;
  ref_spec.mode = "trusted";
  ref_spec.out_dir = run_dir + "/reference";
  RunnerOutcome ref = LaunchRunner(tools, req.backend, ref_spec, req, launcher);
  if (!ref.ok) return infra("reference_failed", ref.failure.ToString() + ": " + ref.failure.detail);

  RunnerSpec cand_spec = base;
  cand_spec.library = req.artifact_path;
  cand_spec.mode = "candidate";
  cand_spec.out_dir = run_dir + "/candidate";
  cand_spec.confine = true;  // Landlock before dlopen (checks/fs_confine.h)
  RunnerOutcome cand = LaunchRunner(tools, req.backend, cand_spec, req, launcher);
  res.evidence["run_dir"] = run_dir;
  if (!cand.ok) {
    res.verdict = cand.failure;
    res.evidence["runner_log"] = cand.log;
    return res;
  }
  res.evidence["environment"] = {{"before", cand.result.value("env_before", nlohmann::json::object())},
                                 {"after", cand.result.value("env_after", nlohmann::json::object())}};
  // What the candidate runner says about its Landlock confinement (applied, or
  // why not: a kernel without Landlock); a runner that ran unconfined although
  // asked to is not ours.
  res.evidence["confinement"] = cand.result.value("confinement", nlohmann::json{{"requested", true}, {"applied", false},
                                                                               {"error", "runner reported nothing"}});

  Validation val = Validate(*task, *shapes, ref.out_dir, ref.result, cand.out_dir, cand.result);
  res.evidence["validation"] = val.evidence;
  if (!val.ok) { res.verdict = val.verdict; return res; }

  // Performance per scored shape.
  auto ceil = DeviceCeilings(req, launcher, tools);
  nlohmann::json ceilings = ceil.ok() ? *ceil : nlohmann::json{{"error", ceil.status().message()}};
  res.evidence["environment"]["ceilings"] = ceilings;
  double bw = ceilings.value("bandwidth_gbs", 0.0), peak = ceilings.value("peak_gflops", 0.0);
  nlohmann::json perf = nlohmann::json::array();
  std::vector<double> fractions;
  bool timing_mismatch = false;
  std::string mismatch_detail;
  double max_spread = 0, worst_bytes_floor = 0, worst_flops_floor = 0;
  for (size_t si = 0; si < shapes->size(); ++si) {
    const ResolvedShape& rs = (*shapes)[si];
    if (rs.held_out) continue;
    const nlohmann::json t = cand.result["shapes"][si].value("timing", nlohmann::json::object());
    double med = t.value("median_us", 0.0), host = t.value("host_median_us", 0.0);
    double spread = med > 0 ? (t.value("p90_us", 0.0) - t.value("p10_us", 0.0)) / med : 0;
    double bytes_floor = bw > 0 ? rs.bytes / (bw * 1e3) : 0;       // GB/s -> bytes/us = bw*1e3
    double flops_floor = peak > 0 ? rs.flops / (peak * 1e3) : 0;   // GFLOP/s -> flop/us
    double floor_us = std::max(bytes_floor, flops_floor);
    double frac = med > 0 && floor_us > 0 ? floor_us / med : 0;
    nlohmann::json pj = {{"shape", rs.name}, {"median_us", med}, {"p10_us", t.value("p10_us", 0.0)},
                         {"p90_us", t.value("p90_us", 0.0)}, {"reps", t.value("reps", 0)},
                         {"ci_rel", t.value("ci_rel", 0.0)}, {"host_median_us", host}, {"spread", spread},
                         {"bytes", rs.bytes}, {"flops", rs.flops}, {"floor_us", floor_us},
                         {"roofline_fraction", frac}};
    size_t scored_index = res.shape_median_us.size();
    if (scored_index < req.parent.shape_median_us.size() && med > 0) {
      pj["parent_us"] = req.parent.shape_median_us[scored_index];
      pj["speedup_vs_parent"] = req.parent.shape_median_us[scored_index] / med;
    }
    if (scored_index < req.baseline.shape_median_us.size() && med > 0) {
      pj["baseline_us"] = req.baseline.shape_median_us[scored_index];
      pj["speedup_vs_baseline"] = req.baseline.shape_median_us[scored_index] / med;
    }
    if (req.backend == Backend::kCuda && host > kTimingMismatchFactor * med + kTimingMismatchSlackUs) {
      timing_mismatch = true;
      mismatch_detail = rs.name + ": events " + std::to_string(med) + " us, host wall clock " + std::to_string(host) + " us";
    }
    perf.push_back(pj);
    res.shape_median_us.push_back(med);
    if (frac > 0) fractions.push_back(frac);
    max_spread = std::max(max_spread, spread);
    worst_bytes_floor += bytes_floor;
    worst_flops_floor += flops_floor;
  }
  res.time_us = Geomean(res.shape_median_us);
  res.spread = max_spread;
  res.roofline_fraction = fractions.empty() ? 0 : Geomean(fractions);
  res.evidence["performance"] = {{"shapes", perf}, {"time_us", res.time_us}, {"spread", res.spread},
                                 {"roofline_fraction", res.roofline_fraction}};
  if (req.parent.time_us > 0) res.evidence["performance"]["speedup_vs_parent"] = req.parent.time_us / res.time_us;
  if (req.baseline.time_us > 0) res.evidence["performance"]["speedup_vs_baseline"] = req.baseline.time_us / res.time_us;
  double mean_time = 0;
  for (double m : res.shape_median_us) mean_time += m;
  mean_time /= std::max<size_t>(1, res.shape_median_us.size());
  res.bottleneck = ClassifyFromRoofline(mean_time, worst_bytes_floor / std::max<size_t>(1, res.shape_median_us.size()),
                                        worst_flops_floor / std::max<size_t>(1, res.shape_median_us.size()));

  if (req.profile && req.backend == Backend::kCuda) {
    RunnerSpec ps = cand_spec;
    ps.out_dir = run_dir + "/profile";
    // Not confined under Nsight Compute: its injected library talks to the ncu
    // front end through sockets and /tmp, which the Landlock rules deny.
    ps.confine = false;
    nlohmann::json prof = ProfileWithNcu(tools, ps, req, launcher);
    res.evidence["profile"] = prof;
    if (prof.contains("bottleneck")) res.bottleneck = prof["bottleneck"];
  } else if (req.profile) {
    res.evidence["profile"] = {{"error", "profiling needs the cuda backend"}};
  }

  if (timing_mismatch) {
    res.verdict = {VerdictKind::kHackSuspected, "timing_mismatch", mismatch_detail};
    return res;
  }
  // Physics and audit policy (evaluator/src/checks/physics.h, helper honesth).
  {
    checks::DeviceCeilings dc{bw * 1e9, peak * 1e9};
    checks::PhysicsOptions po;
    po.audit_speedup_factor = req.audit_speedup_factor;
    std::vector<std::string> names;
    std::vector<checks::ShapeCost> costs;
    std::vector<double> med_s, fracs;
    for (auto& pj : perf) {
      names.push_back(pj["shape"]);
      costs.push_back({pj["bytes"].get<double>(), pj["flops"].get<double>()});
      med_s.push_back(pj["median_us"].get<double>() * 1e-6);
      fracs.push_back(pj["roofline_fraction"].get<double>());
    }
    std::vector<checks::FloorCheck> floor_checks;
    auto impossible = checks::CheckPhysicsFloor(names, costs, med_s, dc, po, &floor_checks);
    nlohmann::json fj = nlohmann::json::array();
    for (auto& c : floor_checks) fj.push_back(c.ToJson());
    res.evidence["physics"] = {{"floor_checks", fj}};
    if (impossible) {
      res.verdict = *impossible;
      return res;
    }
    checks::AuditInput ai{res.shape_median_us, req.parent.shape_median_us, fracs};
    res.evidence["physics"]["audit"] = checks::DecideAudit(ai, po).ToJson();
  }
  if (req.parent.candidate_id.empty() || req.parent.time_us <= 0) {
    res.verdict = {VerdictKind::kImproved, "", "no parent to compare with"};
    return res;
  }
  double threshold = std::max(req.noise_threshold, max_spread / 2);
  double ratio = res.time_us / req.parent.time_us;
  std::string detail = "time " + std::to_string(res.time_us) + " us vs parent " + std::to_string(req.parent.time_us) +
                       " us (threshold " + std::to_string(threshold * 100) + "%)";
  if (ratio < 1 - threshold) res.verdict = {VerdictKind::kImproved, "", detail};
  else if (ratio > 1 + threshold) res.verdict = {VerdictKind::kSlower, "", detail};
  else res.verdict = {VerdictKind::kNoGain, "", detail};
  return res;
}

}  // namespace ksearch::evaluator
