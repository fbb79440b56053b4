// Commands that talk to a running ksearchd: campaign lifecycle, attempts,
// best kernel, frontier.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <thread>

#include "api/http_types.h"
#include "cli/api_client.h"
#include "cli/cli.h"
#include "ksearch/core/file_text.h"

namespace ksearch::cli {
namespace {

using nlohmann::json;
using daemon::PercentEncode;

const std::set<std::string> kConn = {"url", "token-file", "daemon-config", "json"};

std::set<std::string> With(std::set<std::string> extra) {
  extra.insert(kConn.begin(), kConn.end());
  return extra;
}

std::string Fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

// Calls the API; on success runs `act` (in either mode; a non-zero return is
// the command's exit status, with nothing printed), then prints JSON (--json)
// or hands the body to `human`.
template <typename Human>
int Call(const Args& args, Io io, const std::set<std::string>& known, const std::string& method,
         const std::string& path, const std::string& body, Human human,
         const std::function<int(const json&)>& act = nullptr) {
  if (Status s = args.CheckKnown(known); !s.ok()) {
    io.err << "ksearch: " << s.message() << "\n";
    return 2;
  }
  auto target = ResolveApiTarget(args);
  if (!target.ok()) {
    io.err << "ksearch: " << target.status().message() << "\n";
    return 1;
  }
  auto reply = CallApi(*target, method, path, body);
  if (!reply.ok()) {
    io.err << "ksearch: " << reply.status().message() << "\n";
    return 1;
  }
  if (reply->status >= 300) return ReportApiError(*reply, io);
  if (act)
    if (int rc = act(reply->body); rc != 0) return rc;
  if (args.json()) {
    io.out << reply->body.dump(2) << "\n";
    return 0;
  }
  human(reply->body);
  return 0;
}

bool NeedId(const Args& args, Io io, const char* usage) {
  if (args.positional().size() == 1) return true;
  io.err << "usage: " << usage << "\n";
  return false;
}

void PrintStatus(const json& s, std::ostream& out) {
  out << "campaign   " << s.value("campaign", "") << "  (" << s.value("task", "") << ", "
      << s.value("backend", "") << " " << s.value("arch", "") << ")\n"
      << "state      " << s.value("state", "") << (s.value("state_reason", "").empty() ? "" : " — ")
      << s.value("state_reason", "") << "\n"
      << "attempts   " << s.value("attempts_finished", 0) << " finished, " << s.value("in_flight", 0)
      << " in flight\n";
  if (const json from = s.value("started_from", json()); from.is_object())
    out << "seed       " << from.value("candidate", "") << " from campaign " << from.value("campaign", "") << " ("
        << (from.value("best", false) ? "its best, " : "") << Fixed(from.value("time_us", 0.0), 2) << " us on "
        << from.value("arch", "") << ")\n";
  out << "verdicts  ";
  const json verdicts = s.value("verdicts", json::object());  // named: items() must not outlive it
  for (const auto& [k, v] : verdicts.items()) out << " " << k << "=" << v;
  out << "\n";
  if (s.value("best_time_us", 0.0) > 0) {
    out << "best       " << s.value("best_candidate", "") << "  " << Fixed(s.value("best_time_us", 0.0), 2)
        << " us";
    if (s.contains("speedup_vs_seed")) out << "  x" << Fixed(s["speedup_vs_seed"].get<double>(), 3) << " vs seed";
    if (s.contains("speedup_vs_baseline"))
      out << "  x" << Fixed(s["speedup_vs_baseline"].get<double>(), 3) << " vs baseline ("
          << s.value("baseline_name", "") << ")";
    out << "\n";
  }
  out << "cost       $" << Fixed(s.value("cost_usd", 0.0), 4) << "\n";
  const json b = s.value("budgets", json::object());
  auto limit = [&](const char* key, const std::string& unit, int digits) {
    const double v = b.value(key, 0.0);
    return v > 0 ? Fixed(v, digits) + unit : std::string("unlimited");
  };
  out << "budgets    attempts " << limit("attempts", "", 0) << ", wall " << limit("wall_seconds", " s", 0);
  if (s.contains("wall_seconds_used")) out << " (" << Fixed(s["wall_seconds_used"].get<double>(), 0) << " s run)";
  out << ", money "
      << (b.value("money_usd", 0.0) > 0 ? "$" : "") << limit("money_usd", "", 2) << ", plateau window "
      << (s.value("plateau_window", 0) > 0 ? std::to_string(s.value("plateau_window", 0)) : std::string("off"));
  if (s.contains("last_extension")) out << "  (last extension " << s["last_extension"].dump() << ")";
  out << "\n";
}

int CampaignStart(const Args& args, Io io) {
  if (!NeedId(args, io, "ksearch campaign start CAMPAIGN.yaml")) return 2;
  const std::string path = args.positional()[0];
  auto spec_yaml = ReadFileText(path, "the campaign file");
  if (!spec_yaml.ok()) {
    io.err << "ksearch: " << spec_yaml.status().message() << "\n";
    return 1;
  }
  json body{{"spec_yaml", *spec_yaml}, {"source", path}};
  return Call(args, io, kConn, "POST", "/v1/campaigns", body.dump(), [&](const json& r) {
    io.out << "started campaign " << r.value("campaign", "") << " (task " << r.value("task", "") << ", "
           << r.value("backend", "") << ", " << r.value("axes", json::array()).size() << " axes)\n";
  });
}

// A best time for the tables, "-" before the campaign has one (it read 0.00,
// a time no kernel has).
std::string BestTimeUs(const json& s) {
  const double t = s.value("best_time_us", 0.0);
  return t > 0 ? Fixed(t, 2) : "-";
}

int CampaignList(const Args& args, Io io) {
  return Call(args, io, kConn, "GET", "/v1/campaigns", "", [&](const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : r)
      rows.push_back({c.value("campaign", ""), c.value("task", ""), c.value("backend", ""), c.value("state", ""),
                      std::to_string(c.value("attempts", 0)), std::to_string(c.value("in_flight", 0)),
                      BestTimeUs(c), Fixed(c.value("cost_usd", 0.0), 4)});
    PrintTable(io.out, {"CAMPAIGN", "TASK", "BACKEND", "STATE", "ATTEMPTS", "IN_FLIGHT", "BEST_US", "COST_USD"},
               rows);
  });
}

// The evaluation slots: in service or not (and why), evaluations, canaries.
int Slots(const Args& args, Io io) {
  return Call(args, io, kConn, "GET", "/v1/slots", "", [&](const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : r.value("slots", json::array()))
      rows.push_back({s.value("slot", ""), s.value("kind", ""), s.value("device", ""),
                      s.value("in_service", false) ? "yes" : "NO", std::to_string(s.value("evaluations", 0)),
                      std::to_string(s.value("canaries", 0)), Fixed(s.value("last_canary_time_us", 0.0), 2),
                      s.value("out_of_service_reason", "")});
    PrintTable(io.out, {"SLOT", "KIND", "DEVICE", "IN_SERVICE", "EVALUATIONS", "CANARIES", "CANARY_US", "REASON"},
               rows);
  });
}

