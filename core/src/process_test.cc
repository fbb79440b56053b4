#include <catch.hpp>

#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "ksearch/core/process.h"

using namespace ksearch;
using namespace std::chrono_literals;

TEST_CASE("process launcher captures output and exit code", "[core][process]") {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo out; echo err >&2; cat; exit 3"};
  spec.stdin_data = "from-stdin";
  spec.env_set = {{"KS_X", "1"}};
  auto r = PosixProcessLauncher::Instance().Run(spec);
  REQUIRE(r.started);
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.Succeeded());
  CHECK(r.stdout_data == "out\nfrom-stdin");
  CHECK(r.stderr_data == "err\n");
  CHECK(r.Describe() == "exit 3");
}

TEST_CASE("a silent child is waited for without periodic wake-ups", "[core][process]") {
  // Where the kernel has pidfds, the wait loop sleeps until output, the exit or
  // a deadline. A child silent for 2.5 s under a 60 s deadline therefore never
  // wakes it with nothing to do; a 1 s tick would do so twice. The count of
  // wake-ups with events (output, each pipe's EOF, the exit) depends on how the
  // scheduler spreads them, so only the idle ones are asserted. Without pidfds
  // (Linux < 5.3) the loop ticks every 20 ms and this test does not apply.
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "sleep 2.5; echo done"};
  spec.timeout = 60s;
  auto r = PosixProcessLauncher::Instance().Run(spec);
  REQUIRE(r.Succeeded());
  CHECK(r.stdout_data == "done\n");
  if (r.idle_wakeups > 100) {
    WARN("no pidfd on this kernel: the 20 ms tick woke the loop " << r.idle_wakeups << " times");
  } else {
    INFO("wake-ups: " << r.wakeups << ", idle: " << r.idle_wakeups);
    CHECK(r.idle_wakeups == 0);
    CHECK(r.wakeups <= 4);  // at most: output, stdout EOF, stderr EOF, exit
  }
}

TEST_CASE("a hung child and its whole process group are killed at the deadline",
          "[core][process][fault]") {
  ProcessSpec spec;
  // The grandchild `sleep` would keep the pipe open if the group were not killed.
  spec.argv = {"sh", "-c", "sleep 30 & sleep 30; echo never"};
  spec.timeout = 300ms;
  spec.kill_grace = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto r = PosixProcessLauncher::Instance().Run(spec);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(r.timed_out);
  CHECK(r.stdout_data.find("never") == std::string::npos);
  CHECK(elapsed < 5.0);  // bound is timeout + grace; generous for a loaded machine
  CHECK(r.Describe().rfind("timeout", 0) == 0);
}

TEST_CASE("a child that ignores SIGTERM still dies by SIGKILL", "[core][process][fault]") {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "trap '' TERM; while true; do sleep 0.05; done"};
  spec.timeout = 200ms;
  spec.kill_grace = 200ms;
  auto r = PosixProcessLauncher::Instance().Run(spec);
  CHECK(r.timed_out);
  CHECK(r.term_signal == 9);
}

TEST_CASE("a crashing child reports its signal; a missing program does not start",
          "[core][process][fault]") {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "kill -SEGV $$"};
  auto r = PosixProcessLauncher::Instance().Run(spec);
  CHECK(r.term_signal == 11);
  CHECK(r.Describe().find("signal 11") == 0);

  ProcessSpec missing;
  missing.argv = {"/nonexistent/ksearch-tool"};
  auto m = PosixProcessLauncher::Instance().Run(missing);
  CHECK_FALSE(m.started);
  CHECK(m.program_missing);
  CHECK(m.error.find("/nonexistent/ksearch-tool") != std::string::npos);
  ProcessSpec by_name;
  by_name.argv = {"ksearch-no-such-tool"};
  CHECK(PosixProcessLauncher::Instance().Run(by_name).program_missing);

  // A launch that fails for another reason (here the child's folder) is not
  // a missing program: the evaluator says spawn_failed, not evaluator_missing.
  ProcessSpec no_cwd;
  no_cwd.argv = {"true"};
  no_cwd.cwd = "/nonexistent/folder";
  auto c = PosixProcessLauncher::Instance().Run(no_cwd);
  CHECK_FALSE(c.started);
  CHECK_FALSE(c.program_missing);
  CHECK(c.error.find("chdir /nonexistent/folder") == 0);
}

