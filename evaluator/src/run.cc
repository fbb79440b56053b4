// Run(): verify, benchmark, (profile), verdict. The reference runs in its own
// trusted runner process, the candidate in another; comparison happens here.
//
// Verdict order: crash / timeout (candidate runner) -> incorrect{...} ->
// hack_suspected{timing_mismatch} -> physics (impossible_speed) -> audit
// (audit_failed, only when DecideAudit asks for one) -> slower / no_gain /
// improved against the parent. Whatever the verdict, trusted files changed
// during the evaluation turn it into hack_suspected{trusted_files_modified},
// unless the candidate ran confined throughout (then it could not have made
// the change: infra_error{task_changed} or {trusted_files_changed}).
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "checks/fs_confine.h"
#include "checks/physics.h"
#include "checks/trusted_files.h"
#include "inputs.h"
#include "ksearch/core/file_text.h"
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

// The audit's independent timings may be slower than the claimed medians by
// this factor before the audit fails: a fresh runner process on the same
// device (and Nsight Compute's kernel duration on CUDA) measures the same
// kernel, so only a cheat or heavy interference gives more. Host timings are
// noisier (shared CPUs, no device clock), hence the wider host limit.
constexpr double kAuditTimingRatioCuda = 1.5;
constexpr double kAuditTimingRatioHost = 2.0;

uint64_t AuditSeed(uint64_t seed) { return TrialSeed(seed ^ 0xA0D17A0D17A0D17Full, 7777, 7777); }

RunnerTiming TimingFor(Backend b) {
  RunnerTiming t;
  if (b == Backend::kCuda) { t.warmup = 5; t.min_reps = 20; t.max_reps = 5000; t.cap_s = 1.0; t.buffer_sets = kTimedSets; }
  else { t.warmup = 2; t.min_reps = 10; t.max_reps = 2000; t.cap_s = 0.5; t.buffer_sets = kTimedSets; }
  return t;
}

}  // namespace

bool CandidateConfinedThroughout(int landlock_abi, const nlohmann::json& evidence) {
  // True at `pointer` (a boolean there), false when absent or of another type.
  auto is_true = [&evidence](const char* pointer) {
    const nlohmann::json::json_pointer p(pointer);
    return evidence.contains(p) && evidence.at(p).is_boolean() && evidence.at(p).get<bool>();
  };
  return landlock_abi >= kLandlockAbiNoTruncate && is_true("/confinement/applied") && !evidence.contains("profile") &&
         !is_true("/physics/audit/ncu/available");
}

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

