// `ksearch deadends`: what failed, how often, why, with an example. Reads the
// database file directly (no daemon) through the indexed fast path.
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cli.h"
#include "ksearch/core/verdict.h"
#include "ksearch/experiment_log/experiment_log.h"

namespace ksearch::cli {
namespace {

// --since: Unix milliseconds (all digits) or an ISO date/time in UTC:
// YYYY-MM-DD, YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS, optional trailing Z.
Result<int64_t> ParseSince(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 15) return Status::InvalidArgument("--since: '" + text + "' is out of range");
    return static_cast<int64_t>(std::stoll(text));
  }
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* rest = strptime(text.c_str(), format, &tm);
    if (rest && (std::string_view(rest).empty() || std::string_view(rest) == "Z"))
      return static_cast<int64_t>(timegm(&tm)) * 1000;
  }
  return Status::InvalidArgument("--since: '" + text +
                                 "' is neither Unix milliseconds nor an ISO date (YYYY-MM-DD[THH:MM[:SS]][Z])");
}

std::string IsoTime(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FirstLine(const std::string& s, size_t max) {
  std::string line = s.substr(0, s.find('\n'));
  return line.size() > max ? line.substr(0, max - 3) + "..." : line;
}

int RunDeadEnds(const Args& args, Io io) {
  if (Status s = args.CheckKnown({"db", "task", "arch", "axis", "class", "since", "json"}); !s.ok()) {
    io.err << "ksearch deadends: " << s.message() << "\n";
    return 2;
  }
  experiment_log::DeadEndFilter filter;
  filter.task = args.Get("task");
  filter.arch = args.Get("arch");
  filter.axis = args.Get("axis");
  filter.failure_class = args.Get("class");
  if (!filter.failure_class.empty() && !IsVerdictClassFilter(filter.failure_class)) {
    io.err << "ksearch deadends: --class: unknown verdict kind in '" << filter.failure_class << "' ("
           << KnownVerdictKinds() << ")\n";
    return 2;
  }
  if (args.Has("since")) {
    auto since = ParseSince(args.Get("since"));
    if (!since.ok()) {
      io.err << "ksearch deadends: " << since.status().message() << "\n";
      return 2;
    }
    filter.since_ms = *since;
  }
  experiment_log::OpenOptions options;
  options.read_only = true;
  auto log = experiment_log::ExperimentLog::Open(DatabasePath(args), options);
  if (!log.ok()) {
    io.err << "ksearch deadends: " << log.status().message() << "\n";
    return 1;
  }
  auto dead = (*log)->QueryDeadEnds(filter);
  if (!dead.ok()) {
    io.err << "ksearch deadends: " << dead.status().message() << "\n";
    return 1;
  }
  if (args.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : *dead) out.push_back(experiment_log::ToJson(d));
    io.out << out.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *dead)
    rows.push_back({std::to_string(d.count), d.failure_class, d.task, d.arch, d.axis,
                    IsoTime(d.last_seen_ms), d.example_attempt, FirstLine(d.example_excerpt, 60)});
  PrintTable(io.out, {"COUNT", "CLASS", "TASK", "ARCH", "AXIS", "LAST_SEEN", "EXAMPLE", "EXCERPT"}, rows);
  if (rows.empty()) io.out << "(no dead ends match)\n";
  return 0;
}

}  // namespace

KSEARCH_CLI_COMMAND("deadends",
                    "ksearch deadends --db PATH [--task T] [--arch A] [--axis X] [--class C] "
                    "[--since T] [--json]",
                    "mine the dead ends: what failed, how often, why, with an example "
                    "(--since: ISO date or Unix ms)",
                    {"json"}, &RunDeadEnds);

}  // namespace ksearch::cli
