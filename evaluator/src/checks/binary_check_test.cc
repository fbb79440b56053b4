// Binary checks on real shared libraries compiled by g++ (and nvcc) in the test.
#include "ksearch/evaluator/binary_check.h"

#include <catch.hpp>

#include "checks/allowlist.h"
#include "checks/elf_inspect.h"
#include "checks/test_util.h"

namespace ksearch::evaluator {
namespace {

using checks::testing::CompileShared;

BinaryCheckOptions HostOptions() {
  BinaryCheckOptions o;
  o.backend = Backend::kHost;
  o.allowlist_dir = checks::testing::SourceDir() + "/evaluator/allowlists";
  return o;
}

bool AnyContains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

const char* kPrelude = "#include \"ksearch/kernel_abi.h\"\n";

}  // namespace

TEST_CASE("binary check on real host libraries", "[evaluator][checks]") {
  std::string dir = checks::testing::MakeScratchDir();
  REQUIRE(!dir.empty());
  auto& launcher = PosixProcessLauncher::Instance();
  std::string log;

  SECTION("a plain kernel using std::vector, libm and new/delete passes") {
    std::string so = CompileShared(dir, "clean", std::string(kPrelude) + R"(
#include <cmath>
#include <vector>
extern "C" int ks_run(const ks_args* a) {
  long n = a->inputs[0].shape[0];
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  std::vector<float> tmp(x, x + n);
  for (long i = 0; i < n; ++i) y[i] = std::exp(tmp[i]) + std::sqrt(std::fabs(tmp[i]));
  return 0;
})", &log);
    INFO(log);
    REQUIRE(!so.empty());
    BinaryCheckReport r = CheckBinary(so, HostOptions(), launcher);
    INFO(r.ToJson().dump(2));
    CHECK(r.ok);
    CHECK(r.reason.empty());
    CHECK(AnyContains(r.exports, "ks_run"));
    CHECK(AnyContains(r.imports, "exp"));
    CHECK(AnyContains(r.needed, "libc.so.6"));
  }

  SECTION("threads, files and clocks are forbidden imports, each named") {
    std::string so = CompileShared(dir, "imports", std::string(kPrelude) + R"(
#include <cstdio>
#include <ctime>
#include <pthread.h>
static void* Work(void*) { return nullptr; }
extern "C" int ks_run(const ks_args* a) {
  pthread_t t; pthread_create(&t, nullptr, Work, nullptr);
  FILE* f = fopen("/etc/hostname", "r"); if (f) fclose(f);
  timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  return 0;
})", &log);
    INFO(log);
    REQUIRE(!so.empty());
    BinaryCheckReport r = CheckBinary(so, HostOptions(), launcher);
    INFO(r.ToJson().dump(2));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "forbidden_import");
    CHECK(AnyContains(r.violations, "pthread_create, not in the allowlist (threads)"));
    CHECK(AnyContains(r.violations, "fopen"));
    CHECK(AnyContains(r.violations, "clock_gettime, not in the allowlist (time)"));
  }

  SECTION("an export that shadows libc, or an extra C export, is rejected") {
    std::string so = CompileShared(dir, "shadow", std::string(kPrelude) + R"(
#include <ctime>
extern "C" int clock_gettime(clockid_t, struct timespec* ts) { ts->tv_sec = 0; ts->tv_nsec = 0; return 0; }
extern "C" int helper_c(int x) { return x + 1; }
extern "C" int ks_run(const ks_args* a) { return 0; }
)", &log);
    INFO(log);
    REQUIRE(!so.empty());
    BinaryCheckReport r = CheckBinary(so, HostOptions(), launcher);
    INFO(r.ToJson().dump(2));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "shadowing_export");
    CHECK(AnyContains(r.violations, "clock_gettime, which shadows libc.so.6"));
    CHECK(AnyContains(r.violations, "exports C symbol helper_c"));
  }

  SECTION("a needed library outside the allowlist is rejected even when no symbol is used") {
    std::string so = CompileShared(dir, "needs_sqlite", std::string(kPrelude) +
                                   "extern \"C\" int ks_run(const ks_args*) { return 0; }\n",
                                   &log, {"-Wl,--no-as-needed", "-lsqlite3"});
    INFO(log);
    REQUIRE(!so.empty());
    BinaryCheckReport r = CheckBinary(so, HostOptions(), launcher);
    INFO(r.ToJson().dump(2));
    CHECK(r.reason == "forbidden_library");
    CHECK(AnyContains(r.violations, "needs libsqlite3.so.0, not in the allowlist"));
  }

  SECTION("a raw syscall instruction in host code is found and located") {
    std::string so = CompileShared(dir, "rawsys", std::string(kPrelude) + R"(
extern "C" int ks_run(const ks_args* a) {
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(39L) : "rcx", "r11", "memory");  // getpid
  return ret < 0;
})", &log);
    INFO(log);
    REQUIRE(!so.empty());
    BinaryCheckReport r = CheckBinary(so, HostOptions(), launcher);
    INFO(r.ToJson().dump(2));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "raw_syscall");
    CHECK(AnyContains(r.violations, "syscall at 0x"));
    CHECK(AnyContains(r.violations, "in ks_run"));
  }

  SECTION("a library without ks_run is rejected; a non-ELF file is unreadable") {
    std::string so = CompileShared(dir, "noentry", "extern \"C++\" int f(int x) { return x; }\n",
                                   &log);
    INFO(log);
    REQUIRE(!so.empty());
    BinaryCheckReport r = CheckBinary(so, HostOptions(), launcher);
    CHECK(r.reason == "missing_entry");
    checks::testing::WriteFile(dir + "/junk.so", "not an elf file\n");
    BinaryCheckReport j = CheckBinary(dir + "/junk.so", HostOptions(), launcher);
    CHECK_FALSE(j.ok);
    CHECK(j.reason == "unreadable_binary");
    CHECK(AnyContains(j.violations, "junk.so"));
  }

  SECTION("a missing allowlist folder is an allowlist_error, never a pass") {
    std::string so = CompileShared(dir, "clean2", std::string(kPrelude) +
                                   "extern \"C\" int ks_run(const ks_args*) { return 0; }\n", &log);
    INFO(log);
    REQUIRE(!so.empty());
    BinaryCheckOptions o = HostOptions();
    o.allowlist_dir = dir + "/nowhere";
    BinaryCheckReport r = CheckBinary(so, o, launcher);
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "allowlist_error");
    o = HostOptions();
    o.allowed_libraries = {"no_such_library"};
    CHECK(CheckBinary(so, o, launcher).reason == "allowlist_error");
  }
}

