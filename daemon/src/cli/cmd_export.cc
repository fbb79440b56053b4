// `ksearch export`: writes history.jsonl, memory.json and frontier.csv of one campaign.
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cli.h"
#include "ksearch/experiment_log/export.h"

namespace ksearch::cli {
namespace {

int RunExport(const Args& args, Io io) {
  if (Status s = args.CheckKnown({"db", "campaign", "out", "json"}); !s.ok()) {
    io.err << "ksearch export: " << s.message() << "\n";
    return 2;
  }
  std::string campaign = args.Get("campaign");
  std::string out = args.Get("out");
  if (campaign.empty() || out.empty()) {
    io.err << "ksearch export: --campaign and --out are required\n";
    return 2;
  }
  experiment_log::OpenOptions options;
  options.read_only = true;
  auto log = experiment_log::ExperimentLog::Open(DatabasePath(args), options);
  if (!log.ok()) {
    io.err << "ksearch export: " << log.status().message() << "\n";
    return 1;
  }
  auto summary = experiment_log::ExportCampaign(**log, campaign, out);
  if (!summary.ok()) {
    io.err << "ksearch export: " << summary.status().message() << "\n";
    return 1;
  }
  if (args.json()) {
    io.out << nlohmann::json{{"campaign", campaign},
                             {"events", summary->events},
                             {"attempts", summary->attempts},
                             {"frontier_rows", summary->frontier_rows},
                             {"files", summary->files}}
                  .dump()
           << "\n";
  } else {
    io.out << "campaign " << campaign << ": " << summary->attempts << " attempts, "
           << summary->frontier_rows << " frontier rows from " << summary->events << " events\n";
    for (const auto& f : summary->files) io.out << "  wrote " << f << "\n";
  }
  return 0;
}

}  // namespace

KSEARCH_CLI_COMMAND("export", "ksearch export --campaign ID --out DIR [--db PATH] [--json]",
                    "write history.jsonl, memory.json and frontier.csv for one campaign",
                    {"json"}, &RunExport);

}  // namespace ksearch::cli