namespace {

// One verification-and-timing pass: the reference in a trusted runner, the
// candidate in a confined one, then Validate. `failure` is set when the pass
// did not produce a valid, measured candidate.
struct Pass {
  RunnerOutcome ref, cand;
  RunnerSpec cand_spec;
  Validation val;
  std::optional<Verdict> failure;
  bool reference_failed = false;
  // Wall seconds of each step (evidence "phases"): reference_s, candidate_s,
  // validate_s, plus each runner's own breakdown (the candidate's is what its
  // process reports: informational only, never used for a verdict).
  nlohmann::json phases = nlohmann::json::object();
};

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Pass VerifyAndTime(const RunRequest& req, const Task& task, const std::vector<ResolvedShape>& shapes,
                   const std::string& ref_library, const std::string& dir, ProcessLauncher& launcher,
                   const Tools& tools) {
  Pass p;
  RunnerSpec base;
  base.backend = std::string(BackendName(req.backend));
  base.timing = TimingFor(req.backend);
  for (auto& s : shapes) base.shapes.push_back(s.runner);

  RunnerSpec ref_spec = base;
  ref_spec.library = ref_library;
  ref_spec.mode = "trusted";
  ref_spec.out_dir = dir + "/reference";
  auto t0 = std::chrono::steady_clock::now();
  p.ref = LaunchRunner(tools, req.backend, ref_spec, req, launcher);
  p.phases["reference_s"] = SecondsSince(t0);
  if (p.ref.ok && p.ref.result.contains("phases")) p.phases["reference_runner"] = p.ref.result["phases"];
  if (!p.ref.ok) {
    p.reference_failed = true;
    p.failure = Verdict{VerdictKind::kInfraError, "reference_failed", p.ref.failure.ToString() + ": " + p.ref.failure.detail};
    return p;
  }
  p.cand_spec = base;
  p.cand_spec.library = req.artifact_path;
  p.cand_spec.mode = "candidate";
  p.cand_spec.out_dir = dir + "/candidate";
  p.cand_spec.confine = true;  // Landlock before dlopen (checks/fs_confine.h)
  t0 = std::chrono::steady_clock::now();
  p.cand = LaunchRunner(tools, req.backend, p.cand_spec, req, launcher);
  p.phases["candidate_s"] = SecondsSince(t0);
  if (p.cand.ok && p.cand.result.contains("phases") && p.cand.result["phases"].is_object())
    p.phases["candidate_runner"] = p.cand.result["phases"];
  if (!p.cand.ok) {
    p.failure = p.cand.failure;
    return p;
  }
  t0 = std::chrono::steady_clock::now();
  p.val = Validate(task, shapes, p.ref.out_dir, p.ref.result, p.cand.out_dir, p.cand.result);
  p.phases["validate_s"] = SecondsSince(t0);
  if (!p.val.ok) p.failure = p.val.verdict;
  return p;
}

// Per scored shape (shape order), the candidate's median from a pass.
std::vector<double> ScoredMedians(const std::vector<ResolvedShape>& shapes, const nlohmann::json& cand_result) {
  std::vector<double> out;
  for (size_t si = 0; si < shapes.size(); ++si) {
    if (shapes[si].held_out) continue;
    out.push_back(cand_result["shapes"][si].value("timing", nlohmann::json::object()).value("median_us", 0.0));
  }
  return out;
}

// The audit (DESIGN.md section 5, HACKS.md row 17): a fresh seed (new inputs for
// every trial and timed set), the held-out shapes again, an independent timing
// in a fresh runner process and, where Nsight Compute is available (CUDA), the
// kernels' own durations. Returns the verdict when the audit fails; fills `aj`.
std::optional<Verdict> ExecuteAudit(const RunRequest& req, const Task& task, const std::string& ref_library,
                                    const std::string& run_dir, const std::vector<double>& claimed_us,
                                    ProcessLauncher& launcher, const Tools& tools, nlohmann::json& aj) {
  uint64_t seed = AuditSeed(req.seed);
  aj["executed"] = true;
  aj["seed"] = seed;
  aj["claimed_us"] = claimed_us;
  const double ratio = req.backend == Backend::kCuda ? kAuditTimingRatioCuda : kAuditTimingRatioHost;
  aj["timing_ratio_limit"] = ratio;
  auto shapes = ResolveShapes(task, req.backend, seed);
  if (!shapes.ok()) return Verdict{VerdictKind::kInfraError, "bad_task", shapes.status().message()};
  Pass p = VerifyAndTime(req, task, *shapes, ref_library, run_dir + "/audit", launcher, tools);
  aj["validation"] = p.val.evidence;
  aj["phases"] = p.phases;
  checks::AuditEvidence ev;
  ev.claimed_us = claimed_us;
  ev.max_timing_ratio = ratio;
  ev.fresh_seeds_correct = ev.new_shapes_correct = true;
  if (p.failure) {
    if (p.reference_failed) return *p.failure;  // not the candidate's doing
    aj["failure"] = p.failure->ToString() + ": " + p.failure->detail;
    // Which leg: a held-out shape in the failure detail, else the fresh seeds.
    bool held = false;
    for (auto& s : *shapes)
      if (s.held_out && p.failure->detail.find("at " + s.name) != std::string::npos) held = true;
    (held ? ev.new_shapes_correct : ev.fresh_seeds_correct) = false;
    auto v = checks::ClassifyAudit(ev);
    aj["passed"] = false;
    v->detail += " (" + p.failure->ToString() + ": " + p.failure->detail.substr(0, 300) + ")";
    return v;
  }
  ev.independent_us = ScoredMedians(*shapes, p.cand.result);
  aj["independent_us"] = ev.independent_us;
  auto v = checks::ClassifyAudit(ev);
  if (v) v->detail = "fresh-process timing: " + v->detail;
  // Nsight Compute: the candidate's kernels inside one call, per scored shape.
  if (req.backend != Backend::kCuda) {
    aj["ncu"] = {{"available", false}, {"note", "ncu unavailable: host backend (no independent profiler timing)"}};
  } else if (tools.ncu.empty()) {
    aj["ncu"] = {{"available", false}, {"note", "ncu unavailable: not found on this machine"}};
  } else if (!v) {
    std::vector<double> ncu_us;
    nlohmann::json nj = {{"available", true}, {"shapes", nlohmann::json::array()}};
    std::string error;
    int scored = 0;
    for (size_t si = 0; si < shapes->size() && error.empty(); ++si) {
      if ((*shapes)[si].held_out) continue;
      RunnerSpec ps = p.cand_spec;
      ps.profile_shape = static_cast<int>(si);
      ps.out_dir = run_dir + "/audit/ncu-" + std::to_string(scored++);
      ps.confine = false;  // see the profile step in Run
      nlohmann::json prof = ProfileWithNcu(tools, ps, req, launcher);
      nj["shapes"].push_back(prof.contains("metrics") ? prof["metrics"] : prof);
      double d = prof.contains("metrics") ? prof["metrics"].value("duration_us", 0.0) : 0.0;
      if (d > 0) ncu_us.push_back(d);
      else error = prof.value("error", std::string("no kernel duration"));
    }
    if (!error.empty()) {
      // A tool failure (permissions, driver) is not a disagreement: say so,
      // and rely on the fresh-process timing.
      nj["note"] = "ncu failed, audit relies on the fresh-process timing: " + error.substr(0, 300);
    } else {
      nj["independent_us"] = ncu_us;
      checks::AuditEvidence ncu_ev = ev;
      ncu_ev.independent_us = ncu_us;
      v = checks::ClassifyAudit(ncu_ev);
      if (v) v->detail = "Nsight Compute timing: " + v->detail;
    }
    aj["ncu"] = nj;
  }
  aj["passed"] = !v.has_value();
  return v;
}

RunResult RunChecked(const RunRequest& req, ProcessLauncher& launcher, const Tools& tools,
                     const std::function<Result<std::string>(const std::string&)>& add_trusted) {
  RunResult res;
  auto infra = [&](std::string reason, std::string detail) {
    res.verdict = {VerdictKind::kInfraError, std::move(reason), std::move(detail)};
    return res;
  };
  auto task = LoadTask(req.task_dir);
  if (!task.ok()) return infra("bad_task", task.status().message());
  if (Status s = CheckTaskHash(*task, req.task_hash); !s.ok()) return infra("task_changed", s.message());
  std::string b(BackendName(req.backend));
  auto files = task->files.find(b);
  if (files == task->files.end() || files->second.reference.empty()) return infra("backend_unsupported", "no reference for " + b);
  if (req.work_dir.empty()) return infra("no_work_dir", "RunRequest.work_dir is empty");
  // The candidate's library was built; if it is gone now, something outside
  // the candidate removed it (a work folder cleaned while the daemon ran): the
  // runner's dlopen would fail and read as the candidate's crash{load_failed}.
  if (std::error_code ec; !std::filesystem::is_regular_file(req.artifact_path, ec))
    return infra("artifact_missing", "the built library " + req.artifact_path +
                                         " is gone (removed after its build: was the work folder cleaned?)");
  auto shapes = ResolveShapes(*task, req.backend, req.seed);
  if (!shapes.ok()) return infra("bad_task", shapes.status().message());

  // The trusted reference, built like any library (cached by content hash).
  BuildRequest rb;
  rb.task_dir = req.task_dir;
  rb.backend = req.backend;
  rb.arch = req.arch;
  rb.work_dir = req.work_dir;
  auto reference_source = ReadFileText(files->second.reference);
  if (!reference_source.ok()) return infra("bad_task", "reference: " + reference_source.status().message());
  rb.source = std::move(*reference_source);
  Tools trusted_tools = tools;
  trusted_tools.binary_checks = false;  // the reference is a trusted task file
  BuildResult ref_build = Build(rb, launcher, trusted_tools);
  if (!ref_build.ok) return infra("reference_build", ref_build.verdict.ToString() + ": " + ref_build.verdict.detail);
  // A cached reference library must still be the one that was built.
  {
    std::string built_sha = ref_build.evidence["compile"].value("artifact_sha256", "");
    auto now_sha = add_trusted(ref_build.artifact_path);  // hashed once: snapshot and check
    if (!now_sha.ok()) return infra("trusted_files", now_sha.status().ToString());
    res.evidence["reference"] = {{"artifact", ref_build.artifact_path}, {"sha256", *now_sha},
                                 {"cached", ref_build.evidence["compile"].value("cached", false)}};
    if (!built_sha.empty() && built_sha != *now_sha) {
      res.verdict = {VerdictKind::kHackSuspected, "trusted_files_modified",
                     "reference library " + ref_build.artifact_path + " changed since it was built"};
      return res;
    }
    if (built_sha.empty()) res.evidence["reference"]["note"] = "cache entry predates artifact hashes: not verified";
  }

  std::string run_dir = UniqueRunDir(req.work_dir);
  res.evidence["run_dir"] = run_dir;
  Pass pass = VerifyAndTime(req, *task, *shapes, ref_build.artifact_path, run_dir, launcher, tools);
  res.evidence["phases"] = pass.phases;
  if (pass.reference_failed) return infra("reference_failed", pass.ref.failure.ToString() + ": " + pass.ref.failure.detail);
  if (!pass.cand.ok) {
    res.verdict = *pass.failure;
    res.evidence["runner_log"] = pass.cand.log;
    return res;
  }
  const nlohmann::json& cand_result = pass.cand.result;
  res.evidence["environment"] = {{"before", cand_result.value("env_before", nlohmann::json::object())},
                                 {"after", cand_result.value("env_after", nlohmann::json::object())}};
  // What the candidate runner says about its Landlock confinement (applied, or
  // why not: a kernel without Landlock).
  res.evidence["confinement"] = cand_result.value("confinement", nlohmann::json{{"requested", true}, {"applied", false},
                                                                              {"error", "runner reported nothing"}});
  res.evidence["validation"] = pass.val.evidence;
  if (!pass.val.ok) { res.verdict = pass.val.verdict; return res; }
  const RunnerSpec& cand_spec = pass.cand_spec;
  // Performance per scored shape.
  auto t_ceil = std::chrono::steady_clock::now();
  auto ceil = DeviceCeilings(req, launcher, tools);
  res.evidence["phases"]["ceilings_s"] = SecondsSince(t_ceil);
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
    const nlohmann::json t = cand_result["shapes"][si].value("timing", nlohmann::json::object());
    double med = t.value("median_us", 0.0), host = t.value("host_median_us", 0.0);
    // dispersion: how widely single repetitions scatter; spread: the relative
    // half-width of the ~95% interval of the median (about two standard
    // errors), i.e. how far this evaluation's reported time may be from the
    // kernel's. The median is what is reported, so the spread is what a
    // caller compares times with (docs/evaluator.md, "Spread"). A runner
    // without a finite interval (fewer than five repetitions) falls back to
    // half the dispersion, the wider figure.
    double dispersion = med > 0 ? (t.value("p90_us", 0.0) - t.value("p10_us", 0.0)) / med : 0;
    const nlohmann::json* ci = t.contains("ci_rel") ? &t["ci_rel"] : nullptr;
    double ci_rel = ci && ci->is_number() ? ci->get<double>() : 0;
    double spread = std::isfinite(ci_rel) && ci_rel > 0 ? ci_rel / 2 : dispersion / 2;
    double bytes_floor = bw > 0 ? rs.bytes / (bw * 1e3) : 0;       // GB/s -> bytes/us = bw*1e3
    double flops_floor = peak > 0 ? rs.flops / (peak * 1e3) : 0;   // GFLOP/s -> flop/us
    double floor_us = std::max(bytes_floor, flops_floor);
    double frac = med > 0 && floor_us > 0 ? floor_us / med : 0;
    nlohmann::json pj = {{"shape", rs.name}, {"median_us", med}, {"p10_us", t.value("p10_us", 0.0)},
                         {"p90_us", t.value("p90_us", 0.0)}, {"reps", t.value("reps", 0)},
                         {"ci_rel", ci_rel}, {"host_median_us", host}, {"dispersion", dispersion}, {"spread", spread},
                         {"gate_expired_calls", t.value("gate_expired_calls", 0)},
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
    res.shapes.push_back({rs.name, med, t.value("p10_us", 0.0), t.value("p90_us", 0.0)});
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
    checks::AuditDecision decision = checks::DecideAudit(ai, po);
    nlohmann::json aj = decision.ToJson();
    if (decision.required) {
      const auto t_audit = std::chrono::steady_clock::now();
      auto failed = ExecuteAudit(req, *task, ref_build.artifact_path, run_dir, res.shape_median_us, launcher, tools, aj);
      res.evidence["phases"]["audit_s"] = SecondsSince(t_audit);
      if (failed) {
        res.evidence["physics"]["audit"] = aj;
        res.verdict = *failed;
        return res;
      }
    }
    res.evidence["physics"]["audit"] = aj;
  }
  if (req.parent.candidate_id.empty() || req.parent.time_us <= 0) {
    res.verdict = {VerdictKind::kImproved, "", "no parent to compare with"};
    return res;
  }
  double threshold = std::max(req.noise_threshold, max_spread);
  double ratio = res.time_us / req.parent.time_us;
  std::string detail = "time " + std::to_string(res.time_us) + " us vs parent " + std::to_string(req.parent.time_us) +
                       " us (threshold " + std::to_string(threshold * 100) + "%)";
  if (ratio < 1 - threshold) res.verdict = {VerdictKind::kImproved, "", detail};
  else if (ratio > 1 + threshold) res.verdict = {VerdictKind::kSlower, "", detail};
  else res.verdict = {VerdictKind::kNoGain, "", detail};
  return res;
}


}  // namespace

