#include "fake_llm_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon_process.h"

namespace ksearch::e2e {

namespace fs = std::filesystem;

FakeLlmProcess::FakeLlmProcess(const std::string& name, const std::vector<nlohmann::json>& script,
                               const std::string& reply)
    : reply_(reply) {
  dir_ = (fs::temp_directory_path() / ("ksearch-e2e-llm-" + name + "-" + std::to_string(getpid()))).string();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  std::ofstream out(dir_ + "/script.jsonl");
  for (const auto& line : script) out << line.dump() << "\n";
  std::ofstream(dir_ + "/reply.txt") << reply_;
}

FakeLlmProcess::~FakeLlmProcess() {
  if (pid_ > 0) Stop();
}

bool FakeLlmProcess::Start() {
  fs::remove(dir_ + "/port");
  fs::remove(dir_ + "/requests.jsonl");
  pid_ = fork();
  if (pid_ == 0) {
    FILE* e = std::freopen((dir_ + "/server.log").c_str(), "a", stderr);
    (void)e;
    FILE* o = std::freopen((dir_ + "/server.out").c_str(), "a", stdout);
    (void)o;
    std::string bin = BinDir() + "/fake-llm-server";
    execl(bin.c_str(), bin.c_str(), "--script", (dir_ + "/script.jsonl").c_str(), "--reply-file",
          (dir_ + "/reply.txt").c_str(), "--port-file", (dir_ + "/port").c_str(), "--requests-log",
          (dir_ + "/requests.jsonl").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(dir_ + "/port");
    if (in >> port_ && port_ > 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int FakeLlmProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

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
