// The daemon's per-evaluation evidence path, old and new, on one real result.
//
//   evidence_path_bench PACKET.json RUN_RESULT.json [iterations]
//
// PACKET.json: an evidence packet (its build_request, run_request, compile,
// static and machine_code stand in for the attempt's build); RUN_RESULT.json:
// what `ksearch-evaluate run` printed, in either form. For each path it times
// what a build thread does with `ksearch-evaluate build`'s stdout (parse),
// what the slot thread does with the run's (parse) and what the io thread
// does in Finish (packet built, serialised, SHA-256 for its blob name):
//   whole:     both results parsed whole, TakeEvidencePacket, dump (before 2026-11-22 13:40)
//   run text:  the build parsed whole, ParseResultWire on the run's framed
//              form with environment and performance outside the text,
//              EvidencePacketText (before the build was framed, b41a963)
//   all text:  ParseResultWire on both framed results, EvidencePacketText
// and checks that all three give the same packet.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "ksearch/core/sha256.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/result_wire.h"

using namespace ksearch;
using Clock = std::chrono::steady_clock;

namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// The time one path spent in each thread's part, summed over the iterations.
struct PathTimes {
  Clock::duration build{}, run{}, packet{};
};

// The run's framed form as b41a963's evaluator wrote it: environment and
// performance parsed by the daemon, the rest text; no RunResult::shapes.
std::string RunWireKeepingPerformance(RunResult r) {
  nlohmann::json kept = nlohmann::json::object(), text = nlohmann::json::object();
  for (auto it = r.evidence.begin(); it != r.evidence.end(); ++it)
    (it.key() == "environment" || it.key() == "performance" ? kept : text)[it.key()] = *it;
  if (!text.contains("validation")) text["validation"] = nlohmann::json::array();
  if (!text.contains("profile")) text["profile"] = nlohmann::json::object();
  r.evidence = std::move(kept);
  r.shapes.clear();
  const std::string body = text.dump(), head = nlohmann::json(r).dump();
  return "{\"evidence_text_bytes\":" + std::to_string(body.size()) + ",\"evidence_text\":" + body + "," +
         head.substr(1) + "\n";
}