// Trusted files (checks/trusted_files.h): the task folder and the runner binary
// are hashed before anything runs, the reference library as soon as it is
// built (and compared with the hash recorded when it was built, for a cached
// one); all are verified again when the evaluation is over.
RunResult Run(const RunRequest& request, ProcessLauncher& launcher, const Tools& tools) {
  RunRequest req = request;
  MakePathsAbsolute(req);
  const auto t_start = std::chrono::steady_clock::now();
  std::vector<checks::TrustedManifest> manifests;
  // Snapshots `path` into the manifests; returns the digest of its first file
  // (the file itself when `path` is a file).
  auto add_trusted = [&](const std::string& path) -> Result<std::string> {
    auto m = checks::SnapshotTrustedFiles({path});
    if (!m.ok()) return m.status();
    std::string first = m->sha256.empty() ? "" : m->sha256.begin()->second;
    manifests.push_back(std::move(*m));
    return first;
  };
  for (const std::string& p : {req.task_dir, RunnerPath(tools, req.backend)}) {
    if (auto st = add_trusted(p); !st.ok()) {
      RunResult res;
      res.verdict = {VerdictKind::kInfraError, "trusted_files", st.status().ToString()};
      return res;
    }
  }
  RunResult res = RunChecked(req, launcher, tools, add_trusted);
  const auto t_verify = std::chrono::steady_clock::now();
  nlohmann::json roots = nlohmann::json::array();
  size_t files = 0;
  std::string changed;
  bool task_changed = false;  // the first manifest is the task folder's
  for (const auto& m : manifests) {
    for (auto& r : m.roots) roots.push_back(r);
    files += m.sha256.size();
    if (Status st = checks::VerifyTrustedFiles(m); !st.ok()) {
      changed += (changed.empty() ? "" : "\n") + st.message();
      task_changed |= &m == &manifests.front();
    }
  }
  res.evidence["trusted_files"] = {{"roots", roots}, {"files", files}, {"verified", changed.empty()}};
  if (res.evidence.contains("phases")) {
    res.evidence["phases"]["trusted_verify_s"] = SecondsSince(t_verify);
    res.evidence["phases"]["total_s"] = SecondsSince(t_start);
  }
  if (!changed.empty()) {
    res.evidence["trusted_files"]["changes"] = changed.substr(0, 2000);
    res.evidence["trusted_files"]["verdict_before"] = res.verdict.ToString();
    const auto abi = checks::LandlockAbiVersion();
    if (CandidateConfinedThroughout(abi.ok() ? *abi : 0, res.evidence)) {
      // The candidate's code could not reach these files, so someone else
      // changed them (a user editing the task, a rebuild of the runner): the
      // evaluation is void, and the candidate is not accused. A task folder
      // changed is task_changed, as when the change is seen before the run.
      res.evidence["trusted_files"]["changed_by"] = "outside the candidate (it ran confined throughout)";
      res.verdict = {VerdictKind::kInfraError, task_changed ? "task_changed" : "trusted_files_changed",
                     "changed during the evaluation, while the candidate ran confined: " + changed.substr(0, 600)};
    } else {
      res.verdict = {VerdictKind::kHackSuspected, "trusted_files_modified", changed.substr(0, 600)};
    }
  }
  // The run folder holds the output dumps (gigabytes per evaluation on the
  // CUDA shapes); everything the verdict rests on is in the evidence by now.
  // An overnight campaign that kept them filled a 64 GB disk within the hour.
  // KSEARCH_KEEP_RUN_DIRS=1 keeps them for debugging.
  const char* keep = std::getenv("KSEARCH_KEEP_RUN_DIRS");
  if (std::string run_dir = res.evidence.value("run_dir", ""); !run_dir.empty() && !(keep && *keep == '1')) {
    std::error_code ec;
    fs::remove_all(run_dir, ec);
    res.evidence["run_dir_removed"] = !ec;
  }
  return res;
}

}  // namespace ksearch::evaluator
