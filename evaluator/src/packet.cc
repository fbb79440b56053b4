// The evidence packet (DESIGN.md section 6): one JSON document per candidate.
// It carries the build and run requests in full, so `ksearch replay` can
// re-run the evaluation from the packet alone.
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "ksearch/core/json_text.h"
#include "ksearch/evaluator/evaluator.h"
#include "packet_internal.h"

namespace ksearch::evaluator {

bool IsPacketMember(std::string_view key) {
  static constexpr std::string_view kMembers[] = {
      "packet_version", "candidate",     "compile",     "static",  "machine_code", "environment",
      "bottleneck",     "verdict",       "build_request", "run_request", "replay"};
  for (std::string_view m : kMembers)
    if (key == m) return true;
  return false;
}

bool IsBuildTextSection(std::string_view key) {
  for (std::string_view k : kBuildSections)
    if (key == k) return true;
  return false;
}

namespace {
// Moves `obj[key]` out (leaving the key absent), or returns `fallback`.
nlohmann::json Take(nlohmann::json& obj, const char* key, nlohmann::json fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  nlohmann::json v = std::move(*it);
  obj.erase(it);
  return v;
}
}  // namespace

nlohmann::json MakeEvidencePacket(const BuildRequest& breq, const BuildResult& build, const RunRequest& rreq,
                                  const RunResult* run) {
  if (!run) return TakeEvidencePacket(breq, build, rreq, nullptr);
  RunResult copy = *run;
  return TakeEvidencePacket(breq, build, rreq, &copy);
}

namespace {

// This machine's name, read once per process: a packet is written per
// evaluation, and a rename shows in the packets after the daemon restarts.
const std::string& HostName() {
  static const std::string name = [] {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    return std::string(host);
  }();
  return name;
}

// The packet from the build, the requests and run->evidence (moved out).
// With `text_sections`, the sections in run->evidence_text are left to the
// caller, so none of them is defaulted here; likewise the build's sections
// when build.evidence_text holds them (result_wire.h). build_request and
// run_request are the caller's: as tree members or as text.
nlohmann::json BuildPacket(const BuildRequest& breq, const BuildResult& build, const RunRequest& rreq,
                           RunResult* run, bool text_sections) {
  nlohmann::json p;
  p["packet_version"] = 1;
  p["candidate"] = {{"source_hash", build.source_hash}, {"machine_code_hash", build.machine_code_hash},
                    {"parent", rreq.parent.candidate_id}};
  nlohmann::json env = nlohmann::json::object();
  env["host"] = HostName();
  env["backend"] = BackendName(breq.backend);
  env["arch"] = breq.arch;
  env["compiler_version"] = "";  // unknown unless the build's environment names it
  // The build's environment (build.cc: the compiler version).
  if (auto it = build.evidence.find("environment"); it != build.evidence.end() && it->is_object())
    for (auto& [k, v] : it->items()) env[k] = v;
  if (build.evidence_text.empty())
    for (const char* k : kBuildSections) p[k] = build.evidence.value(k, nlohmann::json::object());
  if (run) {
    nlohmann::json& ev = run->evidence;
    if (!ev.is_object()) ev = nlohmann::json::object();
    nlohmann::json run_env = Take(ev, "environment", nlohmann::json::object());
    for (auto& [k, v] : run_env.items()) env[k] = std::move(v);
    if (!text_sections || ev.contains("validation"))
      p["validation"] = Take(ev, "validation", nlohmann::json::array());
    if (!text_sections || ev.contains("performance"))
      p["performance"] = Take(ev, "performance", nlohmann::json::object());
    if (!text_sections || ev.contains("profile")) p["profile"] = Take(ev, "profile", nlohmann::json::object());
    p["bottleneck"] = run->bottleneck;
    p["verdict"] = {{"kind", run->verdict.ToString()}, {"detail", run->verdict.detail}};
    // The other sections (runner_log, phases, physics, trusted_files, ...)
    // as the run wrote them; one named like a packet member is left out.
    for (auto it = ev.begin(); it != ev.end(); ++it)
      if (!IsPacketMember(it.key())) p[it.key()] = std::move(*it);
    ev = nlohmann::json::object();
  } else {
    p["verdict"] = {{"kind", build.verdict.ToString()}, {"detail", build.verdict.detail}};
  }
  p["environment"] = std::move(env);
  p["replay"] = "ksearch replay <packet.json>";
  return p;
}

// Sets the members of the JSON object `text` on `p` (nothing when `text` is
// not one).
void MergeTextSections(nlohmann::json& p, const std::string& text) {
  if (text.empty()) return;
  nlohmann::json more = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (more.is_object())
    for (auto it = more.begin(); it != more.end(); ++it) p[it.key()] = std::move(*it);
}

// "{...}" + "{...}" -> "{...,...}": `more`, one JSON object, goes into the
// object `text` byte for byte.
void SpliceTextSections(std::string& text, const std::string& more) {
  if (more.size() <= 2) return;
  text.pop_back();
  if (text.size() > 1) text += ',';
  text.append(more, 1, std::string::npos);
}

}  // namespace

nlohmann::json TakeEvidencePacket(const BuildRequest& breq, const BuildResult& build, const RunRequest& rreq,
                                  RunResult* run) {
  const bool text_sections = run && !run->evidence_text.empty();
  nlohmann::json p = BuildPacket(breq, build, rreq, run, text_sections);
  p["build_request"] = breq;
  p["run_request"] = rreq;
  MergeTextSections(p, build.evidence_text);
  if (text_sections) {
    MergeTextSections(p, run->evidence_text);
    run->evidence_text.clear();
  }
  return p;
}

std::string EvidencePacketText(const BuildRequest& breq, const BuildResult& build, const RunRequest& rreq,
                               RunResult* run, const nlohmann::json& members) {
  const bool text_sections = run && !run->evidence_text.empty();
  nlohmann::json p = BuildPacket(breq, build, rreq, run, text_sections);
  for (auto it = members.begin(); it != members.end(); ++it) p[it.key()] = *it;
  std::string text = p.dump();
  // The requests are written as text (the build's carries the whole source,
  // which a tree would copy and dump() escape a code point at a time).
  // A member of the caller's of the same name stands, as it would over the
  // tree's.
  JsonObjectText requests;
  if (!members.contains("build_request")) requests.RawMember("build_request", RequestText(breq));
  if (!members.contains("run_request")) requests.RawMember("run_request", RequestText(rreq));
  SpliceTextSections(text, requests.Take());
  // The build's and the run's text sections go in byte for byte. Their
  // members never repeat the packet's or each other's (result_wire.h).
  SpliceTextSections(text, build.evidence_text);
  if (text_sections) {
    SpliceTextSections(text, run->evidence_text);
    run->evidence_text.clear();
    run->evidence_text.shrink_to_fit();
  }
  return text;
}

}  // namespace ksearch::evaluator