int CampaignStatus(const Args& args, Io io) {
  if (!NeedId(args, io, "ksearch campaign status ID [--watch [--exit-on-pause]] [--json]")) return 2;
  const std::string path = "/v1/campaigns/" + PercentEncode(args.positional()[0]);
  if (!args.Has("watch")) return Call(args, io, With({"watch"}), "GET", path, "", [&](const json& r) { PrintStatus(r, io.out); });
  // Live progress: one line per change until the campaign ends.
  if (Status s = args.CheckKnown(With({"watch", "exit-on-pause"})); !s.ok()) {
    io.err << "ksearch: " << s.message() << "\n";
    return 2;
  }
  auto target = ResolveApiTarget(args);
  if (!target.ok()) {
    io.err << "ksearch: " << target.status().message() << "\n";
    return 1;
  }
  std::string last;
  while (true) {
    auto reply = CallApi(*target, "GET", path);
    if (!reply.ok()) {
      io.err << "ksearch: " << reply.status().message() << "\n";
      return 1;
    }
    if (reply->status >= 300) return ReportApiError(*reply, io);
    const json& s = reply->body;
    std::ostringstream line;
    // A pause says why (the daemon's own pauses: infrastructure, a refused
    // log write, a campaign it could not rebuild), so a watcher is not left
    // looking at a line that never changes.
    const std::string reason = s.value("state_reason", "");
    line << s.value("state", "") << "  attempts=" << s.value("attempts_finished", 0)
         << " in_flight=" << s.value("in_flight", 0) << " best_us=" << BestTimeUs(s);
    if (s.contains("speedup_vs_seed")) line << " x" << Fixed(s["speedup_vs_seed"].get<double>(), 3) << "_vs_seed";
    if (s.value("state", "") == "paused" && !reason.empty()) line << "  (" << reason << ")";
    if (line.str() != last) {
      io.out << line.str() << std::endl;
      last = line.str();
    }
    std::string state = s.value("state", "");
    if (state == "finished" || state == "stopped") {
      if (args.json()) io.out << s.dump(2) << "\n";
      else PrintStatus(s, io.out);
      return 0;
    }
    // --exit-on-pause (scripts/demo): a paused campaign ends the watch with
    // exit code 3 instead of waiting for a resume that may be minutes away.
    if (state == "paused" && args.Has("exit-on-pause")) {
      if (args.json()) io.out << s.dump(2) << "\n";
      else PrintStatus(s, io.out);
      return 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

int CampaignAction(const Args& args, Io io, const std::string& action) {
  if (!NeedId(args, io, ("ksearch campaign " + action + " ID").c_str())) return 2;
  const std::string id = args.positional()[0];
  return Call(args, io, kConn, "POST", "/v1/campaigns/" + PercentEncode(id) + "/" + action, "",
              [&](const json&) { io.out << action << ": " << id << "\n"; });
}

const char* const kExtendUsage =
    "ksearch campaign extend ID [--attempts N] [--wall-seconds S] [--money-usd X] [--plateau-window W]";

// More budget: each option adds to its limit (a spent one counts from what was
// used); --plateau-window sets the window. The daemon refuses what would leave
// the campaign stopped, and names the limit.
int CampaignExtend(const Args& args, Io io) {
  if (!NeedId(args, io, kExtendUsage)) return 2;
  json body = json::object();
  auto attempts = args.GetInt("attempts", 0, 0, int64_t{1} << 40);
  auto window = args.GetInt("plateau-window", -1, 0, 1000000000);
  auto wall = args.GetDouble("wall-seconds", 0, 0, 1e9);
  auto money = args.GetDouble("money-usd", 0, 0, 1e9);
  for (const Status& s : {attempts.status(), window.status(), wall.status(), money.status()})
    if (!s.ok()) {
      io.err << "ksearch campaign extend: " << s.message() << "\nusage: " << kExtendUsage << "\n";
      return 2;
    }
  if (*attempts > 0) body["attempts"] = *attempts;
  if (*wall > 0) body["wall_seconds"] = *wall;
  if (*money > 0) body["money_usd"] = *money;
  if (args.Has("plateau-window")) body["plateau_window"] = *window;
  if (body.empty()) {
    io.err << "ksearch campaign extend: nothing to extend\nusage: " << kExtendUsage << "\n";
    return 2;
  }
  const std::string id = args.positional()[0];
  return Call(args, io, With({"attempts", "wall-seconds", "money-usd", "plateau-window"}), "POST",
              "/v1/campaigns/" + PercentEncode(id) + "/extend", body.dump(), [&](const json& r) {
                io.out << "extended: " << id << " (" << r.value("state", "") << "); limits now "
                       << r.value("budgets", json::object()).dump() << ", plateau window "
                       << r.value("plateau_window", 0) << "\n";
              });
}

const char* const kAttemptsUsage = "ksearch attempts CAMPAIGN [--limit N] [--verdict V] [--json]";

int Attempts(const Args& args, Io io) {
  if (!NeedId(args, io, kAttemptsUsage)) return 2;
  // The server's bound; asked here too so a bad value is named before any request.
  auto limit = args.GetInt("limit", 50, 1, 100000);
  if (!limit.ok()) {
    io.err << "ksearch attempts: " << limit.status().message() << "\nusage: " << kAttemptsUsage << "\n";
    return 2;
  }
  std::string path = "/v1/campaigns/" + PercentEncode(args.positional()[0]) + "/attempts?limit=" + std::to_string(*limit);
  if (args.Has("verdict")) path += "&verdict=" + PercentEncode(args.Get("verdict"));
  return Call(args, io, With({"limit", "verdict"}), "GET", path, "", [&](const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : r.value("attempts", json::array()))
      rows.push_back({a.value("attempt", ""), a.value("proposer", ""), a.value("axis", ""), a.value("parent", ""),
                      a.value("verdict", "(in flight)") +
                          (a.contains("remeasured") ? ", " + a.value("remeasured", "") : std::string()),
                      Fixed(a.value("time_us", 0.0), 2),
                      a.value("detail", "").substr(0, 60)});
    PrintTable(io.out, {"ATTEMPT", "PROPOSER", "AXIS", "PARENT", "VERDICT", "TIME_US", "DETAIL"}, rows);
  });
}

// Writes `text` to `path` whole, or says why not (the path and the system's
// reason): a short write must not read as "source written".
int WriteSourceFile(const std::string& path, const std::string& text, Io io) {
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (out) out.close();
  if (!out) {
    io.err << "ksearch best: " << path << ": cannot write the source: "
           << (errno != 0 ? std::strerror(errno) : "write failed") << "\n";
    return 1;
  }
  return 0;
}

int Best(const Args& args, Io io) {
  if (!NeedId(args, io, "ksearch best CAMPAIGN [--out FILE] [--json]")) return 2;
  // --out writes the source in both modes (with --json too), before anything
  // is printed, so a failed write prints only its error.
  auto write = [&](const json& r) {
    return args.Has("out") ? WriteSourceFile(args.Get("out"), r.value("source", ""), io) : 0;
  };
  return Call(
      args, io, With({"out"}), "GET", "/v1/campaigns/" + PercentEncode(args.positional()[0]) + "/best", "",
      [&](const json& r) {
        io.out << "best " << r.value("candidate", "") << " from " << r.value("attempt", "") << ": "
               << Fixed(r.value("time_us", 0.0), 2) << " us (seed " << Fixed(r.value("seed_time_us", 0.0), 2)
               << " us)\n";
        if (args.Has("out")) {
          io.out << "source written to " << args.Get("out") << "\n";
        } else {
          io.out << r.value("source", "");
        }
      },
      write);
}

int Frontier(const Args& args, Io io) {
  if (!NeedId(args, io, "ksearch frontier CAMPAIGN [--json]")) return 2;
  return Call(args, io, kConn, "GET", "/v1/campaigns/" + PercentEncode(args.positional()[0]) + "/frontier", "",
              [&](const json& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& f : r.value("frontier", json::array()))
                  rows.push_back({f.value("candidate", ""), f.value("axis", ""), f.value("state", ""),
                                  std::to_string(f.value("attempts", 0)), f.value("failure_kind", "")});
                PrintTable(io.out, {"CANDIDATE", "AXIS", "STATE", "TRIES", "LAST_FAILURE"}, rows);
              });
}

const char* kConnUsage = " [--url http://HOST:PORT] [--token-file PATH] [--daemon-config PATH] [--json]";

}  // namespace

