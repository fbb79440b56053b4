// sha256_throughput [KIB] [RUNS]: MB/s of SHA-256 over a KIB-KiB buffer (default
// 32, about one attempt's blobs), portable blocks vs the blocks Sha256 uses
// here (SHA-NI where the CPU has it), median of RUNS runs of thread CPU time.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ksearch/core/clock.h"
#include "sha256_blocks.h"

namespace {

double MedianMbPerSecond(ksearch::internal::Sha256Blocks fn, const std::string& data, int runs) {
  std::vector<double> rates;
  uint32_t state[8] = {};
  const size_t blocks = data.size() / 64;
  for (int r = 0; r < runs; ++r) {
    const int64_t t0 = ksearch::ThreadCpuNanos();
    for (int i = 0; i < 200; ++i) fn(state, reinterpret_cast<const uint8_t*>(data.data()), blocks);
    const double seconds = static_cast<double>(ksearch::ThreadCpuNanos() - t0) * 1e-9;
    rates.push_back(200.0 * static_cast<double>(blocks * 64) / seconds / 1e6);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t kib = argc > 1 ? std::max(1, std::atoi(argv[1])) : 32;
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 9;
  std::string data(kib * 1024, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 7);
  const double portable = MedianMbPerSecond(&ksearch::internal::Sha256BlocksPortable, data, runs);
  std::printf("portable: %.0f MB/s (%.3f ms per %zu KiB)\n", portable, kib * 1024 / portable / 1e3, kib);
  if (auto ni = ksearch::internal::Sha256BlocksShaNi()) {
    const double fast = MedianMbPerSecond(ni, data, runs);
    std::printf("sha-ni:   %.0f MB/s (%.3f ms per %zu KiB), %.1fx\n", fast, kib * 1024 / fast / 1e3, kib,
                fast / portable);
  } else {
    std::printf("sha-ni:   not available on this CPU (Sha256 uses the portable blocks)\n");
  }
  return 0;
}
