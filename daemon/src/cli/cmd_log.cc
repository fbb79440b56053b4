// `ksearch log verify`: recomputes the experiment log's hash chain and checks
// its derived tables and blobs (ExperimentLog::Verify).
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cli.h"
#include "ksearch/experiment_log/experiment_log.h"

namespace ksearch::cli {
namespace {

int RunLogVerify(const Args& args, Io io) {
  if (Status s = args.CheckKnown({"db", "json"}); !s.ok()) {
    io.err << "ksearch log verify: " << s.message() << "\n";
    return 2;
  }
  if (!args.positional().empty()) {
    io.err << "ksearch log verify: unexpected argument '" << args.positional()[0] << "'\n";
    return 2;
  }
  std::string path = DatabasePath(args);
  experiment_log::OpenOptions options;
  options.read_only = true;
  auto log = experiment_log::ExperimentLog::Open(path, options);
  if (!log.ok()) {
    io.err << "ksearch log verify: " << log.status().message() << "\n";
    return 1;
  }
  auto report = (*log)->Verify();
  if (!report.ok()) {
    io.err << "ksearch log verify: " << report.status().message() << "\n";
    return 1;
  }
  if (args.json()) {
    io.out << nlohmann::json{{"db", path},
                             {"ok", report->ok},
                             {"events_checked", report->events_checked},
                             {"blobs_checked", report->blobs_checked},
                             {"first_bad_seq", report->first_bad_seq},
                             {"bad_blob", report->bad_blob},
                             {"problem", report->problem}}
                  .dump()
           << "\n";
  } else if (report->ok) {
    io.out << path << ": ok, " << report->events_checked << " events, hash chain intact, " << report->blobs_checked
           << " blobs match their names\n";
  } else if (!report->bad_blob.empty()) {
    // The chain and the derived tables passed: the fault is in the blobs.
    io.out << path << ": FAILED" << (report->first_bad_seq > 0 ? " at seq " + std::to_string(report->first_bad_seq) : "")
           << ": " << report->problem
           << (report->first_bad_seq > 0 ? "" : " (no event names it)") << "; the hash chain of "
           << report->events_checked << " events is intact\n";
  } else {
    io.out << path << ": FAILED at seq " << report->first_bad_seq << ": " << report->problem
           << " (" << report->events_checked << " events before it are intact)\n";
  }
  return report->ok ? 0 : 1;
}

}  // namespace

KSEARCH_CLI_COMMAND("log verify", "ksearch log verify [--db PATH] [--json]",
                    "recompute the experiment log's hash chain, check its blobs; names the first bad row",
                    {"json"}, &RunLogVerify);

}  // namespace ksearch::cli
