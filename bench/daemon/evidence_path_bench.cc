// The daemon's per-evaluation evidence path, old and new, on one real result.
//
//   evidence_path_bench PACKET.json RUN_RESULT.json [iterations]
//
// PACKET.json: an evidence packet (its build_request, run_request, compile,
// static and machine_code stand in for the attempt's build); RUN_RESULT.json:
// what `ksearch-evaluate run` printed, in either form. For each path it times
// what the slot thread does with the child's stdout (parse) and what the io
// thread does in Finish (packet built, serialised, SHA-256 for its blob name):
//   whole:  the result parsed whole, TakeEvidencePacket, dump (before 2026-11-22 13:40)
//   framed: ParseRunResultWire (evidence_text kept as bytes), EvidencePacketText
// and checks that both give the same packet.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "ksearch/core/sha256.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/run_wire.h"

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
  for (const char* k : {"compile", "static", "machine_code"}) build.evidence[k] = packet.value(k, nlohmann::json::object());
  RunResult parsed;
  std::string why;
  if (!evaluator::ParseRunResultWire(ReadFile(argv[2]), parsed, why)) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  if (!parsed.evidence_text.empty()) {  // make the plain form from a framed one
    RunResult whole = parsed;
    evaluator::TakeEvidencePacket(breq, build, rreq, &whole);  // parses the text: check it is JSON
    parsed.evidence.update(nlohmann::json::parse(parsed.evidence_text));
    parsed.evidence_text.clear();
  }
  const std::string plain = nlohmann::json(parsed).dump() + "\n";
  const std::string framed = evaluator::RunResultWireText(parsed);
  const nlohmann::json members{{"candidate", {{"attempt", "a1"}}}, {"verdict", {{"verdict", "no_gain"}}},
                               {"replay", "ksearch replay a1"}};

  Clock::duration parse_whole{}, packet_whole{}, parse_framed{}, packet_framed{};
  std::string last_whole, last_framed;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    RunResult r;
    {  // the slot thread before: parse, move the evidence out, from_json the rest
      auto j = nlohmann::json::parse(plain);
      nlohmann::json ev = std::move(j["evidence"]);
      j.erase("evidence");
      r = j.get<RunResult>();
      r.evidence = std::move(ev);
    }
    auto t1 = Clock::now();
    nlohmann::json p = evaluator::TakeEvidencePacket(breq, build, rreq, &r);
    for (auto it = members.begin(); it != members.end(); ++it) p[it.key()] = *it;
    std::string text = p.dump();
    std::string name = Sha256Hex(text);
    auto t2 = Clock::now();
    RunResult f;
    evaluator::ParseRunResultWire(framed, f, why);
    auto t3 = Clock::now();
    std::string text2 = evaluator::EvidencePacketText(breq, build, rreq, &f, members);
    std::string name2 = Sha256Hex(text2);
    auto t4 = Clock::now();
    parse_whole += t1 - t0;
    packet_whole += t2 - t1;
    parse_framed += t3 - t2;
    packet_framed += t4 - t3;
    if (i == 0) {
      last_whole = std::move(text);
      last_framed = std::move(text2);
    }
  }
  const bool same = nlohmann::json::parse(last_whole) == nlohmann::json::parse(last_framed);
  RunResult kept;
  evaluator::ParseRunResultWire(framed, kept, why);
  std::printf("child result: %zu bytes plain, %zu framed (%zu of them kept as text); packet %zu bytes\n",
              plain.size(), framed.size(), kept.evidence_text.size(), last_framed.size());
  std::printf("%-8s %12s %14s %10s   (us per evaluation, mean of %d)\n", "path", "parse(slot)", "packet(io)",
              "total", n);
  std::printf("%-8s %12.1f %14.1f %10.1f\n", "whole", Us(parse_whole) / n, Us(packet_whole) / n,
              Us(parse_whole + packet_whole) / n);
  std::printf("%-8s %12.1f %14.1f %10.1f\n", "framed", Us(parse_framed) / n, Us(packet_framed) / n,
              Us(parse_framed + packet_framed) / n);
  std::printf("same packet: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
