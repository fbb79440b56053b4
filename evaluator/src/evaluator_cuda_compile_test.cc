// CUDA compile and machine-code tests: need nvcc and cuobjdump, not a GPU.
#include <catch.hpp>

#include <filesystem>

#include "compile.h"
#include "ksearch/evaluator/evaluator.h"
#include "test_support.h"

using namespace ksearch;
using namespace ksearch::evaluator;
using namespace ksearch::evaluator::testing;

namespace {

BuildResult BuildCuda(const std::string& source, const std::string& work, std::vector<std::string> expected = {}) {
  BuildRequest b;
  b.task_dir = SourceDir() + "/configs/tasks/softmax";
  b.source = source;
  b.backend = Backend::kCuda;
  b.arch = "sm_90a";
  b.work_dir = work;
  b.compile_timeout_s = 300;
  b.expected_paths = std::move(expected);
  return Build(b, PosixProcessLauncher::Instance());
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("ptxas -v resource lines are parsed per kernel", "[evaluator][cuda_compile]") {
  const char* log =
      "ptxas info    : 0 bytes gmem\n"
      "ptxas info    : Compiling entry function '_Z4SeedPKfPfx' for 'sm_90a'\n"
      "ptxas info    : Function properties for _Z4SeedPKfPfx\n"
      "    24 bytes stack frame, 8 bytes spill stores, 12 bytes spill loads\n"
      "ptxas info    : Used 40 registers, used 1 barriers, 1024 bytes smem, 384 bytes cmem[0]\n";
  nlohmann::json r = ParsePtxasInfo(log);
  auto& k = r["kernels"]["_Z4SeedPKfPfx"];
  CHECK(k["registers"] == 40);
  CHECK(k["smem_bytes"] == 1024);
  CHECK(k["barriers"] == 1);
  CHECK(k["stack_bytes"] == 24);
  CHECK(r["total_spill_bytes"] == 20);
  CHECK(r["max_registers"] == 40);
}

TEST_CASE("the softmax CUDA seed compiles for sm_90a with resources and SASS", "[evaluator][cuda_compile]") {
  Tools tools = Tools::FromEnvironment();
  if (tools.nvcc.empty() || tools.cuobjdump.empty()) {
    WARN("nvcc or cuobjdump not found; skipping");
    return;
  }
  std::string work = TempDir("cuda-work");
  std::string seed = ReadFile(SourceDir() + "/configs/tasks/softmax/seed.cu");
  BuildResult a = BuildCuda(seed, work, {"wgmma", "shuffle", "no_local_memory"});
  INFO(a.verdict.detail << "\n" << a.evidence.dump(1).substr(0, 3000));
  REQUIRE(a.ok);
  auto& res = a.evidence["compile"]["resources"];
  CHECK(res["max_registers"].get<int>() > 0);
  CHECK(res["kernels"].size() == 1);
  auto& mc = a.evidence["machine_code"];
  CHECK(mc["ok"] == true);
  CHECK(mc["families"]["global_memory"].get<int>() > 0);
  CHECK(mc["families"]["sfu"].get<int>() > 0);       // expf -> MUFU.EX2
  CHECK(mc["families"]["barrier"].get<int>() > 0);   // __syncthreads
  CHECK(mc["expected_paths"][0]["present"] == false); // no wgmma in a softmax
  CHECK(mc["expected_paths"][2]["present"] == true);  // no local memory
  CHECK(a.machine_code_hash.size() == 64);

  SECTION("a comment changes the source hash but not the machine-code fingerprint") {
    BuildResult b = BuildCuda("// a harmless comment\n" + seed, work);
    REQUIRE(b.ok);
    CHECK(b.source_hash != a.source_hash);
    CHECK(b.machine_code_hash == a.machine_code_hash);
  }
  SECTION("a different tunable changes the fingerprint") {
    BuildResult c = BuildCuda(Replace(seed, "#define BLOCK 256", "#define BLOCK 128"), work);
    REQUIRE(c.ok);
    CHECK(c.machine_code_hash != a.machine_code_hash);
  }
}

TEST_CASE("CUDA candidates whose SASS is the same are still told apart", "[evaluator][cuda_compile]") {
  // The SASS of these kernels does not depend on the block size the host
  // launches with, nor on the values of a __constant__ table; both change
  // what the candidate does, so neither may read as a machine-code duplicate.
  Tools tools = Tools::FromEnvironment();
  if (tools.nvcc.empty() || tools.cuobjdump.empty()) {
    WARN("nvcc or cuobjdump not found; skipping");
    return;
  }
  const std::string kernel = R"(#include <cuda_runtime.h>
#include "ksearch/kernel_abi.h"
namespace {
__constant__ float kScale[4] = {1.f, 2.f, 3.f, SCALE};
__global__ void Copy(const float* x, float* y, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = x[i] * kScale[i & 3];
}
}  // namespace
extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  long long n = a->inputs[0].shape[0] * a->inputs[0].shape[1];
  Copy<<<528, THREADS, 0, (cudaStream_t)a->stream>>>((const float*)a->inputs[0].data, (float*)a->outputs[0].data, n);
  return cudaGetLastError() == cudaSuccess ? 0 : 2;
}
)";
  auto variant = [&](const std::string& threads, const std::string& scale) {
    return Replace(Replace(kernel, "THREADS", threads), "SCALE", scale);
  };
  std::string work = TempDir("cuda-fingerprint");
  BuildResult base = BuildCuda(variant("256", "4.f"), work);
  BuildResult again = BuildCuda("// the same kernel\n" + variant("256", "4.f"), work);
  BuildResult wider = BuildCuda(variant("512", "4.f"), work);
  BuildResult table = BuildCuda(variant("256", "5.f"), work);
  for (const BuildResult* r : {&base, &again, &wider, &table}) {
    INFO(r->verdict.detail << "\n" << r->evidence["machine_code"].dump());
    REQUIRE(r->ok);
    REQUIRE(r->machine_code_hash.size() == 64);
  }
  // The SASS alone is the same in all four (what the fingerprint used to be).
  CHECK(wider.evidence["machine_code"]["top_opcodes"] == base.evidence["machine_code"]["top_opcodes"]);
  CHECK(again.machine_code_hash == base.machine_code_hash);
  CHECK(wider.machine_code_hash != base.machine_code_hash);
  CHECK(table.machine_code_hash != base.machine_code_hash);
}

TEST_CASE("a CUDA compile error is typed and keeps the nvcc log", "[evaluator][cuda_compile]") {
  Tools tools = Tools::FromEnvironment();
  if (tools.nvcc.empty()) return;
  BuildResult r = BuildCuda("__global__ void k() { undefined_thing(); }\n", TempDir("cuda-bad"));
  CHECK_FALSE(r.ok);
  CHECK(r.verdict.kind == VerdictKind::kCompileError);
  CHECK(r.evidence["compile"]["log"].get<std::string>().find("undefined_thing") != std::string::npos);
}

TEST_CASE("the CUDA runner was built next to the host runner", "[evaluator][cuda_compile]") {
  Tools tools = Tools::FromEnvironment();
  if (tools.nvcc.empty()) return;
  CHECK(std::filesystem::exists(tools.runner_dir + "/ksearch-runner-cuda"));
}