BuildResult ParseBuildWhole(const std::string& text) {
  auto j = nlohmann::json::parse(text);
  return TakeResultFromJson<BuildResult>(j);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PACKET.json RUN_RESULT.json [iterations]\n", argv[0]);
    return 2;
  }
  const int n = argc > 3 ? std::atoi(argv[3]) : 2000;
  const nlohmann::json packet = nlohmann::json::parse(ReadFile(argv[1]));
  const BuildRequest breq = packet.at("build_request").get<BuildRequest>();
  const RunRequest rreq = packet.at("run_request").get<RunRequest>();
  BuildResult build;
  build.ok = true;
  build.source_hash = packet.value("candidate", nlohmann::json::object()).value("source_hash", "");
  build.machine_code_hash = packet.value("candidate", nlohmann::json::object()).value("machine_code_hash", "");
  for (const char* k : {"compile", "static", "machine_code"}) build.evidence[k] = packet.value(k, nlohmann::json::object());
  build.evidence["environment"] = {{"compiler_version", build.evidence["compile"].value("compiler_version", "")}};
  RunResult parsed;
  std::string why;
  if (!evaluator::ParseResultWire(ReadFile(argv[2]), parsed, why)) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  if (!parsed.evidence_text.empty()) {  // make the plain form from a framed one
    RunResult whole = parsed;
    evaluator::TakeEvidencePacket(breq, build, rreq, &whole);  // parses the text: check it is JSON
    parsed.evidence.update(nlohmann::json::parse(parsed.evidence_text));
    parsed.evidence_text.clear();
  }
  if (parsed.shapes.empty() && parsed.evidence.contains("performance"))  // a result from before RunResult::shapes
    for (const auto& sh : parsed.evidence["performance"].value("shapes", nlohmann::json::array()))
      parsed.shapes.push_back({sh.value("shape", ""), sh.value("median_us", 0.0), sh.value("p10_us", 0.0),
                               sh.value("p90_us", 0.0)});
  const std::string run_plain = nlohmann::json(parsed).dump() + "\n";
  const std::string run_framed = evaluator::RunResultWireText(parsed);
  const std::string run_framed_before = RunWireKeepingPerformance(parsed);
  const std::string build_plain = nlohmann::json(build).dump() + "\n";
  const std::string build_framed = evaluator::BuildResultWireText(build);
  const nlohmann::json members{{"candidate", {{"attempt", "a1"}}}, {"verdict", {{"verdict", "no_gain"}}},
                               {"replay", "ksearch replay a1"}};

  // A path whose packet is EvidencePacketText: `parse_build` reads the
  // build's stdout, `run_wire` is the run's.
  auto framed = [&](auto parse_build, const std::string& run_wire, PathTimes& t) {
    auto t0 = Clock::now();
    BuildResult b = parse_build();
    auto t1 = Clock::now();
    RunResult r;
    evaluator::ParseResultWire(run_wire, r, why);
    auto t2 = Clock::now();
    std::string text = evaluator::EvidencePacketText(breq, b, rreq, &r, members);
    std::string name = Sha256Hex(text);
    auto t3 = Clock::now();
    t.build += t1 - t0, t.run += t2 - t1, t.packet += t3 - t2;
    return text;
  };
  PathTimes whole, run_text, all_text;
  std::string first[3];
  for (int i = 0; i < n; ++i) {
    std::string texts[3];
    {  // whole
      auto t0 = Clock::now();
      BuildResult b = ParseBuildWhole(build_plain);
      auto t1 = Clock::now();
      RunResult r;
      {
        auto j = nlohmann::json::parse(run_plain);
        r = TakeResultFromJson<RunResult>(j);
      }
      auto t2 = Clock::now();
      nlohmann::json p = evaluator::TakeEvidencePacket(breq, b, rreq, &r);
      for (auto it = members.begin(); it != members.end(); ++it) p[it.key()] = *it;
      texts[0] = p.dump();
      std::string name = Sha256Hex(texts[0]);
      auto t3 = Clock::now();
      whole.build += t1 - t0, whole.run += t2 - t1, whole.packet += t3 - t2;
    }
    texts[1] = framed([&] { return ParseBuildWhole(build_plain); }, run_framed_before, run_text);
    texts[2] = framed(
        [&] {
          BuildResult b;
          evaluator::ParseResultWire(build_framed, b, why);
          return b;
        },
        run_framed, all_text);
    if (i == 0)
      for (int k = 0; k < 3; ++k) first[k] = std::move(texts[k]);
  }
  const nlohmann::json want = nlohmann::json::parse(first[0]);
  const bool same = nlohmann::json::parse(first[1]) == want && nlohmann::json::parse(first[2]) == want;
  BuildResult kept_build;
  evaluator::ParseResultWire(build_framed, kept_build, why);
  RunResult kept;
  evaluator::ParseResultWire(run_framed, kept, why);
  std::printf("build result: %zu bytes plain, %zu framed (%zu of them kept as text)\n", build_plain.size(),
              build_framed.size(), kept_build.evidence_text.size());
  std::printf("run result: %zu bytes plain, %zu framed (%zu of them kept as text); packet %zu bytes\n",
              run_plain.size(), run_framed.size(), kept.evidence_text.size(), first[2].size());
  std::printf("%-9s %12s %12s %12s %10s   (us per evaluation, mean of %d)\n", "path", "build(parse)",
              "run(parse)", "packet(io)", "total", n);
  for (auto [name, t] : {std::pair{"whole", &whole}, std::pair{"run text", &run_text}, std::pair{"all text", &all_text}})
    std::printf("%-9s %12.1f %12.1f %12.1f %10.1f\n", name, Us(t->build) / n, Us(t->run) / n, Us(t->packet) / n,
                Us(t->build + t->run + t->packet) / n);
  std::printf("same packet: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
