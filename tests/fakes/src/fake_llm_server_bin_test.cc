// The standalone fake-llm-server binary: script file, default reply, port
// file, request log, clean stop on SIGTERM.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "ksearch/llm_clients/curl_transport.h"
#include "ksearch/llm_clients/http_llm_client.h"

extern char** environ;

namespace {

std::string BinDir() {
  if (const char* d = std::getenv("KSEARCH_BIN_DIR")) return d;
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  REQUIRE(n > 0);
  std::string self(buf, n);
  return self.substr(0, self.rfind('/'));
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("fake-llm-server binary serves a script, then the default reply", "[fakes][e2e]") {
  const std::string dir = "/tmp/llmh_bin_" + std::to_string(getpid());
  REQUIRE(system(("mkdir -p " + dir).c_str()) == 0);
  const std::string script = dir + "/script.jsonl", port_file = dir + "/port", log = dir + "/requests.jsonl";
  std::ofstream(script) << "# comment lines are skipped\n"
                        << R"({"kind":"status","status":503,"retry_after":"0"})" << "\n"
                        << R"({"kind":"completion","text":"scripted reply"})" << "\n";
  const std::string bin = BinDir() + "/fake-llm-server";
  std::vector<std::string> args = {bin, "--script", script, "--port-file", port_file,
                                   "--requests-log", log, "--reply", "default reply"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), environ) == 0);

  int port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    std::ifstream(port_file) >> port;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(port > 0);

  boost::asio::io_context io;
  auto transport = ksearch::llm::NewCurlTransport(io);
  ksearch::llm::EndpointConfig cfg;
  cfg.name = "bin";
  cfg.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  cfg.model = "m";
  setenv("KSEARCH_TEST_BIN_KEY", "sk-bin-secret-999", 1);
  cfg.api_key_env = "KSEARCH_TEST_BIN_KEY";
  cfg.backoff_initial_s = 0.001;
  cfg.backoff_max_s = 0.001;
  auto client = ksearch::llm::HttpLlmClient::New(io, cfg, *transport, nullptr);
  REQUIRE(client.ok());
  std::vector<std::string> texts;
  for (int i = 0; i < 2; ++i) {
    ksearch::llm::CompletionRequest r;
    r.messages = {{"user", "q" + std::to_string(i)}};
    (*client)->Complete(r, [&](ksearch::llm::CompletionOutcome o) { texts.push_back(o.response.text); });
    io.restart();
    io.run();
  }
  CHECK(texts == std::vector<std::string>{"scripted reply", "default reply"});

  kill(pid, SIGTERM);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::string requests = Slurp(log);
  CHECK(std::count(requests.begin(), requests.end(), '\n') == 3);  // 503, its retry, the second call
  CHECK(requests.find("q1") != std::string::npos);  // the body is stored JSON-escaped
  CHECK(requests.find("sk-bin-secret-999") == std::string::npos);  // auth headers are not logged
  REQUIRE(system(("rm -rf " + dir).c_str()) == 0);
}

TEST_CASE("fake-llm-server rejects a bad script line with its number", "[fakes][e2e]") {
  const std::string script = "/tmp/llmh_badscript_" + std::to_string(getpid()) + ".jsonl";
  std::ofstream(script) << R"({"kind":"completion"})" << "\n" << R"({"kind":"teleport"})" << "\n";
  const std::string cmd = BinDir() + "/fake-llm-server --script " + script + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[512] = {0};
  std::string out;
  while (fgets(buf, sizeof(buf), p)) out += buf;
  int rc = pclose(p);
  CHECK(WEXITSTATUS(rc) == 2);
  CHECK(out.find(script + ":2: kind: unknown kind \"teleport\"") != std::string::npos);
  std::remove(script.c_str());
}