KSEARCH_CLI_COMMAND("campaign start", std::string("ksearch campaign start CAMPAIGN.yaml") + kConnUsage,
                    "start a campaign on the running daemon", {"json"}, &CampaignStart);
KSEARCH_CLI_COMMAND("campaign list", std::string("ksearch campaign list") + kConnUsage,
                    "list campaigns", {"json"}, &CampaignList);
KSEARCH_CLI_COMMAND("campaign status", std::string("ksearch campaign status ID [--watch [--exit-on-pause]]") + kConnUsage,
                    "show a campaign; --watch follows it until it ends (--exit-on-pause: or until it pauses, exit 3)",
                    {"json", "watch", "exit-on-pause"}, &CampaignStatus);
KSEARCH_CLI_COMMAND("campaign pause", std::string("ksearch campaign pause ID") + kConnUsage,
                    "stop starting new attempts", {"json"},
                    [](const Args& a, Io io) { return CampaignAction(a, io, "pause"); });
KSEARCH_CLI_COMMAND("campaign resume", std::string("ksearch campaign resume ID") + kConnUsage,
                    "resume a paused campaign", {"json"},
                    [](const Args& a, Io io) { return CampaignAction(a, io, "resume"); });
KSEARCH_CLI_COMMAND("campaign stop", std::string("ksearch campaign stop ID") + kConnUsage,
                    "end a campaign (in-flight attempts finish)", {"json"},
                    [](const Args& a, Io io) { return CampaignAction(a, io, "stop"); });
KSEARCH_CLI_COMMAND("campaign extend", std::string(kExtendUsage) + kConnUsage,
                    "more budget for a campaign; one that finished on a budget or plateau runs again", {"json"},
                    &CampaignExtend);
KSEARCH_CLI_COMMAND("attempts", std::string("ksearch attempts CAMPAIGN [--limit N] [--verdict V]") + kConnUsage,
                    "list a campaign's attempts, pass or fail", {"json"}, &Attempts);
KSEARCH_CLI_COMMAND("best", std::string("ksearch best CAMPAIGN [--out FILE]") + kConnUsage,
                    "the campaign's confirmed best kernel", {"json"}, &Best);
KSEARCH_CLI_COMMAND("slots", std::string("ksearch slots") + kConnUsage,
                    "the daemon's evaluation slots: in service or not (canary), evaluations", {"json"}, &Slots);
KSEARCH_CLI_COMMAND("frontier", std::string("ksearch frontier CAMPAIGN") + kConnUsage,
                    "the frontier of (candidate, axis) pairs", {"json"}, &Frontier);

}  // namespace ksearch::cli
