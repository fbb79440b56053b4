// FakeLlmProcess: the `fake-llm-server` binary as a real child process for
// end-to-end tests, with a script of replies and faults (one FakeResponse JSON
// object per line; see tests/fakes/include/ksearch/fakes/fake_llm_server.h).
// Stop() sends SIGTERM; the server then writes every request it saw to
// requests.jsonl, which Requests() reads back.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ksearch::e2e {

class FakeLlmProcess {
 public:
  // `script`: the lines of the script file; `reply`: the completion served
  // once the script has nothing left for a request.
  FakeLlmProcess(const std::string& name, const std::vector<nlohmann::json>& script, const std::string& reply);
  ~FakeLlmProcess();

  bool Start();  // false if it did not come up in time
  int Stop();    // SIGTERM, reap; the exit status
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // After Stop(): one object per request seen, in arrival order
  // ({method, target, headers, body}).
  std::vector<nlohmann::json> Requests() const;

  // An `endpoints:` entry for daemon.yaml naming this server (OpenAI protocol).
  std::string EndpointYaml(const std::string& name, const std::string& extra_keys) const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ksearch::e2e
