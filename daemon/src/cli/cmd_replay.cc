// `ksearch replay <packet.json|attempt-id>`: re-runs an evaluation from its
// evidence packet (the build and run requests it carries), with the same seed
// unless --seed is given, and prints the original and new results side by side.
// By attempt id, the packet is the evidence_blob of the attempt's
// attempt_finished event in the experiment log (--db, $KSEARCH_DB, ./ksearch.db).
#include <filesystem>
#include <fstream>
#include <ostream>

#include "cli/cli.h"
#include "ksearch/core/event.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/experiment_log/experiment_log.h"

namespace ksearch::cli {
namespace {

Result<nlohmann::json> PacketFromLog(const std::string& db, const std::string& attempt) {
  experiment_log::OpenOptions o;
  o.read_only = true;
  o.create_if_missing = false;
  auto log = experiment_log::ExperimentLog::Open(db, o);
  if (!log.ok()) return log.status();
  experiment_log::EventFilter f;
  f.attempt_id = attempt;
  f.kind = std::string(event_kind::kAttemptFinished);
  auto events = (*log)->ReadEvents(f);
  if (!events.ok()) return events.status();
  if (events->empty()) return Status::NotFound("no attempt_finished event for attempt " + attempt + " in " + db);
  std::string blob = events->back().payload.value("evidence_blob", "");
  if (blob.empty()) return Status::NotFound("attempt " + attempt + " has no evidence_blob");
  auto text = (*log)->GetBlob(blob);
  if (!text.ok()) return text.status();
  try { return nlohmann::json::parse(*text); }
  catch (const std::exception& e) { return Status::Corruption("evidence blob " + blob + " is not JSON: " + e.what()); }
}

// The original build's machine-code hash: the packet's candidate section, or
// (daemon packets before 2026-11-25, whose candidate section left it out) the
// fingerprint of its machine_code section, which is the same value. "" when
// neither is recorded.
std::string OriginalMachineCode(const nlohmann::json& packet) {
  const nlohmann::json& candidate = packet.value("candidate", nlohmann::json::object());
  if (candidate.is_object())
    if (std::string h = candidate.value("machine_code_hash", ""); !h.empty()) return h;
  const nlohmann::json& code = packet.value("machine_code", nlohmann::json::object());
  return code.is_object() ? code.value("fingerprint", "") : "";
}

// "identical", "DIFFERS", or why the two builds cannot be compared.
std::string MachineCodeComparison(const nlohmann::json& packet, const BuildResult& replayed) {
  const std::string original = OriginalMachineCode(packet);
  if (original.empty()) return "not comparable: the packet records no machine-code hash";
  if (!replayed.ok || replayed.machine_code_hash.empty()) return "not comparable: the replay's build failed";
  return original == replayed.machine_code_hash ? "identical" : "DIFFERS";
}

int RunReplay(const Args& args, Io io) {
  if (Status s = args.CheckKnown({"db", "json", "seed", "work-dir", "profile"}); !s.ok()) {
    io.err << s.message() << "\n";
    return 2;
  }
  if (args.positional().size() != 1) {
    io.err << "usage: ksearch replay <packet.json|attempt-id> [--db PATH] [--seed N] [--json]\n";
    return 2;
  }
  std::string what = args.positional()[0];
  nlohmann::json packet;
  if (std::filesystem::is_regular_file(what)) {
    try { std::ifstream in(what); packet = nlohmann::json::parse(in); }
    catch (const std::exception& e) { io.err << what << ": not a JSON packet: " << e.what() << "\n"; return 1; }
  } else {
    auto p = PacketFromLog(DatabasePath(args), what);
    if (!p.ok()) { io.err << p.status().ToString() << "\n"; return 1; }
    packet = *p;
  }
  if (!packet.contains("build_request") || !packet.contains("run_request")) {
    io.err << what << ": packet has no build_request/run_request (not an evaluator packet)\n";
    return 1;
  }
  BuildRequest breq = packet["build_request"].get<BuildRequest>();
  RunRequest rreq = packet["run_request"].get<RunRequest>();
  auto seed = args.GetUint64("seed", rreq.seed);
  if (!seed.ok()) { io.err << seed.status().message() << "\n"; return 2; }
  rreq.seed = *seed;
  if (args.Has("work-dir")) breq.work_dir = rreq.work_dir = args.Get("work-dir");
  if (args.Has("profile")) rreq.profile = true;
  auto& launcher = PosixProcessLauncher::Instance();
  BuildResult built = evaluator::Build(breq, launcher);
  RunResult run;
  if (built.ok) {
    rreq.artifact_path = built.artifact_path;
    run = evaluator::Run(rreq, launcher);
  }
  nlohmann::json now = evaluator::MakeEvidencePacket(breq, built, rreq, built.ok ? &run : nullptr);
  const std::string code = MachineCodeComparison(packet, built);
  if (args.json()) {
    io.out << nlohmann::json{{"original", packet}, {"replay", now}, {"machine_code", code}}.dump(1) << "\n";
  } else {
    io.out << "== original\n" << evaluator::SummarizePacket(packet) << "== replay (seed " << rreq.seed << ")\n"
           << evaluator::SummarizePacket(now) << "machine code " << code << "\n";
  }
  VerdictKind k = built.ok ? run.verdict.kind : built.verdict.kind;
  return IsPassingVerdict(k) ? 0 : 1;
}

}  // namespace

KSEARCH_CLI_COMMAND("replay", "ksearch replay <packet.json|attempt-id> [--db PATH] [--seed N] [--profile] [--json]",
                    "re-run an evaluation from its evidence packet", {"json", "profile"}, &RunReplay);

}  // namespace ksearch::cli
