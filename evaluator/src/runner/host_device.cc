// Host backend of ksearch-runner: plain host memory, std::chrono timing,
// last-level-cache flush by writing a buffer twice the LLC size.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "inputs.h"
#include "runner/device.h"

namespace ksearch::evaluator {
namespace {

using Clock = std::chrono::steady_clock;

size_t LastLevelCacheBytes() {
  long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  long llc = l3 > 0 ? l3 : (l2 > 0 ? l2 : 0);
  return llc > 0 ? static_cast<size_t>(llc) : (32u << 20);
}

class HostDevice final : public Device {
 public:
  std::string Init() override {
    flush_.assign(2 * LastLevelCacheBytes(), 1);
    return "";
  }
  void* Alloc(size_t bytes) override { return std::aligned_alloc(256, ((bytes + 255) / 256) * 256 + 256); }
  void Free(void* p) override { std::free(p); }
  std::string Upload(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); return ""; }
  std::string Download(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); return ""; }
  std::string Fill(void* dst, uint8_t b, size_t n) override { std::memset(dst, b, n); return ""; }
  std::string Copy(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); return ""; }
  // The host generator (chunked SplitMix streams, multithreaded), as before
  // device generation existed: host evaluations keep their values.
  std::string Generate(void* dst, DType dtype, int64_t n, const Distribution& d, uint64_t seed) override {
    FillTensor(dst, dtype, n, d, seed);
    return "";
  }
  void* Stream() override { return nullptr; }

  std::string TimedCall(const std::function<int()>& fn, bool flush, CallTiming* t, int* rc) override {
    if (flush) {
      // Write every cache line so the candidate's data is evicted.
      volatile uint8_t* p = flush_.data();
      for (size_t i = 0; i < flush_.size(); i += 64) p[i] = static_cast<uint8_t>(p[i] + 1);
    }
    auto t0 = Clock::now();
    *rc = fn();
    auto t1 = Clock::now();
    t->host_us = std::chrono::duration<double, std::micro>(t1 - t0).count();
    t->device_us = t->host_us;
    return "";
  }

  nlohmann::json Environment() override {
    nlohmann::json env = {{"device", "host"}, {"llc_bytes", LastLevelCacheBytes()},
                          {"cpus", sysconf(_SC_NPROCESSORS_ONLN)}};
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("model name", 0) == 0) { env["cpu"] = line.substr(line.find(':') + 2); break; }
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    env["host"] = host;
    return env;
  }

  nlohmann::json Ceilings() override {
    const size_t n = 128u << 20;
    std::vector<uint8_t> a(n, 1), b(n, 2);
    double best = 1e30;
    for (int i = 0; i < 5; ++i) {
      auto t0 = Clock::now();
      std::memcpy(b.data(), a.data(), n);
      double s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (s < best) best = s;
      a[i] = b[n - 1 - i];
    }
    return {{"bandwidth_gbs", 2.0 * n / best / 1e9}, {"peak_gflops", 0.0},
            {"method", "host memcpy 128 MiB, best of 5; no compute ceiling"}};
  }

 private:
  std::vector<uint8_t> flush_;
};

}  // namespace

std::unique_ptr<Device> MakeHostDevice() { return std::make_unique<HostDevice>(); }

}  // namespace ksearch::evaluator