TEST_CASE("output beyond the cap is dropped and flagged", "[core][process]") {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "head -c 100000 /dev/zero"};
  spec.max_output_bytes = 1000;
  auto r = PosixProcessLauncher::Instance().Run(spec);
  CHECK(r.Succeeded());
  CHECK(r.stdout_data.size() == 1000);
  CHECK(r.output_truncated);
}

TEST_CASE("KillAll ends every running child promptly", "[core][process][fault]") {
  std::thread killer([] {
    std::this_thread::sleep_for(300ms);
    PosixProcessLauncher::Instance().KillAll();
  });
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "sleep 30"};
  spec.timeout = std::chrono::milliseconds(20000);
  auto r = PosixProcessLauncher::Instance().Run(spec);
  killer.join();
  CHECK_FALSE(r.timed_out);
  CHECK(r.term_signal == 9);
  CHECK(r.wall_seconds < 10);
}

TEST_CASE("the child's environment: the parent's, minus env_unset, with env_set overriding", "[core][process]") {
  setenv("KS_PROCESS_TEST_KEEP", "kept", 1);
  setenv("KS_PROCESS_TEST_DROP", "dropped", 1);
  setenv("KS_PROCESS_TEST_OVERRIDE", "old", 1);
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "env | grep '^KS_PROCESS_TEST_' | sort"};
  spec.env_set = {{"KS_PROCESS_TEST_OVERRIDE", "new"}, {"KS_PROCESS_TEST_ADDED", "a=b"}};
  spec.env_unset = {"KS_PROCESS_TEST_DROP"};
  auto r = PosixProcessLauncher::Instance().Run(spec);
  REQUIRE(r.Succeeded());
  CHECK(r.stdout_data ==
        "KS_PROCESS_TEST_ADDED=a=b\nKS_PROCESS_TEST_KEEP=kept\nKS_PROCESS_TEST_OVERRIDE=new\n");

  spec.env_set = {};
  spec.env_unset = {};
  r = PosixProcessLauncher::Instance().Run(spec);
  REQUIRE(r.Succeeded());
  CHECK(r.stdout_data ==
        "KS_PROCESS_TEST_DROP=dropped\nKS_PROCESS_TEST_KEEP=kept\nKS_PROCESS_TEST_OVERRIDE=old\n");

  spec.clear_env = true;
  spec.argv = {"/usr/bin/env"};
  spec.env_set = {{"ONLY", "1"}};
  r = PosixProcessLauncher::Instance().Run(spec);
  REQUIRE(r.Succeeded());
  CHECK(r.stdout_data == "ONLY=1\n");
  unsetenv("KS_PROCESS_TEST_KEEP");
  unsetenv("KS_PROCESS_TEST_DROP");
  unsetenv("KS_PROCESS_TEST_OVERRIDE");
}

TEST_CASE("a child holds only its own 0, 1 and 2 of the launcher's pipes", "[core][process]") {
  // Children launched from several threads at once must not inherit each
  // other's pipe ends (one that held another's stdout would delay that run's
  // EOF until it exited), nor keep a second copy of their own. Every end is
  // close-on-exec; the child keeps 0-2. Descriptors this test process itself
  // inherited without close-on-exec pass through, as they would anyway.
  std::set<std::string> inherited = {"0", "1", "2"};
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) inherited.insert(entry.path().filename().string());
  }
  ProcessSpec spec;
  spec.argv = {"ls", "/proc/self/fd"};
  std::vector<ProcessResult> results(4);
  std::vector<std::thread> threads;
  for (auto& out : results) threads.emplace_back([&spec, &out] { out = PosixProcessLauncher::Instance().Run(spec); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    REQUIRE(r.Succeeded());
    std::istringstream lines(r.stdout_data);
    std::vector<std::string> extra;
    for (std::string fd; std::getline(lines, fd);)
      if (inherited.count(fd) == 0) extra.push_back(fd);
    INFO("child's descriptors: " << r.stdout_data);
    // The one left is ls's own handle on /proc/self/fd.
    CHECK(extra.size() == 1);
  }
}
