#include "ksearch/core/eval_protocol.h"

#include <filesystem>

#include "ksearch/core/json_text.h"

namespace ksearch {

std::string AbsolutePath(std::string path) {
  if (path.empty() || path.front() == '/') return path;
  std::error_code ec;  // no current folder: keep the path, its use will name it
  if (auto abs = std::filesystem::absolute(path, ec); !ec) return abs.lexically_normal().string();
  return path;
}

void MakePathsAbsolute(BuildRequest& r) {
  r.task_dir = AbsolutePath(std::move(r.task_dir));
  r.work_dir = AbsolutePath(std::move(r.work_dir));
}

void MakePathsAbsolute(RunRequest& r) {
  r.task_dir = AbsolutePath(std::move(r.task_dir));
  r.work_dir = AbsolutePath(std::move(r.work_dir));
  r.artifact_path = AbsolutePath(std::move(r.artifact_path));
}

std::string_view BackendName(Backend b) {
  switch (b) {
    case Backend::kHost: return "host";
    case Backend::kCuda: return "cuda";
    case Backend::kHip: return "hip";
  }
  return "host";
}

Result<Backend> ParseBackend(std::string_view name) {
  if (name == "host") return Backend::kHost;
  if (name == "cuda") return Backend::kCuda;
  if (name == "hip") return Backend::kHip;
  return Status::InvalidArgument("unknown backend '" + std::string(name) +
                                 "' (expected host, cuda or hip)");
}

namespace {
Backend BackendField(const nlohmann::json& j) {
  auto b = ParseBackend(j.value("backend", std::string("host")));
  return b.ok() ? *b : Backend::kHost;
}
Verdict VerdictField(const nlohmann::json& j) {
  auto v = Verdict::Parse(j.value("verdict", std::string("infra_error")));
  Verdict out = v.ok() ? *v : Verdict{VerdictKind::kInfraError, "bad_verdict", ""};
  out.detail = j.value("verdict_detail", std::string());
  return out;
}
}  // namespace

void to_json(nlohmann::json& j, const BuildRequest& r) {
  j = {{"task_dir", r.task_dir}, {"source", r.source}, {"backend", BackendName(r.backend)},
       {"arch", r.arch}, {"work_dir", r.work_dir}, {"compile_timeout_s", r.compile_timeout_s},
       {"expected_paths", r.expected_paths}};
}
void from_json(const nlohmann::json& j, BuildRequest& r) {
  r.task_dir = j.value("task_dir", "");
  r.source = j.value("source", "");
  r.backend = BackendField(j);
  r.arch = j.value("arch", "");
  r.work_dir = j.value("work_dir", "");
  r.compile_timeout_s = j.value("compile_timeout_s", 120.0);
  r.expected_paths = j.value("expected_paths", std::vector<std::string>{});
}

void to_json(nlohmann::json& j, const BuildResult& r) {
  j = {{"ok", r.ok}, {"verdict", r.verdict.ToString()}, {"verdict_detail", r.verdict.detail},
       {"artifact_path", r.artifact_path}, {"source_hash", r.source_hash},
       {"machine_code_hash", r.machine_code_hash}, {"evidence", r.evidence}};
}
void from_json(const nlohmann::json& j, BuildResult& r) {
  r.ok = j.value("ok", false);
  r.verdict = VerdictField(j);
  r.artifact_path = j.value("artifact_path", "");
  r.source_hash = j.value("source_hash", "");
  r.machine_code_hash = j.value("machine_code_hash", "");
  r.evidence = j.value("evidence", nlohmann::json::object());
}

void to_json(nlohmann::json& j, const ParentTiming& r) {
  j = {{"candidate_id", r.candidate_id}, {"time_us", r.time_us},
       {"shape_median_us", r.shape_median_us}};
}
void from_json(const nlohmann::json& j, ParentTiming& r) {
  r.candidate_id = j.value("candidate_id", "");
  r.time_us = j.value("time_us", 0.0);
  r.shape_median_us = j.value("shape_median_us", std::vector<double>{});
}

void to_json(nlohmann::json& j, const RunRequest& r) {
  j = {{"task_dir", r.task_dir}, {"artifact_path", r.artifact_path},
       {"backend", BackendName(r.backend)}, {"arch", r.arch}, {"device", r.device},
       {"seed", r.seed}, {"profile", r.profile}, {"run_timeout_s", r.run_timeout_s},
       {"noise_threshold", r.noise_threshold}, {"audit_speedup_factor", r.audit_speedup_factor},
       {"parent", r.parent}, {"baseline", r.baseline}, {"work_dir", r.work_dir}, {"task_hash", r.task_hash}};
}
void from_json(const nlohmann::json& j, RunRequest& r) {
  r.task_dir = j.value("task_dir", "");
  r.artifact_path = j.value("artifact_path", "");
  r.backend = BackendField(j);
  r.arch = j.value("arch", "");
  r.device = j.value("device", "");
  r.seed = j.value("seed", uint64_t{0});
  r.profile = j.value("profile", false);
  r.run_timeout_s = j.value("run_timeout_s", 60.0);
  r.noise_threshold = j.value("noise_threshold", 0.01);
  r.audit_speedup_factor = j.value("audit_speedup_factor", 3.0);
  if (j.contains("parent")) r.parent = j.at("parent").get<ParentTiming>();
  if (j.contains("baseline")) r.baseline = j.at("baseline").get<ParentTiming>();
  r.work_dir = j.value("work_dir", "");
  r.task_hash = j.value("task_hash", "");
}

namespace {
std::string TimingText(const ParentTiming& r) {
  return JsonObjectText()
      .Member("candidate_id", r.candidate_id)
      .Member("time_us", r.time_us)
      .Member("shape_median_us", r.shape_median_us)
      .Take();
}
}  // namespace

std::string RequestText(const BuildRequest& r) {
  return JsonObjectText()
      .Member("task_dir", r.task_dir)
      .Member("backend", BackendName(r.backend))
      .Member("arch", r.arch)
      .Member("work_dir", r.work_dir)
      .Member("compile_timeout_s", r.compile_timeout_s)
      .Member("expected_paths", r.expected_paths)
      .Member("source", r.source)
      .Take();
}

std::string RequestText(const RunRequest& r) {
  return JsonObjectText()
      .Member("task_dir", r.task_dir)
      .Member("artifact_path", r.artifact_path)
      .Member("backend", BackendName(r.backend))
      .Member("arch", r.arch)
      .Member("device", r.device)
      .Member("seed", r.seed)
      .Member("profile", r.profile)
      .Member("run_timeout_s", r.run_timeout_s)
      .Member("noise_threshold", r.noise_threshold)
      .Member("audit_speedup_factor", r.audit_speedup_factor)
      .RawMember("parent", TimingText(r.parent))
      .RawMember("baseline", TimingText(r.baseline))
      .Member("work_dir", r.work_dir)
      .Member("task_hash", r.task_hash)
      .Take();
}

void to_json(nlohmann::json& j, const ShapeTiming& r) {
  j = {{"name", r.name}, {"median_us", r.median_us}, {"p10_us", r.p10_us}, {"p90_us", r.p90_us}};
}
void from_json(const nlohmann::json& j, ShapeTiming& r) {
  r.name = j.value("name", "");
  r.median_us = j.value("median_us", 0.0);
  r.p10_us = j.value("p10_us", 0.0);
  r.p90_us = j.value("p90_us", 0.0);
}

void to_json(nlohmann::json& j, const RunResult& r) {
  j = {{"verdict", r.verdict.ToString()}, {"verdict_detail", r.verdict.detail},
       {"time_us", r.time_us}, {"spread", r.spread}, {"shape_median_us", r.shape_median_us},
       {"shapes", r.shapes}, {"roofline_fraction", r.roofline_fraction}, {"bottleneck", r.bottleneck},
       {"evidence", r.evidence}};
}
void from_json(const nlohmann::json& j, RunResult& r) {
  r.verdict = VerdictField(j);
  r.time_us = j.value("time_us", 0.0);
  r.spread = j.value("spread", 0.0);
  r.shape_median_us = j.value("shape_median_us", std::vector<double>{});
  r.shapes = j.value("shapes", std::vector<ShapeTiming>{});
  r.roofline_fraction = j.value("roofline_fraction", 0.0);
  r.bottleneck = j.value("bottleneck", "");
  r.evidence = j.value("evidence", nlohmann::json::object());
}

}  // namespace ksearch
