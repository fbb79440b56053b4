// request_text_bench: what writing one evaluation request costs the daemon's
// io thread: RequestText (core/eval_protocol.h) against the nlohmann tree and
// dump() it replaced (the same document; eval_protocol_test checks that).
// A build request is written twice per attempt (the child's stdin and the
// stored packet), a run request once per evaluation and once in the packet.
//
//     request_text_bench SOURCE_FILE [ITERATIONS]     (default 20000)
//
// SOURCE_FILE: a candidate's source, e.g. configs/tasks/softmax/seed.cu.
// Prints microseconds per request, three rounds.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "ksearch/core/eval_protocol.h"

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: request_text_bench SOURCE_FILE [ITERATIONS]\n"), 2;
  std::ifstream in(argv[1]);
  if (!in) return std::fprintf(stderr, "request_text_bench: cannot read %s\n", argv[1]), 2;
  std::stringstream source;
  source << in.rdbuf();
  const int n = argc > 2 ? std::atoi(argv[2]) : 20000;

  ksearch::BuildRequest build;
  build.task_dir = "/work/main/configs/tasks/softmax";
  build.source = source.str();
  build.backend = ksearch::Backend::kCuda;
  build.arch = "sm_90a";
  build.work_dir = "/tmp/ksearch-bench/work";
  ksearch::RunRequest run;
  run.task_dir = build.task_dir;
  run.artifact_path = "/tmp/ksearch-bench/work/artifacts/0123456789abcdef/libcandidate.so";
  run.backend = ksearch::Backend::kCuda;
  run.arch = "sm_90a";
  run.device = "0";
  run.seed = 0x9e3779b97f4a7c15ull;
  run.noise_threshold = 0.0125;
  run.parent = {"c-0123456789abcdef", 41.8125, {12.5, 40.25, 139.75}};
  run.baseline = {"baseline", 97.0625, {30.5, 95.0, 310.25}};
  run.work_dir = build.work_dir;
  if (nlohmann::json::parse(ksearch::RequestText(build)) != nlohmann::json(build) ||
      nlohmann::json::parse(ksearch::RequestText(run)) != nlohmann::json(run))
    return std::fprintf(stderr, "request_text_bench: the texts are not the same documents\n"), 1;

  std::printf("build request with a %zu-byte source; %d requests per round\n", build.source.size(), n);
  using Clock = std::chrono::steady_clock;
  const auto us = [n](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count() / n; };
  for (int round = 0; round < 3; ++round) {
    size_t bytes = 0;
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) bytes += nlohmann::json(build).dump().size();
    const auto t1 = Clock::now();
    for (int i = 0; i < n; ++i) bytes += ksearch::RequestText(build).size();
    const auto t2 = Clock::now();
    for (int i = 0; i < n; ++i) bytes += nlohmann::json(run).dump().size();
    const auto t3 = Clock::now();
    for (int i = 0; i < n; ++i) bytes += ksearch::RequestText(run).size();
    const auto t4 = Clock::now();
    std::printf("build: tree + dump %.2f us, RequestText %.2f us   run: tree + dump %.2f us, RequestText %.2f us   (%zu bytes)\n",
                us(t1 - t0), us(t2 - t1), us(t3 - t2), us(t4 - t3), bytes);
  }
  return 0;
}
