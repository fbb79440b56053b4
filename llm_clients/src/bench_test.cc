// Hidden benchmark ([.bench]): calls per second through HttpLlmClient +
// CurlTransport against the loopback fake. Run:
//   llm_clients_http_test "[.bench]"
// CPU time is the whole process (client and fake server thread together).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include <catch.hpp>

#include "test_util.h"

using namespace ksearch;
using namespace ksearch::llm;
using namespace ksearch::llm::testing;

namespace {
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
}  // namespace

TEST_CASE("bench: loopback calls per second", "[.bench]") {
  fakes::FakeLlmServer server;
  server.SetResponder([](const fakes::RecordedRequest&) {
    return fakes::FakeResponse::Completion(std::string(2000, 'r'));
  });
  for (bool stream : {false, true}) {
    for (int conc : {1, 16, 64}) {
      EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi, stream);
      cfg.max_concurrency = conc;
      Harness h(cfg);
      const int kCalls = 2000;
      std::vector<CompletionOutcome> out;
      out.reserve(kCalls);
      const double cpu0 = CpuSeconds();
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kCalls; ++i) h.Start(SimpleRequest(std::string(4000, 'p')), &out);
      h.io.run();
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = CpuSeconds() - cpu0;
      REQUIRE(out.size() == static_cast<size_t>(kCalls));
      int ok = 0;
      for (const auto& o : out) ok += o.ok;
      CHECK(ok == kCalls);
      std::printf("stream=%d concurrency=%d calls=%d wall_s=%.2f calls_per_s=%.0f cpu_ms_per_call=%.3f\n", stream,
                  conc, kCalls, wall, kCalls / wall, 1000 * cpu / kCalls);
    }
  }
}
