#include "fake_llm_process.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "child_process.h"
#include "daemon_process.h"

namespace ksearch::e2e {

namespace fs = std::filesystem;

FakeLlmProcess::FakeLlmProcess(const std::string& name, const std::vector<nlohmann::json>& script,
                               const std::string& reply) {
  dir_ = (fs::temp_directory_path() / ("ksearch-e2e-llm-" + name + "-" + std::to_string(getpid()))).string();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  std::ofstream out(dir_ + "/script.jsonl");
  for (const auto& line : script) out << line.dump() << "\n";
  std::ofstream(dir_ + "/reply.txt") << reply;
}

FakeLlmProcess::~FakeLlmProcess() {
  if (pid_ > 0) Stop();
}

bool FakeLlmProcess::Start() {
  fs::remove(dir_ + "/port");
  fs::remove(dir_ + "/requests.jsonl");
  pid_ = SpawnWithLogs({BinDir() + "/fake-llm-server", "--script", dir_ + "/script.jsonl", "--reply-file",
                        dir_ + "/reply.txt", "--port-file", dir_ + "/port", "--requests-log", dir_ + "/requests.jsonl"},
                       dir_ + "/server.out", dir_ + "/server.log");
  port_ = WaitForPortFile(pid_, dir_ + "/port", std::chrono::seconds(10));
  return port_ > 0;
}

int FakeLlmProcess::Stop() { return StopWithSigterm(pid_); }

std::vector<nlohmann::json> FakeLlmProcess::Requests() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir_ + "/requests.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

std::string FakeLlmProcess::EndpointYaml(const std::string& name, const std::string& extra_keys) const {
  return "  - name: " + name +
         "\n    protocol: openai\n    base_url: http://127.0.0.1:" + std::to_string(port_) +
         "/v1\n    model: fake-coder\n" + extra_keys;
}

}  // namespace ksearch::e2e
