// `ksearch eval`: one-shot evaluation without a daemon. Builds and runs the
// task's baseline and the given kernel under the same discipline, prints a
// short summary (or the evidence packet with --json) and stores the packet in
// <work-dir>/packets/ for `ksearch replay`.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <random>

#include "cli/cli.h"
#include "ksearch/core/file_text.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/task.h"

namespace ksearch::cli {
namespace {

namespace fs = std::filesystem;

int RunEval(const Args& args, Io io) {
  if (Status s = args.CheckKnown({"task", "kernel", "backend", "arch", "profile", "json", "work-dir", "seed",
                                  "no-baseline", "timeout"});
      !s.ok()) {
    io.err << s.message() << "\n";
    return 2;
  }
  if (!args.Has("task") || !args.Has("kernel")) {
    io.err << "usage: ksearch eval --task DIR --kernel FILE [--backend cuda|host] [--arch sm_90a] [--profile] [--json]\n";
    return 2;
  }
  std::string kernel = args.Get("kernel");
  if (!fs::is_regular_file(kernel)) { io.err << kernel << ": no such file\n"; return 2; }
  auto kernel_source = ReadFileText(kernel);
  if (!kernel_source.ok()) { io.err << kernel_source.status().message() << "\n"; return 2; }
  std::string bname = args.Get("backend", kernel.size() > 3 && kernel.substr(kernel.size() - 3) == ".cu" ? "cuda" : "host");
  auto backend = ParseBackend(bname);
  if (!backend.ok()) { io.err << backend.status().message() << "\n"; return 2; }
  auto task = evaluator::LoadTask(args.Get("task"));
  if (!task.ok()) { io.err << task.status().message() << "\n"; return 1; }

  const char* env_work = std::getenv("KSEARCH_WORK_DIR");
  std::string work = fs::absolute(args.Get("work-dir", env_work ? env_work : ".ksearch-work")).string();
  auto seed = args.GetUint64("seed", std::random_device{}());
  if (!seed.ok()) { io.err << seed.status().message() << "\n"; return 2; }
  auto timeout = args.GetDouble("timeout", RunRequest{}.run_timeout_s, 0.1, 86400);
  if (!timeout.ok()) { io.err << timeout.status().message() << "\n"; return 2; }
  auto& launcher = PosixProcessLauncher::Instance();

  BuildRequest breq;
  breq.task_dir = task->dir;
  breq.backend = *backend;
  breq.arch = args.Get("arch", *backend == Backend::kCuda ? "sm_90a" : "");
  breq.work_dir = work;
  RunRequest rreq;
  rreq.task_dir = task->dir;
  rreq.backend = *backend;
  rreq.arch = breq.arch;
  rreq.work_dir = work;
  rreq.seed = *seed;
  rreq.profile = args.Has("profile");
  rreq.run_timeout_s = *timeout;

  // Baseline first, same discipline, for the speedup.
  const auto& files = task->files[bname];
  std::optional<std::string> baseline_source;
  if (!args.Has("no-baseline") && !files.baseline.empty()) {
    auto text = ReadFileText(files.baseline);
    if (text.ok()) baseline_source = std::move(*text);
    else io.err << "warning: no baseline: " << text.status().message() << "\n";
  }
  if (baseline_source) {
    BuildRequest bb = breq;
    bb.source = std::move(*baseline_source);
    BuildResult bbuilt = evaluator::Build(bb, launcher);
    if (bbuilt.ok) {
      RunRequest br = rreq;
      br.artifact_path = bbuilt.artifact_path;
      br.profile = false;
      RunResult brun = evaluator::Run(br, launcher);
      if (IsPassingVerdict(brun.verdict.kind)) {
        rreq.baseline = {"baseline:" + task->baseline_name, brun.time_us, brun.shape_median_us};
      } else {
        io.err << "warning: baseline " << brun.verdict.ToString() << ": " << brun.verdict.detail << "\n";
      }
    } else {
      io.err << "warning: baseline did not build: " << bbuilt.verdict.ToString() << "\n";
    }
  }

  breq.source = std::move(*kernel_source);
  BuildResult built = evaluator::Build(breq, launcher);
  RunResult run;
  bool ran = false;
  if (built.ok) {
    rreq.artifact_path = built.artifact_path;
    run = evaluator::Run(rreq, launcher);
    ran = true;
  }
  nlohmann::json packet = evaluator::MakeEvidencePacket(breq, built, rreq, ran ? &run : nullptr);
  fs::create_directories(work + "/packets");
  std::string packet_path = work + "/packets/" + built.source_hash.substr(0, 16) + "-" + std::to_string(*seed) + ".json";
  packet["replay"] = "ksearch replay " + packet_path;
  std::ofstream(packet_path) << packet.dump(1);
  if (args.json()) {
    io.out << packet.dump(1) << "\n";
  } else {
    io.out << "task " << task->name << " (" << bname << (breq.arch.empty() ? "" : " " + breq.arch) << "), kernel "
           << kernel << "\n";
    io.out << evaluator::SummarizePacket(packet);
    io.out << "packet: " << packet_path << "\n";
  }
  VerdictKind k = ran ? run.verdict.kind : built.verdict.kind;
  return IsPassingVerdict(k) ? 0 : 1;
}

}  // namespace

KSEARCH_CLI_COMMAND("eval",
                    "ksearch eval --task DIR --kernel FILE [--backend cuda|host] [--arch sm_90a] [--profile] [--json] "
                    "[--work-dir DIR] [--seed N] [--no-baseline] [--timeout S]",
                    "evaluate one kernel against a task without a daemon",
                    {"json", "profile", "no-baseline"}, &RunEval);

}  // namespace ksearch::cli
