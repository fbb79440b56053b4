#include "checks/trusted_files.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch.hpp>
#include <filesystem>

#include "checks/fs_confine.h"
#include "checks/test_util.h"

namespace ksearch::evaluator::checks {

using testing::MakeScratchDir;
using testing::WriteFile;

TEST_CASE("trusted files: any change, removal or addition is reported by name",
          "[evaluator][checks]") {
  std::string dir = MakeScratchDir();
  REQUIRE(!dir.empty());
  std::filesystem::create_directories(dir + "/task/sub");
  WriteFile(dir + "/task/task.yaml", "name: t\n");
  WriteFile(dir + "/task/sub/reference.cc", "int ks_run;\n");
  WriteFile(dir + "/runner", "binary");
  auto m = SnapshotTrustedFiles({dir + "/task", dir + "/runner"});
  REQUIRE(m.ok());
  CHECK(m->sha256.size() == 3);
  CHECK(VerifyTrustedFiles(*m).ok());

  WriteFile(dir + "/task/sub/reference.cc", "int ks_run = 1;\n");
  Status s = VerifyTrustedFiles(*m);
  CHECK(s.IsCorruption());
  CHECK(s.message().find("sub/reference.cc: trusted file modified") != std::string::npos);

  WriteFile(dir + "/task/sub/reference.cc", "int ks_run;\n");  // restored
  CHECK(VerifyTrustedFiles(*m).ok());
  WriteFile(dir + "/task/cached_outputs.bin", "x");
  std::filesystem::remove(dir + "/runner");
  s = VerifyTrustedFiles(*m);
  CHECK(s.message().find("cached_outputs.bin: file added") != std::string::npos);
  CHECK(s.message().find("runner: trusted path does not exist") != std::string::npos);
  CHECK(s.message().find("runner: trusted file missing") != std::string::npos);

  CHECK_FALSE(SnapshotTrustedFiles({dir + "/nope"}).ok());
  REQUIRE(MakeReadOnly({dir + "/task"}).ok());
  // root ignores mode bits; there Landlock is the only barrier.
  CHECK((geteuid() == 0 || access((dir + "/task/task.yaml").c_str(), W_OK) != 0));
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
}

// Runs `body` in a forked child and returns its exit code.
template <typename F>
int InChild(F body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_CASE("landlock confinement hides everything but the listed paths",
          "[evaluator][checks][sandbox]") {
  auto abi = LandlockAbiVersion();
  if (!abi.ok()) {
    WARN("landlock unavailable on this kernel: " << abi.status().ToString());
    return;
  }
  std::string dir = MakeScratchDir();
  REQUIRE(!dir.empty());
  std::filesystem::create_directories(dir + "/allowed");
  std::filesystem::create_directories(dir + "/trusted");
  WriteFile(dir + "/allowed/candidate.so", "elf");
  WriteFile(dir + "/trusted/reference_output.bin", "secret");
  WriteFile(dir + "/allowed/other.txt", "x");

  // Before confinement the child can read the trusted file (proves the test can fail).
  CHECK(InChild([&] { return open((dir + "/trusted/reference_output.bin").c_str(), O_RDONLY) >= 0 ? 0 : 1; }) == 0);

  int code = InChild([&] {
    ConfineOptions o;
    o.read_only = {dir + "/allowed/candidate.so", "/usr", "/lib"};
    o.read_write = {};
    if (!ConfineFilesystem(o).ok()) return 10;
    int bits = 0;
    if (open((dir + "/allowed/candidate.so").c_str(), O_RDONLY) < 0) bits |= 1;   // must read
    if (open((dir + "/trusted/reference_output.bin").c_str(), O_RDONLY) >= 0) bits |= 2;
    if (open((dir + "/allowed/other.txt").c_str(), O_RDONLY) >= 0) bits |= 4;     // file rule only
    if (open((dir + "/allowed/candidate.so").c_str(), O_WRONLY) >= 0) bits |= 8;  // read-only
    if (open((dir + "/trusted/new").c_str(), O_CREAT | O_WRONLY, 0644) >= 0) bits |= 16;
    return bits;
  });
  INFO("child exit bits: 1=cannot read artifact 2=read trusted 4=read sibling 8=wrote artifact "
       "16=created file 10=confine failed");
  CHECK(code == 0);
  CHECK_FALSE(std::filesystem::exists(dir + "/trusted/new"));

  // The runner's default set keeps system libraries reachable and the repo hidden.
  ConfineOptions d = DefaultRunnerConfinement(dir + "/allowed/candidate.so");
  CHECK(std::find(d.read_only.begin(), d.read_only.end(), "/usr") != d.read_only.end());
  CHECK(InChild([&] {
          if (!ConfineFilesystem(d).ok()) return 10;
          if (open("/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY) < 0) return 1;
          if (open((testing::SourceDir() + "/docs/task-format.md").c_str(), O_RDONLY) >= 0) return 2;
          return 0;
        }) == 0);
}

}  // namespace ksearch::evaluator::checks
