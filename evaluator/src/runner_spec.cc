#include "runner_spec.h"

namespace ksearch::evaluator {

void to_json(nlohmann::json& j, const RunnerTensor& t) { j = {{"dtype", t.dtype}, {"shape", t.shape}, {"dists", t.dists}}; }
void from_json(const nlohmann::json& j, RunnerTensor& t) {
  t.dtype = j.value("dtype", 0);
  t.shape = j.value("shape", std::vector<int64_t>{});
  t.dists = j.value("dists", std::vector<std::string>{});
}
void to_json(nlohmann::json& j, const RunnerShape& s) {
  j = {{"name", s.name}, {"inputs", s.inputs}, {"outputs", s.outputs}, {"iscalars", s.iscalars},
       {"fscalars", s.fscalars}, {"workspace_bytes", s.workspace_bytes}, {"trial_seeds", s.trial_seeds},
       {"repeat_trial0", s.repeat_trial0}, {"time", s.time}, {"timed_seeds", s.timed_seeds}};
}
void from_json(const nlohmann::json& j, RunnerShape& s) {
  s.name = j.value("name", "");
  s.inputs = j.value("inputs", std::vector<RunnerTensor>{});
  s.outputs = j.value("outputs", std::vector<RunnerTensor>{});
  s.iscalars = j.value("iscalars", std::vector<int64_t>{});
  s.fscalars = j.value("fscalars", std::vector<double>{});
  s.workspace_bytes = j.value("workspace_bytes", int64_t{0});
  s.trial_seeds = j.value("trial_seeds", std::vector<uint64_t>{});
  s.repeat_trial0 = j.value("repeat_trial0", false);
  s.time = j.value("time", false);
  s.timed_seeds = j.value("timed_seeds", std::vector<uint64_t>{});
}
void to_json(nlohmann::json& j, const RunnerTiming& t) {
  j = {{"warmup", t.warmup}, {"min_reps", t.min_reps}, {"max_reps", t.max_reps}, {"cap_s", t.cap_s},
       {"target_ci", t.target_ci}, {"buffer_sets", t.buffer_sets}, {"flush_bytes", t.flush_bytes},
       {"dump_timed", t.dump_timed}};
}
void from_json(const nlohmann::json& j, RunnerTiming& t) {
  RunnerTiming d;
  t.warmup = j.value("warmup", d.warmup);
  t.min_reps = j.value("min_reps", d.min_reps);
  t.max_reps = j.value("max_reps", d.max_reps);
  t.cap_s = j.value("cap_s", d.cap_s);
  t.target_ci = j.value("target_ci", d.target_ci);
  t.buffer_sets = j.value("buffer_sets", d.buffer_sets);
  t.flush_bytes = j.value("flush_bytes", d.flush_bytes);
  t.dump_timed = j.value("dump_timed", d.dump_timed);
}
void to_json(nlohmann::json& j, const RunnerSpec& s) {
  j = {{"library", s.library}, {"backend", s.backend}, {"mode", s.mode}, {"out_dir", s.out_dir}, {"shapes", s.shapes},
       {"timing", s.timing}, {"profile_shape", s.profile_shape}, {"confine", s.confine}};
}
void from_json(const nlohmann::json& j, RunnerSpec& s) {
  s.library = j.value("library", "");
  s.backend = j.value("backend", "host");
  s.mode = j.value("mode", "candidate");
  s.out_dir = j.value("out_dir", "");
  s.shapes = j.value("shapes", std::vector<RunnerShape>{});
  if (j.contains("timing")) s.timing = j.at("timing").get<RunnerTiming>();
  s.profile_shape = j.value("profile_shape", 0);
  s.confine = j.value("confine", false);
}

std::string TrialOutputFile(int shape, int trial, int output) {
  return "s" + std::to_string(shape) + "_t" + std::to_string(trial) + "_o" + std::to_string(output) + ".bin";
}
std::string RepeatOutputFile(int shape, int output) {
  return "s" + std::to_string(shape) + "_rep_o" + std::to_string(output) + ".bin";
}
std::string TimedOutputFile(int shape, int k, int output) {
  return "s" + std::to_string(shape) + "_timed" + std::to_string(k) + "_o" + std::to_string(output) + ".bin";
}

}  // namespace ksearch::evaluator
