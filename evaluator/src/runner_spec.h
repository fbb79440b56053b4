// The wire format between the trusted side (Run) and ksearch-runner.
// The trusted side resolves the task into concrete shapes, seeds and buffer
// sizes; the runner needs no YAML and no task knowledge. The runner writes its
// outputs as raw files and a result JSON into `out_dir`; the trusted side reads
// them back and does all comparisons itself.
// Exit codes of ksearch-runner are listed in kRunnerExit*.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ksearch::evaluator {

inline constexpr int kRunnerExitOk = 0;
inline constexpr int kRunnerExitUsage = 2;       // bad spec: infra_error
inline constexpr int kRunnerExitLoad = 3;        // dlopen/dlsym failed: infra_error (or rejected)
inline constexpr int kRunnerExitKernelError = 4; // ks_run returned non-zero: crash{kernel_error}
inline constexpr int kRunnerExitDeviceFault = 5; // CUDA error after a call: crash{<cuda error name>}
inline constexpr int kRunnerExitNoDevice = 6;    // no usable GPU: infra_error

struct RunnerTensor {
  int dtype = 0;                    // ks_dtype
  std::vector<int64_t> shape;       // row-major contiguous
  std::vector<std::string> dists;   // inputs only
  int64_t Numel() const { int64_t n = 1; for (auto d : shape) n *= d; return n; }
};

struct RunnerShape {
  std::string name;
  std::vector<RunnerTensor> inputs, outputs;
  std::vector<int64_t> iscalars;
  std::vector<double> fscalars;
  int64_t workspace_bytes = 0;
  std::vector<uint64_t> trial_seeds;  // trial k uses dist k % dists.size() for every input
  bool repeat_trial0 = false;         // call twice on trial 0's inputs (determinism check)
  bool time = false;                  // benchmark (candidate) / compute the timed checks (trusted)
  // One seed per timed buffer set (inputs from dists[0], the distribution of
  // trial 0, so timings stay comparable between evaluations). Every timed call
  // stamps its set's inputs (inputs.h StampRanges); the last call of each set
  // uses the check stamp (kCheckCall) and its outputs are dumped; the trusted
  // runner computes the reference of exactly those inputs.
  std::vector<uint64_t> timed_seeds;
};

struct RunnerTiming {
  int warmup = 3;
  int min_reps = 10;
  int max_reps = 2000;
  double cap_s = 1.0;          // per shape
  double target_ci = 0.01;     // stop when the relative 95% CI of the median is below this
  int buffer_sets = 3;         // input/output copies rotated between calls (timed_seeds.size() wins)
  int64_t flush_bytes = 0;     // 0: the runner picks 2x the last-level cache
  int dump_timed = 2;          // unused: the checked last call of every buffer set is written
};

struct RunnerSpec {
  std::string library;         // empty in "ceilings" mode
  std::string backend = "host";    // host | cuda
  std::string mode = "candidate";  // candidate | trusted | ceilings | profile
  std::string out_dir;
  std::vector<RunnerShape> shapes;
  RunnerTiming timing;
  int profile_shape = 0;       // profile mode: the shape whose single call is wrapped in NVTX
  // Confine the runner with Landlock (checks/fs_confine.h) before it loads the
  // library: only system folders, /dev, the library file and out_dir stay
  // reachable. Set by Run() for candidate runs.
  bool confine = false;
};

void to_json(nlohmann::json& j, const RunnerTensor& t);
void from_json(const nlohmann::json& j, RunnerTensor& t);
void to_json(nlohmann::json& j, const RunnerShape& s);
void from_json(const nlohmann::json& j, RunnerShape& s);
void to_json(nlohmann::json& j, const RunnerTiming& t);
void from_json(const nlohmann::json& j, RunnerTiming& t);
void to_json(nlohmann::json& j, const RunnerSpec& s);
void from_json(const nlohmann::json& j, RunnerSpec& s);

// Output file names inside out_dir.
std::string TrialOutputFile(int shape, int trial, int output);
std::string RepeatOutputFile(int shape, int output);
std::string TimedOutputFile(int shape, int k, int output);

}  // namespace ksearch::evaluator