TEST_CASE("binary check on nvcc-built CUDA libraries", "[evaluator][checks][nvcc]") {
  std::string dir = checks::testing::MakeScratchDir();
  REQUIRE(!dir.empty());
  auto& launcher = PosixProcessLauncher::Instance();
  std::string log;
  std::string so = CompileShared(dir, "side_stream.cu", std::string(kPrelude) + R"(
__global__ void k(const float* x, float* y, long n) {
  long i = blockIdx.x * 256L + threadIdx.x; if (i < n) y[i] = 2 * x[i]; }
__global__ void k2(const float* x, float* y, long n) {
  long i = blockIdx.x * 256L + threadIdx.x; if (i < n) y[i] = x[i] + 1; }
extern "C" int ks_run(const ks_args* a) {
  long n = a->inputs[0].shape[0];
  cudaStream_t s = (cudaStream_t)a->stream;
  if (n > 1000) cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  k<<<(n + 255) / 256, 256, 0, s>>>((const float*)a->inputs[0].data, (float*)a->outputs[0].data, n);
  k2<<<(n + 255) / 256, 256, 0, (cudaStream_t)a->stream>>>((const float*)a->inputs[0].data, (float*)a->outputs[0].data, n);
  return cudaGetLastError() != cudaSuccess;
})", &log);
  INFO(log);
    REQUIRE(!so.empty());
  BinaryCheckOptions o = HostOptions();
  o.backend = Backend::kCuda;
  BinaryCheckReport r = CheckBinary(so, o, launcher);
  INFO(r.ToJson().dump(2));
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "forbidden_import");
  CHECK(AnyContains(r.violations, "cudaStreamCreateWithFlags, not in the allowlist (streams)"));
  // The same library checked against the host allowlist also fails on libcudart.
  CHECK(CheckBinary(so, HostOptions(), launcher).reason == "forbidden_import");
  CHECK(AnyContains(CheckBinary(so, HostOptions(), launcher).violations, "libcudart"));
}

TEST_CASE("allowlist files parse with errors naming file:line", "[evaluator][checks]") {
  auto ok = checks::SymbolAllowlist::Parse("# why\nmemcpy  # copy\n_Znw*\nneeded: libc.so.6\n", "a.txt");
  REQUIRE(ok.ok());
  CHECK(ok->AllowsSymbol("memcpy@GLIBC_2.14"));
  CHECK(ok->AllowsSymbol("_ZnwmSt11align_val_t"));
  CHECK_FALSE(ok->AllowsSymbol("memcpy2"));
  CHECK_FALSE(ok->AllowsSymbol("pthread_create"));
  CHECK(ok->AllowsNeeded("libc.so.6"));
  CHECK_FALSE(ok->AllowsNeeded("libdl.so.2"));
  auto bad = checks::SymbolAllowlist::Parse("memcpy\nfoo bar\nneeded: lib/x.so\n", "b.txt");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("b.txt:2: invalid symbol pattern \"foo bar\"") != std::string::npos);
  CHECK(bad.status().message().find("b.txt:3: invalid soname pattern") != std::string::npos);
  // Every shipped allowlist parses.
  for (const char* f : {"host", "cuda", "hip", "cublas"}) {
    auto l = checks::SymbolAllowlist::LoadFile(checks::testing::SourceDir() +
                                                "/evaluator/allowlists/" + f + ".txt");
    INFO(f);
    CHECK(l.ok());
    CHECK(l->size() > 5);
  }
}

TEST_CASE("objdump and nm output parsers", "[evaluator][checks]") {
  auto sites = checks::ParseObjdumpSyscalls(
      "0000000000001100 <ks_run>:\n    1100:\tmov    $0x27,%eax\n    1105:\tsyscall\n"
      "0000000000001200 <other>:\n    1200:\tint    $0x80\n    1202:\tint3\n"
      "    1203:\tsysenter\n    1205:\tcall   1030 <syscall@plt>\n");
  REQUIRE(sites.size() == 3);
  CHECK(sites[0].ToString() == "syscall at 0x1105 in ks_run");
  CHECK(sites[1].instruction == "int $0x80");
  CHECK(sites[2].function == "other");
  checks::ElfDynamicInfo info;
  checks::ParseNmOutput(
      "                 w __gmon_start__\n                 U memcpy@GLIBC_2.14\n"
      "0000000000001139 T ks_run\n0000000000004010 B counter@@V1\n", info);
  REQUIRE(info.imports.size() == 2);
  CHECK(info.imports[1].name == "memcpy");
  REQUIRE(info.exports.size() == 2);
  CHECK(info.exports[1].name == "counter");
  CHECK(checks::ParseNeeded(" 0x1 (NEEDED)  Shared library: [libm.so.6]\n") ==
        std::vector<std::string>{"libm.so.6"});
}

}  // namespace ksearch::evaluator