namespace ksearch::evaluator {

std::string SummarizePacket(const nlohmann::json& p) {
  std::ostringstream os;
  auto verdict = p.value("verdict", nlohmann::json::object());
  os << "verdict: " << verdict.value("kind", "?");
  if (!verdict.value("detail", "").empty()) os << "  (" << verdict.value("detail", "") << ")";
  os << "\n";
  auto perf = p.value("performance", nlohmann::json::object());
  char line[256];
  if (perf.contains("shapes")) {
    std::snprintf(line, sizeof(line), "%-22s %12s %10s %9s %10s %9s\n", "shape", "median_us", "p10-p90%", "reps",
                  "vs_base", "roofline");
    os << line;
    for (auto& s : perf["shapes"]) {
      double med = s.value("median_us", 0.0);
      double spread = med > 0 ? 100 * (s.value("p90_us", 0.0) - s.value("p10_us", 0.0)) / med : 0;
      std::string vs = s.contains("speedup_vs_baseline") ? std::to_string(s["speedup_vs_baseline"].get<double>()).substr(0, 5) + "x" : "-";
      std::snprintf(line, sizeof(line), "%-22s %12.2f %9.2f%% %9d %10s %8.1f%%\n", s.value("shape", "").c_str(), med,
                    spread, s.value("reps", 0), vs.c_str(), 100 * s.value("roofline_fraction", 0.0));
      os << line;
    }
    std::snprintf(line, sizeof(line), "geomean %.2f us (+-%.2f%%)", perf.value("time_us", 0.0),
                  100 * perf.value("spread", 0.0));
    os << line;
    if (perf.contains("speedup_vs_baseline")) {
      std::snprintf(line, sizeof(line), ", %.3fx vs baseline", perf["speedup_vs_baseline"].get<double>());
      os << line;
    }
    std::snprintf(line, sizeof(line), ", %.1f%% of roofline", 100 * perf.value("roofline_fraction", 0.0));
    os << line << ", bottleneck " << p.value("bottleneck", "unknown") << "\n";
  }
  auto prof = p.value("profile", nlohmann::json::object());
  if (prof.contains("metrics")) os << "profile: " << prof["metrics"].dump() << "\n";
  else if (prof.contains("error")) os << "profile: " << prof["error"].get<std::string>() << "\n";
  auto res = p.value("compile", nlohmann::json::object()).value("resources", nlohmann::json::object());
  if (res.contains("max_registers"))
    os << "registers " << res["max_registers"] << ", spills " << res.value("total_spill_bytes", 0) << " B, stack "
       << res.value("max_stack_bytes", 0) << " B\n";
  return os.str();
}

}  // namespace ksearch::evaluator
