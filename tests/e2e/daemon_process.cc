#include "daemon_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "api/auth.h"
#include "child_process.h"
#include "ksearch/core/process.h"

namespace ksearch::e2e {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* s = std::getenv("KSEARCH_SOURCE_DIR");
  return s ? s : ".";
}

std::string BinDir() {
  const char* s = std::getenv("KSEARCH_BIN_DIR");
  return s ? s : "build/bin";
}

DaemonProcess::DaemonProcess(const std::string& name, const std::string& extra_yaml) {
  dir_ = (fs::temp_directory_path() / ("ksearch-e2e-" + name + "-" + std::to_string(getpid()))).string();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  db_ = dir_ + "/ksearch.db";
  std::ofstream(dir_ + "/daemon.yaml") << "listen: 127.0.0.1:0\n"
                                       << "token_file: token\n"
                                       << "database: ksearch.db\n"
                                       << "work_dir: work\n"
                                       << "tasks_dir: " << SourceDir() << "/configs/tasks\n"
                                       << "axes_file: " << SourceDir() << "/configs/axes.yaml\n"
                                       << "workers: {gpus: none, host_slots: 1, compile_threads: 2}\n"
                                       << "shutdown_grace_s: 5\n"
                                       << extra_yaml;
}

bool DaemonProcess::EditConfigLine(const std::string& line, const std::string& replacement) {
  std::ifstream in(dir_ + "/daemon.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const auto at = yaml.find(line);
  if (at == std::string::npos) return false;
  yaml.replace(at, line.size(), replacement);
  std::ofstream(dir_ + "/daemon.yaml") << yaml;
  return true;
}

void DaemonProcess::SetDatabase(const std::string& path) {
  if (!EditConfigLine("database: ksearch.db\n", "database: " + path + "\n"))
    throw std::logic_error("daemon.yaml has no default database line");
  db_ = path;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Kill();
}

bool DaemonProcess::Start() {
  fs::remove(dir_ + "/port");
  pid_ = SpawnWithLogs({BinDir() + "/ksearchd", "--config", dir_ + "/daemon.yaml", "--port-file", dir_ + "/port"},
                       dir_ + "/ksearchd.out", dir_ + "/ksearchd.log");
  int port = WaitForPortFile(pid_, dir_ + "/port", std::chrono::seconds(15));
  if (port == 0) return false;
  target_.host = "127.0.0.1";
  target_.port = static_cast<uint16_t>(port);
  auto token = daemon::ReadToken(dir_ + "/token");
  if (!token.ok()) return false;
  target_.token = *token;
  return true;
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int DaemonProcess::Stop() { return StopWithSigterm(pid_); }

void DaemonProcess::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

cli::ApiReply DaemonProcess::Call(const std::string& method, const std::string& path, const std::string& body) {
  auto r = cli::CallApi(target_, method, path, body, 60000);
  return r.ok() ? *r : cli::ApiReply{};
}

cli::ApiReply DaemonProcess::StartCampaign(const std::string& yaml) {
  return Call("POST", "/v1/campaigns", nlohmann::json{{"spec_yaml", yaml}, {"source", "test"}}.dump());
}

std::string DaemonProcess::RunCli(const std::vector<std::string>& args, int* rc) const {
  ProcessSpec spec;
  spec.argv = {BinDir() + "/ksearch"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.timeout = std::chrono::milliseconds(120000);
  auto r = PosixProcessLauncher::Instance().Run(spec);
  if (rc) *rc = r.exit_code;
  return r.stdout_data + r.stderr_data;
}

}  // namespace ksearch::e2e
