#include <catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <optional>

#include "async_child.h"

using namespace ksearch;
using namespace ksearch::workers;
using namespace std::chrono_literals;

namespace {

ProcessSpec Shell(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.timeout = 10s;
  return spec;
}

// Runs io until `done` holds (at most 30 s).
void RunUntil(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(10ms);
    io.restart();
  }
}

// One child to the end.
ProcessResult RunOne(const ProcessSpec& spec) {
  boost::asio::io_context io;
  AsyncChildRunner runner(io);
  std::optional<ProcessResult> out;
  int calls = 0;
  runner.Start(spec, [&](ProcessResult r) {
    ++calls;
    out = std::move(r);
  });
  RunUntil(io, [&] { return out.has_value(); });
  REQUIRE(out.has_value());
  io.run_for(20ms);  // nothing else arrives
  CHECK(calls == 1);
  CHECK(runner.running() == 0);
  return *out;
}

}  // namespace

TEST_CASE("an async child gets its stdin and gives back stdout, stderr and its exit, waking io once",
          "[workers]") {
  ProcessSpec spec = Shell("cat; echo to-stderr >&2; sleep 0.1; echo more; exit 3");
  spec.stdin_data = std::string(200000, 'x');  // more than a pipe holds
  ProcessResult r = RunOne(spec);
  CHECK(r.started);
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.timed_out);
  CHECK(r.stdout_data == spec.stdin_data + "more\n");
  CHECK(r.stderr_data == "to-stderr\n");
  // The output went to memory files, so only the exit woke the io thread
  // (a pipe-fed wait wakes for each burst of output too).
  CHECK(r.wakeups == 1);
  CHECK(r.idle_wakeups == 0);
}

TEST_CASE("an async child's output is kept up to max_output_bytes", "[workers]") {
  ProcessSpec spec = Shell("head -c 3000000 /dev/zero; head -c 10 /dev/zero >&2");
  spec.max_output_bytes = 1 << 20;
  ProcessResult r = RunOne(spec);
  CHECK(r.exit_code == 0);
  CHECK(r.output_truncated);
  CHECK(r.stdout_data.size() == size_t(1) << 20);
  CHECK(r.stderr_data.size() == 10);
}

TEST_CASE("an async child past its limit gets SIGTERM, then SIGKILL after the grace", "[workers][fault]") {
  ProcessSpec polite = Shell("sleep 30");
  polite.timeout = 200ms;
  const auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = RunOne(polite);
  CHECK(r.timed_out);
  CHECK(r.term_signal == SIGTERM);
  CHECK_FALSE(r.Succeeded());

  ProcessSpec stubborn = Shell("trap '' TERM; while :; do sleep 0.05; done");
  stubborn.timeout = 200ms;
  stubborn.kill_grace = 300ms;
  ProcessResult s = RunOne(stubborn);
  CHECK(s.timed_out);
  CHECK(s.term_signal == SIGKILL);
  CHECK(s.wall_seconds >= 0.45);
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
}

TEST_CASE("an async child that cannot start completes once with the reason", "[workers][fault]") {
  // The vfork child reports a failed chdir or execve through memory it
  // shares with the parent (no pipe): each reason reaches the result.
  ProcessSpec spec;
  SECTION("a path that does not exist") {
    spec.argv = {"/nonexistent/ksearch-evaluate"};
    ProcessResult r = RunOne(spec);
    CHECK_FALSE(r.started);
    CHECK(r.error == "exec /nonexistent/ksearch-evaluate: " + std::string(strerror(ENOENT)));
  }
  SECTION("a file that is not executable") {
    char path[] = "/tmp/ksearch-not-executable-XXXXXX";
    const int fd = mkstemp(path);  // mode 0600
    REQUIRE(fd >= 0);
    close(fd);
    spec.argv = {path};
    ProcessResult r = RunOne(spec);
    unlink(path);
    CHECK_FALSE(r.started);
    CHECK(r.error == "exec " + std::string(path) + ": " + strerror(EACCES));
  }
  SECTION("a working directory that does not exist") {
    spec.argv = {"/bin/true"};
    spec.cwd = "/nonexistent/dir";
    ProcessResult r = RunOne(spec);
    CHECK_FALSE(r.started);
    CHECK(r.error == "chdir /nonexistent/dir: " + std::string(strerror(ENOENT)));
  }
  SECTION("a bare name that is not on PATH") {
    spec.argv = {"ksearch-no-such-tool"};
    ProcessResult r = RunOne(spec);
    CHECK_FALSE(r.started);
    CHECK(r.error == "executable not found: ksearch-no-such-tool");
  }
}

TEST_CASE("async children run side by side, each completing once with its own output", "[workers]") {
  boost::asio::io_context io;
  AsyncChildRunner runner(io);
  std::map<int, int> calls;
  std::map<int, std::string> out;
  for (int i = 0; i < 6; ++i) {
    ProcessSpec spec = Shell("sleep 0." + std::to_string(3 - i % 3) + "; echo child" + std::to_string(i));
    runner.Start(spec, [&, i](ProcessResult r) {
      ++calls[i];
      out[i] = r.stdout_data;
    });
  }
  CHECK(runner.running() == 6);
  RunUntil(io, [&] { return calls.size() == 6; });
  REQUIRE(calls.size() == 6);
  for (int i = 0; i < 6; ++i) {
    CHECK(calls[i] == 1);
    CHECK(out[i] == "child" + std::to_string(i) + "\n");
  }
}

TEST_CASE("CancelAll kills the running children and completes them at once", "[workers][fault]") {
  boost::asio::io_context io;
  AsyncChildRunner runner(io);
  std::vector<ProcessResult> results;
  for (int i = 0; i < 3; ++i) runner.Start(Shell("sleep 30"), [&](ProcessResult r) { results.push_back(std::move(r)); });
  io.run_for(50ms);
  io.restart();
  const auto t0 = std::chrono::steady_clock::now();
  runner.CancelAll();
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  REQUIRE(results.size() == 3);
  for (const auto& r : results) CHECK(r.term_signal == SIGKILL);
  CHECK(runner.running() == 0);
  io.run_for(50ms);  // the cancelled waits find nothing to do
  CHECK(results.size() == 3);
}
